// Hostile traffic against a running node, seeded and bounded: UDP datagrams of every
// kind of wrongness, and TCP connections that misbehave in every way a peer can. Each
// generator names its category, and the categories whose outcome is certain say which
// node counter must account for them, so a test can check the node's books exactly.

import { readFileSync } from 'node:fs';
import { frame_bytes_max, frame_header_bytes, hash_bytes, referenced_transaction_bytes, transaction_bytes } from '../../src/constants.ts';
import { concat, Writer } from '../../src/bytes.ts';
import { encodeRequest, Kind, requestBytesFor } from '../../src/client/codec.ts';
import type { Vote } from '../../src/consensus/vote.ts';
import type { Address } from '../../src/ip.ts';
import type { Network } from '../../src/network.ts';
import { encodeFrame, frame_magic, type RawMessage } from '../../src/peer/framing.ts';
import { encodeMessage } from '../../src/peer/messages.ts';
import type { Signer } from '../../src/signature.ts';
import { signPayment } from '../../src/transaction.ts';
import { Prng } from './prng.ts';

// ---- UDP ----------------------------------------------------------------------------------

export type UdpCategory =
  | 'random'
  | 'short'
  | 'long'
  | 'magic'
  | 'version'
  | 'kind'
  | 'padding'
  | 'truncated'
  | 'mutated'
  | 'bad_signature'
  | 'bad_time'
  | 'bad_amount'
  | 'reference'
  | 'benign';

const udpCategories: UdpCategory[] = ['random', 'short', 'long', 'magic', 'version', 'kind', 'padding', 'truncated', 'mutated', 'bad_signature', 'bad_time', 'bad_amount', 'reference', 'benign'];

/** Categories whose every datagram must end in this one counter (whatever the node's state). */
export const udpCertainOutcome: Partial<Record<UdpCategory, string>> = {
  short: 'udp_dropped_request_too_short',
  long: 'udp_dropped_request_too_long',
  magic: 'udp_dropped_bad_magic',
};

export interface UdpFloodOptions {
  readonly target: Address;
  readonly network: Network;
  readonly payer: Signer;
  readonly seed: number;
  readonly count: number;
  /** Datagrams per second, to stay below what the kernel buffers without loss. */
  readonly perSecond: number;
}

export interface UdpFloodResult {
  readonly sent: number;
  readonly byCategory: Record<UdpCategory, number>;
  readonly replies: number;
  /** The largest reply-length / request-length seen; at most 1 is the rule. */
  readonly worstAmplification: number;
  /** Replies whose request id was never sent (must be none). */
  readonly unmatchedReplies: number;
  readonly sentBytes: number;
  readonly replyBytes: number;
}

function validRequest(prng: Prng, network: Network, payer: Signer, requestId: number): Uint8Array {
  const kind = prng.pick([Kind.PAY, Kind.BALANCE, Kind.STATUS, Kind.INFO, Kind.WHOAMI, Kind.PAYREF] as const);
  const length = requestBytesFor(kind, network.servers.length);
  switch (kind) {
    case Kind.PAY:
      return encodeRequest({ kind, requestId, length, transaction: signPayment(payer, network.id, { timestamp: Date.now(), amount: 1 + prng.nextInt(5), payee: prng.bytes(32) }) });
    case Kind.PAYREF:
      return encodeRequest({ kind, requestId, length, transaction: signPayment(payer, network.id, { timestamp: Date.now(), amount: 1 + prng.nextInt(5), payee: prng.bytes(32), reference: 1n + BigInt(prng.nextU32()) }) });
    case Kind.BALANCE:
      return encodeRequest({ kind, requestId, length, account: prng.bytes(32) });
    case Kind.STATUS:
      return encodeRequest({ kind, requestId, length, txid: prng.bytes(32) });
    default:
      return encodeRequest({ kind, requestId, length });
  }
}

function payRequest(network: Network, payer: Signer, requestId: number, fields: { timestamp: number; amount: number; payee: Uint8Array }): Uint8Array {
  return encodeRequest({ kind: Kind.PAY, requestId, length: requestBytesFor(Kind.PAY), transaction: signPayment(payer, network.id, fields) });
}

/**
 * A payment in the wrong form for its kind (every one is BAD_REQUEST, PROTOCOL §6.1): PAYREF
 * carrying a 140-byte payment (too short for its 148-byte body, or padded out to it, which
 * reads as reference 0 or as a broken signature), PAY carrying a 148-byte payment (its last
 * 8 bytes are not zero padding), PAYREF with reference 0, and a PAYREF cut short or with a
 * byte after its body.
 */
export function wrongReferenceForm(prng: Prng, network: Network, payer: Signer, requestId: number): Uint8Array {
  const fields = { timestamp: Date.now(), amount: 1 + prng.nextInt(5), payee: prng.bytes(32) };
  const withReference = signPayment(payer, network.id, { ...fields, reference: 1n + BigInt(prng.nextU32()) });
  const header = (kind: number, length: number) => {
    const bytes = new Uint8Array(length);
    bytes.set([0x53, 0x43, 1, kind]);
    new DataView(bytes.buffer).setUint32(4, requestId);
    return bytes;
  };
  switch (prng.nextInt(5)) {
    case 0: {
      // PAYREF with a 140-byte payment in a request shorter than its body needs.
      const bytes = header(Kind.PAYREF, 148 + prng.nextInt(8));
      bytes.set(signPayment(payer, network.id, fields).subarray(0, bytes.length - 8), 8);
      return bytes;
    }
    case 1: {
      // PAY with a 148-byte payment: the reference's place reads as a signature, the rest as padding.
      const bytes = header(Kind.PAY, requestBytesFor(Kind.PAYREF));
      bytes.set(withReference, 8);
      return bytes;
    }
    case 2: {
      // PAYREF with reference 0: that payment's one encoding is PAY with 140 bytes.
      const bytes = header(Kind.PAYREF, requestBytesFor(Kind.PAYREF) + prng.nextInt(16));
      bytes.set(withReference, 8);
      bytes.fill(0, 8 + 76, 8 + 84);
      return bytes;
    }
    case 3: {
      // PAYREF cut inside its payment (at least the 128-byte minimum: a shorter datagram hears nothing).
      const bytes = header(Kind.PAYREF, 128 + prng.nextInt(28));
      bytes.set(withReference.subarray(0, bytes.length - 8), 8);
      return bytes;
    }
    default: {
      // PAYREF with a byte that is not zero after its body.
      const bytes = header(Kind.PAYREF, requestBytesFor(Kind.PAYREF) + 1 + prng.nextInt(16));
      bytes.set(withReference, 8);
      bytes[8 + 148 + prng.nextInt(bytes.length - 156)] = 1 + prng.nextInt(255);
      return bytes;
    }
  }
}

/** One hostile datagram of the given category. */
export function hostileDatagram(category: UdpCategory, prng: Prng, network: Network, payer: Signer, requestId: number): Uint8Array {
  switch (category) {
    case 'random': {
      // Random through and through, but for the request id: its high bit set, an id no
      // structured datagram uses, so a reply can never be matched to the wrong request.
      const bytes = prng.bytes(prng.nextInt(1301));
      if (bytes.length > 4) bytes[4]! |= 0x80;
      return bytes;
    }
    case 'short':
      return prng.bytes(prng.nextInt(128));
    case 'long':
      return concat(validRequest(prng, network, payer, requestId), prng.bytes(1233 + prng.nextInt(100)));
    case 'magic': {
      const bytes = validRequest(prng, network, payer, requestId);
      bytes[prng.nextInt(2)]! ^= 1 + prng.nextInt(255);
      return bytes;
    }
    case 'version': {
      const bytes = validRequest(prng, network, payer, requestId);
      bytes[2] = 2 + prng.nextInt(254);
      return bytes;
    }
    case 'kind': {
      const bytes = validRequest(prng, network, payer, requestId);
      bytes[3] = prng.pick([0, 6, 7, 0x0c, 0x7f, 0x81, 0x8b, 0xff]);
      return bytes;
    }
    case 'padding': {
      // A request with room to spare (a PAY at its minimum length has no padding), one padding byte not zero.
      const bytes = concat(validRequest(prng, network, payer, requestId), new Uint8Array(1 + prng.nextInt(32)));
      const bodyEnd = 8 + (bytes[3] === Kind.PAY ? transaction_bytes : bytes[3] === Kind.PAYREF ? referenced_transaction_bytes : bytes[3] === Kind.BALANCE || bytes[3] === Kind.STATUS ? 32 : 0);
      bytes[bodyEnd + prng.nextInt(bytes.length - bodyEnd)] = 1 + prng.nextInt(255);
      return bytes;
    }
    case 'truncated': {
      const bytes = validRequest(prng, network, payer, requestId);
      return bytes.subarray(0, prng.nextInt(bytes.length));
    }
    case 'mutated': {
      const bytes = validRequest(prng, network, payer, requestId);
      for (let i = 1 + prng.nextInt(4); i > 0; i--) {
        let at = prng.nextInt(bytes.length - 4);
        if (at >= 4) at += 4; // never the request id (bytes 4..7): the reply must be traceable
        bytes[at]! ^= 1 << prng.nextInt(8);
      }
      return bytes;
    }
    case 'bad_signature': {
      const bytes = payRequest(network, payer, requestId, { timestamp: Date.now(), amount: 1, payee: prng.bytes(32) });
      bytes[8 + 76 + prng.nextInt(64)]! ^= 1 << prng.nextInt(8);
      return bytes;
    }
    case 'bad_time':
      return payRequest(network, payer, requestId, { timestamp: Date.now() + prng.pick([-1, 1]) * (network.periodMs * (2 + prng.nextInt(1000))), amount: 1, payee: prng.bytes(32) });
    case 'bad_amount':
      return prng.nextInt(2) === 0
        ? payRequest(network, payer, requestId, { timestamp: Date.now(), amount: 0, payee: prng.bytes(32) })
        : payRequest(network, payer, requestId, { timestamp: Date.now(), amount: 1, payee: payer.publicKey });
    case 'reference':
      return wrongReferenceForm(prng, network, payer, requestId);
    case 'benign':
      return prng.nextInt(2) === 0
        ? encodeRequest({ kind: Kind.INFO, requestId, length: requestBytesFor(Kind.INFO, network.servers.length) })
        : encodeRequest({ kind: Kind.BALANCE, requestId, length: requestBytesFor(Kind.BALANCE), account: prng.bytes(32) });
  }
}

/** Sends `count` hostile datagrams, paced, and watches every reply's length. */
export async function udpFlood(options: UdpFloodOptions): Promise<UdpFloodResult> {
  const prng = new Prng(options.seed);
  const byCategory = Object.fromEntries(udpCategories.map((c) => [c, 0])) as Record<UdpCategory, number>;
  const lengthById = new Map<number, number>();
  let replies = 0;
  let worst = 0;
  let unmatched = 0;
  let replyBytes = 0;
  let sentBytes = 0;
  const socket = await Bun.udpSocket({
    binaryType: 'uint8array',
    socket: {
      data(_s, data) {
        replies++;
        replyBytes += data.length;
        if (data.length < 8) return;
        const id = new DataView(data.buffer, data.byteOffset).getUint32(4);
        const requestLength = lengthById.get(id);
        if (requestLength !== undefined) worst = Math.max(worst, data.length / requestLength);
        else if (id < 0x8000_0000) unmatched++; // not a random datagram's id, yet never sent: wrong
        else worst = Math.max(worst, data.length / 128); // a random datagram: at least 128 bytes if answered
      },
      error() {},
    },
  });
  const start = performance.now();
  for (let i = 0; i < options.count; i++) {
    const category = udpCategories[i % udpCategories.length]!;
    byCategory[category]++;
    const requestId = i; // unique per datagram, high bit clear (random datagrams set it)
    const bytes = hostileDatagram(category, prng, options.network, options.payer, requestId);
    // The length of the request each id was sent with: its reply must be no longer.
    if (bytes.length >= 8 && category !== 'random') lengthById.set(requestId, bytes.length);
    sentBytes += bytes.length;
    try {
      socket.send(bytes, options.target.port, options.target.host);
    } catch {
      // an ICMP error from an earlier datagram: the node is counted on the other side
    }
    // Pace: never ahead of the schedule.
    if (i % 256 === 255) {
      const due = start + ((i + 1) * 1000) / options.perSecond;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
  }
  await Bun.sleep(300); // the last replies
  socket.close();
  return { sent: options.count, byCategory, replies, worstAmplification: worst, unmatchedReplies: unmatched, sentBytes, replyBytes };
}

/** Datagrams the kernel dropped at the node's UDP socket (receive buffer full), from /proc/net/udp. */
export function kernelUdpDrops(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(`:${hexPort}`)) return Number(fields[fields.length - 1]);
  }
  return 0;
}

// ---- TCP ----------------------------------------------------------------------------------

export type TcpCategory =
  | 'random'
  | 'oversize'
  | 'sender'
  | 'network'
  | 'version'
  | 'signature'
  | 'kind'
  | 'message'
  | 'replay'
  | 'valid_then_garbage';

const tcpCategories: TcpCategory[] = ['random', 'oversize', 'sender', 'network', 'version', 'signature', 'kind', 'message', 'replay', 'valid_then_garbage'];

/** The refusal counter each category must end in (counted once per connection). */
export const tcpCertainOutcome: Partial<Record<TcpCategory, string>> = {
  oversize: 'tcp_in_refused_frame_too_large',
  sender: 'tcp_in_refused_frame_sender',
  network: 'tcp_in_refused_frame_network',
  version: 'tcp_in_refused_frame_version',
  signature: 'tcp_in_refused_frame_signature',
  kind: 'tcp_in_refused_frame_message_kind',
  message: 'tcp_in_refused_bad_length',
};

function header(network: Network, sender: Uint8Array, bodyLength: number, overrides: { magic?: Uint8Array; version?: number; networkId?: Uint8Array } = {}): Uint8Array {
  return new Writer(frame_header_bytes)
    .put(overrides.magic ?? frame_magic)
    .u8(overrides.version ?? 1)
    .put(overrides.networkId ?? network.id)
    .put(sender)
    .u32(bodyLength)
    .done();
}

/** Replayable messages: STATUS and VOTE a server really sent, built from its own records. */
export function replayMessages(certificates: Uint8Array[], votes: Vote[]): RawMessage[] {
  const out: RawMessage[] = [];
  for (const vote of votes) out.push(encodeMessage({ type: 'vote', vote }));
  void certificates;
  return out;
}

/** The bytes a hostile peer sends on one connection of this category. */
export function hostileConnection(category: TcpCategory, prng: Prng, network: Network, peer: Signer, stranger: Signer, replays: RawMessage[]): Uint8Array {
  const body = (kind: number, payload: Uint8Array) => concat(Uint8Array.of(kind), new Writer(4).u32(payload.length).done(), payload);
  switch (category) {
    case 'random':
      // At least a header's worth, so the node decides at once (shorter would wait for the deadline).
      return prng.bytes(frame_header_bytes + prng.nextInt(4096));
    case 'oversize':
      return header(network, peer.publicKey, frame_bytes_max + prng.nextInt(1 << 20));
    case 'sender':
      return concat(header(network, stranger.publicKey, 10), prng.bytes(74));
    case 'network':
      return concat(header(network, peer.publicKey, 10, { networkId: prng.bytes(hash_bytes) }), prng.bytes(74));
    case 'version':
      return concat(header(network, peer.publicKey, 10, { version: 2 + prng.nextInt(250) }), prng.bytes(74));
    case 'signature': {
      const frame = encodeFrame([replays[prng.nextInt(replays.length)]!], network.id, peer);
      frame[frame.length - 1 - prng.nextInt(64)]! ^= 1 << prng.nextInt(8);
      return frame;
    }
    case 'kind': {
      const payload = prng.bytes(prng.nextInt(64));
      const b = body(prng.pick([0, 0x5a, 0x42, 0xff]), payload);
      return signedFrame(network, peer, b);
    }
    case 'message':
      // A VOTE one byte short: the frame is fine, the message is not.
      return signedFrame(network, peer, body(0x03, prng.bytes(153)));
    case 'replay':
      return encodeFrame(replays.slice(0, 1 + prng.nextInt(Math.min(4, replays.length))), network.id, peer);
    case 'valid_then_garbage':
      return concat(encodeFrame([replays[prng.nextInt(replays.length)]!], network.id, peer), prng.bytes(frame_header_bytes + prng.nextInt(512)));
  }
}

/** A frame with a valid signature around an arbitrary body (for bodies encodeFrame refuses to make). */
function signedFrame(network: Network, signer: Signer, bodyBytes: Uint8Array): Uint8Array {
  const head = header(network, signer.publicKey, bodyBytes.length);
  const digest = new Uint8Array(new Bun.CryptoHasher('sha256').update('scryp/batch/v1').update(head).update(bodyBytes).digest());
  return concat(head, bodyBytes, signer.sign(digest));
}

export interface TcpFuzzOptions {
  readonly target: Address;
  readonly network: Network;
  /** A server key the fuzzer holds (the node accepts its well-signed batches). */
  readonly peer: Signer;
  /** A key that is not a server of the network. */
  readonly stranger: Signer;
  readonly replays: RawMessage[];
  readonly seed: number;
  readonly connections: number;
  readonly concurrency: number;
}

export interface TcpFuzzResult {
  readonly attempted: number;
  readonly byCategory: Record<TcpCategory, number>;
  /** Connections the node closed on us (every bad one must be). */
  readonly closedByNode: Record<TcpCategory, number>;
  readonly connectFailures: number;
}

/** Opens `connections` hostile connections, `concurrency` at a time, each waiting for the node to close it. */
export async function tcpFuzz(options: TcpFuzzOptions): Promise<TcpFuzzResult> {
  const prng = new Prng(options.seed);
  const byCategory = Object.fromEntries(tcpCategories.map((c) => [c, 0])) as Record<TcpCategory, number>;
  const closedByNode = Object.fromEntries(tcpCategories.map((c) => [c, 0])) as Record<TcpCategory, number>;
  let connectFailures = 0;
  let next = 0;
  const one = async (category: TcpCategory, bytes: Uint8Array): Promise<void> => {
    let closed: () => void = () => {};
    const done = new Promise<void>((resolve) => (closed = resolve));
    let byNode = true;
    let socket: Awaited<ReturnType<typeof Bun.connect>>;
    try {
      socket = await Bun.connect({
        hostname: options.target.host,
        port: options.target.port,
        socket: { data() {}, close: () => closed(), error: () => closed(), connectError: () => closed() },
      });
    } catch {
      connectFailures++;
      return;
    }
    let offset = 0;
    while (offset < bytes.length) {
      const written = socket.write(bytes.subarray(offset));
      if (written <= 0) break;
      offset += written;
      if (offset < bytes.length) await Bun.sleep(1);
    }
    // A replay is valid: the node keeps the connection; we end it ourselves.
    const wait = category === 'replay' ? 10 : 2_000;
    const timer = setTimeout(() => {
      byNode = false;
      socket.end();
    }, wait);
    await done;
    clearTimeout(timer);
    if (byNode) closedByNode[category]++;
  };
  const worker = async () => {
    while (next < options.connections) {
      const i = next++;
      const category = tcpCategories[i % tcpCategories.length]!;
      byCategory[category]++;
      await one(category, hostileConnection(category, prng, options.network, options.peer, options.stranger, options.replays));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { attempted: options.connections, byCategory, closedByNode, connectFailures };
}

/** Connections that open and then say nothing, or start a batch and never finish it. */
export async function silentAndSlowConnections(target: Address, network: Network, peer: Signer, count: number): Promise<{ silentClosed: number; slowClosed: number; elapsedMs: number }> {
  const start = performance.now();
  const open = async (slow: boolean): Promise<boolean> => {
    let closed: () => void = () => {};
    const done = new Promise<void>((resolve) => (closed = resolve));
    const socket = await Bun.connect({ hostname: target.host, port: target.port, socket: { data() {}, close: () => closed(), error: () => closed() } });
    let trickle: ReturnType<typeof setInterval> | null = null;
    if (slow) {
      // A valid header announcing 1 MiB, then one byte now and then: never a whole batch.
      socket.write(header(network, peer.publicKey, 1 << 20));
      trickle = setInterval(() => socket.write(Uint8Array.of(0)), 40);
    }
    const giveUp = setTimeout(() => socket.end(), 10_000);
    const result = await Promise.race([done.then(() => true), Bun.sleep(10_000).then(() => false)]);
    clearTimeout(giveUp);
    if (trickle !== null) clearInterval(trickle);
    return result;
  };
  const results = await Promise.all(Array.from({ length: count }, (_, i) => open(i % 2 === 1)));
  return {
    silentClosed: results.filter((closed, i) => closed && i % 2 === 0).length,
    slowClosed: results.filter((closed, i) => closed && i % 2 === 1).length,
    elapsedMs: performance.now() - start,
  };
}

/** The counters a node logged when it stopped (`counters {json}`). */
export function countersFromLog(log: string): Record<string, number> {
  const match = /counters (\{.*\})$/m.exec(log);
  if (match === null) throw new Error('no counters line in the log');
  return JSON.parse(match[1]!) as Record<string, number>;
}

export function sumCounters(counters: Record<string, number>, prefix: string): number {
  let total = 0;
  for (const [name, value] of Object.entries(counters)) if (name.startsWith(prefix)) total += value;
  return total;
}
