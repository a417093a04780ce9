// Ed25519 in the browser (the pocket wallet), on @noble/curves: the same functions as
// ed25519-native.ts, chosen for "#ed25519" by the "browser" condition of package.json's
// "imports". Verification is the project's strict reference (signature-reference.ts), so a
// page believes exactly the signatures every server accepts; node:crypto never enters the
// page's bundle (test/pocket-bundle.test.ts looks).

import { ed25519 } from '@noble/curves/ed25519.js';
import { seed_bytes } from '../constants.ts';
import { abytes } from '../bytes.ts';
import type { Signer } from '../signature.ts'; // a type only: no cycle at run time

export { verifyReference as verify } from '../signature-reference.ts';

/** A signing key from a 32-byte seed (RFC 8032 signing: deterministic, the same bytes as the native path). */
export function signerFromSeed(seed: Uint8Array): Signer {
  const secret = Uint8Array.from(abytes(seed, seed_bytes, 'seed'));
  const publicKey = ed25519.getPublicKey(secret);
  return { publicKey, sign: (message: Uint8Array) => ed25519.sign(message, secret) };
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(abytes(seed, seed_bytes, 'seed'));
}
