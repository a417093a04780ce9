// Where the servers are now, for a client that holds only the network file (docs/PROTOCOL.md
// §3.10, §6.10): ask the servers ADDRESSES, check each record's signature against the key
// the network file gives that server, keep the highest sequence per server, and use the
// network with those addresses. No server is trusted: a record is signed by the server it
// moves, and a server that withholds one only fails to help.
//
// Bounded: each server is asked at most addresses_ask_attempts times per page, pages are at
// most ⌈64 / 10⌉, and the answer is settled as soon as a majority of servers answered (a
// server that moved does not answer at its old address: waiting for it would cost every
// command its timeout).

import { equal } from '../bytes.ts';
import { learnChain, targetsOf, withConfiguration } from './chain.ts';
import { addresses_ask_attempts, addresses_ask_timeout_ms, addresses_per_reply_max } from '../constants.ts';
import { type AddressRecord, addressOf, checkAddressRecord, isNewer } from '../address-record.ts';
import type { Address } from '../ip.ts';
import type { Network, ServerEntry } from '../network.ts';
import type { CommittedChange } from '../consensus/configuration.ts';
import { verify } from '../signature.ts';
import { type AddressesBody, Kind, Status } from './codec.ts';
import type { ClientTransport } from './transport.ts';

export interface LearnedAddresses {
  /** The newest valid record per server index (null: the network file's address holds). */
  readonly records: (AddressRecord | null)[];
  /** Servers that answered. */
  readonly answered: number[];
  /** Records refused: a key not of this network, or a signature that does not verify. */
  readonly refused: number;
}

/** Keeps, per server, the newest of `records` that is valid for `network`; counts the others. */
export function newestRecords(network: Network, records: Iterable<AddressRecord>, into: (AddressRecord | null)[] = network.servers.map(() => null)): { records: (AddressRecord | null)[]; refused: number } {
  let refused = 0;
  for (const record of records) {
    const index = checkAddressRecord(network, record, verify);
    if (index < 0) {
      refused++;
      continue;
    }
    if (isNewer(record, into[index] ?? null)) into[index] = record;
  }
  return { records: into, refused };
}

/** The same network, with each server at its newest record's address (the id is unchanged: it never covers addresses). */
export function withAddresses(network: Network, records: readonly (AddressRecord | null)[]): Network {
  if (records.every((record) => record === null || record === undefined)) return network;
  const servers: ServerEntry[] = network.servers.map((server, i) => {
    const record = records[i];
    return record === null || record === undefined ? server : { ...server, address: addressOf(record) };
  });
  return { ...network, servers };
}

/** Every record the server at `target` (with key `serverKey`) lists, page by page from index 0; unchecked. */
export async function askAddressRecords(client: ClientTransport, network: Network, target: Address, serverKey: Uint8Array, attempts: number, timeoutMs: number): Promise<AddressRecord[]> {
  const out: AddressRecord[] = [];
  let from = 0;
  for (let page = 0; page < Math.ceil(network.servers.length / addresses_per_reply_max) + 1 && from < network.servers.length; page++) {
    const reply = await client.ask(target, { kind: Kind.ADDRESSES, from }, { networkId: network.id, serverKey, serverCount: network.servers.length, attempts, timeoutMs });
    if (reply.status !== Status.OK || reply.body === null || !('records' in reply.body)) break;
    const records = (reply.body as AddressesBody).records;
    out.push(...records);
    // A full page may have more after it: ask from the index after its last record's server.
    if (records.length < Math.min(addresses_per_reply_max, network.servers.length)) break;
    const last = network.servers.findIndex((candidate) => equal(candidate.key, records[records.length - 1]!.key));
    if (last < from) break; // not a server of ours, or not in order: stop here
    from = last + 1;
  }
  return out;
}

/**
 * Asks every server (where `network` puts it) for the records it knows, at once, and settles
 * when a majority answered or every server answered or gave up.
 */
export async function learnAddresses(
  client: ClientTransport,
  network: Network,
  options: { attempts?: number; timeoutMs?: number; known?: readonly (AddressRecord | null)[] } = {},
): Promise<LearnedAddresses> {
  const attempts = options.attempts ?? addresses_ask_attempts;
  const timeoutMs = options.timeoutMs ?? addresses_ask_timeout_ms;
  // Records learnt before stay unless a newer one comes (a wallet asks again later).
  const records: (AddressRecord | null)[] = network.servers.map((_, i) => options.known?.[i] ?? null);
  const answered: number[] = [];
  let refused = 0;
  let finished = 0;
  return new Promise((resolve) => {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      resolve({ records: records.slice(), answered: answered.slice(), refused });
    };
    network.servers.forEach((_, index) => {
      askAddressRecords(client, network, network.servers[index]!.address, network.servers[index]!.key, attempts, timeoutMs)
        .then(
          (listed) => {
            if (settled) return;
            answered.push(index);
            refused += newestRecords(network, listed, records).refused;
          },
          () => {}, // silent, or moved: the others say where
        )
        .finally(() => {
          finished++;
          if (answered.length >= network.majority || finished === network.servers.length) settle();
        });
    });
  });
}

/**
 * The network as a client should use it now: every server at the address of its newest
 * valid record, learnt from the servers where the file (or `network`) puts them.
 */
export async function networkInForce(client: ClientTransport, network: Network, options: { attempts?: number; timeoutMs?: number } = {}): Promise<Network> {
  return (await learnServers(client, network, options)).network;
}

/**
 * What networkInForce learns, with the proofs it was learnt from: the chain of committed
 * changes (null when no server answered) and the newest valid address record per server in
 * force (what a wallet keeps to start without asking: cli/known-servers.ts).
 */
export async function learnServers(
  client: ClientTransport,
  network: Network,
  options: { attempts?: number; timeoutMs?: number } = {},
): Promise<{ network: Network; chain: readonly CommittedChange[] | null; records: readonly (AddressRecord | null)[] }> {
  // The servers in force first (a committed change may have replaced the file's: PROTOCOL
  // §6.11, each link checked from the file), then where each of them is now.
  const chain = await learnChain(client, network, targetsOf(network), options);
  const inForce = chain === null ? network : withConfiguration(network, chain.configurations[chain.configurations.length - 1]!);
  const learned = await learnAddresses(client, inForce, options);
  return { network: withAddresses(inForce, learned.records), chain: chain?.chain ?? null, records: learned.records };
}

/**
 * Where the servers in force are now, over ADDRESSES, for a wallet that asks again and again:
 * the records learnt stay (a server that moved may not answer at its old address) until
 * the servers in force change.
 */
export function addressLocator(client: ClientTransport): (inForce: Network) => Promise<Network> {
  let records: (AddressRecord | null)[] = [];
  let servers = '';
  return async (inForce) => {
    const keys = inForce.servers.map((server) => server.keyHex).join(' ');
    if (keys !== servers) [records, servers] = [[], keys];
    records = (await learnAddresses(client, inForce, { known: records })).records;
    return withAddresses(inForce, records);
  };
}
