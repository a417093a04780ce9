// A server's signed word of where it is now (docs/PROTOCOL.md §3.10): the network file
// fixes each server's first address, and a server that moves says so itself, with no vote.
//
//   record (110) = server key (32) || address (6, ip.ts pack) || sequence u64 || signature (64)
//   signature    = Ed25519 by that server key over "scryp/address/v1" || network_id || record[0..46)
//
// The network file's address counts as sequence 0; the record with the highest sequence
// wins. Only the key's owner can sign one, and a replayed old record loses to the newer one,
// so no other server has to agree. A server that moves signs sequence = max(its last own
// sequence + 1, the time in ms): a fresh key directory still moves forward.
//
// Pure: signatures are checked by the `verify` the caller injects (the node's strict one).

import { address_bytes, address_record_bytes, key_bytes, signature_bytes, u64_safe_max } from './constants.ts';
import { abytes, aint, concat, equal, Reader, Writer } from './bytes.ts';
import { domain } from './hash.ts';
import { type Address, pack, unpack } from './ip.ts';
import type { Network } from './network.ts';
import { serverIndexOf } from './network.ts';
import type { Signer } from './signature.ts';

/** What the signature covers of a record: key, address and sequence. */
export const address_record_signed_bytes = key_bytes + address_bytes + 8;

export interface AddressRecord {
  /** The server's key (a server of the network). */
  readonly key: Uint8Array;
  /** The address, packed (§3.5): unpack() gives host and port. */
  readonly address: Uint8Array;
  /** Higher is newer; the network file's address is sequence 0. */
  readonly sequence: number;
  readonly signature: Uint8Array;
}

export type Verify = (signature: Uint8Array, message: Uint8Array, key: Uint8Array) => boolean;

export function encodeAddressRecord(record: AddressRecord): Uint8Array {
  return new Writer(address_record_bytes)
    .put(abytes(record.key, key_bytes, 'key'))
    .put(abytes(record.address, address_bytes, 'address'))
    .u64(aint(record.sequence, 0, u64_safe_max, 'sequence'))
    .put(abytes(record.signature, signature_bytes, 'signature'))
    .done();
}

/** Reads one record from a reader (a message, a reply body), strictly: the address must unpack (port 0 is refused). */
export function readAddressRecord(reader: Reader): AddressRecord {
  const key = reader.take(key_bytes, 'key');
  const address = reader.take(address_bytes, 'address');
  unpack(address); // BAD_ADDRESS for port 0
  const sequence = reader.u64('sequence');
  const signature = reader.take(signature_bytes, 'signature');
  return { key, address, sequence, signature };
}

/** Exactly 110 bytes (shorter or longer is BAD_LENGTH; port 0 is BAD_ADDRESS). */
export function decodeAddressRecord(bytes: Uint8Array): AddressRecord {
  const reader = new Reader(bytes, 'address record');
  const record = readAddressRecord(reader);
  reader.end();
  return record;
}

export function addressRecordSigningMessage(networkId: Uint8Array, record: Omit<AddressRecord, 'signature'>): Uint8Array {
  const signed = new Writer(address_record_signed_bytes).put(abytes(record.key, key_bytes, 'key')).put(abytes(record.address, address_bytes, 'address')).u64(record.sequence).done();
  return concat(domain.address, abytes(networkId, 32, 'networkId'), signed);
}

export function signAddressRecord(signer: Signer, networkId: Uint8Array, address: Address, sequence: number): AddressRecord {
  const unsigned = { key: signer.publicKey, address: pack(address.host, address.port), sequence: aint(sequence, 0, u64_safe_max, 'sequence') };
  return { ...unsigned, signature: signer.sign(addressRecordSigningMessage(networkId, unsigned)) };
}

/**
 * The server index the record speaks for, when it is valid for this network: its key is a
 * server's and its signature verifies under it. -1 for an unknown key, -2 for a bad signature.
 */
export function checkAddressRecord(network: Network, record: AddressRecord, verify: Verify): number {
  const index = serverIndexOf(network, record.key);
  if (index < 0) return -1;
  return verify(record.signature, addressRecordSigningMessage(network.id, record), record.key) ? index : -2;
}

/** Whether `a` replaces `b` (or the network file's address, when b is null: sequence 0); gateway records compare the same way. */
export function isNewer(a: { readonly sequence: number }, b: { readonly sequence: number } | null): boolean {
  return a.sequence > (b?.sequence ?? 0);
}

/** The sequence of a server's next record: above its last own one, and the time in ms when that is higher. */
export function nextSequence(lastOwn: number, nowMs: number): number {
  return Math.max(lastOwn + 1, Math.floor(nowMs));
}

export function addressOf(record: AddressRecord): Address {
  return unpack(record.address);
}

export function sameRecord(a: AddressRecord, b: AddressRecord): boolean {
  return a.sequence === b.sequence && equal(a.key, b.key) && equal(a.address, b.address) && equal(a.signature, b.signature);
}
