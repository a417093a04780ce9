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
import { transaction_bytes } from '../src/constants.ts';
import { isScrypError } from '../src/errors.ts';
import { type Certificate, certificateFrom, type Decision, readCertificate, signVote } from '../src/consensus/vote.ts';
import { replayBatch } from '../src/ledger/batch.ts';
import { history_page_sql, ledger_file_name, SqliteStore } from '../src/ledger/sqlite-store.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { type AccountPayment, type CommitInput, type HistoryCursor, MemoryStore, type Store } from '../src/ledger/store.ts';
import { ServerCore } from '../src/node/core.ts';
import type { Network } from '../src/network.ts';
import { type Timing, timingOf } from '../src/schedule.ts';
import type { Signer } from '../src/signature.ts';
import { payeeOf, payerOf, signPayment } from '../src/transaction.ts';
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

/** The ledger after the first `count` periods of the chain, rebuilt from genesis. */
function chainStateAfter(chain: Chain, count: number): LedgerState {
  const state = LedgerState.fromAccounts(chain.network.genesis);
  for (const input of chain.inputs.slice(0, count)) state.commit(state.prepare(input.changes));
  expect(toHex(state.hash)).toBe(toHex(chain.inputs[count - 1]!.record.certificate.hash));
  return state;
}

describe('account history on SQLite', () => {
  test('a page is one range of the account index, newest first, with no scan and no sort (EXPLAIN QUERY PLAN)', () => {
    const chain = buildChain();
    const dir = temporaryDirectory();
    const store = new SqliteStore(dir, chain.network.id, chain.genesis, chain.genesisEntries);
    for (const input of chain.inputs) store.commit(input);
    store.close();
    const db = new Database(join(dir, ledger_file_name), { readonly: true });
    const plan = (db.query(`EXPLAIN QUERY PLAN ${history_page_sql}`).all(alice.publicKey, 0, P + 3, 0, 7) as { detail: string }[]).map((row) => row.detail);
    db.close();
    // The account's number (one index lookup), one range of the account index read backwards, one lookup per entry.
    expect(plan).toEqual([
      'SEARCH a USING PRIMARY KEY (account_id=? AND period>? AND (period,idx)<(?,?))',
      'SCALAR SUBQUERY 1',
      'SEARCH account_ids USING COVERING INDEX sqlite_autoindex_account_ids_1 (account=?)',
      'SEARCH b USING PRIMARY KEY (period=? AND idx=?)',
    ]);
    expect(plan.join()).not.toMatch(/SCAN|TEMP B-TREE|periods/);
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
  test('is upgraded when opened: the index filled from the archived batches, schema 2, the state untouched', () => {
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
    expect(schemaOf(path)).toBe(2);
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
