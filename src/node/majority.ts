// Agreement in a `majority` network (docs/PROTOCOL.md §8.5–§8.7): the beta proposes its
// period's batch; each server votes once per period, for the newest proposal on its
// committed state that it may vote for (consensus/rules.ts decideVote: not twice, not on
// another parent, not while locked on a period that is not dead); a majority of votes for
// one decision, counted in one VoteSet per period, is a certificate (commits.ts takes it).

import { pending_proposals_max, verified_votes_cached_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import { assert } from '../errors.ts';
import { paymentCount } from '../payment-list.ts';
import { periodOf } from '../schedule.ts';
import { decideVote } from '../consensus/rules.ts';
import { VoteSet } from '../consensus/vote-set.ts';
import { type Certificate, certificateFrom, type Decision, decisionKey, sameDecision, signVote, verifyVote, type Vote } from '../consensus/vote.ts';
import { votesConflict } from '../consensus/evidence.ts';
import type { StoredState } from '../ledger/store.ts';
import type { ProposalMessage } from '../peer/messages.ts';
import type { Certificates } from './certificates.ts';
import type { Rounds } from './commits.ts';
import type { NodeContext } from './context.ts';
import type { EvidenceKept } from './evidence.ts';
import { type Proposal, proposalOf } from './pending.ts';
import type { Proposals } from './proposals.ts';
import type { VoteMemory } from './vote-memory.ts';

export class MajorityAgreement implements Rounds {
  /** This server votes only for periods after this one (see the constructor). */
  private readonly voteFloor: number;
  /** The votes counted for each period after our committed one. */
  private readonly tallies = new Map<number, VoteSet<Vote>>();
  private readonly verifiedVotes = new Set<string>();

  /** `stored` is what the store loaded at start: our last vote and the batch voted for. */
  constructor(
    private readonly context: NodeContext,
    private readonly proposals: Proposals,
    private readonly certificates: Certificates,
    private readonly memory: VoteMemory,
    private readonly evidence: EvidenceKept,
    stored: StoredState,
  ) {
    // A store with no vote may be a lost one (a deleted directory): this server may have voted
    // before, up to the present period. It votes only for later periods, so it can never vote
    // twice for one. A store that kept its votes needs no floor: votes are monotonic.
    this.voteFloor = stored.lastVote === null ? periodOf(context.timing, context.startedAt) : 0;
    // The batch we last voted for comes back with the vote: if its period is certified while
    // every voter was down, someone must still hold it.
    const voted = stored.votedProposal;
    if (voted !== null && voted.period > stored.committed.period) proposals.pending.set(voted.period, proposalOf(voted));
  }

  // ---- the beta -------------------------------------------------------------------------

  /** The beta's duty at the start of its period: the batch of the period that just ended. */
  propose(period: number): void {
    const context = this.context;
    if (context.halted !== null) return;
    const { fields, change } = this.proposals.freshBatch(period);
    const message = this.proposals.signed(fields);
    if (change !== null) context.log.info(`beta: PROPOSAL for period ${period} carries the change to configuration ${change.replaces + 1} (${change.servers.length} servers)`);
    this.proposals.send(message);
    context.log.info(`beta: PROPOSAL for period ${period}: ${paymentCount(fields.transactions)} payments on period ${context.committed.period}`);
  }

  // ---- proposals --------------------------------------------------------------------------

  handleProposal(from: number, message: ProposalMessage): void {
    const context = this.context;
    const { period, parent } = message;
    const pending = this.proposals.pending;
    if (message.decided !== period || message.validSlot !== 0) {
      return context.reject('proposal_malformed', `PROPOSAL for period ${period} from server ${from} decides period ${message.decided}: a majority network proposes each period's own batch`);
    }
    if (period <= context.committed.period) return context.count('proposal_stale');
    if (!this.proposals.acceptHeader(from, message)) return;
    if (!sameDecision(parent, context.committed)) {
      if (parent.period < context.committed.period) return context.count('proposal_old_parent');
      if (!this.certificates.check(parent)) return context.reject('bad_certificate', `PROPOSAL ${period}: parent certificate does not verify`);
    }
    // Two betas may propose one slot around a change (on different parents): the proposal
    // we voted for stays, whoever's certificate comes (its batch must not be lost).
    const held = pending.get(period);
    if (held !== undefined && context.lastVote?.period === period && held.message?.proposer !== message.proposer) return context.count('proposal_second_beta');
    pending.set(period, proposalOf(message));
    // The beta's message of its period, as an operator sees it arrive (INFO's last-heard counts any batch).
    if (from !== context.self) context.log.info(`beta message from server ${from}: PROPOSAL for period ${period}, ${paymentCount(message.transactions)} payments`);
    while (pending.size > pending_proposals_max) pending.delete(this.oldestDroppable());
    if (!sameDecision(parent, context.committed)) context.then({ kind: 'certificate', certificate: parent });
    context.then({ kind: 'vote_due' });
    // Votes may have arrived before the proposal: a certificate may be waiting for it.
    context.then({ kind: 'certificate_waiting', period: message.decided });
  }

  /**
   * The proposal to forget when too many are pending: the oldest, but never the one we last
   * voted for while it is undecided. If that period is certified, its voters are the only
   * servers that hold its batch; dropping it (a stalled network brings a new proposal every
   * period) left a certified period that nobody could commit, and every voter locked on it
   * (found by the simulator).
   */
  private oldestDroppable(): number {
    const lastVote = this.context.lastVote;
    const keep = lastVote !== null && lastVote.period > this.context.committed.period ? lastVote.period : -1;
    let oldest = Number.POSITIVE_INFINITY;
    for (const period of this.proposals.pending.keys()) if (period !== keep && period < oldest) oldest = period;
    return oldest;
  }

  /** The earliest time after `now` at which a pending proposal becomes votable (Infinity: none). */
  nextVotableAt(now: number): number {
    const lastVote = this.context.lastVote;
    let at = Number.POSITIVE_INFINITY;
    for (const proposal of this.proposals.pending.values()) {
      const votable = this.proposals.votableAt(proposal.period);
      if (votable > now && (lastVote === null || proposal.period > lastVote.period)) at = Math.min(at, votable);
    }
    return at;
  }

  // ---- votes ------------------------------------------------------------------------------

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
    const skippers = membership.ids.length - membership.quorum + 1;
    if (this.memory.links.isDead(locked.period, skippers, membership.ids)) return true;
    const others = this.tallies.get(locked.period);
    if (others === undefined || others.decisions < 2) return false;
    const ours = decisionKey(locked);
    let count = 0;
    for (const id of membership.ids) {
      if (this.memory.links.skipped(id, locked.period)) count++;
      else count += others.otherDecisionsOf(id, ours);
    }
    return count >= skippers;
  }

  /** Votes for the newest proposal this server may vote for, if any. */
  tryVote(now: number): void {
    const context = this.context;
    const pending = this.proposals.pending;
    if (pending.size === 0 || context.halted !== null) return;
    const candidates = [...pending.values()].sort((a, b) => b.period - a.period);
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
      const problem = this.proposals.changeProblem(proposal);
      if (problem !== null) {
        context.reject('proposal_bad_change', `PROPOSAL ${proposal.period} carries a change we refuse: ${problem}`);
        pending.delete(proposal.period);
        continue;
      }
      if (proposal.period <= this.voteFloor) {
        context.count('vote_below_floor');
        continue;
      }
      if (now < this.proposals.votableAt(proposal.period)) {
        // A PROPOSAL for a period that has not ended here yet: its beta's clock runs ahead.
        // Voting for it would let one fast clock skip, and void, everyone else's periods
        // (found by the fault suite). It waits; nextWakeAt brings us back in time.
        context.count('vote_early');
        continue;
      }
      const outcome = this.proposals.outcomeOf(proposal);
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
      context.then({ kind: 'vote', vote });
      return;
    }
  }

  /** A VOTE: ours, one a STATUS carries, or one a peer passed on (its voter signed it). */
  handleVote(vote: Vote): void {
    const context = this.context;
    const key = `${vote.voter}:${decisionKey(vote)}:${vote.prev}`;
    if (!this.verifiedVotes.has(key)) {
      if (!verifyVote(context.configurations.at(vote.parent).checker, vote)) return context.reject('bad_vote', `VOTE of server ${vote.voter} for period ${vote.period} does not verify`);
      if (this.verifiedVotes.size > verified_votes_cached_max) this.verifiedVotes.clear();
      this.verifiedVotes.add(key);
    }
    // A second, different vote of one voter for one period is evidence, whenever it comes:
    // the memory of recent votes reaches periods the tallies have already forgotten.
    const earlier = this.memory.voteOf(vote.voter, vote.period);
    if (earlier !== undefined && votesConflict(earlier, vote)) this.evidence.note({ kind: 'vote', a: earlier, b: vote });
    this.memory.remember(vote);
    const tallied = vote.period > context.committed.period;
    if (tallied) {
      let votes = this.tallies.get(vote.period);
      if (votes === undefined) this.tallies.set(vote.period, (votes = new VoteSet<Vote>('count')));
      // Every signed vote counts toward its decision, a conflicting one too (its evidence was kept above).
      const added = votes.add(vote, context.configurations.at(vote.parent).quorum);
      const quorum = added.kind === 'duplicate' ? null : added.quorum;
      if (quorum !== null) context.then({ kind: 'certificate', certificate: certificateFrom(vote, quorum) });
    }
    context.then({ kind: 'vote_counted', tallied });
  }

  /** After a vote was counted (and what its certificate led to): bound the tallies, and vote again if we are locked. */
  voteCounted(tallied: boolean): void {
    const context = this.context;
    // Bound the tallies to the periods that can still matter.
    if (tallied) while (this.tallies.size > 2 * pending_proposals_max) this.tallies.delete(Math.min(...this.tallies.keys()));
    if (context.lastVote !== null && context.lastVote.period > context.committed.period && this.proposals.pending.size > 0) context.then({ kind: 'vote_due' });
  }

  // ---- what commits ask (Rounds) ------------------------------------------------------------

  /** The pending proposal whose batch a certificate decides, if we hold it (by period: a majority network proposes each period once). */
  proposalDeciding(certificate: Certificate): Proposal | undefined {
    return this.proposals.pending.get(certificate.period);
  }

  settleCommitted(): void {
    const committed = this.context.committed.period;
    for (const period of this.tallies.keys()) if (period <= committed) this.tallies.delete(period);
  }
}
