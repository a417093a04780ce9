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
// - the node's path (`verify` on Bun, platform/ed25519-native.ts) is native BoringSSL behind
//   a few compares (point-encoding.ts): y < p, and y not one of the five y-coordinates of the
//   8 points of small order, for A and for R;
// - the reference path (`verifyReference`, signature-reference.ts) is written independently
//   on noble's point arithmetic. The two agree on every vector of the three suites. In the
//   browser (the pocket wallet) there is no native path: `verify` is the reference there
//   (platform/ed25519-browser.ts, picked by package.json's "imports" for "#ed25519").
//
// Keys that no one can sign for are refused where they enter: as server keys and genesis
// accounts (src/network.ts) and as payees (`isPayableKey`, rule 1 of src/ledger/batch.ts,
// and wallets before they sign). Money already held at such a key by a ledger from before
// this rule stays there: it can never be spent.

import { key_bytes, payable_keys_cached_max } from './constants.ts';
import { isCurveY, smallOrderAt, yAtLeastP } from './point-encoding.ts';

export { isStrictEncoding, smallOrderY } from './point-encoding.ts';
export { verifyReference } from './signature-reference.ts';
/**
 * Strict verify (never throws: bad input is just false), a signer from a 32-byte seed, and
 * its public key: the platform's. verifyAhead checks a signature before verify is asked,
 * where the platform's fast verifier is asynchronous (the browser's WebCrypto); a no-op on
 * the node.
 */
export { publicKeyFromSeed, signerFromSeed, verify, verifyAhead } from '#ed25519';

// ---- keys that someone can sign for -----------------------------------------------------

export type KeyProblem = 'non_canonical' | 'small_order' | 'not_a_point';

/**
 * Verdicts of whole keys, cached: whether a y is a point's costs a Jacobi symbol (about 9 µs,
 * a seventh of a verify; noble's full decode took about 40), and every payee of a batch is
 * asked twice on the alpha and once on every other server.
 */
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
  const id = String.fromCharCode(...key);
  let problem = keyProblemCache.get(id);
  if (problem === undefined) {
    problem = isCurveY(key) ? null : 'not_a_point';
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
