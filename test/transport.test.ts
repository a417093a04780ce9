// src/peer/transport.ts over real loopback sockets: the I/O edge around the framing decoder.
// Outbound: a slow or dead peer fills only its own queue, partial writes resume on drain,
// the queue is bounded by dropping its oldest whole batches. Inbound: the per-address and
// total connection limits, the idle timeout and the frame deadline (docs/PROTOCOL.md §7.1,
// §7.4). Every socket and transport a test opens is closed in afterEach.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Socket, TCPSocketListener } from 'bun';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { toHex } from '../src/bytes.ts';
import {
  frame_header_bytes,
  inbound_connections_max,
  inbound_connections_per_address_max,
  outbound_queue_bytes_max,
} from '../src/constants.ts';
import type { Logger } from '../src/log.ts';
import { parseNetwork, serverIndexOf, type Network } from '../src/network.ts';
import { encodeFrame, type Frame, FrameDecoder, type RawMessage } from '../src/peer/framing.ts';
import { isKnownKind, MessageKind } from '../src/peer/messages.ts';
import { packBatches, PeerTransport, type TransportOptions } from '../src/peer/transport.ts';
import { type Signer, verify } from '../src/signature.ts';
import { testSigner } from './helpers/keys.ts';
import { freePorts } from './helpers/processes.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const MiB = 1024 * 1024;
const host = '127.0.0.1';

// ---- resources, all released after each test --------------------------------------------

const transports: PeerTransport[] = [];
const listeners: TCPSocketListener<unknown>[] = [];
const clients: net.Socket[] = [];
const timers: ReturnType<typeof setTimeout>[] = [];

afterEach(() => {
  for (const timer of timers.splice(0)) clearTimeout(timer);
  for (const transport of transports.splice(0)) transport.stop();
  for (const client of clients.splice(0)) client.destroy();
  for (const listener of listeners.splice(0)) listener.stop(true);
});

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {} };

function counter(): { count: (name: string, by?: number) => void; get: (name: string) => number; all: Map<string, number> } {
  const all = new Map<string, number>();
  return { count: (name, by = 1) => void all.set(name, (all.get(name) ?? 0) + by), get: (name) => all.get(name) ?? 0, all };
}

async function until(check: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await Bun.sleep(everyMs);
  }
  return check();
}

/**
 * Every server on 127.0.0.1 at a free port. The period is long by default so the
 * silence re-dial (max(1 s, 2 periods) without hearing from a peer) never fires mid-test.
 */
async function loopbackNetwork(count: number, periodMs = 10_000): Promise<{ network: Network; signers: Signer[]; ports: number[] }> {
  const ports = await freePorts(count);
  const signers = Array.from({ length: count }, (_, i) => testSigner(`server ${i}`));
  const network = parseNetwork({
    name: 'transport-test',
    period_ms: periodMs,
    blackout_ms: Math.floor(periodMs / 10),
    skew_ms: Math.floor(periodMs / 2),
    servers: signers.map((signer, i) => ({ key: toHex(signer.publicKey), ip: `${host}:${ports[i]}` })),
    genesis: [{ account: toHex(testSigner('wallet genesis').publicKey), balance: 1_000_000 }],
  });
  return { network, signers, ports };
}

function startTransport(
  network: Network,
  signers: Signer[],
  ports: number[],
  self: number,
  extra: { onFrame?: (frame: Frame) => void; count?: (name: string, by?: number) => void; idleMs?: number; frameDeadlineMs?: number } = {},
): PeerTransport {
  const options: TransportOptions = {
    network,
    selfIndex: self,
    signer: signers[self]!,
    hostname: host,
    port: ports[self]!,
    log: silent,
    count: extra.count ?? (() => {}),
    onFrame: extra.onFrame ?? (() => {}),
    ...(extra.idleMs === undefined ? {} : { idleMs: extra.idleMs }),
    ...(extra.frameDeadlineMs === undefined ? {} : { frameDeadlineMs: extra.frameDeadlineMs }),
  };
  const transport = new PeerTransport(options);
  transports.push(transport);
  return transport;
}

function decoderFor(network: Network): FrameDecoder {
  return new FrameDecoder({ networkId: network.id, senderIndex: (key) => serverIndexOf(network, key), isKnownKind, verify });
}

interface RawConnection {
  readonly socket: Socket<undefined>;
  readonly chunks: Uint8Array[];
  bytes: number;
}

/**
 * A raw peer at `port`: accepts, and either reads (`onChunk`) or, with `paused`, never reads
 * so the kernel buffers fill and the sender sees partial writes.
 */
function rawListener(port: number, options: { paused: boolean; keep?: boolean; onChunk?: (connection: RawConnection, chunk: Uint8Array) => void }) {
  const connections: RawConnection[] = [];
  const byConnection = new Map<Socket<undefined>, RawConnection>();
  const listener = Bun.listen<undefined>({
    hostname: host,
    port,
    exclusive: true,
    socket: {
      open(socket) {
        if (options.paused) socket.pause();
        const connection: RawConnection = { socket, chunks: [], bytes: 0 };
        connections.push(connection);
        byConnection.set(socket, connection);
      },
      data(socket, chunk) {
        const connection = byConnection.get(socket)!;
        connection.bytes += chunk.length;
        const copy = new Uint8Array(chunk); // a copy: the chunk's buffer is not ours to keep
        if (options.keep === true) connection.chunks.push(copy);
        options.onChunk?.(connection, copy);
      },
      close() {},
      error() {},
    },
  });
  listeners.push(listener as TCPSocketListener<unknown>);
  return { listener, connections };
}

/** A message whose payload starts with its index (u32), then random bytes. */
function indexedMessage(index: number, bytes: number, kind: number = MessageKind.SYNC_RECORDS): RawMessage {
  const payload = new Uint8Array(randomBytes(bytes));
  new DataView(payload.buffer, payload.byteOffset).setUint32(0, index);
  return { kind, payload };
}

const indexOf = (message: RawMessage): number => new DataView(message.payload.buffer, message.payload.byteOffset).getUint32(0);
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

// ---- outbound -----------------------------------------------------------------------------

describe('outbound', () => {
  test('a peer that never reads does not stall delivery to the others', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const stuck = rawListener(ports[2]!, { paused: true });
    const received: Frame[] = [];
    const c1 = counter();
    startTransport(network, signers, ports, 1, { onFrame: (frame) => received.push(frame), count: c1.count });
    const c0 = counter();
    const sender = startTransport(network, signers, ports, 0, { count: c0.count });

    // 32 batches of 1 MiB to each peer: several times what the kernel buffers to server 2 hold
    // (~4 MB on loopback), and well under outbound_queue_bytes_max, so nothing is dropped.
    const batches = 32;
    const sent = Array.from({ length: batches }, (_, i) => indexedMessage(i, MiB));
    const total = sent.length * MiB;
    expect(total).toBeLessThan(outbound_queue_bytes_max);
    // In rounds, so later sends find server 2's connection open and its kernel buffers full
    // (a partly written batch at the head of its queue): sending must neither throw nor wait.
    const start = Date.now();
    for (let round = 0; round < 4; round++) {
      if (round > 0) await Bun.sleep(30);
      const sendStart = Date.now();
      expect(() => {
        for (const message of sent.slice(round * 8, round * 8 + 8)) sender.sendAll([message]);
      }).not.toThrow();
      expect(Date.now() - sendStart).toBeLessThan(1_000);
    }

    const arrived = await until(() => received.length === batches, 4_000);
    const elapsed = Date.now() - start;
    expect(arrived).toBe(true);
    // Server 2 is stuck at this very moment: its batches are still queued here.
    expect(sender.backlogBytes(2)).toBeGreaterThan(0);
    expect(stuck.connections.length).toBe(1);
    expect(stuck.connections[0]!.bytes).toBe(0);
    expect(elapsed).toBeLessThan(4_000);

    // Every batch, in order, intact, from server 0.
    expect(received.map((frame) => frame.senderIndex)).toEqual(Array(batches).fill(0));
    expect(received.map((frame) => indexOf(frame.messages[0]!))).toEqual(sent.map((_, i) => i));
    for (let i = 0; i < batches; i++) {
      expect(received[i]!.messages.length).toBe(1);
      expect(sameBytes(received[i]!.messages[0]!.payload, sent[i]!.payload)).toBe(true);
    }
    expect(await until(() => sender.backlogBytes(1) === 0, 1_000)).toBe(true);
    expect(c0.get('tcp_out_dropped_batches')).toBe(0);
    expect(c0.get('tcp_out_failures')).toBe(0);
    expect(c0.get('tcp_out_batches')).toBeLessThan(2 * batches); // server 2's are not all out
    expect(c1.get('tcp_in_batches')).toBe(batches);
  }, 8_000);

  test('partial writes to a slow reader resume on drain: every batch arrives byte-exact, in order', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    // Server 1 reads in bursts: paused at first, then every ~512 KiB it stops reading for 25 ms.
    const decoded: Frame[] = [];
    const decoder = decoderFor(network);
    let sincePause = 0;
    const slow = rawListener(ports[1]!, {
      paused: true,
      keep: true,
      onChunk: (connection, chunk) => {
        decoded.push(...decoder.push(chunk));
        sincePause += chunk.length;
        if (sincePause >= 512 * 1024) {
          sincePause = 0;
          connection.socket.pause();
          timers.push(setTimeout(() => connection.socket.resume(), 25));
        }
      },
    });
    // Server 2 is a real transport reading at full speed.
    const fast: Frame[] = [];
    startTransport(network, signers, ports, 2, { onFrame: (frame) => fast.push(frame) });
    const c0 = counter();
    const sender = startTransport(network, signers, ports, 0, { count: c0.count });

    // Sends of mixed shapes: large single messages, many small ones (5000 > 4096 per batch:
    // split in two), a mix; packBatches says which batches each becomes.
    const sends: RawMessage[][] = [];
    let next = 0;
    for (let round = 0; round < 6; round++) {
      sends.push([indexedMessage(next++, 2 * MiB)]);
      sends.push(Array.from({ length: 5000 }, () => indexedMessage(next++, 16, MessageKind.VOTE)));
      sends.push([indexedMessage(next++, 300_000), indexedMessage(next++, 5), indexedMessage(next++, 700_000)]);
    }
    const expectedBatches = sends.flatMap((messages) => packBatches(messages));
    const expectedStream = Buffer.concat(expectedBatches.map((batch) => encodeFrame(batch, network.id, signers[0]!)));
    const allMessages = sends.flat();
    for (const messages of sends) sender.sendAll(messages);

    // Nothing is read yet: the writes stopped short and the rest waits in the queue.
    expect(await until(() => slow.connections.length === 1, 1_000)).toBe(true);
    await Bun.sleep(150);
    const stalled = sender.backlogBytes(1);
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(expectedStream.length); // some did go out: the writes were partial
    slow.connections[0]!.socket.resume();

    expect(await until(() => decoded.length === expectedBatches.length && fast.length === expectedBatches.length, 4_000)).toBe(true);
    expect(decoder.error).toBeNull();
    expect(sender.backlogBytes(1)).toBe(0);
    // Byte-exact: the stream is exactly the batches, encoded and signed once each, in order.
    const stream = Buffer.concat(slow.connections[0]!.chunks);
    expect(stream.length).toBe(expectedStream.length);
    expect(stream.equals(expectedStream)).toBe(true);
    for (const frames of [decoded, fast]) {
      const messages = frames.flatMap((frame) => frame.messages);
      expect(messages.map((message) => message.kind)).toEqual(allMessages.map((message) => message.kind));
      expect(messages.findIndex((message, i) => !sameBytes(message.payload, allMessages[i]!.payload))).toBe(-1);
    }
    expect(slow.connections.length).toBe(1); // one connection throughout: no redial, no resend
    expect(c0.get('tcp_out_dropped_batches')).toBe(0);
  }, 10_000);

  test('the queue to a peer that never reads stays within outbound_queue_bytes_max by dropping its oldest whole batches', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const decoded: number[] = [];
    const decoder = decoderFor(network);
    const stuck = rawListener(ports[2]!, {
      paused: true,
      onChunk: (_connection, chunk) => {
        for (const frame of decoder.push(chunk)) decoded.push(indexOf(frame.messages[0]!));
      },
    });
    const c0 = counter();
    const sender = startTransport(network, signers, ports, 0, { count: c0.count });

    // One 4 MiB payload reused: encodeFrame copies it, so each send carries its own index.
    const payload = new Uint8Array(4 * MiB);
    const setIndex = (i: number) => new DataView(payload.buffer).setUint32(0, i);
    const send = (i: number) => {
      setIndex(i);
      sender.send(2, [{ kind: MessageKind.SNAPSHOT_PAGE, payload }]);
    };
    const batches = 24; // 96 MiB: half as much again as the queue may hold
    const frameSize = encodeFrame([{ kind: MessageKind.SNAPSHOT_PAGE, payload }], network.id, signers[0]!).length;

    // First a few, so the link is connected and a batch is part-written when the queue overflows.
    for (let i = 0; i < 4; i++) send(i);
    expect(await until(() => stuck.connections.length === 1, 2_000)).toBe(true);
    await Bun.sleep(200); // the kernel buffers fill: a batch is now part-written
    let peak = 0;
    for (let i = 4; i < batches; i++) {
      send(i);
      peak = Math.max(peak, sender.backlogBytes(2));
    }
    expect(peak).toBeLessThanOrEqual(outbound_queue_bytes_max);
    expect(peak).toBeGreaterThan(outbound_queue_bytes_max - frameSize); // it did fill up
    const dropped = c0.get('tcp_out_dropped_batches');
    expect(dropped).toBeGreaterThan(0);

    // Let server 2 read everything: what arrives is whole batches (the one being written was
    // never cut), the newest ones kept, the oldest not yet written dropped.
    stuck.connections[0]!.socket.resume();
    expect(await until(() => sender.backlogBytes(2) === 0 && decoded.length === batches - dropped, 4_000)).toBe(true);
    await Bun.sleep(50);
    expect(decoder.error).toBeNull();
    expect(decoded.length).toBe(batches - dropped);
    expect(c0.get('tcp_out_batches')).toBe(batches - dropped);
    expect(decoded[0]).toBe(0);
    expect(decoded.at(-1)).toBe(batches - 1);
    // Two contiguous runs: 0..a (out before the overflow) and b..batches-1 (kept); a+1..b-1 dropped.
    const gap = decoded.findIndex((index, i) => index !== i);
    expect(gap).toBeGreaterThan(0);
    const kept = decoded.slice(gap);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => batches - kept.length + i));
    expect(stuck.connections.length).toBe(1);
  }, 10_000);
});

// ---- inbound --------------------------------------------------------------------------------

interface Client {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

/** A raw TCP connection to `port`, from `localAddress` (any 127/8 address works on Linux). */
async function dial(port: number, localAddress?: string): Promise<Client> {
  const socket = net.connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
  clients.push(socket);
  socket.on('error', () => {});
  let closed = false;
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await Promise.race([new Promise<void>((resolve) => socket.once('connect', () => resolve())), closedPromise]);
  return { socket, closed: closedPromise, isClosed: () => closed };
}

async function closedWithin(client: Client, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([client.closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return result;
}

describe('a peer that moved (PROTOCOL §3.10)', () => {
  test('moveLink closes the connection to the old address and delivers the next batches at the new one', async () => {
    const { network, signers, ports } = await loopbackNetwork(2);
    const [newPort] = await freePorts(1);
    const received = (connections: RawConnection[]) => connections.reduce((sum, connection) => sum + connection.bytes, 0);
    const old = rawListener(ports[1]!, { paused: false });
    const moved = rawListener(newPort!, { paused: false, keep: true });
    const counts = counter();
    const sender = startTransport(network, signers, ports, 0, { count: counts.count });
    sender.send(1, [indexedMessage(0, 100)]);
    expect(await until(() => received(old.connections) > 0, 2_000)).toBe(true);
    const oldBytes = received(old.connections);
    sender.moveLink(1, { host, port: newPort! });
    expect(sender.linkAddress(1)).toEqual({ host, port: newPort! });
    expect(counts.get('tcp_out_moved')).toBe(1);
    sender.send(1, [indexedMessage(1, 100), indexedMessage(2, 100)]);
    expect(await until(() => moved.connections.length === 1 && received(moved.connections) > 0, 2_000)).toBe(true);
    const frameSize = encodeFrame([indexedMessage(1, 100), indexedMessage(2, 100)], network.id, signers[0]!).length;
    expect(await until(() => received(moved.connections) >= frameSize, 2_000)).toBe(true);
    const frames = decoderFor(network).push(Buffer.concat(moved.connections[0]!.chunks));
    expect(frames.map((frame) => frame.messages.map(indexOf))).toEqual([[1, 2]]);
    // Nothing more went to the old address.
    await Bun.sleep(50);
    expect(received(old.connections)).toBe(oldBytes);
    // The same address again changes nothing.
    sender.moveLink(1, { host, port: newPort! });
    expect(counts.get('tcp_out_moved')).toBe(1);
  });
});

describe('inbound connection limits', () => {
  test('from a server address: the allowance plus one per server there; the next is closed at once; a closed one frees a slot', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const c0 = counter();
    const transport = startTransport(network, signers, ports, 0, { count: c0.count });
    // All three servers of the network file live at 127.0.0.1.
    const allowance = inbound_connections_per_address_max + 3;

    const open: Client[] = [];
    for (let i = 0; i < allowance; i++) open.push(await dial(transport.port));
    expect(await until(() => transport.inboundConnections === allowance, 1_000)).toBe(true);
    expect(c0.get('tcp_in_connections')).toBe(allowance);
    expect(c0.get('tcp_in_refused_limit')).toBe(0);

    const extra = await dial(transport.port);
    expect(await closedWithin(extra, 1_000)).toBe(true);
    expect(c0.get('tcp_in_refused_limit')).toBe(1);
    expect(transport.inboundConnections).toBe(allowance);
    expect(open.some((client) => client.isClosed())).toBe(false);

    // One leaves: its slot is free again.
    open[0]!.socket.destroy();
    expect(await until(() => transport.inboundConnections === allowance - 1, 1_000)).toBe(true);
    const again = await dial(transport.port);
    expect(await closedWithin(again, 300)).toBe(false);
    expect(transport.inboundConnections).toBe(allowance);
    expect(c0.get('tcp_in_refused_limit')).toBe(1);
    expect(c0.get('tcp_in_connections')).toBe(allowance + 1);

    // And the limit holds again after it.
    const another = await dial(transport.port);
    expect(await closedWithin(another, 1_000)).toBe(true);
    expect(c0.get('tcp_in_refused_limit')).toBe(2);
  }, 8_000);

  test('from an address with no server: exactly inbound_connections_per_address_max, counted apart from 127.0.0.1', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const c0 = counter();
    const transport = startTransport(network, signers, ports, 0, { count: c0.count });
    const open: Client[] = [];
    for (let i = 0; i < inbound_connections_per_address_max; i++) open.push(await dial(transport.port, '127.0.0.2'));
    expect(await until(() => transport.inboundConnections === inbound_connections_per_address_max, 1_000)).toBe(true);
    const extra = await dial(transport.port, '127.0.0.2');
    expect(await closedWithin(extra, 1_000)).toBe(true);
    expect(c0.get('tcp_in_refused_limit')).toBe(1);
    // Another address has its own allowance.
    const other = await dial(transport.port, '127.0.0.1');
    expect(await closedWithin(other, 300)).toBe(false);
    expect(transport.inboundConnections).toBe(inbound_connections_per_address_max + 1);
    expect(open.some((client) => client.isClosed())).toBe(false);
  }, 8_000);

  test('in total: at most inbound_connections_max, whatever the address', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const c0 = counter();
    const transport = startTransport(network, signers, ports, 0, { count: c0.count });
    const addresses = Math.ceil(inbound_connections_max / inbound_connections_per_address_max);
    const open: Client[] = [];
    for (let a = 0; a < addresses; a++) {
      const local = `127.0.1.${10 + a}`;
      const count = Math.min(inbound_connections_per_address_max, inbound_connections_max - open.length);
      open.push(...(await Promise.all(Array.from({ length: count }, () => dial(transport.port, local)))));
    }
    expect(open.length).toBe(inbound_connections_max);
    expect(await until(() => transport.inboundConnections === inbound_connections_max, 2_000)).toBe(true);
    expect(c0.get('tcp_in_refused_limit')).toBe(0);
    // 127.0.0.1 has used none of its own allowance, yet the total is reached.
    const extra = await dial(transport.port, '127.0.0.1');
    expect(await closedWithin(extra, 1_000)).toBe(true);
    expect(c0.get('tcp_in_refused_limit')).toBe(1);
    expect(transport.inboundConnections).toBe(inbound_connections_max);
  }, 8_000);
});

describe('inbound idle timeout and frame deadline', () => {
  test('a silent connection is closed after idleMs (FRAME_IDLE); one sending whole batches stays open', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const idleMs = 300;
    const c0 = counter();
    const frames: Frame[] = [];
    const transport = startTransport(network, signers, ports, 0, { count: c0.count, idleMs, frameDeadlineMs: 300, onFrame: (frame) => frames.push(frame) });
    const batch = encodeFrame([indexedMessage(0, 1_000, MessageKind.STATUS)], network.id, signers[1]!);

    const start = Date.now();
    const quiet = await dial(transport.port);
    const busy = await dial(transport.port);
    // The busy one sends a whole batch every 100 ms: never idle, never past the deadline.
    let sent = 0;
    const tick = () => {
      busy.socket.write(batch);
      sent++;
      if (sent < 8) timers.push(setTimeout(tick, 100));
    };
    tick();

    expect(await closedWithin(quiet, 2_000)).toBe(true);
    expect(Date.now() - start).toBeGreaterThanOrEqual(idleMs);
    expect(c0.get('tcp_in_refused_frame_idle')).toBe(1);
    expect(c0.get('tcp_in_refused_frame_deadline')).toBe(0);

    await until(() => sent === 8, 2_000);
    expect(busy.isClosed()).toBe(false);
    expect(await until(() => frames.length === 8, 500)).toBe(true);
    // Once it stops, it too goes idle.
    const stoppedAt = Date.now();
    expect(await closedWithin(busy, 2_000)).toBe(true);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(idleMs - 100);
    expect(c0.get('tcp_in_refused_frame_idle')).toBe(2);
    expect(c0.get('tcp_in_refused_frame_deadline')).toBe(0);
    expect(transport.inboundConnections).toBe(0);
  }, 8_000);

  test('a batch started and trickled is closed after frameDeadlineMs (FRAME_DEADLINE), though never idle', async () => {
    const { network, signers, ports } = await loopbackNetwork(3);
    const frameDeadlineMs = 300;
    const c0 = counter();
    const frames: Frame[] = [];
    const transport = startTransport(network, signers, ports, 0, { count: c0.count, idleMs: 2_000, frameDeadlineMs, onFrame: (frame) => frames.push(frame) });
    const batch = encodeFrame([indexedMessage(0, 10_000, MessageKind.STATUS)], network.id, signers[1]!);

    const slowloris = await dial(transport.port);
    // A valid header (it passes every header check), then one byte every 40 ms.
    slowloris.socket.write(batch.subarray(0, frame_header_bytes));
    const startedAt = Date.now();
    let offset = frame_header_bytes;
    const tick = () => {
      if (slowloris.isClosed()) return;
      slowloris.socket.write(batch.subarray(offset, offset + 1));
      offset++;
      timers.push(setTimeout(tick, 40));
    };
    timers.push(setTimeout(tick, 40));

    expect(await closedWithin(slowloris, 2_000)).toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(frameDeadlineMs);
    expect(c0.get('tcp_in_refused_frame_deadline')).toBe(1);
    expect(c0.get('tcp_in_refused_frame_idle')).toBe(0);
    expect(frames.length).toBe(0);
    expect(offset).toBeGreaterThan(frame_header_bytes + 2); // it kept talking all along
    expect(offset).toBeLessThan(batch.length);
  }, 8_000);
});
