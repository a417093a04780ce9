// RateLimiter (src/node/rate-limit.ts): a token bucket per source, a bounded table.
// Time is an argument, so every test runs on plain numbers, without sleeping.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { RateLimiter } from '../src/node/rate-limit.ts';

/** How many of `count` takes at time `now` succeed. */
function takes(limiter: RateLimiter, source: string, now: number, count: number): number {
  let granted = 0;
  for (let i = 0; i < count; i++) if (limiter.take(source, now)) granted++;
  return granted;
}

describe('RateLimiter', () => {
  test('burst: a new source gets exactly `burst` requests at once, then nothing', () => {
    const limiter = new RateLimiter(10, 5, 100);
    expect(takes(limiter, 'a', 1_000, 5)).toBe(5);
    expect(limiter.take('a', 1_000)).toBe(false);
    expect(limiter.take('a', 1_000)).toBe(false); // refusals cost nothing and refill nothing
  });

  test('refill: one token per 1000/perSecond ms, not before', () => {
    const limiter = new RateLimiter(10, 5, 100); // one token every 100 ms
    expect(takes(limiter, 'a', 0, 5)).toBe(5);
    expect(limiter.take('a', 99)).toBe(false);
    expect(limiter.take('a', 100)).toBe(true); // 99 ms of credit carried: 0.99 + 0.01 = 1
    expect(limiter.take('a', 100)).toBe(false);
    expect(takes(limiter, 'a', 350, 5)).toBe(2); // 2.5 tokens: two requests, half a token left
    expect(limiter.take('a', 400)).toBe(true); // 0.5 + 0.5
  });

  test('refill is capped at the burst, however long the source was quiet', () => {
    const limiter = new RateLimiter(10, 5, 100);
    expect(takes(limiter, 'a', 0, 5)).toBe(5);
    expect(takes(limiter, 'a', 3_600_000, 100)).toBe(5);
  });

  test('sources are isolated: one drained source does not slow another', () => {
    const limiter = new RateLimiter(10, 3, 100);
    expect(takes(limiter, '10.0.0.1', 0, 10)).toBe(3);
    expect(takes(limiter, '10.0.0.2', 0, 10)).toBe(3);
    expect(takes(limiter, '10.0.0.1', 100, 10)).toBe(1);
    expect(takes(limiter, '10.0.0.3', 100, 10)).toBe(3);
  });

  test('the table is bounded: a new source evicts the least recently seen one', () => {
    const limiter = new RateLimiter(1, 2, 3);
    for (const source of ['a', 'b', 'c']) expect(takes(limiter, source, 0, 2)).toBe(2); // all three drained
    expect(limiter.size).toBe(3);
    expect(limiter.take('a', 1)).toBe(false); // touches a: b is now the least recently seen
    expect(limiter.take('d', 1)).toBe(true); // evicts b
    expect(limiter.size).toBe(3);
    expect(takes(limiter, 'b', 1, 5)).toBe(2); // b was forgotten: a fresh bucket (evicting c)
    expect(takes(limiter, 'a', 1, 5)).toBe(0); // a was kept: still drained
    expect(takes(limiter, 'c', 1, 5)).toBe(2); // c went when b came back
    expect(limiter.size).toBe(3);
  });

  test('a refused request still counts as seen for the LRU order', () => {
    const limiter = new RateLimiter(1, 1, 2);
    expect(limiter.take('a', 0)).toBe(true);
    expect(limiter.take('b', 0)).toBe(true);
    expect(limiter.take('a', 0)).toBe(false); // refused, but a is now the most recent
    expect(limiter.take('c', 0)).toBe(true); // evicts b, not a
    expect(limiter.take('a', 0)).toBe(false);
    expect(limiter.take('b', 0)).toBe(true);
  });

  test('a clock that steps back neither refills nor locks a source out', () => {
    const limiter = new RateLimiter(10, 5, 100);
    const hour = 3_600_000;
    expect(takes(limiter, 'a', 10 * hour, 1)).toBe(1); // 4 left
    expect(takes(limiter, 'a', 9 * hour, 10)).toBe(4); // one hour back: the 4 tokens are still there
    expect(limiter.take('a', 9 * hour + 100)).toBe(true); // and it refills from the new time on
    expect(limiter.take('a', 9 * hour + 100)).toBe(false);
  });

  test('property: the table never exceeds its bound, and matches a reference bucket model', () => {
    const perSecond = 100; // one token per 10 ms; times move in steps of 10 ms, so the arithmetic is exact
    const burst = 3;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 6 })), { maxLength: 80 }),
        (sourcesMax, requests) => {
          const limiter = new RateLimiter(perSecond, burst, sourcesMax);
          // Reference: tokens per source as integers, and a least-recently-seen list.
          const tokens = new Map<string, { tokens: number; at: number }>();
          const order: string[] = [];
          let now = 0;
          for (const [sourceIndex, steps] of requests) {
            now += steps * 10;
            const source = `s${sourceIndex}`;
            let bucket = tokens.get(source);
            if (bucket === undefined) {
              if (order.length >= sourcesMax) tokens.delete(order.shift()!);
              bucket = { tokens: burst, at: now };
              tokens.set(source, bucket);
            } else {
              order.splice(order.indexOf(source), 1);
              bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / 10);
              bucket.at = now;
            }
            order.push(source);
            const expected = bucket.tokens >= 1;
            if (expected) bucket.tokens -= 1;
            expect(limiter.take(source, now)).toBe(expected);
            expect(limiter.size).toBe(order.length);
            expect(limiter.size).toBeLessThanOrEqual(sourcesMax);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
