// The simulator's history invariant (src/sim/invariants.ts, checkHistory): at every check,
// each available server's HISTORY for a few accounts, through its real core and store, is
// the chain's record. It only reads: a run's event digest is the same with and without it.
// And it catches a server whose history is wrong: one outcome flipped, one entry dropped.

import { afterEach, describe, expect, test } from 'bun:test';
import { type AccountPayment, type HistoryCursor, MemoryStore } from '../src/ledger/store.ts';
import { Invariants } from '../src/sim/invariants.ts';
import { simulate } from '../src/sim/simulator.ts';
import { RecordingStore } from '../src/sim/store.ts';

const originalHistory = MemoryStore.prototype.history;
const originalCheck = Invariants.prototype.checkHistory;
afterEach(() => {
  MemoryStore.prototype.history = originalHistory;
  Invariants.prototype.checkHistory = originalCheck;
});

/** Makes server `server`'s store answer history() through `lie`, from its `after`-th answer on. */
function plant(server: number, after: number, lie: (honest: AccountPayment[]) => AccountPayment[]): void {
  let calls = 0;
  MemoryStore.prototype.history = function (this: MemoryStore, account: Uint8Array, before: HistoryCursor | null, limit: number): AccountPayment[] {
    const honest = originalHistory.call(this, account, before, limit);
    if (!(this instanceof RecordingStore) || this.server !== server || honest.length === 0 || ++calls < after) return honest;
    return lie(honest);
  };
}

describe('the history invariant', () => {
  test('holds on fault-free and faulty runs, comparing thousands of entries', () => {
    for (const [seed, servers, periods, faults] of [
      [14, 3, 40, 'none'],
      [13, 2, 40, 'heavy'],
    ] as const) {
      const report = simulate({ seed, servers, periods, faults });
      expect(report.ok).toBe(true);
      expect(report.stats.historyEntriesChecked).toBeGreaterThan(500);
    }
  });

  test('only reads: the event digest of a run is the same with it and without it', () => {
    const withCheck = simulate({ seed: 4240, servers: 4, periods: 12, faults: 'heavy' });
    Invariants.prototype.checkHistory = () => 0;
    const without = simulate({ seed: 4240, servers: 4, periods: 12, faults: 'heavy' });
    expect(withCheck.stats.historyEntriesChecked).toBeGreaterThan(0);
    expect(without.stats.historyEntriesChecked).toBe(0);
    expect(withCheck.digest).toBe(without.digest);
    expect(withCheck.events).toBe(without.events);
  });

  test('catches a server that lists a payment with the wrong outcome', () => {
    plant(1, 20, ([first, ...rest]) => [{ ...first!, applied: !first!.applied }, ...rest]);
    const report = simulate({ seed: 14, servers: 3, periods: 40, faults: 'none' });
    expect(report.ok).toBe(false);
    expect(report.violation?.invariant).toBe('history');
    expect(report.violation?.servers).toEqual([1]);
    expect(report.violation?.detail).toMatch(/^server 1 lists \d+ payments of account [0-9a-f]{16} up to period \d+ \(archive from 0\); the chain has \d+; first difference at entry 0/);
  });

  test('catches a server that leaves a payment out', () => {
    plant(2, 30, (honest) => honest.filter((_, i) => i !== 1));
    const report = simulate({ seed: 17, servers: 5, periods: 40, faults: 'light' });
    expect(report.ok).toBe(false);
    expect(report.violation?.invariant).toBe('history');
    expect(report.violation?.servers).toEqual([2]);
  });
});
