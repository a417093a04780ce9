// The consensus decisions, as pure functions of what a server knows.
//
// Each server casts at most one vote per period, in increasing period order, and keeps
// its last vote on disk before sending it. A vote names the period it skipped from
// (`prev`): a vote (period j, prev p) says "I voted for nothing in (p, j), and never will".
//
// SAFETY. A certificate (more than half of the votes for one decision) commits a period.
// Two certificates can never conflict:
//   - one period, two hashes: two majorities share a server, which would have voted twice;
//   - period v certified, and a later period j certified on a parent before v (skipping
//     v): the two majorities share a server S that voted v, then j. S voted j on a parent
//     before v only because it held proof that v was dead: n − majority + 1 servers each
//     with a vote (j', p') where p' < v < j'. Those many meet every majority, so they share
//     a server with v's voters, which both voted v and skipped v: impossible. (For odd n
//     that is a majority; for even n one fewer, and asking for a majority there deadlocks.)
// So the certified periods form one chain, and a period skipped by a certified period is
// void for good: its payments are reported void, and never applied later.
//
// LIVENESS. A server that voted for a period that was not certified is LOCKED on it: it
// may vote again, on the same parent, only when that period is dead (proved as above)
// or decided (a certificate moved its committed period past it). Locks are released by
// the votes of the others, which every server repeats in its STATUS heartbeat.

export interface VoteLink {
  readonly period: number;
  readonly prev: number;
}

/** The recent votes of every server, as links of their vote chains: the lock evidence. */
export class VoteEvidence {
  private readonly links: VoteLink[][];

  constructor(
    public serverCount: number,
    private readonly perServerMax: number,
  ) {
    this.links = Array.from({ length: serverCount }, () => []);
  }

  /** Room for the servers a configuration change brought in. */
  grow(serverCount: number): void {
    while (this.links.length < serverCount) this.links.push([]);
    this.serverCount = Math.max(this.serverCount, serverCount);
  }

  /** A vote (period, prev) of `voter`; a voter outside the servers is ignored. */
  record(voter: number, period: number, prev: number): void {
    const list = this.links[voter];
    if (list === undefined) return;
    if (list.some((link) => link.period === period)) return;
    list.push({ period, prev });
    list.sort((a, b) => a.period - b.period);
    if (list.length > this.perServerMax) list.shift();
  }

  /** True when `voter` is known to have skipped `period` for good. */
  skipped(voter: number, period: number): boolean {
    return (this.links[voter] ?? []).some((link) => link.prev < period && period < link.period);
  }

  /**
   * True when at least `skippers` servers (of `voters`, by default all) skipped `period`, so
   * that it can never be certified: n − q + 1 skippers meet every quorum q of n (for a
   * majority of an odd n that is the majority itself; the caller says how many).
   */
  isDead(period: number, skippers: number, voters?: readonly number[]): boolean {
    let count = 0;
    if (voters !== undefined) {
      for (const voter of voters) if (this.skipped(voter, period)) count++;
    } else {
      for (let voter = 0; voter < this.serverCount; voter++) if (this.skipped(voter, period)) count++;
    }
    return count >= skippers;
  }
}

export type VoteDecision = 'vote' | 'already_voted' | 'wrong_parent' | 'locked';

export interface VoteSituation {
  /** The proposal: its period and the decision it builds on. */
  readonly period: number;
  readonly parent: number;
  readonly parentHashMatches: boolean;
  /** This server's last committed period and last vote. */
  readonly committed: number;
  readonly lastVote: number | null;
  /** Whether the period this server is locked on is proven dead. */
  readonly lockIsDead: boolean;
}

/** May this server vote for this proposal? The order of the checks is the order of the reasons. */
export function decideVote(s: VoteSituation): VoteDecision {
  if (s.lastVote !== null && s.period <= s.lastVote) return 'already_voted';
  if (s.parent !== s.committed || !s.parentHashMatches) return 'wrong_parent';
  if (s.lastVote !== null && s.lastVote > s.committed && !s.lockIsDead) return 'locked';
  return 'vote';
}

export type CertificatePlace =
  | 'old' // at or before our committed period, and the same decision
  | 'conflict' // at our committed period with another hash, or skipping our committed period
  | 'next' // builds on our committed state: commit it when we hold its batch
  | 'ahead'; // builds on a state we do not hold: catch up

export function placeCertificate(
  certificate: { period: number; parent: number; parentHashMatchesCommitted: boolean },
  committed: number,
  sameAsCommitted: boolean,
): CertificatePlace {
  if (certificate.period < committed) return 'old';
  if (certificate.period === committed) return sameAsCommitted ? 'old' : 'conflict';
  if (certificate.parent === committed) return certificate.parentHashMatchesCommitted ? 'next' : 'conflict';
  if (certificate.parent > committed) return 'ahead';
  return 'conflict'; // parent < committed < period: it skips a period we committed
}

/** A period is void once a committed certificate skipped it (parent < period < certified). */
export function isSkippedBy(period: number, certificate: { period: number; parent: number }): boolean {
  return certificate.parent < period && period < certificate.period;
}
