// The cheap half of the strict Ed25519 rule (src/signature.ts), on the bytes alone: an
// encoded point (A or R) must have y < p and must not be one of the points of small order.
// Pure: the native verifier (platform/ed25519-native.ts) and keyProblem both read it.

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
