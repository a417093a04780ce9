// Ed25519 with strict RFC 8032 verification, the same on every server.
//
// The node's path is Bun's native node:crypto (BoringSSL), about 8x faster than the
// pure-JS reference. The reference is @noble/curves with { zip215: false }. Both accept
// exactly the Wycheproof set (test/signature.test.ts runs all 151 cases through both).
// Before the native path is trusted, public keys must be canonical points that are not
// of small order; BoringSSL checks this itself, and the tests pin it.

import crypto, { type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { key_bytes, seed_bytes, signature_bytes } from './constants.ts';
import { abytes, concat } from './bytes.ts';

const spkiPrefix = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const pkcs8Prefix = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** Native public keys, cached: creating a KeyObject costs about as much as a hash. */
const publicKeyCache = new Map<string, KeyObject | null>();
const publicKeyCacheMax = 4096;

function nativePublicKey(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
  let key = publicKeyCache.get(id);
  if (key === undefined) {
    try {
      key = crypto.createPublicKey({ key: Buffer.from(concat(spkiPrefix, publicKey)), format: 'der', type: 'spki' });
    } catch {
      key = null;
    }
    if (publicKeyCache.size >= publicKeyCacheMax) publicKeyCache.clear();
    publicKeyCache.set(id, key);
  }
  return key;
}

/** Strict verify on the node's fast path. Never throws on bad input: it is just false. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return false;
  const key = nativePublicKey(publicKey);
  if (key === null) return false;
  try {
    return crypto.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Strict verify with the pure-JS reference implementation. */
export function verifyReference(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export interface Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A signing key from a 32-byte seed: public key from noble, signing on the native path. */
export function signerFromSeed(seed: Uint8Array): Signer {
  abytes(seed, seed_bytes, 'seed');
  const publicKey = ed25519.getPublicKey(seed);
  const privateKey = crypto.createPrivateKey({ key: Buffer.from(concat(pkcs8Prefix, seed)), format: 'der', type: 'pkcs8' });
  return {
    publicKey,
    sign(message: Uint8Array): Uint8Array {
      const signature = crypto.sign(null, message, privateKey);
      return new Uint8Array(signature.buffer, signature.byteOffset, signature.length);
    },
  };
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(abytes(seed, seed_bytes, 'seed'));
}
