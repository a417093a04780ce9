// The ledger rules for a period's batch, shared by the alpha (admitting payments one at a
// time) and by every server re-validating a PROPOSAL. Deterministic: the same base state
// and the same batch give the same outcome on every server.
//
// A payment in the batch of period k applies when, in order:
//   1. amount ≥ 1 and payer ≠ payee;
//   2. period(timestamp) = k;
//   3. its txid did not appear earlier in the batch;
//   4. the payer's balance, after the batch's earlier payments, covers the amount;
//   5. the payee is a key someone can sign for (src/signature.ts isPayableKey: a canonical
//      encoding of a point that is not of small order), so money never goes where no one
//      can spend it, nor where anyone can. Last because it may cost a point decode (cached).
// Otherwise it is skipped (reported as void by STATUS), and the next one is tried.
//
// Signatures are checked once, by the server that receives the payment from a client
// (the alpha, or a server that forwards it); servers trust one another's checks, as the
// design trusts its servers. The clock-dependent parts of rule 2 (skew, blackout) are the
// alpha's alone: only period(timestamp) can be re-checked by everyone.

import { balance_max, key_bytes } from '../constants.ts';
import { assert } from '../errors.ts';
import { paymentsIn } from '../payment-list.ts';
import { periodOf, type Timing } from '../schedule.ts';
import { isPayableKey } from '../signature.ts';
import { payee_offset, payer_offset, txidOf } from '../transaction.ts';
import { KeyMap } from './key-map.ts';
import type { AccountChange } from './state.ts';

export type BatchVerdict = 'ok' | 'bad_amount' | 'wrong_period' | 'duplicate' | 'insufficient_funds' | 'bad_payee';

export interface BalanceSource {
  balanceOf(account: Uint8Array): number;
}

// Field reads straight from the bytes: a DataView per read costs more than the rule.
const amountAt = (tx: Uint8Array): number => ((tx[8]! << 24) | (tx[9]! << 16) | (tx[10]! << 8) | tx[11]!) >>> 0;
const timestampAt = (tx: Uint8Array): number =>
  (((tx[0]! << 24) | (tx[1]! << 16) | (tx[2]! << 8) | tx[3]!) >>> 0) * 0x1_0000_0000 + (((tx[4]! << 24) | (tx[5]! << 16) | (tx[6]! << 8) | tx[7]!) >>> 0);

function samePayerPayee(tx: Uint8Array): boolean {
  for (let i = 0; i < key_bytes; i++) if (tx[payee_offset + i] !== tx[payer_offset + i]) return false;
  return true;
}

/** Rule 1 alone: cheap, and checked before anything else. */
export function checkAmount(tx: Uint8Array): boolean {
  return amountAt(tx) >= 1 && !samePayerPayee(tx);
}

/** Rule 5 alone: the payee is a key someone can sign for. */
export function checkPayee(tx: Uint8Array): boolean {
  return isPayableKey(tx.subarray(payee_offset, payee_offset + key_bytes));
}

/** Applies payments in order on top of a base state, keeping only the accounts they touch. */
export class BatchApplier implements BalanceSource {
  private readonly touched = new KeyMap<number>();
  private readonly seen = new KeyMap<true>();

  constructor(
    private readonly base: BalanceSource,
    readonly period: number,
    private readonly timing: Timing,
  ) {}

  balanceOf(account: Uint8Array): number {
    return this.touched.get(account) ?? this.base.balanceOf(account);
  }

  /** Whether the batch holds this txid (applied or skipped). */
  has(txid: Uint8Array): boolean {
    return this.seen.has(txid);
  }

  /** Rules 1 to 5, without changing anything. */
  check(tx: Uint8Array, txid: Uint8Array): BatchVerdict {
    if (!checkAmount(tx)) return 'bad_amount';
    if (periodOf(this.timing, timestampAt(tx)) !== this.period) return 'wrong_period';
    if (this.seen.has(txid)) return 'duplicate';
    if (this.balanceOf(tx.subarray(payer_offset, payer_offset + key_bytes)) < amountAt(tx)) return 'insufficient_funds';
    if (!checkPayee(tx)) return 'bad_payee';
    return 'ok';
  }

  /** Takes the payment into the batch: it is seen from now on, and applied if it passes. */
  apply(tx: Uint8Array, txid: Uint8Array = txidOf(tx)): BatchVerdict {
    const verdict = this.check(tx, txid);
    this.seen.set(txid, true);
    if (verdict !== 'ok') return verdict;
    const amount = amountAt(tx);
    const payer = tx.subarray(payer_offset, payer_offset + key_bytes);
    const payee = tx.subarray(payee_offset, payee_offset + key_bytes);
    this.touched.set(payer, this.balanceOf(payer) - amount);
    const credited = this.balanceOf(payee) + amount;
    // Balances sum to the supply, which fits u32: a credit can never overflow.
    assert(credited <= balance_max, 'a credit stays within the supply');
    this.touched.set(payee, credited);
    return verdict;
  }

  changes(): AccountChange[] {
    const out: AccountChange[] = [];
    for (const [account, balance] of this.touched.entries()) out.push({ account, balance });
    return out;
  }
}

export interface BatchOutcome {
  /** One byte per payment: 1 applied, 0 skipped. */
  readonly applied: Uint8Array;
  readonly appliedCount: number;
  readonly changes: AccountChange[];
}

/**
 * Re-validates a whole batch (a payment list, payment-list.ts: both forms, in order)
 * against the state after its parent. Payments with a reference follow the same rules.
 */
export function replayBatch(base: BalanceSource, period: number, timing: Timing, transactions: Uint8Array): BatchOutcome {
  const applier = new BatchApplier(base, period, timing);
  const payments = paymentsIn(transactions, 'batch');
  const applied = new Uint8Array(payments.length);
  let appliedCount = 0;
  payments.forEach((tx, i) => {
    if (applier.apply(tx) === 'ok') {
      applied[i] = 1;
      appliedCount++;
    }
  });
  return { applied, appliedCount, changes: applier.changes() };
}
