// Row "state hash": time to update the state hash after 10,000 payments on a ledger of
// 1,000,000 accounts, beside hashing the full ledger once (building the state from scratch).

import { randomBytes } from 'node:crypto';
import { key_bytes, state_leaf_count } from '../src/constants.ts';
import { view } from '../src/bytes.ts';
import { type AccountChange, entry_bytes, LedgerState } from '../src/ledger/state.ts';
import { percentile, type Row } from './report.ts';

export function sortedLedger(accounts: number, balanceEach = 1000): Uint8Array {
  const keys = new Uint8Array(randomBytes(accounts * key_bytes));
  const list: Uint8Array[] = [];
  for (let i = 0; i < accounts; i++) list.push(keys.subarray(i * key_bytes, (i + 1) * key_bytes));
  list.sort((a, b) => Buffer.compare(a, b));
  const entries = new Uint8Array(accounts * entry_bytes);
  const dv = view(entries);
  list.forEach((key, i) => {
    entries.set(key, i * entry_bytes);
    dv.setUint32(i * entry_bytes + key_bytes, balanceEach);
  });
  return entries;
}

export function stateHashBench(quick: boolean): Row {
  const accounts = quick ? 100_000 : 1_000_000;
  const payments = quick ? 1_000 : 10_000;
  const entries = sortedLedger(accounts);
  const fullTimes: number[] = [];
  let state = LedgerState.fromSortedEntries(entries);
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const start = performance.now();
    state = LedgerState.fromSortedEntries(entries);
    fullTimes.push(performance.now() - start);
  }
  // Where each bucket's entries start in the sorted ledger (bucket = first two key bytes).
  const bucketStart = new Uint32Array(state_leaf_count + 1);
  for (let i = 0, b = 0; b <= state_leaf_count; b++) {
    while (i < accounts && (entries[i * entry_bytes]! << 8) + entries[i * entry_bytes + 1]! < b) i++;
    bucketStart[b] = i;
  }
  const floorTimes: number[] = [];
  let floorLeaves = 0;
  let floorBytes = 0;
  const updateTimes: number[] = [];
  for (let round = 0; round < (quick ? 3 : 10); round++) {
    // 10,000 payments between random existing accounts: each touches a payer and a payee.
    const changes: AccountChange[] = [];
    for (let p = 0; p < payments; p++) {
      const payer = Math.floor(Math.random() * accounts);
      const payee = Math.floor(Math.random() * accounts);
      changes.push({ account: entries.subarray(payer * entry_bytes, payer * entry_bytes + key_bytes), balance: 999 });
      changes.push({ account: entries.subarray(payee * entry_bytes, payee * entry_bytes + key_bytes), balance: 1001 });
    }
    const start = performance.now();
    const prepared = state.prepare(changes);
    updateTimes.push(performance.now() - start);
    // The floor: hashing only the touched buckets' bytes, as they lie in memory.
    const touched = [...new Set(changes.map((c) => (c.account[0]! << 8) + c.account[1]!))];
    const floorStart = performance.now();
    for (const b of touched) Bun.CryptoHasher.hash('sha256', entries.subarray(bucketStart[b]! * entry_bytes, bucketStart[b + 1]! * entry_bytes));
    floorTimes.push(performance.now() - floorStart);
    floorLeaves = touched.length;
    floorBytes = touched.reduce((sum, b) => sum + (bucketStart[b + 1]! - bucketStart[b]!) * entry_bytes, 0);
    state.commit(prepared);
  }
  const update = percentile(updateTimes, 50);
  const full = percentile(fullTimes, 50);
  const ratio = update / full;
  return {
    row: 'state hash',
    measured: `${update.toFixed(1)} ms per ${payments.toLocaleString('en')} payments (median of ${updateTimes.length}; max ${Math.max(...updateTimes).toFixed(1)})`,
    reference: `full hash of ${accounts.toLocaleString('en')} accounts: ${full.toFixed(0)} ms`,
    ratio: `${ratio.toFixed(3)} of full`,
    target: '≤ 20 ms and ≪ full',
    met: update <= 20 && ratio <= 0.5,
    notes: `${payments.toLocaleString('en')} payments touch ${floorLeaves.toLocaleString('en')} of ${state_leaf_count.toLocaleString('en')} buckets (${(floorBytes / 1e6).toFixed(1)} MB of entries); hashing just those bytes, one call per bucket, takes ${percentile(floorTimes, 50).toFixed(1)} ms (median), the floor of any update that rehashes whole buckets; the rest is sorting the changes, merging them into each bucket and copying the 2 MiB leaf array (an update is prepared beside the committed state, which stays readable)`,
  };
}
