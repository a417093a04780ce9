// How a simulation run is told: one line when it passes, the seed, the period, the
// invariant, the servers and the last events when it does not, and the command that
// replays it.

import type { SimOptions, SimReport } from './simulator.ts';

export function commandFor(options: SimOptions): string {
  const parts = [`bun run sim --seed ${options.seed} --servers ${options.servers} --periods ${options.periods} --faults ${options.faults}`];
  if (options.disabled !== undefined && options.disabled.size > 0) parts.push(`--disable ${[...options.disabled].join(',')}`);
  if (options.realCrypto === true) parts.push('--real-crypto');
  if (options.quorum !== undefined && options.quorum !== 'majority') parts.push(`--quorum ${options.quorum}`);
  if (options.byzantine !== undefined && options.byzantine > 0) parts.push(`--byzantine ${options.byzantine}`);
  if (options.twins === true) parts.push('--twins');
  if (options.changes === true) parts.push('--changes');
  if (options.references !== undefined && options.references > 0) parts.push(`--references ${options.references}`);
  return parts.join(' ');
}

export function summaryLine(report: SimReport): string {
  const { options, stats } = report;
  const violation = report.violation;
  const verdict = violation === null ? 'ok' : `FAILED ${violation.invariant}${violation.knownIssue === null ? '' : ` (known issue ${violation.knownIssue})`}`;
  return (
    `seed ${options.seed} servers ${options.servers} faults ${options.faults} periods ${stats.periods}: ${verdict}; ` +
    `committed ${stats.committedPeriods} periods, payments ${stats.paymentsAccepted} accepted / ${stats.paymentsCommitted} committed / ` +
    `${stats.paymentsVoidSkipped + stats.paymentsVoidRevalidation} void, ${stats.crashes} crashes, ${stats.partitions} partitions, ` +
    `${stats.snapshots} snapshots, digest ${report.digest}, ${Math.round(report.wallMs)} ms` +
    liarsText(report)
  );
}

/** What the liars did and what the honest servers caught, for a run with liars. */
function liarsText(report: SimReport): string {
  const liars = report.byzantine;
  if (liars === null) return '';
  const quorum = report.options.quorum ?? 'majority';
  return (
    `; liars ${liars.servers.map((server) => `s${server}`).join(',')} (${quorum}): ` +
    `${liars.evidenceExpected} conflicting pairs given to honest servers, ${liars.evidenceHeld} pieces of evidence held, ` +
    `${liars.forksDetected > 0 ? `FORK detected, ${liars.haltedServers} honest servers stopped` : 'no fork'}` +
    (quorum === 'two-thirds' && liars.commitLagMax > 0 ? `, in the calm the last commit at most ${liars.commitLagMax} ${liars.commitLagMax === 1 ? 'period' : 'periods'} back` : '')
  );
}

export function failureLines(report: SimReport): string[] {
  const violation = report.violation;
  if (violation === null) return [];
  return [
    `INVARIANT BROKEN: ${violation.invariant}${violation.knownIssue === null ? '' : ` — KNOWN ISSUE ${violation.knownIssue} (root cause outside core.ts, see docs/RELIABILITY.md)`}`,
    `  seed     ${report.options.seed}`,
    `  period   ${violation.period} (period ${violation.runPeriod} of the run; first period ${report.firstPeriod})`,
    `  servers  ${violation.servers.length === 0 ? '-' : violation.servers.join(', ')}`,
    `  detail   ${violation.detail}`,
    `  replay   ${commandFor(report.options)} --trace`,
    `last events (of the bounded trace; [p+k Nms] = period k of the run, N ms into it, global time):`,
    ...report.trace.map((line) => `  ${line}`),
  ];
}
