// STATUS (docs/PROTOCOL.md §8.4), the heartbeat: every server sends its committed
// certificate and its last vote every period, and answers a peer behind it at once. What a
// STATUS brings: the vote it carries (counted first), where the peer stands (catch-up asks
// the peers ahead), a certificate beyond ours (taken, or a hint for catch-up when we cannot
// check it yet), our own period decided otherwise (a fork), and what the peer may need from
// us: the votes that free it from a dead lock, the proof of a fork we stopped on.

import { periodOf } from '../schedule.ts';
import { type Certificate, sameDecision, type Vote } from '../consensus/vote.ts';
import type { CatchUp } from './catch-up.ts';
import type { Certificates } from './certificates.ts';
import type { NodeContext } from './context.ts';
import type { VoteMemory } from './vote-memory.ts';

export class Heartbeat {
  private readonly statusAnsweredAt: number[] = [];
  private readonly forkProofSentAt: number[] = [];

  constructor(
    private readonly context: NodeContext,
    private readonly certificates: Certificates,
    private readonly memory: VoteMemory,
    private readonly catchUp: CatchUp,
  ) {}

  /** Our heartbeat, to every other server (at each period's start, and at once after a start). */
  announce(): void {
    this.context.send('others', { type: 'status', committed: this.context.committed, vote: this.context.lastVote });
  }

  /** A STATUS: the vote it carries is counted first (a step of its own), then the rest (statusRest). */
  handle(from: number, committed: Certificate, vote: Vote | null): void {
    const context = this.context;
    if (vote !== null && context.self >= 0) {
      if (vote.voter !== from) return context.reject('status_vote_not_from_voter', `STATUS from server ${from} carries another server's vote`);
      context.then({ kind: 'vote', vote });
    }
    context.then({ kind: 'status_rest', from, committed, vote });
  }

  /** What a STATUS says besides its vote. */
  rest(from: number, committed: Certificate, vote: Vote | null, now: number): void {
    const context = this.context;
    if (committed.period > context.peerCommitted[from]!) context.peerCommitted[from] = committed.period;
    // A peer behind us (just restarted, or cut off) learns where we stand now, not a period later.
    const current = periodOf(context.timing, now);
    if (committed.period < context.committed.period && this.statusAnsweredAt[from] !== current) {
      this.statusAnsweredAt[from] = current;
      context.send(from, { type: 'status', committed: context.committed, vote: context.lastVote });
    }
    if (vote !== null && vote.period > committed.period) this.memory.sendSkipProof(from, vote.period, current);
    if (context.halted !== null && this.forkProofSentAt[from] !== current) {
      // Stopped on a fork: its proof goes to every peer we hear from, once a period. Passed on
      // once only, it was lost on a server that was down or cut off then, and that server went
      // on at its side of the fork (found by the simulator's liars).
      this.forkProofSentAt[from] = current;
      const fork = context.evidence.find((evidence) => evidence.kind === 'fork');
      if (fork !== undefined) context.send(from, { type: 'evidence', evidence: fork });
    }
    if (committed.period > context.committed.period && !context.certified.has(committed.period)) {
      if (!this.certificates.check(committed)) {
        // Built on a period we have not committed: it may be of a configuration we do not know
        // yet (we slept through a change, or are joining). Catch-up checks it from what it brings.
        if (committed.parent > context.committed.period || context.self < 0) {
          context.count('status_certificate_ahead');
          // A hint for catch-up, bounded by our clock: no honest server committed a period still to come.
          if (committed.period > this.catchUp.aheadHint && committed.period <= periodOf(context.timing, now)) this.catchUp.aheadHint = committed.period;
          return;
        }
        return context.reject('bad_certificate', `STATUS from server ${from}: certificate of period ${committed.period} does not verify`);
      }
      context.then({ kind: 'certificate', certificate: committed });
    } else if (committed.period === context.committed.period && context.halted === null && !sameDecision(committed, context.committed)) {
      // Our own period, decided otherwise: a fork. The EVIDENCE of it is passed on once, and
      // is lost on a server that was down then; STATUS comes every period (found by the
      // simulator: a restarted server went on at its side of a fork, its peer stopped).
      if (!this.certificates.check(committed)) return context.reject('bad_certificate', `STATUS from server ${from}: certificate of period ${committed.period} does not verify`);
      context.then({ kind: 'certificate', certificate: committed });
    }
  }
}
