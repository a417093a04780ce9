// How the servers agree on each period (docs/PROTOCOL.md §8): the beta's PROPOSAL, the
// votes (with the lock and the dead-period rule of consensus/rules.ts), the tallies that
// make a certificate, the commit of a certified period and the void periods a later
// certificate skipped; and STATUS, the heartbeat that carries each server's committed
// certificate and last vote, with the skip proofs that free a peer locked on a dead period.

import {
  evidence_kept_max,
  hash_bytes,
  pending_proposals_max,
  signature_bytes,
  verified_certificates_cached_max,
  verified_votes_cached_max,
  vote_links_remembered_per_server,
  votes_remembered_per_server,
  void_payments_remembered_max,
} from '../constants.ts';
import { compare, equal, toHex } from '../bytes.ts';
import { assert, isScrypError, type ScrypError } from '../errors.ts';
import { endOf, periodOf } from '../schedule.ts';
import { timestampOf, txidOf } from '../transaction.ts';
import { paymentCount, paymentsIn } from '../payment-list.ts';
import { replayBatch } from '../ledger/batch.ts';
import type { PreparedState } from '../ledger/state.ts';
import type { StoredState } from '../ledger/store.ts';
import { decideVote, isSkippedBy, placeCertificate, VoteEvidence } from '../consensus/rules.ts';
import {
  type Certificate,
  certificateFrom,
  type Decision,
  decisionKey,
  sameDecision,
  signVote,
  verifyCertificate,
  verifyVote,
  type Vote,
  type VoteChecker,
} from '../consensus/vote.ts';
import { checkEvidence, describeEvidence, encodeEvidence, decodeEvidence, type Evidence, evidenceKey, offenderOf, votesConflict } from '../consensus/evidence.ts';
import { headersDiffer, type ProposalHeader, proposalSigningMessage } from '../consensus/proposal.ts';
import { headerOfProposal, type ProposalMessage } from '../peer/messages.ts';
import { type Change, change_lead_periods, checkChange, type CommittedChange, encodeChange, extendChainDigest } from '../consensus/configuration.ts';
import type { Alpha } from './alpha.ts';
import type { NodeContext } from './context.ts';

export interface Outcome {
  readonly prepared: PreparedState;
  readonly applied: Uint8Array;
  readonly appliedCount: number;
  /** The committed period this outcome was computed on. */
  readonly base: number;
}

export interface Proposal {
  /** The slot: the period whose beta proposed it (in a majority network, the period it decides). */
  readonly period: number;
  /** The period whose batch it carries, whose timestamps re-validation checks. */
  readonly decided: number;
  readonly hash: Uint8Array;
  readonly transactions: Uint8Array;
  readonly parent: Certificate;
  outcome: Outcome | null;
  txids: Set<string> | null;
  /** The message as it came (kept with a vote, re-proposed in a two-thirds network); null for a replayed record. */
  readonly message: ProposalMessage | null;
  /** The configuration change the period carries, if any (§8.13). */
  readonly change?: Change;
}

interface Tally {
  readonly decision: Decision;
  readonly votes: Map<number, Vote>;
}

/** One number for (slot, server), ordered by slot first: the keys of the per-slot tables. */
function slotAndServer(slot: number, server: number): number {
  return slot * 65_536 + server;
}

/** A pending proposal as the agreement keeps it, from the message. */
export function proposalOf(message: ProposalMessage): Proposal {
  const proposal: Proposal = { period: message.period, decided: message.decided, hash: message.hash, transactions: message.transactions, parent: message.parent, outcome: null, txids: null, message };
  return message.change === undefined ? proposal : { ...proposal, change: message.change };
}

export class Agreement {
  /** This server votes only for periods after this one (see the constructor). */
  private readonly voteFloor: number;

  protected readonly proposals = new Map<number, Proposal>();
  private readonly tallies = new Map<number, Map<string, Tally>>();
  private readonly evidence: VoteEvidence;
  private readonly verifiedVotes = new Set<string>();
  private readonly verifiedCertificates = new Set<string>();
  private readonly statusAnsweredAt: number[];
  /** Recent signed votes of every server, ours too (oldest first): the proofs that free a locked peer. */
  private readonly recentVotes: Vote[][];
  private readonly skipProofSentAt: number[];
  private readonly forkProofSentAt: number[];
  private readonly voidPayments = new Map<string, number>();
  /** Our PROPOSAL, sent; we vote on it at the next tick (see propose). */
  protected ownProposal: ProposalMessage | null = null;
  /**
   * The signed header of each pending proposal, by slot and proposer (slotAndServer): a
   * second, different one of the same proposer is evidence. Two proposers of one slot are
   * not: the beta of a slot follows the parent's configuration (§8.13).
   */
  protected readonly proposalHeaders = new Map<number, ProposalHeader>();
  /** Slots whose PROPOSAL we took, by slot and proposer (a relayed header alone does not count). */
  private readonly proposalsTaken = new Set<number>();
  private readonly evidenceKeys = new Set<string>();

  /** The checker of the configuration that decides on our committed period (evidence, ballots). */
  protected get checker(): VoteChecker {
    return this.context.membership().checker;
  }

  /** `stored` is what the store loaded at start: our last votes and the batch voted for. */
  constructor(
    protected readonly context: NodeContext,
    protected readonly alpha: Alpha,
    stored: StoredState,
  ) {
    // A store with no vote may be a lost one (a deleted directory): this server may have voted
    // before, up to the present period. It votes only for later periods, so it can never vote
    // twice for one. A store that kept its votes needs no floor: votes are monotonic.
    this.voteFloor = stored.lastVote === null ? periodOf(context.timing, context.startedAt) : 0;
    // The batch we last voted for comes back with the vote: if its period is certified while
    // every voter was down, someone must still hold it.
    const voted = stored.votedProposal;
    if (voted !== null && voted.period > stored.committed.period) this.proposals.set(voted.period, proposalOf(voted));
    this.evidence = new VoteEvidence(context.configurations.size, vote_links_remembered_per_server);
    if (context.lastVote !== null && context.self >= 0) this.evidence.record(context.self, context.lastVote.period, context.lastVote.prev);
    const servers = context.configurations.directory;
    this.statusAnsweredAt = servers.map(() => -1);
    this.skipProofSentAt = servers.map(() => -1);
    this.forkProofSentAt = servers.map(() => -1);
    this.recentVotes = servers.map(() => []);
    // Our own recent votes come back from storage: they may be the proof a locked peer needs.
    if (context.self >= 0) this.recentVotes[context.self]!.push(...stored.recentVotes);
    // Evidence comes back too; a fork among it stops us again (it is for an operator to clear).
    for (const bytes of stored.evidence) {
      const evidence = decodeEvidence(bytes);
      this.evidenceKeys.add(evidenceKey(evidence));
      context.evidence.push(evidence);
      if (evidence.kind === 'fork') this.halt(evidence);
    }
  }

  // ---- STATUS heartbeats and skip proofs -----------------------------------------------

  handleStatus(from: number, committed: Certificate, vote: Vote | null, now: number): void {
    const context = this.context;
    if (vote !== null && context.self >= 0) {
      if (vote.voter !== from) return context.reject('status_vote_not_from_voter', `STATUS from server ${from} carries another server's vote`);
      this.handleVote(vote, now);
    }
    if (committed.period > context.peerCommitted[from]!) context.peerCommitted[from] = committed.period;
    // A peer behind us (just restarted, or cut off) learns where we stand now, not a period later.
    const current = periodOf(context.timing, now);
    if (committed.period < context.committed.period && this.statusAnsweredAt[from] !== current) {
      this.statusAnsweredAt[from] = current;
      context.send(from, { type: 'status', committed: context.committed, vote: context.lastVote });
    }
    if (vote !== null && vote.period > committed.period) this.sendSkipProof(from, vote.period, current);
    if (context.halted !== null && this.forkProofSentAt[from] !== current) {
      // Stopped on a fork: its proof goes to every peer we hear from, once a period. Passed on
      // once only, it was lost on a server that was down or cut off then, and that server went
      // on at its side of the fork (found by the simulator's liars).
      this.forkProofSentAt[from] = current;
      const fork = context.evidence.find((evidence) => evidence.kind === 'fork');
      if (fork !== undefined) context.send(from, { type: 'evidence', evidence: fork });
    }
    if (committed.period > context.committed.period && !context.certified.has(committed.period)) {
      if (!this.checkCertificate(committed)) {
        // Built on a period we have not committed: it may be of a configuration we do not know
        // yet (we slept through a change, or are joining). Catch-up checks it from what it brings.
        if (committed.parent > context.committed.period || context.self < 0) {
          context.count('status_certificate_ahead');
          // A hint for catch-up, bounded by our clock: no honest server committed a period still to come.
          if (committed.period > context.aheadHint && committed.period <= periodOf(context.timing, now)) context.aheadHint = committed.period;
          return;
        }
        return context.reject('bad_certificate', `STATUS from server ${from}: certificate of period ${committed.period} does not verify`);
      }
      this.onCertificate(committed, now);
    } else if (committed.period === context.committed.period && context.halted === null && !sameDecision(committed, context.committed)) {
      // Our own period, decided otherwise: a fork. The EVIDENCE of it is passed on once, and
      // is lost on a server that was down then; STATUS comes every period (found by the
      // simulator: a restarted server went on at its side of a fork, its peer stopped).
      if (!this.checkCertificate(committed)) return context.reject('bad_certificate', `STATUS from server ${from}: certificate of period ${committed.period} does not verify`);
      this.onCertificate(committed, now);
    }
  }

  /**
   * A peer whose last vote is past its committed period may be locked on that period. The
   * proof that frees it is a vote (j, prev) with prev < period < j from enough servers; but
   * STATUS repeats only each server's last vote, and the vote that skipped may be an older
   * one that the peer missed (it was down or cut off) and that its voter no longer holds
   * (only the last vote survives a restart). So every server passes on the signed votes it
   * remembers that skipped the peer's period, at most once a period. Found by the
   * simulator: servers locked forever on dead periods whose proofs they never received.
   */
  private sendSkipProof(to: number, period: number, current: number): void {
    if (this.skipProofSentAt[to] === current) return;
    const proofs: Vote[] = [];
    for (let voter = 0; voter < this.recentVotes.length; voter++) {
      if (voter === to) continue;
      const proof = this.recentVotes[voter]!.find((vote) => vote.prev < period && period < vote.period);
      if (proof !== undefined) proofs.push(proof);
    }
    if (proofs.length === 0) return;
    this.skipProofSentAt[to] = current;
    this.context.count('skip_proofs_sent', proofs.length);
    for (const vote of proofs) this.context.send(to, { type: 'vote', vote });
  }

  // ---- proposals and votes -------------------------------------------------------------

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

  /** The beta's duty at the start of its period: the batch of the period that just ended. */
  propose(period: number, now: number): void {
    const context = this.context;
    if (context.halted !== null) return;
    const transactions = this.alpha.transactionsOf(period);
    const change = this.changeToCarry(period);
    const base: Proposal = { period, decided: period, hash: new Uint8Array(hash_bytes), transactions, parent: context.committed, outcome: null, txids: null, message: null };
    const proposal: Proposal = change === null ? base : { ...base, change };
    const outcome = this.outcomeOf(proposal);
    const fields = { period, decided: period, hash: outcome.prepared.hash, transactions, parent: context.committed, validSlot: 0, pol: [] };
    const message = this.signedProposal(change === null ? fields : { ...fields, change });
    if (change !== null) context.log.info(`beta: PROPOSAL for period ${period} carries the change to configuration ${change.replaces + 1} (${change.servers.length} servers)`);
    context.send('others', message);
    context.count('proposed');
    context.log.info(`beta: PROPOSAL for period ${period}: ${paymentCount(transactions)} payments on period ${context.committed.period}`);
    // Our own vote waits for the next turn (nextWakeAt says: at once), so the PROPOSAL
    // leaves first: persisting the vote (and the batch with it) takes a disk sync, which
    // the others should not wait for before they start re-validating.
    this.ownProposal = message;
    void now;
  }

  /** A PROPOSAL signed by this server over its header (consensus/proposal.ts). */
  protected signedProposal(fields: Omit<ProposalMessage, 'type' | 'proposer' | 'signature'>): ProposalMessage {
    const context = this.context;
    const unsigned: ProposalMessage = { ...fields, type: 'proposal', proposer: context.self, signature: new Uint8Array(signature_bytes) };
    return { ...unsigned, signature: context.signer.sign(proposalSigningMessage(context.network.id, headerOfProposal(unsigned))) };
  }

  /**
   * The checks every PROPOSAL passes, in both modes: its sender is the beta of its slot and
   * signed it; a second, different signed PROPOSAL for the same slot is evidence. Returns
   * false when the proposal is to be dropped.
   */
  protected acceptProposalHeader(from: number, message: ProposalMessage, now: number, relayed = false): boolean {
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
    if (!this.compareProposalHeader(from, header, now)) return false;
    const taken = slotAndServer(period, from);
    if (this.proposalsTaken.has(taken)) return false; // the same PROPOSAL again
    this.proposalsTaken.add(taken);
    while (this.proposalsTaken.size > 2 * pending_proposals_max) this.proposalsTaken.delete(Math.min(...this.proposalsTaken));
    // Every server passes on the header of the PROPOSAL it took: a beta that shows each
    // server another batch is caught by the first header that reaches another server.
    if (from !== context.self && !relayed) context.send('others', { type: 'proposal_header', header });
    return true;
  }

  /**
   * A signed proposal header, of a PROPOSAL or passed on by a peer: the first one of a slot is
   * kept; a different one is evidence. False when it differs (the PROPOSAL is then dropped).
   */
  private compareProposalHeader(from: number, header: ProposalHeader, now: number): boolean {
    const key = slotAndServer(header.slot, header.proposer);
    const known = this.proposalHeaders.get(key);
    if (known === undefined) {
      this.proposalHeaders.set(key, header);
      while (this.proposalHeaders.size > 2 * pending_proposals_max) this.proposalHeaders.delete(Math.min(...this.proposalHeaders.keys()));
      return true;
    }
    if (!headersDiffer(known, header)) return true;
    this.context.reject('proposal_equivocation', `server ${header.proposer} signed two different PROPOSALs for period ${header.slot} (the second from server ${from})`);
    this.noteEvidence({ kind: 'proposal', a: known, b: header }, now);
    return false;
  }

  /** A proposal header a peer passed on: checked, and compared with the one we hold for its slot. */
  handleProposalHeader(from: number, header: ProposalHeader, now: number): void {
    const context = this.context;
    if (header.slot <= context.committed.period) return;
    if (context.configurations.alphaOf(header.slot, header.parent.period) !== header.proposer) return context.reject('proposal_header_wrong_proposer', `proposal header for period ${header.slot} from server ${from} names server ${header.proposer}, not its beta`);
    const key = context.configurations.keyOf(header.proposer);
    if (key === undefined || !context.verifySignature(header.signature, proposalSigningMessage(context.network.id, header), key)) {
      return context.reject('proposal_header_bad_signature', `proposal header for period ${header.slot} from server ${from}: its signature does not verify`);
    }
    this.compareProposalHeader(from, header, now);
  }

  /** Whether our own PROPOSAL was sent and waits for our vote (the node wakes at once). */
  ownProposalWaiting(): boolean {
    return this.ownProposal !== null;
  }

  /** The next turn after propose: we take our own PROPOSAL as the others do. */
  voteOwnProposal(now: number): void {
    if (this.ownProposal !== null) {
      const proposal = this.ownProposal;
      this.ownProposal = null;
      this.handleProposal(this.context.self, proposal, now);
    }
  }

  handleProposal(from: number, message: ProposalMessage, now: number): void {
    const context = this.context;
    const { period, parent } = message;
    if (message.decided !== period || message.validSlot !== 0) {
      return context.reject('proposal_malformed', `PROPOSAL for period ${period} from server ${from} decides period ${message.decided}: a majority network proposes each period's own batch`);
    }
    if (period <= context.committed.period) return context.count('proposal_stale');
    if (!this.acceptProposalHeader(from, message, now)) return;
    if (!sameDecision(parent, context.committed)) {
      if (parent.period < context.committed.period) return context.count('proposal_old_parent');
      if (!this.checkCertificate(parent)) return context.reject('bad_certificate', `PROPOSAL ${period}: parent certificate does not verify`);
    }
    // Two betas may propose one slot around a change (on different parents): the proposal
    // we voted for stays, whoever's certificate comes (its batch must not be lost).
    const held = this.proposals.get(period);
    if (held !== undefined && context.lastVote?.period === period && held.message?.proposer !== message.proposer) return context.count('proposal_second_beta');
    this.proposals.set(period, proposalOf(message));
    // The beta's message of its period, as an operator sees it arrive (INFO's last-heard counts any batch).
    if (from !== context.self) context.log.info(`beta message from server ${from}: PROPOSAL for period ${period}, ${paymentCount(message.transactions)} payments`);
    while (this.proposals.size > pending_proposals_max) this.proposals.delete(this.oldestDroppableProposal());
    if (!sameDecision(parent, context.committed)) this.onCertificate(parent, now);
    this.tryVote(now);
    // Votes may have arrived before the proposal: a certificate may be waiting for it.
    const waiting = context.certified.get(message.decided);
    if (waiting !== undefined) this.onCertificate(waiting, now);
  }

  /**
   * The proposal to forget when too many are pending: the oldest, but never the one we last
   * voted for while it is undecided. If that period is certified, its voters are the only
   * servers that hold its batch; dropping it (a stalled network brings a new proposal every
   * period) left a certified period that nobody could commit, and every voter locked on it
   * (found by the simulator).
   */
  private oldestDroppableProposal(): number {
    const lastVote = this.context.lastVote;
    const keep = lastVote !== null && lastVote.period > this.context.committed.period ? lastVote.period : -1;
    let oldest = Number.POSITIVE_INFINITY;
    for (const period of this.proposals.keys()) if (period !== keep && period < oldest) oldest = period;
    return oldest;
  }

  /** A PROPOSAL for `period` may be voted for once that period has ended here, give or take skew_ms. */
  protected votableAt(period: number): number {
    return endOf(this.context.timing, period) - this.context.timing.skewMs;
  }

  /** The earliest time after `now` at which a pending proposal becomes votable (Infinity: none). */
  nextVotableAt(now: number): number {
    const lastVote = this.context.lastVote;
    let at = Number.POSITIVE_INFINITY;
    for (const proposal of this.proposals.values()) {
      const votable = this.votableAt(proposal.period);
      if (votable > now && (lastVote === null || proposal.period > lastVote.period)) at = Math.min(at, votable);
    }
    return at;
  }

  private lockIsDead(): boolean {
    const context = this.context;
    if (context.lastVote === null || context.lastVote.period <= context.committed.period) return true;
    // A period is dead once so many servers skipped it that the others cannot make a
    // majority: n − majority + 1 skippers. That many intersect every majority, which is
    // all the safety argument needs. For odd n it equals the majority; for even n it is
    // one less, and requiring a full majority there deadlocks (found by the simulator:
    // two servers each locked on a period the other skipped, forever).
    //
    // A server that voted for the period another decision (another beta's proposal, on
    // another parent) counts as one that skipped it: it votes once per period, so it can
    // never add to ours. Without it, a period split between two proposals was never dead
    // and its voters stayed locked for good (found by the simulator with server-set
    // changes: around a change, two servers on different parents each saw itself beta).
    // It stays safe: a certified decision has a quorum of its own votes, so fewer than
    // n − q + 1 servers ever skip it or vote otherwise (§8.7, 2).
    const locked = context.lastVote;
    // We committed a period between its parent and it: our vote skipped a certified period,
    // so its decision can never be certified (§8.7, 3), whoever is left to skip it. Without
    // this, a server removed by a change never skipped, and the lock held for good (found by
    // the simulator: two servers left, one locked on a vote built on an older parent).
    if (locked.parent < context.committed.period) return true;
    const membership = context.configurations.at(locked.parent);
    const needed = membership.ids.length - membership.quorum + 1;
    if (this.evidence.isDead(locked.period, needed, membership.ids)) return true;
    const others = this.tallies.get(locked.period);
    if (others === undefined || others.size < 2) return false;
    const ours = decisionKey(locked);
    let count = 0;
    for (const id of membership.ids) {
      if (this.evidence.skipped(id, locked.period)) count++;
      else for (const [key, tally] of others) if (key !== ours && tally.votes.has(id)) count++;
    }
    return count >= needed;
  }

  /** Votes for the newest proposal this server may vote for, if any. */
  tryVote(now: number): void {
    const context = this.context;
    if (this.proposals.size === 0 || context.halted !== null) return;
    const candidates = [...this.proposals.values()].sort((a, b) => b.period - a.period);
    for (const proposal of candidates) {
      const decision = decideVote({
        period: proposal.period,
        parent: proposal.parent.period,
        parentHashMatches: equal(proposal.parent.hash, context.committed.hash),
        committed: context.committed.period,
        lastVote: context.lastVote?.period ?? null,
        lockIsDead: this.lockIsDead(),
      });
      if (decision === 'locked') {
        context.count('vote_locked');
        return;
      }
      if (decision !== 'vote') continue;
      if (!context.configurations.at(proposal.parent.period).members.has(context.self)) {
        context.count('vote_not_member');
        continue;
      }
      if (proposal.change !== undefined) {
        const problem = this.changeProblem(proposal.change, proposal.decided);
        if (problem !== null) {
          context.reject('proposal_bad_change', `PROPOSAL ${proposal.period} carries a change we refuse: ${problem}`);
          this.proposals.delete(proposal.period);
          continue;
        }
      }
      if (proposal.period <= this.voteFloor) {
        context.count('vote_below_floor');
        continue;
      }
      if (now < this.votableAt(proposal.period)) {
        // A PROPOSAL for a period that has not ended here yet: its beta's clock runs ahead.
        // Voting for it would let one fast clock skip, and void, everyone else's periods
        // (found by the fault suite). It waits; nextWakeAt brings us back in time.
        context.count('vote_early');
        continue;
      }
      const outcome = this.outcomeOf(proposal);
      if (!equal(outcome.prepared.hash, proposal.hash)) {
        context.reject('proposal_hash_differs', `PROPOSAL ${proposal.period}: the beta's state hash differs from ours; we vote ours`);
      }
      const decisionToSign: Decision = { period: proposal.period, parent: context.committed.period, parentHash: context.committed.hash, hash: outcome.prepared.hash };
      const vote = signVote(context.signer, context.network.id, decisionToSign, context.lastVote?.period ?? 0, context.self);
      // Durable before it leaves (never two votes for one period), with the batch voted for
      // (a certified period must never be left without anyone holding its batch).
      assert(proposal.message !== null, 'a proposal voted for came as a message');
      context.store.recordVote(vote, proposal.message);
      context.lastVote = vote;
      context.count('voted');
      context.send('others', { type: 'vote', vote });
      this.verifiedVotes.add(`${vote.voter}:${decisionKey(vote)}:${vote.prev}`);
      this.handleVote(vote, now);
      return;
    }
  }

  handleVote(vote: Vote, now: number): void {
    const context = this.context;
    const key = `${vote.voter}:${decisionKey(vote)}:${vote.prev}`;
    if (!this.verifiedVotes.has(key)) {
      if (!verifyVote(context.configurations.at(vote.parent).checker, vote)) return context.reject('bad_vote', `VOTE of server ${vote.voter} for period ${vote.period} does not verify`);
      if (this.verifiedVotes.size > verified_votes_cached_max) this.verifiedVotes.clear();
      this.verifiedVotes.add(key);
    }
    const earlier = this.recentVotes[vote.voter]?.find((known) => known.period === vote.period);
    if (earlier !== undefined && votesConflict(earlier, vote)) this.noteEvidence({ kind: 'vote', a: earlier, b: vote }, now);
    this.evidence.record(vote.voter, vote.period, vote.prev);
    this.rememberVote(vote);
    if (vote.period > context.committed.period) {
      let byDecision = this.tallies.get(vote.period);
      if (byDecision === undefined) this.tallies.set(vote.period, (byDecision = new Map()));
      const decision = decisionKey(vote);
      let tally = byDecision.get(decision);
      if (tally === undefined) byDecision.set(decision, (tally = { decision: vote, votes: new Map() }));
      if (!tally.votes.has(vote.voter)) {
        tally.votes.set(vote.voter, vote);
        const quorum = context.configurations.at(vote.parent).quorum;
        if (tally.votes.size >= quorum && tally.votes.size - 1 < quorum) {
          this.onCertificate(certificateFrom(tally.decision, tally.votes.values()), now);
        }
      }
      // Bound the tallies to the periods that can still matter.
      while (this.tallies.size > 2 * pending_proposals_max) this.tallies.delete(Math.min(...this.tallies.keys()));
    }
    if (context.lastVote !== null && context.lastVote.period > context.committed.period && this.proposals.size > 0) this.tryVote(now);
  }

  /** Keeps the newest votes of each server, signed, to pass on as lock proofs. */
  private rememberVote(vote: Vote): void {
    const list = this.recentVotes[vote.voter];
    if (list === undefined || list.some((known) => known.period === vote.period)) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.period > vote.period) at--;
    list.splice(at, 0, vote);
    if (list.length > votes_remembered_per_server) list.shift();
  }

  // ---- certificates and commits --------------------------------------------------------

  /** Checks a certificate against the network's keys (the ones already checked are remembered). */
  checkCertificate(certificate: Certificate): boolean {
    const key = `${decisionKey(certificate)}:${certificate.votes.map((vote) => vote.voter).join(',')}`;
    if (this.verifiedCertificates.has(key)) return true;
    if (!verifyCertificate(this.context.configurations.at(certificate.parent).checker, certificate)) return false;
    if (this.verifiedCertificates.size > verified_certificates_cached_max) this.verifiedCertificates.clear();
    this.verifiedCertificates.add(key);
    return true;
  }

  /** A verified certificate: commit it, remember it, or catch up to it. */
  protected onCertificate(certificate: Certificate, now: number): void {
    const context = this.context;
    const place = placeCertificate(
      { period: certificate.period, parent: certificate.parent, parentHashMatchesCommitted: equal(certificate.parentHash, context.committed.hash) },
      context.committed.period,
      sameDecision(certificate, context.committed),
    );
    if (place === 'old') return;
    if (!this.holdsInItsConfiguration(certificate)) {
      // Checked (or tallied) while we did not know its parent's configuration yet, it does not
      // hold in it: never committed, never a fork (found by test:slow: a joining server tallied
      // one vote as a certificate by the file's servers, then committed it after a snapshot
      // that brought a configuration of two).
      context.certified.delete(certificate.period);
      return context.count('certificate_other_configuration');
    }
    if (place === 'conflict') {
      context.count('certificate_conflict');
      if (!this.checkCertificate(context.committed)) {
        // Our own certificate does not hold: our ledger was damaged, not the network split.
        context.log.error(
          `certificate for period ${certificate.period} (parent ${certificate.parent}) conflicts with our committed period ${context.committed.period}, whose own certificate does not verify (a damaged ledger): we are out of sync`,
        );
        context.markOutOfSync(now);
        return;
      }
      // Two valid certificates that cannot both hold: a fork, which a quorum never makes
      // unless more servers misbehaved than the network tolerates (PROTOCOL §8.12). We keep
      // the proof, say so, and stop: never go on silently on either side.
      // Once stopped, the other branch's certificates keep coming with every STATUS: counted
      // (certificate_conflict), said once.
      if (context.halted === null) {
        context.log.error(`certificate for period ${certificate.period} (parent ${certificate.parent}) conflicts with our committed period ${context.committed.period}, and both hold`);
      }
      this.noteEvidence({ kind: 'fork', a: context.committed, b: certificate }, now);
      return;
    }
    context.certified.set(certificate.period, certificate);
    while (context.certified.size > pending_proposals_max) context.certified.delete(Math.min(...context.certified.keys()));
    if (place === 'next') {
      const proposal = this.proposalDeciding(certificate);
      if (proposal !== undefined && sameDecision(proposal.parent, context.committed)) {
        const outcome = this.outcomeOf(proposal);
        if (equal(outcome.prepared.hash, certificate.hash)) {
          this.commit(certificate, proposal.transactions, outcome, now, proposal.change);
          return;
        }
        context.count('state_differs');
        context.log.error(`period ${certificate.period}: our state hash differs from the majority's: we are out of sync`);
        context.markOutOfSync(now);
        return;
      }
    }
    if (context.behindSince === null) context.behindSince = now;
  }

  /**
   * Whether a certificate built on a committed period we know holds under the configuration
   * that decides on it. Certificates are checked when they arrive with the configurations
   * known then; one built on a later period is only a hint until we get there. Without any
   * change committed the check then was exact, and this costs nothing.
   */
  holdsInItsConfiguration(certificate: Certificate): boolean {
    const context = this.context;
    if (context.chain.length === 0 || certificate.parent > context.committed.period || certificate.period === 0) return true;
    return verifyCertificate(context.configurations.at(certificate.parent).checker, certificate);
  }

  /** The pending proposal whose batch a certificate decides, if we hold it (by period: a majority network proposes each period once). */
  protected proposalDeciding(certificate: Certificate): Proposal | undefined {
    return this.proposals.get(certificate.period);
  }

  /** `change`: the configuration change the period carried, if any. */
  commit(certificate: Certificate, transactions: Uint8Array, outcome: Outcome, now: number, change: Change | undefined): void {
    const context = this.context;
    assert(certificate.parent === context.committed.period, 'a commit extends the committed period');
    const record = change === undefined ? { certificate, transactions } : { certificate, transactions, change };
    context.store.commit({ record, applied: outcome.applied, changes: outcome.prepared.changes });
    context.state.commit(outcome.prepared);
    assert(equal(context.state.hash, certificate.hash), 'the committed state has the certified hash');
    const previous = context.committed.period;
    context.committed = certificate;
    // Our own state gave the certified hash: whatever sent us looking for a snapshot, we hold
    // the majority's state now (a snapshot still on its way is dropped if it is not newer).
    context.outOfSync = false;
    context.count('committed');
    const count = outcome.applied.length;
    context.log.info(
      `committed period ${certificate.period}: ${outcome.appliedCount} of ${count} payments applied, ${context.state.describe()}` +
        (certificate.parent !== previous || certificate.parent + 1 !== certificate.period ? `, parent ${certificate.parent}` : ''),
    );
    if (change !== undefined) this.adoptChange({ carrier: certificate.period, change });
    this.afterCommittedMoved(now);
  }

  /** Our committed state changed (a commit or a snapshot): settle everything that hung on it. */
  afterCommittedMoved(now: number): void {
    const context = this.context;
    const committed = context.committed;
    // A change committed earlier may take effect with this period: a server it leaves out stops here.
    context.checkRemoved();
    for (const [period, proposal] of this.proposals) {
      if (period > committed.period) continue;
      if (proposal.decided < committed.period && isSkippedBy(proposal.decided, committed)) this.markVoid(proposal);
      this.proposals.delete(period);
    }
    for (const period of this.tallies.keys()) if (period <= committed.period) this.tallies.delete(period);
    for (const period of context.certified.keys()) if (period <= committed.period) context.certified.delete(period);
    this.alpha.rebase(context.state);
    if (context.highestCertified() <= committed.period) context.behindSince = null;
    this.tryVote(now);
    const next = [...context.certified.values()].find((certificate) => certificate.parent === committed.period);
    if (next !== undefined) this.onCertificate(next, now);
  }

  protected markVoid(proposal: Proposal): void {
    this.context.count('period_void');
    this.context.log.info(`period ${proposal.decided} is void: a later period was certified without it`);
    for (const txidHex of this.decidedTxids(proposal)) this.voidPayments.set(txidHex, proposal.decided);
    while (this.voidPayments.size > void_payments_remembered_max) {
      this.voidPayments.delete(this.voidPayments.keys().next().value!);
    }
  }

  // ---- configuration changes (§8.13) ----------------------------------------------------

  /**
   * Why a change may not be carried by period `carrier` on our committed state, or null:
   * the newest configuration must be the one in force (one change at a time), and the
   * change must meet every rule of checkChange. Deterministic: every server decides alike.
   */
  changeProblem(change: Change, carrier: number): string | null {
    const context = this.context;
    const latest = context.configurations.latest;
    if (context.configurations.at(context.committed.period).configuration.number !== latest.number) {
      return `configuration ${latest.number} is committed and starts at period ${latest.first}: one change at a time`;
    }
    try {
      checkChange(context.network.id, latest, change, carrier, context.verifySignature);
      return null;
    } catch (error) {
      if (isScrypError(error)) return error.message;
      throw error;
    }
  }

  /** The change the beta of `period` carries: the candidate, if it may be carried now (a stale one is dropped). */
  protected changeToCarry(period: number): Change | null {
    const context = this.context;
    const candidate = context.changeCandidate;
    if (candidate === null) return null;
    const problem = this.changeProblem(candidate, period);
    if (problem === null) return candidate;
    if (candidate.replaces < context.configurations.latest.number || (candidate.first !== 0 && candidate.first < period + change_lead_periods)) {
      context.log.warn(`the submitted change to configuration ${candidate.replaces + 1} can no longer be carried: ${problem}`);
      context.changeCandidate = null;
    }
    return null;
  }

  /**
   * A change submitted by a client (queries) or passed on by a peer: checked against the
   * newest configuration (signatures, list, the one it replaces), kept as the candidate a
   * beta carries, and passed on to the other servers once. Returns the refusal, or null.
   */
  submitChange(change: Change, from: number | 'client', now: number): ScrypError | null {
    const context = this.context;
    const latest = context.configurations.latest;
    const known = context.changeCandidate;
    const bytes = encodeChange(change);
    const knownBytes = known === null ? null : encodeChange(known);
    // The same change again (every server passes it on once): nothing to check twice.
    if (knownBytes !== null && equal(knownBytes, bytes)) return null;
    let problem: ScrypError | null = null;
    try {
      // Carried at the earliest in the current period: a first period too close is refused now.
      checkChange(context.network.id, latest, change, Math.max(context.committed.period + 1, periodOf(context.timing, now)), context.verifySignature);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      problem = error;
    }
    if (problem !== null) {
      if (from !== 'client') context.reject('change_refused', `CHANGE from server ${from} refused: ${problem.message}`);
      return problem;
    }
    // Two different changes of one configuration (or one change with two sets of signatures):
    // every server keeps the same one, the lower in byte order, and passes on only a change it
    // takes. Otherwise servers swapped candidates and passed each on again, forever (found by
    // the simulator: a storm of CHANGE messages in one instant).
    if (known !== null && knownBytes !== null && known.replaces === latest.number && equal(known.replacesHash, latest.hash) && compare(knownBytes, bytes) < 0) {
      context.count('change_not_preferred');
      return null;
    }
    context.changeCandidate = change;
    context.count('change_submitted');
    context.log.info(`change to configuration ${latest.number + 1} (${change.servers.length} servers) taken ${from === 'client' ? 'from a client' : `from server ${from}`}: the next beta carries it`);
    context.send('others', { type: 'change', change });
    return null;
  }

  /** A committed period carried a change: the chain grows, and with it what every server knows of the servers. */
  protected adoptChange(entry: CommittedChange): void {
    const context = this.context;
    const previous = context.configurations.latest;
    try {
      context.adoptChain([...context.chain, entry]);
    } catch (error) {
      // A certified change that does not follow from the chain: more servers lied than any quorum tolerates.
      if (!isScrypError(error)) throw error;
      context.halted = `period ${entry.carrier} was certified with a change we cannot accept (${error.message}); this server stopped taking part`;
      context.log.error(`STOPPED: ${context.halted}`);
      return;
    }
    this.growTables();
    const next = context.configurations.latest;
    if (context.changeCandidate !== null && context.changeCandidate.replaces <= previous.number) context.changeCandidate = null;
    context.count('configuration_changes');
    context.log.info(
      `configuration ${next.number} committed in period ${entry.carrier}: ${next.servers.length} servers, quorum ${next.quorum}, from period ${next.first} (configuration ${previous.number} had ${previous.servers.length})`,
    );
  }

  /** The per-server tables follow the directory as it grows. */
  growTables(): void {
    const size = this.context.configurations.size;
    for (const table of [this.statusAnsweredAt, this.skipProofSentAt, this.forkProofSentAt]) while (table.length < size) table.push(-1);
    while (this.recentVotes.length < size) this.recentVotes.push([]);
    this.evidence.grow(size);
  }

  // ---- evidence ------------------------------------------------------------------------

  /** A verified EVIDENCE message from a peer. */
  handleEvidence(from: number, evidence: Evidence, now: number): void {
    if (this.evidenceKeys.has(evidenceKey(evidence))) return;
    if (!checkEvidence(this.checker, evidence)) return this.context.reject('bad_evidence', `EVIDENCE from server ${from} does not prove what it says: ${describeEvidence(evidence)}`);
    this.noteEvidence(evidence, now);
  }

  /**
   * Evidence this server found or was given: kept on disk once, logged once at error,
   * counted, passed on to every other server; a fork stops this server.
   */
  protected noteEvidence(evidence: Evidence, now: number): void {
    const context = this.context;
    const key = evidenceKey(evidence);
    if (this.evidenceKeys.has(key)) return;
    // A fork is always kept and always stops us; only proofs against one server are capped
    // (a liar could otherwise fill the store first and fork after, unnoticed).
    if (evidence.kind !== 'fork' && this.evidenceKeys.size >= evidence_kept_max) return context.count('evidence_dropped');
    this.evidenceKeys.add(key);
    context.store.recordEvidence(key, encodeEvidence(evidence));
    context.evidence.push(evidence);
    const offender = offenderOf(evidence);
    context.count('equivocations');
    if (offender >= 0) context.count(`equivocations_server_${offender}`);
    context.log.error(`EVIDENCE: ${describeEvidence(evidence)}; kept on disk and passed to the other servers (scryp evidence prints it)`);
    context.send('others', { type: 'evidence', evidence });
    if (evidence.kind === 'fork') this.halt(evidence);
    void now;
  }

  private halt(evidence: Extract<Evidence, { kind: 'fork' }>): void {
    const context = this.context;
    if (context.halted !== null) return;
    context.halted = `${describeEvidence(evidence)}; this server stopped taking part and answers UNAVAILABLE until an operator acts (docs/OPERATIONS.md)`;
    context.count('halted');
    context.log.error(`STOPPED: ${context.halted}`);
  }

  // ---- what STATUS of a payment asks (queries.ts) --------------------------------------

  /** The period of a pending proposal that holds this payment, or null. */
  proposedPeriodOf(txidHex: string): number | null {
    for (const proposal of this.proposals.values()) {
      if (proposal.txids === null) proposal.txids = new Set(this.decidedTxids(proposal));
      if (proposal.txids.has(txidHex)) return proposal.decided;
    }
    return null;
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

  /** The void period that held this payment, if we remember it (void_payments_remembered_max). */
  voidPeriodOf(txidHex: string): number | null {
    return this.voidPayments.get(txidHex) ?? null;
  }
}
