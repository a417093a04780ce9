// A token bucket per source address, for the UDP port that faces the internet. Pure:
// time is an argument. The table is bounded; when full, the least recently seen source
// is forgotten (Map keeps insertion order, and a touch re-inserts).
//
// Time is the wall clock (plus the server's offset), which may step backwards: a step back
// refills nothing and takes nothing away, so a source is never locked out for the length
// of the step.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly sourcesMax: number,
  ) {}

  /** Takes one token for `source` at time `now` (ms); false when the source is over its rate. */
  take(source: string, now: number): boolean {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      if (this.buckets.size >= this.sourcesMax) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.burst, at: now };
    } else {
      this.buckets.delete(source);
      const elapsed = Math.max(0, now - bucket.at); // a clock that steps back refills nothing, and costs nothing
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.perSecond) / 1000);
      bucket.at = now;
    }
    this.buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
