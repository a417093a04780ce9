// A committed payment as JSON, for programs that hear about payments (docs/PROTOCOL.md
// §6.13): the body of a `scryp watch` webhook, the stdin of its --exec command, a line
// of its --jsonl, and the data of the gateway's `event: payment`. One owner for the form,
// so that a shop's receiver reads the same fields from each.
//
//   {"period","index","outcome":"applied"|"void","txid","time","payer","payee","amount","reference","tx"}
//
// Addresses in the scryp1… form; `time` is the payer's timestamp in ISO 8601 UTC;
// `reference` a decimal string (a u64 does not fit a JSON number) or null; `tx` the signed
// payment in hex, so that a receiver can check the payer's signature itself. A watcher
// adds whose side the payment is on: `account`, `direction` ("in": the account was paid)
// and the `network` id.

import { encodeAddress } from './address.ts';
import { toHex } from './bytes.ts';
import { type HistoryEntry, isoTime } from './client/history.ts';
import type { Network } from './network.ts';
import { amountOf, payeeOf, payerOf, referenceOf, timestampOf, txidOf } from './transaction.ts';

export interface PaymentEvent {
  readonly period: number;
  readonly index: number;
  readonly outcome: 'applied' | 'void';
  readonly txid: string;
  readonly time: string;
  readonly payer: string;
  readonly payee: string;
  readonly amount: number;
  readonly reference: string | null;
  readonly tx: string;
}

export function paymentEventOf(listed: { readonly period: number; readonly index: number; readonly applied: boolean; readonly tx: Uint8Array }): PaymentEvent {
  const tx = listed.tx;
  return {
    period: listed.period,
    index: listed.index,
    outcome: listed.applied ? 'applied' : 'void',
    txid: toHex(txidOf(tx)),
    time: isoTime(timestampOf(tx)),
    payer: encodeAddress(payerOf(tx)),
    payee: encodeAddress(payeeOf(tx)),
    amount: amountOf(tx),
    reference: referenceOf(tx)?.toString() ?? null, // the 148-byte form's; the 140-byte form has none
    tx: toHex(tx),
  };
}

/** What `scryp watch` hands on (one line of JSON): the payment, and whose side it is on. */
export function watchEventOf(network: Network, account: Uint8Array, entry: HistoryEntry): string {
  return JSON.stringify({ ...paymentEventOf(entry), account: encodeAddress(account), direction: entry.direction, network: toHex(network.id) });
}
