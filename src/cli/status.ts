import { defineCommand } from 'citty';
import { toHex } from '../bytes.ts';
import { hash_bytes } from '../constants.ts';
import { Kind, PaymentState, Status, statusName, type StatusBody } from '../client/codec.ts';
import { askAll, majorityOf } from '../client/majority.ts';
import { askingServers } from './servers.ts';
import { exit_code, hexArg, logArgs, networkAction, networkArg, print } from './common.ts';

const stateName = ['unknown', 'pending', 'committed', 'void'];

export const statusCommand = defineCommand({
  meta: {
    name: 'status',
    description:
      'Ask every server about a payment by its txid: committed, void, pending or unknown (with the period up to which the servers have decided)',
  },
  args: {
    txid: { type: 'positional', description: 'the payment\'s txid, 64 hex characters', required: true, valueHint: 'TXID' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    networkAction(args, async (fileNetwork) => {
      const txid = hexArg(args.txid, hash_bytes, 'TXID');
      // Where servers that moved are now (PROTOCOL §3.10), and which a change put in charge (§6.11).
      return askingServers(fileNetwork, async (client, network) => {
        const answers = await askAll(client, network, { kind: Kind.STATUS, txid });
        const agreement = majorityOf(
          network,
          answers,
          (reply) => (reply.status === Status.OK && reply.body !== null && 'state' in reply.body ? { ...(reply.body as StatusBody), status: 'OK' } : { txid, state: 0, period: 0, status: statusName[reply.status] ?? '?' }),
          (view) => `${view.status}:${view.state}:${view.period}`,
        );
        const view = agreement.value;
        if (args.json) {
          print(JSON.stringify({ txid: toHex(txid), majority: view === null ? null : { status: view.status, state: stateName[view.state], period: view.period }, agreeing: agreement.agreeing }));
        } else if (view === null) {
          print('no majority of the servers agrees');
        } else if (view.status !== 'OK') {
          print(`the majority answers ${view.status}`);
        } else if (view.state === PaymentState.UNKNOWN) {
          print(`unknown: not in any period up to committed period ${view.period} (servers ${agreement.agreeing.join(', ')})`);
        } else {
          print(`${stateName[view.state]} in period ${view.period} (servers ${agreement.agreeing.join(', ')})`);
        }
        if (!args.json) for (const other of agreement.others) print(`  server ${other.server} says: ${other.value === null ? `no answer` : `${other.value.status} ${stateName[other.value.state]} ${other.value.period}`}`);
        return view === null ? exit_code.timeout : exit_code.ok;
      });
    }),
});
