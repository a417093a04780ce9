// A refund: the payment that paid this wallet, paid back to its payer, the same amount with
// the same reference (or none, when it had none), so the payer's books match it to the
// payment it undoes. What may be refunded is decided here, from the account's history as
// the servers list it (findPayment), before anything is signed: a payment a quorum of the
// servers list as committed, to this wallet. Through a ClientTransport: the CLI (`scryp pay
// --refund`) and a page ask alike.

import { equal, toHex } from '../bytes.ts';
import { fail } from '../errors.ts';
import type { Network } from '../network.ts';
import { findPayment, type HistoryEntry } from './history.ts';
import type { ClientTransport } from './transport.ts';

export interface Refund {
  /** The payment refunded, as the servers list it. */
  readonly original: HistoryEntry;
  /** Its payer: whom the refund pays. */
  readonly to: Uint8Array;
  readonly amount: number;
  /** The original's reference, or undefined when it had none. */
  readonly reference?: bigint;
}

/**
 * What refunding payment `txid` to `account` pays, or why it may not be refunded:
 * REFUND_NOT_FOUND (not in the account's history), REFUND_NOT_RECEIVED (the account paid
 * it, it was not paid to it), REFUND_VOID (skipped: no money moved), REFUND_NOT_CONFIRMED
 * (fewer than a quorum of the servers list it, or its payer's signature does not verify).
 */
export async function refundOf(client: ClientTransport, network: Network, account: Uint8Array, txid: Uint8Array): Promise<Refund> {
  const original = await findPayment(client, network, account, txid);
  if (original === null) fail('REFUND_NOT_FOUND', `payment ${toHex(txid)} is not among this wallet's payments as the servers list them: check the txid (scryp history shows them)`);
  return refundOfEntry(network, account, original);
}

/** The refund of a payment the servers listed (the pure half of refundOf). */
export function refundOfEntry(network: Network, account: Uint8Array, original: HistoryEntry): Refund {
  const txid = toHex(original.txid);
  if (original.direction !== 'in' || equal(original.counterparty, account)) fail('REFUND_NOT_RECEIVED', `payment ${txid} was paid by this wallet, not to it: only a payment received can be refunded`);
  if (!original.signatureValid) fail('REFUND_NOT_CONFIRMED', `payment ${txid}'s payer signature does not verify: it is not a payment anyone made`);
  if (original.servers.length < network.quorum) {
    fail('REFUND_NOT_CONFIRMED', `only ${original.servers.length} of the ${network.servers.length} servers list payment ${txid}, a quorum is ${network.quorum}: wait until it is confirmed, or ask which servers disagree`);
  }
  if (!original.applied) fail('REFUND_VOID', `payment ${txid} is void (period ${original.period} was decided without it): no money moved, and there is nothing to refund`);
  return { original, to: original.counterparty, amount: original.amount, ...(original.reference === null ? {} : { reference: original.reference }) };
}
