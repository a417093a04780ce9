// src/consensus/vote-set.ts: the votes of one round, counted. Each rule by hand (added,
// duplicate, conflict with its evidence under each policy, the quorum said once), then a
// property: whatever the order and repetition of the votes, each decision's quorum is said
// exactly once, by the vote that made its count the quorum, with exactly those votes.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type CastVote, VoteSet } from '../src/consensus/vote-set.ts';
import { decisionKey } from '../src/consensus/vote.ts';

const parentHash = new Uint8Array(32);
function vote(voter: number, hash: number, period = 7): CastVote {
  return { period, parent: period - 1, parentHash, hash: new Uint8Array(32).fill(hash), voter };
}

describe('VoteSet', () => {
  test('a vote is added; the one that makes the quorum says so, with the votes; the next does not', () => {
    const set = new VoteSet<CastVote>('count');
    expect(set.add(vote(0, 1), 3)).toEqual({ kind: 'added', quorum: null });
    expect(set.add(vote(1, 1), 3)).toEqual({ kind: 'added', quorum: null });
    const third = set.add(vote(2, 1), 3);
    expect(third.kind).toBe('added');
    expect(third.kind === 'added' && third.quorum?.map((v) => v.voter)).toEqual([0, 1, 2]);
    expect(set.add(vote(3, 1), 3)).toEqual({ kind: 'added', quorum: null });
    expect(set.decisions).toBe(1);
  });

  test('the same vote again is a duplicate and counts nothing', () => {
    const set = new VoteSet<CastVote>('count');
    set.add(vote(0, 1), 2);
    expect(set.add(vote(0, 1), 2)).toEqual({ kind: 'duplicate' });
    expect(set.tallyOf(decisionKey(vote(0, 1)))!.votes.size).toBe(1);
  });

  test('a second decision of one voter is a conflict with both votes; "count" counts it anyway', () => {
    const set = new VoteSet<CastVote>('count');
    const first = vote(0, 1);
    set.add(first, 2);
    set.add(vote(1, 2), 2);
    const second = vote(0, 2);
    const result = set.add(second, 2);
    expect(result.kind).toBe('conflict');
    if (result.kind !== 'conflict') return;
    expect(result.first).toBe(first);
    expect(result.counted).toBe(true);
    expect(result.quorum?.map((v) => v.voter)).toEqual([1, 0]);
    expect(set.otherDecisionsOf(0, decisionKey(first))).toBe(1);
    // Again: still a conflict, no longer counted.
    expect(set.add(vote(0, 2), 2)).toMatchObject({ kind: 'conflict', counted: false, quorum: null });
  });

  test('"count_if_backed": a conflicting vote counts only toward a decision another vote already backs', () => {
    const set = new VoteSet<CastVote>('count_if_backed');
    set.add(vote(0, 1), 3);
    expect(set.add(vote(0, 2), 3)).toMatchObject({ kind: 'conflict', counted: false });
    expect(set.decisions).toBe(1);
    set.add(vote(1, 3), 3);
    expect(set.add(vote(0, 3), 3)).toMatchObject({ kind: 'conflict', counted: true, quorum: null });
    expect(set.tallyOf(decisionKey(vote(0, 3)))!.votes.size).toBe(2);
  });

  test('remember keeps a first vote without counting it; a later different vote of that voter is a conflict', () => {
    const set = new VoteSet<CastVote>('count_if_backed');
    expect(set.remember(vote(0, 1))).toEqual({ kind: 'first' });
    expect(set.remember(vote(0, 1))).toEqual({ kind: 'same' });
    expect(set.decisions).toBe(0);
    expect(set.add(vote(0, 2), 1)).toMatchObject({ kind: 'conflict', counted: false });
  });

  test('forgetDecisions drops the counts, the first votes stay', () => {
    const set = new VoteSet<CastVote>('count');
    set.add(vote(0, 1, 7), 3);
    set.add(vote(1, 1, 8), 3);
    set.forgetDecisions((decision) => decision.period < 8);
    expect(set.decisions).toBe(1);
    expect(set.add(vote(0, 2, 7), 3).kind).toBe('conflict');
  });

  test('property: each decision reaches its quorum exactly once, by the vote that made the count, in any order with repeats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.record({ voter: fc.integer({ min: 0, max: 9 }), hash: fc.integer({ min: 1, max: 3 }) }), { maxLength: 60 }),
        fc.constantFrom('count' as const, 'count_if_backed' as const),
        (quorum, cast, policy) => {
          const set = new VoteSet<CastVote>(policy);
          const reached = new Map<string, number>();
          const counted = new Map<string, Set<number>>();
          for (const { voter, hash } of cast) {
            const v = vote(voter, hash);
            const key = decisionKey(v);
            const result = set.add(v, quorum);
            const wasCounted = result.kind === 'added' || (result.kind === 'conflict' && result.counted);
            if (wasCounted) {
              const voters = counted.get(key) ?? new Set<number>();
              expect(voters.has(voter)).toBe(false);
              voters.add(voter);
              counted.set(key, voters);
            }
            const quorumVotes = result.kind === 'duplicate' ? null : result.quorum;
            if (quorumVotes !== null) {
              reached.set(key, (reached.get(key) ?? 0) + 1);
              expect(quorumVotes.length).toBe(quorum);
              expect(new Set(quorumVotes.map((q) => q.voter))).toEqual(counted.get(key)!);
            }
          }
          for (const [key, voters] of counted) expect(reached.get(key) ?? 0).toBe(voters.size >= quorum ? 1 : 0);
        },
      ),
    );
  });
});
