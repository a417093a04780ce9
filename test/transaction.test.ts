// src/transaction.ts: the 140-byte payment and the 148-byte payment with a reference.
// Layout, txid and signed message are rebuilt here by hand with Buffer, node:crypto and
// noble, never with the module's own helpers.

import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { verify } from '../src/signature.ts';
import {
  amountOf,
  decodeTransaction,
  hasReference,
  referenceOf,
  encodeTransaction,
  type Payment,
  payeeOf,
  payerOf,
  signatureOf,
  signedBodyOf,
  signingMessage,
  signPayment,
  timestampOf,
  txidOf,
} from '../src/transaction.ts';
import { testNetwork, testSeed, testSigner } from './helpers/keys.ts';
import { codeOf } from './helpers/errors.ts';


const paymentArbitrary: fc.Arbitrary<Payment> = fc.record({
  timestamp: fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)),
  amount: fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 0xffff_ffff)),
  payee: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  payer: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

/** The design's table, placed by hand. */
function layout(payment: Payment): Uint8Array {
  const out = Buffer.alloc(140);
  out.writeBigUInt64BE(BigInt(payment.timestamp), 0);
  out.writeUInt32BE(payment.amount, 8);
  out.set(payment.payee, 12);
  out.set(payment.payer, 44);
  out.set(payment.signature, 76);
  return new Uint8Array(out);
}

describe('layout and round trip', () => {
  test('encode places each field at the design offset; decode reads it back; encode(decode(b)) = b', () => {
    fc.assert(
      fc.property(paymentArbitrary, (payment) => {
        const bytes = encodeTransaction(payment);
        expect(bytes).toEqual(layout(payment));
        expect(decodeTransaction(bytes)).toEqual(payment);
        expect(encodeTransaction(decodeTransaction(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('any 140 bytes with a timestamp below 2^53 decode, and re-encode to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 140, maxLength: 140 }), (bytes) => {
        bytes[0] = 0;
        bytes[1]! &= 0x1f; // timestamp < 2^53
        expect(encodeTransaction(decodeTransaction(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('the accessors read the same fields in place', () => {
    fc.assert(
      fc.property(paymentArbitrary, (payment) => {
        const bytes = layout(payment);
        expect(timestampOf(bytes)).toBe(payment.timestamp);
        expect(amountOf(bytes)).toBe(payment.amount);
        expect(payeeOf(bytes)).toEqual(payment.payee);
        expect(payerOf(bytes)).toEqual(payment.payer);
        expect(signatureOf(bytes)).toEqual(payment.signature);
        expect(signedBodyOf(bytes)).toEqual(bytes.subarray(0, 76));
      }),
      { numRuns: 100 },
    );
  });

  test('decode reads a payment that sits at an offset inside a larger buffer', () => {
    const payment = { timestamp: 1_700_000_000_123, amount: 42, payee: new Uint8Array(32).fill(1), payer: new Uint8Array(32).fill(2), signature: new Uint8Array(64).fill(3) };
    const backing = Buffer.alloc(300, 0xee);
    backing.set(layout(payment), 33);
    expect(decodeTransaction(backing.subarray(33, 173))).toEqual(payment);
  });

  test('decoded fields are copies: changing the input afterwards does not change them', () => {
    const bytes = layout({ timestamp: 1, amount: 2, payee: new Uint8Array(32).fill(1), payer: new Uint8Array(32).fill(2), signature: new Uint8Array(64).fill(3) });
    const decoded = decodeTransaction(bytes);
    bytes.fill(0);
    expect(decoded.payee).toEqual(new Uint8Array(32).fill(1));
    expect(decoded.signature).toEqual(new Uint8Array(64).fill(3));
  });
});

describe('strict decoding', () => {
  test('every length but 140 and 148 is BAD_LENGTH', () => {
    for (let length = 0; length <= 300; length++) {
      if (length === 140 || length === 148) continue;
      expect([length, codeOf(() => decodeTransaction(new Uint8Array(length)))]).toEqual([length, 'BAD_LENGTH']);
    }
  });

  test('a timestamp of 2^53 or more is OUT_OF_RANGE', () => {
    for (const value of [2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]) {
      const bytes = Buffer.alloc(140);
      bytes.writeBigUInt64BE(value, 0);
      expect(codeOf(() => decodeTransaction(bytes))).toBe('OUT_OF_RANGE');
    }
  });

  test('not a Uint8Array is BAD_TYPE', () => {
    expect(codeOf(() => decodeTransaction(new Uint16Array(70) as unknown as Uint8Array))).toBe('BAD_TYPE');
    expect(codeOf(() => decodeTransaction(Array(140).fill(0) as unknown as Uint8Array))).toBe('BAD_TYPE');
  });

  test('encode refuses fields out of range with a ScrypError naming them', () => {
    const good = { timestamp: 1, amount: 1, payee: new Uint8Array(32), payer: new Uint8Array(32), signature: new Uint8Array(64) };
    expect(codeOf(() => encodeTransaction({ ...good, amount: 2 ** 32 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeTransaction({ ...good, amount: -1 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeTransaction({ ...good, timestamp: 2 ** 53 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeTransaction({ ...good, timestamp: 1.5 }))).toBe('BAD_TYPE');
    expect(codeOf(() => encodeTransaction({ ...good, payee: new Uint8Array(31) }))).toBe('BAD_LENGTH');
    expect(codeOf(() => encodeTransaction({ ...good, signature: new Uint8Array(65) }))).toBe('BAD_LENGTH');
  });
});

describe('txid', () => {
  test('txid = sha256(tx[0..76)), computed with node:crypto', () => {
    fc.assert(
      fc.property(paymentArbitrary, (payment) => {
        const bytes = layout(payment);
        const expected = createHash('sha256').update(bytes.subarray(0, 76)).digest();
        expect(txidOf(bytes)).toEqual(new Uint8Array(expected));
      }),
      { numRuns: 100 },
    );
  });

  test('the signature does not change the txid; any byte of the body does', () => {
    const bytes = layout({ timestamp: 5, amount: 6, payee: new Uint8Array(32).fill(7), payer: new Uint8Array(32).fill(8), signature: new Uint8Array(64).fill(9) });
    const txid = Buffer.from(txidOf(bytes)).toString('hex');
    for (let i = 0; i < 140; i++) {
      const changed = bytes.slice();
      changed[i]! ^= 0x01;
      const same = Buffer.from(txidOf(changed)).toString('hex') === txid;
      expect([i, same]).toEqual([i, i >= 76]);
    }
  });
});

describe('signPayment', () => {
  const { network } = testNetwork();
  const payer = testSigner('payer');
  const payee = testSigner('payee').publicKey;

  /** The design's signed message, built by hand: "scryp/tx/v1" || network_id || tx[0..76). */
  const handMessage = (networkId: Uint8Array, tx: Uint8Array) => new Uint8Array(Buffer.concat([Buffer.from('scryp/tx/v1', 'ascii'), networkId, tx.subarray(0, 76)]));

  test('fills the fields, the payer is the signer, and the signature verifies over the domain, network id and body', () => {
    const tx = signPayment(payer, network.id, { timestamp: 1_700_000_000_000, amount: 1234, payee });
    const decoded = decodeTransaction(tx);
    expect(decoded.timestamp).toBe(1_700_000_000_000);
    expect(decoded.amount).toBe(1234);
    expect(decoded.payee).toEqual(payee);
    expect(decoded.payer).toEqual(payer.publicKey);
    expect(signingMessage(network.id, tx)).toEqual(handMessage(network.id, tx));
    expect(ed25519.verify(decoded.signature, handMessage(network.id, tx), payer.publicKey, { zip215: false })).toBe(true);
    expect(verify(decoded.signature, handMessage(network.id, tx), payer.publicKey)).toBe(true);
    // And it is exactly noble's deterministic signature with the payer's seed.
    expect(decoded.signature).toEqual(ed25519.sign(handMessage(network.id, tx), testSeed('payer')));
  });

  test('another network id breaks it, and so does the body alone without the domain', () => {
    const tx = signPayment(payer, network.id, { timestamp: 1_700_000_000_000, amount: 1, payee });
    const other = testNetwork({ name: 'othernet' }).network.id;
    expect(Buffer.from(other).equals(Buffer.from(network.id))).toBe(false);
    expect(verify(signatureOf(tx), handMessage(other, tx), payer.publicKey)).toBe(false);
    expect(verify(signatureOf(tx), tx.subarray(0, 76), payer.publicKey)).toBe(false);
    const flipped = network.id.slice();
    flipped[31]! ^= 0x80;
    expect(verify(signatureOf(tx), handMessage(flipped, tx), payer.publicKey)).toBe(false);
  });

  test('changing any signed byte breaks the signature', () => {
    const tx = signPayment(payer, network.id, { timestamp: 1_700_000_000_000, amount: 99, payee });
    for (let i = 0; i < 76; i++) {
      const changed = tx.slice();
      changed[i]! ^= 0x04;
      expect([i, verify(signatureOf(changed), handMessage(network.id, changed), payer.publicKey)]).toEqual([i, false]);
    }
  });
});

// ---- the 148-byte payment with a reference (PROTOCOL §5.1) ------------------------------

describe('the payment with a reference', () => {
  const { network } = testNetwork();
  const payer = testSigner('payer');
  const payee = testSigner('payee').publicKey;
  const referenceArbitrary = fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.constantFrom(1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n));
  const withReference: fc.Arbitrary<Payment & { reference: bigint }> = fc.record({
    timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    amount: fc.integer({ min: 0, max: 0xffff_ffff }),
    payee: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    payer: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    reference: referenceArbitrary,
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  });

  /** The design's 148-byte table, placed by hand. */
  function layoutWithReference(payment: Payment & { reference: bigint }): Uint8Array {
    const out = Buffer.alloc(148);
    out.writeBigUInt64BE(BigInt(payment.timestamp), 0);
    out.writeUInt32BE(payment.amount, 8);
    out.set(payment.payee, 12);
    out.set(payment.payer, 44);
    out.writeBigUInt64BE(payment.reference, 76);
    out.set(payment.signature, 84);
    return new Uint8Array(out);
  }

  /** "scryp/tx/v2" || network_id || tx[0..84), by hand. */
  const handMessage = (networkId: Uint8Array, tx: Uint8Array) => new Uint8Array(Buffer.concat([Buffer.from('scryp/tx/v2', 'ascii'), networkId, tx.subarray(0, 84)]));

  test('encode places each field at the design offset (reference at 76, signature at 84); decode reads it back; encode(decode(b)) = b', () => {
    fc.assert(
      fc.property(withReference, (payment) => {
        const bytes = encodeTransaction(payment);
        expect(bytes).toEqual(layoutWithReference(payment));
        expect(decodeTransaction(bytes)).toEqual(payment);
        expect(encodeTransaction(decodeTransaction(bytes))).toEqual(bytes);
        expect([hasReference(bytes), referenceOf(bytes)]).toEqual([true, payment.reference]);
        expect(signatureOf(bytes)).toEqual(payment.signature);
        expect(signedBodyOf(bytes)).toEqual(bytes.subarray(0, 84));
        expect(txidOf(bytes)).toEqual(new Uint8Array(createHash('sha256').update(bytes.subarray(0, 84)).digest()));
      }),
      { numRuns: 300 },
    );
  });

  test('reference 0 is refused in the 148-byte form (OUT_OF_RANGE): without a reference a payment is the 140-byte form', () => {
    const bytes = layoutWithReference({ timestamp: 1, amount: 1, payee: new Uint8Array(32), payer: new Uint8Array(32), reference: 1n, signature: new Uint8Array(64) });
    bytes.fill(0, 76, 84);
    expect(codeOf(() => decodeTransaction(bytes))).toBe('OUT_OF_RANGE');
    const good = { timestamp: 1, amount: 1, payee: new Uint8Array(32), payer: new Uint8Array(32), signature: new Uint8Array(64) };
    expect(codeOf(() => encodeTransaction({ ...good, reference: 0n }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeTransaction({ ...good, reference: 2n ** 64n }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeTransaction({ ...good, reference: -1n }))).toBe('OUT_OF_RANGE');
    expect(encodeTransaction(good).length).toBe(140);
    expect(referenceOf(encodeTransaction(good))).toBe(null);
  });

  test('signPayment signs "scryp/tx/v2" || network_id || tx[0..84) with the payer\'s key (noble\'s deterministic signature)', () => {
    const tx = signPayment(payer, network.id, { timestamp: 1_700_000_000_000, amount: 1234, payee, reference: 2n ** 64n - 1n });
    expect(tx.length).toBe(148);
    const decoded = decodeTransaction(tx);
    expect(decoded.reference).toBe(2n ** 64n - 1n);
    expect(signingMessage(network.id, tx)).toEqual(handMessage(network.id, tx));
    expect(ed25519.verify(decoded.signature, handMessage(network.id, tx), payer.publicKey, { zip215: false })).toBe(true);
    expect(decoded.signature).toEqual(ed25519.sign(handMessage(network.id, tx), testSeed('payer')));
  });

  test('a reference cannot be taken off or changed: the 140-byte body of the same payment, or the v1 tag, does not verify; nor does any changed signed byte', () => {
    const tx = signPayment(payer, network.id, { timestamp: 1_700_000_000_000, amount: 7, payee, reference: 4242n });
    const v1Message = new Uint8Array(Buffer.concat([Buffer.from('scryp/tx/v1', 'ascii'), network.id, tx.subarray(0, 76)]));
    expect(verify(signatureOf(tx), v1Message, payer.publicKey)).toBe(false);
    const stripped = new Uint8Array(140);
    stripped.set(tx.subarray(0, 76));
    stripped.set(signatureOf(tx), 76);
    expect(verify(signatureOf(stripped), signingMessage(network.id, stripped), payer.publicKey)).toBe(false);
    for (let i = 0; i < 84; i++) {
      const changed = tx.slice();
      changed[i]! ^= 0x10;
      expect([i, verify(signatureOf(changed), handMessage(network.id, changed), payer.publicKey)]).toEqual([i, false]);
    }
    // Another payment with the same fields but no reference is another payment: another txid.
    const plain = signPayment(payer, network.id, { timestamp: 1_700_000_000_000, amount: 7, payee });
    expect(Buffer.from(txidOf(plain)).equals(Buffer.from(txidOf(tx)))).toBe(false);
  });
});
