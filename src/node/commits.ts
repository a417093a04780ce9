// Commits (docs/PROTOCOL.md §8.6–§8.8, §8.12): a verified certificate is committed when we
// hold its batch and our outcome gives its hash, kept when it is beyond us (catch-up fetches
// what lies between), or, when it cannot hold beside our committed period, taken for what it
// is: our ledger damaged (out of sync) or a fork (evidence; the server stops). A commit
// writes the record in one store transaction, moves the committed state, adopts the change
// the period carried, and settles what hung on the old state: proposals decided or void,
// certificates reached, the alpha's batch, and whether we may vote again.

import { pending_proposals_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import { assert } from '../errors.ts';
import { isSkippedBy, placeCertificate } from '../consensus/rules.ts';
import type { Change } from '../consensus/configuration.ts';
import { type Certificate, sameDecision } from '../consensus/vote.ts';
import type { Alpha } from './alpha.ts';
import type { CatchUp } from './catch-up.ts';
import type { Certificates } from './certificates.ts';
import type { Changes } from './changes.ts';
import type { NodeContext } from './context.ts';
import type { EvidenceKept } from './evidence.ts';
import type { Outcome, Proposal } from './pending.ts';
import type { Proposals } from './proposals.ts';

/** What the agreement of a quorum mode tells commits (majority.ts, two-thirds.ts). */
export interface Rounds {
  /** The pending proposal whose batch a certificate decides, if we hold it. */
  proposalDeciding(certificate: Certificate): Proposal | undefined;
  /** Our committed period moved: forget what was decided or can no longer be (before the proposals and certificates are settled). */
  settleCommitted(now: number): void;
}

export class Commits {
  constructor(
    private readonly context: NodeContext,
    private readonly catchUp: CatchUp,
    private readonly certificates: Certificates,
    private readonly proposals: Proposals,
    private readonly changes: Changes,
    private readonly evidence: EvidenceKept,
    private readonly alpha: Alpha,
    private readonly rounds: Rounds,
  ) {}

  /** A verified certificate: commit it, remember it, or catch up to it. */
  take(certificate: Certificate, now: number): void {
    const context = this.context;
    const place = placeCertificate(
      { period: certificate.period, parent: certificate.parent, parentHashMatchesCommitted: equal(certificate.parentHash, context.committed.hash) },
      context.committed.period,
      sameDecision(certificate, context.committed),
    );
    if (place === 'old') return;
    if (!this.certificates.holdsInItsConfiguration(certificate)) {
      // Checked (or tallied) while we did not know its parent's configuration yet, it does not
      // hold in it: never committed, never a fork (found by test:slow: a joining server tallied
      // one vote as a certificate by the file's servers, then committed it after a snapshot
      // that brought a configuration of two).
      context.certified.delete(certificate.period);
      return context.count('certificate_other_configuration');
    }
    if (place === 'conflict') {
      context.count('certificate_conflict');
      if (!this.certificates.check(context.committed)) {
        // Our own certificate does not hold: our ledger was damaged, not the network split.
        context.log.error(
          `certificate for period ${certificate.period} (parent ${certificate.parent}) conflicts with our committed period ${context.committed.period}, whose own certificate does not verify (a damaged ledger): we are out of sync`,
        );
        this.catchUp.markOutOfSync(now);
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
      this.evidence.note({ kind: 'fork', a: context.committed, b: certificate });
      return;
    }
    context.certified.set(certificate.period, certificate);
    while (context.certified.size > pending_proposals_max) context.certified.delete(Math.min(...context.certified.keys()));
    if (place === 'next') {
      const proposal = this.rounds.proposalDeciding(certificate);
      if (proposal !== undefined && sameDecision(proposal.parent, context.committed)) {
        const outcome = this.proposals.outcomeOf(proposal);
        if (equal(outcome.prepared.hash, certificate.hash)) {
          this.commit(certificate, proposal.transactions, outcome, now, proposal.change);
          return;
        }
        context.count('state_differs');
        context.log.error(`period ${certificate.period}: our state hash differs from the majority's: we are out of sync`);
        this.catchUp.markOutOfSync(now);
        return;
      }
    }
    this.catchUp.behind(now);
  }

  /** The certificate we hold of `period`, if any: its batch may have come. */
  takeWaiting(period: number, now: number): void {
    const waiting = this.context.certified.get(period);
    if (waiting !== undefined) this.take(waiting, now);
  }

  /** A certificate we hold that builds on our committed period, if any. */
  takeNext(now: number): void {
    const committed = this.context.committed;
    const next = [...this.context.certified.values()].find((certificate) => certificate.parent === committed.period);
    if (next !== undefined) this.take(next, now);
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
    this.catchUp.stateHolds();
    context.count('committed');
    const count = outcome.applied.length;
    context.log.info(
      `committed period ${certificate.period}: ${outcome.appliedCount} of ${count} payments applied, ${context.state.describe()}` +
        (certificate.parent !== previous || certificate.parent + 1 !== certificate.period ? `, parent ${certificate.parent}` : ''),
    );
    if (change !== undefined) this.changes.adopt({ carrier: certificate.period, change });
    this.afterCommittedMoved(now);
  }

  /**
   * Our committed state changed (a commit or a snapshot): settle everything that hung on it,
   * then see whether we may vote, and whether a certificate we hold builds on it (queued).
   */
  afterCommittedMoved(now: number): void {
    const context = this.context;
    const committed = context.committed;
    this.rounds.settleCommitted(now);
    // A change committed earlier may take effect with this period: a server it leaves out stops here.
    context.checkRemoved();
    const pending = this.proposals.pending;
    for (const [period, proposal] of pending) {
      if (period > committed.period) continue;
      if (proposal.decided < committed.period && isSkippedBy(proposal.decided, committed)) this.proposals.markVoid(proposal);
      pending.delete(period);
    }
    for (const period of context.certified.keys()) if (period <= committed.period) context.certified.delete(period);
    this.alpha.rebase(context.state);
    if (context.highestCertified() <= committed.period) this.catchUp.caughtUp();
    context.then({ kind: 'vote_due' });
    context.then({ kind: 'certificate_next' });
  }
}
