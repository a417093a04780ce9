// The account index behind HISTORY (src/ledger/store.ts, src/ledger/sqlite-store.ts):
// written once and run against both stores, then what only SQLite has: a page is one range
// of the index (EXPLAIN QUERY PLAN), the rows are written in the commit's own transaction,
// and a ledger file written by the previous schema is upgraded when it is opened.
//
// The periods here are real: payments signed by test wallets, replayed by the batch rules,
// certified by two of three test servers' votes (as test/store.test.ts builds them).

import { afterAll, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, equal, Reader, toHex } from '../src/bytes.ts';
import { index_epoch_periods, transaction_bytes } from '../src/constants.ts';
import { isScrypError } from '../src/errors.ts';
import { type Certificate, certificateFrom, type Decision, readCertificate, signVote } from '../src/consensus/vote.ts';
import { replayBatch } from '../src/ledger/batch.ts';
import { ledger_file_name, SqliteStore } from '../src/ledger/sqlite-store.ts';
import { epochs_before_sql, period_rows_before_sql } from '../src/ledger/account-index.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { type AccountPayment, type CommitInput, type HistoryCursor, MemoryStore, type Store } from '../src/ledger/store.ts';
import { ServerCore } from '../src/node/core.ts';
import type { Network } from '../src/network.ts';
import { type Timing, timingOf } from '../src/schedule.ts';
import type { Signer } from '../src/signature.ts';
import { payeeOf, payerOf, signPayment, txidOf } from '../src/transaction.ts';
import { paymentsIn } from '../src/payment-list.ts';
import { testNetwork } from './helpers/keys.ts';

const directories: string[] = [];
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});
function temporaryDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-history-'));
  directories.push(dir);
  return dir;
}

/** A network of test wallets and the chain of certified periods its servers would commit. */
class Chain {
  readonly timing: Timing;
  readonly genesis: Certificate;
  readonly state: LedgerState;
  committed: Certificate;
  readonly inputs: CommitInput[] = [];

  constructor(
    readonly network: Network,
    private readonly servers: readonly Signer[],
  ) {
    this.timing = timingOf(network);
    this.genesis = ServerCore.genesisFor(network);
    this.state = LedgerState.fromAccounts(network.genesis);
    this.committed = this.genesis;
  }

  genesisEntries = (): Uint8Array[] => [...LedgerState.fromAccounts(this.network.genesis).entries()].map((entry) => entry.slice());

  pay(payer: Signer, payee: Signer, amount: number, period: number, offset = 1): Uint8Array {
    return signPayment(payer, this.network.id, { timestamp: period * this.timing.periodMs + offset, amount, payee: payee.publicKey });
  }

  next(period: number, transactions: Uint8Array[]): CommitInput {
    const batch = concat(...transactions);
    const outcome = replayBatch(this.state, period, this.timing, batch);
    const prepared = this.state.prepare(outcome.changes);
    const decision: Decision = { period, parent: this.committed.period, parentHash: this.committed.hash, hash: prepared.hash };
    const certificate = certificateFrom(decision, [0, 1].map((voter) => signVote(this.servers[voter]!, this.network.id, decision, this.committed.period, voter)));
    this.state.commit(prepared);
    this.committed = certificate;
    const input = { record: { certificate, transactions: batch }, applied: outcome.applied, changes: outcome.changes };
    this.inputs.push(input);
    return input;
  }

  /** The truth, from the batches alone: `account`'s payments, newest first. */
  expected(account: Uint8Array, before: HistoryCursor | null = null, after = 0): string[] {
    const out: string[] = [];
    for (const input of this.inputs) {
      const period = input.record.certificate.period;
      if (period <= after) continue;
      for (let i = 0; i * transaction_bytes < input.record.transactions.length; i++) {
        const tx = input.record.transactions.subarray(i * transaction_bytes, (i + 1) * transaction_bytes);
        if (!equal(payerOf(tx), account) && !equal(payeeOf(tx), account)) continue;
        if (before !== null && (period > before.period || (period === before.period && i >= before.index))) continue;
        out.push(describePayment({ period, index: i, applied: input.applied[i] === 1, transaction: tx }));
      }
    }
    return out.reverse();
  }
}

function describePayment(payment: AccountPayment): string {
  return `${payment.period}:${payment.index}:${payment.applied ? 'applied' : 'skipped'}:${toHex(payment.transaction).slice(0, 24)}`;
}
const listOf = (store: Store, account: Uint8Array, before: HistoryCursor | null, limit: number): string[] => store.history(account, before, limit).map(describePayment);

/** Every page of `limit` from the newest, following the cursor, until an empty page. */
function allPages(store: Store, account: Uint8Array, limit: number): string[][] {
  const pages: string[][] = [];
  let before: HistoryCursor | null = null;
  for (let guard = 0; guard < 1_000; guard++) {
    const page = store.history(account, before, limit);
    if (page.length === 0) return pages;
    pages.push(page.map(describePayment));
    const last = page[page.length - 1]!;
    before = { period: last.period, index: last.index };
  }
  throw new Error('paging does not end');
}

const fixture = testNetwork({
  servers: 3,
  wallets: [
    { label: 'history store alice', balance: 1_000 },
    { label: 'history store bob', balance: 500 },
    { label: 'history store carol', balance: 10 },
  ],
});
const [alice, bob, carol] = fixture.wallets as [Signer, Signer, Signer];
const dave = testNetwork({ wallets: [{ label: 'history store dave', balance: 1 }] }).wallets[0]!;
const P = 1_800_000_000;

/** Periods P+1, P+2 (12 payments: more than a page), P+4 (P+3 void), P+5 empty, P+6 with an overdraft skipped and a payment to oneself. */
function buildChain(): Chain {
  const chain = new Chain(fixture.network, fixture.servers);
  chain.next(P + 1, [chain.pay(alice, bob, 10, P + 1), chain.pay(bob, carol, 5, P + 1, 2)]);
  chain.next(P + 2, Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? chain.pay(bob, alice, 1 + i, P + 2, 10 + i) : chain.pay(alice, bob, 1 + i, P + 2, 10 + i))));
  chain.next(P + 4, [chain.pay(carol, dave, 3, P + 4), chain.pay(alice, carol, 20, P + 4, 5)]);
  chain.next(P + 5, []);
  chain.next(P + 6, [chain.pay(carol, alice, 999, P + 6), chain.pay(alice, alice, 1, P + 6, 2), chain.pay(dave, bob, 1, P + 6, 3)]);
  return chain;
}

interface Harness {
  readonly name: string;
  open(chain: Chain): Store;
  reopen(store: Store, chain: Chain): Store;
}

const sqliteDirs = new WeakMap<Store, string>();
const harnesses: Harness[] = [
  {
    name: 'MemoryStore',
    open(chain) {
      const store = new MemoryStore(chain.genesis);
      store.seedGenesis(chain.genesisEntries());
      return store;
    },
    reopen: (store) => store,
  },
  {
    name: 'SqliteStore',
    open(chain) {
      const dir = temporaryDirectory();
      const store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
      sqliteDirs.set(store, dir);
      return store;
    },
    reopen(store, chain) {
      const dir = sqliteDirs.get(store)!;
      store.close();
      const again = new SqliteStore(dir, chain.network.id, chain.genesis, () => {
        throw new Error('genesis entries are written only when the file is created');
      });
      sqliteDirs.set(again, dir);
      return again;
    },
  },
];

for (const harness of harnesses) {
  describe(`account history: ${harness.name}`, () => {
    test('payer and payee both see a payment; newest first; skipped ones listed as skipped; a payment to oneself once', () => {
      const chain = buildChain();
      let store = harness.open(chain);
      for (const input of chain.inputs) store.commit(input);
      store = harness.reopen(store, chain);
      for (const wallet of [alice, bob, carol, dave]) {
        expect(listOf(store, wallet.publicKey, null, 100)).toEqual(chain.expected(wallet.publicKey));
      }
      const aliceAll = store.history(alice.publicKey, null, 100);
      expect(aliceAll.length).toBe(1 + 12 + 1 + 2); // P+1: 1; P+2: all 12; P+4: 1; P+6: Carol's 999 overdraft and her payment to herself
      expect(aliceAll[0]).toMatchObject({ period: P + 6, index: 1 }); // to herself: listed once
      expect(aliceAll[1]).toMatchObject({ period: P + 6, index: 0, applied: false }); // Carol's overdraft: skipped at re-validation
      expect(store.history(dave.publicKey, null, 100).map((entry) => [entry.period, entry.index])).toEqual([[P + 6, 2], [P + 4, 0]]);
      store.close();
    });

    test('paging by cursor: strictly older than (period, index), across periods and within a period of more than a page', () => {
      const chain = buildChain();
      const store = harness.open(chain);
      for (const input of chain.inputs) store.commit(input);
      const all = chain.expected(alice.publicKey);
      for (const limit of [1, 3, 7]) {
        const pages = allPages(store, alice.publicKey, limit);
        expect(pages.flat()).toEqual(all);
        expect(pages.every((page, i) => page.length === limit || i === pages.length - 1)).toBe(true);
      }
      // Inside period P+2 (12 entries for Alice): from index 5 down.
      expect(listOf(store, alice.publicKey, { period: P + 2, index: 5 }, 100)).toEqual(chain.expected(alice.publicKey, { period: P + 2, index: 5 }));
      expect(store.history(alice.publicKey, { period: P + 2, index: 5 }, 100)[0]).toMatchObject({ period: P + 2, index: 4 });
      // A cursor in a period nobody committed (P+3, void) or beyond the newest.
      expect(listOf(store, alice.publicKey, { period: P + 3, index: 0 }, 100)).toEqual(chain.expected(alice.publicKey, { period: P + 3, index: 0 }));
      expect(listOf(store, alice.publicKey, { period: P + 99, index: 0 }, 100)).toEqual(all);
      // The oldest entry's cursor: nothing older.
      expect(store.history(alice.publicKey, { period: P + 1, index: 0 }, 100)).toEqual([]);
      expect(store.history(alice.publicKey, null, 0)).toEqual([]);
      store.close();
    });

    test('an account that never paid nor was paid: nothing', () => {
      const chain = buildChain();
      const store = harness.open(chain);
      for (const input of chain.inputs) store.commit(input);
      expect(store.history(new Uint8Array(32).fill(7), null, 7)).toEqual([]);
      store.close();
    });

    test('after a snapshot: only the periods after it (archiveFrom), then new commits as usual', () => {
      const chain = buildChain();
      const store = harness.open(chain);
      const [first, second, ...rest] = chain.inputs;
      store.commit(first!);
      store.commit(second!);
      // Restored from a snapshot of P+4: what came before is not this store's to list.
      const snapshotOf = rest[0]!;
      const entries = concat(...[...chainStateAfter(chain, 3).entries()].map((entry) => entry.slice()));
      store.installSnapshot(snapshotOf.record.certificate, entries);
      expect(store.history(alice.publicKey, null, 100)).toEqual([]);
      for (const input of rest.slice(1)) store.commit(input);
      expect(listOf(store, alice.publicKey, null, 100)).toEqual(chain.expected(alice.publicKey, null, P + 4));
      expect(listOf(store, bob.publicKey, null, 100)).toEqual(chain.expected(bob.publicKey, null, P + 4));
      store.close();
    });
  });
}

/** The truth from the batches, oldest first, strictly after `after`. */
function expectedAfter(chain: Chain, account: Uint8Array, after: HistoryCursor): string[] {
  return chain.expected(account).reverse().filter((line) => {
    const [period, index] = line.split(':').map(Number) as [number, number];
    return period > after.period || (period === after.period && index > after.index);
  });
}

describe('account history across epochs (the period-first index and its sealed epochs)', () => {
  // About 200 periods from an epoch boundary on: three epochs close and are sealed a slice per
  // commit; some periods void, some empty; the SQLite store closed and opened again while an
  // epoch is half sealed, and a commit that fails during a sealing slice.
  const E = index_epoch_periods;
  const start = P + 3 * E - 5;
  function longChain(): Chain {
    const chain = new Chain(fixture.network, fixture.servers);
    const wallets = [alice, bob, carol, dave];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 8;
    for (let period = start; period < start + 200; period++) {
      if (next() % 7 === 0) continue; // void: nothing committed
      const count = next() % 5;
      const payments: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const payer = wallets[next() % 3]!; // dave has 1 scryp at most: he is mostly paid
        const payee = wallets[next() % 4]!;
        payments.push(chain.pay(payer, payee, 1 + (next() % 3), period, 1 + i));
      }
      chain.next(period, payments);
    }
    return chain;
  }
  const chain = longChain();
  const wallets = [alice, bob, carol, dave];

  for (const harness of harnesses) {
    test(`${harness.name}: every page, both ways, equals the batches' truth after every commit, through sealing and reopening`, () => {
      let store = harness.open(chain);
      chain.inputs.forEach((input, i) => {
        store.commit(input);
        if (i % 25 === 24) store = harness.reopen(store, chain); // now and then in the middle of a sealing
        if (i % 9 !== 0 && i !== chain.inputs.length - 1) return;
        const committedSoFar = chain.inputs.slice(0, i + 1);
        const truth = new Chain(fixture.network, fixture.servers);
        truth.inputs.push(...committedSoFar);
        for (const wallet of wallets) expect(listOf(store, wallet.publicKey, null, 1_000)).toEqual(truth.expected(wallet.publicKey));
      });
      for (const wallet of wallets) {
        const all = chain.expected(wallet.publicKey);
        expect(all.length).toBeGreaterThan(20);
        for (const limit of [1, 7]) expect(allPages(store, wallet.publicKey, limit).flat()).toEqual(all);
        // Cursors at, between and beyond entries, in both directions.
        for (const line of all.filter((_, i) => i % 5 === 0)) {
          const [period, index] = line.split(':').map(Number) as [number, number];
          for (const cursor of [
            { period, index },
            { period, index: index + 1 },
            { period: period - 1, index: 0 },
            { period: period + 1, index: 0 },
          ]) {
            expect(listOf(store, wallet.publicKey, cursor, 10)).toEqual(chain.expected(wallet.publicKey, cursor).slice(0, 10));
            expect(store.historyAfter(wallet.publicKey, cursor, 10).map(describePayment)).toEqual(expectedAfter(chain, wallet.publicKey, cursor).slice(0, 10));
          }
        }
        expect(store.historyAfter(wallet.publicKey, { period: 0, index: 0 }, 1_000).map(describePayment)).toEqual([...all].reverse());
      }
      // STATUS's index, across its epochs: every payment's outcome, once written and after a reopen.
      if (store instanceof SqliteStore) store.flushIndex();
      store = harness.reopen(store, chain);
      for (const input of chain.inputs) {
        paymentsIn(input.record.transactions).forEach((tx, i) => expect(store.paymentOutcome(txidOf(tx))).toEqual({ period: input.record.certificate.period, applied: input.applied[i] === 1 }));
      }
      expect(store.paymentOutcome(new Uint8Array(32).fill(9))).toBeNull();
      store.close();
    });
  }

  test('SqliteStore: epochs are sealed in account_epochs as the committed period passes them, a slice per commit, and the bitmaps name the periods', () => {
    const dir = temporaryDirectory();
    const store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
    for (const input of chain.inputs) store.commit(input);
    store.close();
    const db = new Database(join(dir, ledger_file_name), { readonly: true });
    const rows = db.query('SELECT account_id, epoch, periods FROM account_epochs ORDER BY epoch, account_id').all() as { account_id: number; epoch: number; periods: Uint8Array }[];
    const sealed = new Reader((db.query("SELECT value FROM meta WHERE key = 'index_sealed'").get() as { value: Uint8Array }).value, 'index_sealed').u64('index_sealed');
    const fromRows = db.query('SELECT DISTINCT period, account_id FROM account_index WHERE period < ?').all(sealed * E) as { period: number; account_id: number }[];
    db.close();
    const last = chain.inputs[chain.inputs.length - 1]!.record.certificate.period;
    // Every epoch but the newest two is sealed by now (the one before the newest may still be in its slices).
    expect(sealed).toBeGreaterThanOrEqual(Math.floor(last / E) - 1);
    expect(new Set(rows.map((row) => row.epoch)).size).toBeGreaterThanOrEqual(2);
    // The epoch being sealed (index_sealed itself) may hold a first slice of its accounts already: only whole epochs are compared.
    const periodsOfRows = new Set(rows.filter((row) => row.epoch < sealed).flatMap((row) => [...Array(E).keys()].filter((bit) => (row.periods[bit >> 3]! & (1 << (bit & 7))) !== 0).map((bit) => `${row.account_id}:${row.epoch * E + bit}`)));
    expect(periodsOfRows).toEqual(new Set(fromRows.filter((row) => Math.floor(row.period / E) < sealed).map((row) => `${row.account_id}:${row.period}`)));
  });
});

/** The ledger after the first `count` periods of the chain, rebuilt from genesis. */
function chainStateAfter(chain: Chain, count: number): LedgerState {
  const state = LedgerState.fromAccounts(chain.network.genesis);
  for (const input of chain.inputs.slice(0, count)) state.commit(state.prepare(input.changes));
  expect(toHex(state.hash)).toBe(toHex(chain.inputs[count - 1]!.record.certificate.hash));
  return state;
}

describe('account history on SQLite, a commit that fails in its sealing slice', () => {
  test('leaves the index as it was: the same period commits afterwards, and every page is still the truth', () => {
    const E = index_epoch_periods;
    const chain = new Chain(fixture.network, fixture.servers);
    const start = P + 5 * E - 3;
    for (let period = start; period < start + E + 10; period++) chain.next(period, [chain.pay(alice, bob, 1, period), chain.pay(bob, carol, 1, period, 2)]);
    const dir = temporaryDirectory();
    const store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
    const [first, second, ...rest] = chain.inputs;
    for (const input of [first!, second!, rest[0]!]) store.commit(input); // the epoch of `start` is closed now: its sealing began
    const db = new Database(join(dir, ledger_file_name));
    db.exec("CREATE TRIGGER refuse_epochs BEFORE INSERT ON account_epochs BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    expect(() => store.commit(rest[1]!)).toThrow('refused by the test');
    db.exec('DROP TRIGGER refuse_epochs');
    db.close();
    for (const input of rest.slice(1)) store.commit(input);
    for (const wallet of [alice, bob, carol]) expect(listOf(store, wallet.publicKey, null, 1_000)).toEqual(chain.expected(wallet.publicKey));
    store.close();
    const check = new Database(join(dir, ledger_file_name), { readonly: true });
    const epochs = check.query('SELECT DISTINCT epoch FROM account_epochs').all() as { epoch: number }[];
    check.close();
    expect(epochs.map((row) => row.epoch)).toContain(Math.floor(start / E));
  });
});

describe('account history on SQLite', () => {
  test('a page reads one range of an account\'s sealed epochs and one range per period that holds it: no scan, no sort (EXPLAIN QUERY PLAN)', () => {
    const chain = buildChain();
    const dir = temporaryDirectory();
    const store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
    for (const input of chain.inputs) store.commit(input);
    store.close();
    const db = new Database(join(dir, ledger_file_name), { readonly: true });
    const plan = (sql: string, ...values: (number | Uint8Array)[]) => (db.query(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[]).map((row) => row.detail);
    const rows = plan(period_rows_before_sql, P + 2, 1, 5, 7);
    const epochs = plan(epochs_before_sql, 1, 28_000_000);
    db.close();
    // One period's rows of the account (read backwards), one lookup of each payment; the account's sealed epochs, newest first.
    expect(rows).toEqual(['SEARCH a USING PRIMARY KEY (period=? AND account_id=? AND idx<?)', 'SEARCH b USING PRIMARY KEY (period=? AND idx=?)']);
    expect(epochs).toEqual(['SEARCH account_epochs USING PRIMARY KEY (account_id=? AND epoch<?)']);
    expect([...rows, ...epochs].join()).not.toMatch(/SCAN|TEMP B-TREE|periods/);
  });

  test('the index rows are written in the commit\'s own transaction: when they cannot be written, nothing of the commit is', () => {
    const chain = buildChain();
    const dir = temporaryDirectory();
    let store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
    store.commit(chain.inputs[0]!);
    // A row already where P+2's first payment goes: its index write fails half way through the commit.
    const db = new Database(join(dir, ledger_file_name));
    db.query('INSERT INTO batch_payments (period, idx, payment) VALUES (?, ?, ?)').run(P + 2, 5, new Uint8Array(transaction_bytes));
    db.close();
    expect(() => store.commit(chain.inputs[1]!)).toThrow();
    const check = (current: SqliteStore) => {
      const loaded = current.load();
      expect(loaded.committed.period).toBe(P + 1);
      expect(toHex(LedgerState.fromSortedEntries(loaded.entries!).hash)).toBe(toHex(chain.inputs[0]!.record.certificate.hash));
      expect(current.records(P + 1, 10, 1 << 20)).toEqual([]);
      expect(listOf(current, alice.publicKey, null, 100)).toEqual(chain.expected(alice.publicKey, { period: P + 2, index: 0 }));
    };
    check(store);
    store.close();
    store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
    check(store);
    store.close();
  });
});

// ---- a ledger file of schema 1 ------------------------------------------------------------

// test/vectors/ledger-schema1.db was written by the schema-1 SqliteStore (commit 3ef5cc5's
// parent): periods P1+1, P1+3 (a 999 overdraft by Carol skipped), P1+4 (empty), P1+5 (9
// payments), P1+2 void; the wallets below, in a network of the three test servers.
const v1 = testNetwork({
  servers: 3,
  wallets: [
    { label: 'history v1 alice', balance: 1_000 },
    { label: 'history v1 bob', balance: 500 },
  ],
});
const v1Carol = testNetwork({ wallets: [{ label: 'history v1 carol', balance: 1 }] }).wallets[0]!;
const P1 = 1_800_000_000;
const fixturePath = join(import.meta.dir, 'vectors', 'ledger-schema1.db');

function schemaOf(path: string): number {
  // Even a read-only open of a WAL file leaves -shm and -wal beside it: never open the fixture itself.
  if (path === fixturePath) {
    const copy = join(mkdtempSync(join(tmpdir(), 'scryp-schema1-')), 'ledger.sqlite');
    copyFileSync(fixturePath, copy);
    path = copy;
  }
  const db = new Database(path, { readonly: true });
  const row = db.query("SELECT value FROM meta WHERE key = 'schema'").get() as { value: Uint8Array };
  db.close();
  return new Reader(row.value, 'schema').u64('schema');
}

/** What the schema-1 file's archived batches say an account's history is (read with SQL alone). */
function historyFromBatches(path: string, account: Uint8Array): string[] {
  const db = new Database(path, { readonly: true });
  const out: string[] = [];
  for (const row of db.query('SELECT period, transactions, applied FROM periods ORDER BY period').all() as { period: number; transactions: Uint8Array; applied: Uint8Array }[]) {
    for (let i = 0; i < row.applied.length; i++) {
      const tx = row.transactions.subarray(i * transaction_bytes, (i + 1) * transaction_bytes);
      if (equal(payerOf(tx), account) || equal(payeeOf(tx), account)) out.push(describePayment({ period: row.period, index: i, applied: row.applied[i] === 1, transaction: tx }));
    }
  }
  db.close();
  return out.reverse();
}

describe('a ledger file of schema 1 (before the account index)', () => {
  test('is upgraded when opened: the index filled from the archived batches, schema 3, the state untouched', () => {
    expect(schemaOf(fixturePath)).toBe(1);
    const dir = temporaryDirectory();
    const path = join(dir, ledger_file_name);
    copyFileSync(fixturePath, path);
    const expected = [...v1.wallets, v1Carol].map((wallet) => historyFromBatches(path, wallet.publicKey));
    expect(expected.map((list) => list.length)).toEqual([13, 12, 3]);
    const before = new SqliteStore(dir, v1.network.id, ServerCore.genesisFor(v1.network), () => {
      throw new Error('an existing file');
    });
    const loaded = before.load();
    expect(loaded.committed.period).toBe(P1 + 5);
    [...v1.wallets, v1Carol].forEach((wallet, i) => expect(listOf(before, wallet.publicKey, null, 100)).toEqual(expected[i]!));
    // Carol's overdraft in P1+3 is listed, as skipped.
    expect(before.history(v1Carol.publicKey, { period: P1 + 4, index: 0 }, 1)[0]).toMatchObject({ period: P1 + 3, index: 1, applied: false });
    before.close();
    expect(schemaOf(path)).toBe(3);
    // Opened again, nothing more to upgrade; the state hash still matches the certificate.
    const again = new SqliteStore(dir, v1.network.id, ServerCore.genesisFor(v1.network), () => {
      throw new Error('an existing file');
    });
    const state = LedgerState.fromSortedEntries(again.load().entries!);
    const db = new Database(path, { readonly: true });
    const committed = readCertificate(new Reader((db.query("SELECT value FROM meta WHERE key = 'committed'").get() as { value: Uint8Array }).value, 'committed'));
    db.close();
    expect(toHex(state.hash)).toBe(toHex(committed.hash));
    expect(listOf(again, v1.wallets[0]!.publicKey, null, 100)).toEqual(expected[0]!);
    // And it goes on committing, with the index written as usual.
    const chain = new Chain(v1.network, v1.servers);
    chain.committed = committed;
    chain.state.commit(chain.state.prepare([...state.entries()].map((entry) => ({ account: entry.slice(0, 32), balance: new DataView(entry.buffer, entry.byteOffset).getUint32(32) }))));
    const [alice1] = v1.wallets as [Signer];
    const input = chain.next(P1 + 6, [chain.pay(alice1, v1Carol, 2, P1 + 6)]);
    again.commit(input);
    expect(again.history(v1Carol.publicKey, null, 1)[0]).toMatchObject({ period: P1 + 6, index: 0, applied: true });
    again.close();
  });

  test('of another network: refused, and the file left byte for byte as it was (no upgrade)', () => {
    const dir = temporaryDirectory();
    const path = join(dir, ledger_file_name);
    copyFileSync(fixturePath, path);
    const bytes = readFileSync(path);
    let caught: unknown = null;
    try {
      new SqliteStore(dir, fixture.network.id, ServerCore.genesisFor(fixture.network), () => []);
    } catch (error) {
      caught = error;
    }
    expect(isScrypError(caught, 'STORE_MISMATCH')).toBe(true);
    expect(Buffer.compare(readFileSync(path), bytes)).toBe(0);
    expect(schemaOf(path)).toBe(1);
  });

  test('an upgrade that fails leaves the file at schema 1 (one transaction)', () => {
    const dir = temporaryDirectory();
    const path = join(dir, ledger_file_name);
    copyFileSync(fixturePath, path);
    // A damaged batch (one byte short): the upgrade refuses it as STORE_CORRUPT, half way.
    const db = new Database(path);
    const row = db.query('SELECT transactions FROM periods WHERE period = ?').get(P1 + 5) as { transactions: Uint8Array };
    db.query('UPDATE periods SET transactions = ? WHERE period = ?').run(row.transactions.subarray(1), P1 + 5);
    db.close();
    let caught: unknown = null;
    try {
      new SqliteStore(dir, v1.network.id, ServerCore.genesisFor(v1.network), () => []);
    } catch (error) {
      caught = error;
    }
    expect(isScrypError(caught, 'STORE_CORRUPT')).toBe(true);
    expect(schemaOf(path)).toBe(1);
    const after = new Database(path, { readonly: true });
    const tables = (after.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((table) => table.name).sort();
    after.close();
    expect(tables).toEqual(['accounts', 'meta', 'payments', 'periods']); // no account_ids, batch_payments, account_payments
  });
});

// ---- a ledger file of schema 2 ------------------------------------------------------------

// test/vectors/ledger-schema2.db was written by the schema-2 SqliteStore (the account index
// keyed by account first; the parent of the commit that brought schema 3): 136 periods from
// P2 = 1,800,000,634 (six periods before an epoch boundary) to 1,800,000,783, every period
// with period % 11 = 3 void, 0 to 3 payments each among the wallets below, Carol's payments
// of 999 skipped as overdrafts; in a network of the three test servers.
const v2 = testNetwork({
  servers: 3,
  wallets: [
    { label: 'history v2 alice', balance: 1_000 },
    { label: 'history v2 bob', balance: 500 },
    { label: 'history v2 carol', balance: 5 },
  ],
});
const schema2Path = join(import.meta.dir, 'vectors', 'ledger-schema2.db');

describe('a ledger file of schema 2 (the account index by account first)', () => {
  test('is upgraded when opened: every page the same as before, its closed epochs sealed, the old table dropped, schema 3', () => {
    const dir = temporaryDirectory();
    const path = join(dir, ledger_file_name);
    copyFileSync(schema2Path, path);
    expect(schemaOf(path)).toBe(2);
    const expected = v2.wallets.map((wallet) => historyFromBatches(path, wallet.publicKey));
    expect(expected.map((list) => list.length)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(Math.min(...expected.map((list) => list.length))).toBeGreaterThan(50);
    const store = new SqliteStore(dir, v2.network.id, ServerCore.genesisFor(v2.network), () => {
      throw new Error('an existing file');
    });
    expect(schemaOf(path)).toBe(3);
    v2.wallets.forEach((wallet, i) => {
      expect(listOf(store, wallet.publicKey, null, 1_000)).toEqual(expected[i]!);
      expect(allPages(store, wallet.publicKey, 7).flat()).toEqual(expected[i]!);
      expect(store.historyAfter(wallet.publicKey, { period: 0, index: 0 }, 1_000).map(describePayment)).toEqual([...expected[i]!].reverse());
    });
    // STATUS's index moved by epoch: every archived payment's outcome as before.
    const archived = new Database(path, { readonly: true });
    const periods = archived.query('SELECT period, transactions, applied FROM periods').all() as { period: number; transactions: Uint8Array; applied: Uint8Array }[];
    archived.close();
    for (const row of periods) paymentsIn(row.transactions).forEach((tx, i) => expect(store.paymentOutcome(txidOf(tx))).toEqual({ period: row.period, applied: row.applied[i] === 1 }));
    store.close();
    const db = new Database(path, { readonly: true });
    const tables = (db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((table) => table.name);
    const epochs = (db.query('SELECT DISTINCT epoch FROM account_epochs ORDER BY epoch').all() as { epoch: number }[]).map((row) => row.epoch);
    db.close();
    expect(tables).not.toContain('account_payments');
    expect(tables).not.toContain('payments');
    expect(tables).toEqual(expect.arrayContaining(['account_index', 'account_epochs', 'account_ids', 'batch_payments']));
    // The file's periods cover epochs 28,125,009 (its last six periods) to 28,125,012; all but the last, still open, are sealed.
    expect(epochs).toEqual([28_125_009, 28_125_010, 28_125_011]);
  });

  test('an upgrade that fails leaves the file at schema 2, its account-first table in place (one transaction)', () => {
    const dir = temporaryDirectory();
    const path = join(dir, ledger_file_name);
    copyFileSync(schema2Path, path);
    // A table in the way of the new index: its creation fails after the upgrade has begun.
    const db = new Database(path);
    db.exec('CREATE TABLE account_epochs (x INTEGER)');
    db.close();
    expect(() => new SqliteStore(dir, v2.network.id, ServerCore.genesisFor(v2.network), () => [])).toThrow();
    expect(schemaOf(path)).toBe(2);
    const after = new Database(path, { readonly: true });
    const tables = (after.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((table) => table.name);
    const rows = (after.query('SELECT count(*) AS n FROM account_payments').get() as { n: number }).n;
    after.close();
    expect(tables).not.toContain('account_index');
    expect(rows).toBe(446);
  });
});
