// The simulator's only source of randomness: xoshiro128** (Blackman and Vigna, 2018),
// seeded through splitmix32. Small, fast, well known, and 2^128 − 1 long. Every random
// choice of a simulation goes through one of these, each subsystem with its own stream
// (`fork`), so that turning one kind of fault off does not reshuffle the others'
// decisions: that is what makes shrinking a failing seed useful.
//
// Never Math.random, never Date.now: a seed must replay the same run, event for event.

/** splitmix32: spreads a 32-bit seed over a state, so nearby seeds give unrelated streams. */
function splitmix32(state: number): { value: number; state: number } {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { value: (z ^ (z >>> 16)) >>> 0, state };
}

/** FNV-1a of a label, so that `fork('network')` always names the same stream. */
function labelHash(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The state right after seeding: `fork` derives from it, so forks do not depend on use. */
  private seedWords: [number, number, number, number];

  /** `seed` is any non-negative integer up to 2^53 − 1. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`random: seed ${seed} is not an integer in 0..2^53-1`);
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 0x1_0000_0000), 0x27d4eb2f);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = splitmix32(state);
      state = next.state;
      words.push(next.value);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the one state xoshiro cannot leave
    this.seedWords = [this.a, this.b, this.c, this.d];
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67_108_864 + (this.u32() >>> 6)) / 9_007_199_254_740_992;
  }

  /** A uniform integer in [0, n), n ≥ 1. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`random: int(${n})`);
    if (n <= 0x1_0000_0000) {
      // Lemire's multiply-shift: no modulo bias worth caring about at these sizes, no loop.
      return Math.floor((this.u32() * n) / 0x1_0000_0000);
    }
    return Math.floor(this.float() * n);
  }

  /** A uniform integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('random: pick from nothing');
    return items[this.int(items.length)]!;
  }

  /** A random subset of size k (k ≤ length), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, k);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let word = this.u32();
      for (let j = i; j < Math.min(n, i + 4); j++) {
        out[j] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }

  /** An exponentially distributed value with the given mean (for delays and gaps). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /** An independent stream named by `label`, derived from this stream's seed, not its position. */
  fork(label: string): Random {
    const child = new Random(0);
    const h = labelHash(label);
    child.a = this.seedWords[0] ^ h;
    child.b = this.seedWords[1] ^ Math.imul(h, 0x9e3779b9);
    child.c = this.seedWords[2] ^ rotl(h, 13);
    child.d = this.seedWords[3] ^ rotl(h, 23);
    if ((child.a | child.b | child.c | child.d) === 0) child.a = 1;
    for (let i = 0; i < 8; i++) child.u32(); // decorrelate children of nearby labels
    child.seedWords = [child.a, child.b, child.c, child.d];
    return child;
  }

}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Parses a seed as typed on a command line: decimal or 0x-hex, up to 2^53 − 1. */
export function parseSeed(text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--seed: expected an integer in 0..2^53-1 (decimal or 0x-hex), got ${JSON.stringify(text)}`);
  return value;
}
