// A snapshot as it is received (docs/PROTOCOL.md §8.9), page by page, with no I/O: each
// page is checked as it comes (accounts in strictly increasing order, no zero balance, each
// finished mid against the certified mids), and the last against the whole (as many
// accounts as announced, the certified state hash, the genesis supply). takePage says what
// the page made of it: more to ask for, a complete state to install, or a refusal and why
// (in the manner of TigerBeetle's Trailer.write_chunk). snapshots.ts does the asking.

import { hash_bytes, key_bytes, state_mid_count } from '../constants.ts';
import { equal } from '../bytes.ts';
import { chainDigestOf, type CommittedChange } from '../consensus/configuration.ts';
import type { Certificate } from '../consensus/vote.ts';
import { emptyMidDigest, entry_bytes, LedgerState, midDigestOfEntries } from '../ledger/state.ts';

export interface SnapshotReceiving {
  readonly snapshotId: number;
  readonly certificate: Certificate;
  /** The chain of configuration changes the snapshot's state binds (checked from the network file). */
  readonly chain: readonly CommittedChange[];
  readonly mids: Uint8Array;
  readonly accounts: number;
  /** Every entry received so far, in order, in one buffer sized by the header (pages are copied in, not kept). */
  readonly entries: Uint8Array;
  received: number;
  nextMid: number;
  /** Where the entries of the mid being received begin in `entries` (not yet checked). */
  midStart: number;
  pages: number;
}

/** A snapshot whose header was checked: nothing received yet. */
export function startReceiving(header: { snapshotId: number; certificate: Certificate; chain: readonly CommittedChange[]; mids: Uint8Array; accounts: number }): SnapshotReceiving {
  return {
    ...header,
    entries: new Uint8Array(header.accounts * entry_bytes), // the OS commits its pages only as they fill
    received: 0,
    nextMid: 0,
    midStart: 0,
    pages: 0,
  };
}

export type PageVerdict =
  /** Ask for the next page: the accounts after `after`. */
  | { readonly kind: 'more'; readonly after: Uint8Array }
  /** Every account came and the whole checks out: the state to install. */
  | { readonly kind: 'complete'; readonly state: LedgerState }
  | { readonly kind: 'refused'; readonly why: string };

/** Takes one page (its entries, and whether the sender says it is the last) into `receiving`. */
export function takePage(receiving: SnapshotReceiving, entries: Uint8Array, last: boolean, supply: number): PageVerdict {
  const refused = (why: string): PageVerdict => ({ kind: 'refused', why });
  const count = entries.length / entry_bytes;
  if (receiving.received + count > receiving.accounts || (!last && count === 0)) return refused('more or fewer accounts than announced');
  const all = receiving.entries;
  const base = receiving.received * entry_bytes;
  all.set(entries, base);
  for (let offset = base; offset < base + entries.length; offset += entry_bytes) {
    if (offset > 0 && compareAccountsAt(all, offset - entry_bytes, offset) >= 0) return refused('accounts out of order');
    if (all[offset + key_bytes] === 0 && all[offset + key_bytes + 1] === 0 && all[offset + key_bytes + 2] === 0 && all[offset + key_bytes + 3] === 0) return refused('a zero balance');
    // Entering a new mid: the mids before it are complete and must match the header.
    while (all[offset]! > receiving.nextMid) {
      if (!finishMid(receiving, offset)) return refused(`mid ${receiving.nextMid} does not match`);
    }
  }
  receiving.received += count;
  receiving.pages++;
  if (!last) {
    const end = receiving.received * entry_bytes;
    return { kind: 'more', after: all.slice(end - entry_bytes, end - entry_bytes + key_bytes) };
  }
  if (receiving.received !== receiving.accounts) return refused('fewer accounts than announced');
  while (receiving.nextMid < state_mid_count) if (!finishMid(receiving, all.length)) return refused(`mid ${receiving.nextMid} does not match`);
  const state = LedgerState.fromSortedEntries(all, chainDigestOf(receiving.chain));
  if (!equal(state.hash, receiving.certificate.hash)) return refused('the state hash does not match');
  if (state.supply() !== supply) return refused('the supply does not match the genesis supply');
  return { kind: 'complete', state };
}

/** Checks the mid being received, whose entries end at `end`, against the certified mids. */
function finishMid(receiving: SnapshotReceiving, end: number): boolean {
  const mid = receiving.nextMid;
  const expected = receiving.mids.subarray(mid * hash_bytes, (mid + 1) * hash_bytes);
  const digest = end === receiving.midStart ? emptyMidDigest : midDigestOfEntries(receiving.entries.subarray(receiving.midStart, end));
  receiving.midStart = end;
  receiving.nextMid++;
  return equal(digest, expected);
}

/** Compares the accounts of two entries of one buffer, by offset. */
function compareAccountsAt(entries: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < key_bytes; i++) {
    const d = entries[a + i]! - entries[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}
