// The ledger state in memory, and its state hash.
//
// The state is the set of (account, balance) pairs with balance ≥ 1; an account whose
// balance reaches 0 leaves the set (it is indistinguishable from one never paid).
//
// State hash, a fixed-shape two-level SHA-256 tree:
//   bucket b (0..65535) = the entries whose account starts with the two bytes b,
//                         sorted by account, each account (32) || balance u32
//   leaf(b)  = sha256("scryp/leaf/v1"  || bucket b's entries)
//   mid(m)   = sha256("scryp/mid/v1"   || leaf(256m) || ... || leaf(256m + 255))
//   state    = sha256("scryp/state/v1" || mid(0) || ... || mid(255))
//
// Why this shape: it is collision-resistant as SHA-256 is (sums of hashes are not, at
// this size: Wagner's generalized birthday attack), a period that touches t accounts
// rehashes at most t buckets, the 256 mids and the root, whatever the ledger size, and a
// snapshot can be checked mid by mid as it streams in.
//
// Buckets are copy-on-write: a commit replaces the arrays of the buckets it touches and
// never writes into an old one, so a frozen view (for serving a snapshot) stays valid.

import { hash_bytes, key_bytes, state_leaf_count, state_mid_count } from '../constants.ts';
import { toHex, view } from '../bytes.ts';
import { assert } from '../errors.ts';
import { domain } from '../hash.ts';

export const entry_bytes = key_bytes + 4;
const empty = new Uint8Array(0);

export interface AccountChange {
  readonly account: Uint8Array;
  /** The new balance; 0 removes the account. */
  readonly balance: number;
}

/** New buckets and digests computed for a set of changes, not yet installed. */
export interface PreparedState {
  readonly base: LedgerState;
  readonly baseVersion: number;
  readonly buckets: Map<number, Uint8Array>;
  readonly leaves: Map<number, Uint8Array>;
  readonly mids: Uint8Array;
  readonly hash: Uint8Array;
  readonly accountCount: number;
  readonly changes: readonly AccountChange[];
}

/** An immutable view of a committed state, for serving snapshots. */
export interface FrozenState {
  readonly buckets: readonly Uint8Array[];
  readonly mids: Uint8Array;
  readonly hash: Uint8Array;
  readonly accountCount: number;
}

const hasher = new Bun.CryptoHasher('sha256');

function digest(tag: Uint8Array, data: Uint8Array): Uint8Array {
  hasher.update(tag);
  hasher.update(data);
  const out = hasher.digest();
  return new Uint8Array(out.buffer, out.byteOffset, hash_bytes);
}

export const bucketOf = (account: Uint8Array): number => (account[0]! << 8) | account[1]!;

export const leafDigest = (bucket: Uint8Array): Uint8Array => digest(domain.leaf, bucket);
export const emptyLeafDigest = leafDigest(empty);

export function midDigest(leaves: Uint8Array, mid: number): Uint8Array {
  const span = 256 * hash_bytes;
  return digest(domain.mid, leaves.subarray(mid * span, (mid + 1) * span));
}

export function rootDigest(mids: Uint8Array): Uint8Array {
  return digest(domain.state, mids);
}

/** The digest of a mid whose 256 buckets are all empty. */
export const emptyMidDigest = (() => {
  const leaves = new Uint8Array(256 * hash_bytes);
  for (let i = 0; i < 256; i++) leaves.set(emptyLeafDigest, i * hash_bytes);
  return midDigest(leaves, 0);
})();

/** Compares account bytes 2..31 of an entry at `offset` in `bucket` with `account` (bytes 0..1 are the bucket). */
function compareInBucket(bucket: Uint8Array, offset: number, account: Uint8Array): number {
  for (let i = 2; i < key_bytes; i++) {
    const d = bucket[offset + i]! - account[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Index of the entry for `account`, or -(insertion point) - 1. */
function findEntry(bucket: Uint8Array, account: Uint8Array): number {
  let low = 0;
  let high = bucket.length / entry_bytes - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const c = compareInBucket(bucket, middle * entry_bytes, account);
    if (c < 0) low = middle + 1;
    else if (c > 0) high = middle - 1;
    else return middle;
  }
  return -low - 1;
}

export class LedgerState {
  private constructor(
    private buckets: Uint8Array[],
    private leaves: Uint8Array,
    private mids: Uint8Array,
    private root: Uint8Array,
    private count: number,
  ) {}

  /** Bumped by every commit, so a state prepared from an older version cannot be installed. */
  private version = 0;

  /** Builds a state from entries sorted strictly by account (36 bytes each, balances ≥ 1). */
  static fromSortedEntries(entries: Uint8Array): LedgerState {
    assert(entries.length % entry_bytes === 0, 'whole entries');
    const buckets: Uint8Array[] = new Array(state_leaf_count).fill(empty);
    let start = 0;
    while (start < entries.length) {
      const bucket = bucketOf(entries.subarray(start, start + 2));
      let end = start + entry_bytes;
      while (end < entries.length && bucketOf(entries.subarray(end, end + 2)) === bucket) end += entry_bytes;
      buckets[bucket] = entries.slice(start, end);
      start = end;
    }
    const leaves = new Uint8Array(state_leaf_count * hash_bytes);
    for (let b = 0; b < state_leaf_count; b++) {
      leaves.set(buckets[b]!.length === 0 ? emptyLeafDigest : leafDigest(buckets[b]!), b * hash_bytes);
    }
    const mids = new Uint8Array(state_mid_count * hash_bytes);
    for (let m = 0; m < state_mid_count; m++) mids.set(midDigest(leaves, m), m * hash_bytes);
    return new LedgerState(buckets, leaves, mids, rootDigest(mids), entries.length / entry_bytes);
  }

  /** From unsorted (account, balance) pairs, such as a genesis list. */
  static fromAccounts(accounts: Iterable<{ account: Uint8Array; balance: number }>): LedgerState {
    const list = [...accounts].filter((entry) => entry.balance > 0);
    list.sort((a, b) => Buffer.compare(a.account, b.account));
    const entries = new Uint8Array(list.length * entry_bytes);
    const dv = view(entries);
    list.forEach((entry, i) => {
      entries.set(entry.account, i * entry_bytes);
      dv.setUint32(i * entry_bytes + key_bytes, entry.balance);
    });
    return LedgerState.fromSortedEntries(entries);
  }

  get hash(): Uint8Array {
    return this.root;
  }

  get accountCount(): number {
    return this.count;
  }

  balanceOf(account: Uint8Array): number {
    const bucket = this.buckets[bucketOf(account)]!;
    if (bucket.length === 0) return 0;
    if (bucket[0] !== account[0] || bucket[1] !== account[1]) return 0;
    const index = findEntry(bucket, account);
    return index < 0 ? 0 : view(bucket).getUint32(index * entry_bytes + key_bytes);
  }

  /** Total of all balances: O(accounts), for invariant checks, not the hot path. */
  supply(): number {
    let total = 0;
    for (const bucket of this.buckets) {
      const dv = view(bucket);
      for (let offset = key_bytes; offset < bucket.length; offset += entry_bytes) total += dv.getUint32(offset);
    }
    return total;
  }

  /** Computes the state after `changes` without installing it. */
  prepare(changes: readonly AccountChange[]): PreparedState {
    const byBucket = new Map<number, AccountChange[]>();
    for (const change of changes) {
      const b = bucketOf(change.account);
      let list = byBucket.get(b);
      if (list === undefined) byBucket.set(b, (list = []));
      list.push(change);
    }
    const buckets = new Map<number, Uint8Array>();
    const leaves = new Map<number, Uint8Array>();
    const mids = this.mids.slice();
    const touchedMids = new Set<number>();
    let count = this.count;
    for (const [b, list] of byBucket) {
      const { bucket, delta } = applyToBucket(this.buckets[b]!, list);
      count += delta;
      buckets.set(b, bucket);
      leaves.set(b, bucket.length === 0 ? emptyLeafDigest : leafDigest(bucket));
      touchedMids.add(b >> 8);
    }
    if (touchedMids.size > 0) {
      const span = 256 * hash_bytes;
      for (const m of touchedMids) {
        const group = this.leaves.slice(m * span, (m + 1) * span);
        for (let i = 0; i < 256; i++) {
          const leaf = leaves.get((m << 8) | i);
          if (leaf !== undefined) group.set(leaf, i * hash_bytes);
        }
        mids.set(digest(domain.mid, group), m * hash_bytes);
      }
    }
    const hash = touchedMids.size > 0 ? rootDigest(mids) : this.root;
    return { base: this, baseVersion: this.version, buckets, leaves, mids, hash, accountCount: count, changes };
  }

  /** Installs a prepared state. It must have been prepared from this very state. */
  commit(prepared: PreparedState): void {
    assert(prepared.base === this && prepared.baseVersion === this.version, 'commit a state prepared from this very state');
    // Copy-on-write: never mutate a bucket array in place; frozen views may hold it.
    for (const [b, bucket] of prepared.buckets) this.buckets[b] = bucket;
    for (const [b, leaf] of prepared.leaves) this.leaves.set(leaf, b * hash_bytes);
    this.mids = prepared.mids;
    this.root = prepared.hash;
    this.count = prepared.accountCount;
    this.version++;
  }

  freeze(): FrozenState {
    return { buckets: this.buckets.slice(), mids: this.mids.slice(), hash: this.root, accountCount: this.count };
  }

  /** All entries in account order (36 bytes each, views into the buckets). */
  *entries(): Generator<Uint8Array> {
    for (const bucket of this.buckets) {
      for (let offset = 0; offset < bucket.length; offset += entry_bytes) yield bucket.subarray(offset, offset + entry_bytes);
    }
  }

  midDigests(): Uint8Array {
    return this.mids.slice();
  }

  describe(): string {
    return `${this.count} accounts, hash ${toHex(this.root).slice(0, 16)}`;
  }
}

/** Merges changes into one bucket (copy-on-write); `delta` is the change in account count. */
function applyToBucket(old: Uint8Array, changes: AccountChange[]): { bucket: Uint8Array; delta: number } {
  // Latest change per account wins; changes are few per bucket, so a sort is cheap.
  const latest = new Map<string, AccountChange>();
  for (const change of changes) latest.set(toHex(change.account), change);
  const sorted = [...latest.values()].sort((a, b) => Buffer.compare(a.account, b.account));
  const out = new Uint8Array(old.length + sorted.length * entry_bytes);
  const outView = view(out);
  let o = 0;
  let i = 0;
  let delta = 0;
  const oldCount = old.length / entry_bytes;
  for (const change of sorted) {
    // Copy old entries that sort before this account.
    while (i < oldCount && compareInBucket(old, i * entry_bytes, change.account) < 0) {
      out.set(old.subarray(i * entry_bytes, (i + 1) * entry_bytes), o);
      o += entry_bytes;
      i++;
    }
    const exists = i < oldCount && compareInBucket(old, i * entry_bytes, change.account) === 0;
    if (exists) i++;
    if (change.balance > 0) {
      out.set(change.account, o);
      outView.setUint32(o + key_bytes, change.balance);
      o += entry_bytes;
      if (!exists) delta++;
    } else if (exists) {
      delta--;
    }
  }
  out.set(old.subarray(i * entry_bytes), o);
  o += old.length - i * entry_bytes;
  return { bucket: o === out.length ? out : out.slice(0, o), delta };
}

/**
 * The mid digest of the entries whose account starts with byte `mid`, given sorted: how
 * a server checks a snapshot page by page against the mids of a certified state.
 */
export function midDigestOfEntries(entries: Uint8Array): Uint8Array {
  const leaves = new Uint8Array(256 * hash_bytes);
  for (let i = 0; i < 256; i++) leaves.set(emptyLeafDigest, i * hash_bytes);
  let start = 0;
  while (start < entries.length) {
    const second = entries[start + 1]!;
    let end = start + entry_bytes;
    while (end < entries.length && entries[end + 1] === second && entries[end] === entries[start]) end += entry_bytes;
    leaves.set(leafDigest(entries.subarray(start, end)), second * hash_bytes);
    start = end;
  }
  return midDigest(leaves, 0);
}

/** Entries of a frozen state after `after` (exclusive; null = from the first), at most `max`. */
export function entriesAfter(frozen: FrozenState, after: Uint8Array | null, max: number): { entries: Uint8Array; last: boolean } {
  const chunks: Uint8Array[] = [];
  let count = 0;
  let b = after === null ? 0 : bucketOf(after);
  let offset = 0;
  if (after !== null) {
    const bucket = frozen.buckets[b]!;
    const index = bucket.length === 0 ? -1 : findEntry(bucket, after);
    offset = (index >= 0 ? index + 1 : -index - 1) * entry_bytes;
  }
  for (; b < state_leaf_count; b++, offset = 0) {
    const bucket = frozen.buckets[b]!;
    if (offset >= bucket.length) continue;
    const take = Math.min((bucket.length - offset) / entry_bytes, max - count);
    chunks.push(bucket.subarray(offset, offset + take * entry_bytes));
    count += take;
    if (count === max) {
      const moreHere = offset + take * entry_bytes < bucket.length;
      let moreLater = false;
      for (let rest = b + 1; !moreHere && rest < state_leaf_count; rest++) {
        if (frozen.buckets[rest]!.length > 0) {
          moreLater = true;
          break;
        }
      }
      return { entries: joinChunks(chunks, count), last: !moreHere && !moreLater };
    }
  }
  return { entries: joinChunks(chunks, count), last: true };
}

function joinChunks(chunks: Uint8Array[], count: number): Uint8Array {
  const out = new Uint8Array(count * entry_bytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
