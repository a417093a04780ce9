// ServerCore.history (HISTORY, docs/PROTOCOL.md §6.8) on three real cores wired by the
// in-test message pump (test/helpers/core-net.ts): every server lists the same committed
// payments; pages follow the cursor across periods and through a period with more than a
// page; a server on a real SQLite file lists the same after a restart and after catching
// up by replay; a server restored from a snapshot says archive_from and lists nothing
// older; a server that is not available answers UNAVAILABLE.

import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { history_entries_max } from '../src/constants.ts';
import { type HistoryBody, type ListedPayment, Status } from '../src/client/codec.ts';
import { SqliteStore } from '../src/ledger/sqlite-store.ts';
import type { MemoryStore } from '../src/ledger/store.ts';
import { ServerCore } from '../src/node/core.ts';
import { CoreNet, first_period, type Intercept } from './helpers/core-net.ts';

// The first period with payments: a fresh network's alphas take payments only once it has committed
// its first period (PROTOCOL §5.4), which it does in first_period, with nothing in it; three periods
// on, so that every period's alpha and beta are those the tests were written for.
const P = first_period + 3;

const directories: string[] = [];
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** A real SQLite store for server `index` of `net` (CoreNet's servers hold MemoryStores; the Store interface is the same). */
function sqliteStoreFor(net: CoreNet, dir?: string): { store: SqliteStore; dir: string } {
  const where = dir ?? mkdtempSync(join(tmpdir(), 'scryp-history-core-'));
  if (dir === undefined) directories.push(where);
  const store = new SqliteStore(where, net.network.id, ServerCore.genesisFor(net.network), () => [...net.genesisState.entries()].map((entry) => entry.slice()));
  return { store, dir: where };
}
const asStore = (store: SqliteStore) => store as unknown as MemoryStore;

const describeEntry = (entry: ListedPayment) => `${entry.period}:${entry.index}:${entry.applied ? 1 : 0}:${toHex(entry.transaction)}`;

/** Every entry of `account` on server `index`, paging `pageSize` at a time from the newest. */
function fullHistory(net: CoreNet, index: number, account: Uint8Array, pageSize = history_entries_max): { entries: string[]; pages: number; last: HistoryBody } {
  const entries: string[] = [];
  let before = { period: 0, index: 0 };
  for (let pages = 1; pages < 1_000; pages++) {
    const answer = net.core(index).history(account, before.period, before.index, pageSize, net.now);
    expect(answer.status).toBe(Status.OK);
    const body = answer.body!;
    expect(body.entries.length).toBeLessThanOrEqual(pageSize);
    entries.push(...body.entries.map(describeEntry));
    const last = body.entries[body.entries.length - 1];
    if (last === undefined) return { entries, pages, last: body };
    before = { period: last.period, index: last.index };
  }
  throw new Error('paging does not end');
}

/** In each period from..to-1, `count(period)` payments to that period's alpha, wallet (k mod 4) to ((k + 1) mod 4), or to wallet 3 when `toThree`. */
function payPeriods(net: CoreNet, from: number, to: number, count: (period: number) => number, skipAlpha: readonly number[] = []): void {
  for (let period = from; period < to; period++) {
    net.advanceToPeriod(period, 200);
    const alpha = period % 3;
    if (skipAlpha.includes(alpha)) continue;
    for (let k = 0; k < count(period); k++) {
      const payer = k % 3; // wallets 0..2 pay
      const tx = net.payment(payer, 3, 1 + k, net.now + k); // all to wallet 3, distinct stamps
      expect(net.pay(alpha, tx).status).toBe(Status.ACCEPTED);
    }
  }
}

describe('every server lists the same committed payments', () => {
  test('three servers, one on SQLite: the same entries, paged across periods and through a period of more than a page', () => {
    const net = new CoreNet();
    const sqlite = sqliteStoreFor(net);
    net.start(0);
    net.start(1);
    net.start(2, asStore(sqlite.store));
    // 3 payments a period, and 20 in period P+2: wallet 3 is payee of all, wallets 0..2 payers.
    payPeriods(net, P, P + 5, (period) => (period === P + 2 ? 20 : 3));
    net.advanceToPeriod(P + 6, 500);
    for (let i = 0; i < 3; i++) expect(net.core(i).committed.period).toBe(P + 5);
    const wallet3 = net.wallets[3]!.publicKey;
    const reference = fullHistory(net, 0, wallet3);
    expect(reference.entries).toHaveLength(3 * 4 + 20);
    expect(reference.pages).toBe(Math.ceil(32 / 7) + 1); // the last page is empty: nothing older
    for (let i = 1; i < 3; i++) expect(fullHistory(net, i, wallet3).entries).toEqual(reference.entries);
    // Pages of other sizes give the same sequence; the first page starts at the newest.
    expect(fullHistory(net, 2, wallet3, 3).entries).toEqual(reference.entries);
    expect(fullHistory(net, 2, wallet3, 1).entries).toEqual(reference.entries);
    expect(reference.entries[0]!.startsWith(`${P + 4}:2:1:`)).toBe(true);
    // Period P+2 holds 20 of them, more than two pages, in index order from 19 down.
    const inP2 = reference.entries.filter((entry) => entry.startsWith(`${P + 2}:`)).map((entry) => Number(entry.split(':')[1]));
    expect(inP2).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
    // A payer sees its own payments only; every entry of wallet 0 is one it paid.
    const wallet0 = fullHistory(net, 2, net.wallets[0]!.publicKey).entries;
    expect(wallet0).toEqual(fullHistory(net, 0, net.wallets[0]!.publicKey).entries);
    expect(wallet0.length).toBe(4 * 1 + 7); // one of each 3 per period, 7 of P+2's 20
    // The reply says where the server stands.
    const body = net.core(2).history(wallet3, 0, 0, 7, net.now).body!;
    expect([body.committedPeriod, body.archiveFrom, body.entries.length]).toEqual([P + 5, 0, 7]);
    sqlite.store.close();
  });

  test('the SQLite server after a restart lists the same; it still answers while others commit', () => {
    const net = new CoreNet();
    const sqlite = sqliteStoreFor(net);
    net.start(0);
    net.start(1);
    net.start(2, asStore(sqlite.store));
    payPeriods(net, P, P + 4, () => 9);
    net.advanceToPeriod(P + 4, 500);
    const wallet3 = net.wallets[3]!.publicKey;
    const before = fullHistory(net, 2, wallet3).entries;
    expect(before).toHaveLength(36);
    net.crash(2);
    sqlite.store.close();
    const reopened = sqliteStoreFor(net, sqlite.dir);
    net.start(2, asStore(reopened.store));
    net.advanceToPeriod(P + 5, 500); // heard from the others again: available
    expect(fullHistory(net, 2, wallet3).entries.slice(-36)).toEqual(before);
    expect(fullHistory(net, 2, wallet3).entries).toEqual(fullHistory(net, 0, wallet3).entries);
    reopened.store.close();
  });
});

const isolate =
  (server: number): Intercept =>
  (from, to, message) =>
    from === server || to === server ? null : message;

describe('catching up fills the index the same way', () => {
  test('by replay (SYNC_RECORDS, through the commit path), on SQLite: the same entries as the servers that committed them live; UNAVAILABLE while behind', () => {
    const net = new CoreNet();
    const sqlite = sqliteStoreFor(net);
    net.start(0);
    net.start(1);
    net.start(2, asStore(sqlite.store));
    payPeriods(net, P, P + 3, () => 2);
    net.advanceToPeriod(P + 3, 500);
    net.intercept = isolate(2);
    payPeriods(net, P + 3, P + 8, (period) => (period === P + 4 ? 10 : 2), [2]);
    net.advanceToPeriod(P + 8, 500);
    expect(net.core(0).committed.period).toBe(P + 7);
    expect(net.core(2).committed.period).toBe(P + 2);
    const wallet3 = net.wallets[3]!.publicKey;
    expect(net.core(2).history(wallet3, 0, 0, 7, net.now)).toEqual({ status: Status.UNAVAILABLE, body: null });
    net.intercept = null;
    const replayed = net.core(2).counters.get('committed') ?? 0;
    net.advanceTo(net.now + 2 * net.timing.periodMs);
    expect(net.core(2).committed.period).toBe(net.core(0).committed.period);
    expect((net.core(2).counters.get('committed') ?? 0) - replayed).toBeGreaterThanOrEqual(4); // P+3, P+4, P+6, P+7 by replay
    expect(net.servers[2]!.store.load().archiveFrom).toBe(0); // replayed, not a snapshot
    const reference = fullHistory(net, 0, wallet3).entries;
    expect(reference.filter((entry) => entry.startsWith(`${P + 4}:`))).toHaveLength(10);
    expect(fullHistory(net, 2, wallet3).entries).toEqual(reference);
    sqlite.store.close();
  });

  test('by snapshot: archive_from is the snapshot\'s period, nothing older is listed, and what commits after is', () => {
    const net = new CoreNet();
    net.start(0);
    net.start(1);
    payPeriods(net, P, P + 4, () => 2, [2]);
    net.advanceToPeriod(P + 4, 500);
    expect(net.core(0).committed.period).toBe(P + 3);
    const sqlite = sqliteStoreFor(net);
    net.start(2, asStore(sqlite.store)); // an empty store: it fetches a snapshot
    net.advanceToPeriod(P + 5, 500);
    const restored = net.servers[2]!.store.load().archiveFrom;
    expect(restored).toBeGreaterThanOrEqual(P + 3);
    const wallet3 = net.wallets[3]!.publicKey;
    const first = net.core(2).history(wallet3, 0, 0, 7, net.now);
    expect(first.status).toBe(Status.OK);
    expect(first.body!.archiveFrom).toBe(restored);
    expect(first.body!.entries.every((entry) => entry.period > restored)).toBe(true);
    payPeriods(net, P + 6, P + 9, () => 2);
    net.advanceToPeriod(P + 9, 500);
    const full = fullHistory(net, 2, wallet3);
    expect(full.last.archiveFrom).toBe(restored);
    expect(full.entries.length).toBeGreaterThanOrEqual(6);
    // The same entries as a server that holds everything, for the periods after the snapshot.
    expect(full.entries).toEqual(fullHistory(net, 0, wallet3).entries.filter((entry) => Number(entry.split(':')[0]) > restored));
    sqlite.store.close();
  });
});
