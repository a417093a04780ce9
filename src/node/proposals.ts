// Proposals (docs/PROTOCOL.md §8.5), in both quorum modes: the pending ones, until their
// period is decided; the beta's own batch, signed over its header; the checks every PROPOSAL
// passes (its sender is the beta of its slot and signed it; a second, different header of
// one slot is evidence, and every server passes on the header it took so that a beta that
// shows servers different batches is caught); a proposal's outcome on our committed state;
// and what became of a proposal a later certificate skipped (void: its payments remembered).
// The agreement of each mode (majority.ts, two-thirds.ts) decides what to vote for.

import { hash_bytes, pending_proposals_max, signature_bytes, void_payments_remembered_max } from '../constants.ts';
import { toHex } from '../bytes.ts';
import { assert } from '../errors.ts';
import { paymentsIn } from '../payment-list.ts';
import { endOf, periodOf } from '../schedule.ts';
import { timestampOf, txidOf } from '../transaction.ts';
import { replayBatch } from '../ledger/batch.ts';
import { type Change, extendChainDigest } from '../consensus/configuration.ts';
import { headersDiffer, type ProposalHeader, proposalSigningMessage } from '../consensus/proposal.ts';
import { headerOfProposal, type ProposalMessage } from '../peer/messages.ts';
import type { Alpha } from './alpha.ts';
import type { Changes } from './changes.ts';
import type { NodeContext } from './context.ts';
import type { EvidenceKept } from './evidence.ts';
import type { Outcome, Proposal } from './pending.ts';

/** One number for (slot, server), ordered by slot first: the keys of the per-slot tables. */
function slotAndServer(slot: number, server: number): number {
  return slot * 65_536 + server;
}

export class Proposals {
  /** The pending proposals, by slot. */
  readonly pending = new Map<number, Proposal>();
  /** Our PROPOSAL, sent; we take it at the next turn (see own). */
  private own: ProposalMessage | null = null;
  /**
   * The signed header of each pending proposal, by slot and proposer (slotAndServer): a
   * second, different one of the same proposer is evidence. Two proposers of one slot are
   * not: the beta of a slot follows the parent's configuration (§8.13).
   */
  private readonly headers = new Map<number, ProposalHeader>();
  /** Slots whose PROPOSAL we took, by slot and proposer (a relayed header alone does not count). */
  private readonly taken = new Set<number>();
  private readonly voidPayments = new Map<string, number>();

  constructor(
    private readonly context: NodeContext,
    private readonly alpha: Alpha,
    private readonly changes: Changes,
    private readonly evidence: EvidenceKept,
  ) {}

  /** The outcome of a proposal's batch on our committed state (computed once per committed state). */
  outcomeOf(proposal: Proposal): Outcome {
    const context = this.context;
    if (proposal.outcome !== null && proposal.outcome.base === context.committed.period && proposal.outcome.prepared.base === context.state) {
      return proposal.outcome;
    }
    assert(proposal.parent.period === context.committed.period, 'outcomes are computed on the committed state');
    const replay = replayBatch(context.state, proposal.decided, context.timing, proposal.transactions);
    // A change the period carries enters the state hash (§9) with the chain it extends.
    const chainDigest = proposal.change === undefined ? context.state.chainDigest : extendChainDigest(context.state.chainDigest, { carrier: proposal.decided, change: proposal.change });
    const prepared = context.state.prepare(replay.changes, chainDigest);
    proposal.outcome = { prepared, applied: replay.applied, appliedCount: replay.appliedCount, base: context.committed.period };
    return proposal.outcome;
  }

  // ---- the beta ----------------------------------------------------------------------------

  /**
   * The beta's own batch for `period` on our committed state, with the change it carries if
   * one may be carried now: the fields of its PROPOSAL (hash: its state hash), not yet signed.
   */
  freshBatch(period: number): { fields: Omit<ProposalMessage, 'type' | 'proposer' | 'signature'>; change: Change | null } {
    const context = this.context;
    const transactions = this.alpha.transactionsOf(period);
    const change = this.changes.toCarry(period);
    const base: Proposal = { period, decided: period, hash: new Uint8Array(hash_bytes), transactions, parent: context.committed, outcome: null, txids: null, message: null };
    const hash = this.outcomeOf(change === null ? base : { ...base, change }).prepared.hash;
    const fields = { period, decided: period, hash, transactions, parent: context.committed, validSlot: 0, pol: [] };
    return { fields: change === null ? fields : { ...fields, change }, change };
  }

  /** A PROPOSAL signed by this server over its header (consensus/proposal.ts). */
  signed(fields: Omit<ProposalMessage, 'type' | 'proposer' | 'signature'>): ProposalMessage {
    const context = this.context;
    const unsigned: ProposalMessage = { ...fields, type: 'proposal', proposer: context.self, signature: new Uint8Array(signature_bytes) };
    return { ...unsigned, signature: context.signer.sign(proposalSigningMessage(context.network.id, headerOfProposal(unsigned))) };
  }

  /**
   * Sends our PROPOSAL. Our own vote waits for the next turn (nextWakeAt says: at once), so
   * the PROPOSAL leaves first: persisting the vote (and the batch with it) takes a disk
   * sync, which the others should not wait for before they start re-validating.
   */
  send(message: ProposalMessage): void {
    this.context.send('others', message);
    this.context.count('proposed');
    this.own = message;
  }

  /** Whether our own PROPOSAL was sent and waits to be taken (the node wakes at once). */
  get ownWaiting(): boolean {
    return this.own !== null;
  }

  /** Our own PROPOSAL, to take as the others do (once). */
  takeOwn(): ProposalMessage | null {
    const own = this.own;
    this.own = null;
    return own;
  }

  // ---- every PROPOSAL ------------------------------------------------------------------------

  /**
   * The checks every PROPOSAL passes, in both modes: its sender is the beta of its slot and
   * signed it; a second, different signed PROPOSAL for the same slot is evidence. Returns
   * false when the proposal is to be dropped.
   */
  acceptHeader(from: number, message: ProposalMessage, relayed = false): boolean {
    const context = this.context;
    const { period } = message;
    const beta = context.configurations.alphaOf(period, message.parent.period);
    // A relayed PROPOSAL (two-thirds: a locked server shows the batch of its lock) is its
    // beta's, signed by it, whoever brings it.
    if (beta !== message.proposer || (!relayed && message.proposer !== from)) {
      context.reject('proposal_wrong_sender', `PROPOSAL for period ${period} from server ${from}, but its beta is server ${beta}`);
      return false;
    }
    const header = headerOfProposal(message);
    const key = context.configurations.keyOf(message.proposer)!;
    if (!context.verifySignature(header.signature, proposalSigningMessage(context.network.id, header), key)) {
      context.reject('proposal_bad_signature', `PROPOSAL for period ${period} from server ${from}: its signature does not verify`);
      return false;
    }
    if (!this.compareHeader(from, header)) return false;
    const taken = slotAndServer(period, from);
    if (this.taken.has(taken)) return false; // the same PROPOSAL again
    this.taken.add(taken);
    while (this.taken.size > 2 * pending_proposals_max) this.taken.delete(Math.min(...this.taken));
    // Every server passes on the header of the PROPOSAL it took: a beta that shows each
    // server another batch is caught by the first header that reaches another server.
    if (from !== context.self && !relayed) context.send('others', { type: 'proposal_header', header });
    return true;
  }

  /**
   * A signed proposal header, of a PROPOSAL or passed on by a peer: the first one of a slot is
   * kept; a different one is evidence. False when it differs (the PROPOSAL is then dropped).
   */
  private compareHeader(from: number, header: ProposalHeader): boolean {
    const key = slotAndServer(header.slot, header.proposer);
    const known = this.headers.get(key);
    if (known === undefined) {
      this.headers.set(key, header);
      while (this.headers.size > 2 * pending_proposals_max) this.headers.delete(Math.min(...this.headers.keys()));
      return true;
    }
    if (!headersDiffer(known, header)) return true;
    this.context.reject('proposal_equivocation', `server ${header.proposer} signed two different PROPOSALs for period ${header.slot} (the second from server ${from})`);
    this.evidence.note({ kind: 'proposal', a: known, b: header });
    return false;
  }

  /** A proposal header a peer passed on: checked, and compared with the one we hold for its slot. */
  handleHeader(from: number, header: ProposalHeader): void {
    const context = this.context;
    if (header.slot <= context.committed.period) return;
    if (context.configurations.alphaOf(header.slot, header.parent.period) !== header.proposer) return context.reject('proposal_header_wrong_proposer', `proposal header for period ${header.slot} from server ${from} names server ${header.proposer}, not its beta`);
    const key = context.configurations.keyOf(header.proposer);
    if (key === undefined || !context.verifySignature(header.signature, proposalSigningMessage(context.network.id, header), key)) {
      return context.reject('proposal_header_bad_signature', `proposal header for period ${header.slot} from server ${from}: its signature does not verify`);
    }
    this.compareHeader(from, header);
  }

  /** A PROPOSAL for `period` may be voted for once that period has ended here, give or take skew_ms. */
  votableAt(period: number): number {
    return endOf(this.context.timing, period) - this.context.timing.skewMs;
  }

  /** Why a proposal that carries a change may not be voted for (the change refused on our committed state), or null. */
  changeProblem(proposal: Proposal): string | null {
    return proposal.change === undefined ? null : this.changes.problemWith(proposal.change, proposal.decided);
  }

  // ---- what became of them ----------------------------------------------------------------------

  /** A later period was certified without this one: its payments are void. */
  markVoid(proposal: Proposal): void {
    this.context.count('period_void');
    this.context.log.info(`period ${proposal.decided} is void: a later period was certified without it`);
    for (const txidHex of this.decidedTxids(proposal)) this.voidPayments.set(txidHex, proposal.decided);
    while (this.voidPayments.size > void_payments_remembered_max) {
      this.voidPayments.delete(this.voidPayments.keys().next().value!);
    }
  }

  /** The period of a pending proposal that holds this payment, or null (STATUS of a payment). */
  proposedPeriodOf(txidHex: string): number | null {
    for (const proposal of this.pending.values()) {
      if (proposal.txids === null) proposal.txids = new Set(this.decidedTxids(proposal));
      if (proposal.txids.has(txidHex)) return proposal.decided;
    }
    return null;
  }

  /** The void period that held this payment, if we remember it (void_payments_remembered_max). */
  voidPeriodOf(txidHex: string): number | null {
    return this.voidPayments.get(txidHex) ?? null;
  }

  /**
   * The payments of a proposal stamped in the period it decides: the only ones its commit
   * or its void decides (replayBatch skips any other). A lying beta may put in any payment;
   * counted, an honest server said VOID, or PENDING, for a payment of another period
   * (found by the simulator's liars).
   */
  private decidedTxids(proposal: Proposal): string[] {
    const txids: string[] = [];
    for (const tx of paymentsIn(proposal.transactions)) {
      if (periodOf(this.context.timing, timestampOf(tx)) === proposal.decided) txids.push(toHex(txidOf(tx)));
    }
    return txids;
  }
}
