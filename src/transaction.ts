// The payment, in its two forms (docs/PROTOCOL.md §5):
//
//   the 140-byte payment, byte for byte the author's layout
//     offset  size  field
//          0     8  timestamp (u64, ms since the epoch)
//          8     4  amount (u32)
//         12    32  payee id (Ed25519 public key)
//         44    32  payer id (Ed25519 public key)
//         76    64  payer's signature over "scryp/tx/v1" || network_id || tx[0..76)
//
//   the 148-byte payment with a reference (v1.2: an invoice number the payee chose)
//          0    76  as above: timestamp, amount, payee, payer
//         76     8  reference (u64, 1 … 2^64 − 1; 0 is refused: that is the 140-byte form)
//         84    64  payer's signature over "scryp/tx/v2" || network_id || tx[0..84)
//
// The form is the length: everything below reads a payment of either form by it, so the
// node, which keeps a payment as its raw bytes on the hot path, treats both alike.
// txid = sha256(signed body): the body, not the signature, so a second signature of the
// same body is the same payment. A reference can never be taken off or changed: it is
// signed, and the two forms sign under different tags, so no 148-byte payment's signature
// is also a 140-byte payment's.

import { key_bytes, reference_max, referenced_transaction_bytes, signature_bytes, transaction_bytes } from './constants.ts';
import { abytes, aint, concat, describe, Reader, view, Writer } from './bytes.ts';
import { fail } from './errors.ts';
import { domain, sha256 } from './hash.ts';
import type { Signer } from './signature.ts';
import { balance_max, u64_safe_max } from './constants.ts';

export interface Payment {
  readonly timestamp: number;
  readonly amount: number;
  readonly payee: Uint8Array;
  readonly payer: Uint8Array;
  /** The payee's reference (1 … 2^64 − 1); absent in the 140-byte form. */
  readonly reference?: bigint;
  readonly signature: Uint8Array;
}

export const payee_offset = 12;
export const payer_offset = 44;
/** Where the 140-byte form's signature starts (signatureOffsetOf for either form). */
export const signature_offset = 76;
export const reference_offset = 76;

/** Whether these bytes are a payment's length: 140 (plain) or 148 (with a reference). */
export const isPaymentLength = (length: number): boolean => length === transaction_bytes || length === referenced_transaction_bytes;
/** Whether a payment (140 or 148 bytes) carries a reference. */
export const hasReference = (tx: Uint8Array): boolean => tx.length === referenced_transaction_bytes;

export const timestampOf = (tx: Uint8Array): number => view(tx).getUint32(0) * 0x1_0000_0000 + view(tx).getUint32(4);
export const amountOf = (tx: Uint8Array): number => view(tx).getUint32(8);
export const payeeOf = (tx: Uint8Array): Uint8Array => tx.subarray(payee_offset, payee_offset + key_bytes);
export const payerOf = (tx: Uint8Array): Uint8Array => tx.subarray(payer_offset, payer_offset + key_bytes);
export const signatureOffsetOf = (tx: Uint8Array): number => tx.length - signature_bytes;
export const signatureOf = (tx: Uint8Array): Uint8Array => tx.subarray(tx.length - signature_bytes);
export const signedBodyOf = (tx: Uint8Array): Uint8Array => tx.subarray(0, tx.length - signature_bytes);

/** The reference of a 148-byte payment; null for the 140-byte form. */
export function referenceOf(tx: Uint8Array): bigint | null {
  return hasReference(tx) ? view(tx).getBigUint64(reference_offset) : null;
}

export function txidOf(tx: Uint8Array): Uint8Array {
  return sha256(signedBodyOf(tx));
}

/** What the payer signs: domain-separated by form, and bound to one network. */
export function signingMessage(networkId: Uint8Array, tx: Uint8Array): Uint8Array {
  return concat(hasReference(tx) ? domain.transactionWithReference : domain.transaction, networkId, signedBodyOf(tx));
}

/** A reference as a person or a request gives it: 1 … 2^64 − 1 (a bigint, or a safe integer). */
export function areference(value: unknown, field: string): bigint {
  const reference = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof reference !== 'bigint') fail('BAD_TYPE', `${field}: expected an integer, got ${describe(value)}`);
  if (reference < 1n || reference > reference_max) fail('OUT_OF_RANGE', `${field}: expected 1..${reference_max}, got ${reference}`);
  return reference;
}

/**
 * Strict decode of either form: exactly 140 or 148 bytes, a timestamp that fits in
 * 2^53 − 1, and in the 148-byte form a reference that is not 0.
 */
export function decodeTransaction(bytes: Uint8Array): Payment {
  abytes(bytes, undefined, 'transaction');
  if (!isPaymentLength(bytes.length)) fail('BAD_LENGTH', `transaction: ${bytes.length} bytes, expected ${transaction_bytes} or ${referenced_transaction_bytes}`);
  const reader = new Reader(bytes, 'transaction');
  const fields = {
    timestamp: reader.u64('timestamp'),
    amount: reader.u32('amount'),
    payee: reader.take(key_bytes, 'payee'),
    payer: reader.take(key_bytes, 'payer'),
  };
  let payment: Payment;
  if (hasReference(bytes)) {
    const reference = view(bytes).getBigUint64(reader.offset);
    reader.offset += 8;
    if (reference === 0n) fail('OUT_OF_RANGE', 'transaction.reference: 0 (a payment without a reference is the 140-byte form)');
    payment = { ...fields, reference, signature: reader.take(signature_bytes, 'signature') };
  } else {
    payment = { ...fields, signature: reader.take(signature_bytes, 'signature') };
  }
  reader.end();
  return payment;
}

/** The 140-byte form, or the 148-byte form when the payment has a reference. */
export function encodeTransaction(payment: Payment): Uint8Array {
  const reference = payment.reference === undefined ? null : areference(payment.reference, 'reference');
  const writer = new Writer(reference === null ? transaction_bytes : referenced_transaction_bytes)
    .u64(aint(payment.timestamp, 0, u64_safe_max, 'timestamp'))
    .u32(aint(payment.amount, 0, balance_max, 'amount'))
    .put(abytes(payment.payee, key_bytes, 'payee'))
    .put(abytes(payment.payer, key_bytes, 'payer'));
  if (reference !== null) {
    view(writer.bytes).setBigUint64(writer.offset, reference);
    writer.offset += 8;
  }
  return writer.put(abytes(payment.signature, signature_bytes, 'signature')).done();
}

/** Builds and signs a payment from the payer's signer: the 148-byte form when it has a reference. */
export function signPayment(
  signer: Signer,
  networkId: Uint8Array,
  fields: { timestamp: number; amount: number; payee: Uint8Array; reference?: bigint },
): Uint8Array {
  const tx = encodeTransaction({ ...fields, payer: signer.publicKey, signature: new Uint8Array(signature_bytes) });
  tx.set(signer.sign(signingMessage(networkId, tx)), signatureOffsetOf(tx));
  return tx;
}

