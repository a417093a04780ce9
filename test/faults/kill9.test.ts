// Fault: kill -9. Three servers on loopback, 400 ms periods, a steady payment load; 30
// times a random server is killed at a random instant, its ledger file is checked while
// it is dead, and it is started again. After each restart every server must be back in
// step within two periods of the restarted server answering again.
//
//   SCRYP_FAULTS=1 bun test --timeout 1800000 test/faults/kill9.test.ts   (SCRYP_FAULTS_SEED=S repeats the choices)

import { expect, test } from 'bun:test';
import { checkLedger } from '../helpers/ledger-check.ts';
import { FaultCluster } from './cluster.ts';
import { report, scenarioDir } from './run.ts';
import { type ClusterHolder, faultTests, scenarioPrng, startUnderLoad, settleAndCheck, summarize } from './scenario.ts';

const kills = 30;
const period_ms = 400;

const holder: ClusterHolder = { cluster: null };

faultTests('kill -9 under load', holder, () => {
  test(
    `${kills} kill -9 of a random server at random instants under a payment load; each restarted server back in step within two periods`,
    async () => {
      const prng = scenarioPrng('kill9');
      const c = await FaultCluster.create({
        name: 'faults-kill9',
        servers: 3,
        periodMs: period_ms,
        wallets: [1, 2, 3, 4].map((i) => ({ label: `kill9 ${i}`, balance: 1_000_000 })),
        baseDir: scenarioDir('kill9'),
      });
      const { watch, load } = await startUnderLoad(holder, c, prng, 25);
      await Bun.sleep(2 * period_ms);

      const rejoinMs: number[] = [];
      const startupMs: number[] = [];
      const victims = [0, 0, 0];
      const phases: number[] = [];
      for (let round = 0; round < kills; round++) {
        await Bun.sleep(prng.between(150, 1_200));
        const victim = prng.nextInt(3);
        victims[victim]!++;
        phases.push(Date.now() % period_ms);
        const exit = await c.stop(victim, 'SIGKILL');
        expect(exit?.signal, `round ${round}: server ${victim} killed`).toBe('SIGKILL');
        // The ledger as kill -9 left it: consistent, and nothing it had committed is gone.
        const dead = checkLedger(c.servers[victim]!.dir, c.network);
        expect(dead.supply).toBe(c.network.supply);
        watch.checkArchive(victim);
        await Bun.sleep(prng.between(0, 2 * period_ms)); // down a moment: the others go on without it
        const spawnedAt = Date.now();
        c.start(victim);
        const upAt = await c.waitUp(victim);
        expect(upAt, `round ${round}: server ${victim} answers after restart\n${c.logs()}`).not.toBeNull();
        startupMs.push(upAt! - spawnedAt);
        const others = c.indexes.filter((i) => i !== victim);
        const target = Math.max(...others.map((i) => watch.committedOf(i)));
        const step = await watch.inStep(c.indexes, upAt!, target, 20 * period_ms);
        expect(step.ms, `round ${round}: server ${victim} back in step (${step.lastSeen})\n${c.logs()}`).not.toBeNull();
        rejoinMs.push(step.ms!);
      }

      const settled = await settleAndCheck(c, watch, load);
      const rejoin = summarize(rejoinMs);
      report('kill9', {
        kills,
        victims,
        periodMs: period_ms,
        rejoinMs: rejoin,
        startupMs: summarize(startupMs),
        killPhaseMs: summarize(phases),
        payments: load.payments.length,
        answers: load.summary(),
        committed: settled.accounting.committed,
        void: settled.accounting.void,
        errorLines: settled.errorLines,
        acceptedCommitted: settled.accounting.acceptedCommitted,
        acceptedVoid: settled.accounting.acceptedVoid,
        finalPeriod: settled.finalPeriod,
        archiveSamples: watch.archiveSamples,
      });
      expect(settled.accounting.acceptedCommitted, 'payments got through the faults').toBeGreaterThan(50);
      // Back in step within two periods of the restarted server answering again.
      expect(rejoin.max, `rejoin times ${rejoinMs.join(', ')} ms`).toBeLessThanOrEqual(2 * period_ms);
    },
    600_000,
  );
});
