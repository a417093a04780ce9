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
// connected, a slot with an honest beta commits.

import { pending_proposals_max, verified_votes_cached_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import { assert } from '../errors.ts';
import { paymentCount } from '../payment-list.ts';
import { periodOf } from '../schedule.ts';
import { type Ballot, ballotKey, type BallotStep, signBallot, verifyBallot } from '../consensus/ballot.ts';
import { type Certificate, certificateFromPrecommits, type Decision, decisionKey, sameDecision, type Vote } from '../consensus/vote.ts';
import type { BallotState, StoredState } from '../ledger/store.ts';
import type { ProposalMessage } from '../peer/messages.ts';
import { Agreement, type Proposal, proposalOf } from './agreement.ts';
import type { Alpha } from './alpha.ts';
import type { NodeContext } from './context.ts';

interface Polka {
  readonly slot: number;
  readonly decision: Decision;
  readonly prevotes: readonly Ballot[];
}

interface BallotTally {
  readonly step: BallotStep;
  readonly slot: number;
  readonly decision: Decision;
  readonly ballots: Map<number, Ballot>;
}

export class TwoThirdsAgreement extends Agreement {
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
  private readonly ballotTallies = new Map<string, BallotTally>();
  /** The first ballot of each (step, slot, voter): a second, different one is evidence. */
  private readonly firstBallots = new Map<string, Ballot>();
  private readonly verifiedBallots = new Set<string>();
  private readonly relayedPolkas = new Set<number>();

  constructor(context: NodeContext, alpha: Alpha, stored: StoredState) {
    super(context, alpha, stored);
    this.ballots = stored.ballots;
    // As with votes: a store without ballots may be a lost one, so cast only in later slots.
    this.ballotFloor = stored.ballots.prevote === null && stored.ballots.precommit === null ? periodOf(context.timing, context.startedAt) : 0;
    const lock = stored.ballots.lock;
    if (lock !== null && sameDecision(lock.proposal.parent, stored.committed) && lock.decision.parent === stored.committed.period) {
      const proposal = proposalOf(lock.proposal);
      this.proposals.set(lock.proposal.period, proposal);
      this.lock = { slot: lock.slot, decision: lock.decision, proposal };
      // The prevotes that made it valid come back too: when it is our turn as beta we propose
      // it again with them, the only proof that frees servers locked on it across restarts.
      if (lock.pol.length > 0) this.valid = { slot: lock.slot, decision: lock.decision, prevotes: lock.pol, proposal };
    }
  }

  // ---- the beta -------------------------------------------------------------------------

  override propose(period: number, now: number): void {
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
      message = this.signedProposal(valid.proposal.change === undefined ? fields : { ...fields, change: valid.proposal.change });
      context.log.info(`beta: PROPOSAL for slot ${period}: period ${valid.proposal.decided} again, prevoted by a quorum in slot ${valid.slot}`);
    } else {
      const transactions = this.alpha.transactionsOf(period);
      const change = this.changeToCarry(period);
      const base: Proposal = { period, decided: period, hash: new Uint8Array(32), transactions, parent: context.committed, outcome: null, txids: null, message: null };
      const probe: Proposal = change === null ? base : { ...base, change };
      const hash = this.outcomeOf(probe).prepared.hash;
      const fields = { period, decided: period, hash, transactions, parent: context.committed, validSlot: 0, pol: [] };
      message = this.signedProposal(change === null ? fields : { ...fields, change });
      context.log.info(`beta: PROPOSAL for period ${period}: ${paymentCount(transactions)} payments on period ${context.committed.period}`);
    }
    context.send('others', message);
    context.count('proposed');
    this.ownProposal = message;
    void now;
  }

  override handleProposal(from: number, message: ProposalMessage, now: number): void {
    const context = this.context;
    const { period, parent } = message;
    if (period <= context.committed.period) return context.count('proposal_stale');
    // Another server's PROPOSAL passed on: only the batch of a polka we hold without it (showLockProof).
    const relayed = message.proposer !== from;
    if (relayed && ![...this.polkas.values()].some((polka) => polka.decision.period === message.decided)) return context.count('proposal_relayed_unwanted');
    if (!this.acceptProposalHeader(from, message, now, relayed)) return;
    if (message.validSlot === 0 && message.decided !== period) {
      // Only a quorum's prevotes make an earlier period's batch worth proposing again (§8.11);
      // without them a lying beta could commit an honest alpha's period with some of its
      // ACCEPTED payments left out (found by the simulator's liars).
      return context.reject('proposal_unproven_batch', `PROPOSAL ${period} from server ${from}: the batch of period ${message.decided} again, without the prevotes that make it valid`);
    }
    if (!sameDecision(parent, context.committed)) {
      if (parent.period < context.committed.period) return context.count('proposal_old_parent');
      if (!this.checkCertificate(parent)) return context.reject('bad_certificate', `PROPOSAL ${period}: parent certificate does not verify`);
    }
    this.proposals.set(period, proposalOf(message));
    if (from !== context.self) context.log.info(`beta message from server ${from}: PROPOSAL for slot ${period}, period ${message.decided}, ${paymentCount(message.transactions)} payments`);
    while (this.proposals.size > pending_proposals_max) this.proposals.delete(this.oldestDroppable());
    if (!sameDecision(parent, context.committed)) this.onCertificate(parent, now);
    this.tryVote(now);
    this.retryPolkas(now);
    const waiting = context.certified.get(message.decided);
    if (waiting !== undefined) this.onCertificate(waiting, now);
  }

  /** The pending proposal to forget first: the oldest slot, but never the batch we are locked on. */
  private oldestDroppable(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const [slot, proposal] of this.proposals) if (proposal !== this.lock?.proposal && proposal !== this.valid?.proposal && slot < oldest) oldest = slot;
    return oldest === Number.POSITIVE_INFINITY ? Math.min(...this.proposals.keys()) : oldest;
  }

  override nextVotableAt(now: number): number {
    const last = this.ballots.prevote?.slot ?? 0;
    let at = Number.POSITIVE_INFINITY;
    for (const slot of this.proposals.keys()) {
      const votable = this.votableAt(slot);
      if (votable > now && slot > last) at = Math.min(at, votable);
    }
    return at;
  }

  // ---- prevotes -------------------------------------------------------------------------

  /** Prevotes in the newest slot whose proposal this server may back (core.ts calls it every tick). */
  override tryVote(now: number): void {
    const context = this.context;
    if (this.proposals.size === 0 || context.halted !== null) return;
    const lastSlot = this.ballots.prevote?.slot ?? 0;
    const candidates = [...this.proposals.entries()].sort((a, b) => b[0] - a[0]);
    for (const [slot, proposal] of candidates) {
      if (slot <= lastSlot || slot <= this.ballotFloor) return;
      if (!sameDecision(proposal.parent, context.committed)) continue;
      if (now < this.votableAt(slot)) {
        context.count('vote_early');
        continue;
      }
      if (!context.membership().members.has(context.self)) {
        context.count('vote_not_member');
        return;
      }
      if (proposal.change !== undefined) {
        const problem = this.changeProblem(proposal.change, proposal.decided);
        if (problem !== null) {
          context.reject('proposal_bad_change', `PROPOSAL ${slot} carries a change we refuse: ${problem}`);
          this.proposals.delete(slot);
          continue;
        }
      }
      const decision = this.decisionOf(proposal);
      const message = proposal.message;
      assert(message !== null, 'a proposal of a slot came as a message');
      if (message.validSlot !== 0 && !this.polkaHolds(message, decision)) {
        context.reject('proposal_bad_proof', `PROPOSAL ${slot}: its proof (a quorum of prevotes in slot ${message.validSlot}) does not hold`);
        this.proposals.delete(slot);
        continue;
      }
      if (message.validSlot !== 0) this.notePolka({ slot: message.validSlot, decision, prevotes: message.pol }, now);
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
      this.handleBallot(ballot, now);
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
    return { period: proposal.decided, parent: committed.period, parentHash: committed.hash, hash: this.outcomeOf(proposal).prepared.hash };
  }

  /** A re-proposal's proof: a quorum of distinct servers prevoted this very decision in its valid slot. */
  private polkaHolds(message: ProposalMessage, decision: Decision): boolean {
    const voters = new Set<number>();
    for (const ballot of message.pol) {
      if (ballot.step !== 'prevote' || ballot.slot !== message.validSlot || !sameDecision(ballot, decision) || voters.has(ballot.voter)) return false;
      if (!this.ballotVerified(ballot)) return false;
      voters.add(ballot.voter);
    }
    return voters.size >= this.context.membership().quorum;
  }

  // ---- ballots --------------------------------------------------------------------------

  override handleVote(vote: Vote, now: number): void {
    void now;
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

  /** A PREVOTE or PRECOMMIT, ours or a peer's (relayed or not: its voter signed it). */
  handleBallot(ballot: Ballot, now: number): void {
    const context = this.context;
    if (!this.ballotVerified(ballot)) return context.reject('bad_ballot', `${ballot.step.toUpperCase()} of server ${ballot.voter} for slot ${ballot.slot} does not verify`);
    const firstKey = `${ballot.step}:${ballot.slot}:${ballot.voter}`;
    const first = this.firstBallots.get(firstKey);
    if (first !== undefined && decisionKey(first) !== decisionKey(ballot)) {
      this.noteEvidence({ kind: ballot.step, a: first, b: ballot }, now);
      // It still counts toward a decision another server backs in this slot: a polka passed
      // on may hold it. Dropped, a liar that shows each server another first ballot (or
      // sends one for a future slot early) kept its polkas from all but some servers, which
      // locked on decisions the others never learned of and refused the next betas' batches
      // (found by the simulator's liars). Safe: two quorums of one slot share an honest server.
      if (!this.ballotTallies.has(ballotKey(ballot))) return;
    }
    if (first === undefined) {
      this.firstBallots.set(firstKey, ballot);
      if (this.firstBallots.size > 8 * pending_proposals_max * context.membership().ids.length) this.firstBallots.delete(this.firstBallots.keys().next().value!);
    }
    if (ballot.parent !== context.committed.period || !equal(ballot.parentHash, context.committed.hash)) {
      // Another height: a later one is the others' news (their STATUS and certificates bring
      // it); an earlier one no longer matters.
      return context.count('ballot_other_height');
    }
    const key = ballotKey(ballot);
    let tally = this.ballotTallies.get(key);
    if (tally === undefined) this.ballotTallies.set(key, (tally = { step: ballot.step, slot: ballot.slot, decision: ballot, ballots: new Map() }));
    if (tally.ballots.has(ballot.voter)) return;
    tally.ballots.set(ballot.voter, ballot);
    while (this.ballotTallies.size > 4 * pending_proposals_max * context.membership().ids.length) this.ballotTallies.delete(this.ballotTallies.keys().next().value!);
    if (tally.ballots.size !== context.membership().quorum) return;
    if (tally.step === 'prevote') {
      this.notePolka({ slot: tally.slot, decision: tally.decision, prevotes: [...tally.ballots.values()] }, now);
    } else {
      this.onCertificate(certificateFromPrecommits(tally.decision, tally.slot, tally.ballots.values()), now);
    }
  }

  /**
   * A quorum prevoted `decision` in `slot`: it is the valid decision if it is the newest;
   * we pass the proof on (a server that lies may have shown its prevote to some of us only);
   * and we lock on it and precommit, unless we already cast in a later slot.
   */
  private notePolka(polka: Polka, now: number): void {
    const context = this.context;
    const proposal = this.proposalFor(polka.decision);
    if (proposal === undefined) {
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
    this.handleBallot(ballot, now);
  }

  /** Polkas whose batch arrived since. */
  private retryPolkas(now: number): void {
    for (const polka of [...this.polkas.values()]) if (this.proposalFor(polka.decision) !== undefined) this.notePolka(polka, now);
  }

  /** The pending proposal (any slot) whose batch gives this decision on our committed state. */
  private proposalFor(decision: Decision): Proposal | undefined {
    const committed = this.context.committed;
    if (decision.parent !== committed.period || !equal(decision.parentHash, committed.hash)) return undefined;
    for (const proposal of this.proposals.values()) {
      if (proposal.decided !== decision.period || !sameDecision(proposal.parent, committed)) continue;
      if (equal(this.outcomeOf(proposal).prepared.hash, decision.hash)) return proposal;
    }
    return undefined;
  }

  protected override proposalDeciding(certificate: Certificate): Proposal | undefined {
    return this.proposalFor(certificate);
  }

  // ---- a new height ---------------------------------------------------------------------

  override afterCommittedMoved(now: number): void {
    const committed = this.context.committed;
    // Proposals built on an older committed period can no longer be decided: their batches
    // are void where the new certificate skipped them.
    for (const [slot, proposal] of this.proposals) {
      if (proposal.parent.period >= committed.period || slot <= committed.period) continue;
      if (proposal.decided !== committed.period && proposal.decided < committed.period) this.markVoid(proposal);
      this.proposals.delete(slot);
    }
    this.lock = null;
    this.valid = null;
    this.polkas.clear();
    this.relayedPolkas.clear();
    for (const [key, tally] of this.ballotTallies) if (tally.decision.parent < committed.period) this.ballotTallies.delete(key);
    super.afterCommittedMoved(now);
  }
}
