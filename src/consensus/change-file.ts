// The JSON forms of a server-set change that operators pass around (PROTOCOL §3.9.1):
//
//   the change file, written by `scryp network change`, signed by `scryp network sign`:
//     { "network": "<id hex>", "replaces": 0, "replaces_hash": "<64 hex>", "first_period": 0,
//       "servers": [ { "key": "<64 hex>", "ip": "a.b.c.d:port" } ],
//       "signatures": [ { "server": 0, "key": "<64 hex>", "signature": "<128 hex>" } ] }
//
//   the chain file, the committed changes from the network file on (`scryp network show --out`):
//     { "network": "<id hex>", "changes": [ { "carrier": 10, "change": "<hex of encodeChange>" } ] }
//
// Pure: JSON values in, values or ScrypErrors out (BAD_CHANGE_FILE naming the field). The
// shape is checked here; whether a change may replace a configuration is configuration.ts's.

import { describe, equal, fromHex, toHex } from '../bytes.ts';
import { hash_bytes, key_bytes, servers_max, signature_bytes, u64_safe_max } from '../constants.ts';
import { fail, isScrypError } from '../errors.ts';
import { formatAddress, parseAddress } from '../ip.ts';
import type { Network } from '../network.ts';
import {
  type Change,
  change_signatures_max,
  type ChangeSignature,
  type CommittedChange,
  type ConfigServer,
  type Configuration,
  configurationsOf,
  decodeChange,
  encodeChange,
  type Verify,
} from './configuration.ts';

/** A change file: the change, the network it is for, and the key each signature claims (informative). */
export interface ChangeFile {
  readonly network: Uint8Array;
  readonly change: Change;
  /** signatureKeys[i] is the key signatures[i] names; it must be that signer's key in the configuration replaced. */
  readonly signatureKeys: readonly Uint8Array[];
}

export interface ChainFile {
  readonly network: Uint8Array;
  readonly changes: readonly CommittedChange[];
}

function refuse(field: string, message: string): never {
  fail('BAD_CHANGE_FILE', `${field}: ${message}`);
}

function object(value: unknown, field: string, required: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(field || 'the file', `expected an object, got ${describe(value)}`);
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) refuse(field || 'the file', `expected a plain object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!required.includes(key)) refuse(`${field === '' ? '' : `${field}.`}${key}`, `unknown field (expected ${required.join(', ')})`);
  }
  for (const key of required) if (!(key in value)) refuse(`${field === '' ? '' : `${field}.`}${key}`, 'missing');
  return value as Record<string, unknown>;
}

function integer(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) refuse(field, `expected an integer, got ${describe(value)}`);
  if (value < min || value > max) refuse(field, `expected ${min}..${max}, got ${value}`);
  return value;
}

function hex(value: unknown, bytes: number | undefined, field: string): Uint8Array {
  if (typeof value !== 'string') refuse(field, `expected a hex string, got ${describe(value)}`);
  try {
    return fromHex(value, bytes, field);
  } catch (error) {
    if (isScrypError(error)) refuse(field, `expected ${bytes === undefined ? '' : `${2 * bytes} `}lowercase hex characters${error.code === 'BAD_LENGTH' ? `, got ${value.length}` : ''}`);
    throw error;
  }
}

function array(value: unknown, min: number, max: number, field: string): unknown[] {
  if (!Array.isArray(value)) refuse(field, `expected an array, got ${describe(value)}`);
  if (value.length < min || value.length > max) refuse(field, `expected ${min}..${max} entries, got ${value.length}`);
  return Array.from(value as unknown[]); // a sparse array's holes become undefined, and are refused as such
}

const changeFields = ['network', 'replaces', 'replaces_hash', 'first_period', 'servers', 'signatures'] as const;

/** Reads a change file's JSON value; every field is checked and named when refused. */
export function parseChangeFile(json: unknown): ChangeFile {
  const top = object(json, '', changeFields);
  const network = hex(top.network, hash_bytes, 'network');
  const replaces = integer(top.replaces, 0, 0xffff_ffff, 'replaces');
  const replacesHash = hex(top.replaces_hash, hash_bytes, 'replaces_hash');
  const first = integer(top.first_period, 0, u64_safe_max, 'first_period');
  const servers: ConfigServer[] = array(top.servers, 1, servers_max, 'servers').map((entry, i) => {
    const field = `servers[${i}]`;
    const server = object(entry, field, ['key', 'ip']);
    const key = hex(server.key, key_bytes, `${field}.key`);
    let address;
    try {
      address = parseAddress(server.ip, `${field}.ip`);
    } catch (error) {
      if (isScrypError(error)) refuse(`${field}.ip`, error.message.replace(/^BAD_ADDRESS: /, '').replace(`${field}.ip: `, ''));
      throw error;
    }
    return { key, address };
  });
  const signatureKeys: Uint8Array[] = [];
  let previous = -1;
  const signatures: ChangeSignature[] = array(top.signatures, 0, change_signatures_max, 'signatures').map((entry, i) => {
    const field = `signatures[${i}]`;
    const signature = object(entry, field, ['server', 'key', 'signature']);
    const signer = integer(signature.server, 0, servers_max - 1, `${field}.server`);
    if (signer <= previous) refuse(`${field}.server`, `signatures are in server order, each server once: ${signer} after ${previous}`);
    previous = signer;
    signatureKeys.push(hex(signature.key, key_bytes, `${field}.key`));
    return { signer, signature: hex(signature.signature, signature_bytes, `${field}.signature`) };
  });
  return { network, change: { replaces, replacesHash, first, servers, signatures }, signatureKeys };
}

/**
 * The change file's JSON value; each signature names its signer's key in `replaced` (the
 * configuration the change replaces), for the person reading the file.
 */
export function changeFileJson(networkId: Uint8Array, change: Change, replaced: Configuration): object {
  return {
    network: toHex(networkId),
    replaces: change.replaces,
    replaces_hash: toHex(change.replacesHash),
    first_period: change.first,
    servers: change.servers.map((server) => ({ key: toHex(server.key), ip: formatAddress(server.address) })),
    signatures: change.signatures.map((entry) => {
      const server = replaced.servers[entry.signer];
      if (server === undefined) fail('CHANGE_SIGNATURES', `configuration ${replaced.number} has no server ${entry.signer} (it has ${replaced.servers.length})`);
      return { server: entry.signer, key: toHex(server.key), signature: toHex(entry.signature) };
    }),
  };
}

/** The change file's text: two-space JSON and a final newline, as the other files scryp writes. */
export function formatChangeFile(networkId: Uint8Array, change: Change, replaced: Configuration): string {
  return `${JSON.stringify(changeFileJson(networkId, change, replaced), null, 2)}\n`;
}

/** Each signature's informative key is its signer's key in the configuration replaced. */
export function checkSignatureKeys(file: ChangeFile, replaced: Configuration): void {
  for (const [i, entry] of file.change.signatures.entries()) {
    const server = replaced.servers[entry.signer];
    if (server === undefined) refuse(`signatures[${i}].server`, `configuration ${replaced.number} has no server ${entry.signer} (it has ${replaced.servers.length})`);
    if (!equal(server.key, file.signatureKeys[i]!)) {
      refuse(`signatures[${i}].key`, `server ${entry.signer} of configuration ${replaced.number} has key ${toHex(server.key)}, not ${toHex(file.signatureKeys[i]!)}`);
    }
  }
}

// ---- the chain file ------------------------------------------------------------------------

/** Reads a chain file's JSON value: the shape of each committed change (not yet whether the chain holds). */
export function parseChainFile(json: unknown): ChainFile {
  const top = object(json, '', ['network', 'changes']);
  const network = hex(top.network, hash_bytes, 'network');
  if (!Array.isArray(top.changes)) refuse('changes', `expected an array, got ${describe(top.changes)}`);
  const changes = Array.from(top.changes as unknown[], (entry, i) => {
    const field = `changes[${i}]`;
    const committed = object(entry, field, ['carrier', 'change']);
    const carrier = integer(committed.carrier, 1, u64_safe_max, `${field}.carrier`);
    const bytes = hex(committed.change, undefined, `${field}.change`);
    try {
      return { carrier, change: decodeChange(bytes) };
    } catch (error) {
      if (isScrypError(error)) refuse(`${field}.change`, error.message);
      throw error;
    }
  });
  return { network, changes };
}

export function chainFileJson(networkId: Uint8Array, changes: readonly CommittedChange[]): object {
  return { network: toHex(networkId), changes: changes.map((entry) => ({ carrier: entry.carrier, change: toHex(encodeChange(entry.change)) })) };
}

/**
 * The configuration in force: the last one the chain makes from the network file, or
 * configuration 0 without a chain. A chain for another network is CHANGE_OTHER_NETWORK;
 * one that does not follow from the network file is CHANGE_CHAIN, whatever link fails.
 */
export function currentConfiguration(network: Network, chain: ChainFile | null, verify: Verify): Configuration {
  if (chain !== null && !equal(chain.network, network.id)) {
    fail('CHANGE_OTHER_NETWORK', `the chain file is for network ${toHex(chain.network).slice(0, 16)}…, not ${network.name} (${toHex(network.id).slice(0, 16)}…): give the --network file it belongs to`);
  }
  const changes = chain?.changes ?? [];
  try {
    const configurations = configurationsOf(network, changes, verify);
    return configurations[configurations.length - 1]!;
  } catch (error) {
    if (!isScrypError(error)) throw error;
    // Which link: the shortest prefix that fails (only on this path, so the cost is no matter).
    let link = changes.length;
    for (let n = 1; n < changes.length; n++) {
      try {
        configurationsOf(network, changes.slice(0, n), verify);
      } catch {
        link = n;
        break;
      }
    }
    const message = error.code === 'CHANGE_CHAIN' ? error.message.replace(/^CHANGE_CHAIN: /, '') : `change ${link} (carried in period ${changes[link - 1]!.carrier}): ${error.message}`;
    fail('CHANGE_CHAIN', `the chain file does not follow from the network file: ${message}; get it again from a server you trust (scryp network show --out)`);
  }
}
