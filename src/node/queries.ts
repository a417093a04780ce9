// The answers to clients' queries (docs/PROTOCOL.md §6): BALANCE, STATUS of a payment,
// HISTORY of an account, INFO and EVIDENCE. They only read: the committed state, the
// store, the batches and proposals still pending, and the evidence held. Every answer but
// INFO and EVIDENCE is UNAVAILABLE while this server is not in consensus (those two help
// an operator see why).

import { joining_server_index } from '../client/codec.ts';
import { toHex } from '../bytes.ts';
import { assert } from '../errors.ts';
import { sha256 } from '../hash.ts';
import { type EvidenceBody, evidence_whole_bytes_max, type HistoryBody, type InfoBody, PaymentState, Status } from '../client/codec.ts';
import { encodeEvidence, type Evidence } from '../consensus/evidence.ts';
import type { Decision } from '../consensus/vote.ts';
import { periodOf } from '../schedule.ts';
import type { Alpha } from './alpha.ts';
import type { NodeContext } from './context.ts';
import type { Proposals } from './proposals.ts';

export class Queries {
  constructor(
    private readonly context: NodeContext,
    private readonly alpha: Alpha,
    private readonly proposals: Proposals,
    /** Whether this server answers clients now (availability.ts). */
    private readonly isAvailable: (now: number) => boolean,
  ) {}

  balance(account: Uint8Array, now: number): { status: Status; balance: number } {
    if (!this.isAvailable(now)) return { status: Status.UNAVAILABLE, balance: 0 };
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
    if (!this.isAvailable(now)) return { status: Status.UNAVAILABLE, state: PaymentState.UNKNOWN, period: 0 };
    const outcome = context.store.paymentOutcome(txid);
    if (outcome !== null) {
      return { status: Status.OK, state: outcome.applied ? PaymentState.COMMITTED : PaymentState.VOID, period: outcome.period };
    }
    const txidHex = toHex(txid);
    const batched = this.alpha.pendingPeriodOf(txid);
    if (batched !== null) return { status: Status.OK, state: PaymentState.PENDING, period: batched };
    const proposed = this.proposals.proposedPeriodOf(txidHex);
    if (proposed !== null) return { status: Status.OK, state: PaymentState.PENDING, period: proposed };
    const voided = this.proposals.voidPeriodOf(txidHex);
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
    if (!this.isAvailable(now)) return { status: Status.UNAVAILABLE, body: null };
    const before = beforePeriod === 0 ? null : { period: beforePeriod, index: beforeIndex };
    const entries = context.store.history(account, before, maxEntries);
    return { status: Status.OK, body: { account, committedPeriod: context.committed.period, archiveFrom: context.archiveFrom, entries } };
  }

  /** INFO of a server that no configuration it knows names yet (joining). */
  info(now: number): InfoBody {
    const context = this.context;
    const current = periodOf(context.timing, now);
    return {
      networkId: context.network.id,
      // Directory ids (node/configurations.ts): the network file's indices, then the servers changes brought in; 0xffff while joining.
      serverIndex: context.self < 0 ? joining_server_index : context.self,
      serverCount: context.configurations.size,
      now,
      currentPeriod: current,
      alphaIndex: context.alphaOf(current),
      committedPeriod: context.committed.period,
      stateHash: context.state.hash,
      lastHeard: context.lastHeard.map((period, i) => (i === context.self ? current : period)),
    };
  }
}

/**
 * EVIDENCE number `index` (0: the oldest) of what this server holds, with how many it holds
 * and, if it stopped, which one stopped it (the first fork: the node stops at the first and
 * keeps the order on disk). Evidence too large for one datagram (a fork in a network of
 * more than about ten servers) is summed up instead (PROTOCOL §6.9).
 */
export function evidenceAnswer(held: readonly Evidence[], halted: boolean, index: number): EvidenceBody {
  const stoppedBy = halted ? held.findIndex((evidence) => evidence.kind === 'fork') + 1 : 0;
  assert(!halted || stoppedBy > 0, 'a stopped server holds the fork that stopped it');
  const base = { index, count: held.length, stoppedBy, evidence: null, summary: null };
  const evidence = held[index];
  if (evidence === undefined) return base;
  const bytes = encodeEvidence(evidence);
  if (bytes.length <= evidence_whole_bytes_max) return { ...base, evidence };
  if (evidence.kind !== 'fork') throw new Error('assertion failed: only a fork is larger than a datagram');
  const decision = ({ period, parent, parentHash, hash }: Decision): Decision => ({ period, parent, parentHash, hash });
  return { ...base, summary: { bytes: bytes.length, digest: sha256(bytes), a: decision(evidence.a), b: decision(evidence.b) } };
}
