// Agreement in a `two-thirds` network (PROTOCOL §8.11): a quorum of q = ⌊2n/3⌋ + 1, and no
// split of the ledger while at most f = n − q servers behave arbitrarily.
//
// One vote per period is not enough against a server that lies: it can bring some honest
// servers to vote for a batch and then withhold the vote that would certify it, and those
// servers could never safely vote for anything else. So each slot (the period whose beta
// proposes) has two signed steps, as in Tendermint ("The latest gossip on BFT consensus",
// Buchman, Kwon, Milosevic), with the period's rotation as its rounds and the committed
// period as its height:
//
//   PROPOSAL  the beta of slot s sends the batch of period s on our committed period, or
//             the batch a quorum prevoted in an earlier slot (its `valid` one), with those
//             prevotes as proof;
//   PREVOTE   each server backs the decision it computes for that batch, unless it is locked
//             on another decision and the proposal brings no proof of a quorum that prevoted
//             after its lock;
//   PRECOMMIT a server that sees a quorum prevote one decision in a slot locks on it and
//             precommits it;
//   commit    a quorum of precommits of one slot is a certificate: the decided period commits.
//
// A server casts at most one prevote and one precommit per slot, never in a slot before one
// it already cast in, and keeps them and its lock on disk before they leave. When a slot
// brings no certificate, the next slot's beta tries again with what is valid by then; the
// rotation gives every server its turn, so in a calm stretch with a quorum of honest servers
// connected, a slot with an honest beta commits. The ballots of each step of a slot are
// counted in one VoteSet (consensus/vote-set.ts), which also holds each voter's first ballot:
// a second, different one is evidence.

import { pending_proposals_max, verified_votes_cached_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import { assert } from '../errors.ts';
import { paymentCount } from '../payment-list.ts';
import { periodOf } from '../schedule.ts';
import { type Ballot, ballotKey, type BallotStep, signBallot, verifyBallot } from '../consensus/ballot.ts';
import { VoteSet } from '../consensus/vote-set.ts';
import { type Certificate, certificateFromPrecommits, type Decision, decisionKey, sameDecision, type Vote } from '../consensus/vote.ts';
import type { BallotState, StoredState } from '../ledger/store.ts';
import type { ProposalMessage } from '../peer/messages.ts';
import type { Certificates } from './certificates.ts';
import type { Rounds } from './commits.ts';
import type { NodeContext } from './context.ts';
import type { EvidenceKept } from './evidence.ts';
import { type Proposal, proposalOf } from './pending.ts';
import type { Proposals } from './proposals.ts';
import type { Polka } from './steps.ts';

/** The slots' ballots kept (two steps each): enough for every slot that can still matter. */
const ballot_rounds_max = 8 * pending_proposals_max;

export class TwoThirdsAgreement implements Rounds {
  private ballots: BallotState;
  /** This server casts ballots only in slots after this one (a store that lost its ballots: see the constructor). */
  private readonly ballotFloor: number;
  /** The decision we precommitted, with its batch: we back nothing else unless a later quorum proves it safe. */
  private lock: { slot: number; decision: Decision; proposal: Proposal } | null = null;
  /** The last slot whose beta we sent our lock's proof (showLockProof). */
  private lockProofShown = -1;
  /** The newest decision a quorum prevoted (with the proof): what we propose again when it is our turn. */
  private valid: (Polka & { proposal: Proposal }) | null = null;
  /** Polkas seen whose batch we do not hold yet. */
  private readonly polkas = new Map<number, Polka>();
  /** The ballots of each step of each slot ("step:slot"), counted per decision. */
  private readonly rounds = new Map<string, VoteSet<Ballot>>();
  private readonly verifiedBallots = new Set<string>();
  private readonly relayedPolkas = new Set<number>();

  constructor(
    private readonly context: NodeContext,
    private readonly proposals: Proposals,
    private readonly certificates: Certificates,
    private readonly evidence: EvidenceKept,
    stored: StoredState,
  ) {
    this.ballots = stored.ballots;
    // As with votes: a store without ballots may be a lost one, so cast only in later slots.
    this.ballotFloor = stored.ballots.prevote === null && stored.ballots.precommit === null ? periodOf(context.timing, context.startedAt) : 0;
    const lock = stored.ballots.lock;
    if (lock !== null && sameDecision(lock.proposal.parent, stored.committed) && lock.decision.parent === stored.committed.period) {
      const proposal = proposalOf(lock.proposal);
      proposals.pending.set(lock.proposal.period, proposal);
      this.lock = { slot: lock.slot, decision: lock.decision, proposal };
      // The prevotes that made it valid come back too: when it is our turn as beta we propose
      // it again with them, the only proof that frees servers locked on it across restarts.
      if (lock.pol.length > 0) this.valid = { slot: lock.slot, decision: lock.decision, prevotes: lock.pol, proposal };
    }
  }

  /** Our stored ballots, counted again at start as the others' STATUS brings theirs back. */
  get storedBallots(): Ballot[] {
    return [this.ballots.prevote, this.ballots.precommit].filter((ballot): ballot is Ballot => ballot !== null);
  }

  // ---- the beta -------------------------------------------------------------------------

  propose(period: number): void {
    const context = this.context;
    if (context.halted !== null) return;
    const valid = this.valid;
    let message: ProposalMessage;
    if (valid !== null && sameDecision(valid.proposal.parent, context.committed)) {
      // A batch a quorum prevoted is proposed again: its slot may still be decided, and
      // servers locked on it back nothing else (this slot's own batch is void).
      const fields = {
        period,
        decided: valid.proposal.decided,
        hash: valid.decision.hash,
        transactions: valid.proposal.transactions,
        parent: context.committed,
        validSlot: valid.slot,
        pol: valid.prevotes,
      };
      // The change that batch carried goes with it: it is part of the decision (§9).
      message = this.proposals.signed(valid.proposal.change === undefined ? fields : { ...fields, change: valid.proposal.change });
      context.log.info(`beta: PROPOSAL for slot ${period}: period ${valid.proposal.decided} again, prevoted by a quorum in slot ${valid.slot}`);
    } else {
      const { fields } = this.proposals.freshBatch(period);
      message = this.proposals.signed(fields);
      context.log.info(`beta: PROPOSAL for period ${period}: ${paymentCount(fields.transactions)} payments on period ${context.committed.period}`);
    }
    this.proposals.send(message);
  }

  handleProposal(from: number, message: ProposalMessage): void {
    const context = this.context;
    const { period, parent } = message;
    const pending = this.proposals.pending;
    if (period <= context.committed.period) return context.count('proposal_stale');
    // Another server's PROPOSAL passed on: only the batch of a polka we hold without it (showLockProof).
    const relayed = message.proposer !== from;
    if (relayed && ![...this.polkas.values()].some((polka) => polka.decision.period === message.decided)) return context.count('proposal_relayed_unwanted');
    if (!this.proposals.acceptHeader(from, message, relayed)) return;
    if (message.validSlot === 0 && message.decided !== period) {
      // Only a quorum's prevotes make an earlier period's batch worth proposing again (§8.11);
      // without them a lying beta could commit an honest alpha's period with some of its
      // ACCEPTED payments left out (found by the simulator's liars).
      return context.reject('proposal_unproven_batch', `PROPOSAL ${period} from server ${from}: the batch of period ${message.decided} again, without the prevotes that make it valid`);
    }
    if (!sameDecision(parent, context.committed)) {
      if (parent.period < context.committed.period) return context.count('proposal_old_parent');
      if (!this.certificates.check(parent)) return context.reject('bad_certificate', `PROPOSAL ${period}: parent certificate does not verify`);
    }
    pending.set(period, proposalOf(message));
    if (from !== context.self) context.log.info(`beta message from server ${from}: PROPOSAL for slot ${period}, period ${message.decided}, ${paymentCount(message.transactions)} payments`);
    while (pending.size > pending_proposals_max) pending.delete(this.oldestDroppable());
    if (!sameDecision(parent, context.committed)) context.then({ kind: 'certificate', certificate: parent });
    context.then({ kind: 'vote_due' });
    context.then({ kind: 'polkas_retried' });
    context.then({ kind: 'certificate_waiting', period: message.decided });
  }

  /** The pending proposal to forget first: the oldest slot, but never the batch we are locked on. */
  private oldestDroppable(): number {
    const pending = this.proposals.pending;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [slot, proposal] of pending) if (proposal !== this.lock?.proposal && proposal !== this.valid?.proposal && slot < oldest) oldest = slot;
    return oldest === Number.POSITIVE_INFINITY ? Math.min(...pending.keys()) : oldest;
  }

  nextVotableAt(now: number): number {
    const last = this.ballots.prevote?.slot ?? 0;
    let at = Number.POSITIVE_INFINITY;
    for (const slot of this.proposals.pending.keys()) {
      const votable = this.proposals.votableAt(slot);
      if (votable > now && slot > last) at = Math.min(at, votable);
    }
    return at;
  }

  // ---- prevotes -------------------------------------------------------------------------

  /** Prevotes in the newest slot whose proposal this server may back (core.ts asks every tick). */
  tryVote(now: number): void {
    const context = this.context;
    const pending = this.proposals.pending;
    if (pending.size === 0 || context.halted !== null) return;
    this.prevoteFrom([...pending.entries()].sort((a, b) => b[0] - a[0]), 0, null, this.ballots.prevote?.slot ?? 0, now);
  }

  /**
   * Goes through the candidates (newest slot first) from `start`. `resumed`: the decision of
   * candidate `start`, whose proof was a polka that has been taken since (prevote_resumed);
   * `lastSlot`: our last prevote's slot when the decision began.
   */
  prevoteFrom(candidates: readonly (readonly [number, Proposal])[], start: number, resumed: Decision | null, lastSlot: number, now: number): void {
    const context = this.context;
    for (let index = start; index < candidates.length; index++) {
      const [slot, proposal] = candidates[index]!;
      const message = proposal.message;
      let decision: Decision;
      if (index === start && resumed !== null) {
        decision = resumed;
        assert(message !== null, 'a proposal of a slot came as a message');
      } else {
        if (slot <= lastSlot || slot <= this.ballotFloor) return;
        if (!sameDecision(proposal.parent, context.committed)) continue;
        if (now < this.proposals.votableAt(slot)) {
          context.count('vote_early');
          continue;
        }
        if (!context.membership().members.has(context.self)) {
          context.count('vote_not_member');
          return;
        }
        const problem = this.proposals.changeProblem(proposal);
        if (problem !== null) {
          context.reject('proposal_bad_change', `PROPOSAL ${slot} carries a change we refuse: ${problem}`);
          this.proposals.pending.delete(slot);
          continue;
        }
        decision = this.decisionOf(proposal);
        assert(message !== null, 'a proposal of a slot came as a message');
        if (message.validSlot !== 0 && !this.polkaHolds(message, decision)) {
          context.reject('proposal_bad_proof', `PROPOSAL ${slot}: its proof (a quorum of prevotes in slot ${message.validSlot}) does not hold`);
          this.proposals.pending.delete(slot);
          continue;
        }
        if (message.validSlot !== 0) {
          // The proof is a polka: taken first (it may lock us), then this candidate goes on.
          context.then({ kind: 'polka', polka: { slot: message.validSlot, decision, prevotes: message.pol }, retried: false });
          context.then({ kind: 'prevote_resumed', candidates, index, decision, lastSlot });
          return;
        }
      }
      const lock = this.lock;
      const mayBack = lock === null || decisionKey(lock.decision) === decisionKey(decision) || (message.validSlot !== 0 && lock.slot <= message.validSlot);
      if (!mayBack) {
        context.count('prevote_locked');
        this.showLockProof(slot, message.proposer);
        continue;
      }
      const ballot = signBallot(context.signer, context.network.id, 'prevote', slot, decision, context.self);
      this.ballots = { ...this.ballots, prevote: ballot };
      context.store.recordBallots(this.ballots); // durable before it leaves
      context.count('prevoted');
      context.send('others', { type: 'prevote', ballot });
      context.then({ kind: 'ballot', ballot });
      return;
    }
  }

  /**
   * Locked, we refuse a beta's proposal: we send that beta the quorum of prevotes that made
   * our lock (once per slot), so that it knows the valid decision and proposes it with its
   * proof. A locked server may never be the beta again: a server-set change can take it out
   * of the rotation while its ballot is still needed at this height, and its proof then
   * reached no one (found by the simulator: seed 59470424, two-thirds with changes).
   */
  private showLockProof(slot: number, proposer: number): void {
    const context = this.context;
    const pol = this.ballots.lock?.pol ?? [];
    if (pol.length === 0 || slot <= this.lockProofShown || proposer === context.self) return;
    this.lockProofShown = slot;
    context.count('lock_proof_shown');
    for (const prevote of pol) context.send(proposer, { type: 'prevote', ballot: prevote });
    // And the batch: the beta may no longer hold it (it dropped it, or never had it).
    const locked = this.lock?.proposal.message;
    if (locked !== undefined && locked !== null) context.send(proposer, locked);
  }

  /** The decision this server computes for a proposal on its committed state. */
  private decisionOf(proposal: Proposal): Decision {
    const committed = this.context.committed;
    return { period: proposal.decided, parent: committed.period, parentHash: committed.hash, hash: this.proposals.outcomeOf(proposal).prepared.hash };
  }

  /** A re-proposal's proof: a quorum of distinct servers prevoted this very decision in its valid slot. */
  private polkaHolds(message: ProposalMessage, decision: Decision): boolean {
    const voters = new VoteSet<Ballot>('count_if_backed');
    const quorum = this.context.membership().quorum;
    let reached = false;
    for (const ballot of message.pol) {
      if (ballot.step !== 'prevote' || ballot.slot !== message.validSlot || !sameDecision(ballot, decision)) return false;
      const added = voters.add(ballot, quorum);
      if (added.kind !== 'added' || !this.ballotVerified(ballot)) return false;
      if (added.quorum !== null) reached = true;
    }
    return reached;
  }

  // ---- ballots --------------------------------------------------------------------------

  handleVote(vote: Vote): void {
    this.context.reject('vote_in_two_thirds_network', `VOTE of server ${vote.voter}: this network decides by PREVOTE and PRECOMMIT`);
  }

  private ballotVerified(ballot: Ballot): boolean {
    const key = `${ballotKey(ballot)}:${ballot.voter}`;
    if (this.verifiedBallots.has(key)) return true;
    // Checked against the configuration of its height (§8.13); a later height's is our best guess.
    if (!verifyBallot(this.context.configurations.at(ballot.parent).checker, ballot)) return false;
    if (this.verifiedBallots.size > verified_votes_cached_max) this.verifiedBallots.clear();
    this.verifiedBallots.add(key);
    return true;
  }

  /** The ballots of one step of one slot. */
  private roundOf(step: BallotStep, slot: number): VoteSet<Ballot> {
    const key = `${step}:${slot}`;
    let round = this.rounds.get(key);
    if (round === undefined) {
      this.rounds.set(key, (round = new VoteSet<Ballot>('count_if_backed')));
      if (this.rounds.size > ballot_rounds_max) this.rounds.delete(this.rounds.keys().next().value!);
    }
    return round;
  }

  /** A PREVOTE or PRECOMMIT, ours or a peer's (relayed or not: its voter signed it). */
  handleBallot(ballot: Ballot): void {
    const context = this.context;
    if (!this.ballotVerified(ballot)) return context.reject('bad_ballot', `${ballot.step.toUpperCase()} of server ${ballot.voter} for slot ${ballot.slot} does not verify`);
    const round = this.roundOf(ballot.step, ballot.slot);
    if (ballot.parent !== context.committed.period || !equal(ballot.parentHash, context.committed.hash)) {
      // Another height: a later one is the others' news (their STATUS and certificates bring
      // it); an earlier one no longer matters. Its voter's first ballot of the slot is kept all the same.
      const first = round.remember(ballot);
      if (first.kind === 'conflict') return this.evidence.note({ kind: ballot.step, a: first.first, b: ballot });
      return context.count('ballot_other_height');
    }
    const added = round.add(ballot, context.membership().quorum);
    if (added.kind === 'duplicate') return;
    if (added.kind === 'conflict') {
      this.evidence.note({ kind: ballot.step, a: added.first, b: ballot });
      // It still counts toward a decision another server backs in this slot: a polka passed
      // on may hold it. Dropped, a liar that shows each server another first ballot (or
      // sends one for a future slot early) kept its polkas from all but some servers, which
      // locked on decisions the others never learned of and refused the next betas' batches
      // (found by the simulator's liars). Safe: two quorums of one slot share an honest server.
      if (!added.counted) return;
    }
    if (added.quorum === null) return;
    if (ballot.step === 'prevote') {
      context.then({ kind: 'polka', polka: { slot: ballot.slot, decision: round.tallyOf(decisionKey(ballot))!.decision, prevotes: added.quorum }, retried: false });
    } else {
      context.then({ kind: 'certificate', certificate: certificateFromPrecommits(round.tallyOf(decisionKey(ballot))!.decision, ballot.slot, added.quorum) });
    }
  }

  /**
   * A quorum prevoted `decision` in `slot`: it is the valid decision if it is the newest;
   * we pass the proof on (a server that lies may have shown its prevote to some of us only);
   * and we lock on it and precommit, unless we already cast in a later slot.
   */
  notePolka(polka: Polka, retried: boolean): void {
    const context = this.context;
    const proposal = this.proposalFor(polka.decision);
    if (proposal === undefined) {
      if (retried) return; // still without its batch (or of a height gone by)
      this.polkas.set(polka.slot, polka); // the batch may still come
      return;
    }
    this.polkas.delete(polka.slot);
    if (this.valid === null || polka.slot > this.valid.slot) this.valid = { ...polka, proposal };
    if (!this.relayedPolkas.has(polka.slot)) {
      this.relayedPolkas.add(polka.slot);
      for (const prevote of polka.prevotes) if (prevote.voter !== context.self) context.send('others', { type: 'prevote', ballot: prevote });
    }
    const lastPrecommit = this.ballots.precommit?.slot ?? 0;
    const lastPrevote = this.ballots.prevote?.slot ?? 0;
    if (context.halted !== null || polka.slot <= lastPrecommit || polka.slot < lastPrevote || polka.slot <= this.ballotFloor) return;
    if (this.lock !== null && this.lock.slot > polka.slot) return;
    const ballot = signBallot(context.signer, context.network.id, 'precommit', polka.slot, polka.decision, context.self);
    assert(proposal.message !== null, 'a locked batch came as a message');
    this.lock = { slot: polka.slot, decision: polka.decision, proposal };
    this.ballots = { ...this.ballots, precommit: ballot, lock: { slot: polka.slot, decision: polka.decision, proposal: proposal.message, pol: polka.prevotes } };
    context.store.recordBallots(this.ballots); // durable before it leaves, with the lock
    context.count('precommitted');
    context.send('others', { type: 'precommit', ballot });
    context.then({ kind: 'ballot', ballot });
  }

  /** Polkas whose batch arrived since: each taken again, if its batch is here when its turn comes. */
  retryPolkas(): void {
    for (const polka of [...this.polkas.values()]) this.context.then({ kind: 'polka', polka, retried: true });
  }

  /** The pending proposal (any slot) whose batch gives this decision on our committed state. */
  proposalFor(decision: Decision): Proposal | undefined {
    const committed = this.context.committed;
    if (decision.parent !== committed.period || !equal(decision.parentHash, committed.hash)) return undefined;
    for (const proposal of this.proposals.pending.values()) {
      if (proposal.decided !== decision.period || !sameDecision(proposal.parent, committed)) continue;
      if (equal(this.proposals.outcomeOf(proposal).prepared.hash, decision.hash)) return proposal;
    }
    return undefined;
  }

  // ---- what commits ask (Rounds) ------------------------------------------------------------

  proposalDeciding(certificate: Certificate): Proposal | undefined {
    return this.proposalFor(certificate);
  }

  /** A new height: proposals on an older committed period can no longer be decided, nor can the lock, the valid decision and the polkas. */
  settleCommitted(): void {
    const committed = this.context.committed;
    // Proposals built on an older committed period can no longer be decided: their batches
    // are void where the new certificate skipped them.
    for (const [slot, proposal] of this.proposals.pending) {
      if (proposal.parent.period >= committed.period || slot <= committed.period) continue;
      if (proposal.decided !== committed.period && proposal.decided < committed.period) this.proposals.markVoid(proposal);
      this.proposals.pending.delete(slot);
    }
    this.lock = null;
    this.valid = null;
    this.polkas.clear();
    this.relayedPolkas.clear();
    for (const round of this.rounds.values()) round.forgetDecisions((decision) => decision.parent < committed.period);
  }
}
