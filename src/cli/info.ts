import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { equal, toHex } from '../bytes.ts';
import { type EvidenceBody, type InfoBody, joining_server_index, Kind, Status, statusName } from '../client/codec.ts';
import { describeEvidence } from '../consensus/evidence.ts';
import { type Address, formatAddress } from '../ip.ts';
import { askAddressRecords, newestRecords } from '../client/addresses.ts';
import { addressOf } from '../address-record.ts';
import type { Network } from '../network.ts';
import { UdpClient } from '../client/udp-client.ts';
import { serverIndexOf } from '../network.ts';
import { directoryOf, learnChain, targetsOf } from '../client/chain.ts';
import { action, addressArg, chooseNetwork, exit_code, logArgs, networkArg, print, setupLogs } from './common.ts';

export const infoCommand = defineCommand({
  meta: { name: 'info', description: 'Ask a server who it is and where it stands (signed INFO over UDP, with resends), whether it holds proofs of equivocation, and whether it stopped' },
  args: {
    server: { type: 'positional', description: 'the server, HOST:PORT', required: true, valueHint: 'HOST:PORT' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const target = addressArg(args.server, 'HOST:PORT');
      const network = chooseNetwork(args.network);
      const client = await UdpClient.open();
      try {
        // Verified against the network id the server states; then compared with ours.
        const reply = await client.ask(target, { kind: Kind.INFO }, { attempts: 5, timeoutMs: 200 });
        if (reply.status !== Status.OK || reply.body === null || !('lastHeard' in reply.body)) {
          process.stderr.write(`scryp: ${args.server} answered ${statusName[reply.status]}\n`);
          return exit_code.refused;
        }
        const info = reply.body;
        const sameNetwork = equal(info.networkId, network.id);
        // Server indexes are directory ids: the file's indexes, then the servers changes brought in (PROTOCOL §8.13).
        let knownKey = sameNetwork && serverIndexOf(network, reply.serverKey) === info.serverIndex;
        if (sameNetwork && !knownKey && info.serverIndex !== joining_server_index) {
          const learned = await learnChain(client, network, [{ address: target, key: reply.serverKey }, ...targetsOf(network)]);
          const directory = learned === null ? [] : directoryOf(learned.configurations);
          knownKey = directory[info.serverIndex] !== undefined && equal(directory[info.serverIndex]!, reply.serverKey);
        }
        const evidence = await askStanding(client, target, info.networkId, reply.serverKey);
        // The addresses in force, as this server knows them (each record checked against our network file).
        const addresses = sameNetwork ? await addressesInForce(client, network, target, reply.serverKey) : null;
        if (args.json) {
          print(
            JSON.stringify({
              ...infoJson(info),
              serverKey: toHex(reply.serverKey),
              serverAddress: encodeAddress(reply.serverKey),
              network: sameNetwork ? network.name : null,
              knownKey,
              evidence: 'error' in evidence ? null : { count: evidence.count, stopped: evidence.stopped !== null, why: evidence.stopped },
              ...('error' in evidence ? { evidenceError: evidence.error } : {}),
              addresses: addresses === null || 'error' in addresses ? null : addresses.map((entry, server) => ({ server, address: formatAddress(entry.address), sequence: entry.sequence, moved: entry.sequence > 0 })),
              ...(addresses !== null && 'error' in addresses ? { addressesError: addresses.error } : {}),
            }),
          );
        } else {
          for (const line of formatInfo(info, reply.serverKey)) print(line);
          for (const line of formatStanding(evidence, args.server)) print(line);
          if (addresses !== null) for (const line of formatAddresses(addresses)) print(line);
          if (!sameNetwork) print(`warning: this server is not on network ${network.name} (${toHex(network.id).slice(0, 16)}…)`);
          else if (info.serverIndex === joining_server_index) print(`joining: no configuration this server knows names its key yet; it follows the network until a committed change does (scryp network show)`);
          else if (!knownKey) print(`warning: key ${toHex(reply.serverKey).slice(0, 16)}… is not server ${info.serverIndex} of ${network.name}`);
        }
        return sameNetwork && (knownKey || info.serverIndex === joining_server_index) ? exit_code.ok : exit_code.refused;
      } finally {
        client.close();
      }
    }),
});

/** Each server's address in force (sequence 0: the network file's), or why it is not known. */
export type AddressesInForce = { address: Address; sequence: number }[] | { error: string };

/** ADDRESSES of the server just asked, each record checked against the network file's keys; the newest per server wins. */
async function addressesInForce(client: UdpClient, network: Network, target: Address, serverKey: Uint8Array): Promise<AddressesInForce> {
  try {
    const listed = await askAddressRecords(client, network, target, serverKey, 3, 200);
    const { records } = newestRecords(network, listed);
    return network.servers.map((server, i) => {
      const record = records[i];
      return record === null || record === undefined ? { address: server.address, sequence: 0 } : { address: addressOf(record), sequence: record.sequence };
    });
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export function formatAddresses(addresses: AddressesInForce): string[] {
  if ('error' in addresses) return [`addresses: not known: ${addresses.error}`];
  return [
    `addresses: ${addresses
      .map((entry, server) => `server ${server} ${formatAddress(entry.address)}${entry.sequence === 0 ? ' (network file)' : ` (MOVED, sequence ${entry.sequence})`}`)
      .join('; ')}`,
  ];
}

/** Whether the server holds proofs of equivocation, and whether (and why) it stopped; or why that is not known. */
export type Standing = { count: number; stopped: string | null } | { error: string };

/** EVIDENCE 0 of the server just asked (signed by the key that signed its INFO), and the fork that stopped it, if any. */
async function askStanding(client: UdpClient, target: Address, networkId: Uint8Array, serverKey: Uint8Array): Promise<Standing> {
  const ask = async (index: number): Promise<EvidenceBody> => {
    const reply = await client.ask(target, { kind: Kind.EVIDENCE, index }, { networkId, serverKey, attempts: 3, timeoutMs: 200 });
    if (reply.status !== Status.OK || reply.body === null || !('stoppedBy' in reply.body)) throw new Error(`it answered ${statusName[reply.status]} (a version before EVIDENCE)`);
    return reply.body;
  };
  try {
    const first = await ask(0);
    if (first.stoppedBy === 0) return { count: first.count, stopped: null };
    const fork = first.stoppedBy === 1 ? first : await ask(first.stoppedBy - 1);
    const why =
      fork.evidence !== null
        ? describeEvidence(fork.evidence)
        : fork.summary !== null
          ? `two certificates conflict (period ${fork.summary.a.period} on parent ${fork.summary.a.parent}, period ${fork.summary.b.period} on parent ${fork.summary.b.parent}): more servers misbehaved than the quorum tolerates`
          : 'it holds a fork (the proof was not listed)';
    return { count: first.count, stopped: why };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export function formatStanding(standing: Standing, server: string): string[] {
  if ('error' in standing) return [`evidence: not known: ${standing.error}`];
  const held = standing.count === 0 ? 'evidence: none held' : `evidence: ${standing.count} proof${standing.count === 1 ? '' : 's'} of equivocation held (scryp evidence --server ${server} prints and checks them)`;
  const stopped = standing.stopped === null ? 'taking part' : `STOPPED: ${standing.stopped}; it answers payments UNAVAILABLE until its operator acts (docs/OPERATIONS.md)`;
  return [held, stopped];
}

export function infoJson(info: InfoBody): object {
  return {
    networkId: toHex(info.networkId),
    serverIndex: info.serverIndex,
    serverCount: info.serverCount,
    now: info.now,
    currentPeriod: info.currentPeriod,
    alphaIndex: info.alphaIndex,
    committedPeriod: info.committedPeriod,
    stateHash: toHex(info.stateHash),
    lastHeard: info.lastHeard,
  };
}

export function formatInfo(info: InfoBody, serverKey: Uint8Array): string[] {
  const joining = info.serverIndex === joining_server_index;
  const heard = info.lastHeard.map((period, i) => {
    if (i === info.serverIndex) return `server ${i}: this one`;
    if (period === 0) return `server ${i}: never`;
    const ago = info.currentPeriod - period;
    return `server ${i}: period ${period}${ago === 0 ? ' (this period)' : ` (${ago} ago)`}`;
  });
  return [
    `${joining ? 'a server joining the network' : `server ${info.serverIndex} of ${info.serverCount}`}, key ${toHex(serverKey)} (address ${encodeAddress(serverKey)})`,
    `network ${toHex(info.networkId)}`,
    `time ${new Date(info.now).toISOString()}, period ${info.currentPeriod}, alpha server ${info.alphaIndex}`,
    `committed period ${info.committedPeriod}, state hash ${toHex(info.stateHash)}`,
    `last heard: ${heard.join('; ')}`,
  ];
}
