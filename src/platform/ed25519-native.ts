// Ed25519 on Bun's native node:crypto (BoringSSL): the node's fast path, the CLI and the
// wallet process. The browser's twin is ed25519-browser.ts; package.json's "imports" picks
// one for "#ed25519". Both give exactly the strict rule of src/signature.ts.
//
// BoringSSL checks S < L and the cofactorless equation, and refuses an A that is not a point
// and an R that is not the canonical encoding of the computed point; the few compares of
// point-encoding.ts add what it lacks: y < p, and y not one of the five y-coordinates of the
// 8 points of small order (compared with the sign bit ignored, which also refuses the
// non-canonical encodings of x = 0), for A (cached with the native key) and for R.

import crypto, { type KeyObject } from 'node:crypto';
import { key_bytes, public_keys_cached_max, seed_bytes, signature_bytes } from '../constants.ts';
import { abytes, concat } from '../bytes.ts';
import { isStrictEncoding } from '../point-encoding.ts';
import type { Signer } from '../signature.ts'; // a type only: no cycle at run time

const spkiPrefix = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const pkcs8Prefix = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

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

/** Nothing to do ahead on the node: its verify is native and synchronous (the browser's twin checks ahead with WebCrypto). */
export async function verifyAhead(_signature: Uint8Array, _message: Uint8Array, _publicKey: Uint8Array): Promise<void> {}

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
