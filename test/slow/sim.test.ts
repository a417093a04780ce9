// The long simulation: random seeds, every server count and fault mix, for a time budget.
// Runs under `bun run test:slow` (SCRYP_SLOW=1). Each seed is printed before it runs, so a
// failure can be replayed with `bun run sim --seed S ...` (the command is in the report).
//
//   SCRYP_SIM_BUDGET_S   wall-time budget in seconds (default 300)
//   SCRYP_SIM_SEED       the first seed (default: random, printed)
//   SCRYP_SIM_PERIODS    periods of faults per run (default 400)

import { expect, test } from 'bun:test';
import { failureLines, summaryLine } from '../../src/sim/report.ts';
import { type SimOptions, simulate } from '../../src/sim/simulator.ts';
import type { FaultMode } from '../../src/sim/faults.ts';

const slow = process.env.SCRYP_SLOW === '1';

if (!slow) {
  test('the long simulation runs only under bun run test:slow', () => {
    expect(slow).toBe(false);
  });
} else {
  const budgetMs = Number(process.env.SCRYP_SIM_BUDGET_S ?? '300') * 1000;
  const periods = Number(process.env.SCRYP_SIM_PERIODS ?? '400');
  const firstSeed = process.env.SCRYP_SIM_SEED !== undefined ? Number(process.env.SCRYP_SIM_SEED) : crypto.getRandomValues(new Uint32Array(1))[0]!;
  const serverCounts = [1, 2, 3, 4, 5, 6, 7, 9];
  const modes: FaultMode[] = ['none', 'light', 'heavy', 'heavy'];

  test(
    `random seeds from ${firstSeed} for ${budgetMs / 1000} s`,
    () => {
      const started = performance.now();
      let runs = 0;
      let simulated = 0;
      const known: string[] = [];
      for (let seed = firstSeed; performance.now() - started < budgetMs; seed++) {
        const options: SimOptions = { seed, servers: serverCounts[seed % serverCounts.length]!, periods, faults: modes[Math.floor(seed / serverCounts.length) % modes.length]! };
        process.stdout.write(`sim: seed ${seed}, ${options.servers} servers, ${options.faults}\n`);
        const report = simulate(options);
        runs++;
        simulated += report.stats.periods;
        process.stdout.write(`  ${summaryLine(report)}\n`);
        if (!report.ok) {
          process.stdout.write(`${failureLines(report).slice(0, 7).join('\n')}\n`);
          // A known issue whose root cause is outside core.ts (docs/RELIABILITY.md) is
          // reported, loudly, but does not stop the search; anything else fails the suite.
          if (report.violation!.knownIssue !== null) {
            known.push(`seed ${seed} (${options.servers} servers, ${options.faults}): ${report.violation!.knownIssue}`);
            continue;
          }
          throw new Error(`seed ${seed}: ${report.violation!.invariant}: ${report.violation!.detail}`);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`sim: ${runs} seeds, ${simulated} periods in ${seconds.toFixed(0)} s (${Math.round((simulated / seconds) * 60)} periods/minute)\n`);
      if (known.length > 0) process.stdout.write(`sim: KNOWN ISSUES (not fixed, see docs/RELIABILITY.md):\n${known.map((line) => `  ${line}`).join('\n')}\n`);
      expect(runs).toBeGreaterThan(0);
    },
    budgetMs + 600_000,
  );
}
