// LedgerState: the set of (account, balance ≥ 1) pairs and its two-level state hash.
//
// The expected hashes here are computed independently of src/ledger/state.ts: the
// reference below follows the layout documented at the top of that file with plain
// SHA-256 (Bun.CryptoHasher) and its own sorting and grouping, and shares no code with it.
// Accounts are drawn with controlled first bytes so that same-bucket, same-mid and
// cross-mid cases, and the buckets 0x0000 and 0xffff, come up in almost every run.
//
// Properties run with fast-check; a failure prints the seed and path that reproduce it
// (pass them back as { seed, path } in `fcOptions` to replay).

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { toHex } from '../src/bytes.ts';
import {
  type AccountChange,
  bucketOf,
  emptyMidDigest,
  entriesAfter,
  entry_bytes,
  LedgerState,
  midDigestOfEntries,
} from '../src/ledger/state.ts';

const fcOptions = (numRuns: number): { numRuns: number } => ({ numRuns });

// ---- an independent reference ------------------------------------------------------------

const encoder = new TextEncoder();
const leafTag = encoder.encode('scryp/leaf/v1');
const midTag = encoder.encode('scryp/mid/v1');
const stateTag = encoder.encode('scryp/state/v1');

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hasher = new Bun.CryptoHasher('sha256');
  for (const part of parts) hasher.update(part);
  return new Uint8Array(hasher.digest());
}

function entryOf(account: Uint8Array, balance: number): Uint8Array {
  const entry = new Uint8Array(36);
  entry.set(account);
  new DataView(entry.buffer).setUint32(32, balance, false);
  return entry;
}

const referenceEmptyLeaf = sha256(leafTag);
const referenceEmptyMid = sha256(midTag, ...Array.from({ length: 256 }, () => referenceEmptyLeaf));

/** The model of a state: hex account -> balance (zero balances may be present; they do not count). */
type Model = Map<string, number>;

function fromHexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Sorted entries of the model: account (32) || balance u32, balance ≥ 1. */
function referenceEntries(model: Model): Uint8Array[] {
  return [...model]
    .filter(([, balance]) => balance > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) // lowercase hex sorts as the bytes do
    .map(([hex, balance]) => entryOf(fromHexBytes(hex), balance));
}

/** Mid digest of mid m from the model's sorted entries, following the documented layout. */
function referenceMid(entries: Uint8Array[], mid: number): Uint8Array {
  const inMid = entries.filter((entry) => entry[0] === mid);
  if (inMid.length === 0) return referenceEmptyMid;
  const leaves: Uint8Array[] = [];
  for (let second = 0; second < 256; second++) {
    const inBucket = inMid.filter((entry) => entry[1] === second);
    leaves.push(inBucket.length === 0 ? referenceEmptyLeaf : sha256(leafTag, ...inBucket));
  }
  return sha256(midTag, ...leaves);
}

function referenceHash(model: Model): Uint8Array {
  const entries = referenceEntries(model);
  const mids: Uint8Array[] = [];
  for (let mid = 0; mid < 256; mid++) mids.push(referenceMid(entries, mid));
  return sha256(stateTag, ...mids);
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function allEntries(state: LedgerState): Uint8Array {
  return joined([...state.entries()].map((entry) => entry.slice()));
}

function applyToModel(model: Model, changes: readonly AccountChange[]): void {
  for (const change of changes) model.set(toHex(change.account), change.balance);
}

function modelAccounts(model: Model): { account: Uint8Array; balance: number }[] {
  return [...model].map(([hex, balance]) => ({ account: fromHexBytes(hex), balance }));
}

function liveCount(model: Model): number {
  return [...model.values()].filter((balance) => balance > 0).length;
}

// ---- generators -----------------------------------------------------------------------

/** Few first-byte values so that buckets and mids are shared; 0x0000 and 0xffff included. */
const accountArbitrary = fc
  .tuple(
    fc.constantFrom(0x00, 0x01, 0x7f, 0xff),
    fc.constantFrom(0x00, 0x01, 0xff),
    fc.integer({ min: 0, max: 3 }),
    fc.uint8Array({ minLength: 29, maxLength: 29 }),
  )
  .map(([first, second, third, rest]) => {
    const account = new Uint8Array(32);
    account[0] = first;
    account[1] = second;
    account[2] = third;
    account.set(rest, 3);
    return account;
  });

const balanceArbitrary = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.constantFrom(1, 0xffff_ffff), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 0xffff_ffff }), weight: 4 },
);

const poolArbitrary = fc.uniqueArray(accountArbitrary, { selector: toHex, minLength: 1, maxLength: 20 });

/** A pool of accounts, a starting balance per account, and batches of changes over the pool. */
const scenarioArbitrary = poolArbitrary.chain((pool) =>
  fc.record({
    pool: fc.constant(pool),
    initial: fc.array(balanceArbitrary, { minLength: pool.length, maxLength: pool.length }),
    batches: fc.array(fc.array(fc.tuple(fc.nat({ max: pool.length - 1 }), balanceArbitrary), { maxLength: 12 }), { maxLength: 5 }),
  }),
);

type Scenario = { pool: Uint8Array[]; initial: number[]; batches: [number, number][][] };

function initialModel(scenario: Scenario): Model {
  const model: Model = new Map();
  scenario.pool.forEach((account, i) => model.set(toHex(account), scenario.initial[i]!));
  return model;
}

function changesOf(scenario: Scenario, batch: [number, number][]): AccountChange[] {
  return batch.map(([index, balance]) => ({ account: scenario.pool[index]!.slice(), balance }));
}

/** Accounts placed exactly where a test needs them: first two bytes = bucket, then `tail`. */
function accountIn(bucket: number, tail: number): Uint8Array {
  const account = new Uint8Array(32);
  account[0] = bucket >> 8;
  account[1] = bucket & 0xff;
  account[31] = tail;
  account[2] = tail; // so that in-bucket order is decided early, as well as late
  return account;
}

// ---- tests ----------------------------------------------------------------------------

describe('LedgerState: the state hash, recomputed by hand', () => {
  test('the empty state hashes to sha256(state tag || 256 × sha256(mid tag || 256 × sha256(leaf tag)))', () => {
    const state = LedgerState.fromAccounts([]);
    expect(toHex(state.hash)).toBe(toHex(referenceHash(new Map())));
    expect(state.accountCount).toBe(0);
    expect(toHex(emptyMidDigest)).toBe(toHex(referenceEmptyMid));
  });

  test('a tiny state: two accounts in one bucket of mid 0x12, one in mid 0xab, and buckets 0x0000 and 0xffff', () => {
    // Built byte by byte, without any helper from src/.
    const a = new Uint8Array(32).fill(0x05);
    a[0] = 0x12;
    a[1] = 0x34; // bucket 0x1234
    const b = new Uint8Array(32).fill(0x01);
    b[0] = 0x12;
    b[1] = 0x34; // the same bucket, sorts before a
    const c = new Uint8Array(32).fill(0x09);
    c[0] = 0xab;
    c[1] = 0x00; // another mid
    const low = new Uint8Array(32); // bucket 0x0000, the all-zero account
    const high = new Uint8Array(32).fill(0xff); // bucket 0xffff, the all-ones account
    const accounts = [
      { account: a, balance: 7 },
      { account: b, balance: 0xffff_ffff },
      { account: c, balance: 1 },
      { account: low, balance: 42 },
      { account: high, balance: 1000 },
    ];

    const be32 = (value: number): Uint8Array => Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
    const emptyLeaf = sha256(leafTag);
    const leafAt = new Map<number, Uint8Array>([
      [0x0000, sha256(leafTag, low, be32(42))],
      [0x1234, sha256(leafTag, b, be32(0xffff_ffff), a, be32(7))], // b before a: sorted by account
      [0xab00, sha256(leafTag, c, be32(1))],
      [0xffff, sha256(leafTag, high, be32(1000))],
    ]);
    const mids: Uint8Array[] = [];
    for (let m = 0; m < 256; m++) {
      const leaves: Uint8Array[] = [];
      for (let i = 0; i < 256; i++) leaves.push(leafAt.get(m * 256 + i) ?? emptyLeaf);
      mids.push(sha256(midTag, ...leaves));
    }
    const expected = sha256(stateTag, ...mids);

    const state = LedgerState.fromAccounts(accounts);
    expect(toHex(state.hash)).toBe(toHex(expected));
    expect(state.accountCount).toBe(5);
    expect(toHex(state.midDigests())).toBe(toHex(joined(mids)));

    // The same state reached by commits from empty, in two steps.
    const built = LedgerState.fromAccounts([]);
    built.commit(built.prepare(accounts.slice(0, 2)));
    built.commit(built.prepare(accounts.slice(2)));
    expect(toHex(built.hash)).toBe(toHex(expected));
    for (const { account, balance } of accounts) expect(built.balanceOf(account)).toBe(balance);
  });

  test('bucketOf reads the first two bytes, big-endian', () => {
    expect(bucketOf(accountIn(0x0000, 1))).toBe(0);
    expect(bucketOf(accountIn(0xffff, 1))).toBe(0xffff);
    expect(bucketOf(accountIn(0x1234, 1))).toBe(0x1234);
  });

  test('property: any set of accounts hashes as the reference says', () => {
    fc.assert(
      fc.property(poolArbitrary, fc.array(balanceArbitrary, { minLength: 20, maxLength: 20 }), (pool, balances) => {
        const model: Model = new Map(pool.map((account, i) => [toHex(account), balances[i]!]));
        const state = LedgerState.fromAccounts(modelAccounts(model));
        expect(toHex(state.hash)).toBe(toHex(referenceHash(model)));
        expect(state.accountCount).toBe(liveCount(model));
        expect(toHex(allEntries(state))).toBe(toHex(joined(referenceEntries(model))));
      }),
      fcOptions(20),
    );
  });
});

describe('LedgerState: commits', () => {
  test('property: prepare + commit of random batches gives the hash of the final set built from scratch', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const model = initialModel(scenario);
        const state = LedgerState.fromAccounts(modelAccounts(model));
        for (const batch of scenario.batches) {
          const changes = changesOf(scenario, batch);
          state.commit(state.prepare(changes));
          applyToModel(model, changes); // within a batch, the latest change of an account wins
          expect(state.accountCount).toBe(liveCount(model));
          for (const account of scenario.pool) expect(state.balanceOf(account)).toBe(model.get(toHex(account))!);
        }
        const scratch = LedgerState.fromAccounts(modelAccounts(model));
        expect(toHex(state.hash)).toBe(toHex(scratch.hash));
        expect(toHex(state.hash)).toBe(toHex(referenceHash(model)));
        expect(toHex(state.midDigests())).toBe(toHex(scratch.midDigests()));
        expect(toHex(allEntries(state))).toBe(toHex(joined(referenceEntries(model))));
        expect(state.supply()).toBe(referenceEntries(model).reduce((sum, entry) => sum + new DataView(entry.buffer).getUint32(32), 0));
      }),
      fcOptions(20),
    );
  });

  test('property: the order of accounts in the input never changes the hash (fromAccounts and prepare)', () => {
    fc.assert(
      fc.property(
        poolArbitrary.chain((pool) =>
          fc.tuple(
            fc.constant(pool),
            fc.array(fc.integer({ min: 1, max: 0xffff_ffff }), { minLength: pool.length, maxLength: pool.length }),
            fc.shuffledSubarray(pool.map((_, i) => i), { minLength: pool.length, maxLength: pool.length }),
          ),
        ),
        ([pool, balances, order]) => {
          const accounts = pool.map((account, i) => ({ account, balance: balances[i]! }));
          const permuted = order.map((i) => accounts[i]!);
          const straight = LedgerState.fromAccounts(accounts);
          expect(toHex(LedgerState.fromAccounts(permuted).hash)).toBe(toHex(straight.hash));
          const viaCommit = LedgerState.fromAccounts([]);
          viaCommit.commit(viaCommit.prepare(permuted));
          expect(toHex(viaCommit.hash)).toBe(toHex(straight.hash));
          expect(toHex(allEntries(viaCommit))).toBe(toHex(allEntries(straight)));
        },
      ),
      fcOptions(15),
    );
  });

  test('property: an account set to 0 disappears, and the hash is that of the set without it', () => {
    fc.assert(
      fc.property(
        poolArbitrary.chain((pool) =>
          fc.tuple(
            fc.constant(pool),
            fc.array(fc.integer({ min: 1, max: 0xffff_ffff }), { minLength: pool.length, maxLength: pool.length }),
            fc.nat({ max: pool.length - 1 }),
          ),
        ),
        ([pool, balances, victim]) => {
          const accounts = pool.map((account, i) => ({ account, balance: balances[i]! }));
          const state = LedgerState.fromAccounts(accounts);
          const target = pool[victim]!;
          state.commit(state.prepare([{ account: target, balance: 0 }]));
          expect(state.balanceOf(target)).toBe(0);
          expect(state.accountCount).toBe(pool.length - 1);
          expect([...state.entries()].some((entry) => toHex(entry.subarray(0, 32)) === toHex(target))).toBe(false);
          const without = accounts.filter((_, i) => i !== victim);
          expect(toHex(state.hash)).toBe(toHex(LedgerState.fromAccounts(without).hash));
          // A zero balance in the input of fromAccounts is no account at all.
          expect(toHex(LedgerState.fromAccounts([...without, { account: target, balance: 0 }]).hash)).toBe(toHex(state.hash));
          // Setting an absent account to 0 changes nothing.
          const before = toHex(state.hash);
          state.commit(state.prepare([{ account: target, balance: 0 }]));
          expect(toHex(state.hash)).toBe(before);
          expect(state.accountCount).toBe(pool.length - 1);
        },
      ),
      fcOptions(15),
    );
  });

  test('removing the last account of a bucket, and of a mid, gives back the empty state', () => {
    const empty = LedgerState.fromAccounts([]);
    const state = LedgerState.fromAccounts([
      { account: accountIn(0x0000, 1), balance: 5 },
      { account: accountIn(0xffff, 2), balance: 6 },
    ]);
    state.commit(state.prepare([{ account: accountIn(0x0000, 1), balance: 0 }]));
    state.commit(state.prepare([{ account: accountIn(0xffff, 2), balance: 0 }]));
    expect(state.accountCount).toBe(0);
    expect(toHex(state.hash)).toBe(toHex(empty.hash));
    expect(toHex(state.midDigests())).toBe(toHex(empty.midDigests()));
  });

  test('an empty batch keeps the hash; a batch that sets a balance to its current value too', () => {
    const state = LedgerState.fromAccounts([{ account: accountIn(0x0101, 1), balance: 9 }]);
    const before = toHex(state.hash);
    state.commit(state.prepare([]));
    expect(toHex(state.hash)).toBe(before);
    state.commit(state.prepare([{ account: accountIn(0x0101, 1), balance: 9 }]));
    expect(toHex(state.hash)).toBe(before);
  });

  test('property: prepare changes nothing until commit', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const model = initialModel(scenario);
        const state = LedgerState.fromAccounts(modelAccounts(model));
        const hash = toHex(state.hash);
        const mids = toHex(state.midDigests());
        const entries = toHex(allEntries(state));
        const count = state.accountCount;
        const prepared = scenario.batches.map((batch) => state.prepare(changesOf(scenario, batch)));
        expect(toHex(state.hash)).toBe(hash);
        expect(toHex(state.midDigests())).toBe(mids);
        expect(toHex(allEntries(state))).toBe(entries);
        expect(state.accountCount).toBe(count);
        for (const account of scenario.pool) expect(state.balanceOf(account)).toBe(model.get(toHex(account))!);
        const first = prepared[0];
        if (first === undefined) return;
        // The prepared hash is what the commit installs.
        const preparedHash = toHex(first.hash);
        state.commit(first);
        expect(toHex(state.hash)).toBe(preparedHash);
        // Every other state prepared before that commit is stale now.
        for (const stale of prepared.slice(1)) expect(() => state.commit(stale)).toThrow(/assertion failed/);
        // And so is the one just committed.
        expect(() => state.commit(first)).toThrow(/assertion failed/);
        expect(toHex(state.hash)).toBe(preparedHash);
      }),
      fcOptions(15),
    );
  });

  test('committing a stale prepared state throws, even when it would give the same hash', () => {
    const account = accountIn(0x4242, 1);
    const state = LedgerState.fromAccounts([{ account, balance: 10 }]);
    const one = state.prepare([{ account, balance: 11 }]);
    const same = state.prepare([{ account, balance: 11 }]);
    state.commit(one);
    expect(() => state.commit(same)).toThrow(/assertion failed/);
    expect(state.balanceOf(account)).toBe(11);
    // A state prepared from another LedgerState cannot be installed either.
    const other = LedgerState.fromAccounts([{ account, balance: 11 }]);
    expect(() => other.commit(state.prepare([{ account, balance: 12 }]))).toThrow(/assertion failed/);
    expect(other.balanceOf(account)).toBe(11);
  });
});

describe('LedgerState: frozen views and snapshot pages', () => {
  test('property: a frozen view stays unchanged after later commits (copy-on-write)', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const model = initialModel(scenario);
        const state = LedgerState.fromAccounts(modelAccounts(model));
        const frozen = state.freeze();
        const hash = toHex(frozen.hash);
        const mids = toHex(frozen.mids);
        const count = frozen.accountCount;
        const entries = toHex(joined(referenceEntries(model)));
        for (const batch of scenario.batches) state.commit(state.prepare(changesOf(scenario, batch)));
        expect(toHex(frozen.hash)).toBe(hash);
        expect(toHex(frozen.mids)).toBe(mids);
        expect(frozen.accountCount).toBe(count);
        const page = entriesAfter(frozen, null, 1_000);
        expect(page.last).toBe(true);
        expect(toHex(page.entries)).toBe(entries);
        // The frozen entries still hash to the frozen hash.
        expect(toHex(LedgerState.fromSortedEntries(page.entries).hash)).toBe(hash);
      }),
      fcOptions(12),
    );
  });

  test('property: entriesAfter pages through every entry once, in order, for any page size; last only on the final page', () => {
    fc.assert(
      fc.property(poolArbitrary, fc.integer({ min: 1, max: 25 }), (pool, pageSize) => {
        const accounts = pool.map((account, i) => ({ account, balance: i + 1 }));
        const state = LedgerState.fromAccounts(accounts);
        const frozen = state.freeze();
        const expected = joined(referenceEntries(new Map(accounts.map(({ account, balance }) => [toHex(account), balance]))));
        const pages: Uint8Array[] = [];
        let after: Uint8Array | null = null;
        for (let guard = 0; guard <= pool.length + 1; guard++) {
          const page = entriesAfter(frozen, after, pageSize);
          expect(page.entries.length % entry_bytes).toBe(0);
          expect(page.entries.length / entry_bytes).toBeLessThanOrEqual(pageSize);
          pages.push(page.entries);
          const seen = pages.reduce((total, part) => total + part.length, 0);
          // last is true exactly when nothing is left.
          expect(page.last).toBe(seen === expected.length);
          if (page.last) break;
          // A page that is not the last is full.
          expect(page.entries.length / entry_bytes).toBe(pageSize);
          after = page.entries.slice(page.entries.length - entry_bytes, page.entries.length - 4);
        }
        expect(toHex(joined(pages))).toBe(toHex(expected));
        expect(pages.length).toBe(Math.max(1, Math.ceil(pool.length / pageSize)));
      }),
      fcOptions(25),
    );
  });

  test('property: entriesAfter an account that is not in the state starts at the next one', () => {
    fc.assert(
      fc.property(poolArbitrary, accountArbitrary, (pool, probe) => {
        const accounts = pool.map((account, i) => ({ account, balance: i + 1 }));
        const frozen = LedgerState.fromAccounts(accounts).freeze();
        const expected = referenceEntries(new Map(accounts.map(({ account, balance }) => [toHex(account), balance]))).filter(
          (entry) => toHex(entry.subarray(0, 32)) > toHex(probe),
        );
        const page = entriesAfter(frozen, probe, 1_000);
        expect(toHex(page.entries)).toBe(toHex(joined(expected)));
        expect(page.last).toBe(true);
      }),
      fcOptions(25),
    );
  });

  test('entriesAfter on an empty state, and past the very last account, is one empty last page', () => {
    const empty = LedgerState.fromAccounts([]).freeze();
    expect(entriesAfter(empty, null, 1)).toEqual({ entries: new Uint8Array(0), last: true });
    const high = accountIn(0xffff, 0xff);
    const frozen = LedgerState.fromAccounts([{ account: high, balance: 1 }]).freeze();
    const first = entriesAfter(frozen, null, 1);
    expect(first.last).toBe(true);
    expect(first.entries.length).toBe(entry_bytes);
    expect(entriesAfter(frozen, high, 1)).toEqual({ entries: new Uint8Array(0), last: true });
  });

  test('property: midDigestOfEntries of the entries of mid m is the m-th digest of midDigests()', () => {
    fc.assert(
      fc.property(poolArbitrary, (pool) => {
        const accounts = pool.map((account, i) => ({ account, balance: 1000 + i }));
        const state = LedgerState.fromAccounts(accounts);
        const mids = state.midDigests();
        expect(mids.length).toBe(256 * 32);
        const entries = [...state.entries()];
        for (let m = 0; m < 256; m++) {
          const ofMid = joined(entries.filter((entry) => entry[0] === m));
          expect(toHex(midDigestOfEntries(ofMid))).toBe(toHex(mids.subarray(m * 32, (m + 1) * 32)));
        }
        // And the reference agrees on the mids that hold accounts.
        const sorted = referenceEntries(new Map(accounts.map(({ account, balance }) => [toHex(account), balance])));
        for (const m of new Set(pool.map((account) => account[0]!))) {
          expect(toHex(mids.subarray(m * 32, (m + 1) * 32))).toBe(toHex(referenceMid(sorted, m)));
        }
      }),
      fcOptions(10),
    );
  });

  test('midDigests() is a copy: writing into it does not touch the state', () => {
    const state = LedgerState.fromAccounts([{ account: accountIn(0x0102, 3), balance: 3 }]);
    const hash = toHex(state.hash);
    const mids = state.midDigests();
    mids.fill(0);
    expect(toHex(state.midDigests())).not.toBe(toHex(mids));
    state.commit(state.prepare([{ account: accountIn(0x0103, 4), balance: 4 }]));
    state.commit(state.prepare([{ account: accountIn(0x0103, 4), balance: 0 }]));
    expect(toHex(state.hash)).toBe(hash);
  });
});
