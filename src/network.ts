// The network file: the one JSON document all servers of a network share.
//
//   { "name", "period_ms", "blackout_ms", "skew_ms",
//     "servers": [ { "key": "<64 hex>", "ip": "a.b.c.d:port" } ],
//     "genesis": [ { "account": "<64 hex>", "balance": n } ],
//     "quorum": "majority" | "two-thirds" }            (optional: majority)
//
// Loading validates every field and names the one it refuses. The network id commits to
// everything except addresses, so a server may move without changing the network. A
// `majority` network's id is the same with the field or without it (as before the field
// existed); a `two-thirds` network's id commits to its quorum.

import {
  balance_max,
  genesis_accounts_max,
  key_bytes,
  network_file_bytes_max,
  network_name_bytes_max,
  period_ms_max,
  period_ms_min,
  servers_max,
} from './constants.ts';
import { compare, describe, fromHex, toHex, utf8, Writer } from './bytes.ts';
import { fail, isScrypError } from './errors.ts';
import { domain, sha256 } from './hash.ts';
import { type Address, formatAddress, parseAddress } from './ip.ts';
import { describeKeyProblem, keyProblem } from './signature.ts';

export interface ServerEntry {
  readonly index: number;
  readonly key: Uint8Array;
  readonly keyHex: string;
  readonly address: Address;
}

export interface GenesisEntry {
  readonly account: Uint8Array;
  readonly balance: number;
}

/**
 * How many servers' votes make a certificate (PROTOCOL §8.7, §8.11): `majority`, ⌊n/2⌋ + 1,
 * tolerates n − q servers down, none that lies; `two-thirds`, ⌊2n/3⌋ + 1, also tolerates
 * f = n − q servers that behave arbitrarily.
 */
export type QuorumMode = 'majority' | 'two-thirds';
export const quorumModes: readonly QuorumMode[] = ['majority', 'two-thirds'];

export function quorumOf(servers: number, mode: QuorumMode): number {
  return mode === 'majority' ? Math.floor(servers / 2) + 1 : Math.floor((2 * servers) / 3) + 1;
}

export interface Network {
  readonly name: string;
  readonly periodMs: number;
  readonly blackoutMs: number;
  readonly skewMs: number;
  readonly servers: readonly ServerEntry[];
  /** Sorted by account bytes, as the network id hashes it. */
  readonly genesis: readonly GenesisEntry[];
  readonly supply: number;
  readonly id: Uint8Array;
  /** More than half of the servers: how many matching answers a client believes. */
  readonly majority: number;
  readonly quorumMode: QuorumMode;
  /** The votes that make a certificate: the majority, or more than two thirds (quorumOf). */
  readonly quorum: number;
  /** Servers that may behave arbitrarily without splitting the ledger: n − quorum in two-thirds mode, 0 in majority mode. */
  readonly faulty: number;
}

const topFields = ['name', 'period_ms', 'blackout_ms', 'skew_ms', 'servers', 'genesis'];
const optionalFields = ['quorum'];

function refuse(field: string, message: string): never {
  fail('BAD_NETWORK_FILE', `${field}: ${message}`);
}

function integer(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) refuse(field, `expected an integer, got ${describe(value)}`);
  if (value < min || value > max) refuse(field, `expected ${min}..${max}, got ${value}`);
  return value;
}

function object(value: unknown, field: string, allowed: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(field, `expected an object, got ${describe(value)}`);
  // Plain objects only, as JSON.parse makes them: a typed array, Date or Map is not a JSON object (and
  // Object.keys of a large typed array would cost seconds).
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) refuse(field, `expected a plain object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) refuse(`${field === '' ? '' : `${field}.`}${key}`, `unknown field (expected one of ${allowed.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function key(value: unknown, field: string): Uint8Array {
  try {
    return fromHex(value, key_bytes, field);
  } catch (error) {
    if (isScrypError(error)) refuse(field, `expected 64 lowercase hex characters, got ${describe(value)}`);
    throw error;
  }
}

/**
 * A key someone can sign for (src/signature.ts): a server key no one holds would let anyone
 * sign its votes; genesis money at such a key could never move (or, before strict
 * verification, could be taken by anyone).
 */
function signableKey(value: Uint8Array, field: string): void {
  const problem = keyProblem(value);
  if (problem !== null) refuse(field, `no one can sign for this key: ${describeKeyProblem(problem)}`);
}

/** Validates a parsed JSON value as a network file. */
export function parseNetwork(json: unknown): Network {
  const top = object(json, '', [...topFields, ...optionalFields]);
  for (const field of topFields) if (!(field in top)) refuse(field, 'missing');

  if (typeof top.name !== 'string') refuse('name', `expected a string, got ${describe(top.name)}`);
  const name = top.name;
  const nameBytes = utf8(name);
  if (nameBytes.length < 1 || nameBytes.length > network_name_bytes_max) {
    refuse('name', `expected 1..${network_name_bytes_max} bytes, got ${nameBytes.length}`);
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) refuse('name', 'control characters are not allowed');

  const periodMs = integer(top.period_ms, period_ms_min, period_ms_max, 'period_ms');
  const blackoutMs = integer(top.blackout_ms, 0, periodMs - 1, 'blackout_ms');
  const skewMs = integer(top.skew_ms, 0, periodMs - 1, 'skew_ms');

  if (!Array.isArray(top.servers)) refuse('servers', `expected an array, got ${describe(top.servers)}`);
  if (top.servers.length < 1 || top.servers.length > servers_max) refuse('servers', `expected 1..${servers_max} servers, got ${top.servers.length}`);
  const seenKeys = new Set<string>();
  const seenAddresses = new Set<string>();
  // Array.from, not map: map skips the holes of a sparse array, which would reach the id as undefined.
  const servers: ServerEntry[] = Array.from(top.servers as unknown[], (entry: unknown, index: number) => {
    const field = `servers[${index}]`;
    const server = object(entry, field, ['key', 'ip']);
    const serverKey = key(server.key, `${field}.key`);
    signableKey(serverKey, `${field}.key`);
    const keyHex = toHex(serverKey);
    if (seenKeys.has(keyHex)) refuse(`${field}.key`, 'duplicate server key');
    seenKeys.add(keyHex);
    let address: Address;
    try {
      address = parseAddress(server.ip, `${field}.ip`);
    } catch (error) {
      if (isScrypError(error)) refuse(`${field}.ip`, error.message);
      throw error;
    }
    const addressText = formatAddress(address);
    if (seenAddresses.has(addressText)) refuse(`${field}.ip`, `duplicate address ${addressText}`);
    seenAddresses.add(addressText);
    return { index, key: serverKey, keyHex, address };
  });

  if (!Array.isArray(top.genesis)) refuse('genesis', `expected an array, got ${describe(top.genesis)}`);
  if (top.genesis.length > genesis_accounts_max) refuse('genesis', `at most ${genesis_accounts_max} accounts, got ${top.genesis.length}`);
  const seenAccounts = new Set<string>();
  let supply = 0;
  const genesis: GenesisEntry[] = Array.from(top.genesis as unknown[], (entry: unknown, index: number) => {
    const field = `genesis[${index}]`;
    const account = object(entry, field, ['account', 'balance']);
    const accountKey = key(account.account, `${field}.account`);
    signableKey(accountKey, `${field}.account`);
    const accountHex = toHex(accountKey);
    if (seenAccounts.has(accountHex)) refuse(`${field}.account`, 'duplicate account');
    seenAccounts.add(accountHex);
    // A zero balance is the same as no account (the state holds positive balances only).
    const balance = integer(account.balance, 1, balance_max, `${field}.balance`);
    supply += balance;
    if (supply > balance_max) refuse(`${field}.balance`, `the genesis supply exceeds 2^32 - 1`);
    return { account: accountKey, balance };
  });
  genesis.sort((a, b) => compare(a.account, b.account));

  let quorumMode: QuorumMode = 'majority';
  if ('quorum' in top) {
    if (typeof top.quorum !== 'string' || !(quorumModes as readonly string[]).includes(top.quorum)) {
      refuse('quorum', `expected "majority" or "two-thirds", got ${typeof top.quorum === 'string' ? `"${top.quorum}"` : describe(top.quorum)}`);
    }
    quorumMode = top.quorum as QuorumMode;
  }

  const id = networkId(name, periodMs, blackoutMs, skewMs, servers, genesis, quorumMode);
  const n = servers.length;
  const quorum = quorumOf(n, quorumMode);
  return { name, periodMs, blackoutMs, skewMs, servers, genesis, supply, id, majority: quorumOf(n, 'majority'), quorumMode, quorum, faulty: quorumMode === 'two-thirds' ? n - quorum : 0 };
}

/**
 * sha256("scryp/network/v1" || name_len u8 || name || period_ms u32 || blackout_ms u32 || skew_ms u32 || n u16 || keys ||
 * m u32 || (account || balance u32) × m [|| quorum u8 = 2 for two-thirds]): a majority network's id is unchanged.
 */
export function networkId(
  name: string,
  periodMs: number,
  blackoutMs: number,
  skewMs: number,
  servers: readonly { key: Uint8Array }[],
  sortedGenesis: readonly GenesisEntry[],
  quorumMode: QuorumMode = 'majority',
): Uint8Array {
  const nameBytes = utf8(name);
  const trailer = quorumMode === 'majority' ? 0 : 1;
  const size = 1 + nameBytes.length + 12 + 2 + key_bytes * servers.length + 4 + (key_bytes + 4) * sortedGenesis.length + trailer;
  const writer = new Writer(size).u8(nameBytes.length).put(nameBytes).u32(periodMs).u32(blackoutMs).u32(skewMs).u16(servers.length);
  for (const server of servers) writer.put(server.key);
  writer.u32(sortedGenesis.length);
  for (const entry of sortedGenesis) writer.put(entry.account).u32(entry.balance);
  if (quorumMode === 'two-thirds') writer.u8(quorum_two_thirds_code);
  return sha256(domain.network, writer.done());
}

/** The byte that follows the genesis list in a two-thirds network's id (1 would be majority, which is left out). */
export const quorum_two_thirds_code = 2;

/**
 * The network of a network file's text; `where` names the file (or the URL it came from)
 * in every refusal, which is BAD_NETWORK_FILE. src/network-file.ts reads the file itself.
 */
export function parseNetworkText(text: string, where: string): Network {
  if (text.length > network_file_bytes_max) fail('BAD_NETWORK_FILE', `${where}: ${text.length} characters is over the ${network_file_bytes_max}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail('BAD_NETWORK_FILE', `${where}: not JSON (${(error as Error).message})`);
  }
  try {
    return parseNetwork(json);
  } catch (error) {
    if (isScrypError(error)) fail('BAD_NETWORK_FILE', `${where}: ${error.message.replace(/^BAD_NETWORK_FILE: /, '')}`);
    throw error;
  }
}

/** The JSON form, as written by `scryp network new` and read by parseNetwork. */
export function networkToJson(network: Network): object {
  return {
    name: network.name,
    period_ms: network.periodMs,
    blackout_ms: network.blackoutMs,
    skew_ms: network.skewMs,
    servers: network.servers.map((server) => ({ key: server.keyHex, ip: formatAddress(server.address) })),
    genesis: network.genesis.map((entry) => ({ account: toHex(entry.account), balance: entry.balance })),
    ...(network.quorumMode === 'majority' ? {} : { quorum: network.quorumMode }),
  };
}

export function serverIndexOf(network: Network, publicKey: Uint8Array): number {
  const hex = toHex(publicKey);
  return network.servers.findIndex((server) => server.keyHex === hex);
}
