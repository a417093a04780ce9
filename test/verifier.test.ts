// The signature verifier: answers on and off worker threads, and its bounded queue.

import { afterEach, describe, expect, test } from 'bun:test';
import { utf8 } from '../src/bytes.ts';
import { transaction_bytes, verify_pending_max } from '../src/constants.ts';
import { sha256 } from '../src/hash.ts';
import { Verifier } from '../src/node/verifier.ts';
import { signerFromSeed } from '../src/signature.ts';
import { encodeTransaction, signPayment } from '../src/transaction.ts';

const networkId = sha256(utf8('verifier test network'));
const payer = signerFromSeed(sha256(utf8('verifier test payer')));
const payee = signerFromSeed(sha256(utf8('verifier test payee'))).publicKey;
const good = signPayment(payer, networkId, { timestamp: 1_700_000_000_000, amount: 5, payee });
const bad = good.slice();
bad[transaction_bytes - 1]! ^= 1;

let verifier: Verifier | null = null;
afterEach(() => {
  verifier?.close();
  verifier = null;
});

function check(v: Verifier, tx: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => v.verifyPayment(tx, resolve));
}

describe('Verifier', () => {
  test('inline (no workers): the right answer at once, nothing left outstanding', () => {
    const v = (verifier = new Verifier(networkId, 0));
    const answers: boolean[] = [];
    v.verifyPayment(good, (valid) => answers.push(valid));
    v.verifyPayment(bad, (valid) => answers.push(valid));
    expect(answers).toEqual([true, false]);
    expect(v.pendingPayments).toBe(0);
  });

  test('in a worker thread: the same answers, counted outstanding until they come back', async () => {
    const v = (verifier = new Verifier(networkId, 1));
    const answers = [check(v, good), check(v, bad), check(v, good)];
    expect(v.pendingPayments).toBe(3);
    expect(await Promise.all(answers)).toEqual([true, false, true]);
    expect(v.pendingPayments).toBe(0);
    expect(v.hasRoom).toBe(true);
  });

  test('both forms of payment, mixed in one batch of a worker: each under its own tag (v1, v2); a reference taken off or changed does not verify', async () => {
    const withReference = signPayment(payer, networkId, { timestamp: 1_700_000_000_001, amount: 5, payee, reference: 2026n });
    const changed = withReference.slice();
    changed[83]! ^= 1; // the reference
    const stripped = new Uint8Array(140);
    stripped.set(withReference.subarray(0, 76));
    stripped.set(withReference.subarray(84), 76); // the same fields and signature, without the reference
    const expected = [true, true, false, false, false];
    const inline = new Verifier(networkId, 0);
    expect(await Promise.all([good, withReference, changed, stripped, bad].map((tx) => check(inline, tx)))).toEqual(expected);
    inline.close();
    const v = (verifier = new Verifier(networkId, 1));
    expect(await Promise.all([good, withReference, changed, stripped, bad].map((tx) => check(v, tx)))).toEqual(expected);
  });

  test('the strict rule holds off the main thread too: the forgery from the identity key (R = identity, S = 0) is refused, inline and in a worker', async () => {
    const identity = Uint8Array.of(1, ...new Uint8Array(31));
    const forged = encodeTransaction({ timestamp: 1_700_000_000_000, amount: 1_000, payee, payer: identity, signature: Uint8Array.of(...identity, ...new Uint8Array(32)) });
    const inline = new Verifier(networkId, 0);
    expect(await check(inline, forged)).toBe(false);
    inline.close();
    const v = (verifier = new Verifier(networkId, 1));
    expect(await Promise.all([check(v, forged), check(v, good)])).toEqual([false, true]);
  });

  test(`the queue is bounded: after ${verify_pending_max} payments waiting, there is no room until answers return`, async () => {
    const v = (verifier = new Verifier(networkId, 1));
    const all: Promise<boolean>[] = [];
    for (let i = 0; i < verify_pending_max; i++) {
      expect(v.hasRoom).toBe(true);
      all.push(check(v, i % 2 === 0 ? good : bad));
    }
    expect(v.hasRoom).toBe(false);
    expect(v.pendingPayments).toBe(verify_pending_max);
    const answers = await Promise.all(all);
    expect(answers.filter((valid) => valid).length).toBe(verify_pending_max / 2);
    expect(v.hasRoom).toBe(true);
  }, 60_000);
});
