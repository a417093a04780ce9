// Payments in a row, as one byte string: a period's batch (PROPOSAL, SYNC_RECORDS, the
// archive on disk), the payments of a FORWARD, the work of a signature thread
// (docs/PROTOCOL.md §7.6).
//
// A list is its payments one after the other, each as it is signed, in its own form
// (transaction.ts): a 140-byte payment as it is, a 148-byte payment after one tag byte
// 0x02. The forms are told apart by the first byte of each: a 140-byte payment starts
// with the high byte of its timestamp, 0x00 for every time before 2^56 ms (about two
// million years; a server takes only payments stamped now), so 0x02 can only be the tag.
// A list of 140-byte payments is therefore byte for byte what it was before payments
// had references, and its count and its sha256 (the proposal header's) are unchanged.
//
// Decoding is strict: the count given, each payment whole, every first byte 0x00 or the
// tag, no reference 0 (that payment has a 140-byte form), no trailing bytes.

import { referenced_transaction_bytes, transaction_bytes } from './constants.ts';
import { abytes, type Reader } from './bytes.ts';
import { assert, fail } from './errors.ts';
import { hasReference, isPaymentLength, reference_offset } from './transaction.ts';

/** The byte before each 148-byte payment in a list (the "v2" of its signing tag). */
export const reference_form_tag = 0x02;

/** Bytes a payment takes in a list: 140, or 1 + 148. */
export function listedBytesOf(tx: Uint8Array): number {
  return hasReference(tx) ? 1 + referenced_transaction_bytes : transaction_bytes;
}

/** The list of these payments, in this order. */
export function encodePaymentList(payments: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const tx of payments) {
    assert(isPaymentLength(tx.length), 'a payment is 140 or 148 bytes');
    assert(hasReference(tx) || tx[0] === 0, 'a 140-byte payment in a list is stamped before 2^56 ms');
    size += listedBytesOf(tx);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const tx of payments) {
    if (hasReference(tx)) out[offset++] = reference_form_tag;
    out.set(tx, offset);
    offset += tx.length;
  }
  return out;
}

/**
 * Walks a list from `offset`, at most `count` payments (all of them when count is null):
 * calls `each` with a view of every payment and its position; returns where it stopped.
 * `what` names the list in errors (BAD_MESSAGE).
 */
function walk(bytes: Uint8Array, offset: number, count: number | null, what: string, each: ((tx: Uint8Array, index: number) => void) | null): number {
  abytes(bytes, undefined, what);
  let index = 0;
  for (; count === null ? offset < bytes.length : index < count; index++) {
    const first = bytes[offset];
    if (first === undefined) fail('BAD_MESSAGE', `${what}: payment ${index} is missing (${count} announced)`);
    let start = offset;
    let length = transaction_bytes;
    if (first === reference_form_tag) {
      start = offset + 1;
      length = referenced_transaction_bytes;
    } else if (first !== 0) {
      fail('BAD_MESSAGE', `${what}: payment ${index} starts with 0x${first.toString(16).padStart(2, '0')}, neither a 140-byte payment (0x00) nor the tag of a 148-byte one (0x02)`);
    }
    const end = start + length;
    if (end > bytes.length) fail('BAD_MESSAGE', `${what}: payment ${index} needs ${end - offset} bytes, ${bytes.length - offset} left`);
    const tx = bytes.subarray(start, end);
    if (length === referenced_transaction_bytes && isZeroReference(tx)) fail('BAD_MESSAGE', `${what}: payment ${index} has reference 0 (that payment has a 140-byte form)`);
    each?.(tx, index);
    offset = end;
  }
  return offset;
}

function isZeroReference(tx: Uint8Array): boolean {
  for (let i = reference_offset; i < reference_offset + 8; i++) if (tx[i] !== 0) return false;
  return true;
}

/** Calls `each` with a view of every payment of a list, in order; throws BAD_MESSAGE on a malformed list. */
export function forEachPayment(list: Uint8Array, each: (tx: Uint8Array, index: number) => void, what = 'payment list'): void {
  walk(list, 0, null, what, each);
}

/** Views of a list's payments, in order; throws BAD_MESSAGE on a malformed list. */
export function paymentsIn(list: Uint8Array, what = 'payment list'): Uint8Array[] {
  const out: Uint8Array[] = [];
  walk(list, 0, null, what, (tx) => out.push(tx));
  return out;
}

/** How many payments a list holds; throws BAD_MESSAGE on a malformed list. */
export function paymentCount(list: Uint8Array, what = 'payment list'): number {
  let count = 0;
  walk(list, 0, null, what, () => count++);
  return count;
}

/** Reads a list of `count` payments (at most `max`) from a message: a copy of its bytes, which hold exactly those payments. */
export function readPaymentList(reader: Reader, count: number, max: number, field: string): Uint8Array {
  const what = `${reader.what}.${field}`;
  if (count > max) fail('BAD_MESSAGE', `${what}: ${count} payments, at most ${max}`);
  const end = walk(reader.bytes, reader.offset, count, what, null);
  return reader.take(end - reader.offset, field);
}

