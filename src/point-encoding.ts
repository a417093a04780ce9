// The cheap half of the strict Ed25519 rule (src/signature.ts), on the bytes alone: an
// encoded point (A or R) must have y < p and must not be one of the points of small order.
// Pure: the native verifier (platform/ed25519-native.ts) and keyProblem both read it.

import { jacobi } from './jacobi.ts';

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
].map((hex) => Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16)));

/** Whether the 32 bytes at `offset` encode y ≥ p = 2^255 − 19 (sign bit ignored). */
export function yAtLeastP(bytes: Uint8Array, offset: number): boolean {
  if ((bytes[offset + 31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (bytes[offset + i] !== 0xff) return false;
  return bytes[offset]! >= 0xed;
}

/** Whether the y of the 32 bytes at `offset` (sign bit ignored) is a small-order point's. */
export function smallOrderAt(bytes: Uint8Array, offset: number): boolean {
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

// ---- whether an encoded y is a point's ---------------------------------------------------
//
// A y (canonical, y < p) is the y-coordinate of a point of the curve −x² + y² = 1 + d·x²·y²
// exactly when x² = (y² − 1) / (d·y² + 1) has a solution, that is when u·v is a square mod p
// (u = y² − 1, v = d·y² + 1, never 0 for this curve's d; u/v and u·v = (u/v)·v² are squares
// together), or 0. That is the Legendre symbol of u·v, and this is all of what a full decode
// (RFC 8032 §5.1.3, noble's Point.fromBytes) refuses beyond y ≥ p and the x = 0 sign bit,
// which the compares above already refuse (y = ±1 are points of small order). The symbol
// is computed as a Jacobi symbol (jacobi.ts), exactly, in a fifth of the time of the square
// root a decode computes (an exponentiation by (p − 5)/8). test/signature.test.ts checks it
// against noble's decode on the keys of the three suites and on 20,000 random ones.

const p = (1n << 255n) - 19n;
const d = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

/** The y encoded by the 32 bytes at `offset` (little-endian, the sign bit cleared). */
function yOf(bytes: Uint8Array, offset: number): bigint {
  const words = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  return (
    words.getBigUint64(0, true) |
    (words.getBigUint64(8, true) << 64n) |
    (words.getBigUint64(16, true) << 128n) |
    ((words.getBigUint64(24, true) & 0x7fff_ffff_ffff_ffffn) << 192n)
  );
}

/**
 * Whether the 32 bytes at `offset`, taken as a canonical y (the caller checked y < p), are
 * the y-coordinate of a point of the curve (either sign bit then names one of its points).
 */
export function isCurveY(bytes: Uint8Array, offset = 0): boolean {
  const y = yOf(bytes, offset);
  const y2 = (y * y) % p;
  const u = y2 === 0n ? p - 1n : y2 - 1n;
  const v = (d * y2 + 1n) % p;
  return jacobi((u * v) % p, p) !== -1;
}
