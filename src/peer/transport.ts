// Batches between servers over TCP: the I/O edge around framing.ts.
//
// Connections are one-way. Each server dials every peer it has something to send to and
// only writes on that connection; it only reads on connections others dialled in. So a
// slow or dead peer fills its own outbound queue and nothing else: `send` never blocks,
// writes resume on `drain`, a dropped connection is re-dialled with backoff, and a queue
// over its limit drops its oldest batches (the protocol repeats what matters).
//
// Inbound, before acting on anything, the decoder checks magic, version, network id,
// sender and declared length (before buffering the body), then the signature. A bad
// batch closes that connection only, is logged once with its reason and counted.

import type { Socket, TCPSocketListener } from 'bun';
import {
  connect_timeout_ms_min,
  log_repeat_ms,
  peer_silence_ms_min,
  sweep_interval_ms_max,
  sweep_interval_ms_min,
  connect_timeout_ms,
  connection_idle_ms,
  frame_deadline_ms,
  inbound_connections_max,
  inbound_connections_per_address_max,
  messages_per_batch_max,
  outbound_batch_bytes_max,
  outbound_queue_bytes_max,
  reconnect_delay_ms_max,
  reconnect_delay_ms_min,
} from '../constants.ts';
import { ScrypError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { LogLimiter } from '../log.ts';
import type { Network } from '../network.ts';
import { serverIndexOf } from '../network.ts';
import { plainIPv4 } from '../ip.ts';
import type { Signer } from '../signature.ts';
import { verify } from '../signature.ts';
import { encodeFrame, type Frame, FrameDecoder, frameBytes, type RawMessage } from './framing.ts';
import { isKnownKind } from './messages.ts';

export interface TransportOptions {
  readonly network: Network;
  /** This server's id in the directory of servers (node/configurations.ts), or -1 while it joins. */
  readonly selfIndex: number | (() => number);
  /**
   * The directory id of a sender key, or -1 when no configuration this server knows names it
   * (FRAME_SENDER). Default: the network file's index (a network whose servers never changed).
   */
  readonly serverIdOf?: (key: Uint8Array) => number;
  readonly signer: Signer;
  readonly hostname: string;
  readonly port: number;
  readonly log: Logger;
  readonly count: (name: string, by?: number) => void;
  /** Called for each authenticated batch. Throw a ScrypError to refuse it (closes the connection). */
  readonly onFrame: (frame: Frame) => void;
  readonly idleMs?: number;
  readonly frameDeadlineMs?: number;
}

interface Inbound {
  readonly decoder: FrameDecoder;
  readonly address: string;
  lastDataAt: number;
  frameStartedAt: number | null;
  closed: boolean;
}

/** Splits messages into batches within the per-batch limits. */
export function packBatches(messages: readonly RawMessage[]): RawMessage[][] {
  const batches: RawMessage[][] = [];
  let current: RawMessage[] = [];
  let bytes = frameBytes([]);
  for (const message of messages) {
    const size = frameBytes([message.payload.length]) - frameBytes([]);
    if (current.length > 0 && (bytes + size > outbound_batch_bytes_max || current.length === messages_per_batch_max)) {
      batches.push(current);
      current = [];
      bytes = frameBytes([]);
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

class OutboundLink {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private headOffset = 0;
  private socket: Socket<undefined> | null = null;
  private connecting = false;
  private delayMs = reconnect_delay_ms_min;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private failuresLogged = 0;
  /** When the current connection opened (0: none). */
  private connectedAt = 0;
  /** Numbers connect attempts; a move makes the one in flight stale. */
  private attempt = 0;

  constructor(
    private readonly peer: number,
    private hostname: string,
    private port: number,
    private readonly transport: PeerTransport,
    /** Reconnect backoff never grows past this: a peer back from a cut is reached within a period. */
    private readonly delayMaxMs: number,
  ) {}

  enqueue(frame: Uint8Array): void {
    if (this.stopped) return;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    // Over the limit: drop the oldest whole batches, never the one being written.
    while (this.queuedBytes > outbound_queue_bytes_max && this.queue.length > 1) {
      const dropIndex = this.headOffset > 0 ? 1 : 0;
      const [dropped] = this.queue.splice(dropIndex, 1);
      this.queuedBytes -= dropped!.length;
      this.transport.count('tcp_out_dropped_batches');
    }
    this.pump();
  }

  private pump(): void {
    if (this.socket === null) {
      this.connect();
      return;
    }
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      // Offset and length both: with the offset alone Bun takes the length as the whole
      // array's, and throws once a batch was partly written (found by test/transport.test.ts).
      const written = this.socket.write(head, this.headOffset, head.length - this.headOffset);
      if (written < 0) return; // closing; the close handler re-dials
      this.transport.count('tcp_out_bytes', written);
      this.headOffset += written;
      if (this.headOffset < head.length) return; // the kernel buffer is full: wait for drain
      this.queue.shift();
      this.queuedBytes -= head.length;
      this.headOffset = 0;
      this.transport.count('tcp_out_batches');
    }
  }

  private connect(): void {
    if (this.connecting || this.retryTimer !== null || this.stopped || this.queue.length === 0) return;
    this.connecting = true;
    // A move (moveTo) abandons an attempt in flight to the old address: it must not become our connection.
    const attempt = ++this.attempt;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      if (attempt !== this.attempt) return;
      this.connecting = false;
      this.failed(`connect timed out after ${this.transport.connectTimeoutMs} ms`);
    }, this.transport.connectTimeoutMs);
    Bun.connect({
      hostname: this.hostname,
      port: this.port,
      socket: {
        open: (socket) => {
          if (settled || this.stopped || attempt !== this.attempt) {
            socket.terminate();
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.connecting = false;
          socket.setNoDelay(true);
          this.socket = socket;
          this.connectedAt = Date.now();
          this.delayMs = reconnect_delay_ms_min;
          this.failuresLogged = 0;
          this.headOffset = 0; // a batch cut by the last connection is resent whole
          this.transport.log.debug(`peer ${this.peer}: connected`);
          this.pump();
        },
        drain: () => this.pump(),
        data: (socket) => {
          // Outbound connections are write-only; a peer that talks back is misbehaving.
          this.transport.count('tcp_out_unexpected_data');
          socket.terminate();
        },
        close: (socket) => {
          if (this.socket === socket) {
            this.socket = null;
            if (!this.stopped) this.failed('connection closed');
          }
        },
        error: () => {},
        connectError: () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (attempt !== this.attempt) return;
          this.connecting = false;
          this.failed('connection refused');
        },
      },
    }).catch(() => {});
  }

  private failed(reason: string): void {
    this.transport.count('tcp_out_failures');
    this.transport.log.debug(`peer ${this.peer}: ${reason}; next attempt in ${this.delayMs} ms`);
    if (this.failuresLogged++ === 0) this.transport.log.warn(`peer ${this.peer} at ${this.hostname}:${this.port}: ${reason}; retrying with backoff`);
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, this.delayMs);
    this.delayMs = Math.min(this.delayMaxMs, this.delayMs * 2);
  }

  get backlogBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Drops the connection (if any) and dials again now. A cut link closes nothing: TCP
   * keeps resending into the old connection, waiting longer each time (seconds, up to two
   * minutes), and nothing we write moves until that timer fires. A fresh connection moves
   * at once (found by the fault suite: rejoining after a 4 s cut took 3 s).
   */
  redial(why: string): void {
    if (this.stopped) return;
    const old = this.socket;
    this.socket = null; // detached: its close event is no longer ours
    this.connectedAt = 0;
    this.headOffset = 0;
    old?.terminate();
    this.transport.count('tcp_out_redials');
    this.transport.log.debug(`peer ${this.peer}: ${why}; dialling again`);
    this.kick();
    this.connect();
  }

  /**
   * The peer is at another address now (a signed address record, PROTOCOL §3.10): the old
   * connection is closed, and the next dial goes to the new address, at once when there is
   * something to send. A batch cut on the old connection is resent whole on the new one.
   */
  moveTo(hostname: string, port: number): boolean {
    if (this.hostname === hostname && this.port === port) return false;
    this.hostname = hostname;
    this.port = port;
    this.failuresLogged = 0;
    this.attempt++; // an attempt in flight dials the old address: forget it
    this.connecting = false;
    this.redial(`moved to ${hostname}:${port}`);
    return true;
  }

  /** Where this link dials. */
  get address(): { host: string; port: number } {
    return { host: this.hostname, port: this.port };
  }

  /** True while a connection is open and has been for at least `ms`. */
  connectedLongerThan(ms: number, now: number): boolean {
    return this.socket !== null && this.connectedAt > 0 && now - this.connectedAt > ms;
  }

  /** The peer just proved it is up (it sent us a batch): stop waiting out the backoff. */
  kick(): void {
    this.delayMs = reconnect_delay_ms_min;
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.socket?.end();
    this.socket = null;
  }
}

export class PeerTransport {
  readonly log: Logger;
  readonly count: (name: string, by?: number) => void;
  private readonly links: (OutboundLink | null)[];
  private readonly listener: TCPSocketListener<Inbound | undefined>;
  private readonly inbound = new Set<Socket<Inbound | undefined>>();
  private readonly perAddress = new Map<string, number>();
  /** How many servers of the network live at each address. */
  private readonly serversAt = new Map<string, number>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly logLimiter = new LogLimiter(log_repeat_ms);
  private readonly idleMs: number;
  private readonly frameDeadlineMs: number;
  /** A peer silent this long (two periods: it sends a STATUS every period) may sit behind a cut link. */
  private readonly silenceMs: number;
  /** When an authenticated batch last came from each server (0: never). */
  private readonly lastHeardAt: number[];
  private readonly delayMax: number;
  readonly connectTimeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    this.log = options.log;
    this.count = options.count;
    // Peers send at least a STATUS every period: idle means several periods of silence.
    this.idleMs = options.idleMs ?? Math.max(connection_idle_ms, 3 * options.network.periodMs);
    this.frameDeadlineMs = options.frameDeadlineMs ?? frame_deadline_ms;
    for (const server of options.network.servers) this.serversAt.set(server.address.host, (this.serversAt.get(server.address.host) ?? 0) + 1);
    this.silenceMs = Math.max(peer_silence_ms_min, 2 * options.network.periodMs);
    const delayMax = Math.max(reconnect_delay_ms_min, Math.min(reconnect_delay_ms_max, options.network.periodMs));
    // A connect attempt gives up within a period: a SYN lost to a cut is retried by a new attempt soon, not by TCP's slower backoff.
    this.connectTimeoutMs = Math.max(connect_timeout_ms_min, Math.min(connect_timeout_ms, options.network.periodMs));
    this.delayMax = delayMax;
    this.lastHeardAt = options.network.servers.map(() => 0);
    this.links = options.network.servers.map((server, i) =>
      i === this.self ? null : new OutboundLink(i, server.address.host, server.address.port, this, delayMax),
    );
    this.listener = Bun.listen<Inbound | undefined>({
      hostname: options.hostname,
      port: options.port,
      exclusive: true,
      data: undefined,
      socket: {
        open: (socket) => this.onOpen(socket),
        data: (socket, chunk) => this.onData(socket, chunk),
        close: (socket) => this.onClose(socket),
        error: (socket, error) => {
          this.count('tcp_in_errors');
          this.log.debug(`inbound connection from ${socket.remoteAddress}: ${error.message}`);
        },
      },
    });
    // Sweep often enough for the limits in force (tests shorten them to a fraction of a second).
    this.sweeper = setInterval(
      () => this.sweep(Date.now()),
      Math.max(sweep_interval_ms_min, Math.min(sweep_interval_ms_max, Math.floor(Math.min(this.idleMs, this.frameDeadlineMs, this.silenceMs) / 4))),
    );
  }

  get port(): number {
    return this.listener.port;
  }

  /** Delivers messages to one server, in as few signed batches as the limits allow. */
  send(server: number, messages: readonly RawMessage[]): void {
    const link = this.links[server];
    if (link === null || link === undefined || messages.length === 0) return;
    for (const batch of packBatches(messages)) link.enqueue(encodeFrame(batch, this.options.network.id, this.options.signer));
  }

  sendAll(messages: readonly RawMessage[]): void {
    for (let i = 0; i < this.links.length; i++) if (i !== this.self) this.send(i, messages);
  }

  private get self(): number {
    const self = this.options.selfIndex;
    return typeof self === 'number' ? self : self();
  }

  /** Whether the transport dials server `server` (itself never). */
  hasLink(server: number): boolean {
    return server === this.self || (this.links[server] ?? null) !== null;
  }

  /** How many servers the transport has a place for (the directory's size). */
  get servers(): number {
    return this.links.length;
  }

  /**
   * A server a configuration change brought in (directory id `server`): dialled at `address`
   * from now on, and allowed its own inbound connection from that address (PROTOCOL §8.13).
   */
  addServer(server: number, address: { host: string; port: number }): void {
    while (this.links.length <= server) {
      this.links.push(null);
      this.lastHeardAt.push(0);
    }
    if (this.links[server] !== null || server === this.self) return;
    this.links[server] = new OutboundLink(server, address.host, address.port, this, this.delayMax);
    this.serversAt.set(address.host, (this.serversAt.get(address.host) ?? 0) + 1);
    this.log.info(`peer ${server}: a new server of the network, dialled at ${address.host}:${address.port}`);
  }

  /**
   * Dials server `server` at `address` from now on (it moved: PROTOCOL §3.10), closing the
   * connection to its old address. The inbound allowance follows it to its new IP.
   */
  moveLink(server: number, address: { host: string; port: number }): void {
    const link = this.links[server];
    if (link === null || link === undefined) return;
    const old = link.address.host;
    if (!link.moveTo(address.host, address.port)) return;
    this.count('tcp_out_moved');
    this.log.info(`peer ${server}: dialling it at ${address.host}:${address.port} from now on`);
    if (old !== address.host) {
      const left = (this.serversAt.get(old) ?? 1) - 1;
      if (left <= 0) this.serversAt.delete(old);
      else this.serversAt.set(old, left);
      this.serversAt.set(address.host, (this.serversAt.get(address.host) ?? 0) + 1);
    }
  }

  /** Where the transport dials server `server` (undefined for itself). */
  linkAddress(server: number): { host: string; port: number } | undefined {
    return this.links[server]?.address;
  }

  backlogBytes(server: number): number {
    return this.links[server]?.backlogBytes ?? 0;
  }

  get inboundConnections(): number {
    return this.inbound.size;
  }

  private onOpen(socket: Socket<Inbound | undefined>): void {
    const address = plainIPv4(socket.remoteAddress);
    const fromAddress = this.perAddress.get(address) ?? 0;
    // Each server the network file places at this address may hold a connection of its own
    // on top of the anonymous allowance (several servers can share an address: a devnet).
    const allowance = inbound_connections_per_address_max + (this.serversAt.get(address) ?? 0);
    if (this.inbound.size >= inbound_connections_max || fromAddress >= allowance) {
      this.count('tcp_in_refused_limit');
      if (this.logLimiter.allow(`limit:${address}`, Date.now())) this.log.warn(`refused a connection from ${address}: connection limit reached`);
      socket.terminate();
      return;
    }
    this.perAddress.set(address, fromAddress + 1);
    this.inbound.add(socket);
    const network = this.options.network;
    socket.data = {
      decoder: new FrameDecoder({
        networkId: network.id,
        senderIndex: (key) => {
          const index = this.options.serverIdOf === undefined ? serverIndexOf(network, key) : this.options.serverIdOf(key);
          return index === this.self ? -1 : index;
        },
        isKnownKind,
        verify,
      }),
      address,
      lastDataAt: Date.now(),
      frameStartedAt: null,
      closed: false,
    };
    this.count('tcp_in_connections');
  }

  private onData(socket: Socket<Inbound | undefined>, chunk: Uint8Array): void {
    const state = socket.data;
    if (state === undefined || state.closed) return;
    const now = Date.now();
    state.lastDataAt = now;
    this.count('tcp_in_bytes', chunk.length);
    const frames = state.decoder.push(chunk);
    for (const frame of frames) {
      this.count('tcp_in_batches');
      while (this.links.length <= frame.senderIndex) {
        // A server this one learned of a moment ago (a committed change): its link comes with the node's next turn.
        this.links.push(null);
        this.lastHeardAt.push(0);
      }
      const heardBefore = this.lastHeardAt[frame.senderIndex]!;
      this.lastHeardAt[frame.senderIndex] = now;
      const link = this.links[frame.senderIndex];
      // Heard again after a silence: our connection to it may be stuck behind the cut that
      // caused the silence. A new one costs a round trip; the stuck one can cost minutes.
      if (heardBefore > 0 && now - heardBefore > this.silenceMs && link?.connectedLongerThan(this.silenceMs, now)) link.redial('heard again after a silence');
      else link?.kick();
      try {
        this.options.onFrame(frame);
      } catch (error) {
        if (!(error instanceof ScrypError)) throw error;
        state.decoder.abort(error);
        break;
      }
    }
    if (state.decoder.error !== null) return this.refuse(socket, state, state.decoder.error);
    // The deadline runs from the first byte of the batch in progress.
    if (!state.decoder.inFrame) state.frameStartedAt = null;
    else if (frames.length > 0 || state.frameStartedAt === null) state.frameStartedAt = now;
  }

  private refuse(socket: Socket<Inbound | undefined>, state: Inbound, error: ScrypError): void {
    state.closed = true;
    this.count(`tcp_in_refused_${error.code.toLowerCase()}`);
    if (this.logLimiter.allow(`${state.address}:${error.code}`, Date.now())) {
      this.log.warn(`closed a connection from ${state.address}: ${error.message}`);
    }
    socket.terminate();
  }

  private onClose(socket: Socket<Inbound | undefined>): void {
    if (!this.inbound.delete(socket)) return;
    const address = socket.data?.address;
    if (address !== undefined) {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    }
  }

  /** Closes connections that went silent, or that started a batch and never finished it. */
  private sweep(now: number): void {
    // A connection to a peer we have not heard from in a while is suspect: dial afresh
    // (at most once per silence period), so a healed link is used as soon as it works.
    for (let i = 0; i < this.links.length; i++) {
      const link = this.links[i];
      if (link === null || link === undefined || now - this.lastHeardAt[i]! <= this.silenceMs) continue;
      if (link.connectedLongerThan(this.silenceMs, now)) link.redial('no word from it for a while');
    }
    for (const socket of this.inbound) {
      const state = socket.data;
      if (state === undefined || state.closed) continue;
      if (now - state.lastDataAt > this.idleMs) {
        this.refuse(socket, state, new ScrypError('FRAME_IDLE', `no data for ${this.idleMs} ms`));
      } else if (state.frameStartedAt !== null && now - state.frameStartedAt > this.frameDeadlineMs) {
        this.refuse(socket, state, new ScrypError('FRAME_DEADLINE', `a batch took over ${this.frameDeadlineMs} ms`));
      }
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const link of this.links) link?.stop();
    for (const socket of this.inbound) socket.terminate();
    this.listener.stop(true);
  }
}
