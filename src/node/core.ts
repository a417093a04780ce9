// The server's protocol logic, sans IO: schedule, payments, proposals, votes, commits,
// void periods, certificates and catch-up. Time comes in as an argument, messages come in
// decoded and go out through `outbox`, storage is the Store interface, and signatures
// go through injected functions. The node (node/server.ts) wires it to sockets, timers
// and SQLite; the simulator (src/sim) wires the very same code to a simulated network,
// clock and memory store.

import {
  hash_bytes,
  sync_timeout_ms_min,
  verified_certificates_cached_max,
  verified_votes_cached_max,
  pending_proposals_max,
  period_transactions_max,
  snapshot_hold_ms,
  snapshot_page_accounts_max,
  snapshots_served_max,
  state_mid_count,
  sync_records_per_reply_max,
  sync_reply_bytes_max,
  transaction_bytes,
  votes_remembered_per_server,
  vote_links_remembered_per_server,
  forward_flush_ms,
  forward_transactions_max,
  snapshot_accounts_max,
  void_payments_remembered_max,
} from '../constants.ts';
import { concat, equal, toHex } from '../bytes.ts';
import { assert } from '../errors.ts';
import { type HistoryBody, type InfoBody, PaymentState, Status } from '../client/codec.ts';
import type { Network } from '../network.ts';
import type { PeerMessage, PeriodRecord } from '../peer/messages.ts';
import { checkTimestamp, alphaOf, endOf, periodOf, startOf, type Timing } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import { signingMessage, signatureOf, payerOf, timestampOf, txidOf } from '../transaction.ts';
import { BatchApplier, checkAmount, checkPayee, replayBatch } from '../ledger/batch.ts';
import { entriesAfter, entry_bytes, type FrozenState, LedgerState, midDigestOfEntries, type PreparedState, rootDigest, emptyMidDigest } from '../ledger/state.ts';
import type { Store } from '../ledger/store.ts';
import { decideVote, isSkippedBy, placeCertificate, VoteEvidence } from '../consensus/rules.ts';
import {
  type Certificate,
  certificateFrom,
  type Decision,
  decisionKey,
  genesisCertificate,
  sameDecision,
  signVote,
  verifyCertificate,
  verifyVote,
  type Vote,
  type VoteChecker,
} from '../consensus/vote.ts';

export type Verify = (signature: Uint8Array, message: Uint8Array, key: Uint8Array) => boolean;

export interface CoreLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface CoreOptions {
  readonly network: Network;
  readonly selfIndex: number;
  readonly signer: Signer;
  readonly store: Store;
  readonly verify: Verify;
  readonly log: CoreLog;
  /** The time the server (re)started: it proposes only periods it saw from their start. */
  readonly now: number;
  /** How long to wait for a missing batch before asking a peer (default: a quarter period). */
  readonly syncGraceMs?: number;
  /** How long a catch-up request may go unanswered before another peer is asked. */
  readonly syncTimeoutMs?: number;
}

export interface Outgoing {
  /** A server index, or 'others' for every other server. */
  readonly to: number | 'others';
  readonly message: PeerMessage;
}

export interface PayResult {
  readonly status: Status;
  readonly period: number;
  readonly txid: Uint8Array;
}

interface Outcome {
  readonly prepared: PreparedState;
  readonly applied: Uint8Array;
  readonly appliedCount: number;
  /** The committed period this outcome was computed on. */
  readonly base: number;
}

interface Proposal {
  readonly period: number;
  readonly hash: Uint8Array;
  readonly transactions: Uint8Array;
  readonly parent: Certificate;
  outcome: Outcome | null;
  txids: Set<string> | null;
}

interface Tally {
  readonly decision: Decision;
  readonly votes: Map<number, Vote>;
}

class AlphaBatch {
  readonly transactions: Uint8Array[] = [];
  applier: BatchApplier;
  constructor(
    readonly period: number,
    base: LedgerState,
    private readonly timing: Timing,
  ) {
    this.applier = new BatchApplier(base, period, timing);
  }
  add(tx: Uint8Array, txid: Uint8Array): void {
    this.transactions.push(tx);
    this.applier.apply(tx, txid);
  }
  /** The committed state moved: re-apply the batch on it, as every server will. */
  rebase(base: LedgerState): void {
    this.applier = new BatchApplier(base, this.period, this.timing);
    for (const tx of this.transactions) this.applier.apply(tx);
  }
}

type Sync =
  | { mode: 'records'; peer: number; sentAt: number; after: number }
  | { mode: 'snapshot'; peer: number; sentAt: number; receiving: SnapshotReceiving | null };

interface SnapshotReceiving {
  readonly snapshotId: number;
  readonly certificate: Certificate;
  readonly mids: Uint8Array;
  readonly accounts: number;
  /** Every entry received so far, in order, in one buffer sized by the header (pages are copied in, not kept). */
  readonly entries: Uint8Array;
  received: number;
  nextMid: number;
  /** Where the entries of the mid being received begin in `entries` (not yet checked). */
  midStart: number;
  pages: number;
}

interface Served {
  readonly frozen: FrozenState;
  readonly certificate: Certificate;
  lastUsed: number;
}

export class ServerCore {
  readonly network: Network;
  readonly timing: Timing;
  readonly self: number;
  readonly outbox: Outgoing[] = [];
  readonly counters = new Map<string, number>();
  private readonly signer: Signer;
  private readonly store: Store;
  private readonly verifySignature: Verify;
  private readonly log: CoreLog;
  private readonly checker: VoteChecker;
  private readonly startedAt: number;
  private readonly syncGraceMs: number;
  private readonly syncTimeoutMs: number;

  private state: LedgerState;
  private committedCertificate: Certificate;
  private lastVote: Vote | null;
  private lastTickPeriod: number;
  /** Periods after this one are all in our archive; 0 when we hold everything since genesis. */
  private archiveFrom: number;
  /** This server votes only for periods after this one (see the constructor). */
  private readonly voteFloor: number;

  private readonly batches = new Map<number, AlphaBatch>();
  private readonly proposals = new Map<number, Proposal>();
  private readonly tallies = new Map<number, Map<string, Tally>>();
  private readonly evidence: VoteEvidence;
  private readonly verifiedVotes = new Set<string>();
  private readonly verifiedCertificates = new Set<string>();
  /** Certificates beyond our committed period, by period (bounded). */
  private readonly certified = new Map<number, Certificate>();
  private readonly peerCommitted: number[];
  private readonly lastHeard: number[];
  private readonly statusAnsweredAt: number[];
  /** Recent signed votes of every server, ours too (oldest first): the proofs that free a locked peer. */
  private readonly recentVotes: Vote[][];
  private readonly skipProofSentAt: number[];
  private readonly voidPayments = new Map<string, number>();
  private forwardQueue: { alpha: number; period: number; transactions: Uint8Array[]; since: number } | null = null;
  /** Our PROPOSAL, sent; we vote on it at the next tick (see propose). */
  private ownProposal: Extract<PeerMessage, { type: 'proposal' }> | null = null;

  private sync: Sync | null = null;
  private behindSince: number | null = null;
  /** After an answer that brought nothing, the next SYNC_REQUEST waits until then. */
  private syncQuietUntil = 0;
  private outOfSync = false;
  private syncRotation = 0;
  private readonly served = new Map<number, Served>();
  private nextSnapshotId = 1;

  constructor(options: CoreOptions) {
    this.network = options.network;
    this.self = options.selfIndex;
    this.signer = options.signer;
    this.store = options.store;
    this.verifySignature = options.verify;
    this.log = options.log;
    this.startedAt = options.now;
    const network = options.network;
    this.timing = { periodMs: network.periodMs, blackoutMs: network.blackoutMs, skewMs: network.skewMs, serverCount: network.servers.length };
    this.syncGraceMs = options.syncGraceMs ?? Math.max(1, Math.floor(network.periodMs / 4));
    this.syncTimeoutMs = options.syncTimeoutMs ?? Math.max(sync_timeout_ms_min, 2 * network.periodMs);
    assert(this.self >= 0 && this.self < network.servers.length, 'the server is in the network');
    assert(equal(network.servers[this.self]!.key, this.signer.publicKey), 'the signer is this server');

    const stored = this.store.load();
    this.state = stored.entries === null ? LedgerState.fromAccounts(network.genesis) : LedgerState.fromSortedEntries(stored.entries);
    this.committedCertificate = stored.committed;
    this.lastVote = stored.lastVote;
    this.archiveFrom = stored.archiveFrom;
    // A store with no vote may be a lost one (a deleted directory): this server may have voted
    // before, up to the present period. It votes only for later periods, so it can never vote
    // twice for one. A store that kept its votes needs no floor: votes are monotonic.
    this.voteFloor = stored.lastVote === null ? periodOf(this.timing, options.now) : 0;
    // The batch we last voted for comes back with the vote: if its period is certified while
    // every voter was down, someone must still hold it.
    const voted = stored.votedProposal;
    if (voted !== null && voted.period > stored.committed.period) {
      this.proposals.set(voted.period, { period: voted.period, hash: voted.hash, transactions: voted.transactions, parent: voted.parent, outcome: null, txids: null });
    }
    assert(equal(this.state.hash, stored.committed.hash), 'the stored state matches its committed hash');
    const genesisHash = stored.committed.period === 0 ? stored.committed.hash : LedgerState.fromAccounts(network.genesis).hash;
    this.checker = {
      networkId: network.id,
      serverKeys: network.servers.map((server) => server.key),
      majority: network.majority,
      genesisHash,
      verify: options.verify,
    };
    this.evidence = new VoteEvidence(network.servers.length, vote_links_remembered_per_server);
    if (this.lastVote !== null) this.evidence.record(this.self, this.lastVote.period, this.lastVote.prev);
    this.peerCommitted = network.servers.map(() => 0);
    this.lastHeard = network.servers.map(() => 0);
    this.statusAnsweredAt = network.servers.map(() => -1);
    this.skipProofSentAt = network.servers.map(() => -1);
    this.recentVotes = network.servers.map(() => []);
    // Our own recent votes come back from storage: they may be the proof a locked peer needs.
    this.recentVotes[this.self]!.push(...stored.recentVotes);
    this.lastTickPeriod = periodOf(this.timing, options.now);
    this.log.info(
      `server ${this.self} of ${network.servers.length} on network ${network.name}: committed period ${this.committed.period}, ${this.state.describe()}`,
    );
    // Our stored vote counts in our own tally, as it did before the restart: the others'
    // STATUS brings theirs back, and without ours a majority that includes us never forms
    // (found by the simulator: three of four votes for a period, each server seeing two).
    if (this.lastVote !== null && this.lastVote.period > this.committed.period) this.handleVote(this.lastVote, options.now);
  }

  // ---- what the outside may read -------------------------------------------------------

  get committed(): Certificate {
    return this.committedCertificate;
  }

  get stateHash(): Uint8Array {
    return this.state.hash;
  }

  get ledger(): LedgerState {
    return this.state;
  }

  get lastVotePeriod(): number | null {
    return this.lastVote?.period ?? null;
  }

  /** In consensus: in sync with the majority and hearing from it. Otherwise: UNAVAILABLE. */
  isAvailable(now: number): boolean {
    if (this.outOfSync || this.sync !== null) return false;
    if (this.highestCertified() > this.committed.period) return false;
    return this.heardMajority(now);
  }

  heardMajority(now: number): boolean {
    const current = periodOf(this.timing, now);
    let heard = 1;
    for (let i = 0; i < this.lastHeard.length; i++) if (i !== this.self && this.lastHeard[i]! >= current - 1) heard++;
    return heard >= this.network.majority;
  }

  /** When the node should call tick() next, at the latest. */
  nextWakeAt(now: number): number {
    if (this.ownProposal !== null) return now + 1;
    let at = startOf(this.timing, periodOf(this.timing, now) + 1);
    for (const proposal of this.proposals.values()) {
      const votable = this.votableAt(proposal.period);
      if (votable > now && (this.lastVote === null || proposal.period > this.lastVote.period)) at = Math.min(at, votable);
    }
    if (this.forwardQueue !== null) at = Math.min(at, this.forwardQueue.since + forward_flush_ms);
    if (this.behindSince !== null && this.sync === null) at = Math.min(at, Math.max(this.behindSince + this.syncGraceMs, this.syncQuietUntil));
    if (this.sync !== null) at = Math.min(at, this.sync.sentAt + this.syncTimeoutMs);
    return Math.max(at, now + 1);
  }

  private count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  private send(to: number | 'others', message: PeerMessage): void {
    this.outbox.push({ to, message });
  }

  private witnessed(period: number): boolean {
    return this.startedAt <= startOf(this.timing, period);
  }

  // ---- time ----------------------------------------------------------------------------

  /** Called at every period boundary and whenever nextWakeAt says. */
  tick(now: number): void {
    if (this.ownProposal !== null) {
      const proposal = this.ownProposal;
      this.ownProposal = null;
      this.handleProposal(this.self, proposal, now);
    }
    const current = periodOf(this.timing, now);
    if (current > this.lastTickPeriod) {
      this.lastTickPeriod = current;
      this.startPeriod(current, now);
    }
    if (this.forwardQueue !== null && (now >= this.forwardQueue.since + forward_flush_ms || this.forwardQueue.period !== current)) {
      this.flushForwards();
    }
    if (this.proposals.size > 0) this.tryVote(now); // a proposal that came early may be votable now
    this.driveSync(now);
    for (const [id, served] of this.served) if (now - served.lastUsed > snapshot_hold_ms) this.served.delete(id);
  }

  /** The first heartbeat after a (re)start, so that peers learn at once where we stand. */
  announce(): void {
    this.send('others', { type: 'status', committed: this.committed, vote: this.lastVote });
  }

  private startPeriod(current: number, now: number): void {
    const ended = current - 1;
    // The beta of this period is the alpha of the one that just ended: it proposes it.
    if (alphaOf(this.timing, ended) === this.self && this.witnessed(ended)) this.propose(ended, now);
    for (const period of this.batches.keys()) if (period <= ended) this.batches.delete(period);
    this.announce();
  }

  // ---- the alpha: payments from clients and forwarders --------------------------------

  private batchFor(period: number): AlphaBatch | null {
    let batch = this.batches.get(period);
    if (batch === undefined) {
      if (alphaOf(this.timing, period) !== this.self || !this.witnessed(period)) return null;
      batch = new AlphaBatch(period, this.state, this.timing);
      this.batches.set(period, batch);
    }
    return batch;
  }

  verifyPayment(tx: Uint8Array): boolean {
    return this.verifySignature(signatureOf(tx), signingMessage(this.network.id, tx), payerOf(tx));
  }

  /**
   * Rules 1 to 6 of docs/PROTOCOL.md §5.4, cheapest first, the signature last. The alpha takes the payment into its
   * batch; any other server checks what it can and forwards it to the alpha.
   *
   * `signature` says whether the signature was already checked elsewhere (the node
   * verifies in worker threads, off the socket thread, between precheckPay and this):
   * 'check' verifies here; 'valid' and 'invalid' take the outside verdict. Rules 1 to 5
   * run again either way: the batch may have changed while the signature was checked.
   */
  handlePay(tx: Uint8Array, now: number, signature: 'check' | 'valid' | 'invalid' = 'check'): PayResult {
    const decision = this.decidePay(tx, now);
    if (decision.result !== null) return this.payResult(decision.result, decision);
    const valid = signature === 'check' ? this.verifyPayment(tx) : signature === 'valid';
    if (!valid) return this.payResult(Status.BAD_SIGNATURE, decision);
    if (decision.batch === null) {
      this.queueForward(decision.alpha, decision.period, tx.slice(), now);
      return this.payResult(Status.FORWARDED, decision);
    }
    decision.batch.add(tx.slice(), decision.txid);
    return this.payResult(Status.ACCEPTED, decision);
  }

  /**
   * Rules 1 to 5 and this server's own conditions, without the signature and without
   * changing anything: the final answer, or null when only the signature remains.
   */
  precheckPay(tx: Uint8Array, now: number): PayResult | null {
    const decision = this.decidePay(tx, now);
    return decision.result === null ? null : this.payResult(decision.result, decision);
  }

  private payResult(status: Status, decision: { period: number; txid: Uint8Array }): PayResult {
    this.count(`pay_${statusName(status)}`);
    return { status, period: decision.period, txid: decision.txid };
  }

  private decidePay(
    tx: Uint8Array,
    now: number,
  ): { result: Status | null; period: number; txid: Uint8Array; alpha: number; batch: AlphaBatch | null } {
    const txid = txidOf(tx);
    const period = periodOf(this.timing, now);
    const alpha = alphaOf(this.timing, period);
    const decided = (result: Status | null, batch: AlphaBatch | null = null) => ({ result, period, txid, alpha, batch });
    if (!this.isAvailable(now)) return decided(Status.UNAVAILABLE);
    if (!checkAmount(tx)) return decided(Status.BAD_AMOUNT);
    if (checkTimestamp(this.timing, timestampOf(tx), now) !== 'ok') return decided(Status.BAD_TIME);
    if (alpha !== this.self) {
      // An alpha we have not heard from for a period is probably down: forwarding to it would
      // only make the payment void. Say so, and the wallet tries again (or waits a period).
      if (this.lastHeard[alpha]! < period - 1) return decided(Status.UNAVAILABLE);
      return decided(null);
    }
    const batch = this.batchFor(period);
    if (batch === null) return decided(Status.UNAVAILABLE); // restarted during our own alpha period
    if (batch.transactions.length >= period_transactions_max) return decided(Status.RATE_LIMITED);
    const verdict = batch.applier.check(tx, txid);
    if (verdict === 'duplicate') return decided(Status.DUPLICATE);
    if (verdict === 'insufficient_funds') return decided(Status.INSUFFICIENT_FUNDS);
    assert(verdict === 'ok', 'rules 1 and 2 were checked above');
    return decided(null, batch);
  }

  private queueForward(alpha: number, period: number, tx: Uint8Array, now: number): void {
    if (this.forwardQueue !== null && (this.forwardQueue.alpha !== alpha || this.forwardQueue.period !== period)) this.flushForwards();
    if (this.forwardQueue === null) this.forwardQueue = { alpha, period, transactions: [], since: now };
      // The alpha checks the payee too (batch rule 5), but the payer hears it here, at once.
      if (!checkPayee(tx)) return decided(Status.BAD_PAYEE);
    this.forwardQueue.transactions.push(tx);
    if (this.forwardQueue.transactions.length >= forward_transactions_max) this.flushForwards();
  }

  private flushForwards(): void {
    const queue = this.forwardQueue;
    if (verdict === 'bad_payee') return decided(Status.BAD_PAYEE);
    this.forwardQueue = null;
    if (queue === null || queue.transactions.length === 0) return;
    this.count('forwarded', queue.transactions.length);
    this.send(queue.alpha, { type: 'forward', transactions: concat(...queue.transactions) });
  }

  private handleForward(from: number, transactions: Uint8Array, now: number): void {
    const current = periodOf(this.timing, now);
    for (let offset = 0; offset < transactions.length; offset += transaction_bytes) {
      const tx = transactions.slice(offset, offset + transaction_bytes);
      // A forwarder checked the signature; the time rules are the alpha's own clock's.
      const batch = alphaOf(this.timing, current) === this.self ? this.batchFor(current) : null;
      if (batch === null || !this.isAvailable(now)) {
        this.count('forward_dropped_not_alpha');
        continue;
      }
      if (checkTimestamp(this.timing, timestampOf(tx), now) !== 'ok') {
        this.count('forward_dropped_time');
        continue;
      }
      if (batch.transactions.length >= period_transactions_max) {
        this.count('forward_dropped_full');
        continue;
      }
      const txid = txidOf(tx);
      const verdict = batch.applier.check(tx, txid);
      if (verdict !== 'ok') {
        this.count(`forward_dropped_${verdict}`);
        continue;
      }
      batch.add(tx, txid);
      this.count('forward_accepted');
    }
    this.log.debug(`FORWARD from server ${from}: ${transactions.length / transaction_bytes} payments`);
  }

  // ---- queries -------------------------------------------------------------------------

  balance(account: Uint8Array, now: number): { status: Status; balance: number } {
    if (!this.isAvailable(now)) return { status: Status.UNAVAILABLE, balance: 0 };
    const balance = this.state.balanceOf(account);
    return { status: balance === 0 ? Status.NOT_FOUND : Status.OK, balance };
  }

  /**
   * STATUS of a payment: committed or void in a committed period, pending in a batch or a
   * proposal, void with a skipped period; otherwise unknown, with our committed period
   * (so a client that was told ACCEPTED for period k knows it is void once this is ≥ k).
   */
  paymentStatus(txid: Uint8Array, now: number): { status: Status; state: PaymentState; period: number } {
    if (!this.isAvailable(now)) return { status: Status.UNAVAILABLE, state: PaymentState.UNKNOWN, period: 0 };
    const outcome = this.store.paymentOutcome(txid);
    if (outcome !== null) {
      return { status: Status.OK, state: outcome.applied ? PaymentState.COMMITTED : PaymentState.VOID, period: outcome.period };
    }
    const txidHex = toHex(txid);
    for (const batch of this.batches.values()) {
      if (batch.applier.has(txid)) return { status: Status.OK, state: PaymentState.PENDING, period: batch.period };
    }
    for (const proposal of this.proposals.values()) {
      if (proposal.txids === null) {
        proposal.txids = new Set();
        for (let offset = 0; offset < proposal.transactions.length; offset += transaction_bytes) {
          proposal.txids.add(toHex(txidOf(proposal.transactions.subarray(offset, offset + transaction_bytes))));
        }
      }
      if (proposal.txids.has(txidHex)) return { status: Status.OK, state: PaymentState.PENDING, period: proposal.period };
    }
    const voided = this.voidPayments.get(txidHex);
    if (voided !== undefined) return { status: Status.OK, state: PaymentState.VOID, period: voided };
    // "Not applied in any period up to p": only true where we hold every period since
    // genesis. A server restored from a snapshot never saw the payments before it, so it
    // claims nothing (0), and a wallet will not take a committed payment for void.
    return { status: Status.OK, state: PaymentState.UNKNOWN, period: this.archiveFrom === 0 ? this.committed.period : 0 };
  }

  /**
   * HISTORY: the committed payments in which `account` is payer or payee, newest first,
   * strictly older than (beforePeriod, beforeIndex) (beforePeriod 0: from the newest), at
   * most maxEntries, from the periods this server holds (after archive_from).
   */
  history(account: Uint8Array, beforePeriod: number, beforeIndex: number, maxEntries: number, now: number): { status: Status; body: HistoryBody | null } {
    if (!this.isAvailable(now)) return { status: Status.UNAVAILABLE, body: null };
    const before = beforePeriod === 0 ? null : { period: beforePeriod, index: beforeIndex };
    const entries = this.store.history(account, before, maxEntries);
    return { status: Status.OK, body: { account, committedPeriod: this.committed.period, archiveFrom: this.archiveFrom, entries } };
  }

  info(now: number): InfoBody {
    const current = periodOf(this.timing, now);
    return {
      networkId: this.network.id,
      serverIndex: this.self,
      serverCount: this.network.servers.length,
      now,
      currentPeriod: current,
      alphaIndex: alphaOf(this.timing, current),
      committedPeriod: this.committed.period,
      stateHash: this.state.hash,
      lastHeard: this.lastHeard.map((period, i) => (i === this.self ? current : period)),
    };
  }

  // ---- peers ---------------------------------------------------------------------------

  /** One decoded message from server `from` (the batch it came in was authenticated). */
  onMessage(from: number, message: PeerMessage, now: number): void {
    this.lastHeard[from] = periodOf(this.timing, now);
    this.count(`message_${message.type}`);
    switch (message.type) {
      case 'status':
        return this.handleStatus(from, message.committed, message.vote, now);
      case 'proposal':
        return this.handleProposal(from, message, now);
      case 'vote':
        // A vote proves what it says whoever passes it on: its voter signed it. Servers pass
        // on the votes that free a peer locked on a dead period (sendSkipProof).
        if (message.vote.voter !== from) this.count('vote_relayed');
        return this.handleVote(message.vote, now);
      case 'forward':
        return this.handleForward(from, message.transactions, now);
      case 'sync_request':
        return this.handleSyncRequest(from, message.after);
      case 'sync_records':
        return this.handleSyncRecords(from, message.records, message.snapshotNeeded, now);
      case 'snapshot_request':
        return this.handleSnapshotRequest(from, now);
      case 'snapshot_header':
        return this.handleSnapshotHeader(from, message, now);
      case 'snapshot_page_request':
        return this.handleSnapshotPageRequest(from, message.snapshotId, message.after, now);
      case 'snapshot_page':
        return this.handleSnapshotPage(from, message.snapshotId, message.entries, message.last, now);
    }
  }

  private reject(counter: string, message: string): void {
    this.count(counter);
    this.log.warn(message);
  }

  private handleStatus(from: number, committed: Certificate, vote: Vote | null, now: number): void {
    if (vote !== null) {
      if (vote.voter !== from) return this.reject('status_vote_not_from_voter', `STATUS from server ${from} carries another server's vote`);
      this.handleVote(vote, now);
    }
    if (committed.period > this.peerCommitted[from]!) this.peerCommitted[from] = committed.period;
    // A peer behind us (just restarted, or cut off) learns where we stand now, not a period later.
    const current = periodOf(this.timing, now);
    if (committed.period < this.committed.period && this.statusAnsweredAt[from] !== current) {
      this.statusAnsweredAt[from] = current;
      this.send(from, { type: 'status', committed: this.committed, vote: this.lastVote });
    }
    if (vote !== null && vote.period > committed.period) this.sendSkipProof(from, vote.period, current);
    if (committed.period > this.committed.period && !this.certified.has(committed.period)) {
      if (!this.checkCertificate(committed)) return this.reject('bad_certificate', `STATUS from server ${from}: certificate of period ${committed.period} does not verify`);
      this.onCertificate(committed, now);
    }
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
  private sendSkipProof(to: number, period: number, current: number): void {
    if (this.skipProofSentAt[to] === current) return;
    const proofs: Vote[] = [];
    for (let voter = 0; voter < this.recentVotes.length; voter++) {
      if (voter === to) continue;
      const proof = this.recentVotes[voter]!.find((vote) => vote.prev < period && period < vote.period);
      if (proof !== undefined) proofs.push(proof);
    }
    if (proofs.length === 0) return;
    this.skipProofSentAt[to] = current;
    this.count('skip_proofs_sent', proofs.length);
    for (const vote of proofs) this.send(to, { type: 'vote', vote });
  }

  private checkCertificate(certificate: Certificate): boolean {
    const key = `${decisionKey(certificate)}:${certificate.votes.map((vote) => vote.voter).join(',')}`;
    if (this.verifiedCertificates.has(key)) return true;
    if (!verifyCertificate(this.checker, certificate)) return false;
    if (this.verifiedCertificates.size > verified_certificates_cached_max) this.verifiedCertificates.clear();
    this.verifiedCertificates.add(key);
    return true;
  }

  // ---- proposals and votes -------------------------------------------------------------

  private outcomeOf(proposal: Proposal): Outcome {
    if (proposal.outcome !== null && proposal.outcome.base === this.committed.period && proposal.outcome.prepared.base === this.state) {
      return proposal.outcome;
    }
    assert(proposal.parent.period === this.committed.period, 'outcomes are computed on the committed state');
    const replay = replayBatch(this.state, proposal.period, this.timing, proposal.transactions);
    const prepared = this.state.prepare(replay.changes);
    proposal.outcome = { prepared, applied: replay.applied, appliedCount: replay.appliedCount, base: this.committed.period };
    return proposal.outcome;
  }

  /** The beta's duty at the start of its period: the batch of the period that just ended. */
  private propose(period: number, now: number): void {
    const batch = this.batches.get(period);
    const transactions = batch === undefined ? new Uint8Array(0) : concat(...batch.transactions);
    const proposal: Proposal = { period, hash: new Uint8Array(hash_bytes), transactions, parent: this.committed, outcome: null, txids: null };
    const outcome = this.outcomeOf(proposal);
    const message = { type: 'proposal', period, hash: outcome.prepared.hash, transactions, parent: this.committed } as const;
    this.send('others', message);
    this.count('proposed');
    this.log.info(`beta: PROPOSAL for period ${period}: ${transactions.length / transaction_bytes} payments on period ${this.committed.period}`);
    // Our own vote waits for the next turn (nextWakeAt says: at once), so the PROPOSAL
    // leaves first: persisting the vote (and the batch with it) takes a disk sync, which
    // the others should not wait for before they start re-validating.
    this.ownProposal = message;
    void now;
  }

  private handleProposal(from: number, message: Extract<PeerMessage, { type: 'proposal' }>, now: number): void {
    const { period, parent } = message;
    if (alphaOf(this.timing, period) !== from) {
      return this.reject('proposal_wrong_sender', `PROPOSAL for period ${period} from server ${from}, but its beta is server ${alphaOf(this.timing, period)}`);
    }
    if (period <= this.committed.period) return this.count('proposal_stale');
    const known = this.proposals.get(period);
    if (known !== undefined) {
      if (!equal(known.transactions, message.transactions) || !sameDecision(known.parent, parent)) {
        this.reject('proposal_equivocation', `server ${from} sent two different PROPOSALs for period ${period}`);
      }
      return;
    }
    if (!sameDecision(parent, this.committed)) {
      if (parent.period < this.committed.period) return this.count('proposal_old_parent');
      if (!this.checkCertificate(parent)) return this.reject('bad_certificate', `PROPOSAL ${period}: parent certificate does not verify`);
    }
    this.proposals.set(period, { period, hash: message.hash, transactions: message.transactions, parent, outcome: null, txids: null });
    // The beta's message of its period, as an operator sees it arrive (INFO's last-heard counts any batch).
    if (from !== this.self) this.log.info(`beta message from server ${from}: PROPOSAL for period ${period}, ${message.transactions.length / transaction_bytes} payments`);
    while (this.proposals.size > pending_proposals_max) this.proposals.delete(this.oldestDroppableProposal());
    if (!sameDecision(parent, this.committed)) this.onCertificate(parent, now);
    this.tryVote(now);
    // Votes may have arrived before the proposal: a certificate may be waiting for it.
    const waiting = this.certified.get(period);
    if (waiting !== undefined) this.onCertificate(waiting, now);
  }

  /**
   * The proposal to forget when too many are pending: the oldest, but never the one we last
   * voted for while it is undecided. If that period is certified, its voters are the only
   * servers that hold its batch; dropping it (a stalled network brings a new proposal every
   * period) left a certified period that nobody could commit, and every voter locked on it
   * (found by the simulator).
   */
  private oldestDroppableProposal(): number {
    const keep = this.lastVote !== null && this.lastVote.period > this.committed.period ? this.lastVote.period : -1;
    let oldest = Number.POSITIVE_INFINITY;
    for (const period of this.proposals.keys()) if (period !== keep && period < oldest) oldest = period;
    return oldest;
  }

  /** A PROPOSAL for `period` may be voted for once that period has ended here, give or take skew_ms. */
  private votableAt(period: number): number {
    return endOf(this.timing, period) - this.timing.skewMs;
  }

  private lockIsDead(): boolean {
    if (this.lastVote === null || this.lastVote.period <= this.committed.period) return true;
    // A period is dead once so many servers skipped it that the others cannot make a
    // majority: n − majority + 1 skippers. That many intersect every majority, which is
    // all the safety argument needs. For odd n it equals the majority; for even n it is
    // one less, and requiring a full majority there deadlocks (found by the simulator:
    // two servers each locked on a period the other skipped, forever).
    const servers = this.network.servers.length;
    return this.evidence.isDead(this.lastVote.period, servers - this.network.majority + 1);
  }

  /** Votes for the newest proposal this server may vote for, if any. */
  private tryVote(now: number): void {
    if (this.proposals.size === 0) return;
    const candidates = [...this.proposals.values()].sort((a, b) => b.period - a.period);
    for (const proposal of candidates) {
      const decision = decideVote({
        period: proposal.period,
        parent: proposal.parent.period,
        parentHashMatches: equal(proposal.parent.hash, this.committed.hash),
        committed: this.committed.period,
        lastVote: this.lastVote?.period ?? null,
        lockIsDead: this.lockIsDead(),
      });
      if (decision === 'locked') {
        this.count('vote_locked');
        return;
      }
      if (decision !== 'vote') continue;
      if (proposal.period <= this.voteFloor) {
        this.count('vote_below_floor');
        continue;
      }
      if (now < this.votableAt(proposal.period)) {
        // A PROPOSAL for a period that has not ended here yet: its beta's clock runs ahead.
        // Voting for it would let one fast clock skip, and void, everyone else's periods
        // (found by the fault suite). It waits; nextWakeAt brings us back in time.
        this.count('vote_early');
        continue;
      }
      const outcome = this.outcomeOf(proposal);
      if (!equal(outcome.prepared.hash, proposal.hash)) {
        this.reject('proposal_hash_differs', `PROPOSAL ${proposal.period}: the beta's state hash differs from ours; we vote ours`);
      }
      const decisionToSign: Decision = { period: proposal.period, parent: this.committed.period, parentHash: this.committed.hash, hash: outcome.prepared.hash };
      const vote = signVote(this.signer, this.network.id, decisionToSign, this.lastVote?.period ?? 0, this.self);
      // Durable before it leaves (never two votes for one period), with the batch voted for
      // (a certified period must never be left without anyone holding its batch).
      this.store.recordVote(vote, { type: 'proposal', period: proposal.period, hash: proposal.hash, transactions: proposal.transactions, parent: proposal.parent });
      this.lastVote = vote;
      this.count('voted');
      this.send('others', { type: 'vote', vote });
      this.verifiedVotes.add(`${vote.voter}:${decisionKey(vote)}:${vote.prev}`);
      this.handleVote(vote, now);
      return;
    }
  }

  private handleVote(vote: Vote, now: number): void {
    const key = `${vote.voter}:${decisionKey(vote)}:${vote.prev}`;
    if (!this.verifiedVotes.has(key)) {
      if (!verifyVote(this.checker, vote)) return this.reject('bad_vote', `VOTE of server ${vote.voter} for period ${vote.period} does not verify`);
      if (this.verifiedVotes.size > verified_votes_cached_max) this.verifiedVotes.clear();
      this.verifiedVotes.add(key);
    }
    this.evidence.record(vote.voter, vote.period, vote.prev);
    this.rememberVote(vote);
    if (vote.period > this.committed.period) {
      let byDecision = this.tallies.get(vote.period);
      if (byDecision === undefined) this.tallies.set(vote.period, (byDecision = new Map()));
      const decision = decisionKey(vote);
      let tally = byDecision.get(decision);
      if (tally === undefined) byDecision.set(decision, (tally = { decision: vote, votes: new Map() }));
      if (!tally.votes.has(vote.voter)) {
        tally.votes.set(vote.voter, vote);
        if (tally.votes.size >= this.network.majority && tally.votes.size - 1 < this.network.majority) {
          this.onCertificate(certificateFrom(tally.decision, tally.votes.values()), now);
        }
      }
      // Bound the tallies to the periods that can still matter.
      while (this.tallies.size > 2 * pending_proposals_max) this.tallies.delete(Math.min(...this.tallies.keys()));
    }
    if (this.lastVote !== null && this.lastVote.period > this.committed.period && this.proposals.size > 0) this.tryVote(now);
  }

  /** Keeps the newest votes of each server, signed, to pass on as lock proofs. */
  private rememberVote(vote: Vote): void {
    const list = this.recentVotes[vote.voter];
    if (list === undefined || list.some((known) => known.period === vote.period)) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.period > vote.period) at--;
    list.splice(at, 0, vote);
    if (list.length > votes_remembered_per_server) list.shift();
  }

  private highestCertified(): number {
    let highest = this.committed.period;
    for (const period of this.certified.keys()) if (period > highest) highest = period;
    return highest;
  }

  /** A verified certificate: commit it, remember it, or catch up to it. */
  private onCertificate(certificate: Certificate, now: number): void {
    const place = placeCertificate(
      { period: certificate.period, parent: certificate.parent, parentHashMatchesCommitted: equal(certificate.parentHash, this.committed.hash) },
      this.committed.period,
      sameDecision(certificate, this.committed),
    );
    if (place === 'old') return;
    if (place === 'conflict') {
      this.count('certificate_conflict');
      this.log.error(
        `certificate for period ${certificate.period} (parent ${certificate.parent}) conflicts with our committed period ${this.committed.period}: we are out of sync`,
      );
      this.markOutOfSync(now);
      return;
    }
    this.certified.set(certificate.period, certificate);
    while (this.certified.size > pending_proposals_max) this.certified.delete(Math.min(...this.certified.keys()));
    if (place === 'next') {
      const proposal = this.proposals.get(certificate.period);
      if (proposal !== undefined && sameDecision(proposal.parent, this.committed)) {
        const outcome = this.outcomeOf(proposal);
        if (equal(outcome.prepared.hash, certificate.hash)) {
          this.commit(certificate, proposal.transactions, outcome, now);
          return;
        }
        this.count('state_differs');
        this.log.error(`period ${certificate.period}: our state hash differs from the majority's: we are out of sync`);
        this.markOutOfSync(now);
        return;
      }
    }
    if (this.behindSince === null) this.behindSince = now;
  }

  private commit(certificate: Certificate, transactions: Uint8Array, outcome: Outcome, now: number): void {
    assert(certificate.parent === this.committed.period, 'a commit extends the committed period');
    this.store.commit({ record: { certificate, transactions }, applied: outcome.applied, changes: outcome.prepared.changes });
    this.state.commit(outcome.prepared);
    assert(equal(this.state.hash, certificate.hash), 'the committed state has the certified hash');
    const previous = this.committed.period;
    this.committedCertificate = certificate;
    // Our own state gave the certified hash: whatever sent us looking for a snapshot, we hold
    // the majority's state now (a snapshot still on its way is dropped if it is not newer).
    this.outOfSync = false;
    this.count('committed');
    const count = transactions.length / transaction_bytes;
    this.log.info(
      `committed period ${certificate.period}: ${outcome.appliedCount} of ${count} payments applied, ${this.state.describe()}` +
        (certificate.parent !== previous || certificate.parent + 1 !== certificate.period ? `, parent ${certificate.parent}` : ''),
    );
    this.afterCommittedMoved(now);
  }

  /** Our committed state changed (a commit or a snapshot): settle everything that hung on it. */
  private afterCommittedMoved(now: number): void {
    const committed = this.committed;
    for (const [period, proposal] of this.proposals) {
      if (period > committed.period) continue;
      if (period < committed.period && isSkippedBy(period, committed)) this.markVoid(proposal);
      this.proposals.delete(period);
    }
    for (const period of this.tallies.keys()) if (period <= committed.period) this.tallies.delete(period);
    for (const period of this.certified.keys()) if (period <= committed.period) this.certified.delete(period);
    for (const batch of this.batches.values()) batch.rebase(this.state);
    if (this.highestCertified() <= committed.period) this.behindSince = null;
    this.tryVote(now);
    const next = [...this.certified.values()].find((certificate) => certificate.parent === committed.period);
    if (next !== undefined) this.onCertificate(next, now);
  }

  private markVoid(proposal: Proposal): void {
    this.count('period_void');
    this.log.info(`period ${proposal.period} is void: a later period was certified without it`);
    for (let offset = 0; offset < proposal.transactions.length; offset += transaction_bytes) {
      this.voidPayments.set(toHex(txidOf(proposal.transactions.subarray(offset, offset + transaction_bytes))), proposal.period);
    }
    while (this.voidPayments.size > void_payments_remembered_max) {
      this.voidPayments.delete(this.voidPayments.keys().next().value!);
    }
  }

  // ---- catch-up ------------------------------------------------------------------------

  private markOutOfSync(now: number): void {
    if (!this.outOfSync) this.log.warn('out of sync with the majority: fetching a snapshot');
    this.outOfSync = true;
    if (this.behindSince === null) this.behindSince = now;
    if (this.sync?.mode !== 'snapshot') this.sync = null;
  }

  private syncPeer(target: number): number {
    const candidates: number[] = [];
    for (let i = 0; i < this.network.servers.length; i++) {
      if (i !== this.self && this.peerCommitted[i]! > this.committed.period) {
        candidates.push(i);
      }
    }
    const certificate = this.certified.get(target);
    if (certificate !== undefined) for (const vote of certificate.votes) if (vote.voter !== this.self && !candidates.includes(vote.voter)) candidates.push(vote.voter);
    if (candidates.length === 0) {
      for (let i = 0; i < this.network.servers.length; i++) if (i !== this.self) candidates.push(i);
    }
    this.syncRotation++;
    return candidates[this.syncRotation % candidates.length]!;
  }

  private driveSync(now: number): void {
    if (this.sync !== null) {
      if (now - this.sync.sentAt < this.syncTimeoutMs) return;
      this.count('sync_timeout');
      this.log.warn(`catch-up: server ${this.sync.peer} did not answer in ${this.syncTimeoutMs} ms; asking another`);
      const snapshot = this.sync.mode === 'snapshot';
      this.sync = null;
      if (snapshot) this.outOfSync = true; // keep asking for a snapshot
    }
    const target = this.highestCertified();
    if (!this.outOfSync && target <= this.committed.period) return;
    if (this.behindSince === null) this.behindSince = now;
    const gap = target - this.committed.period;
    if (!this.outOfSync && gap <= 1 && now - this.behindSince < this.syncGraceMs) return; // the batch may still be on its way
    if (!this.outOfSync && now < this.syncQuietUntil) return; // the last answer had nothing: do not ask again at once
    if (this.network.servers.length === 1) return;
    const peer = this.syncPeer(target);
    if (this.outOfSync) {
      this.sync = { mode: 'snapshot', peer, sentAt: now, receiving: null };
      this.send(peer, { type: 'snapshot_request' });
      this.log.info(`catch-up: asking server ${peer} for a snapshot`);
    } else {
      this.sync = { mode: 'records', peer, sentAt: now, after: this.committed.period };
      this.send(peer, { type: 'sync_request', after: this.committed.period });
      this.log.info(`catch-up: asking server ${peer} for the periods after ${this.committed.period} (certified up to ${target})`);
    }
  }

  private handleSyncRequest(from: number, after: number): void {
    // A server with an empty ledger needs no history: a snapshot costs O(accounts), not O(periods).
    if (after === 0 && this.committed.period > 0) {
      this.send(from, { type: 'sync_records', snapshotNeeded: true, records: [] });
      return;
    }
    const records = this.store.records(after, sync_records_per_reply_max, sync_reply_bytes_max);
    if (records === 'snapshot_needed') {
      this.send(from, { type: 'sync_records', snapshotNeeded: true, records: [] });
    } else {
      this.send(from, { type: 'sync_records', snapshotNeeded: false, records });
    }
  }

  private handleSyncRecords(from: number, records: PeriodRecord[], snapshotNeeded: boolean, now: number): void {
    // The answer to the request we wait for, about where we stand now? Records are checked
    // one by one and kept whatever their age; but a late "snapshot needed" (an answer to a
    // request that timed out, sent before we caught up another way) says nothing about our
    // committed period now. Found by the simulator: a stale one sent a server that was in
    // sync after a needless snapshot.
    const awaited = this.sync?.mode === 'records' && this.sync.peer === from && this.sync.after === this.committed.period;
    let applied = 0;
    for (const record of records) {
      const certificate = record.certificate;
      if (certificate.period <= this.committed.period) continue;
      if (certificate.parent !== this.committed.period || !equal(certificate.parentHash, this.committed.hash)) {
        this.reject('sync_record_unchained', `catch-up: server ${from} sent period ${certificate.period} on parent ${certificate.parent}, we hold ${this.committed.period}`);
        break;
      }
      if (!this.checkCertificate(certificate)) {
        this.reject('bad_certificate', `catch-up: server ${from} sent period ${certificate.period} with a certificate that does not verify`);
        break;
      }
      const proposal: Proposal = { period: certificate.period, hash: certificate.hash, transactions: record.transactions, parent: this.committed, outcome: null, txids: null };
      const outcome = this.outcomeOf(proposal);
      if (!equal(outcome.prepared.hash, certificate.hash)) {
        this.count('state_differs');
        this.log.error(`catch-up: replaying period ${certificate.period} gives another hash than the certificate: we are out of sync`);
        this.markOutOfSync(now);
        return;
      }
      this.commit(certificate, record.transactions, outcome, now);
      applied++;
    }
    if (this.sync?.mode === 'records' && this.sync.peer === from) this.sync = null;
    // Nothing new (the peer has not committed what we lack either): ask again after a grace,
    // not at once. Found by the simulator: servers behind the same certificate asked one
    // another every round trip, forever.
    if (applied === 0 && !snapshotNeeded) this.syncQuietUntil = now + this.syncGraceMs;
    if (applied > 0) this.log.info(`catch-up: replayed ${applied} periods from server ${from}, now at period ${this.committed.period}`);
    if (snapshotNeeded && !awaited) {
      this.count('sync_snapshot_needed_stale');
      snapshotNeeded = false;
    }
    if (snapshotNeeded) {
      this.log.info(`catch-up: server ${from} answers that a snapshot is needed (${this.committed.period === 0 ? 'we start from genesis' : `it no longer has the periods after ${this.committed.period}`}); fetching a snapshot`);
      this.outOfSync = true;
    }
    if (applied > 0 && this.highestCertified() > this.committed.period) this.driveSync(now);
    else if (snapshotNeeded) this.driveSync(now);
  }

  private handleSnapshotRequest(from: number, now: number): void {
    if (this.committed.period === 0) return this.count('snapshot_refused_genesis');
    for (const [id, served] of this.served) if (now - served.lastUsed > snapshot_hold_ms) this.served.delete(id);
    if (this.served.size >= snapshots_served_max) return this.reject('snapshot_refused_busy', `snapshot for server ${from} refused: ${snapshots_served_max} already served`);
    const snapshotId = this.nextSnapshotId++;
    const frozen = this.state.freeze();
    this.served.set(snapshotId, { frozen, certificate: this.committed, lastUsed: now });
    this.log.info(`serving snapshot ${snapshotId} of period ${this.committed.period} (${frozen.accountCount} accounts) to server ${from}`);
    this.send(from, { type: 'snapshot_header', snapshotId, accounts: frozen.accountCount, mids: frozen.mids, certificate: this.committed });
  }

  private handleSnapshotPageRequest(from: number, snapshotId: number, after: Uint8Array | null, now: number): void {
    const served = this.served.get(snapshotId);
    if (served === undefined) return this.count('snapshot_page_unknown');
    served.lastUsed = now;
    const page = entriesAfter(served.frozen, after, snapshot_page_accounts_max);
    this.send(from, { type: 'snapshot_page', snapshotId, last: page.last, entries: page.entries });
    if (page.last) this.served.delete(snapshotId);
  }

  private handleSnapshotHeader(from: number, message: Extract<PeerMessage, { type: 'snapshot_header' }>, now: number): void {
    const sync = this.sync;
    if (sync?.mode !== 'snapshot' || sync.peer !== from || sync.receiving !== null) return this.count('snapshot_header_unexpected');
    const { certificate, mids } = message;
    const newer = certificate.period > this.committed.period || (this.outOfSync && certificate.period >= this.committed.period);
    if (!newer) {
      // We caught up some other way while asking: nothing is wrong, there is just nothing to fetch.
      this.count('snapshot_header_stale');
      this.sync = null;
      return;
    }
    if (!this.checkCertificate(certificate) || !equal(rootDigest(mids), certificate.hash) || message.accounts > snapshot_accounts_max) {
      this.reject('snapshot_header_bad', `catch-up: snapshot header from server ${from} does not match its certificate`);
      this.sync = null;
      this.outOfSync = true;
      return;
    }
    sync.receiving = {
      snapshotId: message.snapshotId,
      certificate,
      mids,
      accounts: message.accounts,
      entries: new Uint8Array(message.accounts * entry_bytes), // the OS commits its pages only as they fill
      received: 0,
      nextMid: 0,
      midStart: 0,
      pages: 0,
    };
    sync.sentAt = now;
    this.log.info(`catch-up: receiving snapshot of period ${certificate.period} (${message.accounts} accounts) from server ${from}`);
    this.send(from, { type: 'snapshot_page_request', snapshotId: message.snapshotId, after: null });
  }

  private handleSnapshotPage(from: number, snapshotId: number, entries: Uint8Array, last: boolean, now: number): void {
    const sync = this.sync;
    const receiving = sync?.mode === 'snapshot' ? sync.receiving : null;
    if (sync === null || receiving === null || sync.peer !== from || receiving.snapshotId !== snapshotId) return this.count('snapshot_page_unexpected');
    const abort = (why: string): void => {
      this.reject('snapshot_page_bad', `catch-up: snapshot from server ${from} refused: ${why}`);
      this.sync = null;
      this.outOfSync = true;
    };
    const count = entries.length / entry_bytes;
    if (receiving.received + count > receiving.accounts || (!last && count === 0)) return abort('more or fewer accounts than announced');
    const all = receiving.entries;
    const base = receiving.received * entry_bytes;
    all.set(entries, base);
    for (let offset = base; offset < base + entries.length; offset += entry_bytes) {
      if (offset > 0 && compareAccountsAt(all, offset - entry_bytes, offset) >= 0) return abort('accounts out of order');
      if (all[offset + 32] === 0 && all[offset + 33] === 0 && all[offset + 34] === 0 && all[offset + 35] === 0) return abort('a zero balance');
      // Entering a new mid: the mids before it are complete and must match the header.
      while (all[offset]! > receiving.nextMid) {
        if (!this.finishMid(receiving, offset)) return abort(`mid ${receiving.nextMid} does not match`);
      }
    }
    receiving.received += count;
    receiving.pages++;
    sync.sentAt = now;
    if (receiving.pages % 8 === 0 || last) {
      this.log.info(`catch-up: snapshot page ${receiving.pages}, ${receiving.received} of ${receiving.accounts} accounts`);
    }
    if (!last) {
      const end = receiving.received * entry_bytes;
      this.send(from, { type: 'snapshot_page_request', snapshotId, after: all.slice(end - entry_bytes, end - entry_bytes + 32) });
      return;
    }
    if (receiving.received !== receiving.accounts) return abort('fewer accounts than announced');
    while (receiving.nextMid < state_mid_count) if (!this.finishMid(receiving, all.length)) return abort(`mid ${receiving.nextMid} does not match`);
    const state = LedgerState.fromSortedEntries(all);
    if (!equal(state.hash, receiving.certificate.hash)) return abort('the state hash does not match');
    if (state.supply() !== this.network.supply) return abort('the supply does not match the genesis supply');
    // We may have committed on our own while the pages came in (a peer that no longer holds
    // the periods we lack sends us here, yet the next PROPOSAL still reaches us). A snapshot
    // never takes the committed period back (found by the simulator: installed over a newer commit).
    if (receiving.certificate.period < this.committed.period || (receiving.certificate.period === this.committed.period && !this.outOfSync)) {
      this.count('snapshot_stale');
      this.log.info(`catch-up: the snapshot of period ${receiving.certificate.period} is no newer than our committed period ${this.committed.period}; dropped`);
      this.sync = null;
      this.driveSync(now);
      return;
    }
    this.store.installSnapshot(receiving.certificate, all);
    this.archiveFrom = receiving.certificate.period;
    this.state = state;
    this.committedCertificate = receiving.certificate;
    this.outOfSync = false;
    this.sync = null;
    // The alpha's batch stays: afterCommittedMoved re-applies it on the new state, as after
    // any commit. Dropping it lost payments already answered ACCEPTED, while the period was
    // still proposed with what came after (found by the simulator).
    this.log.info(`catch-up: installed the snapshot of period ${receiving.certificate.period}: ${state.describe()}`);
    this.afterCommittedMoved(now);
    this.driveSync(now);
  }

  /** Checks the mid being received, whose entries end at `end`, against the certified mids. */
  private finishMid(receiving: SnapshotReceiving, end: number): boolean {
    const mid = receiving.nextMid;
    const expected = receiving.mids.subarray(mid * hash_bytes, (mid + 1) * hash_bytes);
    const digest = end === receiving.midStart ? emptyMidDigest : midDigestOfEntries(receiving.entries.subarray(receiving.midStart, end));
    receiving.midStart = end;
    receiving.nextMid++;
    return equal(digest, expected);
  }

  // ---- invariants, for tests and the simulator ------------------------------------------

  /** The genesis certificate of this network (period 0). */
  static genesisFor(network: Network): Certificate {
    return genesisCertificate(LedgerState.fromAccounts(network.genesis).hash);
  }
}

function statusName(status: Status): string {
  switch (status) {
    case Status.ACCEPTED:
      return 'accepted';
    case Status.FORWARDED:
      return 'forwarded';
    case Status.UNAVAILABLE:
      return 'unavailable';
    case Status.BAD_AMOUNT:
      return 'bad_amount';
    case Status.BAD_TIME:
      return 'bad_time';
    case Status.BAD_SIGNATURE:
      return 'bad_signature';
    case Status.DUPLICATE:
      return 'duplicate';
    case Status.INSUFFICIENT_FUNDS:
      return 'insufficient_funds';
    case Status.RATE_LIMITED:
      return 'rate_limited';
    default:
      return `status_${status}`;
  }
}

/** Compares the accounts of two entries of one buffer, by offset. */
function compareAccountsAt(entries: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 32; i++) {
    const d = entries[a + i]! - entries[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}
    case Status.BAD_PAYEE:
      return 'bad_payee';
  /**
   * Where catch-up stands, for operators (/healthz and metrics): what isAvailable weighs
   * besides hearing a majority, the accounts of a snapshot still to come, and the period
   * after which the archive is whole (it moves when a snapshot is installed).
   */
  get catchUp(): { readonly outOfSync: boolean; readonly behind: boolean; readonly snapshotAccountsLeft: number; readonly archiveFrom: number } {
    const receiving = this.sync?.mode === 'snapshot' ? this.sync.receiving : null;
    return {
      outOfSync: this.outOfSync,
      behind: this.sync !== null || this.highestCertified() > this.committed.period,
      snapshotAccountsLeft: receiving === null ? 0 : receiving.accounts - receiving.received,
      archiveFrom: this.archiveFrom,
    };
  }

