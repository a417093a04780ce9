// Rows "confirmation (period P ms)": `scryp pay` to committed as a person sees it, process
// start included. Three servers of the compiled executable on loopback; payments made one
// after another at random instants of the period (a random pause between them), each
// timed from spawning `dist/scryp pay` to its exit with "committed".
//
// The floor of each payment is the wait for its period to end (uniform over one period:
// 0.5 × period on average) plus one commit; the reference, measured in the same run, is
// that floor as it fell for these very payments — from the spawn to the end of the first
// period that could take the payment (the next one when it is signed in the blackout) —
// and the executable's own start-up (`scryp --version`).
// Targets (issue 10): p50 ≤ 0.5 × period + 100 ms and p99 ≤ period + 150 ms.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { acceptingUntil } from '../src/schedule.ts';
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

async function confirmationAt(periodMs: number, payments: number): Promise<Row> {
  const cluster = await ProcessCluster.create({ periodMs, wallets: [{ label: 'genesis', balance: 1_000_000 }] });
  try {
    cluster.startAll();
    const wallet = join(cluster.base, 'payer');
    mkdirSync(wallet);
    writeFileSync(join(wallet, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
    const payee = toHex(testSigner('wallet bench payee').publicKey);
    const ready = await cluster.until(async () => {
      const infos = await Promise.all(cluster.servers.map((server) => cluster.info(server.index)));
      return infos.every((info) => info !== null && info.committedPeriod > 0);
    }, 20_000);
    if (!ready) throw new Error(`bench confirmation: the servers did not commit\n${cluster.logs()}`);
    await Bun.sleep(2 * periodMs); // every server has seen a whole period start: alphas accept
    const startup = await versionMs(5);
    const timing = { periodMs, blackoutMs: cluster.network.blackoutMs, skewMs: cluster.network.skewMs, serverCount: cluster.network.servers.length };
    const times: number[] = [];
    const floors: number[] = [];
    let failures = 0;
    for (let i = 0; i < payments; i++) {
      await Bun.sleep(Math.random() * periodMs);
      const spawnedAt = Date.now();
      const t = performance.now();
      const child = Bun.spawn([binary, 'pay', '--network', cluster.networkFile, '--dir', wallet, '--to', payee, '--amount', '1', '--log-level', 'warn'], {
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const code = await child.exited;
      const elapsed = performance.now() - t;
      if (code !== 0) {
        failures++;
        continue;
      }
      times.push(elapsed);
      // The payment is signed about `startup` after the spawn; the first period that can take
      // it is that instant's, unless it falls in the blackout (PROTOCOL §4), then the next.
      const signedAt = spawnedAt + startup;
      const period = Math.floor(signedAt / periodMs) + (signedAt >= acceptingUntil(timing, Math.floor(signedAt / periodMs)) ? 1 : 0);
      floors.push((period + 1) * periodMs - spawnedAt);
    }
    if (times.length === 0) throw new Error(`bench confirmation: no payment committed\n${cluster.logs()}`);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    const floor50 = percentile(floors, 50);
    const p50Target = 0.5 * periodMs + 100;
    const p99Target = periodMs + 150;
    return {
      row: `confirmation (period ${periodMs} ms)`,
      measured: `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (${times.length} payments${failures > 0 ? `, ${failures} not committed` : ''})`,
      reference: `floor (wait for the period's end) p50 ${floor50.toFixed(0)} ms; scryp --version ${startup.toFixed(0)} ms`,
      ratio: `p50 − floor ${(p50 - floor50).toFixed(0)} ms`,
      target: `p50 ≤ ${p50Target} ms, p99 ≤ ${p99Target} ms`,
      met: p50 <= p50Target && p99 <= p99Target && failures === 0,
    };
  } finally {
    await cluster.stop();
  }
}

export async function confirmationBench(quick: boolean): Promise<Row[]> {
  const payments = quick ? 8 : 200;
  return [await confirmationAt(1000, payments), await confirmationAt(250, payments)];
}
