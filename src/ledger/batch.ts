// The ledger rules for a period's batch, shared by the alpha (admitting payments one at a
// time) and by every server re-validating a PROPOSAL. Deterministic: the same base state
// and the same batch give the same outcome on every server.
//
// A payment in the batch of period k applies when, in order:
//   1. amount ≥ 1 and payer ≠ payee;
//   2. period(timestamp) = k;
//   3. its txid did not appear earlier in the batch;
//   4. the payer's balance, after the batch's earlier payments, covers the amount.
// Otherwise it is skipped (reported as void by STATUS), and the next one is tried.
//
// Signatures are checked once, by the server that receives the payment from a client
// (the alpha, or a server that forwards it); servers trust one another's checks, as the
// design trusts its servers. The clock-dependent parts of rule 2 (skew, blackout) are the
// alpha's alone: only period(timestamp) can be re-checked by everyone.

import { balance_max, transaction_bytes } from '../constants.ts';
import { toHex } from '../bytes.ts';
import { assert } from '../errors.ts';
import { periodOf, type Timing } from '../schedule.ts';
import { amountOf, payeeOf, payerOf, timestampOf, txidOf } from '../transaction.ts';
import type { AccountChange } from './state.ts';

export type BatchVerdict = 'ok' | 'bad_amount' | 'wrong_period' | 'duplicate' | 'insufficient_funds';

export interface BalanceSource {
  balanceOf(account: Uint8Array): number;
}

function samePayerPayee(tx: Uint8Array): boolean {
  const payee = payeeOf(tx);
  const payer = payerOf(tx);
  for (let i = 0; i < payee.length; i++) if (payee[i] !== payer[i]) return false;
  return true;
}

/** Rule 1 alone: cheap, and checked before anything else. */
export function checkAmount(tx: Uint8Array): boolean {
  return amountOf(tx) >= 1 && !samePayerPayee(tx);
}

/** Applies payments in order on top of a base state, keeping only the accounts they touch. */
export class BatchApplier implements BalanceSource {
  private readonly touched = new Map<string, { account: Uint8Array; balance: number }>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly base: BalanceSource,
    readonly period: number,
    private readonly timing: Timing,
  ) {}

  balanceOf(account: Uint8Array): number {
    return this.touched.get(toHex(account))?.balance ?? this.base.balanceOf(account);
  }

  has(txidHex: string): boolean {
    return this.seen.has(txidHex);
  }

  /** Rules 1 to 4, without changing anything. */
  check(tx: Uint8Array, txidHex: string): BatchVerdict {
    if (!checkAmount(tx)) return 'bad_amount';
    if (periodOf(this.timing, timestampOf(tx)) !== this.period) return 'wrong_period';
    if (this.seen.has(txidHex)) return 'duplicate';
    if (this.balanceOf(payerOf(tx)) < amountOf(tx)) return 'insufficient_funds';
    return 'ok';
  }

  /** Takes the payment into the batch: it is seen from now on, and applied if it passes. */
  apply(tx: Uint8Array, txidHex = toHex(txidOf(tx))): BatchVerdict {
    const verdict = this.check(tx, txidHex);
    this.seen.add(txidHex);
    if (verdict !== 'ok') return verdict;
    const amount = amountOf(tx);
    const payer = payerOf(tx);
    const payee = payeeOf(tx);
    this.set(payer, this.balanceOf(payer) - amount);
    const credited = this.balanceOf(payee) + amount;
    // Balances sum to the supply, which fits u32: a credit can never overflow.
    assert(credited <= balance_max, 'a credit stays within the supply');
    this.set(payee, credited);
    return verdict;
  }

  private set(account: Uint8Array, balance: number): void {
    const key = toHex(account);
    const entry = this.touched.get(key);
    if (entry === undefined) this.touched.set(key, { account: account.slice(), balance });
    else entry.balance = balance;
  }

  changes(): AccountChange[] {
    return [...this.touched.values()];
  }
}

export interface BatchOutcome {
  /** One byte per payment: 1 applied, 0 skipped. */
  readonly applied: Uint8Array;
  readonly appliedCount: number;
  readonly changes: AccountChange[];
}

/** Re-validates a whole batch (n × 140 bytes) against the state after its parent. */
export function replayBatch(base: BalanceSource, period: number, timing: Timing, transactions: Uint8Array): BatchOutcome {
  assert(transactions.length % transaction_bytes === 0, 'a batch is a whole number of payments');
  const applier = new BatchApplier(base, period, timing);
  const count = transactions.length / transaction_bytes;
  const applied = new Uint8Array(count);
  let appliedCount = 0;
  for (let i = 0; i < count; i++) {
    const tx = transactions.subarray(i * transaction_bytes, (i + 1) * transaction_bytes);
    if (applier.apply(tx) === 'ok') {
      applied[i] = 1;
      appliedCount++;
    }
  }
  return { applied, appliedCount, changes: applier.changes() };
}
