// The core's one queue of work: the messages of peers and the server's own decisions (its
// votes and ballots, a certificate its tally made, a commit that lets it vote again, the
// next ask of catch-up). No handler calls another handler: it does its own part and
// queues what follows (NodeContext.then), and the core drains the queue (core.ts run), as
// CometBFT's consensus state sends its own votes through the queue its peers' votes take.
//
// What a step queues runs right after it, in the order queued, before anything queued
// earlier: a vote that makes a certificate is committed, and what the commit queues is
// done, before the rest of that vote's message batch is looked at. That is the order in
// which a server has always acted (the simulator's recorded runs pin it), now written down
// as data instead of a call stack. A step that has more to do after what it queues (STATUS
// after the vote it carries, a replay after each record it commits) queues that rest as a
// step of its own.

import type { Ballot } from '../consensus/ballot.ts';
import type { Certificate, Decision, Vote } from '../consensus/vote.ts';
import type { PeerMessage, PeriodRecord, ProposalMessage } from '../peer/messages.ts';
import type { Proposal } from './pending.ts';

/** A quorum of prevotes for one decision in one slot (two-thirds networks). */
export interface Polka {
  readonly slot: number;
  readonly decision: Decision;
  readonly prevotes: readonly Ballot[];
}

export type Step =
  /** A message from server `from` (its batch was authenticated). */
  | { readonly kind: 'message'; readonly from: number; readonly message: PeerMessage }
  /** A PROPOSAL to take: a peer's, or our own the turn after we sent it. */
  | { readonly kind: 'proposal'; readonly from: number; readonly message: ProposalMessage }
  /** A VOTE to count: our own, one a STATUS carries, or one a peer passed on. */
  | { readonly kind: 'vote'; readonly vote: Vote }
  /** After a vote was counted: bound the tallies (when it was tallied), and vote again if we are locked (its vote may free us). */
  | { readonly kind: 'vote_counted'; readonly tallied: boolean }
  /** A PREVOTE or PRECOMMIT to count: our own, or a peer's. */
  | { readonly kind: 'ballot'; readonly ballot: Ballot }
  /** A quorum prevoted one decision (ours to lock on and precommit, or to keep until its batch comes); `retried`: one kept, taken only if its batch is here now. */
  | { readonly kind: 'polka'; readonly polka: Polka; readonly retried: boolean }
  /** The polkas seen without their batch: each, if its batch is here now. */
  | { readonly kind: 'polkas_retried' }
  /** Vote (or prevote) for the newest proposal we may. */
  | { readonly kind: 'vote_due' }
  /** The rest of a two-thirds prevote decision, after the polka its proposal proved (`index`: the candidate it was at). */
  | {
      readonly kind: 'prevote_resumed';
      readonly candidates: readonly (readonly [number, Proposal])[];
      readonly index: number;
      readonly decision: Decision;
      /** Our last prevote's slot when the decision began. */
      readonly lastSlot: number;
    }
  /** A verified certificate: commit it, keep it, or catch up to it. */
  | { readonly kind: 'certificate'; readonly certificate: Certificate }
  /** The certificate of period `period`, if we hold one, now that its batch may be here. */
  | { readonly kind: 'certificate_waiting'; readonly period: number }
  /** A certificate we hold that builds on our new committed period, if any. */
  | { readonly kind: 'certificate_next' }
  /** The rest of a STATUS from `from`, after the vote it carried. */
  | { readonly kind: 'status_rest'; readonly from: number; readonly committed: Certificate; readonly vote: Vote | null }
  /** SYNC_RECORDS from `from`, replayed from record `index` on (`applied` so far). */
  | {
      readonly kind: 'records_replayed';
      readonly from: number;
      readonly records: readonly PeriodRecord[];
      readonly index: number;
      readonly applied: number;
      readonly snapshotNeeded: boolean;
      readonly awaited: boolean;
    }
  /** Catch-up looks again: a request to send, or one timed out. */
  | { readonly kind: 'catch_up_due' };
