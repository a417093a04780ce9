// The alpha's side of a period: payments from clients and forwarders. The alpha of a
// period keeps its batch (AlphaBatch) and decides each payment by the rules of
// docs/PROTOCOL.md §5.4; any other server checks what it can and forwards the payment to
// the alpha, a few at a time (FORWARD). The beta proposes the batch when the period ends
// (majority.ts, two-thirds.ts); every commit re-applies the batch on the new committed state.

import { change_lead_periods } from '../consensus/configuration.ts';
import { forward_flush_ms, forward_transactions_max, period_transactions_max } from '../constants.ts';
import { encodePaymentList, paymentsIn } from '../payment-list.ts';
import { assert } from '../errors.ts';
import { Status, statusName } from '../client/codec.ts';
import { checkTimestamp, periodOf, type Timing } from '../schedule.ts';
import { signingMessage, signatureOf, payerOf, timestampOf, txidOf } from '../transaction.ts';
import { BatchApplier, checkAmount, checkPayee } from '../ledger/batch.ts';
import type { LedgerState } from '../ledger/state.ts';
import type { NodeContext } from './context.ts';

export interface PayResult {
  readonly status: Status;
  readonly period: number;
  readonly txid: Uint8Array;
}

class AlphaBatch {
  readonly transactions: Uint8Array[] = [];
  applier: BatchApplier;
  constructor(
    readonly period: number,
    base: LedgerState,
    private readonly timing: Timing,
  ) {
    this.applier = new BatchApplier(base, period, timing);
  }
  add(tx: Uint8Array, txid: Uint8Array): void {
    this.transactions.push(tx);
    this.applier.apply(tx, txid);
  }
  /** The committed state moved: re-apply the batch on it, as every server will. */
  rebase(base: LedgerState): void {
    this.applier = new BatchApplier(base, this.period, this.timing);
    for (const tx of this.transactions) this.applier.apply(tx);
  }
}

export class Alpha {
  private readonly batches = new Map<number, AlphaBatch>();
  private forwardQueue: { alpha: number; period: number; transactions: Uint8Array[]; since: number } | null = null;

  constructor(
    private readonly context: NodeContext,
    /** Whether this server answers clients now (availability.ts): an alpha that does not takes nothing. */
    private readonly isAvailable: (now: number) => boolean,
  ) {}

  private batchFor(period: number): AlphaBatch | null {
    const context = this.context;
    let batch = this.batches.get(period);
    if (batch === undefined) {
      if (context.alphaOf(period) !== context.self || !context.witnessed(period)) return null;
      // Whose turn a period is follows the changes carried change_lead_periods before it
      // (§8.13): an alpha that has not committed that far may not know its turn is over
      // (found by the simulator: a change committed late, two alphas, payments lost).
      // This holds at genesis too: a server that has committed nothing cannot know that no
      // change was carried and committed late (found by the simulator, seed 1118807243 with
      // changes: the first commit, carrying a change, came four periods after its period, and
      // a server still at genesis took a payment as the alpha the change had replaced). A fresh
      // network takes payments once it has committed its first period.
      if (context.committed.period < period - change_lead_periods) return null;
      batch = new AlphaBatch(period, context.state, context.timing);
      this.batches.set(period, batch);
    }
    return batch;
  }

  /** The batch of `period` as the beta proposes it (empty when we took no payment in it). */
  transactionsOf(period: number): Uint8Array {
    const batch = this.batches.get(period);
    return batch === undefined ? new Uint8Array(0) : encodePaymentList(batch.transactions);
  }

  /** The period `ended` was proposed: its batch, and any older one, is done. */
  dropBatchesUpTo(ended: number): void {
    for (const period of this.batches.keys()) if (period <= ended) this.batches.delete(period);
  }

  /** The committed state moved (a commit or a snapshot): re-apply every batch on it. */
  rebase(state: LedgerState): void {
    for (const batch of this.batches.values()) batch.rebase(state);
  }

  /** The period of our batch that holds this payment, or null (for STATUS). */
  pendingPeriodOf(txid: Uint8Array): number | null {
    for (const batch of this.batches.values()) {
      if (batch.applier.has(txid)) return batch.period;
    }
    return null;
  }

  verifyPayment(tx: Uint8Array): boolean {
    const context = this.context;
    return context.verifySignature(signatureOf(tx), signingMessage(context.network.id, tx), payerOf(tx));
  }

  /**
   * Rules 1 to 6 of docs/PROTOCOL.md §5.4, cheapest first, the signature last. The alpha takes the payment into its
   * batch; any other server checks what it can and forwards it to the alpha.
   *
   * `signature` says whether the signature was already checked elsewhere (the node
   * verifies in worker threads, off the socket thread, between precheckPay and this):
   * 'check' verifies here; 'valid' and 'invalid' take the outside verdict. Rules 1 to 5
   * run again either way: the batch may have changed while the signature was checked.
   */
  handlePay(tx: Uint8Array, now: number, signature: 'check' | 'valid' | 'invalid' = 'check'): PayResult {
    const decision = this.decidePay(tx, now);
    if (decision.result !== null) return this.payResult(decision.result, decision);
    const valid = signature === 'check' ? this.verifyPayment(tx) : signature === 'valid';
    if (!valid) return this.payResult(Status.BAD_SIGNATURE, decision);
    if (decision.batch === null) {
      this.queueForward(decision.alpha, decision.period, tx.slice(), now);
      return this.payResult(Status.FORWARDED, decision);
    }
    decision.batch.add(tx.slice(), decision.txid);
    return this.payResult(Status.ACCEPTED, decision);
  }

  /**
   * Rules 1 to 5 and this server's own conditions, without the signature and without
   * changing anything: the final answer, or null when only the signature remains.
   */
  precheckPay(tx: Uint8Array, now: number): PayResult | null {
    const decision = this.decidePay(tx, now);
    return decision.result === null ? null : this.payResult(decision.result, decision);
  }

  private payResult(status: Status, decision: { period: number; txid: Uint8Array }): PayResult {
    this.context.count(`pay_${(statusName[status] ?? `status_${status}`).toLowerCase()}`);
    return { status, period: decision.period, txid: decision.txid };
  }

  private decidePay(
    tx: Uint8Array,
    now: number,
  ): { result: Status | null; period: number; txid: Uint8Array; alpha: number; batch: AlphaBatch | null } {
    const context = this.context;
    const txid = txidOf(tx);
    const current = periodOf(context.timing, now);
    // The batch it would join: the period it is stamped in, when that is this one or (during
    // this one's blackout) the next; else this one's, which the time rule refuses.
    const stamped = periodOf(context.timing, timestampOf(tx));
    const period = stamped === current + 1 ? stamped : current;
    const alpha = context.alphaOf(period);
    const decided = (result: Status | null, batch: AlphaBatch | null = null) => ({ result, period, txid, alpha, batch });
    if (!this.isAvailable(now)) return decided(Status.UNAVAILABLE);
    if (!checkAmount(tx)) return decided(Status.BAD_AMOUNT);
    if (checkTimestamp(context.timing, timestampOf(tx), now, alpha === context.self ? 'alpha' : 'forwarder') !== 'ok') return decided(Status.BAD_TIME);
    if (alpha !== context.self) {
      // An alpha we have not heard from for a period is probably down: forwarding to it would
      // only make the payment void. Say so, and the wallet tries again (or waits a period).
      if (context.lastHeard[alpha]! < current - 1) return decided(Status.UNAVAILABLE);
      // The alpha checks the payee too (batch rule 5), but the payer hears it here, at once.
      if (!checkPayee(tx)) return decided(Status.BAD_PAYEE);
      return decided(null);
    }
    const batch = this.batchFor(period);
    if (batch === null) return decided(Status.UNAVAILABLE); // restarted during our own alpha period, or not committed k - change_lead_periods
    if (batch.transactions.length >= period_transactions_max) return decided(Status.RATE_LIMITED);
    const verdict = batch.applier.check(tx, txid);
    if (verdict === 'duplicate') return decided(Status.DUPLICATE);
    if (verdict === 'insufficient_funds') return decided(Status.INSUFFICIENT_FUNDS);
    if (verdict === 'bad_payee') return decided(Status.BAD_PAYEE);
    assert(verdict === 'ok', 'rules 1 and 2 were checked above');
    return decided(null, batch);
  }

  // ---- forwarding ----------------------------------------------------------------------

  private queueForward(alpha: number, period: number, tx: Uint8Array, now: number): void {
    if (this.forwardQueue !== null && (this.forwardQueue.alpha !== alpha || this.forwardQueue.period !== period)) this.flushForwards();
    if (this.forwardQueue === null) this.forwardQueue = { alpha, period, transactions: [], since: now };
    this.forwardQueue.transactions.push(tx);
    if (this.forwardQueue.transactions.length >= forward_transactions_max) this.flushForwards();
  }

  /** When the queued forwards must leave at the latest, or null when none wait. */
  forwardFlushAt(): number | null {
    return this.forwardQueue === null ? null : this.forwardQueue.since + forward_flush_ms;
  }

  /** Sends the queued forwards once they waited forward_flush_ms or their period is over. */
  flushForwardsIfDue(now: number, current: number): void {
    if (this.forwardQueue !== null && (now >= this.forwardQueue.since + forward_flush_ms || this.forwardQueue.period < current)) {
      this.flushForwards();
    }
  }

  private flushForwards(): void {
    const queue = this.forwardQueue;
    this.forwardQueue = null;
    if (queue === null || queue.transactions.length === 0) return;
    this.context.count('forwarded', queue.transactions.length);
    this.context.send(queue.alpha, { type: 'forward', transactions: encodePaymentList(queue.transactions) });
  }

  handleForward(from: number, transactions: Uint8Array, now: number): void {
    const context = this.context;
    const payments = paymentsIn(transactions, 'FORWARD'); // decoded strictly on arrival
    for (const view of payments) {
      const tx = view.slice();
      // A forwarder checked the signature; the time rules are the alpha's own clock's: until it seals its batch.
      if (checkTimestamp(context.timing, timestampOf(tx), now, 'alpha') !== 'ok') {
        context.count('forward_dropped_time');
        continue;
      }
      const period = periodOf(context.timing, timestampOf(tx)); // this one, or the next during this one's blackout
      const batch = context.alphaOf(period) === context.self ? this.batchFor(period) : null;
      if (batch === null || !this.isAvailable(now)) {
        context.count('forward_dropped_not_alpha');
        continue;
      }
      if (batch.transactions.length >= period_transactions_max) {
        context.count('forward_dropped_full');
        continue;
      }
      const txid = txidOf(tx);
      const verdict = batch.applier.check(tx, txid);
      if (verdict !== 'ok') {
        context.count(`forward_dropped_${verdict}`);
        continue;
      }
      batch.add(tx, txid);
      context.count('forward_accepted');
    }
    context.log.debug(`FORWARD from server ${from}: ${payments.length} payments`);
  }
}
