// src/schedule.ts: periods, alpha and beta, and rule 2 of payment acceptance. Boundary
// cases are written out by hand; properties compare against exact integer arithmetic.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { acceptingUntil, alphaOf, betaOf, checkTimestamp, endOf, periodOf, startOf, type Timing } from '../src/schedule.ts';

const timing: Timing = { periodMs: 2000, blackoutMs: 200, skewMs: 500 };
const servers = 3;

const timingArbitrary = fc
  .record({
    periodMs: fc.integer({ min: 50, max: 3_600_000 }),
    blackoutPart: fc.double({ min: 0, max: 0.999, noNaN: true }),
    skewPart: fc.double({ min: 0, max: 0.999, noNaN: true }),
  })
  .map(({ periodMs, blackoutPart, skewPart }) => ({
    periodMs,
    blackoutMs: Math.floor(blackoutPart * periodMs),
    skewMs: Math.floor(skewPart * periodMs),
  }));

/** Times from the epoch to 2^53 - 1 ms, with a bias to realistic clocks. */
const timeArbitrary = fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
/**
 * Times whose whole period (and the next) ends below 2^53: near 2^53, end(k) = (k + 1) * period_ms
 * is no longer an exact double, so period arithmetic there is not meaningful (clocks are ~2^40).
 */
const earlyTimeArbitrary = fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), fc.integer({ min: 0, max: 2 ** 52 }));

describe('periods', () => {
  test('the worked example: period 2000 ms', () => {
    expect(periodOf(timing, 0)).toBe(0);
    expect(periodOf(timing, 1999)).toBe(0);
    expect(periodOf(timing, 2000)).toBe(1);
    expect(startOf(timing, 5)).toBe(10_000);
    expect(endOf(timing, 5)).toBe(12_000);
    expect(acceptingUntil(timing, 5)).toBe(11_800);
  });

  test('period(t) is floor(t / period_ms), exactly, up to 2^53 - 1 (checked with bigint)', () => {
    fc.assert(
      fc.property(timingArbitrary, timeArbitrary, (t, time) => {
        expect(periodOf(t, time)).toBe(Number(BigInt(time) / BigInt(t.periodMs)));
      }),
      { numRuns: 500 },
    );
  });

  test('start(k) <= t < end(k) for k = period(t); end(k) = start(k + 1); the last ms of a period is in it', () => {
    fc.assert(
      fc.property(timingArbitrary, earlyTimeArbitrary, (t, time) => {
        const k = periodOf(t, time);
        expect(startOf(t, k)).toBeLessThanOrEqual(time);
        expect(time).toBeLessThan(endOf(t, k));
        expect(endOf(t, k)).toBe(startOf(t, k + 1));
        expect(periodOf(t, startOf(t, k))).toBe(k);
        expect(periodOf(t, endOf(t, k) - 1)).toBe(k);
        expect(periodOf(t, endOf(t, k))).toBe(k + 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('alpha and beta', () => {
  test('alpha(k) = servers[k mod n] and beta(k) = alpha(k - 1), by hand for three servers', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((k) => alphaOf(servers, k))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect([1, 2, 3, 4, 5, 6].map((k) => betaOf(servers, k))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test('beta(0) is the last server (alpha of period -1 wraps around), a valid index', () => {
    expect(betaOf(servers, 0)).toBe(2);
    expect(betaOf(1, 0)).toBe(0);
  });

  test('one server is alpha and beta of every period', () => {
    for (let k = 0; k < 10; k++) expect([alphaOf(1, k), betaOf(1, k)]).toEqual([0, 0]);
  });

  test('properties: indexes in [0, n), beta(k) = alpha(k - 1), each server alpha once in any n consecutive periods', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 47 }), (n, k) => {
        const alpha = alphaOf(n, k);
        const beta = betaOf(n, k);
        expect(Number.isInteger(alpha) && alpha >= 0 && alpha < n).toBe(true);
        expect(Number.isInteger(beta) && beta >= 0 && beta < n).toBe(true);
        expect(alpha).toBe(Number(BigInt(k) % BigInt(n)));
        if (k > 0) expect(beta).toBe(alphaOf(n, k - 1));
        else expect(beta).toBe(n - 1);
        const seen = new Set<number>();
        for (let i = 0; i < n; i++) seen.add(alphaOf(n, k + i));
        expect(seen.size).toBe(n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkTimestamp: rule 2 at every boundary (period 2000, blackout 200, skew 500)', () => {
  // Period 10 is [20_000, 22_000); the alpha accepts while now < 21_800.
  const k = 10;
  const start = 20_000;
  const end = 22_000;
  const cutoff = end - 200;
  const cases: [string, number, number, string][] = [
    // [what, timestamp, now, verdict]
    ['now at the start, timestamp = now', start, start, 'ok'],
    ['now one ms before the blackout', cutoff - 1, cutoff - 1, 'ok'],
    ['now exactly at end - blackout', cutoff, cutoff, 'blackout'],
    ['now one ms into the blackout, timestamp earlier in the period', cutoff - 100, cutoff + 1, 'blackout'],
    ['now at the last ms of the period', end - 1, end - 1, 'blackout'],
    ['timestamp exactly skew before now', start + 1000 - 500, start + 1000, 'ok'],
    ['timestamp one ms more than skew before now', start + 1000 - 501, start + 1000, 'skew'],
    ['timestamp exactly skew after now', start + 1000 + 500, start + 1000, 'ok'],
    ['timestamp one ms more than skew after now', start + 1000 + 501, start + 1000, 'skew'],
    ['timestamp in the blackout part, now before it, within skew', cutoff + 50, cutoff - 300, 'ok'],
    ['timestamp the last ms of the previous period, now at the start', start - 1, start, 'wrong_period'],
    ['timestamp the first ms of the next period, now at the last accepting ms', end, cutoff - 1, 'wrong_period'],
    ['timestamp of the next period, within skew of now', end + 10, cutoff - 1, 'wrong_period'],
    ['timestamp of the previous period during the blackout (wrong period wins)', start - 1, cutoff + 1, 'wrong_period'],
    ['timestamp far in the future', Number.MAX_SAFE_INTEGER, start, 'wrong_period'],
    ['timestamp zero', 0, start, 'wrong_period'],
    ['skewed and in the blackout: blackout wins', start, cutoff, 'blackout'],
  ];
  for (const [what, timestamp, now, verdict] of cases) {
    test(`${what}: ${verdict}`, () => {
      expect(periodOf(timing, now)).toBe(k);
      expect(checkTimestamp(timing, timestamp, now)).toBe(verdict as ReturnType<typeof checkTimestamp>);
    });
  }

  test('blackout 0: the last ms of the period still accepts', () => {
    const noBlackout = { ...timing, blackoutMs: 0 };
    expect(checkTimestamp(noBlackout, end - 1, end - 1)).toBe('ok');
    expect(checkTimestamp(noBlackout, end - 1, end)).toBe('wrong_period');
  });

  test('skew 0: only the exact ms is accepted', () => {
    const noSkew = { ...timing, skewMs: 0 };
    expect(checkTimestamp(noSkew, start + 7, start + 7)).toBe('ok');
    expect(checkTimestamp(noSkew, start + 6, start + 7)).toBe('skew');
    expect(checkTimestamp(noSkew, start + 8, start + 7)).toBe('skew');
  });

  test('property: the verdict is the design rule, computed with bigint', () => {
    const rule = (t: Timing, timestamp: number, now: number): string => {
      const p = BigInt(t.periodMs);
      const k = BigInt(now) / p;
      if (BigInt(timestamp) / p !== k) return 'wrong_period';
      if (BigInt(now) >= (k + 1n) * p - BigInt(t.blackoutMs)) return 'blackout';
      const distance = BigInt(timestamp) - BigInt(now);
      if ((distance < 0n ? -distance : distance) > BigInt(t.skewMs)) return 'skew';
      return 'ok';
    };
    fc.assert(
      fc.property(timingArbitrary, timeArbitrary, fc.integer({ min: -7_300_000, max: 7_300_000 }), (t, now, offset) => {
        const timestamp = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, now + offset));
        expect(checkTimestamp(t, timestamp, now)).toBe(rule(t, timestamp, now) as ReturnType<typeof checkTimestamp>);
      }),
      { numRuns: 1000 },
    );
  });

  test('property: "ok" implies a timestamp accepted in exactly one period, by the alpha of that period only', () => {
    fc.assert(
      fc.property(timingArbitrary, earlyTimeArbitrary, fc.integer({ min: -5000, max: 5000 }), (t, now, offset) => {
        const timestamp = Math.max(0, now + offset);
        if (checkTimestamp(t, timestamp, now) !== 'ok') return;
        const k = periodOf(t, timestamp);
        expect(periodOf(t, now)).toBe(k);
        expect(now).toBeLessThan(acceptingUntil(t, k));
        // At any time outside period k the same timestamp is refused.
        expect(checkTimestamp(t, timestamp, endOf(t, k))).toBe('wrong_period');
        if (k > 0) expect(checkTimestamp(t, timestamp, startOf(t, k) - 1)).toBe('wrong_period');
      }),
      { numRuns: 500 },
    );
  });
});
