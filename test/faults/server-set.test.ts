// Fault: changing the server set (PROTOCOL §3.9, §3.10, §8.13; docs/OPERATIONS.md "Changing
// the server set") under the suite's payment load, each server in its own network namespace
// (netns.ts). Three servers named by the network file and three spares that start from
// that same file with `scryp node --address` (each in its own namespace); the operator's
// commands (`scryp network change / sign / submit / show`) run in a seventh namespace on
// the servers' network, as an operator's machine would. In order:
//
//   grow 3 → 5    two spares added; kill -9 of a server of the three while it is carried
//   shrink 5 → 3  two servers removed (chosen by the seed); kill -9 of one of the five while
//                 it is carried; the removed ones log REMOVED and answer UNAVAILABLE
//   replace       one server's key by a fresh directory's (the third spare)
//   move          one server of the last three moves to another port (--address, §3.10) and
//                 keeps taking part: it commits in step, hears its peers and is heard
//
// and all of it three times, each with its own cluster:
//
//   clean     no link fault (the kills only)
//   loss      5% of the packets arriving at every server over the servers' network dropped
//             (iptables statistic match in each server's namespace, on data0), all along
//   one-way   one direction between two servers of the configuration in force dropped for
//             2–5 periods, then restored, again and again (at most 60 cuts) all along
//
// At the end the suite's checks, across the changes: every payment is decided by a majority
// of the servers in force (asked at each change, since servers that joined by snapshot know
// nothing of the payments before it), never committed somewhere and void elsewhere; every
// ledger file (the removed servers' too) checks with its chain of changes, agrees with the
// others on every period both archived, holds every committed payment and no void one, and
// no txid twice; the servers in force end on one committed period and state hash.
//
//   SCRYP_FAULTS=1 bun test --timeout 1800000 test/faults/server-set.test.ts   (SCRYP_FAULTS_SEED=S repeats the choices)

import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { toHex } from '../../src/bytes.ts';
import { Status, statusName } from '../../src/client/codec.ts';
import { Prng } from '../helpers/prng.ts';
import { accountPayments, checkLedgers, listProblems, type Outcome, type Verdict } from './checks.ts';
import { FaultCluster } from './cluster.ts';
import { checkLedgerAcrossChanges, type ChainedLedgerReport } from './ledger-chain.ts';
import { PaymentLoad } from './load.ts';
import { addLoss, createTopology, cutOneWay, faultRulesIn, type LinkRule, requireIptables, type Topology } from './netns.ts';
import { currentRun, onCleanup, report, scenarioDir } from './run.ts';
import { type ClusterHolder, faultTests, scenarioPrng, summarize } from './scenario.ts';
import { readArchive, ClusterWatch } from './watch.ts';

const period_ms = 500;
const file_servers = 3;
const spares = 3;
/** Namespaces: the six servers', then the operator's. */
const operator_namespace = file_servers + spares;
const loss_probability = 0.05;
const one_way_cuts_max = 60;
/** The port a moved server goes to (every server listens on 4001 in its namespace). */
const moved_port = 4002;

type LinkMode = 'clean' | 'loss' | 'one-way';

interface OperatorRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function showRun(r: OperatorRun): string {
  return `exit ${r.exitCode} after ${r.ms} ms\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** `scryp ARGS --network FILE` run in the operator's namespace, killed after `timeoutMs`. */
async function operator(topology: Topology, c: FaultCluster, args: readonly string[], timeoutMs = 60_000): Promise<OperatorRun> {
  const started = Date.now();
  const child = Bun.spawn(['ip', 'netns', 'exec', topology.namespace(operator_namespace), currentRun().binary, ...args, '--network', c.networkFile], {
    cwd: c.options.baseDir,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const pid = child.pid;
  const cleanup = onCleanup(`operator command (pid ${pid}) ${args.slice(0, 2).join(' ')}`, () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const exitCode = await child.exited;
  clearTimeout(timer);
  cleanup.dismiss();
  return { exitCode, stdout, stderr, ms: Date.now() - started };
}

/** Polls until `check` holds or the time runs out (bounded); returns whether it held. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(everyMs);
  }
  return await check();
}

/** The one-way cuts, made and restored in the background while the scenario runs; bounded in count and time. */
class OneWayCuts {
  readonly cuts: { from: number; to: number; periods: number; atPeriod: number; dropped: number }[] = [];
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly topology: Topology,
    private readonly prng: Prng,
    private readonly among: () => readonly number[],
  ) {}

  start(deadlineMs: number): void {
    this.running = true;
    this.loop = this.run(Date.now() + deadlineMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(deadline: number): Promise<void> {
    while (this.running && this.cuts.length < one_way_cuts_max && Date.now() < deadline) {
      await Bun.sleep(this.prng.between(1, 2) * period_ms);
      const servers = this.among();
      if (!this.running || servers.length < 2) continue;
      const from = servers[this.prng.nextInt(servers.length)]!;
      const others = servers.filter((server) => server !== from);
      const to = others[this.prng.nextInt(others.length)]!;
      const periods = this.prng.between(2, 5);
      const atPeriod = Math.floor(Date.now() / period_ms);
      const rule = cutOneWay(this.topology, from, to);
      // Restored after its periods, or at once when the scenario stops the cuts.
      const until = Date.now() + periods * period_ms;
      while (this.running && Date.now() < until) await Bun.sleep(50);
      const dropped = rule.dropped()?.packets ?? 0;
      rule.remove();
      this.cuts.push({ from, to, periods, atPeriod, dropped });
    }
  }
}

interface ChangeFigures {
  readonly change: string;
  readonly edits: string;
  readonly signers: readonly number[];
  readonly killed: { server: number; downMs: number } | null;
  readonly submitPeriod: number;
  readonly carrier: number;
  readonly first: number;
  /** Periods from the submit to the commit that carried the change, and to its first period. */
  readonly submitToCarrier: number;
  readonly submitToEffect: number;
  /** Milliseconds from the submit until every server of the new configuration committed first + 2. */
  readonly inForceMs: number;
  readonly submitMs: number;
}

const holder: ClusterHolder = { cluster: null };

async function serverSetScenario(mode: LinkMode): Promise<void> {
  const name = `server-set-${mode}`;
  const choices = scenarioPrng(name);
  const loadPrng = new Prng((choices.seed + 1) >>> 0);
  if (mode !== 'clean') requireIptables();
  const run = currentRun();
  const topology = createTopology(run.id, file_servers + spares + 1);
  const c = await FaultCluster.create({
    name: `faults-${name}`,
    servers: file_servers,
    spares,
    periodMs: period_ms,
    wallets: [1, 2, 3].map((i) => ({ label: `${name} ${i}`, balance: 1_000_000 })),
    baseDir: scenarioDir(name),
    topology,
  });
  holder.cluster = c;
  const key = (i: number) => toHex(c.signerOf(i).publicKey);
  const pick = (from: readonly number[], count: number): number[] => {
    const pool = [...from];
    const out: number[] = [];
    while (out.length < count) out.push(pool.splice(choices.nextInt(pool.length), 1)[0]!);
    return out.sort((a, b) => a - b);
  };

  // The three of the network file, in step; then the spares, which follow.
  for (let i = 0; i < file_servers; i++) c.start(i);
  const watch = new ClusterWatch(c);
  watch.start();
  let inForce: number[] = [0, 1, 2];
  expect((await watch.inStep(inForce, Date.now(), 1, 15_000)).ms, c.logs()).not.toBeNull();
  for (let i = file_servers; i < file_servers + spares; i++) c.start(i);
  const load = new PaymentLoad(c, loadPrng, { everyMs: 40, targets: () => inForce });
  load.start();
  const startedAt = Date.now();

  // The link faults, for the whole scenario.
  const lossRules: LinkRule[] = [];
  if (mode === 'loss') for (let i = 0; i < file_servers + spares; i++) lossRules.push(addLoss(topology, i, loss_probability));
  const cuts = new OneWayCuts(topology, new Prng((choices.seed + 2) >>> 0), () => inForce.filter((i) => c.running(i)));
  if (mode === 'one-way') cuts.start(600_000);
  await Bun.sleep(3 * period_ms);

  // ---- staged accounting: the servers in force at each step decide the payments so far --
  const stages: { servers: number[]; verdicts: Map<string, Verdict>; problems: string[] }[] = [];
  const accountStage = async (servers: readonly number[]) => {
    // What each server's ledger holds now; read before the STATUS answers, so it is no more than they know.
    const holds = new Map(
      servers.map((server) => {
        const archive = readArchive(c.servers[server]!.dir);
        return [server, archive === null ? { archiveFrom: Number.MAX_SAFE_INTEGER, committed: 0 } : { archiveFrom: archive.archiveFrom, committed: archive.committed }];
      }),
    );
    const accounting = await accountPayments(c, [...load.payments], { servers, holds });
    stages.push({ servers: [...servers], verdicts: new Map(accounting.verdicts.map((v) => [v.payment.txid, v])), problems: accounting.problems });
  };

  // `scryp network show --out CHAIN`; a failure is tried again (at most twice), as an operator
  // would, and every failure is kept for the report with what the command said.
  const showFailures: string[] = [];
  const networkShow = async (out: string): Promise<OperatorRun> => {
    let shown: OperatorRun | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      shown = await operator(topology, c, ['network', 'show', '--out', out, ...(attempt === 0 ? [] : ['--log-level', 'debug'])]);
      if (shown.exitCode === 0) return shown;
      showFailures.push(`${out.split('/').pop()} try ${attempt + 1}: exit ${shown.exitCode}: ${shown.stderr.trim().slice(-1500)}`);
      console.log(`fault suite: ${name}: network show failed (try ${attempt + 1}): ${shown.stderr.trim()}`);
      await Bun.sleep(period_ms);
    }
    return shown!;
  };

  const changes: ChangeFigures[] = [];
  /** One change, as operators make it; returns once every server of the new configuration committed past its first period + 2. */
  const change = async (
    label: string,
    edits: string[],
    signers: readonly number[],
    nextInForce: readonly number[],
    options: { chain?: string; kill?: readonly number[] },
  ): Promise<{ configuration: number; servers: number; quorum: number; first: number }> => {
    const file = join(c.options.baseDir, `${label}.json`);
    const chain = options.chain === undefined ? [] : ['--chain', options.chain];
    const made = await operator(topology, c, ['network', 'change', ...chain, ...edits, '--out', file]);
    expect(made.exitCode, `${label}: network change\n${showRun(made)}`).toBe(0);
    for (const signer of signers) {
      const signed = await operator(topology, c, ['network', 'sign', file, '--dir', c.servers[signer]!.dir, ...chain]);
      expect(signed.exitCode, `${label}: network sign by server ${signer}\n${showRun(signed)}`).toBe(0);
    }
    await watch.pollInfo();
    const submitAt = Date.now();
    const submitPeriod = c.periodNow();
    const submitting = operator(topology, c, ['network', 'submit', file], 90_000);
    // kill -9 of a server in charge while the change is carried, and start it again.
    let killed: { server: number; downMs: number } | null = null;
    if (options.kill !== undefined) {
      await Bun.sleep(150);
      const victim = options.kill[choices.nextInt(options.kill.length)]!;
      const exit = await c.stop(victim, 'SIGKILL');
      expect(exit?.signal, `${label}: server ${victim} killed`).toBe('SIGKILL');
      watch.checkArchive(victim);
      const downMs = choices.between(300, 1_200);
      await Bun.sleep(downMs);
      c.start(victim);
      killed = { server: victim, downMs };
    }
    const submitted = await submitting;
    expect(submitted.exitCode, `${label}: network submit\n${showRun(submitted)}\n${c.logs()}`).toBe(0);
    const done = /committed in period (\d+): configuration (\d+) \((\d+) servers?, quorum (\d+)\) takes effect at period (\d+)/.exec(submitted.stdout);
    expect(done, showRun(submitted)).not.toBeNull();
    const [carrier, configuration, servers, quorum, first] = done!.slice(1).map(Number) as [number, number, number, number, number];
    const step = await watch.inStep(nextInForce, Date.now(), first + 2, 40 * period_ms);
    expect(step.ms, `${label}: the servers of the new configuration in step past period ${first + 2}: ${step.lastSeen}\n${c.logs()}`).not.toBeNull();
    changes.push({
      change: label,
      edits: edits.join(' ').replace(/[0-9a-f]{64}/g, (hex) => `${hex.slice(0, 8)}…`),
      signers,
      killed,
      submitPeriod,
      carrier,
      first,
      submitToCarrier: carrier - submitPeriod,
      submitToEffect: first - submitPeriod,
      inForceMs: Date.now() - submitAt,
      submitMs: submitted.ms,
    });
    inForce = [...nextInForce];
    return { configuration, servers, quorum, first };
  };

  // ---- grow 3 → 5, kill -9 of one of the three while the change is carried ------------
  const grown = await change('grow', ['--add', `${key(3)}@${c.dataAddress(3)}`, '--add', `${key(4)}@${c.dataAddress(4)}`], pick([0, 1, 2], 2), [0, 1, 2, 3, 4], { kill: [0, 1, 2] });
  expect([grown.configuration, grown.servers, grown.quorum]).toEqual([1, 5, 3]);
  for (const spare of [3, 4]) expect(c.servers[spare]!.log, `server ${spare} joined`).toContain('configuration 1 names this server');
  await accountStage(inForce);

  // ---- shrink 5 → 3: two removed, kill -9 of one of the five while it is carried ---------
  const chain1 = join(c.options.baseDir, 'chain1.json');
  const shown1 = await networkShow(chain1);
  expect(shown1.exitCode, `${showRun(shown1)}\n${c.logs()}`).toBe(0);
  expect(shown1.stdout).toContain('5 servers, quorum 3');
  const removed = pick(inForce, 2);
  const shrunk = await change('shrink', removed.flatMap((i) => ['--remove', key(i)]), pick(inForce, 3), inForce.filter((i) => !removed.includes(i)), { chain: chain1, kill: inForce });
  expect([shrunk.configuration, shrunk.servers, shrunk.quorum]).toEqual([2, 3, 2]);
  const removedProbes: string[] = [];
  for (const server of removed) {
    expect(await until(() => c.servers[server]!.log.includes('REMOVED: configuration 2'), 10_000), `server ${server} says it was removed\n${c.servers[server]!.log.slice(-3000)}`).toBe(true);
    const probe = await load.probe(server);
    removedProbes.push(`${server}:${probe.status === null ? 'none' : statusName[probe.status]}`);
    expect(probe.status, `PAY to removed server ${server}`).toBe(Status.UNAVAILABLE);
  }
  // Payments so far, by the three in force (a server that joined by snapshot abstains
  // before it). The removed servers keep running, following the chain for reading, until
  // the end of the scenario, where they are stopped as the operators' guide allows.
  await accountStage(inForce);

  // ---- replace one server's key by a fresh directory's (server 5) -----------------------
  const chain2 = join(c.options.baseDir, 'chain2.json');
  const shown2 = await networkShow(chain2);
  expect(shown2.exitCode, `${showRun(shown2)}\n${c.logs()}`).toBe(0);
  const [replaced] = pick(inForce, 1) as [number];
  const swapped = await change('replace', ['--replace', `${key(replaced)}=${key(5)}@${c.dataAddress(5)}`], pick(inForce, 2), inForce.map((i) => (i === replaced ? 5 : i)), { chain: chain2 });
  expect([swapped.configuration, swapped.servers, swapped.quorum]).toEqual([3, 3, 2]);
  expect(c.servers[5]!.log, 'server 5 joined').toContain('configuration 3 names this server');
  expect(await until(() => c.servers[replaced]!.log.includes('REMOVED: configuration 3'), 10_000), `replaced server ${replaced} says it was removed`).toBe(true);
  await accountStage(inForce);
  const gone = [...removed, replaced];

  // ---- move one server to another port (--address): it keeps taking part ----------------
  const [moved] = pick(inForce, 1) as [number];
  const from = c.dataAddress(moved);
  await c.stop(moved, 'SIGKILL');
  const to = c.move(moved, moved_port);
  const movedAt = Date.now();
  c.start(moved);
  const upAt = await c.waitUp(moved, 15_000);
  expect(upAt, `moved server ${moved} answers at ${to}\n${c.logs()}`).not.toBeNull();
  const others = inForce.filter((i) => i !== moved);
  const target = Math.max(...others.map((i) => watch.committedOf(i))) + 3;
  const moveStep = await watch.inStep(inForce, movedAt, target, 30 * period_ms);
  // A server that stopped by itself (an internal error exits 70) is named first.
  const crashed = c.servers.flatMap((server) => server.exits.filter((exit) => exit.signal === null && exit.code !== 0).map((exit) => `server ${server.index} exited ${exit.code}: ${server.log.split('\n').find((line) => line.includes('internal error')) ?? ''}`));
  expect(crashed, 'no server stopped by itself after the move').toEqual([]);
  expect(moveStep.ms, `after the move, in step past ${target}: ${moveStep.lastSeen}\n${c.logs()}`).not.toBeNull();
  // Heard both ways: nothing listens at its old port any more, so its peers reach it at the new one.
  const heardBothWays = await until(async () => {
    const infos = await Promise.all(inForce.map((i) => c.info(i)));
    if (infos.some((info) => info === null)) return false;
    const movedInfo = infos[inForce.indexOf(moved)]!;
    return others.every((other) => movedInfo.lastHeard[other]! >= movedInfo.currentPeriod - 1 && infos[inForce.indexOf(other)]!.lastHeard[moved]! >= movedInfo.currentPeriod - 1);
  }, 20 * period_ms, 100);
  expect(heardBothWays, `moved server ${moved} hears its peers and is heard\n${c.logs()}`).toBe(true);
  const movePeriod = Math.floor(movedAt / period_ms);
  // A few periods more under load with the server at its new address.
  await Bun.sleep(4 * period_ms);

  // ---- the servers no configuration names any more stop (OPERATIONS: "stop it when you
  // like"); an operator with only the network file still finds the servers in force -------
  for (const server of gone) expect((await c.stop(server, 'SIGTERM'))?.code, `server ${server}, out of the configuration, stops cleanly`).toBe(0);
  // Checked at the very end, after the ledgers: see the last expectations.
  const shownAtEnd = await networkShow(join(c.options.baseDir, 'chain3.json'));
  const fileAddressesAnswering = [0, 1, 2].filter((i) => !gone.includes(i) && i !== moved).length;

  // ---- the end: faults off, load off, the last accounting and the ledger files ----------
  await cuts.stop();
  const lossDropped = lossRules.map((rule) => rule.dropped()?.packets ?? 0);
  for (const rule of lossRules) rule.remove();
  for (let i = 0; i < file_servers + spares; i++) expect(faultRulesIn(topology, i), `no fault rule left in server ${i}'s namespace`).toEqual([]);
  await load.stop();
  const settleStep = await watch.inStep(inForce, Date.now(), 0, 20 * period_ms);
  expect(settleStep.ms, `servers in force back in step at the end: ${settleStep.lastSeen}\n${c.logs()}`).not.toBeNull();
  await Bun.sleep(3 * period_ms);
  await accountStage(inForce);
  const final = await watch.inStep(inForce, Date.now(), 0, 20 * period_ms);
  expect(final.ms, final.lastSeen).not.toBeNull();
  // Votes of the moved server in the certificates since it moved (another server's archive).
  const voterArchive = watch.checkArchive(others[0]!);
  const certificatesAfterMove = [...(voterArchive?.periods.entries() ?? [])].filter(([period]) => period > movePeriod + 1);
  const movedVotes = certificatesAfterMove.filter(([, row]) => row.voters.includes(moved)).length;
  await watch.stop();
  await c.stopAll();
  for (const server of c.servers) {
    watch.archivePaused.delete(server.index);
    watch.checkArchive(server.index);
  }

  // Merge the stages: the newest decided verdict of each payment; committed at one stage
  // and void at another is a problem, as is a payment no stage decided.
  const problems: string[] = [];
  const verdicts: Verdict[] = [];
  stages.forEach((stage, s) => {
    // Undecided at one stage (too recent, or before every snapshot of the servers then in
    // force) is fine when another stage decides it: checked below, over all stages.
    for (const problem of stage.problems) if (!problem.includes('is not decided by a majority')) problems.push(`stage ${s + 1} (servers ${stage.servers.join(', ')}): ${problem}`);
  });
  for (const payment of load.payments) {
    const outcomes: Outcome[] = stages.map((stage) => stage.verdicts.get(payment.txid)?.outcome ?? 'undecided');
    if (outcomes.includes('committed') && outcomes.includes('void')) problems.push(`payment ${payment.txid.slice(0, 16)} (period ${payment.period}): ${outcomes.join(' → ')} across the stages`);
    const decided = [...stages].reverse().find((stage) => (stage.verdicts.get(payment.txid)?.outcome ?? 'undecided') !== 'undecided');
    const verdict = decided?.verdicts.get(payment.txid) ?? stages[stages.length - 1]!.verdicts.get(payment.txid)!;
    if (decided === undefined) problems.push(`payment ${payment.txid.slice(0, 16)} (period ${payment.period}) is decided at no stage: ${verdict.said.join(', ')}`);
    verdicts.push(verdict);
  }
  const ledgers = checkLedgers(c, verdicts, { check: checkLedgerAcrossChanges, partial: gone });
  c.saveLogs();
  expect(listProblems(watch.violations), 'commits never undone, one hash per period').toBe('none');
  expect(listProblems(problems), 'every payment decided by a majority of the servers in force, never both ways').toBe('none');
  expect(listProblems(ledgers.problems), 'ledger files').toBe('none');
  const reports = ledgers.reports as (ChainedLedgerReport | null)[];
  const finalCommitted = inForce.map((i) => reports[i]?.committed.period ?? -1);
  const finalHashes = new Set(inForce.map((i) => reports[i]?.stateHash));
  expect(new Set(finalCommitted).size, `servers in force end on one committed period: ${finalCommitted.join(', ')}`).toBe(1);
  expect(finalHashes.size, 'and one state hash').toBe(1);
  for (const i of inForce) expect(reports[i]!.chain.length, `server ${i} holds the chain of three changes`).toBe(3);
  for (const server of c.servers) {
    for (const exit of server.exits) {
      expect(exit.signal === 'SIGKILL' || exit.code === 0, `server ${server.index} exited with code ${exit.code}, signal ${exit.signal}\n${c.logs()}`).toBe(true);
    }
    expect(server.exits[server.exits.length - 1]?.code, `server ${server.index} stopped cleanly on SIGTERM`).toBe(0);
  }
  const errorLines: Record<string, number> = {};
  for (const server of c.servers) {
    for (const line of server.log.split('\n')) {
      const match = /^\S+ ERROR (.*)$/.exec(line);
      if (match === null) continue;
      const kind = match[1]!.replace(/[0-9a-f]{16,}/g, '…').replace(/\d+/g, 'N').slice(0, 160);
      errorLines[kind] = (errorLines[kind] ?? 0) + 1;
    }
  }
  for (const kind of Object.keys(errorLines)) expect(kind, 'no server hit an internal error').not.toMatch(/internal error|assertion failed/);

  const committed = verdicts.filter((v) => v.outcome === 'committed').length;
  const accepted = (v: Verdict) => v.payment.answers.some((answer) => answer.status === Status.ACCEPTED);
  report(name, {
    mode,
    periodMs: period_ms,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    changes,
    removed,
    removedProbes,
    showFailures,
    fileAddressesAnsweringAtEnd: fileAddressesAnswering,
    replaced,
    moved: { server: moved, from, to, inStepMs: moveStep.ms, certificatesAfterMove: certificatesAfterMove.length, withItsVote: movedVotes },
    inForce,
    loss: mode === 'loss' ? { probability: loss_probability, droppedPackets: lossDropped } : null,
    oneWayCuts:
      mode === 'one-way'
        ? { count: cuts.cuts.length, periods: summarize(cuts.cuts.map((cut) => cut.periods)), droppedPackets: cuts.cuts.reduce((sum, cut) => sum + cut.dropped, 0), pairs: cuts.cuts.map((cut) => `${cut.from}>${cut.to}`).join(' ') }
        : null,
    payments: load.payments.length,
    answers: load.summary(),
    committed,
    void: verdicts.filter((v) => v.outcome === 'void').length,
    acceptedCommitted: verdicts.filter((v) => v.outcome === 'committed' && accepted(v)).length,
    stages: stages.map((stage) => ({ servers: stage.servers, committed: [...stage.verdicts.values()].filter((v) => v.outcome === 'committed').length })),
    finalPeriod: finalCommitted[0],
    errorLines,
  });
  expect(committed, 'payments kept committing through the changes').toBeGreaterThan(50);
  // The operator's view once the servers out of the configuration are stopped (and one
  // moved): `scryp network show` with only the network file, which learns the chain from
  // the file's servers (CONFIG, PROTOCOL §6.11). Found by this test: when only one of the
  // file's addresses answers, it fails (see the report of issue 13's fault suite). When none
  // answers (all stopped or moved), a client with only the file cannot find the servers in
  // force at all, by design: nothing is asserted then (the report says so).
  if (fileAddressesAnswering > 0) expect(
    shownAtEnd.exitCode,
    `network show with servers ${gone.join(', ')} stopped and server ${moved} moved: ${fileAddressesAnswering} of the network file's 3 addresses answer\n${showRun(shownAtEnd)}\n${showFailures.join('\n')}`,
  ).toBe(0);
  if (shownAtEnd.exitCode === 0) {
    expect(shownAtEnd.stdout).toContain('configuration 3, in force from period');
    // (The configuration keeps the address the change gave: the moved server's old one.)
    for (const i of inForce) expect(shownAtEnd.stdout, `network show lists server ${i}`).toContain(i === moved ? from : c.dataAddress(i));
  }
  // Nothing goes wrong for long: each change in force within 40 periods of its submit.
  for (const figures of changes) expect(figures.submitToEffect, `${figures.change}: periods from submit to effect`).toBeLessThanOrEqual(40);
}

faultTests('server-set changes', holder, () => {
  test('grow 3 → 5 and shrink 5 → 3 (kill -9 during each), replace a key, move a server; no link fault', () => serverSetScenario('clean'), 600_000);
  test('the same with 5% packet loss into every server over the servers\' network', () => serverSetScenario('loss'), 600_000);
  test('the same with one-way cuts between two servers in force, 2–5 periods each, all along', () => serverSetScenario('one-way'), 600_000);
});
