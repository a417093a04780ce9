// Ed25519 with one strict verification rule, the same on every path (docs/PROTOCOL.md §3.1):
//
//   RFC 8032, cofactorless ([S]B = R + [k]A, exactly), S < L, and both A (the public key)
//   and R (the first half of the signature) canonical encodings (y < p) of points that are
//   not of small order.
//
// This is ed25519-dalek's `verify_strict` and libsodium's rule. It accepts exactly
// speccheck case 3 of 12 and exactly 43 of the 914 C2SP/CCTV vectors, and every valid
// Wycheproof case (test/signature.test.ts runs all three suites through every path).
//
// Neither library here is strict alone. Bun's native node:crypto (BoringSSL) checks S < L
// and the cofactorless equation, and refuses an A that is not a point and an R that is
// not the canonical encoding of the computed point; but it accepts a small-order A, so
// that anyone can "sign" for keys such as 0100…00 (R = identity, S = 0 verifies for every
// message), and a non-canonical A (y ≥ p). noble's `{ zip215: false }` checks encodings
// but uses the cofactored equation. So:
//
// - the node's path (`verify`) is native BoringSSL behind a few compares: y < p, and y not
//   one of the five y-coordinates of the 8 points of small order (compared with the sign
//   bit ignored, which also refuses the non-canonical encodings of x = 0), for A (cached
//   with the native key) and for R;
// - the reference path (`verifyReference`) is written independently on noble's point
//   arithmetic: decode, re-encode and compare, multiply by the cofactor, and the
//   cofactorless equation by hand. The two agree on every vector of the three suites.
//
// Keys that no one can sign for are refused where they enter: as server keys and genesis
// accounts (src/network.ts) and as payees (`isPayableKey`, rule 1 of src/ledger/batch.ts,
// and wallets before they sign). Money already held at such a key by a ledger from before
// this rule stays there: it can never be spent.

import crypto, { type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { key_bytes, payable_keys_cached_max, public_keys_cached_max, seed_bytes, signature_bytes } from './constants.ts';
import { abytes, concat } from './bytes.ts';

const spkiPrefix = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const pkcs8Prefix = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/**
 * The y-coordinates (little-endian, sign bit clear) of the 8 points of small order: 0
 * (order 4, two points), 1 (the identity), p − 1 (order 2) and the two of order 8. An
 * encoding whose y is one of these, whatever its sign bit, is a small-order point or a
 * non-canonical encoding of one (x = 0 with the sign bit set). test/signature.test.ts
 * derives this list from the curve and checks it is exactly these.
 */
export const smallOrderY: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map((hex) => new Uint8Array(Buffer.from(hex, 'hex')));

/** Whether the 32 bytes at `offset` encode y ≥ p = 2^255 − 19 (sign bit ignored). */
function yAtLeastP(bytes: Uint8Array, offset: number): boolean {
  if ((bytes[offset + 31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (bytes[offset + i] !== 0xff) return false;
  return bytes[offset]! >= 0xed;
}

/** Whether the y of the 32 bytes at `offset` (sign bit ignored) is a small-order point's. */
function smallOrderAt(bytes: Uint8Array, offset: number): boolean {
  next: for (const y of smallOrderY) {
    if ((bytes[offset + 31]! & 0x7f) !== y[31]) continue;
    for (let i = 0; i < 31; i++) if (bytes[offset + i] !== y[i]) continue next;
    return true;
  }
  return false;
}

/**
 * The cheap half of the rule for an encoded point (A or R): y < p and not small order.
 * Whether the bytes are a point at all is left to the caller: the native verify refuses
 * an A that does not decode and an R that is not the encoding it computes.
 */
export function isStrictEncoding(bytes: Uint8Array, offset = 0): boolean {
  return !yAtLeastP(bytes, offset) && !smallOrderAt(bytes, offset);
}

/** Native public keys, cached (creating a KeyObject costs about as much as a hash); null: refused. */
const publicKeyCache = new Map<string, KeyObject | null>();

function nativePublicKey(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
  let key = publicKeyCache.get(id);
  if (key === undefined) {
    key = null;
    if (isStrictEncoding(publicKey)) {
      try {
        key = crypto.createPublicKey({ key: Buffer.from(concat(spkiPrefix, publicKey)), format: 'der', type: 'spki' });
      } catch {
        key = null;
      }
    }
    if (publicKeyCache.size >= public_keys_cached_max) publicKeyCache.clear();
    publicKeyCache.set(id, key);
  }
  return key;
}

/** Strict verify on the node's fast path. Never throws on bad input: it is just false. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return false;
  if (!isStrictEncoding(signature, 0)) return false; // R
  const key = nativePublicKey(publicKey);
  if (key === null) return false;
  try {
    return crypto.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

// ---- the reference path: the same rule, written on noble's point arithmetic -------------

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** Decodes a point the strict way (canonical, not small order), or null. */
function strictPoint(bytes: Uint8Array): InstanceType<typeof Point> | null {
  let point;
  try {
    point = Point.fromBytes(bytes, false);
  } catch {
    return null;
  }
  const again = point.toBytes();
  for (let i = 0; i < key_bytes; i++) if (again[i] !== bytes[i]) return null; // not the canonical encoding
  return point.isSmallOrder() ? null : point;
}

/** Strict verify, independently of the native path: the test oracle and the simulator's reference. */
export function verifyReference(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return false;
  const A = strictPoint(publicKey);
  const R = strictPoint(signature.subarray(0, 32));
  if (A === null || R === null) return false;
  const S = littleEndian(signature.subarray(32));
  if (S >= L) return false;
  const digest = crypto.createHash('sha512').update(signature.subarray(0, 32)).update(publicKey).update(message).digest();
  const k = littleEndian(digest) % L;
  return Point.BASE.multiplyUnsafe(S).equals(R.add(A.multiplyUnsafe(k))); // cofactorless: exact equality
}

// ---- keys that someone can sign for -----------------------------------------------------

export type KeyProblem = 'non_canonical' | 'small_order' | 'not_a_point';

/** Verdicts of whole keys, cached: decoding a point costs about 20 µs, a third of a verify. */
const keyProblemCache = new Map<string, KeyProblem | null>();

/**
 * Why no one can sign for these 32 bytes as a public key, or null when someone can: a
 * non-canonical encoding (y ≥ p, or x = 0 with the sign bit set), a point of small order,
 * or bytes that are not a point at all. Deterministic, so every server decides alike.
 */
export function keyProblem(key: Uint8Array): KeyProblem | null {
  if (key.length !== key_bytes) return 'not_a_point';
  if (yAtLeastP(key, 0)) return 'non_canonical';
  if (smallOrderAt(key, 0)) return 'small_order'; // or a non-canonical encoding of one: x = 0 with the sign bit set
  const id = Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
  let problem = keyProblemCache.get(id);
  if (problem === undefined) {
    problem = null;
    try {
      Point.fromBytes(key, false);
    } catch {
      problem = 'not_a_point';
    }
    if (keyProblemCache.size >= payable_keys_cached_max) keyProblemCache.clear();
    keyProblemCache.set(id, problem);
  }
  return problem;
}

/** Whether someone can sign for this key: a payee, a server key, a genesis account. */
export function isPayableKey(key: Uint8Array): boolean {
  return keyProblem(key) === null;
}

/** The reason in words, for messages to people. */
export function describeKeyProblem(problem: KeyProblem): string {
  switch (problem) {
    case 'non_canonical':
      return 'it is a non-canonical encoding of a point';
    case 'small_order':
      return 'it is (an encoding of) a point of small order, such as the identity 0100…00, for which anyone can forge signatures';
    case 'not_a_point':
      return 'the 32 bytes are not a point of the curve, so no key pair has it as its public key';
  }
}

// ---- signing ------------------------------------------------------------------------------

export interface Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/**
 * The public key of a private key, on the native path: the last 32 bytes of its SPKI form.
 * (noble's getPublicKey builds its base-point tables on first use: about 150 ms that every
 * `scryp pay` would wait for; tests check the two agree.)
 */
function nativePublicKeyOf(privateKey: KeyObject): Uint8Array {
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - key_bytes));
}

function nativePrivateKey(seed: Uint8Array): KeyObject {
  return crypto.createPrivateKey({ key: Buffer.from(concat(pkcs8Prefix, abytes(seed, seed_bytes, 'seed'))), format: 'der', type: 'pkcs8' });
}

/** A signing key from a 32-byte seed, on the native path. */
export function signerFromSeed(seed: Uint8Array): Signer {
  const privateKey = nativePrivateKey(seed);
  const publicKey = nativePublicKeyOf(privateKey);
  return {
    publicKey,
    sign(message: Uint8Array): Uint8Array {
      const signature = crypto.sign(null, message, privateKey);
      return new Uint8Array(signature.buffer, signature.byteOffset, signature.length);
    },
  };
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return nativePublicKeyOf(nativePrivateKey(seed));
}
