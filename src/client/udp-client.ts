// A client of the UDP protocol: sends a request, resends with backoff on loss, checks
// the reply (transport.ts checkReply: its signature and, when known, that it comes from
// the server asked), and pads again when a server answers TOO_SHORT. Every request is
// idempotent, so resending is always safe. The HTTP twin is gateway-client.ts.

import type { udp } from 'bun';
import { formatAddress, type Address } from '../ip.ts';
import { isScrypError } from '../errors.ts';
import { decodeReply, encodeRequest, type Reply, type Request } from './codec.ts';
import { type AskOptions, askRepadding, type ClientTransport, type Expected, refusalOf, ReplyTimeout, requestLengthOf, type RequestSpec } from './transport.ts';

export { type AskOptions, ReplyTimeout, type RequestSpec } from './transport.ts';

interface Pending {
  readonly target: Address;
  /** The request id and kind asked (a reply of another kind under the same id is not its answer), and whom. */
  readonly expected: Expected;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  /** Clears the resend timer: a closed client must not keep the process alive until it fires. */
  readonly stop: () => void;
}

export class UdpClient implements ClientTransport {
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
    if (pending === undefined) return; // a late copy of a reply already taken (requests are resent)
    // A forged or stray datagram is dropped: the real reply may still come.
    if (pending.target.port !== port || pending.target.host !== address.replace(/^::ffff:/, '') || refusalOf(reply, pending.expected) !== null) {
      this.rejectedReplies++;
      return;
    }
    this.pending.delete(reply.requestId);
    pending.resolve(reply);
  }

  /** Sends `spec` to `target` until a valid reply arrives or the attempts run out. */
  ask(target: Address, spec: RequestSpec, options: AskOptions): Promise<Reply> {
    return askRepadding(requestLengthOf(spec, options.serverCount), (length) => this.askOnce(target, spec, length, options));
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
        expected: { requestId, kind: spec.kind, options },
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
          reject(new ReplyTimeout(formatAddress(target), attempts));
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
