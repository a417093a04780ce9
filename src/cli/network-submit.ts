// `scryp network submit` and `scryp network show`: the online half of changing a network's
// servers (issue 13, PROTOCOL §6.11, §8.13). Both ask the servers, through the client's
// chain module (client/chain.ts): the chain of committed changes each server proves from
// the network file. submit checks a signed change against the configuration in force,
// hands it to the servers and waits for its commit; show prints the configuration in force
// and writes the chain file that `network change` and `sign` take.

import { defineCommand } from 'citty';
import { equal, toHex } from '../bytes.ts';
import { chainFileJson } from '../consensus/change-file.ts';
import { change_lead_periods, changeId, checkReplaces, checkServerList, checkSignatures } from '../consensus/configuration.ts';
import { type ErrorCode, fail } from '../errors.ts';
import { formatAddress } from '../ip.ts';
import type { Network } from '../network.ts';
import { verify } from '../signature.ts';
import { learnChain, type ServerTarget, submitChange, targetsOf } from '../client/chain.ts';
import { ChangeVerdict, changeVerdictName } from '../client/codec.ts';
import { ReplyTimeout, UdpClient } from '../client/udp-client.ts';
import { addressArg, exit_code, logArgs, networkAction, networkArg, print, UsageError } from './common.ts';
import { keyText, loadChangeFile, plural } from './network-change.ts';
import { refuseExisting, writeNew } from './out-file.ts';

/** Why a server refused a change, as the code the rest of scryp uses for it. */
function verdictCode(verdict: ChangeVerdict): ErrorCode {
  switch (verdict) {
    case ChangeVerdict.NOT_CURRENT:
      return 'CHANGE_NOT_CURRENT';
    case ChangeVerdict.SIGNATURES:
      return 'CHANGE_SIGNATURES';
    case ChangeVerdict.BAD_SIGNATURE:
      return 'CHANGE_BAD_SIGNATURE';
    case ChangeVerdict.TOO_LATE:
      return 'CHANGE_TOO_LATE';
    case ChangeVerdict.MALFORMED:
      return 'BAD_CHANGE_FILE';
    default:
      return 'CHANGE_EMPTY';
  }
}

/** How long submit waits for the change to be committed, in periods (it is carried by the next beta that hears it). */
const submit_wait_periods = 40;

async function learnOrFail(client: UdpClient, network: Network, targets?: readonly ServerTarget[]) {
  const learned = await learnChain(client, network, targets);
  if (learned === null) throw new ReplyTimeout(formatAddress(network.servers[0]!.address), 4);
  return learned;
}

export const submitCommand = defineCommand({
  meta: {
    name: 'submit',
    description:
      'Hand a change signed by a quorum to the network: it is checked against the configuration the servers report (verified from the network file), sent to the servers, carried by the next beta, and committed. Waits for the commit and prints the first period of the new configuration.',
  },
  args: {
    file: { type: 'positional', description: 'the signed change file (scryp network change, then sign)', required: true, valueHint: 'CHANGE.json' },
    ...networkArg,
    server: { type: 'string', description: 'send it to this server only (default: every server of the configuration in force)', valueHint: 'HOST:PORT' },
    ...logArgs,
  },
  run: ({ args }) =>
    networkAction(args, async (network) => {
      const file = loadChangeFile(args.file);
      if (!equal(file.network, network.id)) {
        fail('CHANGE_OTHER_NETWORK', `${args.file} is a change of network ${toHex(file.network).slice(0, 16)}…, not of ${network.name}: give the --network file it was made for`);
      }
      const change = file.change;
      const only = args.server === undefined ? null : addressArg(args.server, '--server');
      const client = await UdpClient.open();
      try {
        const learned = await learnOrFail(client, network);
        const before = learned.configurations[learned.configurations.length - 1]!;
        // The same checks the servers make, before anything is sent.
        checkServerList(change.servers);
        checkReplaces(before, change);
        const signers = checkSignatures(network.id, before, change, verify);
        if (signers.length < before.quorum) {
          fail('CHANGE_SIGNATURES', `${signers.length} of the ${before.quorum} signatures configuration ${before.number} needs: have more of its servers sign (scryp network sign ${args.file} --dir DIR)`);
        }
        const period = Math.floor(Date.now() / network.periodMs);
        if (change.first !== 0 && change.first < period + change_lead_periods) {
          fail('CHANGE_TOO_LATE', `the change starts at period ${change.first}, but the earliest a change submitted now can start is ${period + change_lead_periods}: make it again with a later --at, or none`);
        }
        const targets: ServerTarget[] = only === null ? before.servers.map((server) => ({ key: server.key, address: server.address })) : targetsOf(network, before).filter((t) => t.address.host === only.host && t.address.port === only.port);
        if (targets.length === 0) throw new UsageError(`--server ${args.server}: no server of configuration ${before.number} is at that address`);
        const verdicts = await Promise.all(
          targets.map(async (target) => {
            try {
              return await submitChange(client, network, target, change);
            } catch {
              return null;
            }
          }),
        );
        const taken = verdicts.filter((verdict) => verdict?.verdict === ChangeVerdict.TAKEN).length;
        const refused = verdicts.find((verdict) => verdict !== null && verdict.verdict !== ChangeVerdict.TAKEN);
        if (taken === 0) {
          if (refused !== undefined && refused !== null) fail(verdictCode(refused.verdict), `the servers refuse the change (${changeVerdictName[refused.verdict]}; they know configuration ${refused.latest}): check it with scryp network show`);
          throw new ReplyTimeout(formatAddress(targets[0]!.address), 4);
        }
        const id = toHex(changeId(change));
        if (!args.json) print(`change ${id.slice(0, 16)}… taken by ${taken} of ${targets.length} servers of configuration ${before.number}; waiting for a beta to carry it…`);
        const deadline = Date.now() + submit_wait_periods * network.periodMs;
        while (Date.now() < deadline) {
          await Bun.sleep(Math.max(100, Math.floor(network.periodMs / 2)));
          const now = await learnChain(client, network, targetsOf(network, before));
          if (now === null) continue;
          const index = now.chain.findIndex((entry) => toHex(changeId(entry.change)) === id);
          if (index >= 0) {
            const entry = now.chain[index]!;
            const made = now.configurations[index + 1]!;
            if (args.json) {
              print(JSON.stringify({ change_id: id, configuration: made.number, carried_in: entry.carrier, first_period: made.first, servers: made.servers.length, quorum: made.quorum }));
            } else {
              print(`committed in period ${entry.carrier}: configuration ${made.number} (${plural(made.servers.length, 'server')}, quorum ${made.quorum}) takes effect at period ${made.first}`);
              print(`the servers in force: scryp network show${args.network === undefined ? '' : ` --network ${args.network}`}`);
            }
            return;
          }
          if (now.configurations.length - 1 > before.number) {
            fail('CHANGE_NOT_CURRENT', `another change was committed first (configuration ${now.configurations.length - 1} is in force now): make the change again from it`);
          }
        }
        process.stderr.write(`scryp: the change was taken but not committed within ${submit_wait_periods} periods: is a quorum of configuration ${before.number} up? (scryp info; it may still be carried)\n`);
        return exit_code.timeout;
      } finally {
        client.close();
      }
    }),
});

export const showCommand = defineCommand({
  meta: {
    name: 'show',
    description:
      'The configuration in force, as the servers report it: the chain of committed changes fetched from them and checked from the network file, with how many servers reach it. --out writes the chain file that network change and sign take.',
  },
  args: {
    ...networkArg,
    out: { type: 'string', description: 'write the chain of committed changes here (for --chain)', valueHint: 'CHAIN.json' },
    ...logArgs,
  },
  run: ({ args }) =>
    networkAction(args, async (network) => {
      if (args.out !== undefined) refuseExisting(args.out);
      const client = await UdpClient.open();
      try {
        let learned = await learnOrFail(client, network);
        // Servers a change brought in are asked too: a majority of the configuration in force is what counts.
        const latest = learned.configurations[learned.configurations.length - 1]!;
        if (latest.number > 0) learned = (await learnChain(client, network, latest.servers.map((server) => ({ key: server.key, address: server.address })))) ?? learned;
        const configuration = learned.configurations[learned.configurations.length - 1]!;
        if (args.out !== undefined) writeNew(args.out, `${JSON.stringify(chainFileJson(network.id, learned.chain), null, 2)}\n`);
        const majority = Math.floor(configuration.servers.length / 2) + 1;
        if (args.json) {
          print(
            JSON.stringify({
              network: toHex(network.id),
              configuration: configuration.number,
              first_period: configuration.first,
              quorum: configuration.quorum,
              servers: configuration.servers.map((server, i) => ({ index: i, key: toHex(server.key), ip: formatAddress(server.address) })),
              changes: learned.chain.map((entry) => ({ carrier: entry.carrier, change_id: toHex(changeId(entry.change)) })),
              reported_by: learned.reportedBy,
              asked: learned.asked,
            }),
          );
        } else {
          print(`network ${network.name}: configuration ${configuration.number}${configuration.number === 0 ? ' (the network file)' : `, in force from period ${configuration.first}`}, ${plural(configuration.servers.length, 'server')}, quorum ${configuration.quorum}`);
          configuration.servers.forEach((server, i) => print(`  ${i}  ${keyText(server.key)}  ${formatAddress(server.address)}`));
          print(`${plural(learned.chain.length, 'committed change')} since the network file, each checked from it; ${learned.reportedBy} of ${learned.asked} servers asked report this configuration${learned.reportedBy >= majority ? '' : ` (fewer than a majority, ${majority}: some servers are down or behind)`}`);
          if (args.out !== undefined) print(`chain written to ${args.out}: scryp network change --chain ${args.out} …`);
        }
      } finally {
        client.close();
      }
    }),
});
