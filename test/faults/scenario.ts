// The frame every fault scenario shares: a seeded random source, the end-of-scenario
// checks in one place, and small figures helpers for the result lines.

import { afterAll, afterEach, describe, expect } from 'bun:test';
import { Prng } from '../helpers/prng.ts';
import { accountPayments, checkLedgers, listProblems, type Accounting, type LedgerCheck } from './checks.ts';
import type { FaultCluster } from './cluster.ts';
import { PaymentLoad } from './load.ts';
import { cleanupAll, faults_enabled, finishRun } from './run.ts';
import { ClusterWatch } from './watch.ts';

/** The scenario's random choices: SCRYP_FAULTS_SEED, or a fresh seed (printed, to replay the choices). */
export function scenarioPrng(scenario: string): Prng {
  const fixed = process.env.SCRYP_FAULTS_SEED;
  const seed = fixed !== undefined && fixed !== '' ? Number(fixed) >>> 0 : crypto.getRandomValues(new Uint32Array(1))[0]!;
  console.log(`fault suite: ${scenario}: seed ${seed} (SCRYP_FAULTS_SEED=${seed} repeats these choices; the timing of real processes still varies)`);
  return new Prng(seed);
}

/** Undoes everything the test made (processes, mounts, namespaces), whether it passed or not. */
export function cleanupScenario(cluster: FaultCluster | null): void {
  cluster?.close();
  const problems = cleanupAll();
  if (problems.length > 0) console.log(`fault suite: cleanup problems: ${problems.join('; ')}`);
}

/** Where a fault file keeps the cluster of the test in progress, for the cleanup after it. */
export interface ClusterHolder {
  cluster: FaultCluster | null;
}

/**
 * Registers a fault file's tests, skipped without SCRYP_FAULTS=1 (so a plain `bun test`
 * stays fast and needs no root, and says what it skipped); with it, everything the test
 * made is undone after each one, and the run's summary is written at the end.
 */
export function faultTests(what: string, holder: ClusterHolder, register: () => void): void {
  describe.skipIf(!faults_enabled)(`${what} (bun run test:faults)`, () => {
    afterEach(() => {
      cleanupScenario(holder.cluster);
      holder.cluster = null;
    });
    afterAll(() => void finishRun());
    register();
  });
}

/**
 * Starts every server of the scenario's cluster (kept in `holder` for the cleanup), waits
 * until they are in step, and starts a payment every `everyMs`: where every fault begins.
 */
export async function startUnderLoad(holder: ClusterHolder, c: FaultCluster, prng: Prng, everyMs: number): Promise<{ watch: ClusterWatch; load: PaymentLoad }> {
  holder.cluster = c;
  c.startAll();
  const watch = new ClusterWatch(c);
  watch.start();
  expect((await watch.inStep(c.indexes, Date.now(), 1, 15_000)).ms, c.logs()).not.toBeNull();
  const load = new PaymentLoad(c, prng, { everyMs });
  load.start();
  return { watch, load };
}

export interface Settled {
  readonly accounting: Accounting;
  readonly ledgers: LedgerCheck;
  /** The committed period every server reached at the end. */
  readonly finalPeriod: number;
  /** ERROR lines the servers logged, by message (times and numbers left out), with counts. */
  readonly errorLines: Record<string, number>;
}

/** ERROR lines of a log, with digits blanked so that one kind of line counts once. */
function errorKinds(logs: readonly string[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const log of logs) {
    for (const line of log.split('\n')) {
      const match = /^\S+ ERROR (.*)$/.exec(line);
      if (match === null) continue;
      const kind = match[1]!.replace(/[0-9a-f]{16,}/g, '…').replace(/\d+/g, 'N').slice(0, 160);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  return kinds;
}

/**
 * The end of every scenario: the load stops, the servers get back in step and decide the
 * last periods, every payment is accounted for by a majority, the servers stop (SIGTERM:
 * they log their counters), and their ledger files are checked against each other and
 * against the verdicts. Asserts everything; returns the figures.
 */
export async function settleAndCheck(cluster: FaultCluster, watch: ClusterWatch, load: PaymentLoad | null, options: { storageExits?: boolean } = {}): Promise<Settled> {
  await load?.stop();
  const period = cluster.periodMs;
  const step = await watch.inStep(cluster.indexes, Date.now(), 0, 20 * period);
  expect(step.ms, `servers back in step at the end: ${step.lastSeen}\n${cluster.logs()}`).not.toBeNull();
  // A payment of period k is decided once k + 1 is: three periods leave room for a void one.
  await Bun.sleep(3 * period);
  const accounting = await accountPayments(cluster, load?.payments ?? []);
  const final = await watch.inStep(cluster.indexes, Date.now(), 0, 20 * period);
  await watch.stop();
  await cluster.stopAll();
  for (const server of cluster.servers) {
    watch.archivePaused.delete(server.index);
    watch.checkArchive(server.index);
  }
  const ledgers = checkLedgers(cluster, accounting.verdicts);
  cluster.saveLogs();
  expect(listProblems(watch.violations), 'commits never undone, one hash per period').toBe('none');
  expect(listProblems(accounting.problems), 'every payment decided by a majority, never both ways').toBe('none');
  expect(listProblems(ledgers.problems), 'ledger files').toBe('none');
  const finalPeriod = Math.max(...ledgers.reports.map((report) => report?.committed.period ?? 0));
  expect(final.ms, final.lastSeen).not.toBeNull();
  // Every process ended the way the test ended it (SIGKILL, or SIGTERM: code 0 after its
  // counters line), or, where the scenario breaks a disk, with 74: never an internal error.
  for (const server of cluster.servers) {
    for (const exit of server.exits) {
      const expected = exit.signal === 'SIGKILL' || exit.code === 0 || (exit.code === 74 && options.storageExits === true);
      expect(expected, `server ${server.index} exited with code ${exit.code}, signal ${exit.signal}\n${cluster.logs()}`).toBe(true);
    }
    expect(server.exits[server.exits.length - 1]?.code, `server ${server.index} stopped cleanly on SIGTERM`).toBe(0);
    expect(cluster.counters(server.index), `server ${server.index} logged its counters`).not.toBeNull();
  }
  const errorLines = errorKinds(cluster.servers.map((server) => server.log));
  for (const kind of Object.keys(errorLines)) expect(kind, 'no server hit an internal error').not.toMatch(/internal error|assertion failed/);
  return { accounting, ledgers, finalPeriod, errorLines };
}

export function summarize(values: readonly number[]): { count: number; min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, min: sorted[0] ?? NaN, median: sorted[Math.floor(sorted.length / 2)] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}
