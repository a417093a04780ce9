// src/schedule.ts: periods, alpha and beta, and rule 2 of payment acceptance. Boundary
// cases are written out by hand; properties compare against exact integer arithmetic.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { acceptingFrom, alphaOf, betaOf, checkTimestamp, endOf, forwardingUntil, periodOf, startOf, type Taker, type Timing } from '../src/schedule.ts';

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
    expect(acceptingFrom(timing, 5)).toBe(9_800);
    expect(forwardingUntil(timing, 5)).toBe(11_800);
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
  // Period 10 is [20_000, 22_000). Its alpha takes payments stamped in it from 19_800 (the
  // previous period's blackout) until 22_000, when it seals its batch; a forwarder passes
  // them on from 19_800 until 21_800 (the forward must reach the alpha before the seal).
  const start = 20_000;
  const end = 22_000;
  const cutoff = end - 200;
  const cases: [string, number, number, Taker, string][] = [
    // [what, timestamp, now, taker, verdict]
    ['now at the start, timestamp = now', start, start, 'alpha', 'ok'],
    ['now at the start, timestamp = now, a forwarder', start, start, 'forwarder', 'ok'],
    ['now one ms before the blackout, a forwarder', cutoff - 1, cutoff - 1, 'forwarder', 'ok'],
    ['now exactly at end - blackout, a forwarder', cutoff, cutoff, 'forwarder', 'blackout'],
    ['now exactly at end - blackout, the alpha', cutoff, cutoff, 'alpha', 'ok'],
    ['now in the blackout, timestamp earlier in the period, a forwarder', cutoff - 100, cutoff + 1, 'forwarder', 'blackout'],
    ['now in the blackout, timestamp earlier in the period, the alpha', cutoff - 100, cutoff + 1, 'alpha', 'ok'],
    ['now the last ms of the period, the alpha', end - 1, end - 1, 'alpha', 'ok'],
    ['now the last ms of the period, a forwarder', end - 1, end - 1, 'forwarder', 'blackout'],
    ['now at the end: the alpha sealed its batch', end - 1, end, 'alpha', 'wrong_period'],
    ['timestamp exactly skew before now', start + 1000 - 500, start + 1000, 'alpha', 'ok'],
    ['timestamp one ms more than skew before now', start + 1000 - 501, start + 1000, 'alpha', 'skew'],
    ['timestamp exactly skew after now', start + 1000 + 500, start + 1000, 'forwarder', 'ok'],
    ['timestamp one ms more than skew after now', start + 1000 + 501, start + 1000, 'forwarder', 'skew'],
    ['stamped in the next period, now in this one before its blackout', end, cutoff - 1, 'alpha', 'wrong_period'],
    ['stamped in the next period, now the first ms of this one\'s blackout: the next alpha takes it', end, cutoff, 'alpha', 'ok'],
    ['stamped in the next period during this one\'s blackout, a forwarder passes it on', end + 10, cutoff + 50, 'forwarder', 'ok'],
    ['stamped in this period, now before its window opens (the previous blackout not begun)', start, start - 201, 'alpha', 'wrong_period'],
    ['stamped in this period, now the first ms of its window', start, start - 200, 'alpha', 'ok'],
    ['timestamp the last ms of the previous period, now at the start', start - 1, start, 'alpha', 'wrong_period'],
    ['stamped two periods ahead during the blackout', end + 2000, cutoff + 1, 'alpha', 'wrong_period'],
    ['timestamp far in the future', Number.MAX_SAFE_INTEGER, start, 'alpha', 'wrong_period'],
    ['timestamp zero', 0, start, 'alpha', 'wrong_period'],
    ['skewed and in the blackout, a forwarder: blackout wins', start, cutoff, 'forwarder', 'blackout'],
  ];
  for (const [what, timestamp, now, taker, verdict] of cases) {
    test(`${what}: ${verdict}`, () => {
      expect(checkTimestamp(timing, timestamp, now, taker)).toBe(verdict as ReturnType<typeof checkTimestamp>);
    });
  }

  test('blackout 0: nothing early, the alpha and forwarders alike until the end', () => {
    const noBlackout = { ...timing, blackoutMs: 0 };
    for (const taker of ['alpha', 'forwarder'] as const) {
      expect(checkTimestamp(noBlackout, end - 1, end - 1, taker)).toBe('ok');
      expect(checkTimestamp(noBlackout, end - 1, end, taker)).toBe('wrong_period');
      expect(checkTimestamp(noBlackout, end, end - 1, taker)).toBe('wrong_period');
    }
  });

  test('skew 0: only the exact ms is accepted', () => {
    const noSkew = { ...timing, skewMs: 0 };
    expect(checkTimestamp(noSkew, start + 7, start + 7, 'alpha')).toBe('ok');
    expect(checkTimestamp(noSkew, start + 6, start + 7, 'alpha')).toBe('skew');
    expect(checkTimestamp(noSkew, start + 8, start + 7, 'alpha')).toBe('skew');
    expect(checkTimestamp(noSkew, end, end - 1, 'alpha')).toBe('skew'); // early, but a ms ahead of the clock
  });

  test('property: the verdict is the design rule, computed with bigint', () => {
    const rule = (t: Timing, timestamp: number, now: number, taker: Taker): string => {
      const p = BigInt(t.periodMs);
      const k = BigInt(timestamp) / p;
      if (BigInt(now) < k * p - BigInt(t.blackoutMs) || BigInt(now) >= (k + 1n) * p) return 'wrong_period';
      if (taker === 'forwarder' && BigInt(now) >= (k + 1n) * p - BigInt(t.blackoutMs)) return 'blackout';
      const distance = BigInt(timestamp) - BigInt(now);
      if ((distance < 0n ? -distance : distance) > BigInt(t.skewMs)) return 'skew';
      return 'ok';
    };
    fc.assert(
      fc.property(timingArbitrary, earlyTimeArbitrary, fc.integer({ min: -7_300_000, max: 7_300_000 }), fc.constantFrom<Taker>('alpha', 'forwarder'), (t, now, offset, taker) => {
        const timestamp = Math.max(0, Math.min(2 ** 52, now + offset));
        expect(checkTimestamp(t, timestamp, now, taker)).toBe(rule(t, timestamp, now, taker) as ReturnType<typeof checkTimestamp>);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: "ok" only within its own period\'s window: a timestamp is taken for exactly one period, whatever the clock', () => {
    fc.assert(
      fc.property(timingArbitrary, earlyTimeArbitrary, fc.integer({ min: -5000, max: 5000 }), fc.constantFrom<Taker>('alpha', 'forwarder'), (t, now, offset, taker) => {
        const timestamp = Math.max(0, now + offset);
        if (checkTimestamp(t, timestamp, now, taker) !== 'ok') return;
        const k = periodOf(t, timestamp);
        // Now is in period k, or in period k − 1's last blackout_ms.
        expect(now).toBeGreaterThanOrEqual(acceptingFrom(t, k));
        expect(now).toBeLessThan(taker === 'alpha' ? endOf(t, k) : forwardingUntil(t, k));
        expect(periodOf(t, now) === k || (periodOf(t, now) === k - 1 && now >= endOf(t, k - 1) - t.blackoutMs)).toBe(true);
        // At any time outside that window the same timestamp is refused.
        expect(checkTimestamp(t, timestamp, endOf(t, k), taker)).toBe('wrong_period');
        if (acceptingFrom(t, k) > 0) expect(checkTimestamp(t, timestamp, acceptingFrom(t, k) - 1, taker)).toBe('wrong_period');
      }),
      { numRuns: 1000 },
    );
  });
});
