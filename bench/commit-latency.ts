// Row "commit latency": what the two-thirds quorum costs in time. Servers of the compiled
// executable on loopback, `majority` and `two-thirds` networks of 4 and of 7 servers in the
// same run, 30 periods each (--quick 8): the time from the end of period k (when its beta
// proposes it) to the commit of k on each server, read from the servers' own logs
// (`committed period k` lines, millisecond timestamps). Each network runs in two halves,
// in the order majority, two-thirds, two-thirds, majority, against the shared machine's
// drifting load. Majority mode needs one round of votes, two-thirds mode two (PREVOTE,
// then PRECOMMIT). Light load: a payment every 50 ms to each period's alpha.

import { percentile, type Row } from './report.ts';
import { Kind } from '../src/client/codec.ts';
import type { QuorumMode } from '../src/network.ts';
import { forwardingUntil, alphaOf, periodOf, startOf, type Timing } from '../src/schedule.ts';
import { signPayment } from '../src/transaction.ts';
import { testSigner } from '../test/helpers/keys.ts';
import { ProcessCluster } from '../test/helpers/processes.ts';

const period_ms = 500;

interface LatencyRun {
  readonly servers: number;
  readonly quorum: QuorumMode;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** (period, server) commits never seen in the logs. */
  readonly missing: number;
  readonly periods: number;
}

export async function commitLatencyBench(quick: boolean): Promise<Row> {
  const periods = Number(process.env.SCRYP_BENCH_PERIODS ?? (quick ? 8 : 30));
  // The machine is shared and its load drifts: each network runs twice, in the order
  // majority, two-thirds, two-thirds, majority (half the periods each time), so that a
  // drift over the run weighs on both modes alike.
  const half = Math.ceil(periods / 2);
  const samples = new Map<string, { latencies: number[]; missing: number; periods: number }>();
  for (const servers of [4, 7]) {
    for (const quorum of ['majority', 'two-thirds', 'two-thirds', 'majority'] as const) {
      const run = await latencyRun(servers, quorum, half);
      const key = `${quorum} ${servers}`;
      const sample = samples.get(key) ?? { latencies: [], missing: 0, periods: 0 };
      samples.set(key, { latencies: [...sample.latencies, ...run.latencies], missing: sample.missing + run.missing, periods: sample.periods + half });
    }
  }
  const runs: LatencyRun[] = [...samples].map(([key, sample]) => {
    const [quorum, servers] = key.split(' ') as [QuorumMode, string];
    return { servers: Number(servers), quorum, p50: percentile(sample.latencies, 50), p99: percentile(sample.latencies, 99), max: Math.max(...sample.latencies), missing: sample.missing, periods: sample.periods };
  });
  const of = (servers: number, quorum: QuorumMode) => runs.find((run) => run.servers === servers && run.quorum === quorum)!;
  const figure = (run: LatencyRun) => `p50 ${run.p50.toFixed(0)} ms, p99 ${run.p99.toFixed(0)} ms`;
  const ratio = (servers: number) => `${(of(servers, 'two-thirds').p50 / of(servers, 'majority').p50).toFixed(2)} × p50, ${(of(servers, 'two-thirds').p99 / of(servers, 'majority').p99).toFixed(2)} × p99`;
  const missing = runs.reduce((sum, run) => sum + run.missing, 0);
  return {
    row: 'commit latency',
    measured: `two-thirds: 4 servers ${figure(of(4, 'two-thirds'))}; 7 servers ${figure(of(7, 'two-thirds'))}`,
    reference: `majority, same run: 4 servers ${figure(of(4, 'majority'))}; 7 servers ${figure(of(7, 'majority'))}`,
    ratio: `4 servers ${ratio(4)}; 7 servers ${ratio(7)}`,
    target: 'two-thirds commits within the period',
    met: runs.every((run) => run.p99 < period_ms) && missing === 0,
    notes:
      `from the end of period k to its commit, on every server; ${periods} periods of ${period_ms} ms per network, in two halves run in the order majority, two-thirds, two-thirds, majority; light load (a payment every 50 ms to each period's alpha); ` +
      runs.map((run) => `${run.quorum} ${run.servers}: max ${run.max.toFixed(0)} ms, ${run.missing === 0 ? 'every commit seen' : `${run.missing} period×server commits missing`}`).join('; '),
  };
}

async function latencyRun(servers: number, quorum: QuorumMode, periods: number): Promise<{ latencies: number[]; missing: number }> {
  const cluster = await ProcessCluster.create({ servers, periodMs: period_ms, blackoutMs: 50, skewMs: 250, quorum, name: `latency-${quorum}-${servers}` });
  try {
    const timing: Timing = { periodMs: period_ms, blackoutMs: 50, skewMs: 250 };
    for (const server of cluster.servers) cluster.start(server.index, ['--log-level', 'info']);
    const everyone = cluster.servers.map((server) => server.index);
    const up = await cluster.until(async () => (await Promise.all(everyone.map((i) => cluster.info(i)))).every((info) => info !== null && info.committedPeriod > 0), 30_000, 100);
    if (!up) throw new Error(`bench: the ${quorum} network of ${servers} did not start committing\n${cluster.logs()}`);
    const first = periodOf(timing, Date.now()) + 2;
    const last = first + periods - 1;
    // Light load: each payment to the alpha of its period, stamped before the blackout.
    const client = await cluster.udp();
    const payer = cluster.wallets[0]!;
    const payee = testSigner('latency payee').publicKey;
    while (Date.now() < startOf(timing, last + 1)) {
      const now = Date.now();
      const period = periodOf(timing, now);
      if (period >= first && now < forwardingUntil(timing, period) - 20) {
        const alpha = cluster.network.servers[alphaOf(servers, period)]!;
        const tx = signPayment(payer, cluster.network.id, { timestamp: now, amount: 1, payee });
        void client.ask(alpha.address, { kind: Kind.PAY, transaction: tx }, { networkId: cluster.network.id, serverKey: alpha.key, attempts: 1, timeoutMs: 100 }).catch(() => {});
      }
      await Bun.sleep(50);
    }
    // The last period is proposed at the start of the next; give its commit time to be logged.
    await Bun.sleep(startOf(timing, last + 1) + period_ms - Date.now());
    const latencies: number[] = [];
    let missing = 0;
    for (const server of cluster.servers) {
      const committedAt = new Map<number, number>();
      for (const match of server.log.matchAll(/^(\S+) INFO\s+\[consensus\] committed period (\d+):/gm)) committedAt.set(Number(match[2]), Date.parse(match[1]!));
      for (let period = first; period <= last; period++) {
        const at = committedAt.get(period);
        if (at === undefined) missing++;
        else latencies.push(at - startOf(timing, period + 1));
      }
    }
    return { latencies, missing };
  } finally {
    await cluster.stop();
  }
}
