// Row "ingest": payments per second accepted by one alpha from UDP on loopback, the load
// coming from a separate process (bench/loadgen.ts) with pre-signed payments and resends.
// A one-server network, so that the server is the alpha of every period; one long period,
// so that the run measures admission, not commits. Reference: native verify rate, 1 core.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, utf8 } from '../src/bytes.ts';
import { sha256 } from '../src/hash.ts';
import { parseNetwork } from '../src/network.ts';
import { type InfoBody, Kind, Status } from '../src/client/codec.ts';
import { UdpClient } from '../src/client/udp-client.ts';
import { formatSeed } from '../src/seed.ts';
import { signerFromSeed } from '../src/signature.ts';
import { signPayment } from '../src/transaction.ts';
import { encodePaymentList } from '../src/payment-list.ts';
import { binary, ensureBinary, freePorts } from '../test/helpers/processes.ts';
import { cpus } from 'node:os';
import { formatRate, type Row, threadCpuMsOf } from './report.ts';

/** Time between the node answering and the start of the load's period: enough to sign the payments. */
const load_lead_ms = 3_000;

/** Resolves once the node answers INFO (it needs a moment to start); throws if it dies or never does. */
/** Until the node answers INFO with a committed period: a fresh network's alpha takes no payment before its first commit (PROTOCOL §5.4). */
async function untilCommitted(port: number, networkId: Uint8Array, child: { exitCode: number | null }): Promise<void> {
  const client = await UdpClient.open();
  try {
    // A node started within a period first commits the next one, at its end: up to two 10 s periods.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`bench: the node exited with ${child.exitCode} at start`);
      try {
        const reply = await client.ask({ host: '127.0.0.1', port }, { kind: Kind.INFO }, { networkId, attempts: 1, timeoutMs: 200 });
        if (reply.status === Status.OK && (reply.body as InfoBody).committedPeriod > 0) return;
      } catch {
        // not up yet
      }
      await Bun.sleep(50);
    }
    throw new Error('bench: the node never answered INFO with a committed period');
  } finally {
    client.close();
  }
}

interface IngestRun {
  readonly result: { payments: number; sends: number; accepted: number; lost: number; seconds: number; cpuMs: number; statuses: Record<string, number> };
  readonly output: string;
  readonly nativeRate: number;
  readonly payerCount: number;
  readonly window: number;
  readonly used: (readonly [string, number])[];
  /** Scrapes of /metrics made during the load (with --metrics only). */
  readonly scrapes: number;
}

/** The loads of the ingest row: real traffic pays new accounts all the time, old ones too, and some with a reference. */
const ingestLoads = [
  { name: 'new payees', payees: 'new', referenceShare: 0 },
  { name: 'existing payees', payees: 'existing', referenceShare: 0 },
  { name: 'new payees, half with a reference', payees: 'new', referenceShare: 0.5 },
] as const;

/**
 * Row "ingest": three loads one after the other, each beside native verify measured right
 * before and after it: every payment to a payee the node never saw (its point decode is on
 * the payment's path), every payment to one of the 1,000 payers, and new payees with every
 * other payment in the 148-byte form (PAYREF). The ratio is the lowest of the three.
 */
export async function ingestBench(quick: boolean, measureNative: (ms: number) => number): Promise<Row> {
  const outcomes: { name: string; rate: number; ratio: number; lossRate: number; nativeRate: number; note: string }[] = [];
  for (const load of ingestLoads) {
    const run = await ingestRun(quick, measureNative, false, load.referenceShare, load.payees);
    const { result, output, nativeRate, payerCount, window, used } = run;
    const rate = result.accepted / result.seconds;
    // DUPLICATE is the answer to a resend whose first reply was lost; more of them than
    // resends would mean the generated payments repeat.
    if ((result.statuses[String(0x13)] ?? 0) > result.sends - result.payments) throw new Error(`bench: the generated payments repeat (DUPLICATE answers): ${output}`);
    // Where the CPU went, per payment accepted: the node's threads and the load generator.
    const perPayment = (ms: number) => `${((ms * 1000) / result.accepted).toFixed(0)} µs`;
    const nodeMs = used.reduce((sum, [, ms]) => sum + ms, 0);
    const cpu = `CPU per payment: node ${perPayment(nodeMs)} (${used.map(([name, ms]) => `${name} ${perPayment(ms)}`).join(', ')}), load generator ${perPayment(result.cpuMs)}; ${(((nodeMs + result.cpuMs) / 1000 / result.seconds) * 100).toFixed(0)}% of one core busy on average over ${cpus().length} cores`;
    outcomes.push({
      name: load.name,
      rate,
      ratio: rate / nativeRate,
      lossRate: (result.payments - result.accepted) / result.payments,
      nativeRate,
      note: `${load.name}: ${result.payments} payments from ${payerCount} payers, ${window} in flight, ${result.sends - result.payments} resends; statuses ${JSON.stringify(result.statuses)}. ${cpu}`,
    });
  }
  const worst = outcomes.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  const lossRate = Math.max(...outcomes.map((outcome) => outcome.lossRate));
  return {
    row: 'ingest',
    measured: `${outcomes.map((outcome) => `${outcome.name} ${formatRate(outcome.rate, 'payments/s')} (${outcome.ratio.toFixed(2)})`).join('; ')}; ${(lossRate * 100).toFixed(3)}% not accepted after resends at most`,
    reference: `native verify ${outcomes.map((outcome) => formatRate(outcome.nativeRate, '/s')).join(', ')} (1 core, around each load)`,
    ratio: `${worst.ratio.toFixed(2)} (${worst.name})`,
    target: '≥ 0.8 each, < 0.1% lost',
    met: worst.ratio >= 0.8 && lossRate < 0.001,
    notes: outcomes.map((outcome) => outcome.note).join(' — '),
  };
}

/**
 * Row "ingest references": the same load with half the payments in the 148-byte form with
 * a reference (sent with PAYREF), beside the same load with none, in turns (none, half,
 * half, none, none, half) so that the machine's drift falls on both alike. A payment with a
 * reference is 8 bytes longer and checked the same way: it must cost nothing measurable.
 * Compared by what a payment costs the node's threads in CPU time, which another process's
 * load on a shared machine disturbs far less than the wall-clock rate (both are shown).
 */
export async function ingestReferencesBench(quick: boolean, measureNative: (ms: number) => number): Promise<Row> {
  let lost = 0;
  const wallRates = { with: [] as number[], without: [] as number[] };
  const { with: half, without: none, rates: cpu } = await inTurns(quick, async (references) => {
    const run = await ingestRun(quick, measureNative, false, references ? 0.5 : 0);
    lost += run.result.payments - run.result.accepted;
    (references ? wallRates.with : wallRates.without).push(run.result.accepted / run.result.seconds);
    return (run.used.reduce((sum, [, ms]) => sum + ms, 0) * 1000) / run.result.accepted; // µs of the node's CPU per payment accepted
  });
  const ratio = half / none;
  const micros = (values: readonly number[]) => values.map((value) => `${value.toFixed(0)} µs`).join(', ');
  return {
    row: 'ingest references',
    measured: `half with a reference: ${half.toFixed(0)} µs of the node's CPU per payment (runs: ${micros(cpu.with)}); ${rateList(wallRates.with)} payments/s`,
    reference: `none: ${none.toFixed(0)} µs (runs: ${micros(cpu.without)}); ${rateList(wallRates.without)} payments/s`,
    ratio: ratio.toFixed(2),
    target: '≤ 1.05 (no measurable difference)',
    met: ratio <= 1.05,
    notes: `${quick ? 'one run each (--quick), none then half' : 'medians of three runs each, in the order none half half none none half'}; every other payment of a "half" run is the 148-byte form, sent with PAYREF; CPU is every thread of the node (threadCpuMsOf), per payment accepted; ${lost} payments not accepted after resends in all ${quick ? 'two' : 'six'} runs`,
  };
}

/**
 * Row "ingest metrics": the same load with `--metrics` on and /metrics scraped every
 * second (15 times Prometheus's usual 15 s), beside the same load without, in turns
 * (off, on, on, off, off, on) so that the machine's drift falls on both alike. The metrics must
 * cost nothing measurable on the hot path: the node counts as it always did and every
 * gauge is read at scrape time.
 */
export async function ingestMetricsBench(quick: boolean, measureNative: (ms: number) => number): Promise<Row> {
  let scrapes = 0;
  const { with: on, without: off, rates } = await inTurns(quick, async (metrics) => {
    const run = await ingestRun(quick, measureNative, metrics);
    scrapes += run.scrapes;
    return run.result.accepted / run.result.seconds;
  });
  const ratio = on / off;
  return {
    row: 'ingest metrics',
    measured: `${formatRate(on, 'payments/s')} with --metrics (runs: ${rateList(rates.with)})`,
    reference: `${formatRate(off, 'payments/s')} without (runs: ${rateList(rates.without)})`,
    ratio: ratio.toFixed(2),
    target: '≥ 0.95 (no measurable cost)',
    met: ratio >= 0.95,
    notes: `${quick ? 'one run each (--quick), off then on' : 'medians of three runs each, in the order off on on off off on'}; ${scrapes} scrapes of /metrics during the loads with it on`,
  };
}

/**
 * Three runs with a thing and three without, in turns (without, with, with, without,
 * without, with) so that the machine's drift falls on both alike; the median of each three
 * (on a shared machine one run in a few is slowed by someone else's work).
 */
async function inTurns(quick: boolean, run: (withIt: boolean) => Promise<number>): Promise<{ with: number; without: number; rates: { with: number[]; without: number[] } }> {
  const rates = { with: [] as number[], without: [] as number[] };
  // A --quick run (CI's smoke test, figures not kept) runs one of each: it checks that both work.
  for (const withIt of quick ? [false, true] : [false, true, true, false, false, true]) (withIt ? rates.with : rates.without).push(await run(withIt));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { with: median(rates.with), without: median(rates.without), rates };
}

const rateList = (values: readonly number[]) => values.map((rate) => formatRate(rate, '/s')).join(', ');

/** Payees never seen by the node: every payment of a "new payees" load pays one of these (made once per bench process). */
let newPayeeKeys: Uint8Array[] = [];
function newPayees(count: number): Uint8Array[] {
  while (newPayeeKeys.length < count) newPayeeKeys.push(signerFromSeed(sha256(utf8(`bench ingest new payee ${newPayeeKeys.length}`))).publicKey);
  return newPayeeKeys;
}

async function ingestRun(quick: boolean, measureNative: (ms: number) => number, metrics: boolean, referenceShare = 0, payees: 'existing' | 'new' = 'existing'): Promise<IngestRun> {
  ensureBinary();
  const payments = quick ? 5_000 : 50_000;
  const payerCount = quick ? 100 : 1_000;
  // Payments in flight at once (SCRYP_BENCH_WINDOW to try others).
  const window = Number(process.env.SCRYP_BENCH_WINDOW ?? 512);
  const base = mkdtempSync(join(tmpdir(), 'scryp-bench-ingest-'));
  try {
    const [port, metricsPort] = await freePorts(2);
    const serverSeed = sha256(utf8('bench ingest server'));
    const server = signerFromSeed(serverSeed);
    const payers = Array.from({ length: payerCount }, (_, i) => signerFromSeed(sha256(utf8(`bench ingest payer ${i}`))));
    const fresh = payees === 'new' ? newPayees(payments) : [];
    const periodMs = 10_000;
    const json = {
      name: 'bench-ingest',
      period_ms: periodMs,
      blackout_ms: 100,
      skew_ms: periodMs - 1,
      servers: [{ key: toHex(server.publicKey), ip: `127.0.0.1:${port}` }],
      genesis: payers.map((payer) => ({ account: toHex(payer.publicKey), balance: 1_000_000 })),
    };
    const network = parseNetwork(json);
    writeFileSync(join(base, 'network.json'), JSON.stringify(json));
    const dir = join(base, 'server');
    mkdirSync(dir);
    writeFileSync(join(dir, '.seed'), formatSeed(serverSeed), { mode: 0o600 });

    // The server must see the load's period from its start: it never accepts payments for
    // a period it joined half way (it could have lost an earlier batch of that period).
    const command = process.env.SCRYP_BENCH_NODE_COMMAND?.split(' ') ?? [binary];
    const child = Bun.spawn(
      [...command, 'node', '--network', join(base, 'network.json'), '--dir', dir, '--log-level', 'warn', '--client-rate', '1000000', ...(metrics ? ['--metrics', `127.0.0.1:${metricsPort}`] : [])],
      { stdout: 'ignore', stderr: 'inherit' },
    );
    // The load's period starts once the node answers and has committed its first period (a
    // fresh network takes payments only from then on, PROTOCOL §5.4), and a few seconds on
    // (signing the payments takes that long): a node that started after the period began
    // would refuse it (UNAVAILABLE), and under load a start can take seconds (a run of 0 payments/s).
    await untilCommitted(port!, network.id, child);
    const timestamp = Math.floor((Date.now() + load_lead_ms) / periodMs + 1) * periodMs + 50;
    const file = join(base, 'payments.bin');
    const all: Uint8Array[] = [];
    for (let i = 0; i < payments; i++) {
      const payer = payers[i % payerCount]!;
      const payee = payees === 'new' ? fresh[i]! : payers[(i * 7 + 1) % payerCount]!.publicKey;
      // With a reference share, every 1/share-th payment carries a reference (the 148-byte form).
      const reference = referenceShare > 0 && i % Math.round(1 / referenceShare) === 0 ? BigInt(i + 1) : undefined;
      // (payer, timestamp) is unique: no two payments share a txid.
      all.push(signPayment(payer, network.id, { timestamp: timestamp + Math.floor(i / payerCount), amount: 1 + (i % 3), payee, ...(reference === undefined ? {} : { reference }) }));
    }
    writeFileSync(file, encodePaymentList(all)); // a payment list: what loadgen.ts reads
    // The reference, measured right before the load and right after it (the machine's
    // speed drifts: a rate taken a minute earlier in the verify row can be 30% off).
    const nativeBefore = measureNative(quick ? 200 : 1_000);
    // Wait until the load's period has begun.
    await Bun.sleep(Math.max(0, timestamp - Date.now()) + 300);
    const threadsBefore = threadCpuMsOf(child.pid);
    // Async, not spawnSync: spawnSync keeps this process busy, stealing a core from the run.
    const load = Bun.spawn(['bun', join(import.meta.dir, 'loadgen.ts'), '127.0.0.1', String(port), toHex(network.id), file, String(window)], { stdout: 'pipe', stderr: 'inherit' });
    let scrapes = 0;
    let loading = true;
    // With --metrics, scrape as an impatient Prometheus would while the load runs.
    const scraper = (async () => {
      while (metrics && loading) {
        const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((response) => response.text(), () => '');
        if (text.includes('scryp_payments_total')) scrapes++;
        await Bun.sleep(1_000);
      }
    })();
    const output = await new Response(load.stdout).text();
    await load.exited;
    loading = false;
    await scraper;
    const threadsAfter = threadCpuMsOf(child.pid);
    child.kill('SIGTERM');
    await child.exited;
    const nativeRate = (nativeBefore + measureNative(quick ? 200 : 1_000)) / 2;
    const result = JSON.parse(output) as IngestRun['result'];
    const used = [...threadsAfter].map(([name, ms]) => [name, ms - (threadsBefore.get(name) ?? 0)] as const).filter(([, ms]) => ms >= 50);
    if (metrics && scrapes === 0) throw new Error('bench: /metrics was never scraped during the load');
    return { result, output, nativeRate, payerCount, window, used, scrapes };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
