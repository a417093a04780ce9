// Rows "confirmation (...)": `scryp pay` to committed as a person sees it, process start
// included. Three servers of the compiled executable on loopback; payments made one after
// another at random instants of the period (a random pause between them), each timed from
// spawning `dist/scryp pay` to its exit with "committed". The wallet's directory keeps what
// it learnt of the servers (known-servers.json, from a first payment not timed), as a
// wallet's does: it signs and sends at once, straight to the alpha of the period it stamps.
//
// The floor of each payment is the wait for its period to end: the period its signature
// falls in (about scryp --version after the spawn), or the next one when that is in the
// period's last wallet_next_period_margin_ms (PROTOCOL §4). With the launch uniform over a
// period, the floor is uniform over (s, P + s] (s: the start-up and margin), so p50 is about
// 0.5 × P + s and p90 0.9 × P + s; what `scryp pay` adds is the commit (a few ms after the
// period's end) and noticing it (STATUS every 5 ms while a commit is due).
// Targets (issue 21): at period 1000 ms and blackout 100 ms, p50 ≤ 0.5 × P + 80 ms and
// p90 ≤ 0.9 × P + 150 ms over 40 payments; at the defaults of `network new` (period 2 s,
// blackout 500 ms) p50 ≤ 1.1 s; at 250 ms (issue 10) p50 ≤ 0.5 × P + 100, p99 ≤ P + 150.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { network_blackout_ms_default, network_period_ms_default, network_skew_ms_default, wallet_next_period_margin_ms } from '../src/constants.ts';
import { formatSeed } from '../src/seed.ts';
import { binary, ProcessCluster } from '../test/helpers/processes.ts';
import { testSeed, testSigner } from '../test/helpers/keys.ts';
import { percentile, type Row } from './report.ts';

async function versionMs(runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await Bun.spawn([binary, '--version'], { stdout: 'ignore', stderr: 'ignore' }).exited;
    times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

interface Setting {
  readonly name: string;
  readonly periodMs: number;
  readonly blackoutMs: number;
  readonly skewMs?: number;
  readonly payments: number;
  /** The targets, from p50, p90 and p99. */
  readonly targets: { readonly p50: number; readonly p90?: number; readonly p99?: number };
}

async function confirmationAt(setting: Setting): Promise<Row> {
  const { periodMs, blackoutMs } = setting;
  const cluster = await ProcessCluster.create({ periodMs, blackoutMs, ...(setting.skewMs === undefined ? {} : { skewMs: setting.skewMs }), wallets: [{ label: 'genesis', balance: 1_000_000 }] });
  try {
    cluster.startAll();
    const wallet = join(cluster.base, 'payer');
    mkdirSync(wallet);
    writeFileSync(join(wallet, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
    // Every other payment pays an account the network has never seen (the payee check and a
    // new ledger entry, as real traffic has), the others one it has.
    const payeeOf = (i: number) => toHex(testSigner(i % 2 === 0 ? 'wallet bench payee' : `wallet bench new payee ${i}`).publicKey);
    const ready = await cluster.until(async () => {
      const infos = await Promise.all(cluster.servers.map((server) => cluster.info(server.index)));
      return infos.every((info) => info !== null && info.committedPeriod > 0);
    }, 20_000);
    if (!ready) throw new Error(`bench confirmation: the servers did not commit\n${cluster.logs()}`);
    await Bun.sleep(2 * periodMs); // every server has seen a whole period start: alphas accept
    const payOnce = (payee: string) =>
      Bun.spawn([binary, 'pay', '--network', cluster.networkFile, '--dir', wallet, '--to', payee, '--amount', '1', '--log-level', 'warn'], { stdout: 'pipe', stderr: 'pipe' });
    // A first payment, not timed, leaves the wallet knowing the servers (known-servers.json).
    if ((await payOnce(payeeOf(0)).exited) !== 0) throw new Error(`bench confirmation: the first payment failed\n${cluster.logs()}`);
    const startup = await versionMs(5);
    const times: number[] = [];
    const floors: number[] = [];
    let failures = 0;
    for (let i = 0; i < setting.payments; i++) {
      const payee = payeeOf(i + 1); // (derived before the clock starts)
      await Bun.sleep(Math.random() * periodMs);
      const spawnedAt = Date.now();
      const t = performance.now();
      const code = await payOnce(payee).exited;
      const elapsed = performance.now() - t;
      if (code !== 0) {
        failures++;
        continue;
      }
      times.push(elapsed);
      // Signed about `startup` after the spawn: that instant's period, or the next in its last margin.
      const signedAt = spawnedAt + startup;
      const period = Math.floor(signedAt / periodMs) + (signedAt >= (Math.floor(signedAt / periodMs) + 1) * periodMs - Math.min(wallet_next_period_margin_ms, blackoutMs) ? 1 : 0);
      floors.push((period + 1) * periodMs - spawnedAt);
    }
    if (times.length === 0) throw new Error(`bench confirmation: no payment committed\n${cluster.logs()}`);
    const p50 = percentile(times, 50);
    const p90 = percentile(times, 90);
    const p99 = percentile(times, 99);
    const { targets } = setting;
    const met = p50 <= targets.p50 && (targets.p90 === undefined || p90 <= targets.p90) && (targets.p99 === undefined || p99 <= targets.p99) && failures === 0;
    const targetText = [`p50 ≤ ${targets.p50} ms`, ...(targets.p90 === undefined ? [] : [`p90 ≤ ${targets.p90} ms`]), ...(targets.p99 === undefined ? [] : [`p99 ≤ ${targets.p99} ms`])].join(', ');
    return {
      row: `confirmation (${setting.name})`,
      measured: `p50 ${p50.toFixed(0)} ms, p90 ${p90.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (${times.length} payments${failures > 0 ? `, ${failures} not committed` : ''})`,
      reference: `floor (wait for the period's end) p50 ${percentile(floors, 50).toFixed(0)} ms, p90 ${percentile(floors, 90).toFixed(0)} ms; scryp --version ${startup.toFixed(0)} ms`,
      ratio: `p50 − floor ${(p50 - percentile(floors, 50)).toFixed(0)} ms, p90 − floor ${(p90 - percentile(floors, 90)).toFixed(0)} ms`,
      target: targetText,
      met,
      notes: `period ${periodMs} ms, blackout ${blackoutMs} ms; each payment launched at a random instant (a pause uniform over a period after the last one ended), timed from spawn to exit; the wallet's directory holds known-servers.json from a first payment; every other payment pays an account never seen before`,
    };
  } finally {
    await cluster.stop();
  }
}

export async function confirmationBench(quick: boolean): Promise<Row[]> {
  const payments = quick ? 6 : 40;
  return [
    await confirmationAt({ name: 'period 1000 ms', periodMs: 1000, blackoutMs: 100, payments, targets: { p50: 0.5 * 1000 + 80, p90: 0.9 * 1000 + 150 } }),
    await confirmationAt({
      name: `network new defaults, period ${network_period_ms_default} ms`,
      periodMs: network_period_ms_default,
      blackoutMs: network_blackout_ms_default,
      skewMs: network_skew_ms_default,
      payments: quick ? 4 : 30,
      targets: { p50: 1100 },
    }),
    await confirmationAt({ name: 'period 250 ms', periodMs: 250, blackoutMs: 25, payments, targets: { p50: 0.5 * 250 + 100, p99: 250 + 150 } }),
  ];
}
