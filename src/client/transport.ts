// How a client reaches a server: one interface, two edges. UdpClient (udp-client.ts) sends
// datagrams; GatewayClient (gateway-client.ts) POSTs the very same request bytes to a
// server's HTTP gateway (PROTOCOL §12.1), for a browser, which cannot send UDP. Everything a
// client asks (majority.ts, chain.ts, addresses.ts, history.ts, wallet.ts) asks through
// `ClientTransport`, so it works over either. Both edges check a reply here, the same way:
// it decodes, answers the request asked (id and kind), is signed under this network's id,
// and by the server asked; and both pad again when a server answers TOO_SHORT.

import { datagram_bytes_max, request_header_bytes } from '../constants.ts';
import { equal } from '../bytes.ts';
import { isScrypError, ScrypError } from '../errors.ts';
import type { Address } from '../ip.ts';
import { verifyAhead } from '../signature.ts';
import { decodeReply, type Kind, type Reply, replySigningMessage, requestBytesFor, Status, verifyReply } from './codec.ts';

export type RequestSpec =
  | { kind: 0x01 | 0x0b; transaction: Uint8Array } // PAY (140 bytes) or PAYREF (148)
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

/** No valid reply: silence, or (`why`) only replies that were refused, or no way to reach the server. */
export class ReplyTimeout extends Error {
  constructor(
    where: string,
    attempts: number,
    readonly why: string | null = null,
  ) {
    super(`no valid reply from ${where} after ${attempts} attempt${attempts === 1 ? '' : 's'}${why === null ? '' : `: ${why}`}`);
    this.name = 'ReplyTimeout';
  }
}

/** A server of the network, for a transport: where it listens (UDP) and its key (which also finds its gateway). */
export interface ClientTransport {
  /** Sends `spec` to `target` until a valid reply arrives or the attempts run out (ReplyTimeout). */
  ask(target: Address, spec: RequestSpec, options: AskOptions): Promise<Reply>;
}

/** The first length to send `spec` at: long enough for the success reply (CHANGE: as long as the change). */
export function requestLengthOf(spec: RequestSpec, serverCount?: number): number {
  const length = requestBytesFor(spec.kind as Kind, serverCount);
  return spec.kind === 0x0a ? Math.max(length, request_header_bytes + 2 + spec.change.length) : length;
}

/** What a reply must be to answer a request. */
export interface Expected {
  readonly requestId: number;
  readonly kind: number;
  readonly options: AskOptions;
}

/**
 * Why a decoded reply does not answer `expected`, in words a person can read in a list of
 * servers that disagree; null when it does. A valid signature under another network's id
 * fails like a changed byte: a reply replayed from another network is refused here.
 */
/** The network id a reply must be signed under: the one asked for, or (INFO of an unknown network) the one it carries. */
const networkIdOf = (reply: Reply, expected: Expected): Uint8Array | null =>
  expected.options.networkId ?? (reply.body !== null && 'networkId' in reply.body ? reply.body.networkId : null);

export function refusalOf(reply: Reply, expected: Expected): string | null {
  if (reply.requestId !== expected.requestId || reply.kind !== expected.kind) return 'the reply answers another request';
  const networkId = networkIdOf(reply, expected);
  if (networkId === null || !verifyReply(reply, networkId)) {
    return 'the reply’s signature does not verify under this network’s id: it was changed on the way, or it is a reply from another network';
  }
  if (expected.options.serverKey !== undefined && !equal(reply.serverKey, expected.options.serverKey)) return 'the reply is signed by another server than the one asked';
  return null;
}

function decoded(bytes: Uint8Array): { reply: Reply } | { refused: string } {
  try {
    return { reply: decodeReply(bytes) };
  } catch (error) {
    if (!isScrypError(error)) throw error;
    return { refused: `the reply does not decode (${error.message})` };
  }
}

/** The reply in `bytes` if it answers `expected`, or why not. */
export function checkReply(bytes: Uint8Array, expected: Expected): { reply: Reply } | { refused: string } {
  const read = decoded(bytes);
  if ('refused' in read) return read;
  const refused = refusalOf(read.reply, expected);
  return refused === null ? read : { refused };
}

/**
 * checkReply for an edge that can wait (GatewayClient): the signature is first checked
 * ahead by the platform (the browser's WebCrypto, off the page's thread: signature.ts
 * verifyAhead), then every check is checkReply's, the signature's answered from that.
 */
export async function checkReplyAhead(bytes: Uint8Array, expected: Expected): Promise<{ reply: Reply } | { refused: string }> {
  const read = decoded(bytes);
  if ('refused' in read) return read;
  const networkId = networkIdOf(read.reply, expected);
  if (networkId !== null) await verifyAhead(read.reply.signature, replySigningMessage(networkId, read.reply.signed), read.reply.serverKey);
  const refused = refusalOf(read.reply, expected);
  return refused === null ? read : { refused };
}

/**
 * Asks at `length`, and again at the length a TOO_SHORT reply names (at most twice more):
 * a server never answers longer than the request, so a reply that grew is asked for again.
 */
export async function askRepadding(length: number, askAt: (length: number) => Promise<Reply>): Promise<Reply> {
  for (let round = 0; round < 3; round++) {
    const reply = await askAt(length);
    if (reply.status !== Status.TOO_SHORT || reply.body === null || !('needed' in reply.body)) return reply;
    const needed = reply.body.needed;
    if (needed <= length || needed > datagram_bytes_max) throw new ScrypError('BAD_REPLY', `TOO_SHORT asks for ${needed} bytes`);
    length = needed;
  }
  throw new ScrypError('BAD_REPLY', 'the server keeps answering TOO_SHORT');
}
