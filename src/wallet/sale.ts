// A sale at the till (Take a payment, docs/PROTOCOL.md §6.17): the seller asks for an
// amount under a fresh reference, and the servers' history says what came of it. Pure:
// the terms, the verdict from history entries, the words a person reads, and when to ask
// the servers next; the till (till.ts) does the asking.
//
// What counts. A payment counts for a sale when a quorum of the servers in force list it
// committed (applied, its payer's signature checked) to this account, carrying the sale's
// reference. It is in time when its period is at most the period the request expires in
// (a payment is stamped in the period a server accepted it in, within the clocks' skew, so
// the period says when it was made, whoever's clock is wrong). Then, with R the sum of the
// payments in time and N the amount asked:
//
//   R = N                                   paid      (final: the till stops asking)
//   R > N                                   over      (final: more than asked)
//   0 < R < N                               short     (the rest may still come, until the
//                                                      last period is committed; then expired too)
//   R = 0, a payment after the last period  late      (it came after the till gave up)
//   R = 0, the last period committed        expired
//   R = 0 otherwise                         waiting
//
// The verdict moves only when a majority of the servers has committed the periods it
// speaks of (accountHistory lists nothing above the majority's committed period), so a
// server that is ahead, behind or lying cannot turn a till to Paid.

import { encodeAddress } from '../address.ts';
import { equal, toHex } from '../bytes.ts';
import type { HistoryEntry } from '../client/history.ts';
import { confirm_poll_first_ms, confirm_poll_max_ms } from '../constants.ts';
import { periodOf, startOf, type Timing } from '../schedule.ts';
import { payeeOf } from '../transaction.ts';
import { amountText } from '../amount-text.ts';

export interface SaleTerms {
  /** The account paid: the till's wallet. */
  readonly account: Uint8Array;
  readonly reference: bigint;
  readonly amount: number;
  /** The first period a payment of this sale can be in: the one it started in, less the clocks' skew. */
  readonly firstPeriod: number;
  /** The last period whose payments are in time: the one the request expires in. */
  readonly lastPeriod: number;
}

/** A sale to `account` started at `startedAt` (ms) that lives `lifetimeMs`. */
export function saleTerms(timing: Timing, account: Uint8Array, reference: bigint, amount: number, startedAt: number, lifetimeMs: number): SaleTerms {
  return {
    account,
    reference,
    amount,
    firstPeriod: Math.max(0, periodOf(timing, startedAt - timing.skewMs)),
    lastPeriod: periodOf(timing, startedAt + lifetimeMs),
  };
}

/** A fresh reference: a random u64 that is not 0, so that two tills of one shop never share one. */
export function freshReference(random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): bigint {
  for (;;) {
    const bytes = random(new Uint8Array(8));
    const reference = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
    if (reference !== 0n) return reference; // 0 is the 140-byte form: drawn once in 2^64
  }
}

export type SaleState = 'waiting' | 'paid' | 'short' | 'over' | 'expired' | 'late';

export const final_sale_states: readonly SaleState[] = ['paid', 'over'];

export interface SalePayment {
  readonly txid: string;
  readonly payer: string;
  readonly amount: number;
  readonly period: number;
  readonly index: number;
  /** The payment's timestamp, ms (as its payer's wallet stamped it: within the skew of its period). */
  readonly timestamp: number;
  /** Made after the period the request expired in. */
  readonly late: boolean;
}

export interface SaleVerdict {
  readonly state: SaleState;
  /** The sum of the payments in time. */
  readonly received: number;
  /** The payments that count, in time and late, oldest first. */
  readonly payments: readonly SalePayment[];
  /** The last period of the sale is committed by a majority: nothing more can come in time. */
  readonly closed: boolean;
}

/** Whether a history entry is a payment of the sale: to this account, its reference, committed by a quorum, its signature good. */
function counts(terms: SaleTerms, entry: HistoryEntry, quorum: number): boolean {
  return (
    entry.direction === 'in' &&
    equal(payeeOf(entry.tx), terms.account) &&
    entry.reference === terms.reference &&
    entry.applied &&
    entry.signatureValid &&
    entry.servers.length >= quorum &&
    entry.period >= terms.firstPeriod
  );
}

/**
 * What the servers' history says of a sale: `entries` are the account's payments as
 * accountHistory lists them (up to the majority's `committedPeriod`), newest first or in any
 * order; `quorum` is the network's.
 */
export function judgeSale(terms: SaleTerms, entries: readonly HistoryEntry[], committedPeriod: number, quorum: number): SaleVerdict {
  const seen = new Set<string>();
  const payments: SalePayment[] = [];
  for (const entry of entries) {
    if (!counts(terms, entry, quorum) || entry.period > committedPeriod) continue;
    const txid = toHex(entry.txid);
    if (seen.has(txid)) continue; // one payment listed twice (two pages): counted once
    seen.add(txid);
    payments.push({
      txid,
      payer: encodeAddress(entry.counterparty),
      amount: entry.amount,
      period: entry.period,
      index: entry.index,
      timestamp: entry.timestamp,
      late: entry.period > terms.lastPeriod,
    });
  }
  payments.sort((a, b) => a.period - b.period || a.index - b.index);
  const received = payments.filter((payment) => !payment.late).reduce((sum, payment) => sum + payment.amount, 0);
  const closed = committedPeriod >= terms.lastPeriod;
  const state: SaleState =
    received === terms.amount
      ? 'paid'
      : received > terms.amount
        ? 'over'
        : received > 0
          ? 'short'
          : payments.length > 0
            ? 'late'
            : closed
              ? 'expired'
              : 'waiting';
  return { state, received, payments, closed };
}

const scryp = (amount: number) => `${amountText(amount)} scryp`;

/** One sentence for the seller (and the customer looking at the screen): what came of the sale and what to do. */
export function saleInWords(terms: SaleTerms, verdict: SaleVerdict, lifetimeMs: number): string {
  const inTime = verdict.payments.filter((payment) => !payment.late);
  const late = verdict.payments.filter((payment) => payment.late);
  const lateSum = late.reduce((sum, payment) => sum + payment.amount, 0);
  const [count, unit] = lifetimeMs >= 120_000 ? [Math.round(lifetimeMs / 60_000), 'minute'] : [Math.max(1, Math.round(lifetimeMs / 1000)), 'second'];
  const minutes = `${count} ${unit}${count === 1 ? '' : 's'}`;
  switch (verdict.state) {
    case 'waiting':
      return 'Waiting for payment…';
    case 'paid':
      return inTime.length === 1
        ? `Paid in full: ${scryp(terms.amount)}, committed in period ${inTime[0]!.period}.`
        : `Paid in full: ${scryp(terms.amount)} in ${inTime.length} payments with this reference, the last committed in period ${inTime[inTime.length - 1]!.period}.`;
    case 'over':
      return `More than asked: ${scryp(verdict.received)} arrived for ${scryp(terms.amount)}. Give back the ${scryp(verdict.received - terms.amount)} over, or refund the payment and ask again.`;
    case 'short':
      return verdict.closed
        ? `Too little, and the request expired: ${scryp(verdict.received)} of ${scryp(terms.amount)} arrived with this reference. Refund it, or start a new sale for the rest.`
        : `Too little: ${scryp(verdict.received)} of ${scryp(terms.amount)} arrived with this reference. Ask for the rest (${scryp(terms.amount - verdict.received)}: the code below asks for it), or refund.`;
    case 'late':
      return `Too late: ${scryp(lateSum)} arrived with this reference after the request expired. Refund it, or take it as paid.`;
    case 'expired':
      return `Expired: no payment arrived within ${minutes}. Start a new sale if the customer still wants to pay.`;
  }
}

/**
 * When to ask the servers next, after a check at `checkedAt` that found the majority's
 * committed period `committedPeriod` (null: no majority answered). Right after the next
 * commit is due (a period commits a few ms after it ends) when the newest period due is
 * committed; else again soon, `gapMs`, which doubles up to a quarter period (at most
 * confirm_poll_max_ms): a late commit is seen within milliseconds, a stalled network is not
 * asked hundreds of times. Returns the time and the gap after this one.
 */
export function nextCheck(timing: Timing, checkedAt: number, committedPeriod: number | null, gapMs: number): { at: number; gapMs: number } {
  const due = periodOf(timing, checkedAt) - 1; // the newest period that has ended
  if (committedPeriod !== null && committedPeriod >= due) return { at: startOf(timing, committedPeriod + 2) + confirm_poll_first_ms, gapMs: confirm_poll_first_ms };
  const cap = Math.min(confirm_poll_max_ms, Math.max(confirm_poll_first_ms, Math.floor(timing.periodMs / 4)));
  return { at: checkedAt + gapMs, gapMs: Math.min(cap, gapMs * 2) };
}
