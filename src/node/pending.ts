// A proposal as a server keeps it until its period is decided: the batch, the certificate it
// builds on, the change it carries, and (once computed on our committed state) its outcome.
// From a PROPOSAL message (proposalOf), from our own batch as beta, or from a replayed record.

import type { PreparedState } from '../ledger/state.ts';
import type { Change } from '../consensus/configuration.ts';
import type { Certificate } from '../consensus/vote.ts';
import type { ProposalMessage } from '../peer/messages.ts';

export interface Outcome {
  readonly prepared: PreparedState;
  readonly applied: Uint8Array;
  readonly appliedCount: number;
  /** The committed period this outcome was computed on. */
  readonly base: number;
}

export interface Proposal {
  /** The slot: the period whose beta proposed it (in a majority network, the period it decides). */
  readonly period: number;
  /** The period whose batch it carries, whose timestamps re-validation checks. */
  readonly decided: number;
  readonly hash: Uint8Array;
  readonly transactions: Uint8Array;
  readonly parent: Certificate;
  outcome: Outcome | null;
  txids: Set<string> | null;
  /** The message as it came (kept with a vote, re-proposed in a two-thirds network); null for a replayed record. */
  readonly message: ProposalMessage | null;
  /** The configuration change the period carries, if any (§8.13). */
  readonly change?: Change;
}

/** A pending proposal as the agreement keeps it, from the message. */
export function proposalOf(message: ProposalMessage): Proposal {
  const proposal: Proposal = { period: message.period, decided: message.decided, hash: message.hash, transactions: message.transactions, parent: message.parent, outcome: null, txids: null, message };
  return message.change === undefined ? proposal : { ...proposal, change: message.change };
}
