// What a client holding only the network file learns of the servers in force (PROTOCOL
// §6.11, §8.13): the chain of committed configuration changes, fetched a piece at a time
// with CONFIG from any server and checked link by link from the network file
// (configurationsOf), so that no server can make a client believe in servers that a quorum
// of the configuration before did not sign in. And CHANGE, which submits a signed change.

import { Reader } from '../bytes.ts';
import { addresses_ask_attempts, addresses_ask_timeout_ms, chain_ask_attempts, chain_ask_timeout_ms } from '../constants.ts';
import { type Change, type CommittedChange, type Configuration, configurationsOf, encodeChange, readCommittedChange } from '../consensus/configuration.ts';
import { fail, isScrypError } from '../errors.ts';
import type { Address } from '../ip.ts';
import { type Network, quorumOf, type ServerEntry } from '../network.ts';
import { toHex } from '../bytes.ts';
import { verify } from '../signature.ts';
import { type ChangeBody, type ConfigBody, Kind, Status } from './codec.ts';
import type { ClientTransport } from './transport.ts';

/** The most changes a client fetches from one server (a chain longer than this is not believed). */
export const chain_links_max = 4096;

export interface ServerTarget {
  readonly address: Address;
  readonly key: Uint8Array;
}

export interface LearnedChain {
  readonly chain: CommittedChange[];
  /** Every configuration, 0 (the network file) first; the last is the newest the chain makes. */
  readonly configurations: Configuration[];
  /** The server's committed period when it answered. */
  readonly committedPeriod: number;
}

/** One server asked for a piece of the chain, or given a change: as `scryp pay` asks (a few resends, doubling). */
const ask = { attempts: chain_ask_attempts, timeoutMs: chain_ask_timeout_ms } as const;

async function configPiece(client: ClientTransport, network: Network, target: ServerTarget, index: number, offset: number): Promise<ConfigBody> {
  const reply = await client.ask(target.address, { kind: Kind.CONFIG, index, offset }, { networkId: network.id, serverKey: target.key, ...ask });
  if (reply.status !== Status.OK || reply.body === null || !('chunk' in reply.body)) fail('BAD_REPLY', `CONFIG answered ${reply.status}`);
  return reply.body;
}

/** The chain of committed changes one server holds, checked from the network file. */
export async function fetchChain(client: ClientTransport, network: Network, target: ServerTarget): Promise<LearnedChain> {
  const first = await configPiece(client, network, target, 0, 0);
  if (first.changes > chain_links_max) fail('CHANGE_CHAIN', `the server says it holds ${first.changes} changes, more than the ${chain_links_max} a client believes`);
  const chain: CommittedChange[] = [];
  for (let index = 0; index < first.changes; index++) {
    let piece = index === 0 ? first : await configPiece(client, network, target, index, 0);
    const bytes = new Uint8Array(piece.total);
    let filled = 0;
    for (;;) {
      if (piece.index !== index || piece.offset !== filled || piece.total !== bytes.length) fail('BAD_REPLY', `CONFIG answered another piece than the one asked (change ${index}, byte ${filled})`);
      bytes.set(piece.chunk, filled);
      filled += piece.chunk.length;
      if (filled === bytes.length) break;
      if (piece.chunk.length === 0) fail('BAD_REPLY', `CONFIG sent no bytes of change ${index} at ${filled} of ${bytes.length}`);
      piece = await configPiece(client, network, target, index, filled);
    }
    try {
      const reader = new Reader(bytes, `change ${index + 1}`);
      chain.push(readCommittedChange(reader));
      reader.end();
    } catch (error) {
      if (!isScrypError(error)) throw error;
      fail('CHANGE_CHAIN', `change ${index + 1} from the server does not decode: ${error.message}`);
    }
  }
  const configurations = configurationsOf(network, chain, verify);
  return { chain, configurations, committedPeriod: first.committedPeriod };
}

/** The servers to ask first: the network file's, then those of a configuration already learned. */
export function targetsOf(network: Network, configuration?: Configuration): ServerTarget[] {
  const seen = new Set<string>();
  const out: ServerTarget[] = [];
  const add = (key: Uint8Array, address: Address) => {
    const id = toHex(key);
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ key, address });
  };
  for (const server of configuration?.servers ?? []) add(server.key, server.address);
  for (const server of network.servers) add(server.key, server.address);
  return out;
}

/**
 * The newest chain any reachable server proves, each link checked from the network file.
 * Every target is asked at once how many changes it holds (CONFIG, index 0); the ask
 * settles once a majority of them answered (a server that is down does not hold a payment
 * up), and the chain is then fetched from the one that holds the most, falling back on the
 * next if it fails. A server behind knows a prefix of the chain; a liar cannot make a
 * longer one without a quorum's signatures. Null when no server answers.
 * `reportedBy` counts the servers that answered with the same number of changes.
 */
export async function learnChain(
  client: ClientTransport,
  network: Network,
  targets: readonly ServerTarget[] = targetsOf(network),
  options: { attempts?: number; timeoutMs?: number } = {},
): Promise<(LearnedChain & { reportedBy: number; asked: number; answered: number }) | null> {
  const answers: { target: ServerTarget; body: ConfigBody }[] = [];
  await new Promise<void>((resolve) => {
    let finished = 0;
    const majority = Math.floor(targets.length / 2) + 1;
    if (targets.length === 0) resolve();
    for (const target of targets) {
      client
        .ask(target.address, { kind: Kind.CONFIG, index: 0, offset: 0 }, { networkId: network.id, serverKey: target.key, attempts: options.attempts ?? addresses_ask_attempts, timeoutMs: options.timeoutMs ?? addresses_ask_timeout_ms })
        .then(
          (reply) => {
            if (reply.status === Status.OK && reply.body !== null && 'chunk' in reply.body) answers.push({ target, body: reply.body });
          },
          () => {},
        )
        .finally(() => {
          finished++;
          if (answers.length >= majority || finished === targets.length) resolve();
        });
    }
  });
  if (answers.length === 0) return null;
  answers.sort((a, b) => b.body.changes - a.body.changes || b.body.committedPeriod - a.body.committedPeriod);
  for (const { target, body } of answers) {
    try {
      const learned = body.changes === 0 ? { chain: [], configurations: configurationsOf(network, [], verify), committedPeriod: body.committedPeriod } : await fetchChain(client, network, target);
      const reportedBy = answers.filter((answer) => answer.body.changes === learned.chain.length).length;
      return { ...learned, reportedBy, asked: targets.length, answered: answers.length };
    } catch {
      // a server that cannot prove what it says: the next one
    }
  }
  return null;
}

/** Submits a signed change to one server; its verdict (ChangeVerdict) and the newest configuration it knows. */
export async function submitChange(client: ClientTransport, network: Network, target: ServerTarget, change: Change): Promise<ChangeBody> {
  const reply = await client.ask(target.address, { kind: Kind.CHANGE, change: encodeChange(change) }, { networkId: network.id, serverKey: target.key, ...ask });
  if (reply.status !== Status.OK || reply.body === null || !('verdict' in reply.body)) fail('BAD_REPLY', `CHANGE answered status ${reply.status}`);
  return reply.body;
}

/**
 * The network as a client uses it once it knows the configuration in force: the same id,
 * timing and genesis, with that configuration's servers (in its rotation order) where the
 * file's were. Majorities and the alpha follow them.
 */
export function withConfiguration(network: Network, configuration: Configuration): Network {
  if (configuration.number === 0) return network;
  const servers: ServerEntry[] = configuration.servers.map((server, index) => ({ index, key: server.key, keyHex: toHex(server.key), address: server.address }));
  const quorum = quorumOf(servers.length, network.quorumMode);
  return { ...network, servers, majority: Math.floor(servers.length / 2) + 1, quorum, faulty: network.quorumMode === 'two-thirds' ? servers.length - quorum : 0 };
}


/**
 * The directory of servers as the nodes number them (node/configurations.ts): the network
 * file's servers first, then every key the configurations bring in, in order of first
 * appearance. INFO's server index and alpha index are ids in it.
 */
export function directoryOf(configurations: readonly Configuration[]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const configuration of configurations) {
    for (const server of configuration.servers) {
      const hex = toHex(server.key);
      if (seen.has(hex)) continue;
      seen.add(hex);
      out.push(server.key);
    }
  }
  return out;
}
