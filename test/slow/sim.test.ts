// The long simulation: random seeds, every server count and fault mix, for a time budget.
// Runs under `bun run test:slow` (SCRYP_SLOW=1). Each seed is printed before it runs, so a
// failure can be replayed with `bun run sim --seed S ...` (the command is in the report).
//
//   SCRYP_SIM_BUDGET_S   wall-time budget in seconds (default 300)
//   SCRYP_SIM_SEED       the first seed (default: random, printed)
//   SCRYP_SIM_PERIODS    periods of faults per run (default 400)
//
// Then the same with liars (issue 14, src/sim/byzantine.ts): two-thirds networks with f of
// them lying, and majority networks of three with one liar (a fork that every honest server
// must stop at). Every other seed (even ones) changes the server set too, with two spares
// (issue 19: the liars follow configurations; a change keeps them within what each
// configuration tolerates). A run that ends in a labelled known issue (docs/RELIABILITY.md:
// not fixed yet, root cause named) is listed and counted; any other failure fails the suite.
//
//   SCRYP_SIM_BYZANTINE_BUDGET_S   wall-time budget in seconds (default 180)
//   SCRYP_SIM_BYZANTINE_RUNS       at most this many runs (default 2000)
//   SCRYP_SIM_BYZANTINE_PERIODS    periods of faults per run (default 150)
//
// Every third seed of each search (seed mod 3 = 1) signs half its payments in the 148-byte
// form with a reference (issue 20), so both forms go through every shape of run.
//
// Then with server-set changes (issue 13): adds, removes, replaces and reorders at random
// during the faults, two spare servers to bring in (majority and two-thirds networks; the
// liars' search above runs changes as well).
//
//   SCRYP_SIM_CHANGES_BUDGET_S     wall-time budget in seconds (default 180)
//   SCRYP_SIM_CHANGES_PERIODS      periods of faults per run (default 200)

import { describe, expect, test } from 'bun:test';
import { failureLines, summaryLine } from '../../src/sim/report.ts';
import { type SimOptions, simulate } from '../../src/sim/simulator.ts';
import type { FaultMode } from '../../src/sim/faults.ts';

const slow = process.env.SCRYP_SLOW === '1';

/** Half the payments with a reference for every third seed, none for the others. */
const withReferences = (seed: number): Pick<SimOptions, 'references'> => (seed % 3 === 1 ? { references: 0.5 } : {});

// Skipped (and said so) without SCRYP_SLOW: a plain `bun test` stays fast.
describe.skipIf(!slow)('the long simulation (bun run test:slow)', () => {
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
      for (let seed = firstSeed; performance.now() - started < budgetMs; seed++) {
        const options: SimOptions = { seed, servers: serverCounts[seed % serverCounts.length]!, periods, faults: modes[Math.floor(seed / serverCounts.length) % modes.length]!, ...withReferences(seed) };
        process.stdout.write(`sim: seed ${seed}, ${options.servers} servers, ${options.faults}${options.references === undefined ? '' : ', references'}\n`);
        const report = simulate(options);
        runs++;
        simulated += report.stats.periods;
        process.stdout.write(`  ${summaryLine(report)}\n`);
        if (!report.ok) {
          // Every failure fails the suite, labelled known issues too: both are fixed (docs/RELIABILITY.md, bugs 5 and 9).
          process.stdout.write(`${failureLines(report).join('\n')}\n`);
          throw new Error(`seed ${seed}: ${report.violation!.invariant}${report.violation!.knownIssue === null ? '' : ` (known issue ${report.violation!.knownIssue})`}: ${report.violation!.detail}`);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`sim: ${runs} seeds, ${simulated} periods in ${seconds.toFixed(0)} s (${Math.round((simulated / seconds) * 60)} periods/minute)\n`);
      expect(runs).toBeGreaterThan(0);
    },
    budgetMs + 600_000,
  );

  const liarBudgetMs = Number(process.env.SCRYP_SIM_BYZANTINE_BUDGET_S ?? '180') * 1000;
  const liarRunsMax = Number(process.env.SCRYP_SIM_BYZANTINE_RUNS ?? '2000');
  const liarPeriods = Number(process.env.SCRYP_SIM_BYZANTINE_PERIODS ?? '150');
  // [servers, quorum, liars]: f liars where the quorum tolerates them, one where it does not.
  const liarShapes: [number, 'majority' | 'two-thirds', number][] = [
    [4, 'two-thirds', 1],
    [5, 'two-thirds', 1],
    [7, 'two-thirds', 2],
    [4, 'two-thirds', 1],
    [3, 'majority', 1],
  ];
  const liarModes: FaultMode[] = ['light', 'heavy', 'heavy', 'none'];

  test(
    `liars: random seeds from ${firstSeed} for ${liarBudgetMs / 1000} s`,
    () => {
      const started = performance.now();
      let runs = 0;
      let simulated = 0;
      let forks = 0;
      const known: string[] = [];
      for (let seed = firstSeed; runs < liarRunsMax && performance.now() - started < liarBudgetMs; seed++) {
        const [servers, quorum, byzantine] = liarShapes[seed % liarShapes.length]!;
        const options: SimOptions = {
          seed,
          servers,
          periods: liarPeriods,
          faults: liarModes[Math.floor(seed / liarShapes.length) % liarModes.length]!,
          quorum,
          byzantine,
          ...withReferences(seed),
          ...(seed % 2 === 0 ? { changes: true } : {}),
        };
        process.stdout.write(`sim: seed ${seed}, ${servers} servers, ${quorum}, ${byzantine} lying, ${options.faults}${options.changes === true ? ', changes' : ''}\n`);
        const report = simulate(options);
        runs++;
        simulated += report.stats.periods;
        forks += report.byzantine!.forksDetected;
        process.stdout.write(`  ${summaryLine(report)}\n`);
        if (report.ok) continue;
        process.stdout.write(`${failureLines(report).join('\n')}\n`);
        if (report.violation!.knownIssue !== null) {
          known.push(`${seed}: ${report.violation!.knownIssue}`);
          continue;
        }
        throw new Error(`seed ${seed} (${servers} servers, ${quorum}, ${byzantine} lying${options.changes === true ? ', changes' : ''}): ${report.violation!.invariant}: ${report.violation!.detail}`);
      }
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `sim with liars: ${runs} seeds, ${simulated} periods in ${seconds.toFixed(0)} s, ${forks} majority forks (every honest server stopped at each), known issues ${known.length === 0 ? 'none' : known.join(', ')}\n`,
      );
      expect(runs).toBeGreaterThan(0);
    },
    liarBudgetMs + 600_000,
  );

  const changesBudgetMs = Number(process.env.SCRYP_SIM_CHANGES_BUDGET_S ?? '180') * 1000;
  const changesPeriods = Number(process.env.SCRYP_SIM_CHANGES_PERIODS ?? '200');
  const changeServerCounts = [1, 2, 3, 4, 5, 7];
  const changeModes: FaultMode[] = ['light', 'heavy', 'heavy', 'none'];

  test(
    `random seeds with server-set changes from ${firstSeed} for ${changesBudgetMs / 1000} s`,
    () => {
      const started = performance.now();
      let runs = 0;
      let simulated = 0;
      let configurations = 0;
      let joined = 0;
      let removed = 0;
      for (let seed = firstSeed; performance.now() - started < changesBudgetMs; seed++) {
        const options: SimOptions = {
          seed,
          servers: changeServerCounts[seed % changeServerCounts.length]!,
          periods: changesPeriods,
          faults: changeModes[Math.floor(seed / changeServerCounts.length) % changeModes.length]!,
          changes: true,
          ...(seed % 3 === 2 ? { quorum: 'two-thirds' as const } : {}),
          ...withReferences(seed),
        };
        process.stdout.write(`sim: seed ${seed}, ${options.servers} servers and 2 spares, ${options.faults}, ${options.quorum ?? 'majority'}, changes\n`);
        const report = simulate(options);
        runs++;
        simulated += report.stats.periods;
        configurations += report.stats.configurationsAtEnd ?? 0;
        joined += report.stats.sparesThatVoted ?? 0;
        removed += report.stats.serversRemoved ?? 0;
        process.stdout.write(`  ${summaryLine(report)}; configuration ${report.stats.configurationsAtEnd ?? 0} at the end\n`);
        if (!report.ok) {
          process.stdout.write(`${failureLines(report).join('\n')}\n`);
          throw new Error(`seed ${seed} (changes): ${report.violation!.invariant}: ${report.violation!.detail}`);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `sim with changes: ${runs} seeds, ${simulated} periods in ${seconds.toFixed(0)} s, ${configurations} configurations committed, ${joined} spares brought in that voted, ${removed} servers removed\n`,
      );
      expect(runs).toBeGreaterThan(0);
    },
    changesBudgetMs + 600_000,
  );
});
