// What a run leaves behind: a bounded ring of its last events (printed when an invariant
// breaks), and a digest of ALL its events, so that two runs of one seed can be compared
// without keeping their logs. Lines are built lazily: most are overwritten unread.

export type TraceLine = string | (() => string);

export class TraceRing {
  private readonly times: number[];
  private readonly lines: TraceLine[];
  private next = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    /** Prints every line as it happens (--trace). */
    private readonly live: ((line: string) => void) | null,
    /** Turns a global time into the label printed before a line. */
    private readonly label: (at: number) => string,
  ) {
    this.times = new Array(capacity).fill(0);
    this.lines = new Array(capacity).fill('');
  }

  add(at: number, line: TraceLine): void {
    if (this.live !== null) this.live(`${this.label(at)} ${typeof line === 'string' ? line : line()}`);
    this.times[this.next] = at;
    this.lines[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The last `max` lines, oldest first. */
  last(max: number): string[] {
    const take = Math.min(max, this.count);
    const out: string[] = [];
    for (let i = take; i > 0; i--) {
      const index = (this.next - i + this.capacity) % this.capacity;
      const line = this.lines[index]!;
      out.push(`${this.label(this.times[index]!)} ${typeof line === 'string' ? line : line()}`);
    }
    return out;
  }
}

/**
 * A running 64-bit digest (two 32-bit lanes of a multiply-xorshift mix) over numbers and
 * bytes. Not cryptographic: it only has to tell two event logs apart.
 */
export class Digest {
  private high = 0x6a09e667;
  private low = 0xbb67ae85;
  events = 0;

  /** Mixes in a number (an integer up to 2^53, or any float, by its parts). */
  number(value: number): void {
    const low = value >>> 0;
    const high = Math.floor(value / 0x1_0000_0000) >>> 0;
    this.word(low);
    this.word(high);
  }

  private word(word: number): void {
    let h = Math.imul(this.low ^ word, 0x9e3779b1);
    h ^= h >>> 15;
    this.low = Math.imul(h, 0x85ebca77) ^ this.high;
    let g = Math.imul(this.high ^ word ^ 0x27d4eb2f, 0xc2b2ae3d);
    g ^= g >>> 13;
    this.high = Math.imul(g, 0x165667b1) ^ (h >>> 7);
  }

  bytes(bytes: Uint8Array): void {
    this.word(bytes.length);
    this.word(Bun.hash.crc32(bytes));
  }

  string(text: string): void {
    this.word(text.length);
    this.word(Bun.hash.crc32(text));
  }

  /** One event: a kind tag and its numbers. */
  event(kind: number, a = 0, b = 0, c = 0): void {
    this.events++;
    this.word(kind);
    this.number(a);
    this.number(b);
    this.number(c);
  }

  hex(): string {
    return (this.high >>> 0).toString(16).padStart(8, '0') + (this.low >>> 0).toString(16).padStart(8, '0');
  }
}
