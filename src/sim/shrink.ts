// Shrinking: from a failing run, look for a smaller configuration that breaks the same
// invariant, so the trace to read is short. In order:
//   1. fewer periods: the run up to the failure, then shorter prefixes (the plan of the
//      first k periods does not depend on the run's length, so a prefix replays exactly);
//   2. fewer servers: each smaller count with the same seed and a few seeds after it;
//   3. fewer kinds of fault: each kind turned off in turn, kept off while it still fails
//      (each kind draws from its own stream, so the others keep their decisions);
//   4. a milder mode.
// Bounded by a number of runs. The result is a command line that replays it.

import { type FaultKind, fault_kinds, type FaultMode } from './faults.ts';
import { simulate, type SimOptions, type SimReport } from './simulator.ts';

export interface ShrinkResult {
  readonly options: SimOptions;
  readonly report: SimReport;
  readonly runs: number;
}

export function shrink(failing: SimReport, log: (line: string) => void, maxRuns = 150): ShrinkResult {
  const invariant = failing.violation!.invariant;
  let best: SimReport = failing;
  let runs = 0;
  const tryRun = (options: SimOptions): SimReport | null => {
    if (runs >= maxRuns) return null;
    runs++;
    const report = simulate({ ...options, live: undefined });
    const fails = !report.ok && report.violation!.invariant === invariant;
    log(`  try ${describe(options)}: ${fails ? `fails at period ${report.violation!.runPeriod}` : report.ok ? 'passes' : `fails otherwise (${report.violation!.invariant})`}`);
    if (fails && smaller(report, best)) best = report;
    return fails ? report : null;
  };

  // 1. Fewer periods.
  const failedAt = failing.violation!.runPeriod;
  if (failedAt < best.options.periods) tryRun({ ...best.options, periods: Math.max(0, failedAt) });
  for (let periods = Math.floor(best.options.periods / 2); periods >= 1 && runs < maxRuns; periods = Math.floor(periods / 2)) {
    if (tryRun({ ...best.options, periods }) === null) break;
  }

  // 2. Fewer servers.
  for (let servers = (best.options.byzantine ?? 0) + 1; servers < best.options.servers && runs < maxRuns; servers++) {
    let found = false;
    for (let offset = 0; offset < 6 && !found; offset++) {
      const report = tryRun({ ...best.options, servers, seed: best.options.seed + offset });
      found = report !== null;
    }
    if (found) break;
  }

  // 3. Fewer kinds of fault.
  for (const kind of fault_kinds) {
    const disabled = new Set<FaultKind>(best.options.disabled ?? []);
    if (disabled.has(kind) || best.options.faults === 'none') continue;
    disabled.add(kind);
    tryRun({ ...best.options, disabled });
  }

  // 4. A milder mode.
  const milder: FaultMode[] = best.options.faults === 'heavy' ? ['none', 'light'] : best.options.faults === 'light' ? ['none'] : [];
  for (const faults of milder) if (tryRun({ ...best.options, faults }) !== null) break;

  return { options: best.options, report: best, runs };
}

function weight(report: SimReport): number {
  const options = report.options;
  const mode = options.faults === 'none' ? 0 : options.faults === 'light' ? 1 : 2;
  const kinds = fault_kinds.length - (options.disabled?.size ?? 0);
  const failedAt = Math.min(options.periods, report.violation?.runPeriod ?? options.periods);
  return options.servers * 1e9 + mode * 1e8 + kinds * 1e7 + failedAt + options.periods / 1e6; // fewer periods break ties
}

function smaller(a: SimReport, b: SimReport): boolean {
  return weight(a) < weight(b);
}

function describe(options: SimOptions): string {
  const disabled = options.disabled !== undefined && options.disabled.size > 0 ? ` without ${[...options.disabled].join(',')}` : '';
  return `seed ${options.seed}, ${options.servers} servers, ${options.periods} periods, ${options.faults}${disabled}`;
}
