// What a server remembers of the votes it saw (majority networks, docs/PROTOCOL.md §8.7):
// each server's recent vote links (period, prev), from which a period is known dead (the
// lock rule, consensus/rules.ts), and each server's recent signed votes, its own among them,
// which it passes on as the proof that frees a peer locked on a period that skipped.

import { vote_links_remembered_per_server, votes_remembered_per_server } from '../constants.ts';
import { VoteEvidence } from '../consensus/rules.ts';
import type { Vote } from '../consensus/vote.ts';
import type { StoredState } from '../ledger/store.ts';
import type { NodeContext } from './context.ts';

export class VoteMemory {
  /** The vote links of every server (by directory id): who skipped what. */
  readonly links: VoteEvidence;
  /** Recent signed votes of every server, ours too (oldest first): the proofs that free a locked peer. */
  private readonly recent: Vote[][] = [];
  private readonly skipProofSentAt: number[] = [];

  constructor(
    private readonly context: NodeContext,
    stored: StoredState,
  ) {
    this.links = new VoteEvidence(context.configurations.size, vote_links_remembered_per_server);
    if (context.lastVote !== null && context.self >= 0) this.links.record(context.self, context.lastVote.period, context.lastVote.prev);
    // Our own recent votes come back from storage: they may be the proof a locked peer needs.
    if (context.self >= 0) this.votesOf(context.self).push(...stored.recentVotes);
  }

  private votesOf(voter: number): Vote[] {
    let list = this.recent[voter];
    if (list === undefined) this.recent[voter] = list = [];
    return list;
  }

  /** The vote of `voter` for `period` we remember, if any (a second, different one is evidence). */
  voteOf(voter: number, period: number): Vote | undefined {
    return this.recent[voter]?.find((known) => known.period === period);
  }

  /** A verified vote: its link, and the vote itself among its voter's newest (the first of a period kept). */
  remember(vote: Vote): void {
    this.links.grow(this.context.configurations.size); // the directory grows with changes
    this.links.record(vote.voter, vote.period, vote.prev);
    const list = this.votesOf(vote.voter);
    if (list.some((known) => known.period === vote.period)) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.period > vote.period) at--;
    list.splice(at, 0, vote);
    if (list.length > votes_remembered_per_server) list.shift();
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
  sendSkipProof(to: number, period: number, current: number): void {
    if (this.skipProofSentAt[to] === current) return;
    const proofs: Vote[] = [];
    for (let voter = 0; voter < this.recent.length; voter++) {
      if (voter === to) continue;
      const proof = this.recent[voter]?.find((vote) => vote.prev < period && period < vote.period);
      if (proof !== undefined) proofs.push(proof);
    }
    if (proofs.length === 0) return;
    this.skipProofSentAt[to] = current;
    this.context.count('skip_proofs_sent', proofs.length);
    for (const vote of proofs) this.context.send(to, { type: 'vote', vote });
  }
}
