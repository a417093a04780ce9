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
// Speed: `prepare` merges each touched bucket into one reusable scratch buffer (with the
// leaf tag in front, so a leaf costs one native hash call and no allocation); `commit`
// then writes balances in place when a bucket keeps its size. Buckets shared with a
// frozen view (a snapshot being served) are copied first: copy-on-write, so a frozen view
// never changes. The leaf digests are kept in 256 blocks, one per mid, shared the same way:
// a prepared state copies only the blocks of the mids it touches (8 KiB each), never the
// whole 2 MiB of leaves.

import { hash_bytes, key_bytes, state_leaf_count, state_mid_count } from '../constants.ts';
import { toHex, view } from '../bytes.ts';
import { assert } from '../errors.ts';
import { domain } from '../hash.ts';

export const entry_bytes = key_bytes + 4;
const empty = new Uint8Array(0);
/** Changes are sorted by bucket × position_span + position, in one Float64Array. */
const position_span = 2 ** 32;

export interface AccountChange {
  readonly account: Uint8Array;
  /** The new balance; 0 removes the account. */
  readonly balance: number;
}

/** New buckets and digests computed for a set of changes, not yet installed. */
export interface PreparedState {
  readonly base: LedgerState;
  readonly baseVersion: number;
  /** Per touched bucket: its changes sorted by account (last change of an account kept), and its new size. */
  readonly plans: readonly BucketPlan[];
  /** The leaf digests after the changes, a block of 256 per mid: the touched blocks are copies, the others the base's own. */
  readonly leafBlocks: readonly Uint8Array[];
  readonly mids: Uint8Array;
  /** The root of the accounts (rootDigest of mids). */
  readonly root: Uint8Array;
  /** The state hash: of the accounts alone, or with the chain of configuration changes (stateHashOf). */
  readonly hash: Uint8Array;
  readonly accountCount: number;
  readonly changes: readonly AccountChange[];
  /** The digest of the chain of configuration changes after this state (null: none yet). */
  readonly chainDigest: Uint8Array | null;
}

interface BucketPlan {
  readonly bucket: number;
  readonly changes: AccountChange[];
  readonly bytes: number;
  /** When every change updates an existing account: where each new balance goes. */
  readonly offsets: number[] | null;
}

/** An immutable view of a committed state, for serving snapshots. */
export interface FrozenState {
  readonly buckets: readonly Uint8Array[];
  readonly mids: Uint8Array;
  readonly hash: Uint8Array;
  readonly chainDigest: Uint8Array | null;
  readonly accountCount: number;
}

const hasher = new Bun.CryptoHasher('sha256');

function digest(tag: Uint8Array, data: Uint8Array): Uint8Array {
  hasher.update(tag);
  hasher.update(data);
  return hasher.digest();
}

export const bucketOf = (account: Uint8Array): number => (account[0]! << 8) | account[1]!;

/** A growable buffer that starts with the leaf tag, so a leaf is hashed in one call. */
let scratch = new Uint8Array(4096);
scratch.set(domain.leaf, 0);
const leaf_tag_bytes = domain.leaf.length;

/** Views of the scratch buffer by entry count, made once: a view per leaf hashed would cost more than the hash. */
let scratchViews: Uint8Array[] = [];

function scratchFor(bytes: number): Uint8Array {
  if (leaf_tag_bytes + bytes > scratch.length) {
    let size = scratch.length;
    while (leaf_tag_bytes + bytes > size) size *= 2;
    scratch = new Uint8Array(size);
    scratch.set(domain.leaf, 0);
    scratchViews = [];
  }
  return scratch;
}

/** The leaf tag and the first `bytes` bytes after it, as one view. */
function scratchView(bytes: number): Uint8Array {
  const count = bytes / entry_bytes;
  let out = scratchViews[count];
  if (out === undefined) scratchViews[count] = out = scratch.subarray(0, leaf_tag_bytes + bytes);
  return out;
}

/** One native call; the Buffer it returns is a Uint8Array already (touching `.buffer` would cost more than the hash). */
function plainDigest(data: Uint8Array): Uint8Array {
  return Bun.CryptoHasher.hash('sha256', data);
}

export const leafDigest = (bucket: Uint8Array): Uint8Array => digest(domain.leaf, bucket);
export const emptyLeafDigest = leafDigest(empty);

export function midDigest(leaves: Uint8Array, mid: number): Uint8Array {
  const span = 256 * hash_bytes;
  return digest(domain.mid, leaves.subarray(mid * span, (mid + 1) * span));
}

/** The 256 leaf digests under one mid: a block of the state's leaves. */
const leaf_block_bytes = 256 * hash_bytes;

export function rootDigest(mids: Uint8Array): Uint8Array {
  return digest(domain.state, mids);
}

/**
 * The state hash (PROTOCOL §9): the accounts' root alone while no configuration change was
 * ever committed (as in every ledger before changes existed), and after the first one
 * sha256("scryp/state/v2" ‖ root ‖ chain digest), so that a certificate binds the server
 * set in force as much as the balances.
 */
export function stateHashOf(root: Uint8Array, chainDigest: Uint8Array | null): Uint8Array {
  if (chainDigest === null) return root;
  hasher.update(domain.stateWithChanges);
  hasher.update(root);
  hasher.update(chainDigest);
  return hasher.digest();
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
  // Bytes 2 and 3 as one number decide almost every comparison of random keys.
  const head = (account[2]! << 8) | account[3]!;
  let low = 0;
  let high = bucket.length / entry_bytes - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const offset = middle * entry_bytes;
    let c = ((bucket[offset + 2]! << 8) | bucket[offset + 3]!) - head;
    if (c === 0) c = compareInBucket(bucket, offset, account);
    if (c < 0) low = middle + 1;
    else if (c > 0) high = middle - 1;
    else return middle;
  }
  return -low - 1;
}

export class LedgerState {
  private constructor(
    private buckets: Uint8Array[],
    /**
     * The leaf digests, one block of 256 per mid. A prepared state copies only the blocks it
     * touches (8 KiB each) and shares the rest: the whole 2 MiB array copied for every
     * prepared state was half of the simulator's time (profile of seed 12345, 5 servers).
     * A block is never written once a state holds it: commit installs the prepared copies.
     */
    private leafBlocks: Uint8Array[],
    private mids: Uint8Array,
    private root: Uint8Array,
    private count: number,
    private chain: Uint8Array | null,
  ) {
    this.stateHash = stateHashOf(root, chain);
  }

  /** stateHashOf(root, chain), kept. */
  private stateHash: Uint8Array;

  /** Bumped by every commit, so a state prepared from an older version cannot be installed. */
  private version = 0;
  /** The version in which each bucket array was made; arrays older than the last freeze are shared. */
  private readonly bucketVersions = new Uint32Array(state_leaf_count);
  private lastFreezeVersion = -1;

  /**
   * Builds a state from entries sorted strictly by account (36 bytes each, balances ≥ 1).
   * The state keeps `entries` as its storage (buckets are views into it, written in place):
   * the caller hands it over and must not change it afterwards.
   */
  static fromSortedEntries(entries: Uint8Array, chainDigest: Uint8Array | null = null): LedgerState {
    assert(entries.length % entry_bytes === 0, 'whole entries');
    const buckets: Uint8Array[] = new Array(state_leaf_count).fill(empty);
    let start = 0;
    while (start < entries.length) {
      const bucket = (entries[start]! << 8) | entries[start + 1]!;
      let end = start + entry_bytes;
      while (end < entries.length && ((entries[end]! << 8) | entries[end + 1]!) === bucket) end += entry_bytes;
      buckets[bucket] = entries.subarray(start, end); // views: the state owns `entries` from now on
      start = end;
    }
    const leafBlocks: Uint8Array[] = [];
    const mids = new Uint8Array(state_mid_count * hash_bytes);
    for (let m = 0; m < state_mid_count; m++) {
      const block = new Uint8Array(leaf_block_bytes);
      for (let i = 0; i < 256; i++) {
        const bucket = buckets[m * 256 + i]!;
        block.set(bucket.length === 0 ? emptyLeafDigest : leafDigest(bucket), i * hash_bytes);
      }
      leafBlocks.push(block);
      mids.set(digest(domain.mid, block), m * hash_bytes);
    }
    return new LedgerState(buckets, leafBlocks, mids, rootDigest(mids), entries.length / entry_bytes, chainDigest);
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
    return this.stateHash;
  }

  /** The digest of the chain of configuration changes this state carries (null: none). */
  get chainDigest(): Uint8Array | null {
    return this.chain;
  }

  get accountCount(): number {
    return this.count;
  }

  balanceOf(account: Uint8Array): number {
    const bucket = this.buckets[bucketOf(account)]!;
    if (bucket.length === 0) return 0;
    if (bucket[0] !== account[0] || bucket[1] !== account[1]) return 0;
    const index = findEntry(bucket, account);
    return index < 0 ? 0 : balanceAt(bucket, index * entry_bytes + key_bytes);
  }

  /** Total of all balances: O(accounts), for invariant checks, not the hot path. */
  supply(): number {
    let total = 0;
    for (const bucket of this.buckets) {
      for (let offset = key_bytes; offset < bucket.length; offset += entry_bytes) total += balanceAt(bucket, offset);
    }
    return total;
  }

  /**
   * Computes the state after `changes` without installing it. Work is proportional to the
   * buckets touched: one sort of the changes by bucket, a merge per bucket into the
   * scratch buffer, one hash per touched leaf, then the touched mids and the root.
   */
  prepare(changes: readonly AccountChange[], chainDigest: Uint8Array | null = this.chain): PreparedState {
    const n = changes.length;
    assert(n < position_span, 'fewer changes than the sort key can hold');
    // Sort key: bucket, then position in the input (so a later change of an account wins).
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const account = changes[i]!.account;
      assert(account.length === key_bytes, 'an account is 32 bytes');
      keys[i] = bucketOf(account) * position_span + i;
    }
    keys.sort();
    const plans: BucketPlan[] = [];
    const leafBlocks = this.leafBlocks.slice(); // 256 references; a touched block is copied below
    const touchedMids = new Uint8Array(state_mid_count);
    let count = this.count;
    for (let i = 0; i < n; ) {
      const b = Math.floor(keys[i]! / position_span);
      const group: AccountChange[] = [];
      for (; i < n && Math.floor(keys[i]! / position_span) === b; i++) group.push(changes[keys[i]! % position_span]!);
      const sorted = sortAndKeepLast(group);
      const old = this.buckets[b]!;
      const buffer = scratchFor(old.length + sorted.length * entry_bytes);
      const offsets = updateOffsets(old, sorted);
      let bytes = old.length;
      if (offsets !== null) {
        // Only balances change: copy the bucket whole, then patch them.
        buffer.set(old, leaf_tag_bytes);
        for (let k = 0; k < offsets.length; k++) writeBalance(buffer, leaf_tag_bytes + offsets[k]!, sorted[k]!.balance);
      } else {
        const merged = mergeBucket(old, sorted, buffer, leaf_tag_bytes);
        bytes = merged.bytes;
        count += merged.delta;
      }
      plans.push({ bucket: b, changes: sorted, bytes, offsets });
      const m = b >> 8;
      if (touchedMids[m] === 0) {
        touchedMids[m] = 1;
        leafBlocks[m] = this.leafBlocks[m]!.slice();
      }
      leafBlocks[m]!.set(bytes === 0 ? emptyLeafDigest : plainDigest(scratchView(bytes)), (b & 0xff) * hash_bytes);
    }
    let mids = this.mids;
    if (n > 0) {
      mids = this.mids.slice();
      for (let m = 0; m < state_mid_count; m++) if (touchedMids[m] === 1) mids.set(digest(domain.mid, leafBlocks[m]!), m * hash_bytes);
    }
    const root = n > 0 ? rootDigest(mids) : this.root;
    const hash = root === this.root && chainDigest === this.chain ? this.stateHash : stateHashOf(root, chainDigest);
    return { base: this, baseVersion: this.version, plans, leafBlocks, mids, root, hash, accountCount: count, changes, chainDigest };
  }

  /** Installs a prepared state. It must have been prepared from this very state. */
  commit(prepared: PreparedState): void {
    assert(prepared.base === this && prepared.baseVersion === this.version, 'commit a state prepared from this very state');
    const next = this.version + 1;
    for (const plan of prepared.plans) {
      const old = this.buckets[plan.bucket]!;
      const owned = this.bucketVersions[plan.bucket]! > this.lastFreezeVersion;
      if (owned && plan.offsets !== null) {
        for (let k = 0; k < plan.offsets.length; k++) writeBalance(old, plan.offsets[k]!, plan.changes[k]!.balance);
        continue;
      }
      // The size changes, or a frozen view shares the array: build a new one (copy-on-write).
      const bucket = plan.bytes === 0 ? empty : new Uint8Array(plan.bytes);
      if (plan.bytes > 0) mergeBucket(old, plan.changes, bucket, 0);
      this.buckets[plan.bucket] = bucket;
      this.bucketVersions[plan.bucket] = next;
    }
    this.leafBlocks = prepared.leafBlocks.slice();
    this.mids = prepared.mids;
    this.root = prepared.root;
    this.chain = prepared.chainDigest;
    this.stateHash = prepared.hash;
    this.count = prepared.accountCount;
    this.version = next;
  }

  freeze(): FrozenState {
    this.lastFreezeVersion = this.version; // every bucket array made so far is now shared
    return { buckets: this.buckets.slice(), mids: this.mids.slice(), hash: this.stateHash, chainDigest: this.chain, accountCount: this.count };
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
    return `${this.count} accounts, hash ${toHex(this.stateHash).slice(0, 16)}`;
  }
}

/** Compares two accounts of the same bucket (their bytes 2..31). */
function compareAccounts(a: Uint8Array, b: Uint8Array): number {
  for (let i = 2; i < key_bytes; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Sorts one bucket's changes by account (stable insertion sort: groups are short) and keeps the last change of each account. */
function sortAndKeepLast(group: AccountChange[]): AccountChange[] {
  if (group.length === 1) return group;
  for (let i = 1; i < group.length; i++) {
    const change = group[i]!;
    let j = i - 1;
    while (j >= 0 && compareAccounts(group[j]!.account, change.account) > 0) {
      group[j + 1] = group[j]!;
      j--;
    }
    group[j + 1] = change;
  }
  const out: AccountChange[] = [];
  for (let i = 0; i < group.length; i++) {
    if (i + 1 < group.length && compareAccounts(group[i + 1]!.account, group[i]!.account) === 0) continue;
    out.push(group[i]!);
  }
  return out;
}

/** The u32 balance at `offset`, read from the bytes (a DataView per read costs more than the read). */
function balanceAt(bucket: Uint8Array, offset: number): number {
  return ((bucket[offset]! << 24) | (bucket[offset + 1]! << 16) | (bucket[offset + 2]! << 8) | bucket[offset + 3]!) >>> 0;
}

function writeBalance(out: Uint8Array, offset: number, balance: number): void {
  out[offset] = balance >>> 24;
  out[offset + 1] = (balance >>> 16) & 0xff;
  out[offset + 2] = (balance >>> 8) & 0xff;
  out[offset + 3] = balance & 0xff;
}

/**
 * Merges sorted changes (distinct accounts) into a bucket, writing the result into `out`
 * at `at`. Returns the bytes written and the change in account count.
 */
function mergeBucket(old: Uint8Array, sorted: readonly AccountChange[], out: Uint8Array, at: number): { bytes: number; delta: number } {
  let o = at;
  let i = 0;
  let delta = 0;
  const oldCount = old.length / entry_bytes;
  for (const change of sorted) {
    const copyFrom = i;
    while (i < oldCount && compareInBucket(old, i * entry_bytes, change.account) < 0) i++;
    if (i > copyFrom) {
      out.set(old.subarray(copyFrom * entry_bytes, i * entry_bytes), o);
      o += (i - copyFrom) * entry_bytes;
    }
    const exists = i < oldCount && compareInBucket(old, i * entry_bytes, change.account) === 0;
    if (exists) i++;
    if (change.balance > 0) {
      out.set(change.account, o);
      writeBalance(out, o + key_bytes, change.balance);
      o += entry_bytes;
      if (!exists) delta++;
    } else if (exists) {
      delta--;
    }
  }
  if (i === 0) out.set(old, o);
  else if (i < oldCount) out.set(old.subarray(i * entry_bytes), o);
  o += old.length - i * entry_bytes;
  return { bytes: o - at, delta };
}

/** Where each change's balance sits when all of them update existing accounts (balance ≥ 1); else null. */
function updateOffsets(bucket: Uint8Array, sorted: readonly AccountChange[]): number[] | null {
  if (bucket.length === 0) return null;
  const offsets: number[] = [];
  for (const change of sorted) {
    if (change.balance === 0) return null;
    const index = findEntry(bucket, change.account);
    if (index < 0) return null;
    offsets.push(index * entry_bytes + key_bytes);
  }
  return offsets;
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
