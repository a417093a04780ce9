// Fault: a server's disk fails under it. Three servers on loopback, 400 ms periods, a steady
// payment load; one server (chosen at random) keeps its directory on a filesystem of its
// own (disk.ts):
//
//   - read-only: an ext4 filesystem (an image on a tmpfs, through a loop device) that the
//     kernel remounts read-only at a random instant, as after a disk error;
//   - full: a tmpfs of 8 MiB, filled with a file at a random instant.
//
// The server must stop cleanly: exit code 74 and the "storage failed (...); stopping" line,
// its ledger file consistent as of its last commit (checked on a copy, before anything
// repairs the disk) and holding everything it had committed. The other two go on
// committing. Once the disk is writable again (e2fsck and a fresh mount) or has room again
// (the file deleted), the server is started again and must be back in step within two
// periods of answering.
//
//   SCRYP_FAULTS=1 bun test --timeout 1800000 test/faults/disk.test.ts   (SCRYP_FAULTS_SEED=S repeats the choices)

import { expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkLedger } from '../helpers/ledger-check.ts';
import { FaultCluster } from './cluster.ts';
import { mountExt4, mountTmpfs } from './disk.ts';
import { report, scenarioDir } from './run.ts';
import { type ClusterHolder, faultTests, scenarioPrng, startUnderLoad, settleAndCheck } from './scenario.ts';

const period_ms = 400;

/** A copy of a server's ledger files (database, WAL, shared memory), to read without touching the disk. */
function copyLedger(dir: string, to: string): string {
  mkdirSync(to, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) {
    const file = join(dir, `ledger.sqlite${suffix}`);
    if (existsSync(file)) copyFileSync(file, join(to, `ledger.sqlite${suffix}`));
  }
  return to;
}

interface DiskFault {
  /** Mounts the victim's directory; returns the directory. */
  prepare(base: string): string;
  /** Breaks the disk under the running server. */
  fail(): void;
  /** Makes it usable again (the server has exited). */
  repair(): void;
}

const holder: ClusterHolder = { cluster: null };

async function diskScenario(name: string, makeFault: () => DiskFault): Promise<void> {
  const prng = scenarioPrng(name);
  const base = scenarioDir(name);
  const victim = prng.nextInt(3);
  const fault = makeFault();
  const victimDir = fault.prepare(base);
  const c = await FaultCluster.create({
    name: `faults-${name}`,
    servers: 3,
    periodMs: period_ms,
    wallets: [1, 2, 3].map((i) => ({ label: `${name} ${i}`, balance: 1_000_000 })),
    baseDir: base,
    dirOf: (index) => (index === victim ? victimDir : join(base, `server${index}`)),
  });
  const { watch, load } = await startUnderLoad(holder, c, prng, 25);
  await Bun.sleep(3 * period_ms + prng.between(0, period_ms - 1));
  const others = c.indexes.filter((i) => i !== victim);

  // The fault, at a random instant of a period.
  await watch.pollInfo();
  const committedBefore = watch.committedOf(victim);
  watch.archivePaused.add(victim);
  const failedAt = Date.now();
  fault.fail();
  const exit = await c.waitExit(victim, 10 * period_ms);
  const exitedAt = Date.now();
  const log = c.servers[victim]!.log;
  expect(exit, `server ${victim} stops after its disk failed\n${c.logs()}`).not.toBeNull();
  const storageLine = log.split('\n').find((line) => line.includes('storage failed (')) ?? '';

  // Its ledger as it left it: consistent, and nothing it had committed is missing.
  const copy = copyLedger(victimDir, join(base, 'victim-ledger-copy'));
  const left = checkLedger(copy, c.network);
  // The others go on without it.
  const othersAtExit = Math.max(...others.map((i) => watch.committedOf(i)));
  await Bun.sleep(5 * period_ms);
  await watch.pollInfo();
  const othersAdvanced = Math.max(...others.map((i) => watch.committedOf(i))) - othersAtExit;

  fault.repair();
  const repaired = checkLedger(victimDir, c.network);
  watch.archivePaused.delete(victim);
  watch.checkArchive(victim);
  const spawnedAt = Date.now();
  c.start(victim);
  const upAt = await c.waitUp(victim);
  expect(upAt, `server ${victim} answers after the repair\n${c.logs()}`).not.toBeNull();
  const step = await watch.inStep(c.indexes, upAt!, Math.max(...others.map((i) => watch.committedOf(i))), 20 * period_ms);
  await Bun.sleep(3 * period_ms);
  const settled = await settleAndCheck(c, watch, load, { storageExits: true });
  report(name, {
    victim,
    periodMs: period_ms,
    exitCode: exit?.code,
    exitSignal: exit?.signal,
    stopMs: exitedAt - failedAt,
    storageLine: storageLine.replace(/^\S+ /, '').slice(0, 200),
    ledgerLeft: { committed: left.committed.period, periods: left.periods.length, supply: left.supply },
    committedBeforeFault: committedBefore,
    othersAdvancedWhileDown: othersAdvanced,
    startupMs: upAt! - spawnedAt,
    rejoinMs: step.ms,
    payments: load.payments.length,
    committed: settled.accounting.committed,
    void: settled.accounting.void,
    finalPeriod: settled.finalPeriod,
    errorLines: settled.errorLines,
  });
  expect(exit!.code, `exit code (74 = storage failed)\n${log.split('\n').slice(-15).join('\n')}`).toBe(74);
  expect(storageLine, 'the log says why it stopped').toContain('stopping');
  expect(left.supply).toBe(c.network.supply);
  expect(left.committed.period, 'nothing it had committed is gone').toBeGreaterThanOrEqual(committedBefore);
  expect(repaired.committed.period, 'the repair changed nothing committed').toBe(left.committed.period);
  expect(othersAdvanced, 'the other two go on committing').toBeGreaterThanOrEqual(3);
  expect(step.ms, `back in step after the restart: ${step.lastSeen}`).not.toBeNull();
  expect(step.ms!, 'back in step within two periods').toBeLessThanOrEqual(2 * period_ms);
}

faultTests('disk faults', holder, () => {
  test(
    'a server directory made read-only mid-run: exit 74, ledger consistent, the others go on, it catches up once writable',
    () =>
      diskScenario('disk-read-only', () => {
        let disk: ReturnType<typeof mountExt4> | null = null;
        return {
          prepare: (base) => (disk = mountExt4(join(base, 'victim'), join(base, 'victim-image'), 16 * 1024 * 1024)).dir,
          fail: () => {
            disk!.failReadOnly();
            expect(disk!.readOnly(), 'the kernel remounted it read-only').toBe(true);
          },
          repair: () => {
            disk!.repair();
            expect(disk!.readOnly(), 'writable again').toBe(false);
          },
        };
      }),
    240_000,
  );

  test(
    'a server directory made full mid-run: exit 74, ledger consistent, the others go on, it catches up once there is room',
    () =>
      diskScenario('disk-full', () => {
        let disk: ReturnType<typeof mountTmpfs> | null = null;
        let filled = 0;
        return {
          prepare: (base) => (disk = mountTmpfs(join(base, 'victim'), 8 * 1024 * 1024)).dir,
          fail: () => {
            filled = disk!.fill();
            expect(filled).toBeGreaterThan(0);
          },
          repair: () => disk!.free(),
        };
      }),
    240_000,
  );
});
