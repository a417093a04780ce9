// Row "finality": ms from the start of the beta period (when period k's PROPOSAL goes out)
// to the commit of period k, on each of 3 servers, with 10,000 payments in every period,
// 1-second periods, 100 periods. Payments come from a separate process (period-loadgen.ts)
// straight to each period's alpha. Commit times are read from the servers' own logs.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { utf8 } from '../src/bytes.ts';
import { encodePaymentList } from '../src/payment-list.ts';
import { sha256 } from '../src/hash.ts';
import { alphaOf, startOf, type Timing } from '../src/schedule.ts';
import { signerFromSeed } from '../src/signature.ts';
import { signPayment } from '../src/transaction.ts';
import { ProcessCluster } from '../test/helpers/processes.ts';
import { percentile, type Row, threadCpuMsOf } from './report.ts';

interface FinalityRun {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly missing: number;
  readonly periods: number;
  readonly perPeriod: number;
  readonly accepted: number;
  readonly sent: number;
  readonly lost: number;
  readonly meanApplied: number;
  readonly statuses: Record<string, number>;
  /** The three servers' CPU time (all threads) from the load's start to the last commit, per payment accepted, µs. */
  readonly cpuPerPaymentUs: number;
  /** The same percentiles over the second half of the periods (the ledger grown by the first). */
  readonly laterP50: number;
  readonly laterP99: number;
}

export async function finalityBench(quick: boolean): Promise<Row> {
  const periods = Number(process.env.SCRYP_BENCH_PERIODS ?? (quick ? 4 : 100));
  const lightLoad = Number(process.env.SCRYP_BENCH_LIGHT ?? 3_000);
  // The target load from an empty ledger to about a million payments, then, on that ledger,
  // a load this machine carries without saturating: what the protocol costs on a grown
  // ledger, apart from what a full CPU adds.
  const cluster = await finalityCluster();
  let target: FinalityRun;
  let light: FinalityRun | null;
  try {
    target = await cluster.load(periods, quick ? 1_000 : 10_000);
    light = quick ? null : await cluster.load(Math.min(periods, 30), lightLoad);
  } finally {
    await cluster.stop();
  }
  const allCommitted = target.missing === 0;
  return {
    row: 'finality',
    measured: `p50 ${target.p50.toFixed(0)} ms, p99 ${target.p99.toFixed(0)} ms, max ${target.max.toFixed(0)} ms; ${allCommitted ? 'every period committed' : `${target.missing} period×server commits missing`}`,
    reference: 'period 1000 ms',
    ratio: `p99 = ${(target.p99 / 1000).toFixed(3)} × period`,
    target: 'all committed; p99 ≤ 0.2 × period',
    met: allCommitted && target.p99 <= 200,
    notes:
      `3 servers, ${target.periods} periods of ${target.perPeriod.toLocaleString('en')} payments sent to each alpha: ${target.accepted.toLocaleString('en')} of ${target.sent.toLocaleString('en')} accepted, ` +
      `${target.lost.toLocaleString('en')} not answered before the seal, ${target.meanApplied.toFixed(0)} applied per period on average; statuses ${JSON.stringify(target.statuses)}; the second half of the periods: p50 ${target.laterP50.toFixed(0)} ms, p99 ${target.laterP99.toFixed(0)} ms` +
      (light === null
        ? ''
        : `. Then, on that ledger (${target.accepted.toLocaleString('en')} payments), ${light.perPeriod.toLocaleString('en')} payments per period (${light.periods} periods, ${light.accepted.toLocaleString('en')} of ${light.sent.toLocaleString('en')} accepted): p50 ${light.p50.toFixed(0)} ms, p99 ${light.p99.toFixed(0)} ms, ${light.missing === 0 ? 'every period committed' : `${light.missing} commits missing`}`),
  };
}

/**
 * Row "finality references": the finality run at a load this machine carries without
 * saturating (1,500 payments a period), with half the payments in the 148-byte form with a
 * reference, beside the same run with none, in turns (none, half, half, none, none, half) so that the
 * machine's drift falls on both alike. Both forms go through the same checks, batches and
 * commits: the half must cost nothing measurable. Compared by the servers' CPU time per
 * payment (accept, forward, propose, re-validate, commit, on all three), which a shared
 * machine disturbs far less than commit latency (shown too).
 */
export async function finalityReferencesBench(quick: boolean): Promise<Row> {
  const periods = quick ? 4 : 20;
  const perPeriod = quick ? 500 : 1_500;
  const runs = { none: [] as FinalityRun[], half: [] as FinalityRun[] };
  for (const share of [0, 0.5, 0.5, 0, 0, 0.5] as const) (share === 0 ? runs.none : runs.half).push(await finalityRun(periods, perPeriod, share));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const pooled = (list: FinalityRun[]) => ({
    cpu: median(list.map((run) => run.cpuPerPaymentUs)),
    p50: median(list.map((run) => run.p50)),
    p99: Math.max(...list.map((run) => run.p99)),
    missing: list.reduce((sum, run) => sum + run.missing, 0),
  });
  const half = pooled(runs.half);
  const none = pooled(runs.none);
  const ratio = half.cpu / none.cpu;
  const list = (values: FinalityRun[]) => values.map((run) => `${run.cpuPerPaymentUs.toFixed(0)} µs, p50 ${run.p50.toFixed(0)} / p99 ${run.p99.toFixed(0)} ms`).join('; ');
  const commits = (missing: number) => (missing === 0 ? 'every period committed' : `${missing} period×server commits missing`);
  return {
    row: 'finality references',
    measured: `half with a reference: ${half.cpu.toFixed(0)} µs of the servers' CPU per payment; commit p50 ${half.p50.toFixed(0)} ms, p99 ${half.p99.toFixed(0)} ms; ${commits(half.missing)}`,
    reference: `none: ${none.cpu.toFixed(0)} µs; commit p50 ${none.p50.toFixed(0)} ms, p99 ${none.p99.toFixed(0)} ms; ${commits(none.missing)}`,
    ratio: `CPU ${ratio.toFixed(2)} ×, p50 ${(half.p50 / none.p50).toFixed(2)} ×`,
    target: 'all committed; CPU per payment ≤ 1.05 × none',
    met: half.missing === 0 && none.missing === 0 && ratio <= 1.05,
    notes: `3 servers, ${periods} periods of ${perPeriod.toLocaleString('en')} payments a run, in the order none, half, half, none, none, half (medians of three; p99: their largest). Half: ${list(runs.half)}. None: ${list(runs.none)}. Accepted: ${[...runs.half, ...runs.none].map((run) => `${run.accepted.toLocaleString('en')} of ${run.sent.toLocaleString('en')}`).join(', ')}`,
  };
}

async function finalityRun(periods: number, perPeriod: number, referenceShare = 0): Promise<FinalityRun> {
  const cluster = await finalityCluster();
  try {
    return await cluster.load(periods, perPeriod, referenceShare);
  } finally {
    await cluster.stop();
  }
}

/** Three servers with 2,000 funded payers, 1-second periods; loads run one after the other on the same ledger. */
async function finalityCluster(): Promise<{ load(periods: number, perPeriod: number, referenceShare?: number): Promise<FinalityRun>; stop(): Promise<void> }> {
  const payerCount = 2_000;
  const periodMs = 1_000;
  const cluster = await ProcessCluster.create({
    servers: 3,
    periodMs,
    blackoutMs: 100,
    skewMs: 500,
    wallets: Array.from({ length: payerCount }, (_, i) => ({ label: `finality payer ${i}`, balance: 1_000_000 })),
  });
  const network = cluster.network;
  const timing: Timing = { periodMs, blackoutMs: 100, skewMs: 500 };
  const payers = cluster.wallets;
  const payee = signerFromSeed(sha256(utf8('finality payee'))).publicKey;
  try {
    for (const server of cluster.servers) cluster.start(server.index, ['--log-level', 'info', '--client-rate', '1000000']);
    if (!(await cluster.until(async () => (await Promise.all([0, 1, 2].map((i) => cluster.info(i)))).every((info) => info !== null), 20_000))) {
      throw new Error(`bench: servers did not start\n${cluster.logs()}`);
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  let loads = 0;
  const load = async (periods: number, perPeriod: number, referenceShare = 0): Promise<FinalityRun> => {
    loads++;
    // The load starts two periods from now, after signing; every payment is stamped inside
    // its period's accepting window, evenly spread, and goes to that period's alpha.
    const debug = (message: string) => process.env.SCRYP_BENCH_DEBUG && console.error(`finality: ${message}`);
    debug('servers up; signing');
    const signStart = performance.now();
    // Payments are signed for periods that have not begun: leave time for it, judged from a
    // sample signed now (the machine's speed varies too much for a fixed guess).
    const sampleStart = performance.now();
    for (let i = 0; i < 200; i++) signPayment(payers[i % payerCount]!, network.id, { timestamp: Date.now(), amount: 1, payee });
    const msPerSignature = (performance.now() - sampleStart) / 200;
    // Three times the sample's pace and two periods more: on a shared machine signing slows down as it goes.
    const first = Math.floor(Date.now() / periodMs) + 4 + Math.ceil((periods * perPeriod * msPerSignature * 3) / periodMs);
    // Records: the target server (the period's alpha) u8 || the payment as a payment list holds it (period-loadgen.ts).
    const records: Uint8Array[] = [];
    const window = periodMs - timing.blackoutMs - 80;
    for (let k = first; k < first + periods; k++) {
      const alpha = alphaOf(network.servers.length, k);
      for (let i = 0; i < perPeriod; i++) {
        const timestamp = startOf(timing, k) + 20 + Math.floor((i * window) / perPeriod);
        const payer = payers[(i + k) % payerCount]!;
        // With a reference share, every 1/share-th payment carries one (a fixed pattern, not a random one: runs compare alike).
        const reference = referenceShare > 0 && i % Math.round(1 / referenceShare) === 0 ? BigInt(k) * 100_000n + BigInt(i + 1) : undefined;
        const tx = signPayment(payer, network.id, { timestamp, amount: 1 + ((i >> 11) % 7), payee, ...(reference === undefined ? {} : { reference }) });
        records.push(Uint8Array.of(alpha), encodePaymentList([tx]));
      }
    }
    const signSeconds = (performance.now() - signStart) / 1000;
    if (Date.now() > startOf(timing, first) - 200) throw new Error(`bench: signing took ${signSeconds.toFixed(1)} s, past the first period`);
    const file = join(cluster.base, `finality-payments-${loads}.bin`);
    writeFileSync(file, Buffer.concat(records)); // not concat(...records): two million arguments overflow the stack
    const planFile = join(cluster.base, `plan-${loads}.json`);
    writeFileSync(planFile, JSON.stringify({ ports: cluster.servers.map((s) => s.port), periodMs, blackoutMs: timing.blackoutMs, file }));
    debug(`signed ${periods * perPeriod} in ${signSeconds.toFixed(1)} s; load starts at period ${first}`);
    const serversCpuMs = () => cluster.servers.reduce((sum, server) => sum + [...threadCpuMsOf(server.process!.pid).values()].reduce((a, b) => a + b, 0), 0);
    const cpuBefore = serversCpuMs();
    const load = Bun.spawn(['bun', join(import.meta.dir, 'period-loadgen.ts'), planFile], { stdout: 'pipe', stderr: 'inherit' });
    const output = await new Response(load.stdout).text();
    await load.exited;
    // Let the last period be proposed and committed.
    await Bun.sleep(startOf(timing, first + periods + 1) + 500 - Date.now());
    const cpuMs = serversCpuMs() - cpuBefore;
    debug(`load done: ${output.trim()}`);
    const sent = JSON.parse(output) as { payments: number; accepted: number; lost: number; statuses: Record<string, number> };

    const latencies: number[] = [];
    const later: number[] = [];
    let missing = 0;
    const applied: number[] = [];
    for (const server of cluster.servers) {
      const committedAt = new Map<number, { at: number; applied: number }>();
      for (const match of server.log.matchAll(/^(\S+) INFO\s+\[consensus\] committed period (\d+): (\d+) of (\d+) payments/gm)) {
        committedAt.set(Number(match[2]), { at: Date.parse(match[1]!), applied: Number(match[3]) });
      }
      for (let k = first; k < first + periods; k++) {
        const commit = committedAt.get(k);
        if (commit === undefined) {
          missing++;
          if (process.env.SCRYP_BENCH_DEBUG) {
            const around = server.log.split('\n').filter((line) => line.includes(String(k)) || line.includes(String(k + 1)) || /WARN|ERROR|void/.test(line));
            console.error(`server ${server.index} never committed period ${k}:\n${around.slice(0, 30).join('\n')}`);
          }
          continue;
        }
        latencies.push(commit.at - startOf(timing, k + 1));
        if (k >= first + periods / 2) later.push(commit.at - startOf(timing, k + 1));
        if (server.index === 0) applied.push(commit.applied);
      }
    }
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      missing,
      periods,
      perPeriod,
      accepted: sent.accepted,
      sent: sent.payments,
      lost: sent.lost,
      meanApplied: applied.reduce((a, b) => a + b, 0) / Math.max(1, applied.length),
      statuses: sent.statuses,
      cpuPerPaymentUs: (cpuMs * 1000) / Math.max(1, sent.accepted),
      laterP50: percentile(later, 50),
      laterP99: percentile(later, 99),
    };
  };
  return { load, stop: () => cluster.stop() };
}
