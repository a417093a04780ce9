// What the concerns of a server's core share: the network, its timing and this server's
// place in it, the signer, the store and the log; the counters and the outbox every
// concern writes to; and where this server stands (the committed state and certificate,
// its last vote, the certificates beyond it, what it heard from each peer, whether it is
// out of sync and the catch-up request in flight). The concerns (alpha.ts, agreement.ts,
// catch-up.ts, snapshots.ts, queries.ts) each hold a reference to one NodeContext, and
// core.ts builds it and routes messages and time between them.

import { sync_timeout_ms_min } from '../constants.ts';
import { equal } from '../bytes.ts';
import { assert } from '../errors.ts';
import type { Network } from '../network.ts';
import type { PeerMessage } from '../peer/messages.ts';
import { periodOf, startOf, type Timing } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import { LedgerState } from '../ledger/state.ts';
import type { Store, StoredState } from '../ledger/store.ts';
import type { Certificate, Vote } from '../consensus/vote.ts';
import type { Evidence } from '../consensus/evidence.ts';
import type { Sync } from './catch-up.ts';
import { Configurations, type Membership } from './configurations.ts';

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

export class NodeContext {
  readonly network: Network;
  readonly timing: Timing;
  readonly self: number;
  readonly outbox: Outgoing[] = [];
  readonly counters = new Map<string, number>();
  readonly signer: Signer;
  readonly store: Store;
  readonly verifySignature: Verify;
  readonly log: CoreLog;
  readonly startedAt: number;
  readonly syncGraceMs: number;
  readonly syncTimeoutMs: number;
  /** The genesis state's hash: the certificate of period 0. */
  readonly genesisHash: Uint8Array;
  /** The configurations this server knows, and the directory of server ids (configurations.ts). */
  readonly configurations: Configurations;

  state: LedgerState;
  committed: Certificate;
  lastVote: Vote | null;
  /** Periods after this one are all in our archive; 0 when we hold everything since genesis. */
  archiveFrom: number;

  /** Certificates beyond our committed period, by period (bounded). */
  readonly certified = new Map<number, Certificate>();
  readonly peerCommitted: number[];
  readonly lastHeard: number[];

  /** The catch-up request in flight, if any (catch-up.ts; snapshots.ts fills in its pages). */
  sync: Sync | null = null;
  /** Evidence of equivocation this server holds, oldest first (agreement.ts keeps it on disk). */
  readonly evidence: Evidence[] = [];
  /**
   * Why this server stopped taking part, or null: it holds two certificates that conflict
   * (a fork), which no quorum can produce unless more servers misbehaved than the network
   * tolerates. It answers UNAVAILABLE and keeps the proof until an operator acts.
   */
  halted: string | null = null;
  behindSince: number | null = null;
  outOfSync = false;

  /** `stored` is what options.store.load() returned. */
  constructor(options: CoreOptions, stored: StoredState) {
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

    this.state = stored.entries === null ? LedgerState.fromAccounts(network.genesis) : LedgerState.fromSortedEntries(stored.entries);
    this.genesisHash = stored.committed.period === 0 ? stored.committed.hash : LedgerState.fromAccounts(network.genesis).hash;
    this.configurations = new Configurations(network, this.genesisHash, options.verify);
    this.committed = stored.committed;
    this.lastVote = stored.lastVote;
    this.archiveFrom = stored.archiveFrom;
    assert(equal(this.state.hash, stored.committed.hash), 'the stored state matches its committed hash');
    this.peerCommitted = network.servers.map(() => 0);
    this.lastHeard = network.servers.map(() => 0);
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  send(to: number | 'others', message: PeerMessage): void {
    this.outbox.push({ to, message });
  }

  reject(counter: string, message: string): void {
    this.count(counter);
    this.log.warn(message);
  }

  witnessed(period: number): boolean {
    return this.startedAt <= startOf(this.timing, period);
  }

  // ---- where this server stands --------------------------------------------------------

  /** In consensus: in sync with the majority and hearing from it. Otherwise: UNAVAILABLE. */
  isAvailable(now: number): boolean {
    if (this.halted !== null || this.outOfSync || this.sync !== null) return false;
    if (this.highestCertified() > this.committed.period) return false;
    return this.heardMajority(now);
  }

  heardMajority(now: number): boolean {
    const current = periodOf(this.timing, now);
    const membership = this.membership();
    let heard = membership.members.has(this.self) ? 1 : 0;
    for (const id of membership.ids) if (id !== this.self && this.lastHeard[id]! >= current - 1) heard++;
    return heard >= membership.quorum;
  }

  /** The configuration that decides the next period built on our committed one. */
  membership(): Membership {
    return this.configurations.at(this.committed.period);
  }

  /**
   * The alpha of `period` as this server sees it now: the rotation of the configuration
   * that decides it if the period before it commits (its beta proposes on that parent).
   */
  alphaOf(period: number): number {
    return this.configurations.alphaOf(period, period - 1);
  }

  highestCertified(): number {
    let highest = this.committed.period;
    for (const period of this.certified.keys()) if (period > highest) highest = period;
    return highest;
  }

  /**
   * Our state is not the majority's (a certificate conflicts with our committed period, or
   * replaying a certified batch gives another hash): catch-up (catch-up.ts) fetches a snapshot.
   */
  markOutOfSync(now: number): void {
    if (!this.outOfSync) this.log.warn('out of sync with the majority: fetching a snapshot');
    this.outOfSync = true;
    if (this.behindSince === null) this.behindSince = now;
    if (this.sync?.mode !== 'snapshot') this.sync = null;
  }
}
