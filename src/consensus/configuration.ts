// Configurations and changes: which servers take turns as alpha and beta and whose votes
// make a certificate, and how a quorum of them hands over to another set without a new
// network (PROTOCOL §3.9, §8.13).
//
// Configuration 0 is the network file's server list. A CHANGE names the configuration it
// replaces (its number and hash), the new server list in rotation order and the first
// period of the new configuration (0: the earliest allowed), and carries the signatures of
// a quorum of the configuration it replaces:
//
//   change = replaces u32 ‖ replaces hash (32) ‖ first u64 ‖ n u8 (1–64) ‖
//            n × (key (32) ‖ address (6)) ‖ m u8 ‖ m × (signer u16 ‖ signature (64))
//
// Each signature covers "scryp/change/v1" ‖ network id ‖ change[0 .. 45 + 38·n), the
// change without its signatures; a signer is a server's index in the
// configuration replaced, strictly increasing. Once a committed period c carries it, the
// new configuration is number replaces + 1, with first period F = first, or c + 4 when
// first is 0 (change_lead_periods); a change whose first is below c + 4 is refused, so
// every server learns it periods before it takes effect.
//
// This file is pure: bytes in, values or ScrypErrors out; signatures go through the
// injected verify function.

import { address_bytes, hash_bytes, key_bytes, servers_max, signature_bytes } from '../constants.ts';
import { equal, Reader, toHex, utf8, Writer } from '../bytes.ts';
import { assert, fail } from '../errors.ts';
import { domain, sha256 } from '../hash.ts';
import { type Address, formatAddress, pack, unpack } from '../ip.ts';
import { type Network, type QuorumMode, quorumOf } from '../network.ts';
import { describeKeyProblem, keyProblem } from '../signature.ts';

/**
 * A change takes effect at least this many periods after the period that carries it. The
 * alpha of a period takes payments only once it has committed this many periods before it
 * (node/alpha.ts), so it always knows whose turn the period is; 4 lets two periods in a row
 * go void before an alpha must refuse payments for that reason.
 */
export const change_lead_periods = 4;
/** Signatures in a change: at most one per server of the configuration it replaces. */
export const change_signatures_max = servers_max;
export const change_server_bytes = key_bytes + address_bytes;
export const change_signature_bytes = 2 + signature_bytes;
/** replaces u32 ‖ replaces hash ‖ first u64 ‖ n u8 */
export const change_head_bytes = 4 + hash_bytes + 8 + 1;

const configDomain = utf8('scryp/config/v1');
const changeDomain = utf8('scryp/change/v1');

export interface ConfigServer {
  readonly key: Uint8Array;
  /** The address the change (or the network file) gave; a server may move since (§3.10). */
  readonly address: Address;
}

export interface Configuration {
  /** 0 for the network file's servers; each committed change adds one. */
  readonly number: number;
  /** The first period decided under this configuration (0 for configuration 0). */
  readonly first: number;
  /** In rotation order: position i is "server i" of this configuration. */
  readonly servers: readonly ConfigServer[];
  readonly quorum: number;
  readonly mode: QuorumMode;
  /** sha256("scryp/config/v1" ‖ network id ‖ number u32 ‖ first u64 ‖ n u8 ‖ keys): addresses are left out, as in the network id. */
  readonly hash: Uint8Array;
}

export interface ChangeSignature {
  /** The signer's index in the configuration the change replaces. */
  readonly signer: number;
  readonly signature: Uint8Array;
}

export interface Change {
  readonly replaces: number;
  readonly replacesHash: Uint8Array;
  /** The first period of the new configuration, or 0 for the earliest allowed (carrier + 2). */
  readonly first: number;
  readonly servers: readonly ConfigServer[];
  readonly signatures: readonly ChangeSignature[];
}

export type Verify = (signature: Uint8Array, message: Uint8Array, key: Uint8Array) => boolean;

export function configurationHash(networkId: Uint8Array, number: number, first: number, servers: readonly ConfigServer[]): Uint8Array {
  const writer = new Writer(4 + 8 + 1 + key_bytes * servers.length).u32(number).u64(first).u8(servers.length);
  for (const server of servers) writer.put(server.key);
  return sha256(configDomain, networkId, writer.done());
}

function makeConfiguration(networkId: Uint8Array, mode: QuorumMode, number: number, first: number, servers: readonly ConfigServer[]): Configuration {
  return { number, first, servers, quorum: quorumOf(servers.length, mode), mode, hash: configurationHash(networkId, number, first, servers) };
}

/** Configuration 0: the network file's servers, in its order. */
export function genesisConfiguration(network: Network): Configuration {
  return makeConfiguration(
    network.id,
    network.quorumMode,
    0,
    0,
    network.servers.map((server) => ({ key: server.key, address: server.address })),
  );
}

// ---- bytes ---------------------------------------------------------------------------------

/** The bytes every signer signs: the change up to its signature count. */
export function changeBody(change: Omit<Change, 'signatures'>): Uint8Array {
  const writer = new Writer(change_head_bytes + change.servers.length * change_server_bytes)
    .u32(change.replaces)
    .put(change.replacesHash)
    .u64(change.first)
    .u8(change.servers.length);
  for (const server of change.servers) writer.put(server.key).put(pack(server.address.host, server.address.port));
  return writer.done();
}

export function changeSigningMessage(networkId: Uint8Array, change: Omit<Change, 'signatures'>): Uint8Array {
  const body = changeBody(change);
  const message = new Uint8Array(changeDomain.length + networkId.length + body.length);
  message.set(changeDomain, 0);
  message.set(networkId, changeDomain.length);
  message.set(body, changeDomain.length + networkId.length);
  return message;
}

/** A change's id, for logs and files: sha256 of its body (signatures left out, so signing does not change it). */
export function changeId(change: Omit<Change, 'signatures'>): Uint8Array {
  return sha256(changeBody(change));
}

export function encodeChange(change: Change): Uint8Array {
  const body = changeBody(change);
  const writer = new Writer(body.length + 1 + change.signatures.length * change_signature_bytes).put(body).u8(change.signatures.length);
  for (const entry of change.signatures) writer.u16(entry.signer).put(entry.signature);
  return writer.done();
}

/** Reads one change; shape only (counts, lengths, addresses): checkChange judges it. */
export function readChange(reader: Reader): Change {
  const replaces = reader.u32('replaces');
  const replacesHash = reader.take(hash_bytes, 'replaces_hash');
  const first = reader.u64('first');
  const n = reader.u8('servers');
  if (n === 0) fail('CHANGE_EMPTY', 'change: the new server list is empty; a network needs at least one server');
  if (n > servers_max) fail('CHANGE_TOO_MANY', `change: ${n} servers, at most ${servers_max}`);
  const servers: ConfigServer[] = [];
  for (let i = 0; i < n; i++) {
    const key = reader.take(key_bytes, `servers[${i}].key`);
    const address = unpack(reader.bytesView(address_bytes, `servers[${i}].address`));
    servers.push({ key, address });
  }
  const m = reader.u8('signatures');
  if (m > change_signatures_max) fail('CHANGE_SIGNATURES', `change: ${m} signatures, at most ${change_signatures_max}`);
  const signatures: ChangeSignature[] = [];
  for (let i = 0; i < m; i++) signatures.push({ signer: reader.u16(`signatures[${i}].signer`), signature: reader.take(signature_bytes, `signatures[${i}].signature`) });
  return { replaces, replacesHash, first, servers, signatures };
}

export function decodeChange(bytes: Uint8Array): Change {
  const reader = new Reader(bytes, 'change');
  const change = readChange(reader);
  reader.end();
  return change;
}

// ---- rules -----------------------------------------------------------------------------------

/**
 * The server list's own rules, whatever it replaces: 1–64 servers, keys someone can sign
 * for, no key or address twice. (Shape: the operator tools check it before anyone signs.)
 */
export function checkServerList(servers: readonly ConfigServer[]): void {
  if (servers.length === 0) fail('CHANGE_EMPTY', 'the new server list is empty; a network needs at least one server');
  if (servers.length > servers_max) fail('CHANGE_TOO_MANY', `${servers.length} servers, at most ${servers_max}`);
  const keys = new Set<string>();
  const addresses = new Set<string>();
  for (const [i, server] of servers.entries()) {
    const problem = keyProblem(server.key);
    if (problem !== null) fail('CHANGE_BAD_KEY', `servers[${i}].key ${toHex(server.key)}: ${describeKeyProblem(problem)}`);
    const hex = toHex(server.key);
    if (keys.has(hex)) fail('CHANGE_DUPLICATE_KEY', `servers[${i}].key ${hex} is listed twice`);
    keys.add(hex);
    const address = formatAddress(server.address);
    if (addresses.has(address)) fail('CHANGE_DUPLICATE_ADDRESS', `servers[${i}].ip ${address} is listed twice`);
    addresses.add(address);
  }
}

/** Whether this change is for that configuration: its number and its hash. */
export function checkReplaces(current: Configuration, change: Omit<Change, 'signatures'>): void {
  if (change.replaces !== current.number || !equal(change.replacesHash, current.hash)) {
    fail(
      'CHANGE_NOT_CURRENT',
      `the change replaces configuration ${change.replaces} (${toHex(change.replacesHash).slice(0, 16)}…), but configuration ${current.number} (${toHex(current.hash).slice(0, 16)}…) is in force: make the change again from the current one`,
    );
  }
}

/** The valid signers of a change, by their index in `current`; throws on a bad or misplaced signature. */
export function checkSignatures(networkId: Uint8Array, current: Configuration, change: Change, verify: Verify): number[] {
  const message = changeSigningMessage(networkId, change);
  const signers: number[] = [];
  let previous = -1;
  for (const [i, entry] of change.signatures.entries()) {
    if (entry.signer <= previous) fail('CHANGE_SIGNATURES', `signatures[${i}]: signers must be strictly increasing (server ${entry.signer} after ${previous})`);
    previous = entry.signer;
    const server = current.servers[entry.signer];
    if (server === undefined) fail('CHANGE_SIGNATURES', `signatures[${i}]: configuration ${current.number} has no server ${entry.signer} (it has ${current.servers.length})`);
    if (!verify(entry.signature, message, server.key)) fail('CHANGE_BAD_SIGNATURE', `signatures[${i}]: server ${entry.signer}'s signature does not verify for this change`);
    signers.push(entry.signer);
  }
  return signers;
}

/** The period the new configuration starts at, when period `carrier` carries the change. */
export function effectiveFirst(change: Pick<Change, 'first'>, carrier: number): number {
  return change.first === 0 ? carrier + change_lead_periods : change.first;
}

/**
 * Everything a change must satisfy to enter the ledger in period `carrier` on top of
 * `current` (with no other change pending): its list's rules, the configuration it
 * replaces, a quorum of valid signatures of that configuration, a first period at least
 * change_lead_periods after the carrier. Returns the configuration it makes.
 */
export function checkChange(networkId: Uint8Array, current: Configuration, change: Change, carrier: number, verify: Verify): Configuration {
  checkServerList(change.servers);
  checkReplaces(current, change);
  // Too few signatures is said before any is verified: a peer or a client cannot make us check them for nothing.
  const signers = change.signatures.length < current.quorum ? change.signatures.map((entry) => entry.signer) : checkSignatures(networkId, current, change, verify);
  if (signers.length < current.quorum) {
    fail('CHANGE_SIGNATURES', `${signers.length} signature${signers.length === 1 ? '' : 's'} of configuration ${current.number}, ${current.quorum} needed (its quorum of ${current.servers.length})`);
  }
  const first = effectiveFirst(change, carrier);
  if (first < carrier + change_lead_periods) {
    fail('CHANGE_TOO_LATE', `the change starts at period ${first}, but the earliest a change carried in period ${carrier} can start is ${carrier + change_lead_periods}: make it again with a later --at, or none`);
  }
  if (first <= current.first) {
    fail('CHANGE_TOO_LATE', `the change starts at period ${first}, but configuration ${current.number}, which it replaces, starts at period ${current.first}: a change starts after the one it replaces`);
  }
  return nextConfiguration(networkId, current, change, first);
}

export function nextConfiguration(networkId: Uint8Array, current: Configuration, change: Omit<Change, 'signatures'>, first: number): Configuration {
  assert(first >= current.first, 'configurations start in order');
  return makeConfiguration(networkId, current.mode, current.number + 1, first, change.servers);
}

// ---- the chain of changes ------------------------------------------------------------------

/** A change as the ledger holds it: with the period that carried it. */
export interface CommittedChange {
  readonly carrier: number;
  readonly change: Change;
}

export function encodeCommittedChange(entry: CommittedChange): Uint8Array {
  const change = encodeChange(entry.change);
  return new Writer(8 + change.length).u64(entry.carrier).put(change).done();
}

export function readCommittedChange(reader: Reader): CommittedChange {
  const carrier = reader.u64('carrier');
  return { carrier, change: readChange(reader) };
}

/**
 * The digest of the chain of committed changes that the state hash binds (§9):
 * d_1 = sha256("scryp/changes/v1" ‖ 32 zero bytes ‖ carrier u64 ‖ change), then
 * d_i = sha256("scryp/changes/v1" ‖ d_(i−1) ‖ carrier u64 ‖ change); null for no change.
 */
export function chainDigestOf(chain: readonly CommittedChange[]): Uint8Array | null {
  let digest: Uint8Array | null = null;
  for (const entry of chain) digest = extendChainDigest(digest, entry);
  return digest;
}

export function extendChainDigest(previous: Uint8Array | null, entry: CommittedChange): Uint8Array {
  return sha256(domain.changes, previous ?? new Uint8Array(hash_bytes), encodeCommittedChange(entry));
}

/**
 * Checks a chain of committed changes from configuration 0 and returns every
 * configuration it makes, configuration 0 first. Each change must replace the one before
 * it, carry a quorum of its signatures and start after it; carriers must increase. This is
 * what a new server or a wallet holding only the network file checks before it trusts a
 * server list (and the state hash binds the newest, §9).
 */
export function configurationsOf(network: Network, chain: readonly CommittedChange[], verify: Verify): Configuration[] {
  const configurations = [genesisConfiguration(network)];
  let lastCarrier = 0;
  for (const [i, entry] of chain.entries()) {
    const current = configurations[configurations.length - 1]!;
    if (entry.carrier <= lastCarrier || entry.carrier < current.first) {
      fail('CHANGE_CHAIN', `change ${i + 1}: carried in period ${entry.carrier}, not after the previous change (period ${lastCarrier}) and the start of configuration ${current.number} (period ${current.first})`);
    }
    configurations.push(checkChange(network.id, current, entry.change, entry.carrier, verify));
    lastCarrier = entry.carrier;
  }
  return configurations;
}

/**
 * The configuration that decides a period whose decision builds on committed period
 * `parent` (§8.13): the newest one whose change is carried at or before the parent and
 * that starts at or before parent + 1. Being a function of the parent's chain alone is
 * what keeps two certificates from conflicting across a change. With `period`, the
 * configuration whose turn period `period` is on that parent (its alpha and beta): the
 * newest carried by the parent that starts at or before `period`. The two differ only
 * when the periods just before a change's first period are void.
 */
export function configurationAt(configurations: readonly Configuration[], carriers: readonly number[], parent: number, period = parent + 1): Configuration {
  // carriers[i] is the period that carried configuration i (0 for configuration 0).
  let chosen = configurations[0]!;
  for (let i = 1; i < configurations.length; i++) {
    const configuration = configurations[i]!;
    if (carriers[i]! <= parent && configuration.first <= period) chosen = configuration;
  }
  return chosen;
}
