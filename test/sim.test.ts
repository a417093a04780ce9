// The deterministic simulator under `bun test`: a fixed set of seeds over every server
// count and fault mix, the seeds that found bugs (see docs/RELIABILITY.md), and the
// property that makes a seed worth printing: the same seed replays the same run.
// The long random search is test/slow/sim.test.ts (bun run test:slow).

import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { ServerCore } from '../src/node/core.ts';
import { Status } from '../src/client/codec.ts';
import type { FaultMode } from '../src/sim/faults.ts';
import { Random } from '../src/sim/random.ts';
import { TimeQueue } from '../src/sim/queue.ts';
import { failureLines, summaryLine } from '../src/sim/report.ts';
import { type SimOptions, type SimReport, simulate } from '../src/sim/simulator.ts';
import type { ByzantineStats } from '../src/sim/byzantine.ts';
import { simCrypto } from '../src/sim/crypto.ts';
import { Invariants } from '../src/sim/invariants.ts';
import { EvidenceKept } from '../src/node/evidence.ts';
import { parseNetwork } from '../src/network.ts';
import { toHex } from '../src/bytes.ts';
import type { Ballot } from '../src/consensus/ballot.ts';
import type { Evidence } from '../src/consensus/evidence.ts';

// Each run is CPU-bound and takes a few seconds on an idle machine; the bound is for a shared one.
setDefaultTimeout(60_000);

function expectHolds(report: SimReport): void {
  if (!report.ok) throw new Error(failureLines(report).join('\n'));
  expect(report.ok).toBe(true);
}

function run(seed: number, servers: number, periods: number, faults: FaultMode, extra: Partial<SimOptions> = {}): SimReport {
  return simulate({ seed, servers, periods, faults, ...extra });
}

describe('server-set changes (issue 13): adds, removes, replaces and reorders, at random during faults', () => {
  // Each run submits changes built by hand the way operators sign them, to random live
  // servers; the network file names `servers`, two spares run joining from the start. The
  // invariants hold throughout (one decision per period across configurations, supply, no
  // payment lost or applied twice), and in the calm every server the network knows ends on
  // the same configuration, with the same chain of changes (checkSameConfiguration).
  // (How many a seed's changes remove is what its run happens to submit: seed 2008 removed 3
  // before issue 21's clients, whose payments go straight to the alpha, 2 after them, and 3
  // again since an alpha at genesis waits for the network's first commit, PROTOCOL §5.4.)
  const cases: [seed: number, servers: number, periods: number, faults: FaultMode, removed: number][] = [
    [2008, 4, 100, 'heavy', 3],
    [5, 4, 100, 'light', 0],
    [7, 5, 80, 'heavy', 1],
  ];
  for (const [seed, servers, periods, faults, removed] of cases) {
    test(`seed ${seed}: ${servers} servers and 2 spares, ${periods} periods of ${faults} faults`, () => {
      const report = run(seed, servers, periods, faults, { changes: true });
      expectHolds(report);
      expect(report.stats.changesSubmitted).toBeGreaterThanOrEqual(3);
      expect(report.stats.configurationsAtEnd).toBeGreaterThanOrEqual(2);
      // Both spares were brought in and voted; the servers a change removed said so.
      expect(report.stats.sparesThatVoted).toBe(2);
      expect(report.stats.serversRemoved).toBe(removed);
      // Some server caught up across changes by a snapshot, which carries the chain of changes.
      expect(report.stats.snapshots).toBeGreaterThanOrEqual(1);
      expect(report.stats.paymentsCommitted).toBeGreaterThan(0);
    });
  }

  test('two-thirds networks change their servers too (the configuration of a height is its parent\'s)', () => {
    const report = run(7, 4, 80, 'light', { changes: true, quorum: 'two-thirds' });
    expectHolds(report);
    expect(report.stats.configurationsAtEnd).toBe(3);
    expect(report.stats.sparesThatVoted).toBe(2);
    expect(report.stats.serversRemoved).toBe(1);
    expect(report.stats.snapshots).toBeGreaterThanOrEqual(1);
  });

  test('seed 4192589240 (found by test:slow): one change submitted twice with other signatures does not storm; every server keeps the lower in byte order', () => {
    const report = run(4192589240, 3, 200, 'heavy', { changes: true, quorum: 'two-thirds' });
    expectHolds(report);
    // Without the order, the two versions went round the servers in one instant, forever.
    expect(report.stats.messagesByKind.CHANGE ?? 0).toBeLessThan(200);
  });

  test('seed 3410465238 (found by test:slow): a joining server never commits a certificate it tallied before it knew the configuration', () => {
    // One server grows to two; the second, still joining, counted the first's vote as a
    // certificate by the network file's single server, and committed it after its snapshot.
    const report = run(3410465238, 1, 90, 'heavy', { changes: true });
    expectHolds(report);
  });

  test('seed 59470424 (found by test:slow): a locked server that a change took out of the rotation shows its beta the proof and the batch of its lock', () => {
    // Two-thirds: at a height still decided by two servers, the one locked held the only proof
    // of its lock and was never the beta again; the beta had dropped that batch.
    const report = run(59470424, 3, 200, 'heavy', { changes: true, quorum: 'two-thirds' });
    expectHolds(report);
  });

  test('liars follow configurations: a two-thirds network of five with a liar changes its servers, the liar lying across the changes (seed 5)', () => {
    const report = run(5, 5, 80, 'heavy', { changes: true, quorum: 'two-thirds', byzantine: 1 });
    expectHolds(report);
    expect(report.stats.changesSubmitted!).toBeGreaterThanOrEqual(3);
    expect(report.stats.configurationsAtEnd!).toBeGreaterThanOrEqual(2);
    expect(report.byzantine!.evidenceHeld).toBeGreaterThan(0);
  });

  test('a liar a change removed signs nothing its peers count, and is not expected to leave evidence (seed 2, 7 servers, 2 liars)', () => {
    const report = run(2, 7, 80, 'light', { changes: true, quorum: 'two-thirds', byzantine: 2 });
    expectHolds(report);
    expect(report.stats.serversRemoved).toBeGreaterThanOrEqual(1);
  });
});

describe('fixed seeds: every invariant holds', () => {
  const cases: [seed: number, servers: number, periods: number, faults: FaultMode][] = [
    [11, 1, 60, 'heavy'],
    [12, 2, 40, 'light'],
    [13, 2, 40, 'heavy'],
    [14, 3, 40, 'none'],
    [15, 3, 60, 'heavy'],
    [16, 4, 50, 'heavy'],
    [17, 5, 40, 'light'],
    [18, 5, 50, 'heavy'],
    [19, 7, 30, 'heavy'],
  ];
  for (const [seed, servers, periods, faults] of cases) {
    test(`seed ${seed}: ${servers} servers, ${periods} periods of ${faults} faults`, () => {
      const report = run(seed, servers, periods, faults);
      expectHolds(report);
      expect(report.stats.committedPeriods).toBeGreaterThan(0);
      expect(report.stats.livenessChecks).toBeGreaterThan(0);
    });
  }
});

describe('seeds that found bugs in the core (docs/RELIABILITY.md)', () => {
  // Seeds 1, 303 and 115 fail today with their fix taken out (bugs 1, 4 and 7). The
  // simulator's random streams changed as it grew, and seeds 205, 1005, 4242, 304 and 415
  // no longer lead to the states that broke: with today's simulator and the fix taken out
  // each still passes (checked 2026-12-07; RELIABILITY lists the searches that found no
  // other seed). Their tests are named for what they still check.
  test('bug 1, seed 1, 2 servers: an even network deadlocked, each server locked on a period the other skipped', () => {
    expectHolds(run(1, 2, 30, 'light'));
    // The same bug, shrunk by --shrink from a 4-server run: one partition between two servers.
    expectHolds(run(1, 2, 9, 'light', { disabled: new Set(['drop', 'duplicate', 'reorder', 'delay', 'crash', 'late_start', 'skew']) }));
  });
  test('seed 205, 5 servers, light (found bug 2): a server that installs a snapshot keeps every invariant, its committed period never taken back', () => {
    const report = run(205, 5, 5, 'light');
    expectHolds(report);
    expect(report.stats.snapshots).toBeGreaterThan(0);
  });
  test('seed 1005, 3 servers, heavy (found bug 3): a snapshot installed during faults loses no ACCEPTED payment', () => {
    const report = run(1005, 3, 13, 'heavy');
    expectHolds(report);
    expect(report.stats.snapshots).toBeGreaterThan(0);
    expect(report.stats.paymentsAccepted).toBeGreaterThan(0);
  });
  test('bug 4, seeds 303 and 115: servers locked forever on dead periods whose proof they never received', () => {
    expectHolds(run(303, 4, 80, 'heavy'));
    expectHolds(run(115, 5, 125, 'heavy'));
  });
  test('bug 7, seed 303, 4 servers: the proposal a server voted for was forgotten, leaving a certified period nobody could commit', () => {
    expectHolds(run(303, 4, 145, 'heavy'));
  });
  test('seed 4242, 4 servers, heavy (found bug 5): servers that crash and restart keep every invariant and the network goes on', () => {
    const report = run(4242, 4, 40, 'heavy');
    expectHolds(report);
    expect(report.stats.crashes).toBeGreaterThan(0);
  });
  test('seed 304, 4 servers, heavy (found bugs 6 and 7): restarts with stored votes keep every invariant and the network goes on', () => {
    const report = run(304, 4, 120, 'heavy');
    expectHolds(report);
    expect(report.stats.crashes).toBeGreaterThan(0);
  });
  test('seed 415, 3 servers, heavy (found bug 8): servers behind ask for records a bounded number of times, no storm', () => {
    const report = run(415, 3, 200, 'heavy');
    // Before the fix its stall carried 3,357 SYNC_REQUESTs (it then ended in bug 9, since fixed);
    // today the run asks 19 times in 210 periods. A storm of catch-up requests fails here.
    expect(report.stats.messagesByKind.SYNC_REQUEST ?? 0).toBeLessThan(200);
    expectHolds(report);
    expect(report.stats.messagesByKind.SYNC_REQUEST ?? 0).toBeLessThan(1_000);
  });
  test('bug 9, seed 400, 1 server: a vote stored without its batch left a certified period nobody could commit (fixed in the store)', () => {
    // Was the known issue voted-batch-lost; the store now keeps the proposal with the vote.
    expectHolds(run(400, 1, 30, 'heavy'));
  });
});

describe('real Ed25519', () => {
  test('seed 21, 3 servers: the same invariants with the node\'s signatures (re-signed bodies included)', () => {
    const report = run(21, 3, 15, 'light', { realCrypto: true });
    expectHolds(report);
    expect(report.stats.paymentsCommitted).toBeGreaterThan(0);
  });
});

describe('determinism', () => {
  test('the same seed gives the same event log, twice', () => {
    const a = run(4240, 4, 40, 'heavy');
    const b = run(4240, 4, 40, 'heavy');
    expectHolds(a);
    expect(b.digest).toBe(a.digest);
    expect(b.events).toBe(a.events);
    expect(b.stats).toEqual(a.stats);
  });
  test('another seed gives another run', () => {
    expect(run(4241, 4, 20, 'heavy').digest).not.toBe(run(4240, 4, 20, 'heavy').digest);
  });
  test('a run of k periods replays the first periods of a longer run exactly', () => {
    const lines = (periods: number): string[] => {
      const out: string[] = [];
      simulate({ seed: 77, servers: 3, periods, faults: 'heavy', live: (line) => out.push(line) });
      return out.filter((line) => /^\[p(-1|\+[0-9]) /.test(line) && !line.includes('simulation: seed'));
    };
    expect(lines(12)).toEqual(lines(30));
  });
});

describe('the checker', () => {
  test('catches a planted bug: a server that accepts what it must refuse', () => {
    const original = ServerCore.prototype.handlePay;
    const originalPrecheck = ServerCore.prototype.precheckPay;
    ServerCore.prototype.handlePay = function (tx, now, signature) {
      const result = original.call(this, tx, now, signature);
      return result.status === Status.BAD_AMOUNT ? { ...result, status: Status.ACCEPTED } : result;
    };
    ServerCore.prototype.precheckPay = function (tx, now) {
      const result = originalPrecheck.call(this, tx, now);
      return result?.status === Status.BAD_AMOUNT ? { ...result, status: Status.ACCEPTED } : result;
    };
    try {
      const report = run(3, 3, 40, 'none');
      expect(report.ok).toBe(false);
      expect(report.violation!.invariant).toBe('answers');
      expect(report.violation!.servers.length).toBeGreaterThan(0);
      const text = failureLines(report).join('\n');
      expect(text).toContain('seed     3');
      expect(text).toContain('bun run sim --seed 3 --servers 3');
      expect(report.trace.length).toBeGreaterThan(10);
    } finally {
      ServerCore.prototype.handlePay = original;
      ServerCore.prototype.precheckPay = originalPrecheck;
    }
  });
});

describe('random and queue', () => {
  test('a seed gives one stream; a fork depends on its label and its parent seed only', () => {
    const a = new Random(9);
    const b = new Random(9);
    const first = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(first);
    const forked = new Random(9).fork('network').u32();
    const used = new Random(9);
    used.u32();
    expect(used.fork('network').u32()).toBe(forked);
    expect(new Random(9).fork('clients').u32()).not.toBe(forked);
    for (let i = 0; i < 1000; i++) {
      const value = a.between(-3, 3);
      expect(value >= -3 && value <= 3 && Number.isInteger(value)).toBe(true);
    }
  });
  test('items due at the same time leave the queue in the order they came', () => {
    const queue = new TimeQueue<{ at: number; id: number }>();
    const random = new Random(1);
    const items = Array.from({ length: 200 }, (_, id) => ({ at: random.int(20), id }));
    for (const item of items) queue.push(item);
    const out: { at: number; id: number }[] = [];
    for (let item = queue.pop(); item !== undefined; item = queue.pop()) out.push(item);
    expect(out).toEqual([...items].sort((x, y) => x.at - y.at || x.id - y.id));
  });
});

// ---- Byzantine servers (issue 14) --------------------------------------------------------

/** Replaces a method on a prototype for one test; returns what puts it back. */
function patch(target: object, name: string, replacement: unknown): () => void {
  const original: unknown = Reflect.get(target, name);
  Reflect.set(target, name, replacement);
  return () => Reflect.set(target, name, original);
}

function liars(report: SimReport): ByzantineStats {
  expect(report.byzantine).not.toBeNull();
  return report.byzantine!;
}

describe('Byzantine servers (issue 14): honest servers against liars that sign with their keys', () => {
  const twoThirds: [seed: number, servers: number, periods: number, faults: FaultMode, liars: number][] = [
    [41, 4, 40, 'light', 1],
    [42, 4, 40, 'light', 1],
    [45, 4, 50, 'heavy', 1],
    [46, 4, 50, 'heavy', 1],
    [49, 7, 30, 'light', 2],
    [52, 7, 40, 'heavy', 2],
  ];
  for (const [seed, servers, periods, faults, byzantine] of twoThirds) {
    test(`two-thirds, seed ${seed}: ${servers} servers, ${byzantine} lying (f = ${byzantine}), ${periods} periods of ${faults} faults: one history, evidence, liveness`, () => {
      const report = run(seed, servers, periods, faults, { quorum: 'two-thirds', byzantine });
      expectHolds(report);
      const stats = liars(report);
      expect(stats.servers.length).toBe(byzantine);
      expect(stats.tactics.campaign_proposal ?? 0).toBeGreaterThan(0); // the liars did try to split
      expect(stats.evidenceExpected).toBeGreaterThan(0); // honest servers were handed conflicting pairs, and kept the proof (checked at each)
      expect(stats.evidenceHeld).toBeGreaterThan(0);
      expect(stats.forksDetected).toBe(0);
      expect(stats.haltedServers).toBe(0);
      expect(report.stats.committedPeriods).toBeGreaterThan(0);
      expect(report.stats.livenessChecks).toBeGreaterThan(0);
      expect(report.stats.paymentsCommitted).toBeGreaterThan(0);
    });
  }

  for (const [seed, periods, faults] of [
    [55, 30, 'none'],
    [58, 30, 'light'],
    [62, 40, 'heavy'], // 61 until the alpha waited for the periods a change could follow (issue 13): its liar no longer forked
  ] as const) {
    test(`majority, seed ${seed}: 3 servers, 1 lying, ${periods} periods of ${faults} faults: the liar forks the ledger, and every honest server stops`, () => {
      const report = run(seed, 3, periods, faults, { byzantine: 1 });
      expectHolds(report);
      const stats = liars(report);
      expect(stats.forksDetected).toBe(1);
      expect(stats.haltedServers).toBe(2);
      expect(stats.forkEvidenceHeld).toBeGreaterThanOrEqual(2);
      expect(summaryLine(report)).toContain('FORK detected, 2 honest servers stopped');
    });
  }

  test('the adversary draws from its own stream: byzantine 0 is an honest run, event for event', () => {
    const honest = run(4240, 4, 20, 'heavy');
    const zero = run(4240, 4, 20, 'heavy', { byzantine: 0 });
    expect(zero.digest).toBe(honest.digest);
    expect(zero.byzantine).toBeNull();
  });

  test('a run with liars replays exactly from its seed', () => {
    const a = run(45, 4, 30, 'heavy', { quorum: 'two-thirds', byzantine: 1 });
    const b = run(45, 4, 30, 'heavy', { quorum: 'two-thirds', byzantine: 1 });
    expect(b.digest).toBe(a.digest);
    expect(b.byzantine).toEqual(a.byzantine);
  });

  test('the replay command names the quorum and the liars', () => {
    const report = run(47, 4, 1, 'none', { quorum: 'two-thirds', byzantine: 1 });
    expect(failureLines({ ...report, ok: false, violation: { invariant: 'liveness', knownIssue: null, servers: [], detail: 'x', period: 0, runPeriod: 0 } }).join('\n')).toContain(
      'bun run sim --seed 47 --servers 4 --periods 1 --faults none --quorum two-thirds --byzantine 1 --trace',
    );
  });
});

describe('Byzantine servers: the checks fail when they should', () => {
  test('more liars than f in a two-thirds network (2 of 4, no faults): the split is reported', () => {
    const report = run(64, 4, 20, 'none', { quorum: 'two-thirds', byzantine: 2 });
    expect(report.ok).toBe(false);
    expect(report.violation!.invariant).toBe('one-hash');
    expect(report.violation!.detail).toMatch(/committed by server \d as .* and by server \d as/);
    for (const server of report.violation!.servers) expect(report.byzantine!.servers).not.toContain(server);
  });

  test('with fork halting taken out, a majority fork is reported as passing silently', () => {
    const restore = patch(EvidenceKept.prototype, 'halt', () => {});
    try {
      const report = run(55, 3, 30, 'none', { byzantine: 1 });
      expect(report.ok).toBe(false);
      expect(report.violation!.invariant).toBe('silent-fork');
      expect(report.violation!.detail).toContain('passed silently');
    } finally {
      restore();
    }
  });

  test('with evidence never kept, an honest server given two conflicting ballots of a liar is reported', () => {
    const restore = patch(EvidenceKept.prototype, 'note', () => {});
    try {
      const report = run(41, 4, 40, 'light', { quorum: 'two-thirds', byzantine: 1 });
      expect(report.ok).toBe(false);
      expect(report.violation!.invariant).toBe('evidence');
      expect(report.violation!.detail).toContain('holds no evidence of it');
    } finally {
      restore();
    }
  });

  const network = parseNetwork({
    name: 'evidence-check',
    period_ms: 1000,
    blackout_ms: 100,
    skew_ms: 400,
    servers: [0, 1, 2, 3].map((i) => ({ key: toHex(simCrypto('fast').signer(`check ${i}`).publicKey), ip: `10.0.0.${i + 1}:4001` })),
    genesis: [],
    quorum: 'two-thirds',
  });
  const invariants = new Invariants(network, new Uint8Array(32), [], { liars: true });
  const ballot = (voter: number, hash: number): Ballot => ({ step: 'prevote', slot: 7, period: 7, parent: 6, parentHash: new Uint8Array(32), hash: new Uint8Array(32).fill(hash), voter, signature: new Uint8Array(64) });
  const coreHolding = (evidence: Evidence[], halted: string | null = null) => ({ evidence, halted }) as unknown as ServerCore;

  test('evidence against an honest server, a fork where none can happen, or a stop in such a run: each is reported', () => {
    const liarsSet = new Set([3]);
    expect(() => invariants.checkEvidence(0, coreHolding([{ kind: 'prevote', a: ballot(3, 1), b: ballot(3, 2) }]), liarsSet, false)).not.toThrow();
    expect(() => invariants.checkEvidence(0, coreHolding([{ kind: 'prevote', a: ballot(2, 1), b: ballot(2, 2) }]), liarsSet, false)).toThrow(/evidence: server 0 holds evidence against honest server 2/);
    const certificate = { period: 7, parent: 6, parentHash: new Uint8Array(32), hash: new Uint8Array(32), votes: [] };
    expect(() => invariants.checkEvidence(0, coreHolding([{ kind: 'fork', a: certificate, b: certificate }]), liarsSet, false)).toThrow(/which this run cannot make/);
    expect(() => invariants.checkEvidence(0, coreHolding([{ kind: 'fork', a: certificate, b: certificate }]), liarsSet, true)).not.toThrow();
    expect(() => invariants.checkEvidence(0, coreHolding([], 'two certificates conflict'), new Set(), false)).toThrow(/halted: server 0 stopped in a run that cannot fork/);
  });
});

describe('seeds that found bugs with liars (docs/RELIABILITY.md, Byzantine simulation, L1-L5)', () => {
  // Each fails today with its fix taken out (src/node/majority.ts, two-thirds.ts, proposals.ts, commits.ts), and passes with it,
  // except seed 1040, which found L3 before every server passed on proposal headers (67194c4): it is named for what it checks.
  const twoThirdsLiar = { quorum: 'two-thirds', byzantine: 1 } as const;
  test('L1, seeds 2062 and 4014 (found as 310): a conflicting second ballot was not counted, so relayed polkas reached some servers only', () => {
    expectHolds(run(2062, 4, 60, 'heavy', twoThirdsLiar)); // without the fix: a stall
    const report = run(4014, 4, 100, 'light', twoThirdsLiar);
    expectHolds(report);
    expect(report.byzantine!.commitLagMax).toBeLessThanOrEqual(2); // without the fix: 5 periods back
    expectHolds(run(310, 4, 60, 'light', twoThirdsLiar));
  });
  test('L2, seed 2055: a proposal without proof carried an earlier period\'s batch, payments left out, and was committed', () => {
    expectHolds(run(2055, 4, 60, 'heavy', twoThirdsLiar));
  });
  test('seed 1040 (found L3): with a liar proposing, the payments a server reports void are those of the void period', () => {
    expectHolds(run(1040, 4, 60, 'heavy', twoThirdsLiar));
  });
  // Found with seed 900118; since issue 21's clients (payments straight to the alpha) that
  // seed's liar no longer forks anyone, and 900100, of the same shape, does (with 3 restarts).
  test('L4, seed 900100: the fork proof, passed on once, was lost on a server down then, which went on at its side', () => {
    const report = run(900100, 3, 40, 'heavy', { byzantine: 1 });
    expectHolds(report);
    expect(report.byzantine!.forksDetected).toBe(1);
  });
  test('L5, seed 910052: a STATUS certificate of our own period, decided otherwise, was never looked at', () => {
    const report = run(910052, 3, 40, 'light', { byzantine: 1 });
    expectHolds(report);
    expect(report.byzantine!.forksDetected).toBe(1);
  });
});

describe('sync-peer-repeated, fixed in catch-up: the peer that left a request unanswered is not asked again next (docs/RELIABILITY.md)', () => {
  test('seed 3198025558 (two-thirds, 4 servers, no faults, 1 liar): the liar ignores catch-up, the honest server behind asks another', () => {
    const report = run(3198025558, 4, 33, 'none', { quorum: 'two-thirds', byzantine: 1 });
    expectHolds(report);
  });
  test('seed 116 (two-thirds, 4 servers, heavy, 1 liar): a server behind goes back to the liar only once every other peer was silent too', () => {
    expectHolds(run(116, 4, 29, 'heavy', { quorum: 'two-thirds', byzantine: 1 }));
  });
});

describe('lock-proof-lost, fixed in the store: the prevotes that made a lock valid are kept with it (docs/RELIABILITY.md)', () => {
  for (const seed of [5036, 5050, 5103]) {
    test(`seed ${seed} (honest, two-thirds, 4 servers, heavy): locked servers prove their lock after restarts, and the network goes on`, () => {
      const report = run(seed, 4, 80, 'heavy', { quorum: 'two-thirds' });
      expectHolds(report);
      expect(report.stats.committedPeriods).toBeGreaterThan(30);
    });
  }
});

describe('known issues the liars found, not fixed here (docs/RELIABILITY.md): each run is labelled', () => {
  test('batch not certified (--twins): the same payments in another order make honest servers commit two batches under one certificate', () => {
    for (const report of [run(55, 3, 30, 'none', { byzantine: 1, twins: true }), run(43, 4, 40, 'light', { quorum: 'two-thirds', byzantine: 1, twins: true })]) {
      expect(report.ok).toBe(false);
      expect(report.violation!.invariant).toBe('one-hash');
      expect(report.violation!.detail).toContain('committed with two different batches');
    }
  });
});
