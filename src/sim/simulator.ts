// The deterministic simulator: N real ServerCores in one process, on a simulated clock,
// network and disk, every choice drawn from one seed (in the manner of FoundationDB's
// simulator and TigerBeetle's VOPR).
//
// One loop takes the earliest of: a batch arriving (network.ts), a server's timer
// (core.nextWakeAt, on that server's own skewed clock), a client's request, a fault, a
// period boundary (where the next period's faults and client actions are planned) and a
// check (0.6 of the way into each period, when the invariants are checked on every server).
// Nothing else runs: no real time, no real sockets, no Math.random. The same seed and
// options replay the same run, event for event; the digest of all events proves it.
//
// A crash drops a server's ServerCore and keeps its RecordingStore; a restart builds a new
// core from that store, as the node does after kill -9.
//
// With `byzantine: k`, k servers chosen from the seed are liars (byzantine.ts): their
// cores are shadows whose messages the adversary rewrites per recipient, and every
// invariant is checked on the honest servers only. A run without liars never builds the
// adversary and draws nothing more from the seed: its events are what they always were.

import { equal, toHex } from '../bytes.ts';
import { paymentCount } from '../payment-list.ts';
import { statusName } from '../client/codec.ts';
import { isScrypError } from '../errors.ts';
import { entry_bytes, LedgerState } from '../ledger/state.ts';
import { type Network, parseNetwork, quorumOf, type QuorumMode } from '../network.ts';
import { type CoreLog, type PayResult, ServerCore } from '../node/core.ts';
import { routeOutbox } from '../node/outbox.ts';
import type { RawMessage } from '../peer/framing.ts';
import { decodeMessage, encodeMessage, messageKindName, type PeerMessage } from '../peer/messages.ts';
import { periodOf, startOf, type Timing, timingOf } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import { Adversary, type ByzantineStats, EvidenceWatch } from './byzantine.ts';
import { Clients, type PayRequest, simWallets, type Wallet } from './clients.ts';
import { simCrypto, type SimCrypto } from './crypto.ts';
import { EpisodePlan, type FaultKind, faultMix, type FaultMix, type FaultMode, liveness_tail_periods, quiet_links } from './faults.ts';
import { Invariants, type InvariantName, type KnownIssue, type StoredLock, Violation } from './invariants.ts';
import { SimNetwork } from './network.ts';
import { TimeQueue } from './queue.ts';
import { Random } from './random.ts';
import { CrashSignal, RecordingStore } from './store.ts';
import { evidenceKey } from '../consensus/evidence.ts';
import { type Change, changeSigningMessage } from '../consensus/configuration.ts';
import { Digest, TraceRing } from './trace.ts';

// ---- the simulated network's fixed shape ----------------------------------------------

export const sim_period_ms = 1_000;
const sim_blackout_ms = 100;
const sim_skew_ms = 400; // payment timestamps: |timestamp − alpha's clock| ≤ this
const sim_first_period = 1_700_000_000; // ~ November 2023: realistic u64 periods and times
const check_offset_ms = 600; // invariants are checked this far into each period
const wallet_count = 16;
const funded_wallets = 8;
const client_clock_skew_max_ms = 50;
const full_supply_check_every = 500; // periods between O(65,536 buckets) supply sums (the wallet sum runs every period)
const status_check_every = 20; // periods (at least) between STATUS cross-checks of settled payments, done in calm
export const trace_capacity_default = 2_000;
/**
 * With f liars, in the calm, how many periods an honest server's last commit may be behind
 * (Invariants.checkLivenessAmongLiars): 1 (a period is decided in the next) + 1 (the answer of
 * an honest peer to a catch-up request) + per liar, its slot as beta (1) and a catch-up
 * request it leaves unanswered until the timeout (2 periods: CatchUp then asks the next peer).
 */
const liar_lag_periods_base = 2;
const liar_lag_periods_per_liar = 3;

export interface SimOptions {
  readonly seed: number;
  readonly servers: number;
  /** Periods of the chosen fault mode; a calm tail of `tailPeriods` follows. */
  readonly periods: number;
  readonly faults: FaultMode;
  /** Kinds of fault turned off (shrinking). */
  readonly disabled?: ReadonlySet<FaultKind>;
  readonly realCrypto?: boolean;
  /** The network's quorum (default majority): two-thirds runs PREVOTE/PRECOMMIT agreement. */
  readonly quorum?: QuorumMode;
  /** Servers that lie (byzantine.ts), chosen from the seed; 0 or absent: every server is honest. */
  readonly byzantine?: number;
  /** Liars' campaigns use the same payments in another order (the known issue "batch not certified"). */
  readonly twins?: boolean;
  /** Every trace line as it happens (--trace). */
  readonly live?: (line: string) => void;
  readonly traceCapacity?: number;
  readonly tailPeriods?: number;
  /**
   * Server-set changes at random during the faults (PROTOCOL §8.13): adds, removes, replaces
   * and reorders, signed by a quorum of the configuration in force and submitted to a live
   * server. The network file names `servers`; `spares` more servers run from the start,
   * joining, for the changes to bring in. With liars too: they address whom their shadows'
   * configurations name, and a change keeps them within what each configuration tolerates.
   */
  readonly changes?: boolean;
  readonly spares?: number;
  /** The share of client payments signed in the 148-byte form with a reference (0..1; absent: none). */
  readonly references?: number;
}

export interface SimStats {
  periods: number;
  batchesSent: number;
  batchesDelivered: number;
  batchesDropped: number;
  batchesDuplicated: number;
  messagesDelivered: number;
  /** Messages delivered, by kind (STATUS, PROPOSAL, VOTE, ...). */
  messagesByKind: Record<string, number>;
  payRequests: number;
  payLost: number;
  answers: Record<string, number>;
  paymentsAccepted: number;
  paymentsCommitted: number;
  paymentsVoidSkipped: number;
  paymentsVoidRevalidation: number;
  commits: number;
  snapshots: number;
  votes: number;
  committedPeriods: number;
  crashes: number;
  partitions: number;
  livenessChecks: number;
  /** HISTORY entries compared with the chain's record (invariant history). */
  historyEntriesChecked: number;
  /** Changes submitted, and committed by the most advanced server at the end (runs with changes). */
  changesSubmitted?: number;
  configurationsAtEnd?: number;
  sparesThatVoted?: number;
  serversRemoved?: number;
  /** Applied payments with a reference, once per committed period (runs with references). */
  paymentsWithReferenceApplied?: number;
  coreEvents: number;
}

export interface SimViolation {
  readonly invariant: InvariantName;
  readonly knownIssue: KnownIssue | null;
  readonly servers: readonly number[];
  readonly detail: string;
  /** The period (absolute) and the run's period index (0 = its first period). */
  readonly period: number;
  readonly runPeriod: number;
}

export interface SimReport {
  readonly options: SimOptions;
  readonly ok: boolean;
  readonly violation: SimViolation | null;
  readonly digest: string;
  readonly events: number;
  readonly stats: SimStats;
  /** The last trace lines (all of them up to the capacity on failure, a few otherwise). */
  readonly trace: string[];
  readonly firstPeriod: number;
  readonly wallMs: number;
  /** What the liars did and what the honest servers caught (runs with `byzantine` only). */
  readonly byzantine: ByzantineStats | null;
}

type SimEvent =
  | { readonly at: number; readonly type: 'wake'; readonly server: number; readonly token: number }
  | { readonly at: number; readonly type: 'period'; readonly period: number }
  | { readonly at: number; readonly type: 'check'; readonly period: number }
  | { readonly at: number; readonly type: 'client' }
  | { readonly at: number; readonly type: 'pay'; readonly request: PayRequest }
  | { readonly at: number; readonly type: 'verified'; readonly request: PayRequest; readonly core: ServerCore; readonly valid: boolean }
  | { readonly at: number; readonly type: 'crash'; readonly server: number; readonly atWrite: boolean }
  | { readonly at: number; readonly type: 'restart'; readonly server: number }
  | { readonly at: number; readonly type: 'heal'; readonly token: number }
  | { readonly at: number; readonly type: 'change' };

interface SimServer {
  readonly index: number;
  readonly signer: Signer;
  readonly store: RecordingStore;
  readonly skewMs: number;
  core: ServerCore | null;
  startedAt: number;
  wakeAt: number;
  wakeToken: number;
}

/** Digest tags, one per kind of event. */
const Tag = { deliver: 1, pay: 2, wake: 3, commit: 4, crash: 5, restart: 6, partition: 7, send: 8, heal: 9, snapshot: 10, vote: 11, change: 12 } as const;

/** The chance that an operator submits a change in a faulty period (runs with changes). */
const change_per_period = 0.06;

export class Simulator {
  readonly network: Network;
  readonly timing: Timing;
  readonly mix: FaultMix;
  readonly crypto: SimCrypto;
  readonly firstPeriod: number;
  private readonly tailPeriods: number;
  private readonly servers: SimServer[];
  /** Servers beyond the network file's, for changes to bring in (0 unless options.changes). */
  private readonly spares: number;
  private readonly changeRandom: Random | null;
  /** Sim index by server key (hex): messages name servers by each core's directory ids. */
  private readonly simIndexByKey = new Map<string, number>();
  private readonly wallets: Wallet[];
  private readonly clients: Clients;
  private readonly invariants: Invariants;
  private readonly net: SimNetwork;
  private readonly events = new TimeQueue<SimEvent>();
  private readonly trace: TraceRing;
  private readonly digest = new Digest();
  private readonly episodes: EpisodePlan;
  // One stream per kind of choice (see random.ts).
  private readonly crashRandom: Random;
  private readonly partitionRandom: Random;
  private readonly clientRandom: Random;
  private readonly startRandom: Random;
  /** The liars and the evidence their lies must leave (null: an honest run). */
  private readonly adversary: Adversary | null;
  private readonly evidenceWatch: EvidenceWatch | null;
  private readonly liars: ReadonlySet<number>;
  /** A fork among honest servers can happen: a majority network with a liar, or more liars than f. */
  private readonly forksPossible: boolean;
  /** Calm time since the first fork, for the silent-fork check. */
  private calmSinceForkMs = 0;
  private lastForkCheckAt = 0;
  /** The newest valid slot of an honest beta's PROPOSAL delivered since the calm began (two-thirds; see Invariants.lockProofLost). */
  private provenSlotInCalm = 0;

  private now = 0;
  private faulty = false;
  private quietSince = 0;
  private healToken = 0;
  private settledSinceStatusCheck: string[] = [];
  private lastStatusCheck = 0;
  private readonly stats: SimStats;

  constructor(readonly options: SimOptions) {
    if (!Number.isInteger(options.servers) || options.servers < 1 || options.servers > 64) throw new Error(`--servers: expected 1..64, got ${options.servers}`);
    if (!Number.isInteger(options.periods) || options.periods < 0) throw new Error(`--periods: expected a non-negative integer, got ${options.periods}`);
    const root = new Random(options.seed);
    this.crashRandom = root.fork('crash');
    this.partitionRandom = root.fork('partition');
    this.clientRandom = root.fork('clients');
    this.startRandom = root.fork('start');
    const skewRandom = root.fork('skew');
    this.mix = faultMix(options.faults, options.disabled);
    this.episodes = new EpisodePlan(this.mix, root.fork('episodes'));
    this.tailPeriods = options.tailPeriods ?? liveness_tail_periods;
    this.crypto = simCrypto(options.realCrypto === true ? 'real' : 'fast');

    const references = options.references ?? 0;
    if (!(references >= 0 && references <= 1)) throw new Error(`--references: expected a share in 0..1, got ${options.references}`);
    this.spares = options.changes === true ? (options.spares ?? 2) : 0;
    const serverSigners = Array.from({ length: options.servers + this.spares }, (_, i) => this.crypto.signer(`server ${i}`));
    this.changeRandom = options.changes === true ? root.fork('changes') : null;
    this.wallets = simWallets(this.crypto, wallet_count);
    this.network = parseNetwork({
      name: 'simnet',
      period_ms: sim_period_ms,
      blackout_ms: sim_blackout_ms,
      skew_ms: sim_skew_ms,
      servers: serverSigners.slice(0, options.servers).map((signer, i) => ({ key: toHex(signer.publicKey), ip: `10.0.${i >> 8}.${(i & 0xff) + 1}:4001` })),
      genesis: this.wallets.slice(0, funded_wallets).map((wallet, i) => ({ account: toHex(wallet.signer.publicKey), balance: (i + 1) * 1_000 })),
      ...(options.quorum === 'two-thirds' ? { quorum: 'two-thirds' } : {}),
    });
    this.timing = timingOf(this.network);
    this.firstPeriod = sim_first_period + this.startRandom.int(1_000);
    const genesis = ServerCore.genesisFor(this.network);
    const liarCount = options.byzantine ?? 0;
    if (liarCount > 0) {
      const random = root.fork('byzantine');
      const liars = Adversary.choose(options.servers, liarCount, random);
      this.adversary = new Adversary(this.network, serverSigners, liars, random, (index) => this.servers[index]!.core, (core, id) => this.simIndexOfId(core, id), { twins: options.twins === true });
      this.liars = new Set(liars);
      this.evidenceWatch = new EvidenceWatch(this.network, this.liars);
    } else {
      this.adversary = null;
      this.liars = new Set();
      this.evidenceWatch = null;
    }
    this.forksPossible = liarCount > this.network.faulty;
    this.invariants = new Invariants(
      this.network,
      genesis.hash,
      this.wallets.map((wallet) => wallet.signer.publicKey),
      { forkTolerant: this.forksPossible && this.network.quorumMode === 'majority', liars: liarCount > 0, serverCount: options.servers + this.spares },
    );
    this.trace = new TraceRing(options.traceCapacity ?? trace_capacity_default, options.live ?? null, (at) => this.label(at));
    this.net = new SimNetwork(options.servers + this.spares, root.fork('network'));
    this.clients = new Clients(this.network, this.timing, this.crypto, this.wallets, this.clientRandom, client_clock_skew_max_ms, references);
    const observer = {
      onCommit: (server: number, input: Parameters<Invariants['onCommit']>[1]) => {
        const certificate = input.record.certificate;
        this.digest.event(Tag.commit, server, certificate.period, certificate.hash[0]! * 65536 + certificate.hash[1]! * 256 + certificate.hash[2]!);
        if (!this.liars.has(server)) this.invariants.onCommit(server, input, this.now);
      },
      onSnapshot: (server: number, certificate: Parameters<Invariants['onSnapshot']>[1], entries: Uint8Array) => {
        this.digest.event(Tag.snapshot, server, certificate.period);
        this.trace.add(this.now, `s${server} SNAPSHOT installed, period ${certificate.period}`);
        if (!this.liars.has(server)) this.invariants.onSnapshot(server, certificate, entries);
      },
      onVote: (server: number, vote: Parameters<Invariants['onVote']>[1]) => {
        this.digest.event(Tag.vote, server, vote.period, vote.prev);
        if (!this.liars.has(server)) this.invariants.onVote(server, vote, this.now, this.servers[server]?.core?.self ?? server);
      },
    };
    const genesisState = LedgerState.fromAccounts(this.network.genesis);
    const storeFor = (index: number): RecordingStore => {
      const store = new RecordingStore(index, genesis, observer, this.network.supply);
      store.seedGenesis(genesisState.entries());
      return store;
    };
    this.servers = serverSigners.map((signer, index) => ({
      index,
      signer,
      store: storeFor(index),
      skewMs: this.mix.clockSkewMaxMs === 0 ? 0 : skewRandom.between(-this.mix.clockSkewMaxMs, this.mix.clockSkewMaxMs),
      core: null,
      startedAt: 0,
      wakeAt: Number.POSITIVE_INFINITY,
      wakeToken: 0,
    }));
    for (const server of this.servers) this.simIndexByKey.set(toHex(server.signer.publicKey), server.index);
    this.stats = {
      periods: 0,
      batchesSent: 0,
      batchesDelivered: 0,
      batchesDropped: 0,
      batchesDuplicated: 0,
      messagesDelivered: 0,
      messagesByKind: {},
      payRequests: 0,
      payLost: 0,
      answers: {},
      paymentsAccepted: 0,
      paymentsCommitted: 0,
      paymentsVoidSkipped: 0,
      paymentsVoidRevalidation: 0,
      commits: 0,
      snapshots: 0,
      votes: 0,
      committedPeriods: 0,
      crashes: 0,
      partitions: 0,
      livenessChecks: 0,
      historyEntriesChecked: 0,
      coreEvents: 0,
    };
  }

  private label(at: number): string {
    const period = periodOf(this.timing, at);
    return `[p${period - this.firstPeriod >= 0 ? '+' : ''}${period - this.firstPeriod} ${String(at - startOf(this.timing, period)).padStart(3, '0')}ms]`;
  }

  private local(server: SimServer): number {
    return this.now + server.skewMs;
  }

  // ---- running ---------------------------------------------------------------------------

  run(): SimReport {
    const started = performance.now();
    let violation: SimViolation | null = null;
    try {
      this.start();
      this.loop();
    } catch (error) {
      violation = this.describeFailure(error);
    }
    const wallMs = performance.now() - started;
    this.finishStats();
    const byzantine = this.adversary === null ? null : this.finishByzantineStats(this.adversary);
    return {
      options: this.options,
      ok: violation === null,
      violation,
      digest: this.digest.hex(),
      events: this.digest.events,
      stats: this.stats,
      trace: this.trace.last(violation === null ? 20 : 120),
      firstPeriod: this.firstPeriod,
      wallMs,
      byzantine,
    };
  }

  private describeFailure(error: unknown): SimViolation {
    const period = periodOf(this.timing, this.now);
    const runPeriod = period - this.firstPeriod;
    if (error instanceof Violation) return { invariant: error.invariant, knownIssue: error.knownIssue, servers: error.servers, detail: error.detail, period, runPeriod };
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { invariant: 'core-assertion', knownIssue: null, servers: [], detail: `simulator stopped by an exception: ${text}`, period, runPeriod };
  }

  private start(): void {
    const first = this.firstPeriod;
    this.now = startOf(this.timing, first) - 900;
    for (const server of this.servers) {
      const lateBy = this.startRandom.chance(this.mix.lateStart) ? this.startRandom.between(1, Math.max(1, this.mix.lateStartPeriodsMax)) : 0;
      const at = this.now + this.startRandom.int(200) + lateBy * sim_period_ms;
      this.events.push({ at, type: 'restart', server: server.index });
    }
    this.events.push({ at: startOf(this.timing, first), type: 'period', period: first });
    this.trace.add(this.now, `simulation: seed ${this.options.seed}, ${this.options.servers} servers, ${this.options.periods} periods of '${this.mix.mode}' faults then ${this.tailPeriods} calm, first period ${first}, crypto ${this.crypto.mode}, skews ${this.servers.map((s) => s.skewMs).join('/')} ms`);
    if (this.adversary !== null) this.trace.add(this.now, `liars: ${this.adversary.indexes.map((i) => `s${i}`).join(', ')} (${this.network.quorumMode}, tolerates ${this.network.faulty})`);
  }

  private get lastPeriod(): number {
    return this.firstPeriod + this.options.periods + this.tailPeriods;
  }

  private loop(): void {
    const endAt = startOf(this.timing, this.lastPeriod) + check_offset_ms;
    const net = this.net;
    const events = this.events;
    for (;;) {
      const networkAt = net.nextAt();
      const eventAt = events.peekAt();
      const at = Math.min(networkAt, eventAt);
      if (at > endAt) break;
      this.now = at;
      if (networkAt < eventAt) this.deliver();
      else this.handle(events.pop()!);
    }
  }

  private handle(event: SimEvent): void {
    switch (event.type) {
      case 'wake':
        return this.wake(event.server, event.token);
      case 'period':
        return this.beginPeriod(event.period);
      case 'check':
        return this.check(event.period);
      case 'client':
        return this.clientAction();
      case 'pay':
        return this.pay(event.request);
      case 'verified':
        return this.verified(event.request, event.core, event.valid);
      case 'crash':
        if (!this.faulty) return; // a crash planned in an episode never falls in the calm
        return event.atWrite ? this.armCrash(event.server) : this.crash(event.server);
      case 'restart':
        return this.restart(event.server);
      case 'heal':
        if (event.token === this.healToken) this.heal();
        return;
      case 'change':
        if (this.faulty) this.submitRandomChange();
        return;
    }
  }

  // ---- cores -----------------------------------------------------------------------------

  /** Runs one call into a core; any exception out of it is a broken invariant of the core. */
  private guard(server: SimServer, what: string, work: (core: ServerCore) => void): void {
    const core = server.core;
    if (core === null) return;
    this.stats.coreEvents++;
    try {
      work(core);
    } catch (error) {
      if (error instanceof CrashSignal) {
        // Killed at a store write: whatever the core would have sent next is never sent.
        this.trace.add(this.now, `s${server.index} killed at a store write (${what})`);
        this.crash(server.index);
        return;
      }
      if (error instanceof Violation) throw error;
      const kind = isScrypError(error) ? `ScrypError ${error.code}` : 'an exception';
      const text = error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 6).join('\n') : String(error);
      throw new Violation('core-assertion', [server.index], `server ${server.index} threw ${kind} in ${what}: ${text}`);
    }
    this.flush(server, core);
  }

  private logFor(index: number): CoreLog {
    return {
      debug: (message) => this.trace.add(this.now, `s${index} debug ${message}`),
      info: (message) => this.trace.add(this.now, `s${index} ${message}`),
      warn: (message) => this.trace.add(this.now, `s${index} WARN ${message}`),
      error: (message) => this.trace.add(this.now, `s${index} ERROR ${message}`),
    };
  }

  /** The outbox, as the node sends it: one batch per peer, the messages in order, as bytes. */
  private flush(server: SimServer, core: ServerCore): void {
    if (this.adversary?.controls(server.index) === true) return this.flushLies(this.adversary, server, core);
    if (core.outbox.length > 0) {
      // As the node routes it (node/outbox.ts); the sender's directory ids are simulated servers by key.
      for (const [id, messages] of routeOutbox(core.outbox.splice(0), core.addressees, encodeMessage)) {
        const peer = this.simIndexOfId(core, id);
        const fate = this.net.send(this.now, server.index, peer, messages);
        this.digest.event(Tag.send, this.now, server.index * 64 + peer, fate.length);
        if (fate !== 'sent') this.trace.add(this.now, () => `s${server.index}->s${peer} ${kinds(messages)} ${fate.toUpperCase()}`);
      }
    }
    this.schedule(server, core);
  }

  /** A liar's turn: what its shadow sent, as the adversary rewrites it for each recipient. */
  private flushLies(adversary: Adversary, server: SimServer, core: ServerCore): void {
    const perPeer = adversary.rewrite(server.index, core, core.outbox.splice(0), this.local(server));
    for (const [peer, messages] of perPeer) {
      const raws = messages.map((message) => encodeMessage(message));
      const fate = this.net.send(this.now, server.index, peer, raws);
      this.digest.event(Tag.send, this.now, server.index * 64 + peer, fate.length);
      if (fate !== 'sent') this.trace.add(this.now, () => `s${server.index}->s${peer} ${kinds(raws)} ${fate.toUpperCase()}`);
    }
    this.schedule(server, core);
  }

  /** The simulated server a core's directory id names. */
  private simIndexOfId(core: ServerCore, id: number): number {
    return this.spares === 0 ? id : this.simIndexOf(core.configurations.directory[id]!.keyHex);
  }

  private simIndexOf(keyHex: string): number {
    const index = this.simIndexByKey.get(keyHex);
    if (index === undefined) throw new Violation('core-assertion', [], `a core names a server key no simulated server has: ${keyHex.slice(0, 16)}`);
    return index;
  }

  /** Timers, as the node keeps them: only ever brought forward until they fire. */
  private schedule(server: SimServer, core: ServerCore): void {
    const at = core.nextWakeAt(this.local(server)) - server.skewMs;
    if (at >= server.wakeAt) return;
    server.wakeAt = at;
    server.wakeToken++;
    this.events.push({ at, type: 'wake', server: server.index, token: server.wakeToken });
  }

  private wake(index: number, token: number): void {
    const server = this.servers[index]!;
    if (server.core === null || token !== server.wakeToken) return;
    server.wakeAt = Number.POSITIVE_INFINITY;
    this.digest.event(Tag.wake, this.now, index);
    this.guard(server, 'tick', (core) => core.tick(this.local(server)));
  }

  private deliver(): void {
    const { batch, fate } = this.net.deliverNext();
    const server = this.servers[batch.to]!;
    if (fate !== 'delivered') {
      this.trace.add(this.now, () => `s${batch.from}->s${batch.to} ${kinds(batch.messages)} ${fate.toUpperCase()} (partition)`);
      return;
    }
    if (server.core === null) {
      this.trace.add(this.now, () => `s${batch.from}->s${batch.to} ${kinds(batch.messages)} LOST (s${batch.to} is down)`);
      return;
    }
    // Bytes in, messages out, through the real codec; and back, which must be the same bytes.
    const messages: PeerMessage[] = [];
    for (const raw of batch.messages) {
      let message: PeerMessage;
      try {
        message = decodeMessage(raw);
      } catch (error) {
        throw new Violation('codec', [batch.from, batch.to], `a ${messageKindName[raw.kind]} from server ${batch.from} does not decode: ${(error as Error).message}`);
      }
      const again = encodeMessage(message);
      if (again.kind !== raw.kind || !equal(again.payload, raw.payload)) {
        throw new Violation('codec', [batch.from, batch.to], `a ${messageKindName[raw.kind]} from server ${batch.from} re-encodes to other bytes`);
      }
      messages.push(message);
      this.digest.bytes(raw.payload);
      const kind = messageKindName[raw.kind]!;
      this.stats.messagesByKind[kind] = (this.stats.messagesByKind[kind] ?? 0) + 1;
    }
    this.digest.event(Tag.deliver, this.now, batch.from * 64 + batch.to, messages.length);
    if (!this.liars.has(batch.from)) for (const message of messages) if (message.type === 'proposal' && message.validSlot > this.provenSlotInCalm) this.provenSlotInCalm = message.validSlot;
    this.stats.messagesDelivered += messages.length;
    this.trace.add(this.now, () => `s${batch.from}->s${batch.to}${batch.duplicate ? ' (dup)' : ''} ${messages.map(describeMessage).join(', ')}`);
    // The receiver names the sender by its own directory: a key it does not know is refused,
    // as the node's framing refuses a batch whose sender is no server it knows (FRAME_SENDER).
    const from = this.spares === 0 ? batch.from : server.core.configurations.idOf(this.servers[batch.from]!.signer.publicKey);
    if (from < 0) {
      this.trace.add(this.now, () => `s${batch.from}->s${batch.to} REFUSED: s${batch.to} knows no server with that key`);
      return;
    }
    if (this.adversary !== null) return this.deliverAmongLiars(this.adversary, batch.from, from, server, messages);
    this.guard(server, 'onMessage', (core) => {
      const now = this.local(server);
      for (const message of messages) {
        if (message.type === 'forward') {
          // Any message from a peer counts as hearing from it, this one too: availability
          // is what the server knows once it holds the message (a FORWARD changes nothing else).
          const before = core.counters.get('forward_accepted') ?? 0;
          core.onMessage(from, message, now);
          this.invariants.onForwardDelivered(server.index, core.isAvailable(now), (core.counters.get('forward_accepted') ?? 0) - before);
        } else {
          core.onMessage(from, message, now);
        }
      }
    });
  }

  /**
   * A batch in a run with liars: a liar's shadow takes it (the adversary hears it too); an
   * honest core takes it as always, and then must hold the evidence of every pair of
   * conflicting signed messages of a liar it was given (EvidenceWatch).
   */
  private deliverAmongLiars(adversary: Adversary, sender: number, from: number, server: SimServer, messages: readonly PeerMessage[]): void {
    const liar = adversary.controls(server.index);
    const watch = this.evidenceWatch!;
    this.guard(server, 'onMessage', (core) => {
      const now = this.local(server);
      const expected: string[] = [];
      for (const message of messages) {
        if (liar) {
          adversary.observe(server.index, sender, message);
          core.onMessage(from, message, now);
          continue;
        }
        const key = watch.before(core, from, message, this.now);
        if (key !== null) expected.push(key);
        if (message.type === 'forward') {
          const before = core.counters.get('forward_accepted') ?? 0;
          core.onMessage(from, message, now);
          this.invariants.onForwardDelivered(server.index, core.isAvailable(now), (core.counters.get('forward_accepted') ?? 0) - before);
        } else {
          core.onMessage(from, message, now);
        }
      }
      adversary.stats.evidenceExpected += expected.length;
      for (const key of expected) {
        if (server.core !== core) break; // killed at a store write: what it would have kept is not the question
        if (!core.evidence.some((evidence) => evidenceKey(evidence) === key)) {
          throw new Violation('evidence', [server.index], `server ${server.index} was given two conflicting signed messages of a liar (${key}) and holds no evidence of it`);
        }
      }
    });
  }

  // ---- clients ---------------------------------------------------------------------------

  private clientAction(): void {
    const source = this.servers.find((server) => server.core !== null && !this.liars.has(server.index))?.core ?? null;
    const balanceOf = (account: Uint8Array): number => (source === null ? 0 : source.ledger.balanceOf(account));
    for (const request of this.clients.act(this.now, balanceOf)) this.events.push({ at: request.at, type: 'pay', request });
  }

  /**
   * A PAY request reaches a server. Half the time as the node handles it (node/server.ts):
   * precheckPay at once, the signature checked "in a worker" for 0–4 ms, then handlePay with
   * the verdict (the batch, the period or the server's availability may have changed in
   * between); otherwise handlePay checks the signature itself, synchronously.
   */
  private pay(request: PayRequest): void {
    const server = this.servers[request.server]!;
    this.stats.payRequests++;
    if (server.core === null) {
      this.stats.payLost++;
      this.trace.add(this.now, `client -> s${request.server} PAY (${request.kind}) lost: server down`);
      return;
    }
    const viaWorker = this.clientRandom.chance(0.5);
    this.guard(server, 'handlePay', (core) => {
      const now = this.local(server);
      const available = core.isAvailable(now);
      if (!viaWorker) return this.answer(server, request, core.handlePay(request.tx, now), available, now);
      const refused = core.precheckPay(request.tx, now);
      if (refused !== null) return this.answer(server, request, refused, available, now);
      const valid = core.verifyPayment(request.tx);
      this.events.push({ at: this.now + this.clientRandom.between(0, 4), type: 'verified', request, core, valid });
    });
  }

  private verified(request: PayRequest, verifiedBy: ServerCore, valid: boolean): void {
    const server = this.servers[request.server]!;
    if (server.core !== verifiedBy) {
      this.stats.payLost++;
      this.trace.add(this.now, `client -> s${request.server} PAY (${request.kind}) lost: the server restarted while verifying`);
      return;
    }
    this.guard(server, 'handlePay', (core) => {
      const now = this.local(server);
      const available = core.isAvailable(now);
      this.answer(server, request, core.handlePay(request.tx, now, valid ? 'valid' : 'invalid'), available, now);
    });
  }

  private answer(server: SimServer, request: PayRequest, result: PayResult, available: boolean, now: number): void {
    const name = statusName[result.status] ?? String(result.status);
    this.stats.answers[name] = (this.stats.answers[name] ?? 0) + 1;
    this.digest.event(Tag.pay, this.now, server.index, result.status);
    this.trace.add(this.now, () => `client -> s${server.index} PAY ${toHex(result.txid).slice(0, 8)} (${request.kind}) -> ${name}`);
    if (!this.liars.has(server.index)) {
      const core = server.core!;
      // The alpha of the period the payment joins (the next one's, for one stamped in it during this one's blackout).
      const period = result.period;
      this.invariants.onPayAnswer(server.index, request, result, available, now, core.self >= 0 && core.configurations.alphaOf(period, Math.min(core.committed.period, period - 1)) === core.self);
    }
  }

  // ---- faults ----------------------------------------------------------------------------

  private armCrash(index: number): void {
    const server = this.servers[index]!;
    if (server.core === null) return;
    server.store.armed = this.crashRandom.chance(0.5) ? 'before' : 'after';
    this.trace.add(this.now, `s${index} will crash at its next store write (${server.store.armed} it)`);
  }

  private crash(index: number): void {
    const server = this.servers[index]!;
    server.store.armed = null;
    if (server.core === null) return;
    server.core = null; // the batch, the proposals, the tallies: gone. The store stays.
    server.wakeToken++;
    server.wakeAt = Number.POSITIVE_INFINITY;
    this.stats.crashes++;
    this.digest.event(Tag.crash, this.now, index);
    this.trace.add(this.now, `s${index} CRASH`);
  }

  private restart(index: number): void {
    const server = this.servers[index]!;
    if (server.core !== null) return;
    this.digest.event(Tag.restart, this.now, index);
    const now = this.local(server);
    let core: ServerCore;
    try {
      const selfIndex = index < this.options.servers ? index : -1;
      core = new ServerCore({ network: this.network, selfIndex, signer: server.signer, store: server.store, verify: this.crypto.verify, log: this.logFor(index), now });
    } catch (error) {
      throw new Violation('core-assertion', [index], `server ${index} does not start from its store: ${(error as Error).message}`);
    }
    server.core = core;
    server.startedAt = this.now;
    server.wakeAt = Number.POSITIVE_INFINITY;
    this.trace.add(this.now, `s${index} START at committed period ${core.committed.period}`);
    this.guard(server, 'announce', (c) => c.announce());
  }

  private formPartition(): void {
    const n = this.servers.length;
    if (n < 2 || this.net.partitioned) return;
    const random = this.partitionRandom;
    const groups = new Array<number>(n).fill(0);
    const cut: [number, number][] = [];
    const shape = random.int(3);
    if (shape === 0) {
      groups[random.int(n)] = 1; // one server alone
    } else if (shape === 1) {
      for (let i = 0; i < n; i++) groups[i] = random.int(2); // a random split
      if (groups.every((group) => group === groups[0])) groups[random.int(n)] = 1 - groups[0]!;
    } else {
      const count = random.between(1, n);
      for (let i = 0; i < count; i++) {
        const from = random.int(n);
        const to = (from + 1 + random.int(n - 1)) % n;
        cut.push([from, to]); // one-way failures
      }
    }
    const holds = random.chance(this.mix.partitionHolds);
    this.net.partition(groups, cut, holds);
    this.stats.partitions++;
    this.healToken++;
    const duration = random.between(sim_period_ms / 2, Math.max(1, this.mix.partitionPeriodsMax) * sim_period_ms);
    this.events.push({ at: this.now + duration, type: 'heal', token: this.healToken });
    this.digest.event(Tag.partition, this.now, shape, duration);
    this.trace.add(this.now, `PARTITION groups ${groups.join('')} cut ${cut.map(([a, b]) => `${a}->${b}`).join(' ') || '-'} ${holds ? 'holding' : 'dropping'} for ${duration} ms`);
  }

  private heal(): void {
    if (!this.net.partitioned) return;
    this.healToken++;
    this.net.heal(this.now);
    this.digest.event(Tag.heal, this.now);
    this.trace.add(this.now, 'PARTITION healed');
  }

  // ---- server-set changes (options.changes) -----------------------------------------------

  /**
   * An operator's change, as `scryp network change` and `sign` make it: from the newest
   * configuration the most advanced live server knows, one edit (add a spare, remove a
   * member, replace one by a spare, or rotate the order, which moves the alpha and beta
   * around the boundary), signed by a quorum of that configuration, first period the
   * earliest or a few periods on (sometimes too soon: refused, CHANGE_TOO_LATE), and
   * submitted to a random live server, which passes it on for a beta to carry.
   */
  private submitRandomChange(): void {
    const random = this.changeRandom!;
    const live = this.servers.filter((server) => server.core !== null && server.core.self >= 0);
    if (live.length === 0) return;
    const source = live.reduce((best, server) => (server.core!.committed.period > best.core!.committed.period ? server : best));
    const core = source.core!;
    const latest = core.configurations.latest;
    const list = latest.servers.map((server) => ({ key: server.key, address: server.address }));
    const members = new Set(list.map((server) => toHex(server.key)));
    const spares = this.servers.filter((server) => !members.has(toHex(server.signer.publicKey)));
    const spareEntry = (server: SimServer) => ({ key: server.signer.publicKey, address: { host: '10.1.0.1', port: 5000 + server.index } });
    const action = random.int(4);
    let what: string;
    if (action === 0 && spares.length > 0) {
      const spare = random.pick(spares);
      list.push(spareEntry(spare));
      what = `add s${spare.index}`;
    } else if (action === 1 && list.length > 1) {
      const [removed] = list.splice(random.int(list.length), 1);
      what = `remove s${this.simIndexOf(toHex(removed!.key))}`;
    } else if (action === 2 && spares.length > 0) {
      const at = random.int(list.length);
      const spare = random.pick(spares);
      what = `replace s${this.simIndexOf(toHex(list[at]!.key))} by s${spare.index}`;
      list[at] = spareEntry(spare);
    } else {
      list.push(list.shift()!);
      what = 'rotate the order';
    }
    if (!this.liarsTolerated(list)) {
      // Liars stay within what the new configuration tolerates (f of a two-thirds network),
      // as the run's checks assume: the operators reorder instead.
      list.splice(0, list.length, ...latest.servers.slice(1).map((server) => ({ key: server.key, address: server.address })), { key: latest.servers[0]!.key, address: latest.servers[0]!.address });
      what = `rotate the order (${what} would leave more liars than the configuration tolerates)`;
    }
    const period = periodOf(this.timing, this.local(source));
    const first = random.chance(0.5) ? 0 : period + random.between(1, 6);
    const body = { replaces: latest.number, replacesHash: latest.hash, first, servers: list };
    const message = changeSigningMessage(this.network.id, body);
    const signers = latest.servers.map((server, index) => ({ index, key: toHex(server.key) }));
    const chosen = signers.filter(() => random.chance(0.8));
    const quorum = chosen.length >= latest.quorum ? chosen : signers.slice(0, latest.quorum);
    const change: Change = {
      ...body,
      signatures: quorum.map(({ index, key }) => ({ signer: index, signature: this.servers[this.simIndexOf(key)]!.signer.sign(message) })),
    };
    const target = random.pick(live);
    this.stats.changesSubmitted = (this.stats.changesSubmitted ?? 0) + 1;
    this.digest.event(Tag.change, this.now, target.index, latest.number);
    this.trace.add(this.now, `CHANGE of configuration ${latest.number}: ${what}, first ${first === 0 ? 'earliest' : first}, ${quorum.length} signatures, submitted to s${target.index}`);
    this.guard(target, 'submitChange', (c) => {
      const refused = c.submitChange(change, this.local(target));
      if (refused !== null) this.trace.add(this.now, `s${target.index} refuses the change: ${refused}`);
    });
  }

  /** In a two-thirds network, no more liars among `list` than its quorum tolerates (f = n − q); a majority network tolerates none anyway. */
  private liarsTolerated(list: readonly { key: Uint8Array }[]): boolean {
    if (this.liars.size === 0 || this.network.quorumMode !== 'two-thirds') return true;
    const liars = list.filter((server) => this.liars.has(this.simIndexOf(toHex(server.key)))).length;
    return liars <= list.length - quorumOf(list.length, 'two-thirds');
  }

  /** Spares that no configuration ever named: no server talks to them, and they stay at genesis. */
  private serversNoOneKnows(): Set<number> {
    const known = new Set<number>();
    for (const server of this.servers) {
      const core = server.core;
      if (core === null) continue;
      for (const entry of core.configurations.directory) known.add(this.simIndexOf(entry.keyHex));
    }
    return new Set(this.servers.filter((server) => !known.has(server.index)).map((server) => server.index));
  }

  /** In the calm, every server the network knows ends on the same configuration, with the same chain of changes. */
  private checkSameConfiguration(outside: ReadonlySet<number>): void {
    const seen = new Map<string, number[]>();
    for (const server of this.servers) {
      if (outside.has(server.index) || server.core === null) continue;
      const core = server.core;
      const key = `${core.configurations.latest.number}:${core.chain.map((entry) => entry.carrier).join(',')}`;
      let list = seen.get(key);
      if (list === undefined) seen.set(key, (list = []));
      list.push(server.index);
    }
    if (seen.size > 1) {
      throw new Violation('configuration', [...seen.values()].flat(), `servers end on different configurations: ${[...seen].map(([key, list]) => `${list.map((i) => `s${i}`).join(' ')} at ${key}`).join('; ')}`);
    }
    const [key] = seen.keys();
    if (key !== undefined) this.stats.configurationsAtEnd = Number(key.split(':')[0]);
  }

  // ---- periods and checks ----------------------------------------------------------------

  private beginPeriod(period: number): void {
    const index = period - this.firstPeriod;
    const plan = this.episodes.next(index, index >= this.options.periods);
    const wasFaulty = this.faulty;
    this.faulty = plan.faulty;
    this.quietSince = plan.quietSince;
    this.stats.periods = index;
    this.net.conditions = plan.faulty ? this.mix.links : quiet_links;
    if (!plan.faulty && (wasFaulty || index === 0)) {
      // The calm begins: every partition heals, every server comes back, no crash is armed.
      this.heal();
      for (const server of this.servers) server.store.armed = null;
      for (const server of this.servers) if (server.core === null) this.events.push({ at: this.now + this.startRandom.int(50), type: 'restart', server: server.index });
      if (wasFaulty) this.trace.add(this.now, 'CALM: faults stop');
      this.provenSlotInCalm = 0;
    }
    if (plan.faulty) {
      const random = this.crashRandom;
      if (random.chance(this.mix.crashPerPeriod)) {
        const index = random.int(this.servers.length);
        const at = this.now + random.int(sim_period_ms);
        const down = random.between(200, Math.max(1, this.mix.downPeriodsMax) * sim_period_ms);
        // Half the crashes fall at an instant; the others at the server's next store write
        // (just before or just after it), or at the end of the period if it writes nothing.
        const atWrite = random.chance(0.5);
        this.events.push({ at, type: 'crash', server: index, atWrite });
        if (atWrite) this.events.push({ at: at + sim_period_ms, type: 'crash', server: index, atWrite: false });
        this.events.push({ at: at + down, type: 'restart', server: index });
      }
      if (this.partitionRandom.chance(this.mix.partitionPerPeriod)) this.formPartition();
      if (this.changeRandom !== null && this.changeRandom.chance(change_per_period)) {
        this.events.push({ at: this.now + this.changeRandom.int(sim_period_ms), type: 'change' });
      }
    }
    // Client actions through the period, a Poisson number of them.
    const clients = this.clientRandom;
    let count = 0;
    for (let gap = clients.exponential(1); gap < this.mix.paymentsPerPeriod; gap += clients.exponential(1)) count++;
    for (let i = 0; i < count; i++) this.events.push({ at: this.now + clients.int(sim_period_ms), type: 'client' });
    this.events.push({ at: this.now + check_offset_ms, type: 'check', period });
    if (period < this.lastPeriod) this.events.push({ at: startOf(this.timing, period + 1), type: 'period', period: period + 1 });
  }

  /** After every period: the invariants on every server, live or crashed (the honest ones, where some lie). */
  private check(period: number): void {
    if (this.adversary !== null) return this.checkAmongLiars(period);
    const index = period - this.firstPeriod;
    const invariants = this.invariants;
    for (const server of this.servers) {
      if (server.core !== null) {
        invariants.checkEvidence(server.index, server.core, this.liars, false);
        invariants.checkLiveServer(server.index, server.core, server.store);
        if (index % full_supply_check_every === 0) invariants.checkFullSupply(server.index, server.core);
      } else {
        invariants.checkCrashedServer(server.index, server.store);
      }
    }
    this.stats.historyEntriesChecked += invariants.checkHistory(
      this.servers.map((server) => ({ index: server.index, core: server.core, now: this.local(server) })),
      period,
    );
    for (const txid of invariants.resolvePayments()) this.settledSinceStatusCheck.push(txid);
    const calm = index - this.quietSince;
    if (!this.faulty && calm >= this.tailPeriods) {
      this.stats.livenessChecks++;
      const cores = this.servers.map((server) => server.core);
      const outside = this.spares === 0 ? undefined : this.serversNoOneKnows();
      if (outside !== undefined) this.checkSameConfiguration(outside);
      try {
        invariants.checkLiveness(cores, this.firstPeriod + this.quietSince, period, outside);
      } catch (error) {
        if (!(error instanceof Violation)) throw error;
        const startedAt = this.servers.map((server) => server.startedAt);
        const batchLost = invariants.votedBatchLost(cores, startedAt);
        const evidenceLost = batchLost === null ? invariants.lockEvidenceLost(cores, startedAt) : null;
        const proofLost = batchLost === null && evidenceLost === null ? invariants.lockProofLost(this.storedLocks(), this.provenSlotInCalm, period) : null;
        const issue: KnownIssue | null = batchLost !== null ? 'voted-batch-lost' : evidenceLost !== null ? 'lock-evidence-lost' : proofLost !== null ? 'lock-proof-lost' : null;
        if (issue === null) throw error;
        throw new Violation(error.invariant, error.servers, `${error.detail}; KNOWN ISSUE ${issue}: ${batchLost ?? evidenceLost ?? proofLost}`, issue);
      }
      invariants.checkSettledBefore(cores[0]!.committed.period + 1);
      if (this.settledSinceStatusCheck.length > 0 && (index - this.lastStatusCheck >= status_check_every || period === this.lastPeriod)) {
        for (const server of this.servers) invariants.checkStatusAnswers(server.index, server.core!, this.local(server), this.settledSinceStatusCheck);
        this.settledSinceStatusCheck = [];
        this.lastStatusCheck = index;
      }
    }
    if (period === this.lastPeriod && (this.faulty || calm < this.tailPeriods)) {
      throw new Violation('liveness', [], `the run ended without a calm of ${this.tailPeriods} periods (internal error of the plan)`);
    }
  }

  /**
   * check() in a run with liars, on the honest servers only. Where a fork can happen
   * (a majority network with a liar, or more liars than f) liveness is not promised: what
   * is checked instead is that a fork never passes silently.
   */
  private checkAmongLiars(period: number): void {
    const index = period - this.firstPeriod;
    const invariants = this.invariants;
    const honest = this.servers.filter((server) => !this.liars.has(server.index));
    for (const server of honest) {
      if (server.core !== null) {
        invariants.checkEvidence(server.index, server.core, this.liars, this.forksPossible);
        invariants.checkLiveServer(server.index, server.core, server.store);
        if (index % full_supply_check_every === 0) invariants.checkFullSupply(server.index, server.core);
      } else {
        invariants.checkCrashedServer(server.index, server.store);
      }
    }
    this.stats.historyEntriesChecked += invariants.checkHistory(
      honest.map((server) => ({ index: server.index, core: server.core, now: this.local(server) })),
      period,
    );
    for (const txid of invariants.resolvePayments()) this.settledSinceStatusCheck.push(txid);
    // Spares that no change brought in are no servers of the network yet: neither stopped by a fork nor live.
    const outside = this.spares === 0 ? new Set<number>() : this.serversNoOneKnows();
    const known = honest.filter((server) => !outside.has(server.index));
    if (invariants.forked) {
      const fork = invariants.forks[0]!;
      if (!this.faulty) this.calmSinceForkMs += this.now - Math.max(this.lastForkCheckAt, fork.at);
      this.lastForkCheckAt = this.now;
      invariants.checkForkStopped(known, this.calmSinceForkMs);
    }
    const calm = index - this.quietSince;
    if (!this.faulty && calm >= this.tailPeriods && !this.forksPossible) {
      this.stats.livenessChecks++;
      if (this.spares > 0) this.checkSameConfiguration(new Set([...outside, ...this.liars]));
      let lag: number;
      try {
        const notChecked = outside.size === 0 ? this.liars : new Set([...this.liars, ...outside]);
        lag = invariants.checkLivenessAmongLiars(this.servers.map((server) => server.core), this.firstPeriod + this.quietSince, period, notChecked, liar_lag_periods_base + liar_lag_periods_per_liar * this.liars.size);
      } catch (error) {
        if (!(error instanceof Violation)) throw error;
        const proofLost = invariants.lockProofLost(this.storedLocks(), this.provenSlotInCalm, period);
        if (proofLost !== null) throw new Violation(error.invariant, error.servers, `${error.detail}; KNOWN ISSUE lock-proof-lost: ${proofLost}`, 'lock-proof-lost');
        const askedAgain = this.adversary!.askedAgainAfterSilence().filter((ask) => error.servers.includes(ask.server));
        if (askedAgain.length > 0) {
          const which = askedAgain.map((ask) => `server ${ask.server} asked liar ${ask.liar} again`).join(', ');
          throw new Violation(error.invariant, error.servers, `${error.detail}; KNOWN ISSUE sync-peer-repeated: ${which} after it left a catch-up request unanswered`, 'sync-peer-repeated');
        }
        throw error;
      }
      this.adversary!.stats.commitLagMax = Math.max(this.adversary!.stats.commitLagMax, lag);
      invariants.checkSettledBefore(Math.min(...known.map((server) => server.core!.committed.period)) + 1);
      if (this.settledSinceStatusCheck.length > 0 && (index - this.lastStatusCheck >= status_check_every || period === this.lastPeriod)) {
        for (const server of honest) invariants.checkStatusAnswers(server.index, server.core!, this.local(server), this.settledSinceStatusCheck);
        this.settledSinceStatusCheck = [];
        this.lastStatusCheck = index;
      }
    }
    if (period === this.lastPeriod && (this.faulty || calm < this.tailPeriods)) {
      throw new Violation('liveness', [], `the run ended without a calm of ${this.tailPeriods} periods (internal error of the plan)`);
    }
  }

  /** The locks the running honest servers' stores keep (two-thirds networks), for the known issue lock-proof-lost. */
  private storedLocks(): StoredLock[] {
    if (this.network.quorumMode !== 'two-thirds') return [];
    const locks: StoredLock[] = [];
    for (const server of this.servers) {
      if (server.core === null || this.liars.has(server.index)) continue;
      const lock = server.store.load().ballots.lock;
      locks.push({ server: server.index, lockSlot: lock?.slot ?? 0, lockParent: lock?.decision.parent ?? -1, committed: server.core.committed.period });
    }
    return locks;
  }

  private finishByzantineStats(adversary: Adversary): ByzantineStats {
    const stats = adversary.stats;
    stats.evidenceHeld = 0;
    stats.forkEvidenceHeld = 0;
    stats.haltedServers = 0;
    for (const server of this.servers) {
      if (this.liars.has(server.index) || server.core === null) continue;
      stats.evidenceHeld += server.core.evidence.length;
      stats.forkEvidenceHeld += server.core.evidence.filter((evidence) => evidence.kind === 'fork').length;
      if (server.core.halted !== null) stats.haltedServers++;
    }
    stats.forksDetected = this.invariants.forks.length;
    return stats;
  }

  private finishStats(): void {
    const stats = this.stats;
    stats.batchesSent = this.net.sent;
    stats.batchesDelivered = this.net.delivered;
    stats.batchesDropped = this.net.dropped;
    stats.batchesDuplicated = this.net.duplicated;
    stats.paymentsAccepted = this.invariants.payments.accepted;
    stats.paymentsCommitted = this.invariants.payments.committed;
    stats.paymentsVoidSkipped = this.invariants.payments.voidSkipped;
    stats.paymentsVoidRevalidation = this.invariants.payments.voidRevalidation;
    stats.commits = this.servers.reduce((sum, server) => sum + server.store.commits, 0);
    stats.snapshots = this.servers.reduce((sum, server) => sum + server.store.snapshots, 0);
    stats.votes = this.servers.reduce((sum, server) => sum + server.store.votes, 0);
    stats.committedPeriods = this.invariants.committedPeriods;
    if ((this.options.references ?? 0) > 0) stats.paymentsWithReferenceApplied = this.invariants.paymentsWithReferenceApplied;
    if (this.spares > 0) {
      // Spares that a change brought in and that voted; servers a change removed (they say so).
      stats.sparesThatVoted = this.servers.filter((server) => server.index >= this.options.servers && server.store.votes > 0).length;
      stats.serversRemoved = this.servers.filter((server) => server.core?.removed != null).length;
    }
  }
}

/** Runs one simulation. */
export function simulate(options: SimOptions): SimReport {
  return new Simulator(options).run();
}

function kinds(messages: readonly RawMessage[]): string {
  return messages.map((raw) => messageKindName[raw.kind] ?? `0x${raw.kind.toString(16)}`).join(',');
}

function short(hash: Uint8Array): string {
  return toHex(hash.subarray(0, 3));
}

export function describeMessage(message: PeerMessage): string {
  switch (message.type) {
    case 'status':
      return `STATUS(committed ${message.committed.period}, vote ${message.vote === null ? '-' : `${message.vote.period}/prev ${message.vote.prev}`})`;
    case 'proposal':
      return `PROPOSAL(${message.period}${message.decided === message.period ? '' : ` re-proposing ${message.decided} (valid in ${message.validSlot})`} on ${message.parent.period}, ${paymentCount(message.transactions)} tx, ${short(message.hash)})`;
    case 'vote':
      return `VOTE(s${message.vote.voter}: ${message.vote.period} on ${message.vote.parent}, prev ${message.vote.prev}, ${short(message.vote.hash)})`;
    case 'forward':
      return `FORWARD(${paymentCount(message.transactions)} tx)`;
    case 'sync_request':
      return `SYNC_REQUEST(after ${message.after})`;
    case 'sync_records':
      return `SYNC_RECORDS(${message.snapshotNeeded ? 'snapshot needed, ' : ''}${message.records.map((record) => record.certificate.period).join(' ') || 'none'})`;
    case 'snapshot_request':
      return 'SNAPSHOT_REQUEST';
    case 'snapshot_header':
      return `SNAPSHOT_HEADER(#${message.snapshotId}, period ${message.certificate.period}, ${message.accounts} accounts)`;
    case 'snapshot_page_request':
      return `SNAPSHOT_PAGE_REQUEST(#${message.snapshotId})`;
    case 'snapshot_page':
      return `SNAPSHOT_PAGE(#${message.snapshotId}, ${message.entries.length / entry_bytes} accounts${message.last ? ', last' : ''})`;
    case 'prevote':
    case 'precommit':
      return `${message.type.toUpperCase()}(s${message.ballot.voter}: slot ${message.ballot.slot}, ${message.ballot.period} on ${message.ballot.parent}, ${short(message.ballot.hash)})`;
    case 'evidence':
      return `EVIDENCE(${message.evidence.kind})`;
    case 'proposal_header':
      return `PROPOSAL_HEADER(s${message.header.proposer}: slot ${message.header.slot}, ${short(message.header.hash)})`;
    case 'address':
      return `ADDRESS(${short(message.record.key)}: sequence ${message.record.sequence})`;
    case 'change':
      return `CHANGE(to configuration ${message.change.replaces + 1}, ${message.change.servers.length} servers)`;
    case 'gateway':
      return `GATEWAY(${short(message.record.key)}: sequence ${message.record.sequence})`;
  }
}
