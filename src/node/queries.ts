// The answers to clients' queries (docs/PROTOCOL.md §6): BALANCE, STATUS of a payment,
// HISTORY of an account and INFO. They only read: the committed state, the store, and the
// batches and proposals still pending. Every answer but INFO is UNAVAILABLE while this
// server is not in consensus.

import { toHex } from '../bytes.ts';
import { type HistoryBody, type InfoBody, PaymentState, Status } from '../client/codec.ts';
import { alphaOf, periodOf } from '../schedule.ts';
import type { Agreement } from './agreement.ts';
import type { Alpha } from './alpha.ts';
import type { NodeContext } from './context.ts';

export class Queries {
  constructor(
    private readonly context: NodeContext,
    private readonly alpha: Alpha,
    private readonly agreement: Agreement,
  ) {}

  balance(account: Uint8Array, now: number): { status: Status; balance: number } {
    if (!this.context.isAvailable(now)) return { status: Status.UNAVAILABLE, balance: 0 };
    const balance = this.context.state.balanceOf(account);
    return { status: balance === 0 ? Status.NOT_FOUND : Status.OK, balance };
  }

  /**
   * STATUS of a payment: committed or void in a committed period, pending in a batch or a
   * proposal, void with a skipped period; otherwise unknown, with our committed period
   * (so a client that was told ACCEPTED for period k knows it is void once this is ≥ k).
   */
  paymentStatus(txid: Uint8Array, now: number): { status: Status; state: PaymentState; period: number } {
    const context = this.context;
    if (!context.isAvailable(now)) return { status: Status.UNAVAILABLE, state: PaymentState.UNKNOWN, period: 0 };
    const outcome = context.store.paymentOutcome(txid);
    if (outcome !== null) {
      return { status: Status.OK, state: outcome.applied ? PaymentState.COMMITTED : PaymentState.VOID, period: outcome.period };
    }
    const txidHex = toHex(txid);
    const batched = this.alpha.pendingPeriodOf(txid);
    if (batched !== null) return { status: Status.OK, state: PaymentState.PENDING, period: batched };
    const proposed = this.agreement.proposedPeriodOf(txidHex);
    if (proposed !== null) return { status: Status.OK, state: PaymentState.PENDING, period: proposed };
    const voided = this.agreement.voidPeriodOf(txidHex);
    if (voided !== null) return { status: Status.OK, state: PaymentState.VOID, period: voided };
    // "Not applied in any period up to p": only true where we hold every period since
    // genesis. A server restored from a snapshot never saw the payments before it, so it
    // claims nothing (0), and a wallet will not take a committed payment for void.
    return { status: Status.OK, state: PaymentState.UNKNOWN, period: context.archiveFrom === 0 ? context.committed.period : 0 };
  }

  /**
   * HISTORY: the committed payments in which `account` is payer or payee, newest first,
   * strictly older than (beforePeriod, beforeIndex) (beforePeriod 0: from the newest), at
   * most maxEntries, from the periods this server holds (after archive_from).
   */
  history(account: Uint8Array, beforePeriod: number, beforeIndex: number, maxEntries: number, now: number): { status: Status; body: HistoryBody | null } {
    const context = this.context;
    if (!context.isAvailable(now)) return { status: Status.UNAVAILABLE, body: null };
    const before = beforePeriod === 0 ? null : { period: beforePeriod, index: beforeIndex };
    const entries = context.store.history(account, before, maxEntries);
    return { status: Status.OK, body: { account, committedPeriod: context.committed.period, archiveFrom: context.archiveFrom, entries } };
  }

  info(now: number): InfoBody {
    const context = this.context;
    const current = periodOf(context.timing, now);
    return {
      networkId: context.network.id,
      serverIndex: context.self,
      serverCount: context.network.servers.length,
      now,
      currentPeriod: current,
      alphaIndex: alphaOf(context.timing, current),
      committedPeriod: context.committed.period,
      stateHash: context.state.hash,
      lastHeard: context.lastHeard.map((period, i) => (i === context.self ? current : period)),
    };
  }
}
