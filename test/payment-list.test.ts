// src/payment-list.ts: payments of both forms in a row (a batch, a FORWARD, the archive).
// The layout is rebuilt here by hand: a 140-byte payment as it is, a 148-byte payment
// after the tag byte 0x02.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { Reader } from '../src/bytes.ts';
import { encodePaymentList, forEachPayment, paymentCount, paymentsIn, readPaymentList, reference_form_tag } from '../src/payment-list.ts';
import { signPayment } from '../src/transaction.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';
import { mutate, Prng, seedLabel, testSeeds } from './helpers/prng.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** A 140-byte payment stamped before 2^56 ms (its first byte 0), or a 148-byte one with a reference ≠ 0. */
const payment = fc.oneof(
  bytes(140).map((tx) => Uint8Array.of(0, ...tx.subarray(1))),
  bytes(148).map((tx) => {
    const out = tx.slice();
    out[76 + (out[0]! % 8)]! |= 0x40;
    return out;
  }),
);

function byHand(payments: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(payments.map((tx) => (tx.length === 148 ? Buffer.concat([Buffer.from([0x02]), tx]) : Buffer.from(tx)))));
}

describe('layout', () => {
  test('a list of 140-byte payments is their concatenation, byte for byte what a batch was before references', () => {
    fc.assert(
      fc.property(fc.array(bytes(140).map((tx) => Uint8Array.of(0, ...tx.subarray(1))), { maxLength: 8 }), (payments) => {
        expect(encodePaymentList(payments)).toEqual(new Uint8Array(Buffer.concat(payments)));
      }),
      { numRuns: 100 },
    );
  });

  test('both forms mixed: each 148-byte payment after the tag 0x02; decode gives the same payments back; encode(decode(b)) = b', () => {
    expect(reference_form_tag).toBe(0x02);
    fc.assert(
      fc.property(fc.array(payment, { maxLength: 10 }), (payments) => {
        const list = encodePaymentList(payments);
        expect(list).toEqual(byHand(payments));
        expect(paymentsIn(list)).toEqual(payments);
        expect(paymentCount(list)).toBe(payments.length);
        expect(encodePaymentList(paymentsIn(list))).toEqual(list);
        const seen: number[] = [];
        forEachPayment(list, (tx, i) => seen.push(i, tx.length));
        expect(seen).toEqual(payments.flatMap((tx, i) => [i, tx.length]));
        // In a message: the count, then the list, then whatever follows.
        const framed = new Uint8Array([...list, 0xaa, 0xbb]);
        const reader = new Reader(framed, 'message');
        expect(readPaymentList(reader, payments.length, 16, 'transactions')).toEqual(list);
        expect(reader.remaining).toBe(2);
      }),
      { numRuns: 300 },
    );
  });

  test('real signed payments of both forms round-trip through a list', () => {
    const { network } = testNetwork();
    const alice = testSigner('alice');
    const bob = testSigner('bob').publicKey;
    const payments = [
      signPayment(alice, network.id, { timestamp: 1_767_225_600_123, amount: 5, payee: bob }),
      signPayment(alice, network.id, { timestamp: 1_767_225_600_124, amount: 6, payee: bob, reference: 2n ** 64n - 1n }),
      signPayment(alice, network.id, { timestamp: 1_767_225_600_125, amount: 7, payee: bob }),
    ];
    const list = encodePaymentList(payments);
    expect(list.length).toBe(140 + 149 + 140);
    expect(list[140]).toBe(0x02);
    expect(paymentsIn(list)).toEqual(payments);
  });
});

describe('strict decoding: BAD_MESSAGE, and the node goes on', () => {
  const tx140 = Uint8Array.of(0, ...new Uint8Array(139).fill(7));
  const tx148 = new Uint8Array(148).fill(7);
  const list = encodePaymentList([tx140, tx148, tx140]);

  test('a payment that starts with anything but 0x00 or the tag: neither a 140-byte payment nor a 148-byte one', () => {
    for (let first = 1; first < 256; first++) {
      if (first === 0x02) continue;
      const bad = list.slice();
      bad[140 + 149] = first;
      expect([first, codeOf(() => paymentsIn(bad))]).toEqual([first, 'BAD_MESSAGE']);
    }
  });

  test('a 148-byte payment with reference 0 (its 140-byte form is the one encoding)', () => {
    const bad = list.slice();
    bad.fill(0, 141 + 76, 141 + 84);
    expect(codeOf(() => paymentsIn(bad))).toBe('BAD_MESSAGE');
  });

  test('truncated at every length inside a payment, and count mismatches in a message', () => {
    const ends = new Set([0, 140, 289, 429]);
    for (let length = 0; length <= list.length; length++) {
      const code = codeOf(() => paymentsIn(list.subarray(0, length)));
      expect([length, code]).toEqual([length, ends.has(length) ? 'no error' : 'BAD_MESSAGE']);
    }
    expect(codeOf(() => readPaymentList(new Reader(list, 'FORWARD'), 4, 16, 'transactions'))).toBe('BAD_MESSAGE');
    expect(codeOf(() => readPaymentList(new Reader(list, 'FORWARD'), 3, 2, 'transactions'))).toBe('BAD_MESSAGE');
    // Fewer announced than present: the rest is not part of the list (the message decoder then finds trailing bytes).
    const reader = new Reader(list, 'FORWARD');
    expect(readPaymentList(reader, 2, 16, 'transactions').length).toBe(289);
    expect(codeOf(() => reader.end())).toBe('BAD_LENGTH');
  });

  for (const seed of testSeeds([0x11570001, 0x11570002])) {
    test(`seeded fuzz: 5k mutated lists re-encode exactly or are BAD_MESSAGE, never anything else (${seedLabel(seed)})`, () => {
      const random = new Prng(seed);
      let accepted = 0;
      for (let run = 0; run < 5_000; run++) {
        const { bytes: bad, what } = mutate(random, list);
        const code = codeOf(() => paymentsIn(bad));
        if (code === 'no error') {
          accepted++;
          expect([what, encodePaymentList(paymentsIn(bad))]).toEqual([what, bad]);
        } else {
          expect([what, code]).toEqual([what, 'BAD_MESSAGE']);
        }
      }
      expect(accepted).toBeGreaterThan(0);
    });
  }
});
