import { createHash } from 'node:crypto';
// src/peer/framing.ts: the sans-IO batch decoder. Test names each name one chunking
// hazard or one refusal. Frames are also built here by hand from the layout in the
// module's header comment, so the encoder is checked against bytes, not against itself.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { frame_bytes_max, messages_per_batch_max } from '../src/constants.ts';
import { type ErrorCode, isScrypError, ScrypError } from '../src/errors.ts';
import { serverIndexOf } from '../src/network.ts';
import { encodeFrame, type Frame, FrameDecoder, type FramePolicy, frameBytes, type RawMessage } from '../src/peer/framing.ts';
import { isKnownKind } from '../src/peer/messages.ts';
import { type Signer, verify } from '../src/signature.ts';
import { mutate, Prng, seedLabel, testSeeds } from './helpers/prng.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network, servers } = testNetwork({ servers: 3 });
const stranger = testSigner('not a server');
const otherNetworkId = testNetwork({ servers: 3, name: 'othernet' }).network.id;

function policy(frameBytesMax?: number): FramePolicy {
  return {
    networkId: network.id,
    senderIndex: (key) => serverIndexOf(network, key),
    isKnownKind,
    verify,
    ...(frameBytesMax === undefined ? {} : { frameBytesMax }),
  };
}

// ---- frames by hand ---------------------------------------------------------------------

const header_bytes = 4 + 1 + 32 + 32 + 4; // magic version network sender length
const trailer_bytes = 64;

function handBody(messages: readonly RawMessage[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const message of messages) {
    const head = Buffer.alloc(5);
    head[0] = message.kind;
    head.writeUInt32BE(message.payload.length, 1);
    parts.push(head, message.payload);
  }
  return new Uint8Array(Buffer.concat(parts));
}

interface HandFrame {
  signer: Signer;
  messages?: readonly RawMessage[];
  body?: Uint8Array;
  magic?: string;
  version?: number;
  networkId?: Uint8Array;
  senderKey?: Uint8Array;
  declaredLength?: number;
  signature?: Uint8Array;
}

/** "SCPB" || 1 || network id || sender || L u32 || body || signature of sha256("scryp/batch/v1" || all before it). */
function handFrame(options: HandFrame): Uint8Array {
  const body = options.body ?? handBody(options.messages ?? []);
  const header = Buffer.alloc(header_bytes);
  header.write(options.magic ?? 'SCPB', 0, 'latin1');
  header[4] = options.version ?? 1;
  header.set(options.networkId ?? network.id, 5);
  header.set(options.senderKey ?? options.signer.publicKey, 37);
  header.writeUInt32BE(options.declaredLength ?? body.length, 69);
  const signed = Buffer.concat([header, body]);
  const digest = new Uint8Array(createHash('sha256').update(Buffer.from('scryp/batch/v1', 'ascii')).update(signed).digest());
  const signature = options.signature ?? options.signer.sign(digest);
  return new Uint8Array(Buffer.concat([signed, signature]));
}

const concatBytes = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A deterministic variety of batches: different senders, kinds, counts and payload sizes. */
function makeBatches(count: number, seed: number): { bytes: Uint8Array; senderIndex: number; messages: RawMessage[] }[] {
  const prng = new Prng(seed);
  return Array.from({ length: count }, () => {
    const senderIndex = prng.nextInt(servers.length);
    const messageCount = prng.pick([1, 1, 2, 3, 8, 40]);
    const messages = Array.from({ length: messageCount }, () => ({
      kind: prng.between(1, 10),
      payload: prng.bytes(prng.pick([0, 1, 5, 72, 73, 140, prng.nextInt(600)])),
    }));
    return { bytes: encodeFrame(messages, network.id, servers[senderIndex]!), senderIndex, messages };
  });
}

function summary(frame: Frame) {
  return { senderIndex: frame.senderIndex, bytes: frame.bytes, messages: frame.messages.map((m) => ({ kind: m.kind, payload: Buffer.from(m.payload).toString('hex') })) };
}

function expectedSummary(batch: { bytes: Uint8Array; senderIndex: number; messages: RawMessage[] }) {
  return { senderIndex: batch.senderIndex, bytes: batch.bytes.length, messages: batch.messages.map((m) => ({ kind: m.kind, payload: Buffer.from(m.payload).toString('hex') })) };
}

function codeAfter(decoder: FrameDecoder): ErrorCode | null {
  return decoder.error === null ? null : decoder.error.code;
}

// ---- encoding ---------------------------------------------------------------------------

describe('encodeFrame', () => {
  test('lays out exactly the documented bytes, and its output decodes to the same messages (property)', () => {
    const messageArbitrary = fc.record({ kind: fc.integer({ min: 1, max: 10 }), payload: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(messageArbitrary, { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 2 }), (messages, senderIndex) => {
        const signer = servers[senderIndex]!;
        const encoded = encodeFrame(messages, network.id, signer);
        expect(encoded).toEqual(handFrame({ signer, messages }));
        expect(encoded.length).toBe(frameBytes(messages.map((m) => m.payload.length)));
        const decoder = new FrameDecoder(policy());
        const frames = decoder.push(encoded);
        expect(decoder.error).toBeNull();
        expect(frames.map(summary)).toEqual([expectedSummary({ bytes: encoded, senderIndex, messages })]);
      }),
      { numRuns: 150 },
    );
  });
});

// ---- chunking hazards -------------------------------------------------------------------

describe('chunking hazards: every split of the stream gives the same batches', () => {
  const batches = makeBatches(12, 0x0c0ffee);
  const stream = concatBytes(...batches.map((b) => b.bytes));

  test('whole stream at once', () => {
    const decoder = new FrameDecoder(policy());
    const frames = decoder.push(stream);
    expect(decoder.error).toBeNull();
    expect(frames.map(summary)).toEqual(batches.map(expectedSummary));
    expect(decoder.inFrame).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('one byte at a time: each batch completes exactly on its last byte', () => {
    const decoder = new FrameDecoder(policy());
    const completedAt: number[] = [];
    const frames: Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      const out = decoder.push(stream.subarray(i, i + 1));
      for (const frame of out) {
        frames.push(frame);
        completedAt.push(i + 1);
      }
    }
    expect(decoder.error).toBeNull();
    expect(frames.map(summary)).toEqual(batches.map(expectedSummary));
    let end = 0;
    expect(completedAt).toEqual(batches.map((b) => (end += b.bytes.length)));
  });

  test('empty chunks anywhere change nothing', () => {
    const decoder = new FrameDecoder(policy());
    const frames: Frame[] = [...decoder.push(new Uint8Array(0))];
    for (const batch of batches) {
      frames.push(...decoder.push(batch.bytes.subarray(0, 10)), ...decoder.push(new Uint8Array(0)), ...decoder.push(batch.bytes.subarray(10)));
    }
    expect(decoder.error).toBeNull();
    expect(frames.map(summary)).toEqual(batches.map(expectedSummary));
  });

  test('split at every byte boundary of a two-batch stream', () => {
    const two = [batches[0]!, batches[1]!];
    const pair = concatBytes(two[0]!.bytes, two[1]!.bytes);
    const expected = two.map(expectedSummary);
    for (let i = 0; i <= pair.length; i++) {
      const decoder = new FrameDecoder(policy());
      const first = decoder.push(pair.subarray(0, i));
      const second = decoder.push(pair.subarray(i));
      expect([i, decoder.error]).toEqual([i, null]);
      expect([i, [...first, ...second].map(summary)]).toEqual([i, expected]);
      // A batch is returned by the push that delivers its last byte, never earlier or later.
      expect([i, first.length]).toEqual([i, i >= pair.length ? 2 : i >= two[0]!.bytes.length ? 1 : 0]);
    }
  });

  test('a header split at each of its 73 bytes, with the body following in a later chunk', () => {
    const batch = batches[2]!;
    for (let i = 1; i <= header_bytes; i++) {
      const decoder = new FrameDecoder(policy());
      expect(decoder.push(batch.bytes.subarray(0, i))).toEqual([]);
      expect(decoder.inFrame).toBe(true);
      expect(decoder.bufferedBytes).toBe(i);
      expect(decoder.push(batch.bytes.subarray(i)).map(summary)).toEqual([expectedSummary(batch)]);
      expect(decoder.inFrame).toBe(false);
    }
  });

  test('bufferedBytes counts every byte held for the batch in progress, and drops to 0 when it completes', () => {
    const batch = batches[3]!;
    const decoder = new FrameDecoder(policy());
    for (let i = 0; i < batch.bytes.length - 1; i++) {
      decoder.push(batch.bytes.subarray(i, i + 1));
      expect([i, decoder.bufferedBytes]).toEqual([i, i + 1]);
    }
    expect(decoder.push(batch.bytes.subarray(batch.bytes.length - 1)).length).toBe(1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  for (const seed of testSeeds([1, 0xdecade, 0x5ca1ab1e, 0xfeedbeef])) {
    test(`seeded random chunk sizes over 60 batches (${seedLabel(seed)})`, () => {
      const many = makeBatches(60, seed);
      const all = concatBytes(...many.map((b) => b.bytes));
      const prng = new Prng(seed ^ 0x9e3779b9);
      const decoder = new FrameDecoder(policy());
      const frames: Frame[] = [];
      let offset = 0;
      let pushes = 0;
      while (offset < all.length) {
        const size = prng.pick([0, 1, 2, 3, 5, 72, 73, 74, 137, prng.nextInt(64), prng.nextInt(4096), prng.nextInt(20_000)]);
        frames.push(...decoder.push(all.subarray(offset, offset + size)));
        offset += size;
        pushes++;
        if (pushes > 1_000_000) throw new Error(`${seedLabel(seed)}: runaway loop`);
      }
      expect([seedLabel(seed), decoder.error]).toEqual([seedLabel(seed), null]);
      expect(frames.map(summary)).toEqual(many.map(expectedSummary));
      expect(decoder.inFrame).toBe(false);
    });
  }

  test('payload views stay valid after later pushes (the decoder never reuses a returned buffer)', () => {
    const decoder = new FrameDecoder(policy());
    const first = decoder.push(batches[0]!.bytes)[0]!;
    const before = first.messages.map((m) => Buffer.from(m.payload).toString('hex'));
    for (const batch of batches.slice(1)) decoder.push(batch.bytes);
    expect(first.messages.map((m) => Buffer.from(m.payload).toString('hex'))).toEqual(before);
  });
});

// ---- one flipped bit --------------------------------------------------------------------

describe('a single flipped bit at every position gives a sticky error with a stable code', () => {
  const batch = encodeFrame([{ kind: 3, payload: new Uint8Array(8).fill(0xee) }], network.id, servers[1]!);
  const valid = encodeFrame([{ kind: 1, payload: Uint8Array.of(1, 2, 3) }], network.id, servers[0]!);
  const frameBytesMax = 1024;
  // After the damaged batch: a valid batch, then enough zeros that any declared length within the limit completes.
  const tail = concatBytes(valid, new Uint8Array(frameBytesMax));

  function allowed(byte: number): ErrorCode[] {
    if (byte < 4) return ['FRAME_MAGIC'];
    if (byte === 4) return ['FRAME_VERSION'];
    if (byte < 37) return ['FRAME_NETWORK'];
    if (byte < 69) return ['FRAME_SENDER'];
    if (byte < 73) return ['FRAME_TOO_LARGE', 'FRAME_EMPTY', 'FRAME_MESSAGE_LENGTH', 'FRAME_MESSAGE_KIND', 'FRAME_MESSAGE_COUNT', 'FRAME_SIGNATURE'];
    if (byte === 73) return ['FRAME_MESSAGE_KIND', 'FRAME_SIGNATURE'];
    if (byte < 78) return ['FRAME_MESSAGE_LENGTH', 'FRAME_MESSAGE_KIND', 'FRAME_SIGNATURE'];
    return ['FRAME_SIGNATURE'];
  }

  test(`all ${batch.length * 8} bits: error in the expected family, nothing returned, and nothing after it ever`, () => {
    const problems: string[] = [];
    for (let bit = 0; bit < batch.length * 8; bit++) {
      const damaged = batch.slice();
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      const decoder = new FrameDecoder(policy(frameBytesMax));
      const out = decoder.push(concatBytes(damaged, tail));
      const code = codeAfter(decoder);
      if (out.length !== 0) problems.push(`bit ${bit}: returned ${out.length} batches`);
      if (code === null || !allowed(bit >> 3).includes(code)) problems.push(`bit ${bit}: code ${code}`);
      // Sticky: a valid batch afterwards is not returned, and the error does not change.
      const error = decoder.error;
      if (decoder.push(valid).length !== 0 || decoder.error !== error) problems.push(`bit ${bit}: not sticky`);
      // Stable: the same bytes in other chunkings give the same code.
      const again = new FrameDecoder(policy(frameBytesMax));
      const split = 1 + ((bit * 7919) % (damaged.length - 1));
      const whole = concatBytes(damaged, tail);
      const outAgain = [...again.push(whole.subarray(0, split)), ...again.push(whole.subarray(split, split + 100)), ...again.push(whole.subarray(split + 100))];
      if (outAgain.length !== 0 || codeAfter(again) !== code) problems.push(`bit ${bit}: unstable (${code} then ${codeAfter(again)})`);
    }
    expect(problems).toEqual([]);
  });

  test('the undamaged batch, with the same tail, is accepted (the test above is not vacuous)', () => {
    const decoder = new FrameDecoder(policy(frameBytesMax));
    expect(decoder.push(concatBytes(batch, valid)).length).toBe(2);
    expect(decoder.error).toBeNull();
  });
});

// ---- the size limit ---------------------------------------------------------------------

describe('the declared length is checked against frameBytesMax before any body byte is buffered', () => {
  const max = 4096;
  const payloadFor = (total: number) => total - header_bytes - trailer_bytes - 5;

  test('a batch of exactly frameBytesMax bytes is accepted', () => {
    const bytes = handFrame({ signer: servers[0]!, messages: [{ kind: 2, payload: new Uint8Array(payloadFor(max)).fill(7) }] });
    expect(bytes.length).toBe(max);
    const decoder = new FrameDecoder(policy(max));
    decoder.push(bytes.subarray(0, header_bytes));
    expect(decoder.error).toBeNull();
    const frames = decoder.push(bytes.subarray(header_bytes));
    expect(decoder.error).toBeNull();
    expect(frames.length).toBe(1);
    expect(frames[0]!.bytes).toBe(max);
  });

  test('frameBytesMax + 1 is FRAME_TOO_LARGE as soon as the header is in, with only the header held', () => {
    const bytes = handFrame({ signer: servers[0]!, messages: [{ kind: 2, payload: new Uint8Array(payloadFor(max + 1)) }] });
    expect(bytes.length).toBe(max + 1);
    const decoder = new FrameDecoder(policy(max));
    expect(decoder.push(bytes.subarray(0, header_bytes - 1))).toEqual([]);
    expect(decoder.error).toBeNull();
    expect(decoder.push(bytes.subarray(header_bytes - 1, header_bytes))).toEqual([]);
    expect(codeAfter(decoder)).toBe('FRAME_TOO_LARGE');
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(header_bytes);
    expect(decoder.push(bytes.subarray(header_bytes))).toEqual([]);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(header_bytes);
  });

  test('a header declaring 2^32 - 1 body bytes is refused at once and buffers nothing more', () => {
    const bytes = handFrame({ signer: servers[0]!, messages: [{ kind: 1, payload: new Uint8Array(4) }], declaredLength: 0xffff_ffff });
    const decoder = new FrameDecoder(policy());
    decoder.push(bytes.subarray(0, header_bytes));
    expect(codeAfter(decoder)).toBe('FRAME_TOO_LARGE');
    decoder.push(new Uint8Array(100_000));
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(header_bytes);
  });

  test('the default limit is frame_bytes_max: a header declaring exactly it is taken, one more byte is refused', () => {
    const atMax = handFrame({ signer: servers[0]!, body: new Uint8Array(1), declaredLength: frame_bytes_max - header_bytes - trailer_bytes });
    const accepted = new FrameDecoder(policy());
    accepted.push(atMax.subarray(0, header_bytes));
    expect(accepted.error).toBeNull();
    expect(accepted.inFrame).toBe(true);

    const overMax = handFrame({ signer: servers[0]!, body: new Uint8Array(1), declaredLength: frame_bytes_max - header_bytes - trailer_bytes + 1 });
    const refused = new FrameDecoder(policy());
    refused.push(overMax.subarray(0, header_bytes));
    expect(codeAfter(refused)).toBe('FRAME_TOO_LARGE');
    expect(refused.bufferedBytes).toBeLessThanOrEqual(header_bytes);
  });
});

// ---- every refusal, one at a time -------------------------------------------------------

describe('refusals, each with its stable code', () => {
  const message = { kind: 3, payload: Uint8Array.of(1, 2, 3, 4) };

  function decodeAll(bytes: Uint8Array, frameBytesMax?: number): { frames: Frame[]; code: ErrorCode | null } {
    const decoder = new FrameDecoder(policy(frameBytesMax));
    const frames = decoder.push(bytes);
    return { frames, code: codeAfter(decoder) };
  }

  test('unknown sender: FRAME_SENDER (even with a good signature of its own)', () => {
    expect(decodeAll(handFrame({ signer: stranger, messages: [message] }))).toEqual({ frames: [], code: 'FRAME_SENDER' });
  });

  test('unknown sender is refused at the header, before the body arrives', () => {
    const bytes = handFrame({ signer: stranger, messages: [message] });
    const decoder = new FrameDecoder(policy());
    decoder.push(bytes.subarray(0, header_bytes));
    expect(codeAfter(decoder)).toBe('FRAME_SENDER');
  });

  test('wrong network id: FRAME_NETWORK', () => {
    expect(decodeAll(handFrame({ signer: servers[0]!, messages: [message], networkId: otherNetworkId }))).toEqual({ frames: [], code: 'FRAME_NETWORK' });
  });

  test('wrong magic: FRAME_MAGIC', () => {
    for (const magic of ['SCPA', 'scpb', 'SC\u0000\u0000', 'XXXX']) {
      expect(decodeAll(handFrame({ signer: servers[0]!, messages: [message], magic })).code).toBe('FRAME_MAGIC');
    }
  });

  test('wrong version: FRAME_VERSION', () => {
    for (const version of [0, 2, 255]) {
      expect(decodeAll(handFrame({ signer: servers[0]!, messages: [message], version })).code).toBe('FRAME_VERSION');
    }
  });

  test('bad signature: FRAME_SIGNATURE (signed by another server, zeros, or over other bytes)', () => {
    const claimed = servers[0]!.publicKey;
    expect(decodeAll(handFrame({ signer: servers[1]!, senderKey: claimed, messages: [message] })).code).toBe('FRAME_SIGNATURE');
    expect(decodeAll(handFrame({ signer: servers[0]!, messages: [message], signature: new Uint8Array(64) })).code).toBe('FRAME_SIGNATURE');
    const good = handFrame({ signer: servers[0]!, messages: [message] });
    const wrongBody = good.slice();
    wrongBody[header_bytes + 5]! ^= 1;
    expect(decodeAll(wrongBody).code).toBe('FRAME_SIGNATURE');
    // A signature without the domain tag does not verify, nor one of the bytes instead of their digest.
    const signedBytes = good.subarray(0, good.length - 64);
    const undomained = concatBytes(signedBytes, servers[0]!.sign(new Uint8Array(createHash('sha256').update(signedBytes).digest())));
    expect(decodeAll(undomained).code).toBe('FRAME_SIGNATURE');
    const undigested = concatBytes(signedBytes, servers[0]!.sign(concatBytes(Buffer.from('scryp/batch/v1', 'ascii'), signedBytes)));
    expect(decodeAll(undigested).code).toBe('FRAME_SIGNATURE');
    expect(decodeAll(undomained).code).toBe('FRAME_SIGNATURE');
  });

  test('unknown message kind: FRAME_MESSAGE_KIND', () => {
    for (const kind of [0x00, 0x5a, 0x7f, 0x80, 0xff]) {
      const bytes = handFrame({ signer: servers[0]!, messages: [message, { kind, payload: new Uint8Array(2) }] });
      expect([kind, decodeAll(bytes).code]).toEqual([kind, 'FRAME_MESSAGE_KIND']);
    }
  });

  test('a message length overrunning the body: FRAME_MESSAGE_LENGTH', () => {
    const overrun = Uint8Array.of(3, 0, 0, 0, 10, 1, 2, 3, 4, 5);
    expect(decodeAll(handFrame({ signer: servers[0]!, body: overrun })).code).toBe('FRAME_MESSAGE_LENGTH');
    const huge = Uint8Array.of(3, 0xff, 0xff, 0xff, 0xff, 1);
    expect(decodeAll(handFrame({ signer: servers[0]!, body: huge })).code).toBe('FRAME_MESSAGE_LENGTH');
  });

  test('a message header cut short by the end of the body: FRAME_MESSAGE_LENGTH', () => {
    for (const tail of [[3], [3, 0], [3, 0, 0, 0]]) {
      const body = concatBytes(handBody([message]), Uint8Array.from(tail));
      expect([tail.length, decodeAll(handFrame({ signer: servers[0]!, body })).code]).toEqual([tail.length, 'FRAME_MESSAGE_LENGTH']);
    }
  });

  test('empty body: FRAME_EMPTY, at the header', () => {
    const bytes = handFrame({ signer: servers[0]!, body: new Uint8Array(0) });
    const decoder = new FrameDecoder(policy());
    decoder.push(bytes.subarray(0, header_bytes));
    expect(codeAfter(decoder)).toBe('FRAME_EMPTY');
  });

  test(`${messages_per_batch_max} messages are accepted; one more is FRAME_MESSAGE_COUNT`, () => {
    const empty = { kind: 7, payload: new Uint8Array(0) };
    const atMax = decodeAll(handFrame({ signer: servers[2]!, messages: Array(messages_per_batch_max).fill(empty) }));
    expect(atMax.code).toBeNull();
    expect(atMax.frames[0]!.messages.length).toBe(messages_per_batch_max);
    expect(decodeAll(handFrame({ signer: servers[2]!, messages: Array(messages_per_batch_max + 1).fill(empty) })).code).toBe('FRAME_MESSAGE_COUNT');
  });

  test('a valid batch followed by garbage in the same chunk: the valid batch is returned AND the error is set', () => {
    const good = handFrame({ signer: servers[0]!, messages: [message] });
    const garbage = new Uint8Array(80).fill(0x58);
    const decoder = new FrameDecoder(policy());
    const frames = decoder.push(concatBytes(good, garbage, good));
    expect(frames.length).toBe(1);
    expect(frames[0]!.messages.map((m) => [m.kind, Buffer.from(m.payload).toString('hex')])).toEqual([[3, '01020304']]);
    expect(codeAfter(decoder)).toBe('FRAME_MAGIC');
    expect(decoder.push(good)).toEqual([]);
  });

  test('valid batches, then a bad one, then valid ones in one chunk: only the batches before the error', () => {
    const good = handFrame({ signer: servers[0]!, messages: [message] });
    const bad = handFrame({ signer: servers[1]!, senderKey: servers[0]!.publicKey, messages: [message] });
    const decoder = new FrameDecoder(policy());
    expect(decoder.push(concatBytes(good, good, bad, good)).length).toBe(2);
    expect(codeAfter(decoder)).toBe('FRAME_SIGNATURE');
  });

  test('abort() makes the stream fail from outside, and the first error wins', () => {
    const decoder = new FrameDecoder(policy());
    const good = handFrame({ signer: servers[0]!, messages: [message] });
    decoder.push(good.subarray(0, 10));
    decoder.abort(new ScrypError('FRAME_DEADLINE', 'too slow'));
    decoder.abort(new ScrypError('FRAME_IDLE', 'later'));
    expect(codeAfter(decoder)).toBe('FRAME_DEADLINE');
    expect(decoder.push(good.subarray(10))).toEqual([]);
    expect(decoder.push(good)).toEqual([]);
  });
});

// ---- seeded mutation fuzz ---------------------------------------------------------------

describe('seeded mutation fuzz: batch streams', () => {
  const corpus: Uint8Array[] = [];
  for (let i = 0; i < 12; i++) {
    const batches = makeBatches(1 + (i % 3), 0xf00d + i).filter((b) => b.bytes.length < 6000);
    if (batches.length > 0) corpus.push(concatBytes(...batches.map((b) => b.bytes)));
  }
  const fuzzMax = 64 * 1024;

  for (const seed of testSeeds([0xa11ce, 0xb0b])) {
    test(`4k mutated streams: only ScrypErrors, and what is accepted re-encodes to exactly the input's prefix (${seedLabel(seed)})`, () => {
      const prng = new Prng(seed);
      let accepted = 0;
      let refused = 0;
      for (let i = 0; i < 4_000; i++) {
        const source = prng.pick(corpus);
        let { bytes, what } = mutate(prng, source);
        if (prng.nextInt(4) === 0) {
          const second = mutate(prng, bytes);
          bytes = second.bytes;
          what += `, ${second.what}`;
        }
        const where = `${seedLabel(seed)} iteration ${i} (${what})`;
        const decoder = new FrameDecoder(policy(fuzzMax));
        let frames: Frame[] = [];
        try {
          // Two chunks, split at a random point: a split must not change the outcome.
          const split = prng.nextInt(bytes.length + 1);
          frames = [...decoder.push(bytes.subarray(0, split)), ...decoder.push(bytes.subarray(split))];
        } catch (error) {
          throw new Error(`${where}: push threw ${String(error)}`);
        }
        if (decoder.error !== null && !isScrypError(decoder.error)) throw new Error(`${where}: error is not a ScrypError`);
        const again = concatBytes(...frames.map((frame) => encodeFrame(frame.messages, network.id, servers[frame.senderIndex]!)));
        if (!Buffer.from(again).equals(Buffer.from(bytes.subarray(0, again.length)))) throw new Error(`${where}: accepted batches re-encode differently`);
        if (decoder.error === null && !decoder.inFrame && again.length !== bytes.length) throw new Error(`${where}: bytes consumed without a batch or an error`);
        accepted += frames.length;
        if (decoder.error !== null) refused++;
      }
      expect(accepted).toBeGreaterThan(100);
      expect(refused).toBeGreaterThan(100);
    });
  }
});
