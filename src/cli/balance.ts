import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { type BalanceBody, Kind, Status, statusName } from '../client/codec.ts';
import { askAll, type Agreement, majorityOf } from '../client/majority.ts';
import { UdpClient } from '../client/udp-client.ts';
import type { Network } from '../network.ts';
import { askingServers } from './servers.ts';
import { accountArg, exit_code, logArgs, networkAction, networkArg, print } from './common.ts';

interface BalanceView {
  status: string;
  balance: number;
  committedPeriod: number | null;
  stateHash: string | null;
}

export async function askBalance(client: UdpClient, network: Network, account: Uint8Array): Promise<Agreement<BalanceView>> {
  let agreement: Agreement<BalanceView> | null = null;
  // Servers commit a few milliseconds apart: ask again briefly when no majority agrees yet.
  for (let round = 0; round < 4; round++) {
    const answers = await askAll(client, network, { kind: Kind.BALANCE, account });
    agreement = majorityOf(
      network,
      answers,
      (reply): BalanceView => {
        if (reply.status === Status.OK && reply.body !== null && 'balance' in reply.body) {
          const body = reply.body as BalanceBody;
          return { status: 'OK', balance: body.balance, committedPeriod: body.committedPeriod, stateHash: toHex(body.stateHash) };
        }
        return { status: statusName[reply.status] ?? String(reply.status), balance: 0, committedPeriod: null, stateHash: null };
      },
      (view) => `${view.status}:${view.balance}:${view.committedPeriod}:${view.stateHash}`,
    );
    if (agreement.value !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return agreement!;
}

export const balanceCommand = defineCommand({
  meta: { name: 'balance', description: 'Ask every server for the balance of ACCOUNT (an address or 64 hex characters); show what the majority says, and who disagrees' },
  args: {
    account: { type: 'positional', description: 'the account: an address (scryp1…) or 64 hex characters', required: true, valueHint: 'ACCOUNT' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    networkAction(args, async (fileNetwork) => {
      const account = accountArg(args.account, 'ACCOUNT');
      const address = encodeAddress(account);
      // Where servers that moved are now (PROTOCOL §3.10), and which a change put in charge (§6.11).
      return askingServers(fileNetwork, async (client, network) => {
        const agreement = await askBalance(client, network, account);
        const majority = agreement.value;
        if (args.json) {
          print(JSON.stringify({ account: toHex(account), address, majority, agreeing: agreement.agreeing, others: agreement.others }));
        } else if (majority === null) {
          print(`${address}: no majority of the ${network.servers.length} servers agrees:`);
        } else if (majority.status === 'OK' || majority.status === 'NOT_FOUND') {
          const where = majority.committedPeriod === null ? '' : ` at committed period ${majority.committedPeriod}`;
          print(`${address}: ${majority.balance} scryp${where} (servers ${agreement.agreeing.join(', ')} agree)${majority.status === 'NOT_FOUND' ? ' — no such account yet' : ''}`);
        } else {
          print(`${address}: the majority answers ${majority.status}`);
        }
        if (!args.json) {
          for (const other of agreement.others) {
            const said = other.value === null ? `no answer (${other.error ?? 'timeout'})` : other.value.status === 'OK' ? `${other.value.balance} at period ${other.value.committedPeriod}` : other.value.status;
            print(`  server ${other.server} says: ${said}`);
          }
        }
        return majority === null ? exit_code.timeout : majority.status === 'OK' || majority.status === 'NOT_FOUND' ? exit_code.ok : exit_code.refused;
      });
    }),
});
