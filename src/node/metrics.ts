// What an operator watches: Prometheus text at /metrics and an answer for load balancers
// and scripts at /healthz, served only when `scryp node --metrics ADDRESS` asks for them.
//
// Nothing here runs per datagram. The node counts into its plain counters as it always
// did (a Map increment); every gauge is read from the core when Prometheus scrapes. Three
// things are watched as they happen, each a few comparisons per core call and real work
// once a period: a commit (how long after the beta's start it came, which votes it
// lacked, which periods it left void), a vote (whose, for which period), and the clock
// of each peer (its INFO time, asked every clock_probe_interval_ms).
//
// Names follow Prometheus practice: one prefix, base units (seconds, bytes), `_total`
// counters, labels instead of name variants. docs/OPERATIONS.md lists them with what
// to watch; docs/alerts.yml has one alert per way the node can fail.

import { statSync } from 'node:fs';
import type { Server } from 'bun';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { clock_offset_fresh_ms, clock_probe_interval_ms, clock_probe_retry_ms, clock_probe_timeout_ms, votes_seen_periods_max } from '../constants.ts';
import { toHex } from '../bytes.ts';
import { ScrypError } from '../errors.ts';
import { Kind, Status } from '../client/codec.ts';
import { offenderOf } from '../consensus/evidence.ts';
import { UdpClient } from '../client/udp-client.ts';
import type { Address } from '../ip.ts';
import type { Network } from '../network.ts';
import type { PeerMessage } from '../peer/messages.ts';
import { startOf, type Timing, timingOf } from '../schedule.ts';
import type { Availability } from './availability.ts';
import type { ServerCore } from './core.ts';
import { type ListenAddress, parseListenAddress } from './listen-address.ts';
import { gateway_request_counter_prefix } from './gateway.ts';
import packageJson from '../../package.json';

/** What the metrics read of the core: only its getters, never its state. */
export type CoreView = Pick<ServerCore, 'counters' | 'committed' | 'info' | 'isAvailable' | 'catchUp' | 'ledger' | 'lastVotePeriod' | 'evidence' | 'halted' | 'self' | 'membership' | 'configurations'>;

/**
 * What the node shell gives the metrics. Servers are named by their directory ids (the
 * network file's index unless a change brought them in); which of them count (the servers,
 * the quorum, the peers) is the core's membership in force, read at every scrape: a
 * server-set change moves it (PROTOCOL §8.13).
 */
export interface MetricsSource {
  readonly network: Network;
  readonly core: CoreView;
  /** The node's clock (with its test offset). */
  now(): number;
  /** Payments waiting for a signature check. */
  verifyQueue(): number;
  /** DIR/ledger.sqlite, whose size (with its -wal) is reported. */
  readonly ledgerPath: string;
  /** Where each server is now (PROTOCOL §3.10); left out, the network file's addresses. */
  readonly addressOf?: (server: number) => Address;
}

// ---- where to listen ----------------------------------------------------------------------

export type MetricsAddress = ListenAddress;

/** `--metrics PORT` or `--metrics HOST:PORT` (listen-address.ts): metrics say who the peers are and how the node fares. */
export function parseMetricsAddress(text: string): MetricsAddress {
  return parseListenAddress(text, '--metrics', '127.0.0.1:9464');
}

// ---- what happens once a period: commits and votes ---------------------------------------

/** Seconds from the beta's start to the commit: a few round trips when all is well. */
export const commit_duration_buckets_seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Follows the committed certificate as the node's shell sees it after each core call.
 * A commit this server saw live (one certificate extending the last one seen) gives a
 * duration and, one commit later, the votes that never reached us; every commit tells
 * how many periods were skipped (void): each commit covers its own period and the void
 * ones before it, so void = periods advanced − commits, except across a snapshot.
 */
export class CommitWatch {
  /** By directory id: commits of a configuration the server was a member of, whose vote from it never reached us. */
  readonly votesMissing: number[] = [];
  voidPeriods = 0;
  snapshotsInstalled = 0;
  private lastPeriod: number;
  private lastCommits: number;
  private lastArchiveFrom: number;
  private lastOwnVote: number | null;
  /** The last live commit and the servers that could vote for it, whose votes are counted at the next one (late votes still count). */
  private awaiting: { readonly period: number; readonly voters: readonly number[] } | null = null;
  /** Voters seen per period, for periods after the last one checked. */
  private readonly voters = new Map<number, Set<number>>();

  constructor(
    private readonly core: CoreView,
    private readonly timing: Timing,
    private readonly onCommitDuration: (seconds: number) => void,
  ) {
    for (const id of core.membership.ids) this.votesMissing[id] = 0;
    this.lastPeriod = core.committed.period;
    this.lastCommits = core.counters.get('committed') ?? 0;
    this.lastArchiveFrom = core.catchUp.archiveFrom;
    this.lastOwnVote = core.lastVotePeriod;
  }

  /** A vote of `voter` for `period` reached this server (a VOTE, or the vote a STATUS carries). */
  sawVote(voter: number, period: number): void {
    if (voter < 0 || voter >= this.core.configurations.size || (this.awaiting !== null && period < this.awaiting.period) || period <= this.lastPeriod - votes_seen_periods_max) return;
    let set = this.voters.get(period);
    if (set === undefined) {
      if (this.voters.size >= votes_seen_periods_max) this.voters.delete(Math.min(...this.voters.keys()));
      this.voters.set(period, (set = new Set()));
    }
    set.add(voter);
  }

  /** After every core call: cheap unless the node voted or the committed period moved. */
  observe(now: number): void {
    const ownVote = this.core.lastVotePeriod;
    if (ownVote !== this.lastOwnVote) {
      this.lastOwnVote = ownVote;
      if (ownVote !== null) this.sawVote(this.core.self, ownVote);
    }
    const certificate = this.core.committed;
    if (certificate.period === this.lastPeriod) return;
    const commits = this.core.counters.get('committed') ?? 0;
    const archiveFrom = this.core.catchUp.archiveFrom;
    if (archiveFrom !== this.lastArchiveFrom) {
      // A snapshot: the periods it jumped over were never seen one by one.
      this.snapshotsInstalled++;
      this.awaiting = null;
      this.voters.clear();
    } else {
      const newCommits = commits - this.lastCommits;
      // The periods before a network's first commit were never open: only later gaps are void.
      if (this.lastPeriod > 0) this.voidPeriods += certificate.period - this.lastPeriod - newCommits;
      if (newCommits === 1 && certificate.parent <= this.lastPeriod) {
        for (const vote of certificate.votes) this.sawVote(vote.voter, certificate.period);
        this.onCommitDuration(Math.max(0, now - startOf(this.timing, certificate.period + 1)) / 1000);
        if (this.awaiting !== null) this.countMissing(this.awaiting.period, this.awaiting.voters);
        this.awaiting = { period: certificate.period, voters: this.core.configurations.at(certificate.parent).ids };
      } else {
        // Replayed from a peer (catching up): not seen live, so no duration and no votes to count.
        this.awaiting = null;
      }
      for (const period of this.voters.keys()) if (period < (this.awaiting?.period ?? certificate.period)) this.voters.delete(period);
    }
    this.lastPeriod = certificate.period;
    this.lastCommits = commits;
    this.lastArchiveFrom = archiveFrom;
  }

  private countMissing(period: number, voters: readonly number[]): void {
    const seen = this.voters.get(period);
    for (const server of voters) if (seen === undefined || !seen.has(server)) this.votesMissing[server] = (this.votesMissing[server] ?? 0) + 1;
  }
}

// ---- peers' clocks ------------------------------------------------------------------------

/**
 * Asks each peer for its INFO every clock_probe_interval_ms, one datagram at a time, and
 * keeps how far our clock is ahead of its own: our time at the middle of the round trip
 * minus the time it signed. Over a town's internet the round trip bounds the error.
 */
export class ClockProbe {
  /** By directory id. */
  private readonly offsets: ({ offsetMs: number; at: number } | null)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private client: UdpClient | null = null;
  private stopped = false;
  /** Where each peer is asked: the address its configuration gives unless told where it moved (PROTOCOL §3.10). */
  addressOf: (server: number) => Address = (server) => this.core.configurations.addressOf(server);

  constructor(
    private readonly network: Network,
    /** The peers asked are the servers in force other than this one, at each round. */
    private readonly core: Pick<CoreView, 'self' | 'membership' | 'configurations'>,
    private readonly now: () => number,
    private readonly intervalMs = clock_probe_interval_ms,
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.round(), Math.min(this.intervalMs, clock_probe_retry_ms));
  }

  /** Our clock minus the peer's, in ms, when measured recently enough; null otherwise. */
  offsetOf(server: number, now: number): number | null {
    const sample = this.offsets[server];
    return sample === null || sample === undefined || now - sample.at > clock_offset_fresh_ms ? null : sample.offsetMs;
  }

  private async round(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    let answered = 0;
    try {
      this.client ??= await UdpClient.open();
      for (const index of this.core.membership.ids) {
        const key = this.core.configurations.keyOf(index);
        if (index === this.core.self || this.stopped || key === undefined) continue;
        const sent = this.now();
        try {
          const reply = await this.client.ask(this.addressOf(index), { kind: Kind.INFO }, {
            networkId: this.network.id,
            serverKey: key,
            serverCount: this.core.configurations.size,
            attempts: 1,
            timeoutMs: clock_probe_timeout_ms,
          });
          const received = this.now();
          if (reply.status === Status.OK && reply.body !== null && 'lastHeard' in reply.body) {
            this.offsets[index] = { offsetMs: (sent + received) / 2 - reply.body.now, at: received };
            answered++;
          }
        } catch {
          // down or lost: its last offset ages out
        }
      }
    } finally {
      // Peers that start with us may not be up yet: until one answers, ask again soon.
      if (!this.stopped) this.timer = setTimeout(() => void this.round(), answered > 0 ? this.intervalMs : Math.min(this.intervalMs, clock_probe_retry_ms));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.client?.close();
    this.client = null;
  }
}

// ---- the metrics ----------------------------------------------------------------------------

/** Counter values read from the node's counters at scrape time, under the names the node counts them. */
function sumWithPrefix(counters: ReadonlyMap<string, number>, prefix: string): number {
  let sum = 0;
  for (const [name, value] of counters) if (name.startsWith(prefix)) sum += value;
  return sum;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly watch: CommitWatch;
  readonly probe: ClockProbe;
  private readonly startedAt = Date.now();

  constructor(source: MetricsSource) {
    const { network, core } = source;
    const timing: Timing = timingOf(network);
    const registers = [this.registry];
    const counters = core.counters;
    /** The servers in force other than this one, by directory id: what a change moves. */
    const peers = (): number[] => core.membership.ids.filter((id) => id !== core.self);

    const commitDuration = new Histogram({
      name: 'scryp_commit_duration_seconds',
      help: 'Time from the start of the period after k (when the beta proposes k) to the commit of k, for commits this server saw live',
      buckets: commit_duration_buckets_seconds,
      registers,
    });
    this.watch = new CommitWatch(core, timing, (seconds) => commitDuration.observe(seconds));
    this.probe = new ClockProbe(network, core, () => source.now());
    if (source.addressOf !== undefined) this.probe.addressOf = source.addressOf;
    const watch = this.watch;
    const probe = this.probe;

    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(value());
        },
      });

    new Gauge({
      name: 'scryp_build_info',
      help: 'Always 1; the version of this executable is in the label',
      labelNames: ['version'],
      registers,
    }).set({ version: packageJson.version }, 1);
    new Gauge({
      name: 'scryp_server_info',
      help: 'Always 1; which network (name, id) and which server of it this node is (its directory id: its index in the network file unless a change brought it in; -1 while it joins)',
      labelNames: ['network', 'network_id', 'server'],
      registers,
      collect() {
        this.reset();
        this.set({ network: network.name, network_id: toHex(network.id), server: String(core.self) }, 1);
      },
    });
    gauge('scryp_servers', 'Servers in force: the configuration that decides the next period (the network file\'s until a change takes effect)', () => core.membership.ids.length);
    gauge('scryp_majority', 'Servers of the configuration in force whose votes make a certificate (its quorum: more than half, or more than two thirds)', () => core.membership.quorum);
    gauge('scryp_period_seconds', 'The network file\'s period_ms, in seconds (for alert rules relative to it)', () => network.periodMs / 1000);
    gauge('scryp_blackout_seconds', 'The network file\'s blackout_ms, in seconds', () => network.blackoutMs / 1000);
    gauge('scryp_skew_seconds', 'The network file\'s skew_ms, in seconds: clocks that disagree by more refuse each other\'s payments and proposals', () => network.skewMs / 1000);
    gauge('scryp_current_period', 'The period this server\'s clock is in', () => core.info(source.now()).currentPeriod);
    gauge('scryp_committed_period', 'The last period this server committed', () => core.committed.period);
    counter('scryp_periods_committed_total', 'Periods this server committed since it started (live or replayed)', () => counters.get('committed') ?? 0);
    counter('scryp_periods_void_total', 'Periods skipped by a committed certificate since this server started: their payments never apply', () => watch.voidPeriods);
    counter('scryp_snapshots_installed_total', 'Snapshots of the ledger this server fetched from a peer and installed since it started', () => watch.snapshotsInstalled);
    gauge('scryp_available', '1 when this server answers clients (in sync, caught up, hearing a majority), 0 when it answers UNAVAILABLE; /healthz says why', () =>
      core.isAvailable(source.now()) ? 1 : 0,
    );
    new Gauge({
      name: 'scryp_peer_last_heard_periods',
      help: 'Periods since this server last heard from each peer (+Inf: never since it started); a healthy peer is heard every period',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        const info = core.info(source.now());
        for (const peer of peers()) {
          const heard = info.lastHeard[peer] ?? 0;
          this.set({ server: String(peer) }, heard === 0 ? Number.POSITIVE_INFINITY : Math.max(0, info.currentPeriod - heard));
        }
      },
    });
    gauge('scryp_peers_connected', 'Peers heard in this period or the last (a certificate needs scryp_majority servers, this one included)', () => {
      const info = core.info(source.now());
      return peers().filter((peer) => (info.lastHeard[peer] ?? 0) >= info.currentPeriod - 1).length;
    });
    new Counter({
      name: 'scryp_votes_missing_total',
      help: 'Periods committed live here for which no vote of that server (one of the configuration that decided them) reached this one before the next commit',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const id of core.membership.ids) this.inc({ server: String(id) }, 0);
        watch.votesMissing.forEach((missing, server) => this.inc({ server: String(server) }, missing));
      },
    });
    new Counter({
      name: 'scryp_payments_total',
      help: 'PAY requests answered, by the status of the answer (accepted, forwarded, bad_time, insufficient_funds, ...)',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        for (const [name, value] of counters) {
          // Over UDP or the HTTP gateway (client-requests.ts counts each edge on its own).
          const edge = name.startsWith('udp_reply_pay_') ? 'udp_reply_pay_' : name.startsWith('http_reply_pay_') ? 'http_reply_pay_' : null;
          if (edge !== null) this.inc({ result: name.slice(edge.length) }, value);
        }
      },
    });
    new Counter({
      name: 'scryp_gateway_requests_total',
      help: 'Requests the HTTP gateway answered (--http), by path (/v1/request, /v1/network, /v1/gateways, /v1/events, page, other) and HTTP status',
      labelNames: ['path', 'status'],
      registers,
      collect() {
        this.reset();
        for (const [name, value] of counters) {
          if (!name.startsWith(gateway_request_counter_prefix)) continue;
          const [path, status] = name.slice(gateway_request_counter_prefix.length).split(' ');
          this.inc({ path, status }, value);
        }
      },
    });
    new Counter({
      name: 'scryp_equivocations_total',
      help: 'Proofs this server holds that a server signed two conflicting messages (two votes, ballots or proposals for one period), by that server; kept on disk, so they survive a restart. `scryp evidence` prints them',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const id of core.membership.ids) this.inc({ server: String(id) }, 0);
        for (const evidence of core.evidence) {
          const offender = offenderOf(evidence);
          if (offender >= 0) this.inc({ server: String(offender) }, 1);
        }
      },
    });
    gauge('scryp_stopped', '1 when this server stopped taking part because it holds two conflicting certificates (a fork); /healthz says why', () => (core.halted === null ? 0 : 1));
    gauge('scryp_verify_queue', 'Payments waiting for a signature check; when full, PAY is answered RATE_LIMITED', () => source.verifyQueue());
    gauge('scryp_accounts', 'Accounts with a positive balance in the committed state', () => core.ledger.accountCount);
    gauge('scryp_catch_up_remaining_accounts', 'Accounts of a snapshot still to be received (0 when none is on its way)', () => core.catchUp.snapshotAccountsLeft);
    new Counter({
      name: 'scryp_udp_datagrams_total',
      help: 'Datagrams on the client port: in (every request, even refused) and out (replies sent)',
      labelNames: ['direction'],
      registers,
      collect() {
        this.reset();
        this.inc({ direction: 'in' }, counters.get('udp_in') ?? 0);
        this.inc({ direction: 'out' }, Math.max(0, sumWithPrefix(counters, 'udp_answered_') - (counters.get('udp_send_failed') ?? 0)));
      },
    });
    new Counter({
      name: 'scryp_tcp_bytes_total',
      help: 'Bytes between servers: in (read from peers) and out (written to peers)',
      labelNames: ['direction'],
      registers,
      collect() {
        this.reset();
        this.inc({ direction: 'in' }, counters.get('tcp_in_bytes') ?? 0);
        this.inc({ direction: 'out' }, counters.get('tcp_out_bytes') ?? 0);
      },
    });
    new Gauge({
      name: 'scryp_clock_offset_seconds',
      help: 'How far this server\'s clock is ahead of each peer\'s (negative: behind), from the peer\'s signed INFO time and the round trip; absent when not measured recently',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        const now = source.now();
        for (const peer of peers()) {
          const offset = probe.offsetOf(peer, now);
          if (offset !== null) this.set({ server: String(peer) }, offset / 1000);
        }
      },
    });
    gauge('scryp_ledger_bytes', 'Size of DIR/ledger.sqlite and its write-ahead log on disk', () => fileSize(source.ledgerPath) + fileSize(`${source.ledgerPath}-wal`));
    new Counter({
      name: 'scryp_node_events_total',
      help: 'Every event the node counts, by its internal name (refusals by code, peer messages, catch-up steps): for diagnosis; names may change between versions',
      labelNames: ['event'],
      registers,
      collect() {
        this.reset();
        for (const [name, value] of counters) this.inc({ event: name }, value);
      },
    });
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes', () => process.memoryUsage.rss());
    gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds', () => Math.floor(this.startedAt / 1000));
  }

  /** After every core call (a few comparisons; real work once a period). */
  afterCore(now: number): void {
    this.watch.observe(now);
  }

  /** Votes that reached us from peers: in VOTE messages, or carried by STATUS. */
  onPeerMessages(messages: readonly PeerMessage[]): void {
    for (const message of messages) {
      if ((message.type === 'vote' || message.type === 'status') && message.vote !== null) this.watch.sawVote(message.vote.voter, message.vote.period);
    }
  }

  /** The text Prometheus scrapes. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

// ---- the HTTP edge --------------------------------------------------------------------------

/**
 * Serves /metrics and /healthz (GET or HEAD) on `address`. /healthz answers 200 with
 * "available: ..." or 503 with the reason, one line of text, for people and probes alike.
 */
export function serveMetrics(address: MetricsAddress, metrics: NodeMetrics, health: () => Availability): Server<undefined> {
  try {
    return Bun.serve({
      hostname: address.host,
      port: address.port,
      async fetch(request) {
        if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('only GET and HEAD\n', { status: 405, headers: { allow: 'GET, HEAD' } });
        const path = new URL(request.url).pathname;
        if (path === '/metrics') return new Response(await metrics.render(), { headers: { 'content-type': metrics.contentType } });
        if (path === '/healthz') {
          const { available, reason } = health();
          return new Response(`${reason}\n`, { status: available ? 200 : 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
        }
        if (path === '/') return new Response('scryp node: /metrics (Prometheus text), /healthz (200 when available, 503 and why when not)\n');
        return new Response('not found: /metrics or /healthz\n', { status: 404 });
      },
    });
  } catch (error) {
    throw new ScrypError('BAD_ADDRESS', `cannot serve metrics on ${address.host}:${address.port}: ${(error as Error).message}`);
  }
}
