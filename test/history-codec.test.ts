// HISTORY (kind 0x06) in src/client/codec.ts, byte-exact (docs/PROTOCOL.md §6.8): the
// request and reply layouts written out by hand from the design, how many entries fit a
// request of each length, round trips as properties, and the hostile bodies a client must
// refuse: truncated, trailing bytes, a count beyond 7 or beyond the body, outcome bits
// other than 0x01 and 0x02, a reference 0, entries out of order or outside what the
// server holds. Entries of payments with a reference (outcome bit 0x02) are 161 bytes.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  history_body_fixed_bytes,
  history_entry_bytes,
  history_entry_with_reference_bytes,
  historyBodyBytes,
  historyEntryBytesOf,
  historyPageThatFits,
  type HistoryBody,
  historyEntriesThatFit,
  Kind,
  type ListedPayment,
  replyBytes,
  requestBytesFor,
  Status,
} from '../src/client/codec.ts';
import { type ErrorCode, isScrypError } from '../src/errors.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';
import { mutate, Prng, seedLabel, testSeeds } from './helpers/prng.ts';

const { network } = testNetwork();
const server = testSigner('server 0');
const account = new Uint8Array(32).map((_, i) => 0xa0 + i);

const u64be = (value: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b;
};
const u32be = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
};

function entry(period: number, index: number, applied = true, fill = index): ListedPayment {
  return { period, index, applied, transaction: new Uint8Array(140).fill(fill) };
}

/** A listed payment of the 148-byte form (a reference ≠ 0 at offset 76). */
function entryWithReference(period: number, index: number, applied = true, fill = index): ListedPayment {
  const transaction = new Uint8Array(148).fill(fill);
  transaction[83] = 1 + (fill % 200);
  return { period, index, applied, transaction };
}

/**
 * The body as the design lays it out: account || committed u64 || archive_from u64 || count u8 ||
 * (period u64 || index u32 || outcome u8 (0x01 applied | 0x02 the 148-byte form) || payment) × count.
 */
function handBody(body: HistoryBody): Buffer {
  return Buffer.concat([
    body.account,
    u64be(body.committedPeriod),
    u64be(body.archiveFrom),
    Buffer.from([body.entries.length]),
    ...body.entries.flatMap((e) => [u64be(e.period), u32be(e.index), Buffer.from([(e.applied ? 1 : 0) | (e.transaction.length === 148 ? 2 : 0)]), e.transaction]),
  ]);
}

const replyOf = (body: HistoryBody, requestId = 7) => encodeReply(Kind.HISTORY, requestId, Status.OK, body, server, network.id);
/** The reply's bytes with `body` in place of the real one (the signature is not what is tested here: decodeReply checks structure). */
function withBody(body: Uint8Array): Uint8Array {
  const good = replyOf({ account, committedPeriod: 10, archiveFrom: 0, entries: [] });
  return Buffer.concat([good.subarray(0, 9), body, good.subarray(good.length - 96)]);
}

describe('HISTORY request', () => {
  test('layout: "SC" 1 06 id || account || before_period u64 || before_index u32 || zero padding', () => {
    const bytes = encodeRequest({ kind: Kind.HISTORY, requestId: 0x01020304, account, beforePeriod: 1_700_000_123, beforeIndex: 42, length: 200 });
    const hand = Buffer.alloc(200);
    Buffer.from([0x53, 0x43, 0x01, 0x06, 0x01, 0x02, 0x03, 0x04]).copy(hand, 0);
    Buffer.from(account).copy(hand, 8);
    u64be(1_700_000_123).copy(hand, 40);
    u32be(42).copy(hand, 48);
    expect(Buffer.from(bytes).toString('hex')).toBe(hand.toString('hex'));
    expect(decodeRequest(bytes)).toEqual({ kind: Kind.HISTORY, requestId: 0x01020304, account, beforePeriod: 1_700_000_123, beforeIndex: 42, length: 200 });
  });

  test('a client pads it to 1225 bytes, where a full page of 7 fits', () => {
    expect(requestBytesFor(Kind.HISTORY)).toBe(1225);
    expect(replyBytes(historyBodyBytes(7))).toBe(1225);
    expect(historyEntriesThatFit(requestBytesFor(Kind.HISTORY))).toBe(7);
  });

  test('before_period 0 ("from the newest") with a before_index is refused both ways; a u64 beyond 2^53 − 1 too', () => {
    const bytes = encodeRequest({ kind: Kind.HISTORY, requestId: 1, account, beforePeriod: 0, beforeIndex: 0, length: 128 });
    bytes[51] = 1;
    expect(codeOf(() => decodeRequest(bytes))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeRequest({ kind: Kind.HISTORY, requestId: 1, account, beforePeriod: 0, beforeIndex: 3, length: 128 }))).toBe('OUT_OF_RANGE');
    const huge = encodeRequest({ kind: Kind.HISTORY, requestId: 1, account, beforePeriod: 1, beforeIndex: 0, length: 128 });
    huge.set([0x00, 0x20, 0, 0, 0, 0, 0, 0], 40); // 2^53
    expect(codeOf(() => decodeRequest(huge))).toBe('OUT_OF_RANGE');
    const padded = encodeRequest({ kind: Kind.HISTORY, requestId: 1, account, beforePeriod: 5, beforeIndex: 0, length: 128 });
    padded[52] = 1;
    expect(codeOf(() => decodeRequest(padded))).toBe('BAD_PADDING');
  });

  test('property: encode(decode(b)) = b for requests of every valid shape', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 128, max: 1232 }),
        (who, beforePeriod, index, length) => {
          const request = { kind: Kind.HISTORY, requestId: 9, account: who, beforePeriod, beforeIndex: beforePeriod === 0 ? 0 : index, length } as const;
          const bytes = encodeRequest(request);
          expect(bytes.length).toBe(length);
          expect(encodeRequest(decodeRequest(bytes) as typeof request)).toEqual(bytes);
        },
      ),
    );
  });
});

describe('HISTORY reply', () => {
  const body: HistoryBody = { account, committedPeriod: 1_700_000_010, archiveFrom: 1_699_999_000, entries: [entry(1_700_000_010, 3), entry(1_700_000_010, 1, false), entry(1_700_000_002, 65_535)] };

  test('layout by hand; 154 bytes with no entry, 153 more per entry; decode gives it back', () => {
    const bytes = replyOf(body);
    expect(Buffer.from(bytes.subarray(9, bytes.length - 96)).toString('hex')).toBe(handBody(body).toString('hex'));
    expect(bytes.length).toBe(154 + 3 * 153);
    expect(history_entry_bytes).toBe(153);
    expect(replyOf({ ...body, entries: [] }).length).toBe(154);
    const decoded = decodeReply(bytes);
    expect(decoded.kind).toBe(Kind.HISTORY);
    expect(decoded.body).toEqual(body);
  });

  test('entries that fit a request of each length from 128 to 1232: the most whose reply is no longer than the request, at most 7', () => {
    for (let length = 128; length <= 1232; length++) {
      const fit = historyEntriesThatFit(length);
      expect(fit).toBeLessThanOrEqual(7);
      if (fit > 0) expect(154 + 153 * fit).toBeLessThanOrEqual(length);
      if (fit < 7) expect(154 + 153 * (fit + 1)).toBeGreaterThan(length);
    }
    expect([127, 153, 306, 307, 459, 460, 1224, 1225, 1232].map(historyEntriesThatFit)).toEqual([0, 0, 0, 1, 1, 2, 6, 7, 7]);
  });

  test('entries with a reference are 161 bytes: a page keeps as many as fit, in order, and at least one (TOO_SHORT then says the length)', () => {
    const mixed = Array.from({ length: 7 }, (_, i) => (i % 2 === 0 ? entryWithReference(1_700_000_010, 6 - i) : entry(1_700_000_010, 6 - i)));
    const allWithReference = Array.from({ length: 7 }, (_, i) => entryWithReference(1_700_000_010, 6 - i));
    for (let length = 128; length <= 1232; length++) {
      for (const entries of [mixed, allWithReference, mixed.filter((e) => e.transaction.length === 140)]) {
        const page = historyPageThatFits(entries, length);
        expect(page).toEqual(entries.slice(0, page.length));
        expect(page.length).toBeGreaterThanOrEqual(1);
        const bytes = replyBytes(history_body_fixed_bytes + page.reduce((sum, e) => sum + historyEntryBytesOf(e.transaction), 0));
        expect(replyOf({ ...body, entries: page }).length).toBe(bytes);
        if (page.length > 1) expect(bytes).toBeLessThanOrEqual(length);
        const next = entries[page.length];
        if (next !== undefined && page.length < 7 && bytes <= length) expect(bytes + historyEntryBytesOf(next.transaction)).toBeGreaterThan(length);
      }
    }
    // A 1225-byte request: 7 entries of 140-byte payments, 6 of 148-byte ones (154 + 6 × 161 = 1120).
    expect(historyPageThatFits(allWithReference, 1225).length).toBe(6);
    expect(historyPageThatFits(mixed, 1225).length).toBe(6);
    expect(history_entry_with_reference_bytes).toBe(161);
    expect(replyOf({ ...body, entries: [entryWithReference(1_700_000_010, 0)] }).length).toBe(154 + 161);
  });

  const hostile: [string, () => Uint8Array, ErrorCode][] = [
    ['truncated inside the fixed part', () => handBody(body).subarray(0, 40), 'BAD_LENGTH'],
    ['truncated inside an entry', () => handBody(body).subarray(0, 49 + 153 + 70), 'BAD_REPLY'],
    ['one trailing byte', () => Buffer.concat([handBody(body), Buffer.from([0])]), 'BAD_REPLY'],
    ['a whole extra entry beyond the count', () => Buffer.concat([handBody(body), handBody({ ...body, entries: [entry(1_700_000_001, 0)] }).subarray(49)]), 'BAD_REPLY'],
    ['count 8', () => {
      const bytes = handBody({ ...body, entries: Array.from({ length: 7 }, (_, i) => entry(1_700_000_010, 7 - i)) });
      bytes[48] = 8;
      return bytes;
    }, 'BAD_REPLY'],
    ['count 255 with one entry', () => {
      const bytes = handBody({ ...body, entries: [entry(1_700_000_010, 0)] });
      bytes[48] = 255;
      return bytes;
    }, 'BAD_REPLY'],
    ['outcome 4 (a bit beyond 0x01 and 0x02)', () => {
      const bytes = handBody(body);
      bytes[49 + 12] = 4;
      return bytes;
    }, 'BAD_REPLY'],
    ['outcome 0x02 on a 140-byte payment (the entries no longer line up)', () => {
      const bytes = handBody(body);
      bytes[49 + 12] = 3;
      return bytes;
    }, 'BAD_REPLY'],
    ['outcome without 0x02 on a 148-byte payment', () => {
      const bytes = handBody({ ...body, entries: [entryWithReference(1_700_000_010, 3, true, 0), entry(1_700_000_002, 0)] });
      bytes[49 + 12] = 1; // then the last 8 bytes of its signature (zero) read as the next period: outside what the server holds
      return bytes;
    }, 'BAD_REPLY'],
    ['a 148-byte payment with reference 0', () => {
      const bytes = handBody({ ...body, entries: [entryWithReference(1_700_000_010, 3)] });
      bytes.fill(0, 62 + 76, 62 + 84);
      return bytes;
    }, 'BAD_REPLY'],
    ['index 65536 (beyond any batch)', () => handBody({ ...body, entries: [entry(1_700_000_010, 65_536)] }), 'BAD_REPLY'],
    ['two entries at the same position', () => handBody({ ...body, entries: [entry(1_700_000_010, 3), entry(1_700_000_010, 3, true, 9)] }), 'BAD_REPLY'],
    ['oldest first', () => handBody({ ...body, entries: [entry(1_700_000_002, 0), entry(1_700_000_010, 0)] }), 'BAD_REPLY'],
    ['an entry after the committed period', () => handBody({ ...body, entries: [entry(1_700_000_011, 0)] }), 'BAD_REPLY'],
    ['an entry at archive_from (the server does not hold it)', () => handBody({ ...body, entries: [entry(1_699_999_000, 0)] }), 'BAD_REPLY'],
    ['archive_from after the committed period', () => handBody({ ...body, archiveFrom: 1_700_000_011, entries: [] }), 'BAD_REPLY'],
    ['a period beyond 2^53 − 1', () => {
      const bytes = handBody(body);
      bytes.set([0x00, 0x20, 0, 0, 0, 0, 0, 0], 32);
      return bytes;
    }, 'OUT_OF_RANGE'],
  ];
  for (const [name, bodyBytes, code] of hostile) {
    test(`refused: ${name} (${code})`, () => {
      expect(codeOf(() => decodeReply(withBody(bodyBytes())))).toBe(code);
    });
  }

  test('every truncation of a 3-entry body is refused, never a shorter list', () => {
    const full = handBody(body);
    for (let length = 0; length < full.length; length++) {
      const code = codeOf(() => decodeReply(withBody(full.subarray(0, length))));
      expect([length, code === 'BAD_LENGTH' || code === 'BAD_REPLY']).toEqual([length, true]);
    }
  });

  /** A payment of either form: 140 bytes, or 148 with a reference ≠ 0. */
  const listedPayment = fc.oneof(
    fc.uint8Array({ minLength: 140, maxLength: 140 }),
    fc.uint8Array({ minLength: 148, maxLength: 148 }).map((tx) => {
      tx[80]! |= 0x10;
      return tx;
    }),
  );
  const entriesArbitrary = fc
    .uniqueArray(fc.tuple(fc.integer({ min: 101, max: 200 }), fc.integer({ min: 0, max: 65_535 })), { maxLength: 7, selector: ([p, i]) => `${p}:${i}` })
    .chain((positions) =>
      fc.tuple(
        fc.constant(positions.sort((a, b) => b[0] - a[0] || b[1] - a[1])),
        fc.array(fc.boolean(), { minLength: positions.length, maxLength: positions.length }),
        fc.array(listedPayment, { minLength: positions.length, maxLength: positions.length }),
      ),
    )
    .map(([positions, outcomes, payments]) => positions.map(([period, index], i): ListedPayment => ({ period, index, applied: outcomes[i]!, transaction: payments[i]! })))
    .filter((entries) => 154 + entries.reduce((sum, e) => sum + (e.transaction.length === 148 ? 161 : 153), 0) <= 1232); // what one datagram holds

  test('property: every valid body round-trips (both forms mixed), and its reply is 154 + 153 or 161 per entry', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 200, max: Number.MAX_SAFE_INTEGER }), entriesArbitrary, (who, archiveFrom, committedPeriod, entries) => {
        const value: HistoryBody = { account: who, committedPeriod, archiveFrom, entries };
        const bytes = replyOf(value);
        expect(bytes.length).toBe(154 + entries.reduce((sum, e) => sum + (e.transaction.length === 148 ? 161 : 153), 0));
        const decoded = decodeReply(bytes);
        expect(decoded.body).toEqual(value);
        expect(Buffer.from(bytes.subarray(9, bytes.length - 96)).equals(handBody(value))).toBe(true);
      }),
    );
  });

  for (const seed of testSeeds([0x5eed0601, 0x5eed0602])) {
    test(`seeded mutation fuzz: 10k mutated HISTORY replies: only ScrypErrors, and accepted bytes re-encode exactly (${seedLabel(seed)})`, () => {
      const prng = new Prng(seed);
      const start = replyOf({ ...body, entries: Array.from({ length: 6 }, (_, i) => (i % 3 === 1 ? entryWithReference : entry)(1_700_000_010 - i, 6 - i, i % 2 === 0, i)) });
      let accepted = 0;
      for (let i = 0; i < 10_000; i++) {
        const { bytes, what } = mutate(prng, start);
        try {
          const reply = decodeReply(bytes);
          accepted++;
          const again = encodeReply(reply.kind, reply.requestId, reply.status, reply.body, server, network.id);
          // Signed by the test key, not by the key in the mutated bytes: everything before the key is canonical.
          expect([what, Buffer.from(again.subarray(0, again.length - 96)).equals(Buffer.from(bytes.subarray(0, bytes.length - 96)))]).toEqual([what, true]);
        } catch (error) {
          if (!isScrypError(error)) throw new Error(`${what}: ${String(error)}`);
        }
      }
      expect(accepted).toBeGreaterThan(100); // payment and signature bytes are free: many mutations stay valid
    });
  }
});
