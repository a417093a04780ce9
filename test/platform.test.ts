// The two platforms of package.json's "imports": what the browser gets for "#hash" and
// "#ed25519" (the pocket wallet) must give the very bytes and verdicts of what the node
// gets. Under `bun test` the imports resolve to the native modules, so the browser's are
// imported here by path and compared with them, seeded (SCRYP_TEST_SEED replays a run).

import { describe, expect, test } from 'bun:test';
import * as hashBrowser from '../src/platform/hash-browser.ts';
import * as hashNative from '../src/platform/hash-native.ts';
import * as edBrowser from '../src/platform/ed25519-browser.ts';
import * as edNative from '../src/platform/ed25519-native.ts';
import { toHex } from '../src/bytes.ts';
import { loadWycheproofEd25519 } from './helpers/wycheproof.ts';
import { Prng } from './helpers/prng.ts';

const seed = Number(process.env.SCRYP_TEST_SEED ?? 20_261_203);

describe(`browser and native platforms agree (seed ${seed})`, () => {
  test('sha256 and sha512 of 0..300 bytes, whole and in parts', () => {
    const random = new Prng(seed);
    for (let length = 0; length <= 300; length++) {
      const bytes = random.bytes(length);
      const cut = random.nextInt(length + 1);
      const parts = [bytes.subarray(0, cut), bytes.subarray(cut)];
      for (const name of ['sha256', 'sha512'] as const) {
        const whole = toHex(hashNative[name](bytes));
        expect([name, length, toHex(hashBrowser[name](bytes))]).toEqual([name, length, whole]);
        expect([name, length, toHex(hashBrowser[name](...parts))]).toEqual([name, length, whole]);
        expect([name, length, toHex(hashNative[name](...parts))]).toEqual([name, length, whole]);
      }
    }
    // A known answer, so that two wrong hashes cannot agree: sha256("abc").
    expect(toHex(hashBrowser.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('keys and signatures of 50 seeds are byte for byte the same, and each path verifies the other’s', () => {
    const random = new Prng(seed + 1);
    for (let i = 0; i < 50; i++) {
      const secret = random.bytes(32);
      const message = random.bytes(random.nextInt(200));
      const browser = edBrowser.signerFromSeed(secret);
      const native = edNative.signerFromSeed(secret);
      expect(toHex(browser.publicKey)).toBe(toHex(native.publicKey));
      expect(toHex(edBrowser.publicKeyFromSeed(secret))).toBe(toHex(native.publicKey));
      const signature = browser.sign(message);
      expect(toHex(signature)).toBe(toHex(native.sign(message)));
      expect(edNative.verify(signature, message, browser.publicKey)).toBe(true);
      expect(edBrowser.verify(signature, message, native.publicKey)).toBe(true);
      const flipped = signature.slice();
      flipped[random.nextInt(64)]! ^= 1 << random.nextInt(8);
      expect(edBrowser.verify(flipped, message, native.publicKey)).toBe(false);
    }
  });

  test('the browser’s verify gives every Wycheproof verdict the native path gives', () => {
    const cases = loadWycheproofEd25519().cases;
    expect(cases.length).toBe(151);
    for (const c of cases) expect([c.tcId, edBrowser.verify(c.signature, c.message, c.publicKey)]).toEqual([c.tcId, c.valid]);
  });
});
