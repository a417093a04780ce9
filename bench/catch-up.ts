// Rows "catch-up" and "memory": a server with an empty directory fetches, verifies and
// installs a 1,000,000-account ledger from its peers (timed from its launch to the
// install), and the peak RSS of the servers holding it. The ledger is made directly: a
// certified state of one period, signed by a majority of the servers (the bench holds
// their keys), written with the store's own snapshot install.

import { readFileSync } from 'node:fs';
import { certificateFrom, signVote, genesisCertificate } from '../src/consensus/vote.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { SqliteStore } from '../src/ledger/sqlite-store.ts';
import { signerFromSeed } from '../src/signature.ts';
import { ProcessCluster } from '../test/helpers/processes.ts';
import { testSeed } from '../test/helpers/keys.ts';
import type { Row } from './report.ts';
import { sortedLedger } from './state-hash.ts';

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

export async function catchUpBench(quick: boolean): Promise<Row[]> {
  const accounts = quick ? 100_000 : 1_000_000;
  const perAccount = 1000;
  const cluster = await ProcessCluster.create({ servers: 3, periodMs: 1000, wallets: [{ label: 'whale', balance: accounts * perAccount }] });
  try {
    const network = cluster.network;
    const entries = sortedLedger(accounts, perAccount);
    const state = LedgerState.fromSortedEntries(entries);
    const genesis = genesisCertificate(LedgerState.fromAccounts(network.genesis).hash);
    const period = Math.floor(Date.now() / network.periodMs) - 5;
    const decision = { period, parent: 0, parentHash: genesis.hash, hash: state.hash };
    const votes = [0, 1].map((i) => signVote(signerFromSeed(testSeed(`server ${i}`)), network.id, decision, 0, i));
    const certificate = certificateFrom(decision, votes);
    const genesisState = LedgerState.fromAccounts(network.genesis);
    for (const index of [0, 1]) {
      const store = new SqliteStore(cluster.servers[index]!.dir, network.id, genesis, () => genesisState.entries());
      store.installSnapshot(certificate, entries);
      store.close();
    }
    cluster.start(0, ['--log-level', 'info']);
    cluster.start(1, ['--log-level', 'info']);
    if (!(await cluster.until(async () => (await cluster.info(0)) !== null && (await cluster.info(1)) !== null, 30_000))) {
      throw new Error(`bench: the peers did not start\n${cluster.logs()}`);
    }
    if (process.env.SCRYP_BENCH_DEBUG) console.error('peers after load, peak MB:', [0, 1].map((i) => peakRssMb(cluster.servers[i]!.process!.pid).toFixed(0)).join(', '));
    const start = performance.now();
    const fresh = cluster.start(2, ['--log-level', 'info']);
    const installed = await cluster.until(() => fresh.log.includes('installed the snapshot'), 60_000, 10);
    const seconds = (performance.now() - start) / 1000;
    if (!installed) throw new Error(`bench: no snapshot installed\n${cluster.logs()}`);
    const info = await cluster.info(2);
    if (info === null || info.committedPeriod < period) throw new Error('bench: the fresh server is not at the snapshot period');
    const rss = cluster.servers.map((server) => peakRssMb(server.process!.pid));
    const seriesRate = 2_000_000 / 30; // the series' own figure: 2,000,000 accounts in about 30 s
    return [
      {
        row: 'catch-up',
        measured: `${seconds.toFixed(2)} s for ${accounts.toLocaleString('en')} accounts (launch to installed)`,
        reference: `the series: 2,000,000 in ~30 s (${(accounts / seriesRate).toFixed(1)} s for this many)`,
        ratio: `${(accounts / seconds / seriesRate).toFixed(1)}× the series' rate`,
        target: '≤ 3 s',
        met: seconds <= 3,
      },
      {
        row: 'memory',
        measured: `peak RSS ${Math.max(...rss).toFixed(0)} MB (servers: ${rss.map((mb) => mb.toFixed(0)).join(', ')} MB)`,
        reference: `${accounts.toLocaleString('en')} accounts × 36 bytes = ${((accounts * 36) / 2 ** 20).toFixed(0)} MB of entries`,
        ratio: '—',
        target: '≤ 200 MB',
        met: Math.max(...rss) <= 200,
      },
    ];
  } finally {
    await cluster.stop();
  }
}
