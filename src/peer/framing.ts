// Peer batches over TCP: a sans-IO encoder and decoder. Bytes in, whole batches or a
// sticky error out, for any split of the byte stream; it never touches a socket.
//
//   offset   size  field
//        0      4  magic "SCPB"
//        4      1  version 1
//        5     32  network id
//       37     32  sender key
//       69      4  body length L (u32)
//       73      L  body: messages, each kind u8 || length u32 || payload
//     73+L     64  sender's Ed25519 signature of the 32-byte digest
//                   sha256("scryp/batch/v1" || bytes [0, 73+L))
//
// Hash-then-sign: Ed25519 would hash a large batch three times with SHA-512 (twice to
// sign, once to verify); signing its SHA-256 digest hashes each byte once per side with
// the CPU's SHA-256 instructions, and is exactly as binding.
//
// Decoder states:
//
//   HEADER --73 bytes, checks pass--> BODY --L+64 bytes, messages parse, signature ok--> HEADER
//     |                                 |
//     +--------- any check fails -------+--> FAILED (sticky: every later push returns nothing)
//
// The header is checked (magic, version, network id, sender, L within the limit) before a
// single body byte is buffered, so a peer can never make us hold more than frame_bytes_max.

import {
  frame_bytes_max,
  frame_header_bytes,
  frame_trailer_bytes,
  hash_bytes,
  key_bytes,
  message_header_bytes,
  messages_per_batch_max,
} from '../constants.ts';
import { abytes, equal, view, Writer } from '../bytes.ts';
import { ScrypError } from '../errors.ts';
import { domain, sha256 } from '../hash.ts';
import type { Signer } from '../signature.ts';

export const frame_magic = Uint8Array.from([0x53, 0x43, 0x50, 0x42]); // "SCPB"
export const frame_version = 1;

export interface RawMessage {
  readonly kind: number;
  /** A view into the frame's own buffer: it stays valid, nothing else writes there. */
  readonly payload: Uint8Array;
}

export interface Frame {
  readonly senderIndex: number;
  readonly messages: RawMessage[];
  readonly bytes: number;
}

export interface FramePolicy {
  readonly networkId: Uint8Array;
  /** Index of the sender in the network's servers, or -1. */
  senderIndex(key: Uint8Array): number;
  isKnownKind(kind: number): boolean;
  verify(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean;
  /** Defaults to frame_bytes_max; tests lower it to probe the boundary cheaply. */
  readonly frameBytesMax?: number;
}

const prefix = domain.batch.length; // the frame buffer starts with the domain tag, so the signed bytes are one view

export class FrameDecoder {
  private readonly header = new Uint8Array(frame_header_bytes);
  private headerFill = 0;
  private frame: Uint8Array | null = null; // domain || header || body || signature
  private frameFill = 0;
  private senderIndex = -1;
  private failure: ScrypError | null = null;
  private readonly frameBytesMax: number;

  constructor(private readonly policy: FramePolicy) {
    this.frameBytesMax = policy.frameBytesMax ?? frame_bytes_max;
  }

  /** The sticky error, once any check failed. */
  get error(): ScrypError | null {
    return this.failure;
  }

  /** Bytes held for the frame in progress. */
  get bufferedBytes(): number {
    // Once the header is accepted it lives in `frame` (after the domain prefix), so count it there.
    return this.frame === null ? this.headerFill : this.frameFill - prefix;
  }

  /** True between the first byte of a frame and its last. */
  get inFrame(): boolean {
    return this.headerFill > 0 || this.frame !== null;
  }

  /**
   * Feeds bytes. Returns the batches completed by this chunk, in order; batches that
   * completed before an error in the same chunk are returned, and `error` is set.
   */
  push(chunk: Uint8Array): Frame[] {
    // Refused before any state changes: a Uint16Array would otherwise be copied element by element.
    abytes(chunk, undefined, 'chunk');
    const frames: Frame[] = [];
    let offset = 0;
    while (this.failure === null && offset < chunk.length) {
      if (this.frame === null) {
        const take = Math.min(frame_header_bytes - this.headerFill, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === frame_header_bytes) this.startFrame();
      } else {
        const take = Math.min(this.frame.length - this.frameFill, chunk.length - offset);
        this.frame.set(chunk.subarray(offset, offset + take), this.frameFill);
        this.frameFill += take;
        offset += take;
        if (this.frameFill === this.frame.length) {
          const frame = this.finishFrame();
          if (frame !== null) frames.push(frame);
        }
      }
    }
    return frames;
  }

  /** Marks the stream failed from outside (idle or deadline), so nothing more is accepted. */
  abort(error: ScrypError): void {
    if (this.failure === null) this.failure = error;
  }

  private fail(code: ScrypError['code'], message: string): null {
    this.failure = new ScrypError(code, message);
    this.frame = null;
    return null;
  }

  private startFrame(): void {
    const h = this.header;
    if (!equal(h.subarray(0, 4), frame_magic)) {
      this.fail('FRAME_MAGIC', 'batch: magic is not "SCPB"');
      return;
    }
    if (h[4] !== frame_version) {
      this.fail('FRAME_VERSION', `batch: version ${h[4]}, expected ${frame_version}`);
      return;
    }
    if (!equal(h.subarray(5, 5 + hash_bytes), this.policy.networkId)) {
      this.fail('FRAME_NETWORK', 'batch: network id is not ours');
      return;
    }
    const sender = h.subarray(5 + hash_bytes, 5 + hash_bytes + key_bytes);
    this.senderIndex = this.policy.senderIndex(sender);
    if (this.senderIndex < 0) {
      this.fail('FRAME_SENDER', 'batch: sender is not a server of this network');
      return;
    }
    const bodyLength = view(h).getUint32(frame_header_bytes - 4);
    const total = frame_header_bytes + bodyLength + frame_trailer_bytes;
    if (total > this.frameBytesMax) {
      this.fail('FRAME_TOO_LARGE', `batch: ${total} bytes declared, at most ${this.frameBytesMax}`);
      return;
    }
    if (bodyLength === 0) {
      this.fail('FRAME_EMPTY', 'batch: no messages');
      return;
    }
    this.frame = new Uint8Array(prefix + total);
    this.frame.set(domain.batch, 0);
    this.frame.set(h, prefix);
    this.frameFill = prefix + frame_header_bytes;
    this.headerFill = 0;
  }

  private finishFrame(): Frame | null {
    const frame = this.frame!;
    this.frame = null;
    const bodyStart = prefix + frame_header_bytes;
    const bodyEnd = frame.length - frame_trailer_bytes;
    const messages: RawMessage[] = [];
    const dv = view(frame);
    let offset = bodyStart;
    while (offset < bodyEnd) {
      if (messages.length === messages_per_batch_max) {
        return this.fail('FRAME_MESSAGE_COUNT', `batch: more than ${messages_per_batch_max} messages`);
      }
      if (bodyEnd - offset < message_header_bytes) return this.fail('FRAME_MESSAGE_LENGTH', 'batch: truncated message header');
      const kind = frame[offset]!;
      const length = dv.getUint32(offset + 1);
      if (!this.policy.isKnownKind(kind)) return this.fail('FRAME_MESSAGE_KIND', `batch: unknown message kind 0x${kind.toString(16)}`);
      offset += message_header_bytes;
      if (length > bodyEnd - offset) return this.fail('FRAME_MESSAGE_LENGTH', `batch: message of ${length} bytes overruns the body`);
      messages.push({ kind, payload: frame.subarray(offset, offset + length) });
      offset += length;
    }
    const sender = frame.subarray(prefix + 5 + hash_bytes, prefix + 5 + hash_bytes + key_bytes);
    if (!this.policy.verify(frame.subarray(bodyEnd), sha256(frame.subarray(0, bodyEnd)), sender)) {
      return this.fail('FRAME_SIGNATURE', 'batch: signature does not verify');
    }
    return { senderIndex: this.senderIndex, messages, bytes: frame.length - prefix };
  }
}

/** Size of a batch holding these messages. */
export function frameBytes(payloadBytes: readonly number[]): number {
  let total = frame_header_bytes + frame_trailer_bytes;
  for (const bytes of payloadBytes) total += message_header_bytes + bytes;
  return total;
}

/** Encodes and signs one batch. Asserts (a bug, not an input error) that it fits the limit. */
export function encodeFrame(messages: readonly RawMessage[], networkId: Uint8Array, signer: Signer): Uint8Array {
  if (messages.length === 0 || messages.length > messages_per_batch_max) {
    throw new Error(`assertion failed: a batch holds 1..${messages_per_batch_max} messages, got ${messages.length}`);
  }
  const total = frameBytes(messages.map((message) => message.payload.length));
  if (total > frame_bytes_max) throw new Error(`assertion failed: batch of ${total} bytes exceeds frame_bytes_max`);
  const writer = new Writer(prefix + total).put(domain.batch).put(frame_magic).u8(frame_version).put(networkId).put(signer.publicKey);
  writer.u32(total - frame_header_bytes - frame_trailer_bytes);
  for (const message of messages) writer.u8(message.kind).u32(message.payload.length).put(message.payload);
  const signedEnd = writer.offset;
  writer.put(signer.sign(sha256(writer.bytes.subarray(0, signedEnd))));
  return writer.done().subarray(prefix);
}
