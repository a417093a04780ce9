// Rows "commit cost" and "history", from one ledger written through the store's own commit
// path: 1,000 periods of 10,000 payments among 100,000 accounts (10,000,000 payments), of
// which 1% involve one account. Payments are random bytes in the payment layout (the store
// and HISTORY never check signatures; the alpha did); balances do not move, so every period
// certifies the genesis state hash and the core opens the store as a node does.
//
// "commit cost": what committing a 10,000-payment period costs (store.commit: the period's
// record, its payments and the account index in one transaction), the median of the first
// periods (an empty ledger), of those after 1,000,000 payments and of the last (10,000,000);
// beside each, the txid index written right after it (as the node does: flushIndex).
// "history": one HISTORY page (7 entries, the most a datagram holds) for that account, timed
// at the server (the core's history() over the real SQLite store) from random cursors
// through its whole history; beside it, in the same run, a BALANCE answer from the same core.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, utf8 } from '../src/bytes.ts';
import { history_entries_max, transaction_bytes } from '../src/constants.ts';
import type { Certificate } from '../src/consensus/vote.ts';
import { sha256 } from '../src/hash.ts';
import { ledger_file_name, SqliteStore } from '../src/ledger/sqlite-store.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { parseNetwork } from '../src/network.ts';
import { ServerCore } from '../src/node/core.ts';
import { isPayableKey, signerFromSeed, verify } from '../src/signature.ts';
import { percentile, type Row } from './report.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function historyBench(quick: boolean): Row[] {
  const periods = quick ? 40 : 1_000;
  /**
   * The periods whose commits are compared: the first ones after every account was given its
   * number (the first 5 periods give all of them: inserts into account_ids' index that no later
   * period makes), those after 10% of the ledger, the last ones.
   */
  const window = quick ? 4 : 10;
  const checkpoints = [window, periods / 10, periods - window];
  const perPeriod = 10_000;
  const accountCount = quick ? 10_000 : 99_999; // others; with the one measured, the genesis list's limit
  const everyNth = 100; // 1% of the payments involve the account measured
  const queries = quick ? 500 : 2_000;

  const server = signerFromSeed(sha256(utf8('bench history server')));
  const target = signerFromSeed(sha256(utf8('bench history account'))).publicKey;
  // Keys someone could sign for (a network file refuses any other): random points, kept.
  const others = new Uint8Array(accountCount * 32);
  for (let i = 0; i < accountCount; ) {
    const key = new Uint8Array(randomBytes(32));
    if (!isPayableKey(key)) continue;
    others.set(key, i * 32);
    i++;
  }
  const other = (i: number) => others.subarray(i * 32, (i + 1) * 32);
  const network = parseNetwork({
    name: 'bench-history',
    period_ms: 1000,
    blackout_ms: 100,
    skew_ms: 500,
    servers: [{ key: toHex(server.publicKey), ip: '127.0.0.1:4999' }],
    genesis: [{ account: toHex(target), balance: 1_000_000 }, ...Array.from({ length: accountCount }, (_, i) => ({ account: toHex(other(i)), balance: 1_000 }))],
  });
  const genesisState = LedgerState.fromAccounts(network.genesis);
  const genesis = ServerCore.genesisFor(network);
  const dir = mkdtempSync(join(tmpdir(), 'scryp-bench-history-'));
  const warmDir = mkdtempSync(join(tmpdir(), 'scryp-bench-history-warm-'));
  try {
    const first = Math.floor(Date.now() / network.periodMs) - periods - 10;
    const commitTimes: number[] = [];
    const indexTimes: number[] = [];
    let targetPayments = 0;
    /** Commits `count` periods of 10,000 payments to `store`, timing each commit and the txid index written after it. */
    const write = (store: SqliteStore, count: number, timed: boolean) => {
      let parent: Certificate = genesis;
      for (let p = 0; p < count; p++) {
        const period = first + p;
        const batch = new Uint8Array(randomBytes(perPeriod * transaction_bytes)); // signatures stay random
        const dv = new DataView(batch.buffer);
        const applied = new Uint8Array(perPeriod).fill(1);
        for (let i = 0; i < perPeriod; i++) {
          const at = i * transaction_bytes;
          const timestamp = period * network.periodMs + (i % 900);
          dv.setUint32(at, Math.floor(timestamp / 2 ** 32));
          dv.setUint32(at + 4, timestamp >>> 0);
          dv.setUint32(at + 8, 1 + (i % 500));
          const a = (i * 7919 + p * 104_729) % accountCount;
          const b = (a + 1 + ((i * 31) % (accountCount - 1))) % accountCount;
          batch.set(other(a), at + 12);
          batch.set(other(b), at + 44);
          if (i % everyNth === 0) {
            batch.set(target, at + ((i / everyNth) % 2 === 0 ? 12 : 44)); // paid, then paying, in turn
            if (timed) targetPayments++;
          }
          if (i % 97 === 0) applied[i] = 0; // a few skipped at re-validation
        }
        const certificate: Certificate = { period, parent: parent.period, parentHash: parent.hash, hash: genesis.hash, votes: [] };
        const started = performance.now();
        store.commit({ record: { certificate, transactions: batch }, applied, changes: [] });
        const committed = performance.now();
        store.flushIndex();
        if (timed) {
          commitTimes.push(committed - started);
          indexTimes.push(performance.now() - committed);
        }
        parent = certificate;
      }
    };
    // A few periods into another file first, so that the empty ledger's commits do not pay for cold code.
    const warm = new SqliteStore(warmDir, network.id, genesis, () => genesisState.entries());
    write(warm, window, false);
    warm.close();
    const store = new SqliteStore(dir, network.id, genesis, () => genesisState.entries());
    write(store, periods, true);
    store.flushIndex();
    const fileMb = statSync(join(dir, ledger_file_name)).size / 1e6;

    const now = Date.now();
    const core = new ServerCore({ network, selfIndex: 0, signer: server, store, verify, log: silent, now });
    // The whole history once, page by page, newest first: the cursors to query from.
    const cursors: { period: number; index: number }[] = [{ period: 0, index: 0 }];
    const walkStarted = performance.now();
    for (let page = 0; page < targetPayments; page++) {
      const last = cursors[cursors.length - 1]!;
      const answer = core.history(target, last.period, last.index, history_entries_max, now);
      const entries = answer.body?.entries ?? [];
      if (entries.length === 0) break;
      const tail = entries[entries.length - 1]!;
      cursors.push({ period: tail.period, index: tail.index });
    }
    const walkMs = performance.now() - walkStarted;
    const listed = (cursors.length - 1) * history_entries_max;
    if (Math.ceil(targetPayments / history_entries_max) !== cursors.length - 1) throw new Error(`bench history: ${listed} listed, ${targetPayments} made`);

    const pageTimes: number[] = [];
    const balanceTimes: number[] = [];
    for (let q = 0; q < queries; q++) {
      const cursor = cursors[Math.floor(Math.random() * (cursors.length - 1))]!;
      let started = performance.now();
      const answer = core.history(target, cursor.period, cursor.index, history_entries_max, now);
      pageTimes.push(performance.now() - started);
      if (answer.body === null || answer.body.entries.length === 0) throw new Error('bench history: an empty page');
      started = performance.now();
      core.balance(target, now);
      balanceTimes.push(performance.now() - started);
    }
    store.close();
    const p99 = percentile(pageTimes, 99);
    const balance99 = percentile(balanceTimes, 99);
    const ms = (value: number) => (value < 0.1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(2)} ms`);
    const at = checkpoints.map((first) => ({
      payments: (first + window) * perPeriod,
      commit: percentile(commitTimes.slice(first, first + window), 50),
      index: percentile(indexTimes.slice(first, first + window), 50),
    }));
    const [empty, tenth, last] = at as [(typeof at)[0], (typeof at)[0], (typeof at)[0]];
    const millions = (payments: number) => `${(payments / 1e6).toLocaleString('en', { maximumFractionDigits: 2 })}M`;
    const ratio = last.commit / empty.commit;
    const ledger = `${(periods * perPeriod).toLocaleString('en')} payments (${periods} periods of ${perPeriod.toLocaleString('en')}, ${(accountCount + 1).toLocaleString('en')} accounts), ledger.sqlite ${fileMb.toFixed(0)} MB`;
    return [
      {
        row: 'commit cost',
        measured: `a 10,000-payment period at ${millions(tenth.payments)} payments: commit p50 ${tenth.commit.toFixed(0)} ms (+ txid index ${tenth.index.toFixed(0)} ms); at ${millions(last.payments)}: ${last.commit.toFixed(0)} ms (+ ${last.index.toFixed(0)} ms)`,
        reference: `on an empty ledger (periods ${window + 1}–${2 * window}, ${millions(window * perPeriod)} to ${millions(empty.payments)}): commit p50 ${empty.commit.toFixed(0)} ms (+ txid index ${empty.index.toFixed(0)} ms)`,
        ratio: `${ratio.toFixed(2)} at ${millions(last.payments)}, ${(tenth.commit / empty.commit).toFixed(2)} at ${millions(tenth.payments)}; with the txid index ${((last.commit + last.index) / (empty.commit + empty.index)).toFixed(2)}`,
        target: '≤ 1.5 at 10M',
        met: ratio <= 1.5,
        notes: `${ledger}, written through the store's commit path, each commit followed by the txid index's own transaction (flushIndex, as the node runs it after a commit); medians of ${window} periods each; the first ${window} periods, which give every account its number (account_ids), took p50 ${percentile(commitTimes.slice(0, window), 50).toFixed(0)} ms; the slowest commit of the run ${Math.max(...commitTimes).toFixed(0)} ms, the slowest txid index ${Math.max(...indexTimes).toFixed(0)} ms (the txid index grows within its 16-period epoch and starts again with the next)`,
      },
      {
        row: 'history',
        measured: `page of 7: p50 ${ms(percentile(pageTimes, 50))}, p99 ${ms(p99)}, max ${ms(Math.max(...pageTimes))} (${queries.toLocaleString('en')} pages from random cursors)`,
        reference: `BALANCE, same core: p50 ${ms(percentile(balanceTimes, 50))}, p99 ${ms(balance99)}`,
        ratio: `p99 ${(p99 / balance99).toFixed(0)}× BALANCE`,
        target: 'p99 ≤ 5 ms',
        met: p99 <= 5,
        notes: `an account with ${targetPayments.toLocaleString('en')} payments in a ledger of ${ledger}; the account's whole history, ${cursors.length - 1} pages of 7, in ${walkMs.toFixed(0)} ms`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(warmDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(historyBench(process.argv.includes('--quick')));
}
