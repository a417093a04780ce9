// What the concerns of a server's core share: the network, its timing and this server's
// place in it, the signer, the store and the log; the counters, the outbox and the queue
// of steps every concern writes to; and where this server stands (the committed state and
// certificate, its last vote, the certificates beyond it, what it heard from each peer,
// whether it stopped). Each concern (docs/ARCHITECTURE.md) holds a reference to one
// NodeContext, and core.ts builds it and drains the steps they queue. Catch-up's stage has
// its own owner (catch-up.ts), and so does availability (availability.ts).

import { sync_timeout_ms_min } from '../constants.ts';
import { equal } from '../bytes.ts';
import { assert } from '../errors.ts';
import type { Network } from '../network.ts';
import type { PeerMessage } from '../peer/messages.ts';
import { acceptingFrom, type Timing, timingOf } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import { LedgerState } from '../ledger/state.ts';
import type { Store, StoredState } from '../ledger/store.ts';
import type { Certificate, Vote } from '../consensus/vote.ts';
import type { Evidence } from '../consensus/evidence.ts';
import { Configurations, type Membership } from './configurations.ts';
import type { Outgoing } from './outbox.ts';
import type { Step } from './steps.ts';
import { chainDigestOf, type CommittedChange } from '../consensus/configuration.ts';

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

export class NodeContext {
  readonly network: Network;
  readonly timing: Timing;
  /** This server's directory id (configurations.ts), or -1 while no configuration it knows names its key (a server joining: it catches up first). */
  self: number;
  readonly outbox: Outgoing[] = [];
  /** What the step being run queued, in order (core.ts runs them next). */
  private readonly queued: Step[] = [];
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

  /** Evidence of equivocation this server holds, oldest first (evidence.ts keeps it on disk). */
  readonly evidence: Evidence[] = [];
  /**
   * Why this server stopped taking part, or null: it holds two certificates that conflict
   * (a fork), which no quorum can produce unless more servers misbehaved than the network
   * tolerates. It answers UNAVAILABLE and keeps the proof until an operator acts.
   */
  halted: string | null = null;
  /** Why this server no longer takes part (a committed change removed it), or null. */
  removed: string | null = null;

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
    this.timing = timingOf(network);
    this.syncGraceMs = options.syncGraceMs ?? Math.max(1, Math.floor(network.periodMs / 4));
    this.syncTimeoutMs = options.syncTimeoutMs ?? Math.max(sync_timeout_ms_min, 2 * network.periodMs);

    const chainDigest = chainDigestOf(stored.chain);
    this.state = stored.entries === null ? LedgerState.fromAccounts(network.genesis) : LedgerState.fromSortedEntries(stored.entries, chainDigest);
    this.genesisHash = stored.committed.period === 0 ? stored.committed.hash : LedgerState.fromAccounts(network.genesis).hash;
    this.configurations = new Configurations(network, this.genesisHash, options.verify, stored.chain);
    this.self = this.configurations.idOf(options.signer.publicKey);
    this.committed = stored.committed;
    this.lastVote = stored.lastVote;
    this.archiveFrom = stored.archiveFrom;
    assert(equal(this.state.hash, stored.committed.hash), 'the stored state matches its committed hash');
    this.peerCommitted = this.configurations.directory.map(() => 0);
    this.lastHeard = this.configurations.directory.map(() => 0);
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  send(to: number | 'others', message: PeerMessage): void {
    this.outbox.push({ to, message });
  }

  /** Queues what follows from the step being run (steps.ts): it runs next, after what was queued before it in this step. */
  then(step: Step): void {
    this.queued.push(step);
  }

  /** The steps queued since the last call, in order (core.ts). */
  takeQueued(): Step[] {
    return this.queued.splice(0);
  }

  reject(counter: string, message: string): void {
    this.count(counter);
    this.log.warn(message);
  }

  /**
   * Whether this server was running when `period` began to take payments (acceptingFrom):
   * only then can its batch of that period hold every payment it answered ACCEPTED for it,
   * and only then does it take payments for it or propose it (PROTOCOL §4).
   */
  witnessed(period: number): boolean {
    return this.startedAt <= acceptingFrom(this.timing, period);
  }

  // ---- where this server stands --------------------------------------------------------

  /** The configuration that decides the next period built on our committed one. */
  membership(): Membership {
    return this.configurations.at(this.committed.period);
  }

  /** The alpha of `period` as this server sees it now: by the chain it committed (configurations.alphaOf). */
  alphaOf(period: number): number {
    return this.configurations.alphaOf(period, Math.min(this.committed.period, period - 1));
  }

  /**
   * The configurations changed (a committed change, a snapshot): rebuild them from the
   * chain, find this server in them, grow the per-server tables, and say whether this
   * server is still one of the servers (a server a change removed stops: §8.13).
   */
  adoptChain(chain: readonly CommittedChange[]): void {
    this.configurations.load(chain);
    const self = this.configurations.idOf(this.signer.publicKey);
    if (self !== this.self) {
      this.self = self;
      if (self >= 0) this.log.info(`configuration ${this.configurations.latest.number} names this server: it is server ${self} of the directory`);
    }
    while (this.peerCommitted.length < this.configurations.size) this.peerCommitted.push(0);
    while (this.lastHeard.length < this.configurations.size) this.lastHeard.push(0);
    this.checkRemoved();
  }

  /** A server that neither the configuration in force nor the newest one names no longer takes part. */
  checkRemoved(): void {
    const latest = this.configurations.latest;
    if (this.self < 0) {
      this.removed = null; // not one of the servers yet: joining (isAvailable says no)
      return;
    }
    const member = this.membership().members.has(this.self) || this.configurations.membershipOf(latest.number).members.has(this.self);
    if (member || latest.number === 0) {
      this.removed = null;
      return;
    }
    if (this.removed !== null) return;
    this.removed = `configuration ${latest.number} (from period ${latest.first}) does not include this server: it no longer takes part, answers UNAVAILABLE, and keeps its ledger for reading; an operator may stop it (docs/OPERATIONS.md)`;
    this.count('removed');
    this.log.error(`REMOVED: ${this.removed}`);
  }

  /** The committed configuration changes, oldest first: what the configurations were built from, and what the state hash binds. */
  get chain(): readonly CommittedChange[] {
    return this.configurations.chain;
  }

  highestCertified(): number {
    let highest = this.committed.period;
    for (const period of this.certified.keys()) if (period > highest) highest = period;
    return highest;
  }
}
