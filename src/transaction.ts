// The 140-byte payment, byte for byte the author's layout:
//
//   offset  size  field
//        0     8  timestamp (u64, ms since the epoch)
//        8     4  amount (u32)
//       12    32  payee id (Ed25519 public key)
//       44    32  payer id (Ed25519 public key)
//       76    64  payer's signature over "scryp/tx/v1" || network_id || tx[0..76)
//
// txid = sha256(tx[0..76)): the signed body, so a second signature of the same body is
// the same payment. On the hot path a payment stays as its raw bytes; the accessors read
// fields in place.

import { key_bytes, signature_bytes, transaction_bytes, transaction_signed_bytes } from './constants.ts';
import { abytes, aint, concat, Reader, view, Writer } from './bytes.ts';
import { domain, sha256 } from './hash.ts';
import type { Signer } from './signature.ts';
import { balance_max, u64_safe_max } from './constants.ts';

export interface Payment {
  readonly timestamp: number;
  readonly amount: number;
  readonly payee: Uint8Array;
  readonly payer: Uint8Array;
  readonly signature: Uint8Array;
}

export const payee_offset = 12;
export const payer_offset = 44;
export const signature_offset = 76;

export const timestampOf = (tx: Uint8Array): number => view(tx).getUint32(0) * 0x1_0000_0000 + view(tx).getUint32(4);
export const amountOf = (tx: Uint8Array): number => view(tx).getUint32(8);
export const payeeOf = (tx: Uint8Array): Uint8Array => tx.subarray(payee_offset, payee_offset + key_bytes);
export const payerOf = (tx: Uint8Array): Uint8Array => tx.subarray(payer_offset, payer_offset + key_bytes);
export const signatureOf = (tx: Uint8Array): Uint8Array => tx.subarray(signature_offset, signature_offset + signature_bytes);
export const signedBodyOf = (tx: Uint8Array): Uint8Array => tx.subarray(0, transaction_signed_bytes);

export function txidOf(tx: Uint8Array): Uint8Array {
  return sha256(signedBodyOf(tx));
}

/** What the payer signs: domain-separated and bound to one network. */
export function signingMessage(networkId: Uint8Array, tx: Uint8Array): Uint8Array {
  return concat(domain.transaction, networkId, signedBodyOf(tx));
}

/** Strict decode: exactly 140 bytes, a timestamp that fits in 2^53 - 1. */
export function decodeTransaction(bytes: Uint8Array): Payment {
  const reader = new Reader(abytes(bytes, transaction_bytes, 'transaction'), 'transaction');
  const payment = {
    timestamp: reader.u64('timestamp'),
    amount: reader.u32('amount'),
    payee: reader.take(key_bytes, 'payee'),
    payer: reader.take(key_bytes, 'payer'),
    signature: reader.take(signature_bytes, 'signature'),
  };
  reader.end();
  return payment;
}

export function encodeTransaction(payment: Payment): Uint8Array {
  return new Writer(transaction_bytes)
    .u64(aint(payment.timestamp, 0, u64_safe_max, 'timestamp'))
    .u32(aint(payment.amount, 0, balance_max, 'amount'))
    .put(abytes(payment.payee, key_bytes, 'payee'))
    .put(abytes(payment.payer, key_bytes, 'payer'))
    .put(abytes(payment.signature, signature_bytes, 'signature'))
    .done();
}

/** Builds and signs a payment from the payer's signer. */
export function signPayment(
  signer: Signer,
  networkId: Uint8Array,
  fields: { timestamp: number; amount: number; payee: Uint8Array },
): Uint8Array {
  const tx = encodeTransaction({ ...fields, payer: signer.publicKey, signature: new Uint8Array(signature_bytes) });
  tx.set(signer.sign(signingMessage(networkId, tx)), signature_offset);
  return tx;
}
