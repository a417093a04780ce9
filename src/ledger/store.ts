// What a server keeps across restarts, behind one interface with two implementations:
// SQLite on disk (sqlite-store.ts, the node) and memory (below, the simulator and unit
// tests). Every method is atomic: after a crash at any instant, a store holds either all
// of a call's effect or none of it.

import { key_bytes, sync_replay_periods_max, votes_remembered_per_server } from '../constants.ts';
import { paymentsIn } from '../payment-list.ts';
import { toHex } from '../bytes.ts';
import { assert } from '../errors.ts';
import type { Ballot } from '../consensus/ballot.ts';
import { type Certificate, certificateBytes, type Decision, type Vote } from '../consensus/vote.ts';
import type { ProposalMessage, PeriodRecord } from '../peer/messages.ts';
import { type CommittedChange, encodeChange } from '../consensus/configuration.ts';

export type VotedProposal = ProposalMessage;

/**
 * What a server of a two-thirds network keeps before a ballot leaves (consensus/ballot.ts):
 * its last PREVOTE and PRECOMMIT (it never casts in a slot at or before them again) and its
 * lock (the decision it precommitted, with the batch, which it must keep backing, and the
 * quorum of prevotes that made it valid: without them, servers locked across restarts could
 * not prove their lock to anyone, and would refuse every batch for good).
 */
export interface BallotState {
  readonly prevote: Ballot | null;
  readonly precommit: Ballot | null;
  readonly lock: { readonly slot: number; readonly decision: Decision; readonly proposal: VotedProposal; readonly pol: readonly Ballot[] } | null;
}

export const noBallots: BallotState = { prevote: null, precommit: null, lock: null };
import { payeeOf, payerOf, txidOf } from '../transaction.ts';
import { type AccountChange, entry_bytes } from './state.ts';

export interface StoredState {
  /** The last committed period; the genesis certificate when nothing was committed yet. */
  readonly committed: Certificate;
  /** Sorted account entries of the committed state, or null for the genesis state. */
  readonly entries: Uint8Array | null;
  /** The last vote this server cast: it must never vote twice for a period, even after a crash. */
  readonly lastVote: Vote | null;
  /**
   * This server's recent votes, oldest first (the last one is lastVote). A vote that skipped
   * a period is part of the proof that frees a peer locked on it; lose it in a crash and
   * that peer may stay locked (found by the simulator: "lock-evidence-lost").
   */
  readonly recentVotes: readonly Vote[];
  /**
   * The proposal the last vote was cast for, kept with it. If every voter of a period
   * crashes after voting and before committing, the period may be certified while no one
   * holds its batch; this keeps it (found by the simulator: a network stopped for good).
   */
  readonly votedProposal: VotedProposal | null;
  /** Records are kept for every committed period after this one (0: since genesis). */
  readonly archiveFrom: number;
  /** Two-thirds networks: the last ballots and the lock. */
  readonly ballots: BallotState;
  /** Evidence of equivocation this server holds (consensus/evidence.ts encodings), oldest first. */
  readonly evidence: readonly Uint8Array[];
  /** The committed configuration changes, oldest first (consensus/configuration.ts): the committed state binds them. */
  readonly chain: readonly CommittedChange[];
}

export interface CommitInput {
  readonly record: PeriodRecord;
  /** One byte per payment of the batch: 1 applied, 0 skipped. */
  readonly applied: Uint8Array;
  readonly changes: readonly AccountChange[];
}

export interface PaymentOutcome {
  readonly period: number;
  readonly applied: boolean;
}

/** Where a page of an account's history starts: strictly older than (period, index). */
export interface HistoryCursor {
  readonly period: number;
  readonly index: number;
}

/** A payment of a committed batch in which an account is payer or payee. */
export interface AccountPayment {
  readonly period: number;
  /** Its position in the period's batch. */
  readonly index: number;
  /** Applied, or skipped at re-validation (void). */
  readonly applied: boolean;
  /** The payment as proposed and committed: 140 bytes, or 148 with a reference. */
  readonly transaction: Uint8Array;
}

/** Orders history entries: (period, index) of a before b in time is negative. */
export function compareCursor(a: HistoryCursor, b: HistoryCursor): number {
  return a.period !== b.period ? a.period - b.period : a.index - b.index;
}

export interface Store {
  load(): StoredState;
  /** The period, its batch and outcome, and the new balances, in one transaction. */
  commit(input: CommitInput): void;
  /** Durable, with the proposal voted for, before the vote leaves the server. */
  recordVote(vote: Vote, proposal: VotedProposal | null): void;
  /** Two-thirds networks: durable before a ballot leaves the server. */
  recordBallots(state: BallotState): void;
  /** Keeps evidence once per key (consensus/evidence.ts evidenceKey); false when it was already kept. */
  recordEvidence(key: string, bytes: Uint8Array): boolean;
  /**
   * Keeps a server's newest signed address record (address-record.ts, 110 bytes), replacing
   * the one kept for the same key. The caller checked it is valid and newer.
   */
  recordAddress(key: Uint8Array, record: Uint8Array): void;
  /** The address records kept, one per key, in no particular order. */
  addressRecords(): Uint8Array[];
  /** Keeps a server's newest signed gateway record (gateway-record.ts), as recordAddress does. */
  recordGateway(key: Uint8Array, record: Uint8Array): void;
  /** The gateway records kept, one per key, in no particular order. */
  gatewayRecords(): Uint8Array[];
  /** Replaces the whole state, and the chain of changes, with a verified snapshot, in one transaction. */
  installSnapshot(certificate: Certificate, entries: Uint8Array, chain?: readonly CommittedChange[]): void;
  /** Committed periods after `after`, in order, within the limits; or 'snapshot_needed'. */
  records(after: number, maxCount: number, maxBytes: number): PeriodRecord[] | 'snapshot_needed';
  paymentOutcome(txid: Uint8Array): PaymentOutcome | null;
  /**
   * The committed payments in which `account` is payer or payee, newest first, strictly
   * older than `before` (null: from the newest), at most `limit`; only periods after
   * archiveFrom (a store restored from a snapshot knows nothing older).
   */
  history(account: Uint8Array, before: HistoryCursor | null, limit: number): AccountPayment[];
  /**
   * The event stream's backlog (PROTOCOL §6.12): the committed payments in which `account`
   * is payer or payee, oldest first, strictly newer than `after`, at most `limit`; only
   * periods after archiveFrom.
   */
  historyAfter(account: Uint8Array, after: HistoryCursor, limit: number): AccountPayment[];
  /** The payments of committed period `period` in batch order, each with its outcome; none for a period not held (void, or before archiveFrom). */
  periodPayments(period: number): AccountPayment[];
  close(): void;
}

export function recordBytes(record: PeriodRecord): number {
  return certificateBytes(record.certificate) + 4 + record.transactions.length + (record.change === undefined ? 0 : 2 + encodeChange(record.change).length);
}

/** The store of the simulator: the same contract, in memory. */
export class MemoryStore implements Store {
  private committed: Certificate;
  private accounts = new Map<string, Uint8Array>(); // hex -> entry (36 bytes)
  private lastVote: Vote | null = null;
  private recentVotes: Vote[] = [];
  private votedProposal: VotedProposal | null = null;
  private ballots: BallotState = noBallots;
  private readonly evidence = new Map<string, Uint8Array>();
  private readonly addresses = new Map<string, Uint8Array>();
  private readonly gateways = new Map<string, Uint8Array>();
  private archiveFrom = 0;
  private chain: CommittedChange[] = [];
  private readonly periods: PeriodRecord[] = [];
  private readonly payments = new Map<string, PaymentOutcome>();
  /** Account (hex) → its payments, oldest first (commits come in period order). */
  private accountPayments = new Map<string, AccountPayment[]>();
  private fresh = true;
  /** The accounts hold a whole state: the genesis accounts were given, or a snapshot was installed. */
  private seeded = false;
  /** Counts of writes, so tests can see that work reached storage. */
  writes = 0;

  constructor(genesis: Certificate) {
    this.committed = genesis;
  }

  load(): StoredState {
    const kept = {
      lastVote: this.lastVote,
      recentVotes: this.recentVotes.slice(),
      votedProposal: this.votedProposal,
      archiveFrom: this.archiveFrom,
      ballots: this.ballots,
      evidence: [...this.evidence.values()],
      chain: this.chain.slice(),
    };
    if (this.fresh) return { committed: this.committed, entries: null, ...kept };
    const sorted = [...this.accounts.keys()].sort();
    const entries = new Uint8Array(sorted.length * entry_bytes);
    sorted.forEach((key, i) => entries.set(this.accounts.get(key)!, i * entry_bytes));
    return { committed: this.committed, entries, ...kept };
  }

  /** The genesis accounts (36-byte entries), which SqliteStore takes in its constructor: before the first commit. */
  seedGenesis(entries: Iterable<Uint8Array>): void {
    for (const entry of entries) this.accounts.set(toHex(entry.subarray(0, key_bytes)), entry.slice());
    this.seeded = true;
  }

  commit(input: CommitInput): void {
    const { certificate, transactions } = input.record;
    assert(certificate.parent === this.committed.period, 'a commit extends the last committed period');
    // Without the genesis accounts, the changes alone would become the whole state: every
    // account they do not touch would be lost on the next load().
    assert(this.seeded, 'seedGenesis before the first commit');
    if (this.fresh) this.fresh = false;
    for (const change of input.changes) {
      const key = toHex(change.account);
      if (change.balance === 0) this.accounts.delete(key);
      else {
        const entry = new Uint8Array(entry_bytes);
        entry.set(change.account);
        new DataView(entry.buffer).setUint32(32, change.balance);
        this.accounts.set(key, entry);
      }
    }
    for (const [i, tx] of paymentsIn(transactions, 'batch').entries()) {
      const key = toHex(txidOf(tx));
      if (!this.payments.has(key)) this.payments.set(key, { period: certificate.period, applied: input.applied[i] === 1 });
      const payment: AccountPayment = { period: certificate.period, index: i, applied: input.applied[i] === 1, transaction: tx };
      const payer = toHex(payerOf(tx));
      const payee = toHex(payeeOf(tx));
      this.indexPayment(payer, payment);
      if (payee !== payer) this.indexPayment(payee, payment);
    }
    this.periods.push(input.record);
    if (input.record.change !== undefined) this.chain.push({ carrier: certificate.period, change: input.record.change });
    this.committed = certificate;
    this.writes++;
  }

  private indexPayment(account: string, payment: AccountPayment): void {
    let list = this.accountPayments.get(account);
    if (list === undefined) this.accountPayments.set(account, (list = []));
    const last = list[list.length - 1];
    assert(last === undefined || compareCursor(last, payment) < 0, 'an account\'s payments are indexed in (period, index) order');
    list.push(payment);
  }

  recordVote(vote: Vote, proposal: VotedProposal | null): void {
    this.lastVote = vote;
    this.votedProposal = proposal;
    this.recentVotes.push(vote);
    if (this.recentVotes.length > votes_remembered_per_server) this.recentVotes.shift();
    this.writes++;
  }

  recordBallots(state: BallotState): void {
    this.ballots = state;
    this.writes++;
  }

  recordEvidence(key: string, bytes: Uint8Array): boolean {
    if (this.evidence.has(key)) return false;
    this.evidence.set(key, bytes.slice());
    this.writes++;
    return true;
  }

  recordAddress(key: Uint8Array, record: Uint8Array): void {
    this.addresses.set(toHex(key), record.slice());
    this.writes++;
  }

  addressRecords(): Uint8Array[] {
    return [...this.addresses.values()].map((record) => record.slice());
  }

  recordGateway(key: Uint8Array, record: Uint8Array): void {
    this.gateways.set(toHex(key), record.slice());
    this.writes++;
  }

  gatewayRecords(): Uint8Array[] {
    return [...this.gateways.values()].map((record) => record.slice());
  }

  installSnapshot(certificate: Certificate, entries: Uint8Array, chain: readonly CommittedChange[] = []): void {
    this.chain = chain.slice();
    this.fresh = false;
    this.seeded = true;
    this.accounts = new Map();
    for (let offset = 0; offset < entries.length; offset += entry_bytes) {
      this.accounts.set(toHex(entries.subarray(offset, offset + key_bytes)), entries.slice(offset, offset + entry_bytes));
    }
    this.committed = certificate;
    this.archiveFrom = certificate.period;
    this.periods.length = 0;
    this.accountPayments = new Map(); // the batches before the snapshot are not ours to list
    this.writes++;
  }

  records(after: number, maxCount: number, maxBytes: number): PeriodRecord[] | 'snapshot_needed' {
    if (after < this.archiveFrom) return 'snapshot_needed';
    let first = this.periods.findIndex((record) => record.certificate.period > after);
    if (first < 0) return [];
    if (this.periods.length - first > sync_replay_periods_max) return 'snapshot_needed';
    const out: PeriodRecord[] = [];
    let bytes = 0;
    for (; first < this.periods.length && out.length < maxCount; first++) {
      const record = this.periods[first]!;
      bytes += recordBytes(record);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(record);
    }
    return out;
  }

  paymentOutcome(txid: Uint8Array): PaymentOutcome | null {
    return this.payments.get(toHex(txid)) ?? null;
  }

  history(account: Uint8Array, before: HistoryCursor | null, limit: number): AccountPayment[] {
    const list = this.accountPayments.get(toHex(account));
    if (list === undefined || limit <= 0) return [];
    // The first entry not older than the cursor (binary search), then back from just before it.
    let low = 0;
    let high = list.length;
    if (before !== null) {
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (compareCursor(list[middle]!, before) < 0) low = middle + 1;
        else high = middle;
      }
    } else {
      low = list.length;
    }
    const out: AccountPayment[] = [];
    for (let i = low - 1; i >= 0 && out.length < limit; i--) out.push(list[i]!);
    return out;
  }

  historyAfter(account: Uint8Array, after: HistoryCursor, limit: number): AccountPayment[] {
    const list = this.accountPayments.get(toHex(account));
    if (list === undefined || limit <= 0) return [];
    // The first entry newer than the cursor (binary search), then forward from it.
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareCursor(list[middle]!, after) <= 0) low = middle + 1;
      else high = middle;
    }
    return list.slice(low, low + limit);
  }

  periodPayments(period: number): AccountPayment[] {
    const record = this.periods.find((candidate) => candidate.certificate.period === period);
    if (record === undefined) return [];
    return paymentsIn(record.transactions, 'batch').map((tx, index) => ({ period, index, applied: this.payments.get(toHex(txidOf(tx)))?.applied === true, transaction: tx }));
  }

  close(): void {}
}
