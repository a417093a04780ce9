// Row "simulator": simulated periods per minute of CPU, the deterministic simulator of
// src/sim (the real ServerCore, 5 servers, light faults, seed 12345, 3,000 periods and the
// calm tail, as issue 21 measured it), run as its own process (`bun run sim`) so that its
// CPU time is its own; beside native Ed25519 verifies per second on one core, measured
// right before and after it. The ratio (periods/min per verify/s) compares runs on
// machines, or minutes of a shared machine, of different speeds.

import { join } from 'node:path';
import { formatRate, type Row } from './report.ts';

const seed = 12345;
const servers = 5;

export async function simulatorBench(quick: boolean, measureNative: (ms: number) => number): Promise<Row> {
  const periods = quick ? 300 : 3_000;
  const nativeBefore = measureNative(quick ? 200 : 1_000);
  const child = Bun.spawn(['bun', join(import.meta.dir, '..', 'src', 'sim', 'main.ts'), '--seed', String(seed), '--servers', String(servers), '--periods', String(periods), '--json'], {
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const output = await new Response(child.stdout).text();
  const code = await child.exited;
  const usage = child.resourceUsage();
  const nativeRate = (nativeBefore + measureNative(quick ? 200 : 1_000)) / 2;
  if (code !== 0 || usage === undefined) throw new Error(`bench simulator: the run failed (exit ${code}): ${output.slice(0, 2_000)}`);
  const report = JSON.parse(output) as { digest: string; wallMs: number; stats: { periods: number; committedPeriods: number } };
  const cpuSeconds = Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6;
  const perMinute = (report.stats.periods / cpuSeconds) * 60;
  const ratio = perMinute / nativeRate;
  return {
    row: 'simulator',
    measured: `${formatRate(perMinute, 'periods/min')} of CPU (${report.stats.periods.toLocaleString('en')} periods, ${servers} servers, seed ${seed}: ${cpuSeconds.toFixed(1)} s CPU, ${(report.wallMs / 1000).toFixed(1)} s in the run)`,
    reference: `native verify ${formatRate(nativeRate, '/s')} (1 core)`,
    ratio: `${ratio.toFixed(2)} periods/min per verify/s`,
    target: '≥ 0.7',
    met: ratio >= 0.7,
    notes: `\`bun run sim --seed ${seed} --servers ${servers} --periods ${periods}\` (light faults, the fast signature stand-in), its process's CPU time (user + system, every thread); ${report.stats.committedPeriods.toLocaleString('en')} periods committed, digest ${report.digest}`,
  };
}
