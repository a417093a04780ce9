// A tiny seeded PRNG for fuzz tests: mulberry32 (32-bit state, period 2^32), which is
// plenty for picking chunk sizes and mutations. Every seeded test puts its seed in its
// name, so a failure can be replayed with SCRYP_TEST_SEED=<seed> bun test <file>.

export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextU32() >>> 5; // 27 bits
    const low = this.nextU32() >>> 6; // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** A uniform integer in [0, n); n is a positive integer up to 2^53. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`prng: nextInt(${n})`);
    return Math.floor(this.nextFloat() * n);
  }

  /** A uniform integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.nextInt(max - min + 1);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let word = this.nextU32();
      for (let j = i; j < Math.min(n, i + 4); j++) {
        out[j] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('prng: pick from nothing');
    return items[this.nextInt(items.length)]!;
  }
}

/**
 * The seeds a fuzz test runs with: the fixed list, or the one in SCRYP_TEST_SEED (decimal
 * or 0x-hex) to replay a failure.
 */
export function testSeeds(fixed: readonly number[]): number[] {
  const override = process.env.SCRYP_TEST_SEED;
  if (override !== undefined && override !== '') return [Number(override) >>> 0];
  return [...fixed];
}

export function seedLabel(seed: number): string {
  return `seed 0x${(seed >>> 0).toString(16).padStart(8, '0')}`;
}

export type MutationName = 'flip-bit' | 'set-byte' | 'truncate' | 'extend' | 'insert' | 'delete' | 'duplicate-slice' | 'boundary-u32';

/**
 * One random mutation of `input` (never modified): the kinds of damage a wire decoder
 * meets. Returns the new bytes and what was done, for the failure message.
 */
export function mutate(prng: Prng, input: Uint8Array): { bytes: Uint8Array; what: string } {
  const kinds: MutationName[] = ['flip-bit', 'set-byte', 'truncate', 'extend', 'insert', 'delete', 'duplicate-slice', 'boundary-u32'];
  const kind = prng.pick(kinds);
  const length = input.length;
  switch (kind) {
    case 'flip-bit': {
      if (length === 0) return { bytes: prng.bytes(1), what: 'flip-bit on empty: one random byte' };
      const bit = prng.nextInt(length * 8);
      const out = input.slice();
      out[bit >> 3]! ^= 1 << (bit & 7);
      return { bytes: out, what: `flip-bit ${bit}` };
    }
    case 'set-byte': {
      if (length === 0) return { bytes: prng.bytes(1), what: 'set-byte on empty: one random byte' };
      const at = prng.nextInt(length);
      const out = input.slice();
      out[at] = prng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, prng.nextInt(256)]);
      return { bytes: out, what: `set-byte ${at} = ${out[at]}` };
    }
    case 'truncate': {
      const to = prng.nextInt(length + 1);
      return { bytes: input.slice(0, to), what: `truncate to ${to}` };
    }
    case 'extend': {
      const extra = prng.pick([1, 1, 2, 4, 8, prng.between(1, 300)]);
      const out = new Uint8Array(length + extra);
      out.set(input);
      out.set(prng.nextInt(2) === 0 ? new Uint8Array(extra) : prng.bytes(extra), length);
      return { bytes: out, what: `extend by ${extra}` };
    }
    case 'insert': {
      const at = prng.nextInt(length + 1);
      const out = new Uint8Array(length + 1);
      out.set(input.subarray(0, at));
      out[at] = prng.nextInt(256);
      out.set(input.subarray(at), at + 1);
      return { bytes: out, what: `insert at ${at}` };
    }
    case 'delete': {
      if (length === 0) return { bytes: input.slice(), what: 'delete on empty: nothing' };
      const at = prng.nextInt(length);
      const out = new Uint8Array(length - 1);
      out.set(input.subarray(0, at));
      out.set(input.subarray(at + 1), at);
      return { bytes: out, what: `delete at ${at}` };
    }
    case 'duplicate-slice': {
      const from = prng.nextInt(length + 1);
      const to = Math.min(length, from + prng.between(0, 40));
      const out = new Uint8Array(length + (to - from));
      out.set(input.subarray(0, to));
      out.set(input.subarray(from), to);
      return { bytes: out, what: `duplicate [${from}, ${to})` };
    }
    case 'boundary-u32': {
      if (length < 4) return { bytes: input.slice(), what: 'boundary-u32 on short input: nothing' };
      const at = prng.nextInt(length - 3);
      const out = input.slice();
      const value = prng.pick([0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]);
      new DataView(out.buffer).setUint32(at, value);
      return { bytes: out, what: `u32 at ${at} = ${value}` };
    }
  }
}
