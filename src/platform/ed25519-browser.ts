// Ed25519 in the browser (the pocket wallet), on @noble/curves: the same functions as
// ed25519-native.ts, chosen for "#ed25519" by the "browser" condition of package.json's
// "imports". Verification is the project's strict rule, so a page believes exactly the
// signatures every server accepts; node:crypto never enters the page's bundle
// (test/pocket-bundle.test.ts looks).
//
// `verify` is synchronous, as on the node, and answers with the strict reference
// (signature-reference.ts, noble): about 20 ms a signature on a phone-speed page, which a
// page that checks every reply waits for. So the page's transport calls `verifyAhead`
// first, asynchronously: where the page is a secure context whose WebCrypto has Ed25519,
// it checks there (natively, off the page's thread: Chromium's is BoringSSL, the very
// verifier of the node's native path) behind the same cheap checks as the native path
// (point-encoding.ts for A and R) and S < L, and remembers a signature it found valid;
// `verify` then answers from that. WebCrypto is used only if it refuses, at its first use,
// the two speccheck cases that only the cofactored equation accepts (an engine that
// accepts them is not this rule, and the reference decides everything); a signature it
// refuses, or cannot check, is decided by the reference.

import { ed25519 } from '@noble/curves/ed25519.js';
import { seed_bytes, signature_bytes, key_bytes, webcrypto_verdicts_max } from '../constants.ts';
import { abytes, toHex } from '../bytes.ts';
import { isStrictEncoding } from '../point-encoding.ts';
import { verifyReference } from '../signature-reference.ts';
import type { Signer } from '../signature.ts'; // a type only: no cycle at run time

/** Signatures WebCrypto found valid (signature, key and message, in hex), until `verify` reads them. */
const valid = new Set<string>();

const idOf = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => `${toHex(signature)}${toHex(publicKey)}${toHex(message)}`;

/** Strict verify. Never throws on bad input: it is just false. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length === signature_bytes && publicKey.length === key_bytes && valid.delete(idOf(signature, message, publicKey))) return true;
  return verifyReference(signature, message, publicKey);
}

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian: S must be below it. */
const order = Uint8Array.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'.match(/../g)!, (pair) => parseInt(pair, 16));

function belowOrder(bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 0; i--) {
    if (bytes[offset + i]! !== order[i]!) return bytes[offset + i]! < order[i]!;
  }
  return false;
}

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));

/**
 * ed25519-speccheck cases 4 and 5 ("Taming the many EdDSAs", test/vectors/speccheck-cases.json,
 * Apache-2.0): canonical points, not of small order, S < L, and only the cofactored equation
 * holds. The strict rule refuses both; an engine that accepts either is cofactored.
 */
const cofactored_only = [
  ['e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09'],
  ['e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405'],
] as const;
const cofactored_key = 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d';

type Subtle = Pick<SubtleCrypto, 'importKey' | 'verify'>;

const subtleOf = (): Subtle | null => (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle ?? null;

async function nativeVerify(subtle: Subtle, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  const key = await subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
  return subtle.verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
}

/** The browser's WebCrypto Ed25519 when it is there and follows the cofactorless equation; null otherwise (asked once). */
let engine: Promise<Subtle | null> | null = null;

function nativeEngine(): Promise<Subtle | null> {
  engine ??= (async () => {
    const subtle = subtleOf();
    if (subtle === null) return null; // not a secure context
    try {
      const key = fromHex(cofactored_key);
      for (const [message, signature] of cofactored_only) if (await nativeVerify(subtle, fromHex(signature), fromHex(message), key)) return null;
      return subtle;
    } catch {
      return null; // no Ed25519 in this WebCrypto
    }
  })();
  return engine;
}

/** Whether verifyAhead checks with the browser's WebCrypto here (false: everything is the reference's). */
export async function nativeVerifierInUse(): Promise<boolean> {
  return (await nativeEngine()) !== null;
}

/** Checks a signature ahead of `verify`, natively where the browser can; `verify` then answers at once for one found valid. */
export async function verifyAhead(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<void> {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return;
  if (!isStrictEncoding(publicKey) || !isStrictEncoding(signature, 0) || !belowOrder(signature, 32)) return; // the reference refuses these at once
  const subtle = await nativeEngine();
  if (subtle === null) return;
  let ok = false;
  try {
    ok = await nativeVerify(subtle, signature, message, publicKey);
  } catch {
    return; // the reference decides
  }
  if (!ok) return;
  if (valid.size >= webcrypto_verdicts_max) valid.clear(); // found valid but never asked: forgotten
  valid.add(idOf(signature, message, publicKey));
}

/** A signing key from a 32-byte seed (RFC 8032 signing: deterministic, the same bytes as the native path). */
export function signerFromSeed(seed: Uint8Array): Signer {
  const secret = Uint8Array.from(abytes(seed, seed_bytes, 'seed'));
  const publicKey = ed25519.getPublicKey(secret);
  return { publicKey, sign: (message: Uint8Array) => ed25519.sign(message, secret) };
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(abytes(seed, seed_bytes, 'seed'));
}
