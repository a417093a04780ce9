// The signed votes of one round, counted: in a majority network the VOTEs for one period,
// in a two-thirds network the PREVOTEs (or the PRECOMMITs) of one slot. Pure: no keys, no
// clock, no I/O. The caller checks each signature before it adds a vote.
//
// Each voter's first vote of the round is kept. A second vote for the same decision is a
// duplicate and changes nothing; one for another decision is a conflict, returned as a
// value with both votes (the evidence), never thrown. Whether a conflicting vote still
// counts toward its decision is the caller's policy (`conflicts`): a majority network
// counts every signed vote, a two-thirds network only toward a decision already backed
// (agreement rules in node/majority.ts and node/two-thirds.ts).
//
// "The quorum was reached by this vote" is said once per decision, by construction: a
// decision's voters grow one at a time, and it is said when their number becomes the
// quorum, never again (as TigerBeetle's count_message_and_receive_quorum_exactly_once).

import { type Decision, decisionKey } from './vote.ts';

export interface CastVote extends Decision {
  readonly voter: number;
}

export type VoteAdded<V extends CastVote> =
  /** Counted; `quorum` holds the votes of its decision when this one made them a quorum. */
  | { readonly kind: 'added'; readonly quorum: readonly V[] | null }
  /** The voter's vote for this decision was already counted. */
  | { readonly kind: 'duplicate' }
  /** The voter's first vote of the round was for another decision: the evidence, and whether this one counted anyway. */
  | { readonly kind: 'conflict'; readonly first: V; readonly counted: boolean; readonly quorum: readonly V[] | null };

/** Whether a vote that conflicts with its voter's first counts toward its decision: always, or only when that decision is already backed by a counted vote. */
export type ConflictPolicy = 'count' | 'count_if_backed';

interface Tally<V> {
  readonly decision: V;
  readonly votes: Map<number, V>;
}

export class VoteSet<V extends CastVote> {
  private readonly firsts = new Map<number, V>();
  private readonly tallies = new Map<string, Tally<V>>();

  constructor(private readonly conflicts: ConflictPolicy) {}

  /** Keeps a voter's first vote of the round without counting it (a vote of another height); a conflict is returned, as by add. */
  remember(vote: V): { readonly kind: 'first' | 'same' } | { readonly kind: 'conflict'; readonly first: V } {
    const first = this.firsts.get(vote.voter);
    if (first === undefined) {
      this.firsts.set(vote.voter, vote);
      return { kind: 'first' };
    }
    return decisionKey(first) === decisionKey(vote) ? { kind: 'same' } : { kind: 'conflict', first };
  }

  /** Counts a vote toward its decision; `quorum` is the number of votes that make one. */
  add(vote: V, quorum: number): VoteAdded<V> {
    const key = decisionKey(vote);
    const first = this.firsts.get(vote.voter);
    if (first === undefined) this.firsts.set(vote.voter, vote);
    const conflicting = first !== undefined && decisionKey(first) !== key;
    let tally = this.tallies.get(key);
    if (conflicting && this.conflicts === 'count_if_backed' && tally === undefined) return { kind: 'conflict', first, counted: false, quorum: null };
    if (tally === undefined) this.tallies.set(key, (tally = { decision: vote, votes: new Map() }));
    if (tally.votes.has(vote.voter)) return conflicting ? { kind: 'conflict', first, counted: false, quorum: null } : { kind: 'duplicate' };
    tally.votes.set(vote.voter, vote);
    const reached = tally.votes.size === quorum ? [...tally.votes.values()] : null;
    return conflicting ? { kind: 'conflict', first, counted: true, quorum: reached } : { kind: 'added', quorum: reached };
  }

  /** The decision counted under `key` (as its first vote gave it), with its votes; undefined when none counts for it. */
  tallyOf(key: string): Tally<V> | undefined {
    return this.tallies.get(key);
  }

  /** Decisions with at least one counted vote. */
  get decisions(): number {
    return this.tallies.size;
  }

  /** How many decisions other than `key` count a vote of `voter` (a voter that conflicts counts in each). */
  otherDecisionsOf(voter: number, key: string): number {
    let count = 0;
    for (const [other, tally] of this.tallies) if (other !== key && tally.votes.has(voter)) count++;
    return count;
  }

  /** Forgets the counts of decisions that no longer matter (first votes stay: they are the evidence of a conflict to come). */
  forgetDecisions(stale: (decision: V) => boolean): void {
    for (const [key, tally] of this.tallies) if (stale(tally.decision)) this.tallies.delete(key);
  }
}
