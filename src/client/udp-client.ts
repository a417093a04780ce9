// A client of the UDP protocol: sends a request, resends with backoff on loss, checks
// the reply's signature (and, when known, that it comes from the server asked), and
// pads again when a server answers TOO_SHORT. Every request is idempotent, so resending
// is always safe.

import type { udp } from 'bun';
import { datagram_bytes_max, request_header_bytes } from '../constants.ts';
import { equal } from '../bytes.ts';
import { isScrypError, ScrypError } from '../errors.ts';
import type { Address } from '../ip.ts';
import { decodeReply, encodeRequest, type Reply, type Request, requestBytesFor, Status, verifyReply } from './codec.ts';

export type RequestSpec =
  | { kind: 0x01; transaction: Uint8Array }
  | { kind: 0x02; account: Uint8Array }
  | { kind: 0x03; txid: Uint8Array }
  | { kind: 0x04 }
  | { kind: 0x05 }
  | { kind: 0x06; account: Uint8Array; beforePeriod: number; beforeIndex: number }
  | { kind: 0x07; index: number }
  | { kind: 0x08; from: number }
  | { kind: 0x09; index: number; offset: number }
  | { kind: 0x0a; change: Uint8Array };

export interface AskOptions {
  /**
   * The network the server must sign for. Left out, only an INFO reply can be checked,
   * against the network id it carries itself (for asking a server of an unknown network).
   */
  readonly networkId?: Uint8Array;
  /** The server's key, when the caller knows whom it asks; a reply signed by another is refused. */
  readonly serverKey?: Uint8Array;
  /** Number of servers in the network, to size INFO requests (default: the largest network). */
  readonly serverCount?: number;
  /** First wait; doubled at each resend. */
  readonly timeoutMs?: number;
  readonly attempts?: number;
}

export class ReplyTimeout extends Error {
  constructor(target: Address, attempts: number) {
    super(`no valid reply from ${target.host}:${target.port} after ${attempts} attempts`);
    this.name = 'ReplyTimeout';
  }
}

interface Pending {
  readonly target: Address;
  /** The kind asked: a reply of another kind under the same request id is not its answer. */
  readonly kind: number;
  readonly options: AskOptions;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  /** Clears the resend timer: a closed client must not keep the process alive until it fires. */
  readonly stop: () => void;
}

export class UdpClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = (Math.random() * 0xffff_ffff) >>> 0;
  /** Replies that failed to decode or verify, for tests and diagnostics. */
  rejectedReplies = 0;
  /** Errors the socket reported (such as ICMP port unreachable). */
  socketErrors = 0;

  private constructor(private readonly socket: udp.Socket<'uint8array'>) {}

  static async open(): Promise<UdpClient> {
    let client: UdpClient | null = null;
    const socket = await Bun.udpSocket({
      binaryType: 'uint8array',
      socket: {
        data: (_socket, data, port, address) => client?.onData(data, port, address),
        // ICMP "port unreachable" from a server that is down: the resend timer handles it.
        error: () => {
          if (client !== null) client.socketErrors++;
        },
      },
    });
    client = new UdpClient(socket);
    return client;
  }

  private onData(data: Uint8Array, port: number, address: string): void {
    let reply: Reply;
    try {
      reply = decodeReply(data);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      this.rejectedReplies++;
      return;
    }
    const pending = this.pending.get(reply.requestId);
    if (pending === undefined) return;
    if (reply.kind !== pending.kind || pending.target.port !== port || pending.target.host !== address.replace(/^::ffff:/, '')) {
      this.rejectedReplies++;
      return;
    }
    const networkId = pending.options.networkId ?? (reply.body !== null && 'networkId' in reply.body ? reply.body.networkId : null);
    if (networkId === null || !verifyReply(reply, networkId) || (pending.options.serverKey !== undefined && !equal(reply.serverKey, pending.options.serverKey))) {
      this.rejectedReplies++;
      return;
    }
    this.pending.delete(reply.requestId);
    pending.resolve(reply);
  }

  /** Sends `spec` to `target` until a valid reply arrives or the attempts run out. */
  async ask(target: Address, spec: RequestSpec, options: AskOptions): Promise<Reply> {
    let length = requestBytesFor(spec.kind, options.serverCount);
    if (spec.kind === 0x0a) length = Math.max(length, request_header_bytes + 2 + spec.change.length); // CHANGE: as long as the change
    for (let round = 0; round < 3; round++) {
      const reply = await this.askOnce(target, spec, length, options);
      if (reply.status !== Status.TOO_SHORT || reply.body === null || !('needed' in reply.body)) return reply;
      const needed = reply.body.needed;
      if (needed <= length || needed > datagram_bytes_max) throw new ScrypError('BAD_REPLY', `TOO_SHORT asks for ${needed} bytes`);
      length = needed;
    }
    throw new ScrypError('BAD_REPLY', 'the server keeps answering TOO_SHORT');
  }

  private askOnce(target: Address, spec: RequestSpec, length: number, options: AskOptions): Promise<Reply> {
    const requestId = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    const bytes = encodeRequest({ ...spec, requestId, length } as Request);
    const attempts = options.attempts ?? 5;
    let wait = options.timeoutMs ?? 250;
    return new Promise<Reply>((resolve, reject) => {
      let attempt = 0;
      let timer: ReturnType<typeof setTimeout> | null = null;
      const finish = () => {
        if (timer !== null) clearTimeout(timer);
        this.pending.delete(requestId);
      };
      this.pending.set(requestId, {
        target,
        kind: spec.kind,
        options,
        resolve: (reply) => {
          finish();
          resolve(reply);
        },
        reject,
        stop: finish,
      });
      const fire = () => {
        if (!this.pending.has(requestId)) return;
        if (attempt === attempts) {
          finish();
          reject(new ReplyTimeout(target, attempts));
          return;
        }
        attempt++;
        try {
          this.socket.send(bytes, target.port, target.host);
        } catch {
          // An ICMP "port unreachable" for an earlier datagram (to another server, maybe) surfaces
          // here, and this datagram was not sent: the throw cleared the error, so send it again
          // at once. Without this, a request right after one to a closed port was lost on every
          // attempt (found by the fault suite: a dead address just before the only live one).
          this.socketErrors++;
          try {
            this.socket.send(bytes, target.port, target.host);
          } catch {
            this.socketErrors++; // the next attempt sends it
          }
        }
        timer = setTimeout(fire, wait);
        wait *= 2;
      };
      fire();
    });
  }

  close(): void {
    for (const pending of [...this.pending.values()]) {
      pending.stop();
      pending.reject(new Error('client closed'));
    }
    this.pending.clear();
    this.socket.close();
  }
}
