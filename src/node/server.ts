// A running scryp server: the I/O shell around ServerCore. One port serves both
// protocols: UDP for clients (Bun.udpSocket) and TCP for servers (Bun.listen). Timers
// call the core at period boundaries; its outbox is packed into signed batches.

import type { udp } from 'bun';
import { join } from 'node:path';
import {
  collect_after_frame_bytes,
  client_burst_requests,
  client_requests_per_second,
  client_sources_tracked_max,
  log_repeat_ms,
  rate_limited_notice_ms,
  stats_interval_ms,
  whoami_attempts,
  whoami_retry_ms_min,
  whoami_rounds_max,
  whoami_timeout_ms,
} from '../constants.ts';
import { toHex } from '../bytes.ts';
import { isScrypError, ScrypError } from '../errors.ts';
import { type Address, formatAddress, plainIPv4 } from '../ip.ts';
import { LogLimiter, logger, type Logger } from '../log.ts';
import { type Network, networkToJson, serverIndexOf } from '../network.ts';
import { loadOrCreateSeed } from '../seed.ts';
import { signerFromSeed, verify, type Signer } from '../signature.ts';
import { decodeMessage, encodeMessage, messageKindName } from '../peer/messages.ts';
import type { Frame } from '../peer/framing.ts';
import { PeerTransport } from '../peer/transport.ts';
import { Kind, Status } from '../client/codec.ts';
import { UdpClient } from '../client/udp-client.ts';
import { LedgerState } from '../ledger/state.ts';
import { SqliteStore } from '../ledger/sqlite-store.ts';
import { RateLimiter } from './rate-limit.ts';
import { ClientRequests } from './client-requests.ts';
import { Gateway, type GatewayConfig } from './gateway.ts';
import { EventStreams } from './events.ts';
import { gatewayRecordToJson } from '../gateway-record.ts';
import { ServerCore } from './core.ts';
import { exit_code } from '../exit-codes.ts';
import { routeOutbox } from './outbox.ts';
import { Verifier } from './verifier.ts';
import type { Availability } from './availability.ts';
import { type MetricsAddress, NodeMetrics, serveMetrics } from './metrics.ts';
import { ledger_file_name } from '../ledger/sqlite-store.ts';

export interface NodeOptions {
  readonly network: Network;
  readonly dir: string;
  /** Listen port; defaults to the port the network file gives this server. */
  readonly port?: number;
  /** Listen address; defaults to the address the network file gives this server. */
  readonly hostname?: string;
  /** Added to the system clock: for fault tests of clock skew only. */
  readonly clockOffsetMs?: number;
  /** The clock itself (default Date.now): for tests that need replies signed at a fixed time. */
  readonly clock?: () => number;
  readonly syncGraceMs?: number;
  readonly syncTimeoutMs?: number;
  readonly statsIntervalMs?: number;
  /** Requests per second allowed from one source address (default client_requests_per_second). */
  readonly clientRequestsPerSecond?: number;
  /** Threads that check payment signatures (default: one per spare core; 0 checks inline). */
  readonly verifyWorkers?: number;
  /** An inbound peer connection silent this long is closed (default connection_idle_ms). */
  readonly peerIdleMs?: number;
  /** A batch must arrive whole within this long of its first byte (default frame_deadline_ms). */
  readonly frameDeadlineMs?: number;
  /** Opens an encrypted .seed (and encrypts one created at start); a plain one ignores it. */
  readonly passphrase?: string;
  /** Serve /metrics and /healthz here (off when absent). */
  readonly metrics?: MetricsAddress;
  /** Serve the HTTP gateway (PROTOCOL §6.12) here (off when absent). */
  readonly http?: GatewayConfig;
  /**
   * This server's address now, when it moved from the one in the network file (PROTOCOL
   * §3.10): a new signed address record is made when it differs from the newest one known,
   * and the server listens there unless `hostname`/`port` say otherwise.
   */
  readonly address?: Address;
}

export class ScrypNode {
  readonly network: Network;
  readonly core: ServerCore;
  readonly counters: Map<string, number>;
  private readonly signer: Signer;
  private readonly store: SqliteStore;
  private readonly transport: PeerTransport;
  private readonly udpSocket: udp.Socket<'uint8array'>;
  private readonly verifier: Verifier;
  private readonly log: Logger;
  private readonly udpLog: Logger;
  private readonly peerLog: Logger;
  private readonly clock: () => number;
  private readonly badInputLogs = new LogLimiter(log_repeat_ms);
  /** Every client request, by UDP or by the gateway, is answered here (client-requests.ts). */
  readonly clientRequests: ClientRequests;
  /** Bytes of batches built or received since the last forced collection (see collectIfDue). */
  private frameBytesSinceCollect = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  /** Ends the wait between two rounds of the WHOAMI check at start (set while it waits). */
  private wakeWhoami: (() => void) | null = null;
  /** With --metrics: what is watched as it happens, and the HTTP server that shows it. */
  private metrics: NodeMetrics | null = null;
  private metricsServer: ReturnType<typeof serveMetrics> | null = null;
  /** With --http: the HTTP gateway, and the event streams it serves (told of every commit). */
  private gateway: Gateway | null = null;
  private events: EventStreams | null = null;

  private constructor(
    options: NodeOptions,
    parts: { signer: Signer; store: SqliteStore; core: ServerCore; transport: PeerTransport; udp: udp.Socket<'uint8array'>; verifier: Verifier },
  ) {
    this.network = options.network;
    this.signer = parts.signer;
    this.store = parts.store;
    this.core = parts.core;
    this.counters = parts.core.counters;
    this.transport = parts.transport;
    this.udpSocket = parts.udp;
    this.verifier = parts.verifier;
    const clockOffsetMs = options.clockOffsetMs ?? 0;
    const clock = options.clock ?? Date.now;
    this.clock = () => clock() + clockOffsetMs;
    this.log = logger('node');
    this.udpLog = logger('udp');
    this.peerLog = logger('peer');
    const perSecond = options.clientRequestsPerSecond ?? client_requests_per_second;
    this.clientRequests = new ClientRequests({
      core: this.core,
      verifier: this.verifier,
      signer: this.signer,
      networkId: this.network.id,
      rateLimiter: new RateLimiter(perSecond, Math.max(client_burst_requests, 2 * perSecond), client_sources_tracked_max),
      rateNotices: new LogLimiter(rate_limited_notice_ms, client_sources_tracked_max),
      badInputLogs: this.badInputLogs,
      log: logger('clients'),
      now: () => this.now(),
      count: (name, by) => this.count(name, by),
      run: (work) => this.guard(work),
    });
  }

  static async start(options: NodeOptions): Promise<ScrypNode> {
    const network = options.network;
    const log = logger('node');
    const { seed, created } = loadOrCreateSeed(options.dir, undefined, options.passphrase);
    const signer = signerFromSeed(seed);
    if (created) log.info(`created ${options.dir}/.seed for key ${toHex(signer.publicKey)}`);
    // The network file's index, or -1: a server a configuration change adds (PROTOCOL §8.13)
    // starts from the genesis file and learns its place by catching up.
    const fileIndex = serverIndexOf(network, signer.publicKey);
    const now = (options.clock ?? Date.now)() + (options.clockOffsetMs ?? 0);
    const genesis = ServerCore.genesisFor(network);
    const genesisState = LedgerState.fromAccounts(network.genesis);
    let store: SqliteStore;
    try {
      store = new SqliteStore(options.dir, network.id, genesis, () => genesisState.entries());
    } catch (error) {
      if (!isStorageError(error)) throw error;
      throw new ScrypError('STORE_UNAVAILABLE', `cannot open the ledger in ${options.dir}: ${(error as Error).message}`);
    }
    // The directory remembers the network file it serves: commands given --dir alone act on it (ledger/served-network.ts).
    store.rememberNetwork(network);
    const core = new ServerCore({
      network,
      selfIndex: fileIndex,
      signer,
      store,
      verify,
      log: logger('consensus'),
      now,
      ...(options.syncGraceMs === undefined ? {} : { syncGraceMs: options.syncGraceMs }),
      ...(options.syncTimeoutMs === undefined ? {} : { syncTimeoutMs: options.syncTimeoutMs }),
    });
    // Moved (--address): a signed record of the new address, kept before anything is sent.
    if (options.address !== undefined) core.moveTo(options.address, now);
    // A public gateway (--http-public): a signed record of where it answers, likewise.
    if (options.http?.publicUrl !== undefined) core.publishGateway(options.http.publicUrl, now);
    const self = core.self;
    if (self < 0 && options.address === undefined && (options.hostname === undefined || options.port === undefined)) {
      store.close();
      throw new ScrypError(
        'BAD_NETWORK_FILE',
        `the key of ${options.dir}/.seed (${toHex(signer.publicKey)}) is not a server of network ${network.name}: a server that a change will add starts with --address HOST:PORT (where the change puts it), or --listen and --port`,
      );
    }
    if (self < 0) log.warn(`this server's key (${toHex(signer.publicKey).slice(0, 16)}…) is in no configuration it knows yet: it follows the network and takes part once a committed change names it (scryp network change --add)`);
    // Listen where this server is now: its newest address record's address, or the file's.
    const here = self >= 0 ? core.addressOf(self) : (options.address ?? { host: options.hostname!, port: options.port! });
    const hostname = options.hostname ?? here.host;
    const port = options.port ?? here.port;
    // The core and the edges count into one table.
    const count = (name: string, by = 1) => core.counters.set(name, (core.counters.get(name) ?? 0) + by);
    let node: ScrypNode | null = null;
    let transport: PeerTransport;
    let socket: udp.Socket<'uint8array'>;
    try {
      transport = new PeerTransport({
        network,
        selfIndex: () => core.self,
        serverIdOf: (key) => core.configurations.idOf(key),
        signer,
        hostname,
        port,
        log: logger('peer'),
        count,
        onFrame: (frame) => node?.onFrame(frame),
        ...(options.peerIdleMs === undefined ? {} : { idleMs: options.peerIdleMs }),
        ...(options.frameDeadlineMs === undefined ? {} : { frameDeadlineMs: options.frameDeadlineMs }),
      });
    } catch (error) {
      store.close();
      throw new ScrypError('BAD_ADDRESS', `cannot listen on TCP ${hostname}:${port}: ${(error as Error).message}`);
    }
    // Peers that moved before this start are dialled where their newest records put them.
    for (let i = 0; i < core.configurations.size; i++) {
      if (i === self) continue;
      if (i >= network.servers.length) transport.addServer(i, core.addressOf(i));
      else transport.moveLink(i, core.addressOf(i));
    }
    try {
      socket = await Bun.udpSocket({
        hostname,
        port,
        binaryType: 'uint8array',
        socket: {
          data: (s, data, remotePort, address) => node?.onDatagram(s, data, remotePort, address),
          // ICMP errors for replies to clients that went away: counted, never fatal.
          error: () => node?.count('udp_socket_errors'),
        },
      });
    } catch (error) {
      transport.stop();
      store.close();
      throw new ScrypError('BAD_ADDRESS', `cannot listen on UDP ${hostname}:${port}: ${(error as Error).message}`);
    }
    const verifier = new Verifier(network.id, options.verifyWorkers, (message) => log.error(message));
    node = new ScrypNode(options, { signer, store, core, transport, udp: socket, verifier });
    log.info(
      `server ${self} (${toHex(signer.publicKey).slice(0, 16)}…) of network ${network.name} listening on ${hostname}:${port} (UDP clients, TCP servers), period ${network.periodMs} ms, ${verifier.workers} signature thread(s)`,
    );
    try {
      if (options.metrics !== undefined) node.startMetrics(options.metrics, options.dir);
      if (options.http !== undefined) node.startGateway(options.http);
    } catch (error) {
      node.stop();
      throw error;
    }
    core.announce();
    core.announceAddress();
    node.afterCore();
    node.statsTimer = setInterval(() => node?.logStats(), options.statsIntervalMs ?? stats_interval_ms);
    void node.checkExternalAddress();
    return node;
  }

  now(): number {
    return this.clock();
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get port(): number {
    return this.transport.port;
  }

  // ---- the core's clock and outbox ------------------------------------------------------

  private afterCore(): void {
    if (this.stopped) return;
    this.metrics?.afterCore(this.now());
    this.events?.onCommitted();
    // A peer moved (an ADDRESS record was taken): dial it there before anything more is sent.
    for (const { server, address } of this.core.movedServers.splice(0)) this.transport.moveLink(server, address);
    // A committed change brought servers in: a link to each (PROTOCOL §8.13).
    for (let id = this.network.servers.length; id < this.core.configurations.size; id++) if (!this.transport.hasLink(id)) this.transport.addServer(id, this.core.addressOf(id));
    const outbox = this.core.outbox.splice(0);
    if (outbox.length > 0) {
      for (const [server, messages] of routeOutbox(outbox, this.core.addressees, encodeMessage)) {
        this.transport.send(server, messages);
        for (const message of messages) this.frameBytesSinceCollect += message.payload.length;
      }
      this.collectIfDue();
    }
    this.schedule();
  }

  /** This server's directory id (node/configurations.ts), or -1 while it joins. */
  get self(): number {
    return this.core.self;
  }

  /**
   * Large batches (snapshot pages, big proposals) are copied a few times on their way in
   * and out; that garbage is short-lived but large. Collecting after every few MiB of it
   * keeps the peak memory near the live data (a catch-up of 1M accounts: see BENCHMARKS).
   */
  private collectIfDue(): void {
    if (this.frameBytesSinceCollect < collect_after_frame_bytes) return;
    this.frameBytesSinceCollect = 0;
    Bun.gc(true);
  }

  private schedule(): void {
    const now = this.now();
    const at = this.core.nextWakeAt(now);
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.guard(() => this.core.tick(this.now()));
    }, at - now);
  }

  /**
   * Runs core work. Bad input is a ScrypError and was already handled where it arose; any
   * other exception is a broken invariant: log it and crash, as the style says. The
   * database is never left half-written (every write is one transaction).
   */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      if (isScrypError(error)) {
        this.count(`error_${error.code.toLowerCase()}`);
        this.log.warn(error.message);
      } else if (isStorageError(error)) {
        // Fail-stop: a server that cannot persist must not vote on. The database is as of
        // its last commit (every write is one transaction); peers bring it up to date later.
        this.log.error(
          `storage failed (${(error as { code?: string }).code ?? 'SQLite'}: ${(error as Error).message}); stopping. The ledger on disk is intact as of its last commit: restart once the disk is writable and has room.`,
        );
        process.exit(exit_code.storage);
      } else {
        this.log.error(`internal error, stopping: ${(error as Error).stack ?? String(error)}`);
        process.exit(exit_code.internal);
      }
    }
    this.afterCore();
  }

  // ---- servers --------------------------------------------------------------------------

  private onFrame(frame: Frame): void {
    // Decode every message first: one malformed message refuses the whole batch.
    const messages = frame.messages.map((raw) => decodeMessage(raw));
    this.metrics?.onPeerMessages(messages);
    this.frameBytesSinceCollect += frame.bytes;
    const now = this.now();
    this.guard(() => {
      for (const message of messages) this.core.onMessage(frame.senderIndex, message, now);
    });
    this.peerLog.debug(`batch from server ${frame.senderIndex}: ${frame.messages.map((m) => messageKindName[m.kind]).join(', ')}`);
  }

  // ---- clients --------------------------------------------------------------------------

  private onDatagram(socket: udp.Socket<'uint8array'>, data: Uint8Array, port: number, rawAddress: string): void {
    const address = plainIPv4(rawAddress);
    this.clientRequests.handle('udp', data, { host: address, port }, this.now(), (answer) => {
      if (answer.reply !== null) this.send(socket, answer.reply, port, address);
    });
  }

  /**
   * A client that went away makes the kernel report ICMP "port unreachable" on this
   * socket, and the *next* send throws it: a fact about some client, never a reason to
   * stop serving the others (found by the finality benchmark: a node died with it).
   */
  private send(socket: udp.Socket<'uint8array'>, reply: Uint8Array, port: number, address: string): void {
    try {
      if (!socket.send(reply, port, address)) this.count('udp_send_failed');
    } catch (error) {
      this.count('udp_send_failed');
      if (this.badInputLogs.allow(`send:${(error as { code?: string }).code ?? 'error'}`, this.now())) {
        this.udpLog.debug(`a reply could not be sent (${(error as Error).message}); a client went away`);
      }
    }
  }

  // ---- operations -------------------------------------------------------------------------

  /** Where the node stands for clients, and why it is unavailable when it is: what /healthz says (the core's one answer). */
  health(): Availability {
    return this.core.availability(this.now());
  }

  private startMetrics(address: MetricsAddress, dir: string): void {
    if (!address.loopback) {
      this.log.warn(`metrics on ${address.host}:${address.port} can be read by anyone who reaches that address: they name this server's peers and how it fares; allow only your Prometheus in a firewall`);
    }
    const metrics = new NodeMetrics({
      network: this.network,
      core: this.core,
      now: () => this.now(),
      verifyQueue: () => this.verifier.pendingPayments,
      ledgerPath: join(dir, ledger_file_name),
      addressOf: (server) => this.core.addressOf(server),
    });
    this.metricsServer = serveMetrics(address, metrics, () => this.health());
    this.metrics = metrics;
    metrics.probe.start();
    this.log.info(`metrics on http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${this.metricsServer.port}/metrics, health on /healthz`);
  }


  private startGateway(config: GatewayConfig): void {
    const networkJson = JSON.stringify(networkToJson(this.network));
    const store = this.store;
    const events = new EventStreams(
      {
        historyAfter: (account, after, limit) => store.historyAfter(account, after, limit),
        periodPayments: (period) => store.periodPayments(period),
        committedPeriod: () => this.core.committed.period,
        archiveFrom: () => this.core.catchUp.archiveFrom,
      },
      (name) => this.count(name),
    );
    this.events = events;
    this.gateway = Gateway.serve(config, {
      handle: (data, source, deliver) => this.clientRequests.handle('http', data, source, this.now(), deliver),
      events,
      admit: (source) => this.clientRequests.admit(source, this.now()),
      networkJson: () => networkJson,
      gatewaysJson: () => JSON.stringify(this.core.gatewayRecords().map(gatewayRecordToJson)),
      count: (name) => this.count(name),
      log: logger('gateway'),
    });
    if (!config.address.loopback) {
      this.log.warn(`the gateway on ${this.gateway.url} answers anyone who reaches that address${config.tls === undefined ? ', without TLS: browsers need HTTPS for an installed wallet and its camera; give --http-tls-cert/--http-tls-key, or put a reverse proxy with TLS in front (docs/OPERATIONS.md)' : ''}`);
    }
    this.log.info(`gateway on ${this.gateway.url} (POST /v1/request, GET /v1/network, GET /v1/gateways, GET /v1/events)`);
  }

  /** Where the HTTP gateway listens, or null without --http. */
  get gatewayUrl(): string | null {
    return this.gateway?.url ?? null;
  }

  /** Asks peers over UDP which address they see us at, and warns when it is not ours. */
  private async checkExternalAddress(): Promise<void> {
    if (this.self < 0) return; // joining: no address of ours is in force yet
    const own = this.core.addressOf(this.self);
    const retryMs = Math.max(whoami_retry_ms_min, this.network.periodMs);
    const client = await UdpClient.open();
    try {
      // Peers usually start together (a devnet, a restart of all): ask every round until one is up.
      for (let round = 0; round < whoami_rounds_max && !this.stopped; round++) {
        // The servers in force (a change may have replaced the network file's).
        for (const index of this.core.membership.ids) {
          const key = this.core.configurations.keyOf(index);
          if (index === this.self || this.stopped || key === undefined) continue;
          try {
            const reply = await client.ask(this.core.addressOf(index), { kind: Kind.WHOAMI }, { networkId: this.network.id, serverKey: key, attempts: whoami_attempts, timeoutMs: whoami_timeout_ms });
            if (reply.status !== Status.OK || reply.body === null || !('address' in reply.body)) continue;
            const seen = reply.body.address;
            const seenHost = `${seen[0]}.${seen[1]}.${seen[2]}.${seen[3]}`;
            if (seenHost !== own.host) {
              this.log.warn(`server ${index} sees us at ${seenHost}, but ${this.core.addressRecordOf(this.self) === null ? 'the network file says' : 'our newest address record says'} ${formatAddress(own)}: check the ip of this server`);
            } else {
              this.log.info(`server ${index} sees us at ${seenHost}, as ${this.core.addressRecordOf(this.self) === null ? 'the network file says' : 'our newest address record says'}`);
            }
            return;
          } catch {
            // that peer is not up: try the next
          }
        }
        if (round === 0 && this.core.membership.ids.length > 1) this.log.info(`no peer answered WHOAMI yet; asking again every ${retryMs} ms`);
        // A wait that stop() cuts short, so a stopping node does not linger for it.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          this.wakeWhoami = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeWhoami = null;
      }
      if (!this.stopped && this.core.membership.ids.length > 1) this.log.warn('no peer answered WHOAMI; the external address is unchecked');
    } finally {
      client.close();
    }
  }


  private lastStats = '';
  private logStats(): void {
    const wanted = ['udp_in', 'pay_accepted', 'pay_forwarded', 'committed', 'period_void', 'tcp_in_batches', 'tcp_out_failures'];
    const line = wanted.map((name) => `${name}=${this.counters.get(name) ?? 0}`).join(' ');
    if (line !== this.lastStats) this.log.info(`stats: committed period ${this.core.committed.period}, ${line}`);
    this.lastStats = line;
  }

  /** Stops serving: sockets closed, timers cleared, database closed; the counters go to the log. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.log.info(`counters ${JSON.stringify(Object.fromEntries([...this.counters].sort(([a], [b]) => a.localeCompare(b))))}`);
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.wakeWhoami?.();
    this.metrics?.probe.stop();
    void this.metricsServer?.stop(true);
    this.gateway?.stop();
    this.transport.stop();
    this.verifier.close();
    this.udpSocket.close();
    this.store.close();
    this.log.info('stopped');
  }
}

/** SQLite's own failures (read-only or full disk, I/O errors), as opposed to bugs. */
export function isStorageError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === 'SQLiteError' || (typeof code === 'string' && code.startsWith('SQLITE_'));
}
