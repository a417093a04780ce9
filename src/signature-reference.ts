// The strict Ed25519 rule (src/signature.ts) written independently of the native path, on
// noble's point arithmetic: decode, re-encode and compare, multiply by the cofactor, and
// the cofactorless equation by hand. The test oracle, the simulator's reference, and the
// verifier of the browser (platform/ed25519-browser.ts), where there is no native path.

import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { key_bytes, signature_bytes } from './constants.ts';
import { sha512 } from './hash.ts';

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

/** Strict verify, independently of the native path. Never throws on bad input: it is just false. */
export function verifyReference(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return false;
  const A = strictPoint(publicKey);
  const R = strictPoint(signature.subarray(0, 32));
  if (A === null || R === null) return false;
  const S = littleEndian(signature.subarray(32));
  if (S >= L) return false;
  const k = littleEndian(sha512(signature.subarray(0, 32), publicKey, message)) % L;
  // Cofactorless, exact equality: [S]B = R + [k]A, checked as [S]B + [k](−A) = R in one
  // interleaved multiply (Strauss–Shamir, one chain of doublings). Point.BASE.multiplyUnsafe
  // would first build noble's table of the base point (about 1,400 points): 150 ms of a
  // phone-speed page's first verification, which the pocket wallet's start waits for.
  return mulAddUnsafe(Point, [Point.BASE, A.negate()], [S, k]).equals(R);
}
