// Rows "change cost" and "catch-up across changes" (issue 13, PROTOCOL §8.13): what a
// server-set change costs in time, and what sleeping through changes costs a server that
// wakes up. Servers of the compiled executable on loopback, periods of 500 ms, no payment
// load; the changes are made, signed and submitted with the operators' own commands
// (`scryp network show --out`, `change`, `sign`, `submit --json`), as in
// test/server-set.integration.test.ts.
//
// change cost: 3 servers and 2 spares; 5 changes in a row (--quick 2): add a spare (3 → 4),
// add the other (→ 5), move a server to the end of the rotation twice, remove a spare (→ 4).
// Each `submit` is launched at a different phase of its period (spread over the period)
// once the previous change is in force and its first period committed everywhere. Timed
// from the launch of `scryp network submit` (period s) to the commit of the period c that
// carries the change (the last server of the configuration replaced to log it) and to the
// first period F of the new configuration (its start; F is in the submit's JSON). The
// reference is the commit latency of the ordinary periods of the same run on the same
// cluster (end of period k to its commit on the last server in force), and the protocol's
// floor built from it: a change submitted in period s is carried at best by s itself
// (its beta proposes at the end of s) and committed one commit latency later; F = c + 4
// (change_lead_periods).
//
// catch-up across changes: 3 servers; server 2 is stopped (SIGTERM) while 10 changes
// (--quick 3) are committed without it (2 spares added, moves in the rotation, the spares
// removed; server 2 is in every configuration, so it is in the last), then started again.
// Timed from its launch until it has committed the period the running servers have
// committed (asked by INFO every 10 ms) and until BALANCE answers OK (available, §8.8);
// its log says which path it took (SYNC replay or snapshot). The reference is the same
// sleep, the same number of periods, with no change in between, run on the same cluster
// right after; the pair runs twice (--quick once), fresh spares each time.

import { toHex } from '../src/bytes.ts';
import { Kind, Status } from '../src/client/codec.ts';
import { startOf, type Timing } from '../src/schedule.ts';
import { killAll, runProgram, show } from '../test/helpers/cli-run.ts';
import { ProcessCluster } from '../test/helpers/processes.ts';
import { percentile, type Row } from './report.ts';

const period_ms = 500;
const lead_periods = 4; // change_lead_periods, PROTOCOL §8.13

/** One change: cluster indexes to add (last in the rotation), to move to the end, to remove. */
type Edit = { readonly add: number } | { readonly move: number } | { readonly remove: number };

interface Submitted {
  /** Date.now() just before `scryp network submit` was launched. */
  readonly at: number;
  readonly carrier: number;
  readonly first: number;
  readonly configuration: number;
  readonly servers: number;
}

/** A cluster and the configurations the bench has committed on it, by cluster index. */
class Changing {
  readonly c: ProcessCluster;
  /** members[n]: configuration n's servers, by cluster index, in rotation order. */
  readonly members: number[][];
  /** firsts[n]: configuration n's first period (0 for the network file's). */
  readonly firsts: number[] = [0];
  private files = 0;

  constructor(c: ProcessCluster) {
    this.c = c;
    this.members = [c.servers.slice(0, c.network.servers.length).map((server) => server.index)];
  }

  get current(): number[] {
    return this.members[this.members.length - 1]!;
  }

  timing(): Timing {
    return { periodMs: period_ms, blackoutMs: this.c.network.blackoutMs, skewMs: this.c.network.skewMs };
  }

  flag(index: number): string {
    return `${toHex(this.c.keyOf(index))}@127.0.0.1:${this.c.servers[index]!.port}`;
  }

  async scryp(args: string[], timeoutMs = 30_000) {
    const run = await runProgram([...args, '--network', this.c.networkFile], { cwd: this.c.base, timeoutMs });
    if (run.exitCode !== 0) throw new Error(`bench: scryp ${args.join(' ')} failed\n${show(run)}\n${this.c.logs(20)}`);
    return run;
  }

  /**
   * Writes the change and has a quorum of the configuration in force sign it (`signers`:
   * cluster indexes, the sleeper's left out). Returns the change file and the new list.
   */
  async prepare(edit: Edit, signers: readonly number[]): Promise<{ file: string; next: number[] }> {
    const n = ++this.files;
    const chain = this.members.length > 1 ? ['--chain', `${this.c.base}/chain${n}.json`] : [];
    if (chain.length > 0) await this.scryp(['network', 'show', '--out', chain[1]!]);
    const file = `${this.c.base}/change${n}.json`;
    const next = [...this.current];
    let edits: string[];
    if ('add' in edit) {
      edits = ['--add', this.flag(edit.add)];
      next.push(edit.add);
    } else if ('move' in edit) {
      edits = ['--remove', toHex(this.c.keyOf(edit.move)), '--add', this.flag(edit.move)];
      next.splice(next.indexOf(edit.move), 1);
      next.push(edit.move);
    } else {
      edits = ['--remove', toHex(this.c.keyOf(edit.remove))];
      next.splice(next.indexOf(edit.remove), 1);
    }
    await this.scryp(['network', 'change', ...chain, ...edits, '--out', file]);
    const quorum = Math.floor(this.current.length / 2) + 1;
    const willing = signers.filter((i) => this.current.includes(i)).slice(0, quorum);
    if (willing.length < quorum) throw new Error(`bench: ${willing.length} signers for a quorum of ${quorum}`);
    for (const signer of willing) await this.scryp(['network', 'sign', file, '--dir', this.c.servers[signer]!.dir, ...chain]);
    return { file, next };
  }

  /** `scryp network submit --json`: waits for the commit (at most 40 periods, its own bound). */
  async submit(file: string, next: number[]): Promise<Submitted> {
    const at = Date.now();
    const run = await this.scryp(['network', 'submit', file, '--json'], 60_000);
    const json = JSON.parse(run.stdout.trim().split('\n').pop()!) as { configuration: number; carried_in: number; first_period: number; servers: number };
    if (json.configuration !== this.members.length || json.servers !== next.length) throw new Error(`bench: unexpected submit answer ${run.stdout}`);
    this.members.push(next);
    this.firsts.push(json.first_period);
    return { at, carrier: json.carried_in, first: json.first_period, configuration: json.configuration, servers: json.servers };
  }

  /** Waits until every running server of `indexes` has committed `period` (bounded). */
  async allCommitted(indexes: readonly number[], period: number, timeoutMs: number): Promise<boolean> {
    return this.c.until(async () => (await Promise.all(indexes.map((i) => this.c.committedOf(i)))).every((p) => p !== null && p >= period), timeoutMs, 50);
  }

  /** One change from start to in force: prepared, submitted, and its first period committed by its servers. */
  async change(edit: Edit, signers: readonly number[], running: readonly number[], phase: number | null = null): Promise<Submitted> {
    const { file, next } = await this.prepare(edit, signers);
    if (phase !== null) {
      // Launch the submit at this fraction of a period.
      const now = Date.now();
      const target = Math.floor(now / period_ms) * period_ms + phase * period_ms;
      await Bun.sleep(target > now + 5 ? target - now : target + period_ms - now);
    }
    const submitted = await this.submit(file, next);
    const inForce = next.filter((i) => running.includes(i));
    if (!(await this.allCommitted(inForce, submitted.first, 30 * period_ms))) {
      throw new Error(`bench: configuration ${submitted.configuration} (first period ${submitted.first}) not committed by servers ${inForce.join(', ')}\n${this.c.logs(30)}`);
    }
    return submitted;
  }
}


/** Whether the server answers BALANCE with OK (it is available, PROTOCOL §8.8). */
async function balanceOk(c: ProcessCluster, index: number): Promise<boolean> {
  const client = await c.udp();
  try {
    const reply = await client.ask(
      { host: '127.0.0.1', port: c.servers[index]!.port },
      { kind: Kind.BALANCE, account: c.wallets[0]!.publicKey },
      { networkId: c.network.id, serverKey: c.keyOf(index), attempts: 1, timeoutMs: 50 },
    );
    return reply.status === Status.OK;
  } catch {
    return false;
  }
}

/** When each server logged the commit of each period (ms since the epoch). */
function commitTimes(log: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const match of log.matchAll(/^(\S+) INFO\s+(?:\[\w+\] )?committed period (\d+):/gm)) if (!out.has(Number(match[2]))) out.set(Number(match[2]), Date.parse(match[1]!));
  return out;
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const median = (values: readonly number[]) => percentile(values, 50);

async function started(c: ProcessCluster, indexes: readonly number[]): Promise<void> {
  for (const i of indexes) c.start(i, ['--log-level', 'info']);
  if (!(await c.until(async () => (await Promise.all(indexes.slice(0, c.network.servers.length).map((i) => c.committedOf(i)))).every((p) => p !== null && p > 0), 30_000, 100))) {
    throw new Error(`bench: the network did not start committing\n${c.logs()}`);
  }
}

// ---- change cost -----------------------------------------------------------------------------

export async function changeCostBench(quick: boolean): Promise<Row> {
  const edits: Edit[] = quick ? [{ add: 3 }, { move: 0 }] : [{ add: 3 }, { add: 4 }, { move: 0 }, { move: 1 }, { remove: 4 }];
  const cluster = await ProcessCluster.create({ servers: 3, spares: 2, periodMs: period_ms, blackoutMs: 50, skewMs: 250, name: 'change-cost' });
  try {
    const all = cluster.servers.map((server) => server.index);
    await started(cluster, all);
    const changing = new Changing(cluster);
    const firstMeasured = cluster.periodNow() + 1;
    const changes: Submitted[] = [];
    for (const [k, edit] of edits.entries()) {
      // Submit phases spread over the period: 0.1, 0.3, 0.5, 0.7, 0.9 (quick: 0.25, 0.75).
      const phase = (k + 0.5) / edits.length;
      changes.push(await changing.change(edit, [0, 1, 2, 3, 4], all, phase));
    }
    const lastMeasured = changes[changes.length - 1]!.first;
    await Bun.sleep(100); // the last commit's log lines
    const times = cluster.servers.map((server) => commitTimes(server.log));
    // Configuration in force at period k: the newest whose first period is ≤ k.
    const membersAt = (k: number) => changing.members[changing.firsts.findLastIndex((first) => first <= k)]!;
    const timing = changing.timing();
    // The reference: ordinary periods (no change carried), end of k to the commit on the last server in force.
    const carriers = new Set(changes.map((change) => change.carrier));
    const ordinary: number[] = [];
    let missing = 0;
    for (let k = firstMeasured; k <= lastMeasured; k++) {
      if (carriers.has(k)) continue;
      const at = membersAt(k).map((i) => times[i]!.get(k));
      if (at.some((t) => t === undefined)) missing++;
      else ordinary.push(Math.max(...(at as number[])) - startOf(timing, k + 1));
    }
    const commitLatency = median(ordinary);
    const perChange = changes.map((change) => {
      const s = Math.floor(change.at / period_ms);
      const committedAt = Math.max(...membersAt(change.carrier).map((i) => times[i]!.get(change.carrier) ?? Number.NaN));
      return {
        s,
        carrierAfter: change.carrier - s,
        firstAfter: change.first - s,
        lead: change.first - change.carrier,
        commitMs: committedAt - change.at,
        firstMs: startOf(timing, change.first) - change.at,
        floorMs: startOf(timing, s + 1) - change.at + commitLatency,
        phase: (change.at % period_ms) / period_ms,
        // The first server to take it from the submit (CHANGE over UDP): the command's own time.
        takenMs:
          Math.min(
            ...cluster.servers.flatMap((server) =>
              [...server.log.matchAll(new RegExp(`^(\\S+) INFO\\s+(?:\\[\\w+\\] )?change to configuration ${change.configuration} \\(.*taken from a client`, 'gm'))].map((m) => Date.parse(m[1]!)),
            ),
          ) - change.at,
      };
    });
    if (perChange.some((change) => Number.isNaN(change.commitMs))) throw new Error(`bench: a carrier's commit is missing from the logs\n${cluster.logs(30)}`);
    const stat = (values: number[], unit: (v: number) => string) => `median ${unit(median(values))}, max ${unit(Math.max(...values))}`;
    const periods = (v: number) => `${v} ${v === 1 ? 'period' : 'periods'}`;
    const commitMs = perChange.map((change) => change.commitMs);
    const floorMs = perChange.map((change) => change.floorMs);
    const excess = perChange.map((change) => change.commitMs - change.floorMs);
    const met = perChange.every((change) => change.lead === lead_periods && change.carrierAfter <= 1) && missing === 0;
    return {
      row: 'change cost',
      measured:
        `${changes.length} changes (${quick ? '3 → 4 servers, a move' : '3 → 4 → 5 servers, 2 moves, → 4'}), period ${period_ms} ms: submit → carrier committed ${stat(commitMs, ms)} ` +
        `(carrier − submit's period: median ${median(perChange.map((change) => change.carrierAfter))}, max ${Math.max(...perChange.map((change) => change.carrierAfter))}); ` +
        `submit → first period of the new configuration ${stat(
          perChange.map((change) => change.firstAfter),
          periods,
        )} (to its start: ${stat(
          perChange.map((change) => change.firstMs),
          ms,
        )})`,
      reference: `ordinary periods of the same run: commit p50 ${ms(commitLatency)}, max ${ms(Math.max(...ordinary))} after the period's end (${ordinary.length} periods); floor (carried by the submit's own period + one commit; first = carrier + ${lead_periods}): submit → commit median ${ms(median(floorMs))}`,
      ratio: `submit → commit − floor: median ${ms(median(excess))}, max ${ms(Math.max(...excess))}; first − carrier = ${[...new Set(perChange.map((change) => change.lead))].join(', ')} periods`,
      target: `carried by the submit's period or the next; first = carrier + ${lead_periods}`,
      met,
      notes:
        `3 servers and 2 spares on loopback, no payment load; each \`scryp network submit\` launched at a different phase of its period once the previous change's first period was committed everywhere; times from the launch of submit (its process start and CONFIG queries included) to the commit log line of the last server of the configuration replaced, and to the start of the new configuration's first period. ` +
        `Per change (submit's phase in its period s, CHANGE taken by a server, carrier − s, first − s, submit → commit): ${perChange.map((change) => `${change.phase.toFixed(2)}, ${ms(change.takenMs)}, +${change.carrierAfter}, +${change.firstAfter}, ${ms(change.commitMs)}`).join('; ')}; a change taken after its period's beta proposed is carried by the next period. ` +
        `The reference is the commit latency of the ordinary periods of the same cluster in the same minutes (measured, not assumed), and the floor is what the protocol allows with it: a change cannot be committed before the end of the period it is submitted in plus one commit, nor take effect before change_lead_periods = ${lead_periods} periods after its carrier.${missing === 0 ? '' : ` ${missing} ordinary periods without a commit logged by every server in force.`}`,
    };
  } finally {
    await killAll();
    await cluster.stop();
  }
}

// ---- catch-up across changes --------------------------------------------------------------------

interface CatchUp {
  readonly slept: number;
  readonly caughtUpMs: number;
  readonly availableMs: number;
  /** Periods it committed up to the one it caught up with; of them, brought by SYNC records. */
  readonly commits: number;
  readonly fromSync: number;
  readonly syncRequests: number;
  readonly snapshot: boolean;
  /**
   * When BALANCE first answered OK: how far the network's committed period (asked first) was
   * ahead of the woken server's (asked right after), in period numbers; 0 when it had caught up.
   */
  readonly behindWhenAvailable: number;
}

const sleeper = 2;

/** Starts the sleeper again and times its return: committed the network's latest, BALANCE OK. */
async function wake(c: ProcessCluster, peers: () => readonly number[], stoppedAt: number): Promise<CatchUp> {
  const from = c.servers[sleeper]!.log.length;
  const slept = c.periodNow() - stoppedAt;
  const t0 = performance.now();
  c.start(sleeper, ['--log-level', 'info']);
  let caughtUpMs = Number.NaN;
  let availableMs = Number.NaN;
  let target = 0;
  let behindWhenAvailable = Number.NaN;
  const latestOf = async () => Math.max(...(await Promise.all(peers().map((i) => c.committedOf(i)))).map((p) => p ?? 0));
  const deadline = t0 + 60_000;
  while (performance.now() < deadline && (Number.isNaN(caughtUpMs) || Number.isNaN(availableMs))) {
    if (Number.isNaN(caughtUpMs)) {
      const latest = await latestOf();
      const own = await c.committedOf(sleeper);
      if (own !== null && own >= latest) {
        caughtUpMs = performance.now() - t0;
        target = latest;
      }
    }
    if (Number.isNaN(availableMs) && (await balanceOk(c, sleeper))) {
      availableMs = performance.now() - t0;
      const latest = await latestOf();
      behindWhenAvailable = Math.max(0, latest - ((await c.committedOf(sleeper)) ?? 0));
    }
    await Bun.sleep(10);
  }
  if (Number.isNaN(caughtUpMs) || Number.isNaN(availableMs)) throw new Error(`bench: the sleeper did not catch up within 60 s (caught up: ${caughtUpMs}, available: ${availableMs})\n${c.logs(60)}`);
  const log = c.servers[sleeper]!.log.slice(from);
  if (process.env.SCRYP_BENCH_DEBUG) console.error(`--- woken server's log, ${slept} periods asleep ---\n${log.split('\n').slice(0, 80).join('\n')}`);
  // Commits up to the period it caught up with; those a SYNC answer brought (the others: the
  // peers' resent PROPOSALs, committed as certificates arrive, within the same replay).
  const commits = [...commitTimes(log).keys()].filter((period) => period <= target).length;
  const fromSync = [...log.matchAll(/catch-up: replayed (\d+) periods/g)].map((m) => Number(m[1])).reduce((x, y) => x + y, 0);
  const syncRequests = [...log.matchAll(/catch-up: asking server \d+ for the periods after/g)].length;
  const snapshot = log.includes('installed the snapshot');
  return { slept, caughtUpMs, availableMs, commits, fromSync, syncRequests, snapshot, behindWhenAvailable };
}

export async function changeCatchUpBench(quick: boolean): Promise<Row> {
  const rounds = quick ? 1 : 2;
  const cluster = await ProcessCluster.create({ servers: 3, spares: 2 * rounds, periodMs: period_ms, blackoutMs: 50, skewMs: 250, name: 'change-catch-up' });
  try {
    await started(cluster, [0, 1, 2]);
    const changing = new Changing(cluster);
    const across: CatchUp[] = [];
    const without: CatchUp[] = [];
    let changeCount = 0;
    for (let round = 0; round < rounds; round++) {
      const [a, b] = [3 + 2 * round, 4 + 2 * round];
      cluster.start(a, ['--log-level', 'info']);
      cluster.start(b, ['--log-level', 'info']);
      // Server 2 sleeps through the changes; it is in every configuration.
      const edits: Edit[] = quick
        ? [{ add: a }, { move: 0 }, { remove: a }]
        : [{ add: a }, { move: 0 }, { add: b }, { move: 1 }, { move: a }, { move: sleeper }, { remove: b }, { move: 0 }, { remove: a }, { move: 1 }];
      changeCount = edits.length;
      const stoppedAt = cluster.periodNow();
      await cluster.stopServer(sleeper, 'SIGTERM');
      const running = [0, 1, a, b];
      for (const edit of edits) await changing.change(edit, [0, 1, a, b], running);
      // The spares were removed: they stop taking part; stop them too.
      await cluster.stopServer(a, 'SIGTERM');
      await cluster.stopServer(b, 'SIGTERM');
      const peers = () => changing.current.filter((i) => i !== sleeper);
      const changed = await wake(cluster, peers, stoppedAt);
      across.push(changed);
      // The reference: the same number of periods asleep, no change.
      if (!(await changing.allCommitted([0, 1, sleeper], cluster.periodNow() - 1, 20 * period_ms))) throw new Error(`bench: the network did not settle\n${cluster.logs(30)}`);
      const stoppedAgain = cluster.periodNow();
      await cluster.stopServer(sleeper, 'SIGTERM');
      await Bun.sleep(startOf(changing.timing(), stoppedAgain + changed.slept) - Date.now());
      without.push(await wake(cluster, peers, stoppedAgain));
    }
    const list = (runs: CatchUp[], value: (run: CatchUp) => string | number) => runs.map(value).join(', ');
    const path = (runs: CatchUp[]) =>
      runs.every((run) => run.snapshot)
        ? 'snapshot'
        : runs.some((run) => run.snapshot)
          ? `snapshot in ${runs.filter((run) => run.snapshot).length} of ${runs.length}`
          : `replay, no snapshot (${list(runs, (run) => run.commits)} periods committed, ${list(runs, (run) => run.fromSync)} of them from SYNC records; SYNC requests ${list(runs, (run) => run.syncRequests)})`;
    const figure = (runs: CatchUp[]) =>
      `${list(runs, (run) => run.slept)} periods asleep: committed the network's latest in ${list(runs, (run) => ms(run.caughtUpMs))}, BALANCE OK in ${list(runs, (run) => ms(run.availableMs))}` +
      `${runs.some((run) => run.behindWhenAvailable > 0) ? ` (then ${list(runs, (run) => run.behindWhenAvailable)} periods behind the network)` : ''}; ${path(runs)}`;
    const ratios = across.map((run, i) => run.caughtUpMs / without[i]!.caughtUpMs);
    const availableRatios = across.map((run, i) => run.availableMs / without[i]!.availableMs);
    const replayed = [...across, ...without].every((run) => !run.snapshot);
    return {
      row: 'catch-up across changes',
      measured: `across ${changeCount} changes: ${figure(across)}`,
      reference: `same sleep, no change: ${figure(without)}`,
      ratio: `caught up ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}; available ${availableRatios.map((r) => `${r.toFixed(2)}×`).join(', ')}`,
      target: 'caught up and available, by replay (§8.9)',
      met: replayed,
      notes:
        `3 servers, period ${period_ms} ms, no payment load; server 2 stopped (SIGTERM) while ${changeCount} changes were committed without it (${quick ? 'a spare added, a move, the spare removed' : '2 spares added, 6 moves in the rotation, server 2 among them, the 2 spares removed'}; each change in force before the next), then started again; timed from its launch to its INFO reporting the committed period of the running servers (polled every 10 ms) and to BALANCE answering OK; the reference sleep right after on the same cluster, for as many periods; ${rounds === 1 ? 'one pair' : `${rounds} pairs, fresh spares each`}. ` +
        `Path from the woken server's log: 'catch-up: asking server N for the periods after' and 'replayed N periods' (SYNC), or 'installed the snapshot'; periods not brought by SYNC records were committed from the PROPOSALs its peers resent on reconnecting, as their certificates came (same replay on its own state, no snapshot); the sleeper's own turns (every third to fifth period) are void while it sleeps, so it commits fewer periods than it slept. ` +
        `When BALANCE first answered OK the woken server's committed period was behind the network's by ${list([...across, ...without], (run) => run.behindWhenAvailable)} (across, then reference; period numbers, the network's asked first; a server caught up can still show 1 when asked in the few ms between the others' commit of a period and its own).`,
    };
  } finally {
    await killAll();
    await cluster.stop();
  }
}
