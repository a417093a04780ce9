// Fault: a network partition, then healing. Each server in its own network namespace
// (netns.ts); the servers' links are cut while the test still reaches every server over
// a separate client network.
//
//   - 3 servers: one server's data veth goes down (it is alone);
//   - 5 servers: two servers' data veths move to an island bridge (a minority of two that
//     still hear each other, cut from the other three).
//
// During the cut the majority side keeps committing (every period whose alpha it holds),
// the minority commits nothing it had not already been sent before the cut, and from two
// periods after the cut (when it last heard a majority in the previous period) it answers
// UNAVAILABLE to PAY, BALANCE and STATUS. After healing every server is back in step within
// two periods.
//
//   SCRYP_FAULTS=1 bun test --timeout 1800000 test/faults/partition.test.ts   (SCRYP_FAULTS_SEED=S repeats the choices)

import { expect, test } from 'bun:test';
import { Kind, statusName } from '../../src/client/codec.ts';
import { alphaOf, startOf, timingOf } from '../../src/schedule.ts';
import { fromHex } from '../../src/bytes.ts';
import { FaultCluster } from './cluster.ts';
import { createTopology, type Topology } from './netns.ts';
import { currentRun, report, scenarioDir } from './run.ts';
import { type ClusterHolder, faultTests, scenarioPrng, startUnderLoad, settleAndCheck } from './scenario.ts';

const period_ms = 500;
const cut_periods = 8;

interface PartitionCase {
  readonly name: string;
  readonly servers: number;
  readonly minority: number;
  readonly cut: (topology: Topology, minority: readonly number[]) => void;
}

async function partitionScenario(spec: PartitionCase): Promise<void> {
  const prng = scenarioPrng(spec.name);
  const run = currentRun();
  const topology = createTopology(run.id, spec.servers);
  const c = await FaultCluster.create({
    name: `faults-${spec.name}`,
    servers: spec.servers,
    periodMs: period_ms,
    wallets: [1, 2, 3].map((i) => ({ label: `${spec.name} ${i}`, balance: 1_000_000 })),
    baseDir: scenarioDir(spec.name),
    topology,
  });
  const { watch, load } = await startUnderLoad(holder, c, prng, 30);
  await Bun.sleep(4 * period_ms);

  // Choose the minority, and cut in the middle of a period, at a random phase.
  const shuffled = [...c.indexes];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = prng.nextInt(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const minority = shuffled.slice(0, spec.minority).sort((a, b) => a - b);
  const majority = c.indexes.filter((i) => !minority.includes(i));
  await Bun.sleep(prng.between(0, period_ms - 1));
  const timing = timingOf(c.network);
  await watch.pollInfo();
  const cutAt = Date.now();
  spec.cut(topology, minority);
  const cutPeriod = c.periodNow();
  const majorityAtCut = Math.max(...majority.map((i) => watch.committedOf(i)));

  // During the cut: probe the minority directly (PAY, BALANCE, STATUS) once it can no longer
  // count a majority as heard (from the start of the second period after the cut).
  const unavailableFrom = startOf(timing, cutPeriod + 2) + 20;
  const probes: { server: number; kind: string; status: number | null }[] = [];
  const healAtPlanned = cutAt + cut_periods * period_ms;
  while (Date.now() < healAtPlanned) {
    if (Date.now() >= unavailableFrom) {
      for (const server of minority) {
        const pay = await load.probe(server);
        probes.push({ server, kind: 'PAY', status: pay.status });
        const balance = await c.ask(server, { kind: Kind.BALANCE, account: c.wallets[0]!.publicKey });
        probes.push({ server, kind: 'BALANCE', status: balance?.status ?? null });
        const txid = fromHex(load.payments[0]!.txid, 32, 'txid');
        const status = await c.ask(server, { kind: Kind.STATUS, txid });
        probes.push({ server, kind: 'STATUS', status: status?.status ?? null });
      }
    }
    await Bun.sleep(150);
  }
  await watch.pollInfo();
  const healAt = Date.now();
  const healPeriod = c.periodNow();
  const majorityAtHeal = Math.max(...majority.map((i) => watch.committedOf(i)));
  topology.heal();
  const step = await watch.inStep(c.indexes, healAt, majorityAtHeal, 30 * period_ms);
  const rejoinMs = step.ms;

  await Bun.sleep(3 * period_ms);
  const settled = await settleAndCheck(c, watch, load);

  // What the majority committed while the minority was cut off: the periods proposed
  // during the cut, cutPeriod … healPeriod − 1 (period p is proposed at start(p + 1)).
  const archive = watch.archiveOf(majority[0]!)!;
  const duringCut: number[] = [];
  const majorityAlphaPeriods: number[] = [];
  for (let p = cutPeriod; p <= healPeriod - 1; p++) {
    if (archive.periods.has(p)) duringCut.push(p);
    if (majority.includes(alphaOf(c.network.servers.length, p))) majorityAlphaPeriods.push(p);
  }
  // The minority: INFO samples during the cut.
  const minorityCommitted = minority.map((server) => {
    const samples = watch.samplesOf(server, cutAt, healAt);
    const late = watch.samplesOf(server, cutAt + period_ms, healAt);
    return {
      server,
      max: Math.max(...samples.map((s) => s.committed)),
      distinctAfterFirstPeriod: new Set(late.map((s) => s.committed)).size,
      samples: samples.length,
    };
  });
  const minorityLoadAnswers = minority.flatMap((server) => load.answersOf(server, unavailableFrom, healAt));
  // Payments of the periods decided during the cut that the majority side committed.
  const verdictOf = new Map(settled.accounting.verdicts.map((verdict) => [verdict.payment.txid, verdict.outcome]));
  const paymentsCommittedDuringCut = load.payments.filter((p) => p.period >= cutPeriod && p.period <= healPeriod - 1 && verdictOf.get(p.txid) === 'committed').length;
  // An island of several still hears itself: INFO last-heard of each other, late in the cut.
  const islandHeard = minority.flatMap((server) =>
    minority
      .filter((other) => other !== server)
      .map((other) => {
        const late = watch.samplesOf(server, unavailableFrom, healAt);
        return late.length > 0 && late.every((sample) => sample.lastHeard[other]! >= sample.current - 1);
      }),
  );
  // And hears no one across the cut.
  const acrossHeard = minority.flatMap((server) => majority.map((other) => watch.samplesOf(server, unavailableFrom, healAt).some((sample) => sample.lastHeard[other]! >= sample.current - 1)));
  const counters = c.indexes.map((i) => c.counters(i));
  report(spec.name, {
    servers: spec.servers,
    minority,
    periodMs: period_ms,
    cutMs: healAt - cutAt,
    cutPeriods: healPeriod - cutPeriod,
    majorityCommittedDuringCut: duringCut.length,
    majorityAlphaPeriodsDuringCut: majorityAlphaPeriods.length,
    majorityAdvanced: majorityAtHeal - majorityAtCut,
    paymentsCommittedDuringCut,
    minorityCommitted: minorityCommitted.map((m) => ({ server: m.server, maxDuringCut: m.max - cutPeriod, distinctAfterFirstPeriod: m.distinctAfterFirstPeriod })),
    minorityProbes: probes.length,
    minorityProbeStatuses: [...new Set(probes.map((p) => `${p.kind}:${p.status === null ? 'none' : statusName[p.status]}`))],
    minorityLoadAnswers: minorityLoadAnswers.length,
    rejoinMs,
    rejoinLastSeen: step.lastSeen,
    payments: load.payments.length,
    answers: load.summary(),
    committed: settled.accounting.committed,
    void: settled.accounting.void,
    errorLines: settled.errorLines,
    tcpOutFailures: counters.map((k) => k?.tcp_out_failures ?? 0),
  });

  // The majority kept committing: every period whose alpha it holds, but for at most one
  // at each edge of the cut.
  expect(duringCut.length, `majority committed ${duringCut.join(', ')} of alpha periods ${majorityAlphaPeriods.join(', ')}`).toBeGreaterThanOrEqual(majorityAlphaPeriods.length - 2);
  for (const m of minorityCommitted) {
    // Nothing proposed after the cut (period cutPeriod − 1 was proposed just before it) …
    expect(m.max, `minority server ${m.server} committed during the cut`).toBeLessThanOrEqual(cutPeriod - 1);
    // … and after the first period of the cut, nothing at all.
    expect(m.distinctAfterFirstPeriod, `minority server ${m.server}: committed period moved during the cut`).toBeLessThanOrEqual(1);
    expect(m.samples, 'the minority answered INFO over the client network').toBeGreaterThan(10);
  }
  expect(paymentsCommittedDuringCut, 'payments kept committing on the majority side').toBeGreaterThan(0);
  expect(islandHeard.every(Boolean), 'the minority servers heard each other during the cut').toBe(true);
  expect(acrossHeard.some(Boolean), 'the minority heard nobody across the cut').toBe(false);
  expect(probes.length).toBeGreaterThan(10);
  for (const probe of probes) expect(`${probe.kind} to minority server ${probe.server}: ${probe.status === null ? 'no answer' : statusName[probe.status]}`).toEndWith('UNAVAILABLE');
  for (const answer of minorityLoadAnswers) expect(`load PAY to minority server ${answer.server}: ${answer.status === null ? 'no answer' : statusName[answer.status]}`).toEndWith('UNAVAILABLE');
  // Back in step within two periods of the heal.
  expect(rejoinMs, `back in step after the heal: ${step.lastSeen}`).not.toBeNull();
  // Found by this test (fixed): a cut link drops packets without closing anything, so
  // each server kept writing into its old outbound connection, where TCP retransmits with
  // exponential backoff (`ss -ti` showed rto:3264 backoff:4 after a 4 s cut); after the heal
  // nothing moved until that timer fired (rejoin ~2.7 s after 4 s, ~10 s after 20 s). The
  // transport now dials afresh a link to a peer silent for two periods, and at once when
  // that peer is heard again; reconnect backoff and connect timeouts stay within a period.
  expect(rejoinMs!, `rejoin after heal took ${rejoinMs} ms`).toBeLessThanOrEqual(2 * period_ms);
}

const holder: ClusterHolder = { cluster: null };

faultTests('partitions', holder, () => {
  test(
    'one of three servers cut off (its veth down) for 8 periods, then healed',
    () => partitionScenario({ name: 'partition-1of3', servers: 3, minority: 1, cut: (topology, minority) => topology.isolate(minority[0]!) }),
    240_000,
  );

  test(
    'two of five servers cut off from the other three (an island of two) for 8 periods, then healed',
    () => partitionScenario({ name: 'partition-2of5', servers: 5, minority: 2, cut: (topology, minority) => topology.split(minority) }),
    240_000,
  );
});
