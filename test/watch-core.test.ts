// The pure core of `scryp watch` (src/watch/follow.ts, timing.ts): what is emitted from
// what servers list, and when rounds and retries happen. Servers are modelled here as
// plain lists (no sockets): honest ones list the true history up to their committed
// period, liars list whatever they like within what the codec lets through (one bytes per
// position, newest first, within their own committed period). The properties drive many
// rounds of the watcher's loop (positions kept, windows walked, restarts), with servers
// lagging, going silent and lying, and check that nothing but a committed payment is ever
// delivered, each at most once and in order, and that once the honest servers are caught
// up everything committed has been delivered.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { toHex } from '../src/bytes.ts';
import type { ListedPayment } from '../src/client/codec.ts';
import type { ServerHistory } from '../src/client/history.ts';
import { history_entries_max, watch_delivery_retry_first_ms, watch_delivery_retry_max_ms, watch_unreachable_backoff_ms_max } from '../src/constants.ts';
import { type Network, parseNetwork, type QuorumMode } from '../src/network.ts';
import type { Signer } from '../src/signature.ts';
import { signPayment } from '../src/transaction.ts';
import { compareCursors, type Cursor, follow, horizonOf, justAfter, justBefore, liarsOutnumbered, period_end_index, positionNow, type Step } from '../src/watch/follow.ts';
import { deliveryRetryDelayMs, nextRoundAt, unreachableDelayMs } from '../src/watch/timing.ts';
import { testSigner } from './helpers/keys.ts';

const shop = testSigner('watch shop');
const customer = testSigner('watch customer');
const stranger = testSigner('watch stranger');

function networkOf(servers: number, quorum: QuorumMode = 'majority'): Network {
  return parseNetwork({
    name: 'watchnet',
    period_ms: 1000,
    blackout_ms: 100,
    skew_ms: 200,
    servers: Array.from({ length: servers }, (_, i) => ({ key: toHex(testSigner(`server ${i}`).publicKey), ip: `127.0.0.1:${5000 + i}` })),
    genesis: [{ account: toHex(customer.publicKey), balance: 1_000_000 }],
    ...(quorum === 'majority' ? {} : { quorum }),
  });
}
const three = networkOf(3);

/** Payments signed once per network (a signature binds the network id): the properties pick from these, a payment per position. */
function poolsOf(network: Network) {
  const pay = (payer: Signer, payee: Signer, amount: number, stamp: number) => signPayment(payer, network.id, { timestamp: 1_700_000_000_000 + stamp, amount, payee: payee.publicKey });
  return {
    realPool: Array.from({ length: 240 }, (_, i) => (i % 5 === 4 ? pay(shop, customer, 1 + i, i) : pay(customer, shop, 1 + i, i))),
    fakePool: Array.from({ length: 120 }, (_, i) => pay(customer, shop, 100_000 + i, 10_000 + i)),
    foreignPool: Array.from({ length: 8 }, (_, i) => pay(customer, stranger, 7 + i, 20_000 + i)),
  };
}
const pools = new Map<string, ReturnType<typeof poolsOf>>();
function poolsFor(network: Network): ReturnType<typeof poolsOf> {
  let found = pools.get(toHex(network.id));
  if (found === undefined) pools.set(toHex(network.id), (found = poolsOf(network)));
  return found;
}
const { realPool, fakePool, foreignPool } = poolsFor(three);

const at = (period: number, index: number): Cursor => ({ period, index });
const listed = (period: number, index: number, transaction: Uint8Array, applied = true): ListedPayment => ({ period, index, applied, transaction });

/** A server as the watcher sees it: what it would list, newest first (one bytes per position), and what it claims. */
interface ServerModel {
  readonly committedPeriod: number;
  readonly archiveFrom: number;
  readonly listing: readonly ListedPayment[];
  readonly silent?: boolean;
}

/** What the watcher's listServer gathers from one server: pages of 7 from `top` down, until an entry at or before `position`, at most `pages` pages. */
function listFor(server: number, model: ServerModel, position: Cursor, top: Cursor | null, pages: number): ServerHistory | null {
  if (model.silent) return null;
  const below = model.listing.filter((entry) => top === null || compareCursors(entry, top) < 0);
  const entries: ListedPayment[] = [];
  let exhausted = false;
  for (let page = 0; page < pages; page++) {
    const chunk = below.slice(page * history_entries_max, (page + 1) * history_entries_max);
    entries.push(...chunk);
    const last = chunk[chunk.length - 1];
    if (last === undefined) {
      exhausted = true;
      break;
    }
    if (compareCursors(last, position) <= 0) break;
  }
  return { server, committedPeriod: model.committedPeriod, archiveFrom: model.archiveFrom, entries, exhausted };
}

function honest(truth: readonly ListedPayment[], committedPeriod: number, archiveFrom = 0, silent = false): ServerModel {
  return { committedPeriod, archiveFrom, silent, listing: truth.filter((entry) => entry.period <= committedPeriod && entry.period > archiveFrom) };
}

function newestFirst(entries: ListedPayment[]): ListedPayment[] {
  return entries.sort((a, b) => b.period - a.period || b.index - a.index);
}

/** One round of the watcher's loop on modelled servers. */
function round(network: Network, models: readonly ServerModel[], position: Cursor, windows: readonly Cursor[], pages = 64) {
  const top = windows[windows.length - 1] ?? null;
  const histories = models.map((model, server) => listFor(server, model, position, top, pages)).filter((history) => history !== null);
  return follow({ network, account: shop.publicKey, position, windows, histories });
}

const delivered = (steps: readonly Step[]) => steps.filter((step) => step.action === 'deliver').map((step) => `${step.entry.period}:${step.entry.index}:${toHex(step.entry.tx).slice(0, 16)}`);
const key = (entry: ListedPayment) => `${entry.period}:${entry.index}:${toHex(entry.transaction).slice(0, 16)}`;
/** The keys of the true history's entries at these places (newest first in `truth`). */
const keysOf = (...places: number[]) => places.map((place) => key(truth[place]!));

// A true history: payments at periods 1..10, one or two a period, one void.
const truth = newestFirst([
  listed(2, 0, realPool[0]!),
  listed(2, 3, realPool[1]!),
  listed(4, 1, realPool[2]!, false),
  listed(5, 0, realPool[3]!),
  listed(7, 2, realPool[4]!),
  listed(9, 0, realPool[5]!),
  listed(9, 1, realPool[6]!),
]);

describe('follow: one round', () => {
  test('all servers honest and caught up: every applied payment after the position, oldest first; the void one skipped; the position at the end of the committed period', () => {
    const models = [honest(truth, 10), honest(truth, 10), honest(truth, 10)];
    const decision = round(three, models, at(0, period_end_index), []);
    expect(delivered(decision.steps)).toEqual(keysOf(6, 5, 3, 2, 1, 0));
    expect(decision.steps.filter((step) => step.action === 'skip').map((step) => [step.entry.period, step.entry.index, step.action === 'skip' && step.why])).toEqual([[4, 1, 'void']]);
    expect(decision.position).toEqual(at(10, period_end_index));
    expect([decision.blocked, decision.windows, decision.vouching, decision.again]).toEqual([null, [], 3, false]);
  });

  test('from a position inside a period: only what comes after it', () => {
    const decision = round(three, [honest(truth, 10), honest(truth, 10), honest(truth, 10)], at(2, 0), []);
    expect(delivered(decision.steps)[0]).toBe(key(truth[5]!)); // 2:3
  });

  test('the horizon is the newest period a quorum has committed: a server ahead does not carry the others', () => {
    const decision = round(three, [honest(truth, 10), honest(truth, 6), honest(truth, 4)], at(0, period_end_index), []);
    expect(decision.position).toEqual(at(6, period_end_index));
    expect(delivered(decision.steps)).toEqual(keysOf(6, 5, 3));
  });

  test('a server lists a payment never committed (validly signed by a payer): never delivered, skipped as not listed by enough servers', () => {
    const liar: ServerModel = { committedPeriod: 10, archiveFrom: 0, listing: newestFirst([...truth, listed(6, 0, fakePool[0]!)]) };
    const decision = round(three, [honest(truth, 10), honest(truth, 10), liar], at(0, period_end_index), []);
    expect(delivered(decision.steps)).toEqual(keysOf(6, 5, 3, 2, 1, 0));
    const skipped = decision.steps.filter((step) => step.action === 'skip' && step.why === 'not listed by enough servers');
    expect(skipped.map((step) => [step.entry.period, step.entry.index, step.entry.servers])).toEqual([[6, 0, [2]]]);
  });

  test('a server rewrites an amount (re-signed by the payer): the committed bytes are delivered, the rewrite is not', () => {
    const rewritten = newestFirst(truth.map((entry) => (entry.period === 5 ? listed(5, 0, fakePool[1]!) : entry)));
    const decision = round(three, [honest(truth, 10), { committedPeriod: 10, archiveFrom: 0, listing: rewritten }, honest(truth, 10)], at(0, period_end_index), []);
    expect(delivered(decision.steps)).toContain(key(truth[3]!));
    expect(delivered(decision.steps).join()).not.toContain(toHex(fakePool[1]!).slice(0, 16));
  });

  test('a lie and a lagging server: undecided, so the round stops just before it; the next round, with the lagger caught up, refuses it and goes on', () => {
    const liar: ServerModel = { committedPeriod: 10, archiveFrom: 0, listing: newestFirst([...truth, listed(6, 0, fakePool[2]!)]) };
    const first = round(three, [honest(truth, 10), honest(truth, 5), liar], at(0, period_end_index), []);
    // Periods ≤ 10 have two vouchers (0 and 2) up to 10; server 1 vouches up to 5. 6:0 is listed by 2 alone, left out by 0 alone: undecided.
    expect(first.blocked?.at).toEqual(at(6, 0));
    expect(first.position).toEqual(at(5, period_end_index));
    expect(delivered(first.steps)).toEqual(keysOf(6, 5, 3));
    const second = round(three, [honest(truth, 10), honest(truth, 10), liar], first.position, first.windows);
    expect(second.blocked).toBeNull();
    expect(delivered(second.steps)).toEqual(keysOf(2, 1, 0));
  });

  test('a bad signature, or a payment that is not this account\'s, is skipped even when one server alone lists it and the others have not spoken', () => {
    const forged = realPool[7]!.slice();
    forged[forged.length - 1]! ^= 1;
    const liar: ServerModel = { committedPeriod: 10, archiveFrom: 0, listing: newestFirst([listed(3, 0, forged), listed(3, 1, foreignPool[0]!)]) };
    const decision = round(three, [honest([], 10), { committedPeriod: 2, archiveFrom: 0, listing: [] }, liar], at(2, period_end_index), []);
    expect(decision.steps.map((step) => step.action === 'skip' && step.why)).toEqual(['bad payer signature', 'not this account']);
    expect(decision.position).toEqual(at(10, period_end_index));
  });

  test('fewer than a quorum answer: no progress, nothing delivered', () => {
    const decision = round(three, [honest(truth, 10), { ...honest(truth, 10), silent: true }, { ...honest(truth, 10), silent: true }], at(0, period_end_index), []);
    expect([decision.steps, decision.position, decision.vouching]).toEqual([[], at(0, period_end_index), 1]);
  });

  test('servers restored from a snapshot hold nothing before their archive_from: they do not vouch for what they cannot list', () => {
    const models = [honest(truth, 10), honest(truth, 10, 6), honest(truth, 10, 6)];
    const stuck = round(three, models, at(0, period_end_index), []);
    expect([stuck.steps, stuck.position, stuck.vouching, stuck.windows]).toEqual([[], at(0, period_end_index), 1, []]);
    // From a position at or after their archive, they vouch again.
    const after = round(three, models, at(6, period_end_index), []);
    expect(delivered(after.steps)).toEqual(keysOf(2, 1, 0));
  });

  test('a backlog larger than a round: windows are opened below, walked, and closed again, and everything arrives in order', () => {
    const long = newestFirst(Array.from({ length: 60 }, (_, i) => listed(100 + Math.floor(i / 3), i % 3, realPool[20 + i]!)));
    const models = [honest(long, 130), honest(long, 130), honest(long, 130)];
    let position = at(99, period_end_index);
    let windows: Cursor[] = [];
    const got: string[] = [];
    let rounds = 0;
    for (; rounds < 50; rounds++) {
      const decision = round(three, models, position, windows, 2); // 14 entries a round per server
      got.push(...delivered(decision.steps));
      position = decision.position;
      windows = [...decision.windows];
      if (decision.windows.length === 0 && compareCursors(position, at(130, period_end_index)) === 0) break;
    }
    expect(got).toEqual([...long].reverse().map(key));
    expect(rounds).toBeLessThan(20);
  });

  test('a liar listing beyond what a quorum committed opens no window and cannot keep the watcher spinning', () => {
    const liar: ServerModel = { committedPeriod: 40, archiveFrom: 0, listing: newestFirst([listed(40, 1, fakePool[3]!), listed(39, 0, fakePool[4]!)]) };
    let position = at(0, period_end_index);
    // Its one page does not reach the position, but without it only two servers could vouch for what comes next, and they have committed nothing new.
    for (const committed of [0, 0, 24, 24, 24]) {
      const next = round(three, [liar, honest([], committed), honest([], committed)], position, [], 1);
      expect([next.position, next.windows, next.again, next.steps]).toEqual([at(committed, period_end_index), [], false, []]);
      position = next.position;
    }
  });

  test('positionNow: the newest period a quorum committed, so a liar claiming the future does not move it', () => {
    const histories: ServerHistory[] = [
      { server: 0, committedPeriod: 10, archiveFrom: 0, entries: [], exhausted: true },
      { server: 1, committedPeriod: 9, archiveFrom: 0, entries: [], exhausted: true },
      { server: 2, committedPeriod: 1e12, archiveFrom: 0, entries: [], exhausted: true },
    ];
    expect(positionNow(three, histories)).toEqual(at(10, period_end_index));
    expect(positionNow(three, histories.slice(2))).toBeNull();
  });
});

describe('cursors and the horizon', () => {
  test('justBefore and justAfter are inverse, across period ends', () => {
    for (const cursor of [at(5, 0), at(5, 1), at(5, period_end_index), at(6, 0)]) {
      expect(justAfter(justBefore(cursor))).toEqual(cursor);
      expect(justBefore(justAfter(cursor))).toEqual(cursor);
    }
    expect(justBefore(at(5, 0))).toEqual(at(4, period_end_index));
  });

  test('horizonOf: the vouchers of each cursor counted; a gap in coverage stops it; a ceiling caps it', () => {
    const cover = (server: number, from: Cursor, through: number) => ({ server, from, through: at(through, period_end_index), short: false });
    const p = at(3, period_end_index);
    expect(horizonOf(p, [cover(0, at(1, 0), 10), cover(1, at(2, 0), 8), cover(2, at(0, 0), 4)], 2, null)).toEqual(at(8, period_end_index));
    // Server 1 covers only from 6:2 on: between 3 and 6:2 only server 0 vouches.
    expect(horizonOf(p, [cover(0, at(1, 0), 10), cover(1, at(6, 2), 10)], 2, null)).toEqual(p);
    expect(horizonOf(p, [cover(0, at(1, 0), 10), cover(1, at(1, 0), 10)], 2, at(7, 0))).toEqual(at(6, period_end_index));
  });
});

// ---- properties -------------------------------------------------------------------------

interface Scenario {
  network: Network;
  truth: ListedPayment[];
  top: number;
  liars: number[];
  start: number;
  pages: number;
  script: { committed: number[]; silent: boolean[]; restart: boolean }[];
  lies: { kind: 'fake' | 'rewrite' | 'omit' | 'forge' | 'foreign' | 'ahead'; period: number; index: number; pick: number }[][];
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    shape: fc.constantFrom<[number, QuorumMode]>([3, 'majority'], [4, 'majority'], [5, 'majority'], [4, 'two-thirds'], [7, 'two-thirds']),
    slots: fc.uniqueArray(fc.record({ period: fc.integer({ min: 1, max: 24 }), index: fc.integer({ min: 0, max: 6 }), applied: fc.boolean() }), { selector: (slot) => `${slot.period}:${slot.index}`, maxLength: 60 }),
    start: fc.integer({ min: 0, max: 6 }),
    pages: fc.integer({ min: 1, max: 4 }),
    rounds: fc.array(fc.record({ progress: fc.array(fc.integer({ min: 0, max: 24 }), { minLength: 7, maxLength: 7 }), silent: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), restart: fc.boolean() }), { maxLength: 12 }),
    lies: fc.array(fc.array(fc.record({ kind: fc.constantFrom('fake', 'rewrite', 'omit', 'forge', 'foreign', 'ahead'), period: fc.integer({ min: 1, max: 30 }), index: fc.integer({ min: 0, max: 6 }), pick: fc.nat() }), { maxLength: 10 }), { minLength: 3, maxLength: 3 }),
    liarPicks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  })
  .map(({ shape: [servers, mode], slots, start, pages, rounds, lies, liarPicks }) => {
    const network = networkOf(servers, mode);
    const f = liarsOutnumbered(network);
    const liars = [...new Set(liarPicks.slice(0, f).map((pick) => pick % servers))];
    const truth = newestFirst(slots.map((slot, i) => listed(slot.period, slot.index, poolsFor(network).realPool[i]!, slot.applied)));
    const script = rounds.map((r) => ({ committed: r.progress.slice(0, servers), silent: r.silent.slice(0, servers), restart: r.restart }));
    return { network, truth, top: 24, liars, start, pages, script, lies: lies.slice(0, liars.length) as Scenario['lies'] };
  });

/** A liar's listing: the truth up to what it claims, with its lies applied (one bytes per position, as the codec lets through). */
function liarModel(network: Network, truth: readonly ListedPayment[], claimed: number, lies: Scenario['lies'][number], silent: boolean): ServerModel {
  const { realPool, fakePool, foreignPool } = poolsFor(network);
  const byPosition = new Map<string, ListedPayment>(truth.filter((entry) => entry.period <= claimed).map((entry) => [`${entry.period}:${entry.index}`, entry]));
  let committedPeriod = claimed;
  for (const lie of lies) {
    const where = `${lie.period}:${lie.index}`;
    if (lie.kind === 'omit') byPosition.delete(where);
    else if (lie.kind === 'ahead') committedPeriod = Math.max(committedPeriod, lie.period + 1000);
    else {
      let tx = lie.kind === 'foreign' ? foreignPool[lie.pick % foreignPool.length]! : fakePool[lie.pick % fakePool.length]!;
      if (lie.kind === 'forge') {
        tx = realPool[lie.pick % realPool.length]!.slice();
        tx[tx.length - 1]! ^= 0x40;
      }
      if (lie.kind === 'rewrite' && !byPosition.has(where)) continue;
      byPosition.set(where, listed(lie.period, lie.index, tx, lie.pick % 2 === 0));
    }
  }
  committedPeriod = Math.max(committedPeriod, ...[...byPosition.values()].map((entry) => entry.period));
  return { committedPeriod, archiveFrom: 0, silent, listing: newestFirst([...byPosition.values()]) };
}

/** Runs the scenario's rounds, then rounds with every honest server caught up and answering; returns what was delivered and where it stopped. */
function run(s: Scenario): { deliveredKeys: string[]; cursors: Cursor[]; final: Cursor; rounds: number } {
  let position = at(s.start, period_end_index);
  let windows: Cursor[] = [];
  const deliveredKeys: string[] = [];
  const cursors: Cursor[] = [];
  const committed = s.network.servers.map(() => 0);
  const step = (models: ServerModel[]) => {
    const decision = round(s.network, models, position, windows, s.pages);
    for (const item of decision.steps) {
      if (item.action !== 'deliver') continue;
      deliveredKeys.push(`${item.entry.period}:${item.entry.index}:${toHex(item.entry.tx).slice(0, 16)}`);
      cursors.push(item.entry);
    }
    expect(compareCursors(decision.position, position)).toBeGreaterThanOrEqual(0);
    position = decision.position;
    windows = [...decision.windows];
    return decision;
  };
  const modelsOf = (silent: boolean[]) =>
    s.network.servers.map((_, server) => {
      const liar = s.liars.indexOf(server);
      return liar >= 0 ? liarModel(s.network, s.truth, committed[server]!, s.lies[liar] ?? [], silent[server] ?? false) : honest(s.truth, committed[server]!, 0, silent[server] ?? false);
    });
  for (const r of s.script) {
    r.committed.forEach((progress, server) => (committed[server] = Math.max(committed[server]!, Math.min(s.top, progress))));
    step(modelsOf(r.silent));
    if (r.restart) windows = []; // a restart keeps the position (on disk), not the windows
  }
  committed.fill(s.top);
  let rounds = 0;
  for (; rounds < 200; rounds++) {
    const decision = step(modelsOf([]));
    if (decision.windows.length === 0 && decision.blocked === null && compareCursors(position, at(s.top, period_end_index)) >= 0) break;
  }
  // Settled: later rounds neither open windows nor start at once (no spinning on what a liar lists).
  for (let more = 0; more < 3; more++) {
    const decision = step(modelsOf([]));
    expect([decision.windows, decision.again, decision.steps.filter((item) => item.action === 'deliver')]).toEqual([[], false, []]);
  }
  return { deliveredKeys, cursors, final: position, rounds };
}

describe('follow: properties over many rounds, with lagging, silent and lying servers (at most n − quorum liars)', () => {
  test('nothing but committed, applied payments of the account is ever delivered; each once; in (period, index) order', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const committedKeys = new Set(s.truth.filter((entry) => entry.applied).map(key));
        const { deliveredKeys, cursors } = run(s);
        for (const delivered of deliveredKeys) expect(committedKeys.has(delivered)).toBe(true);
        for (let i = 1; i < cursors.length; i++) expect(compareCursors(cursors[i - 1]!, cursors[i]!)).toBeLessThan(0);
      }),
      { numRuns: 300 },
    );
  });

  test('once the honest servers are caught up and answer, every committed payment after the start has been delivered, the backlog walked in bounded rounds', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { deliveredKeys, final, rounds } = run(s);
        const expected = [...s.truth].reverse().filter((entry) => entry.applied && entry.period > s.start).map(key);
        expect(deliveredKeys).toEqual(expected);
        expect(final).toEqual(at(s.top, period_end_index));
        expect(rounds).toBeLessThan(200);
      }),
      { numRuns: 300 },
    );
  });
});

describe('timing', () => {
  test('rounds a quarter period into each period; at once while a backlog window is open', () => {
    expect(nextRoundAt(1000, 10_000, false)).toBe(10_250);
    expect(nextRoundAt(1000, 10_249, false)).toBe(10_250);
    expect(nextRoundAt(1000, 10_250, false)).toBe(11_250);
    expect(nextRoundAt(1000, 10_900, false)).toBe(11_250);
    expect(nextRoundAt(1000, 10_900, true)).toBe(10_900);
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 3_600_000 }), fc.integer({ min: 0, max: 2 ** 45 }), (period, now) => {
        const next = nextRoundAt(period, now, false);
        expect(next).toBeGreaterThan(now);
        expect(next - now).toBeLessThanOrEqual(period);
        expect(next % period).toBe(Math.floor(period / 4));
      }),
    );
  });

  test('no quorum: one period, doubling, capped', () => {
    expect([1, 2, 3, 4].map((failures) => unreachableDelayMs(1000, failures))).toEqual([1000, 2000, 4000, 8000]);
    expect(unreachableDelayMs(1000, 60)).toBe(watch_unreachable_backoff_ms_max);
    expect(unreachableDelayMs(1000, 1e9)).toBe(watch_unreachable_backoff_ms_max);
  });

  test('delivery retries: the cap doubles from the first delay up to the most, each wait in its upper half, never without end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failures, random) => {
        const cap = Math.min(watch_delivery_retry_first_ms * 2 ** (failures - 1), watch_delivery_retry_max_ms);
        const wait = deliveryRetryDelayMs(failures, random);
        expect(wait).toBeGreaterThanOrEqual(Math.floor(cap / 2));
        expect(wait).toBeLessThanOrEqual(cap);
        expect(deliveryRetryDelayMs(failures + 1, random)).toBeGreaterThanOrEqual(wait);
      }),
    );
    expect(deliveryRetryDelayMs(1, 0)).toBe(watch_delivery_retry_first_ms / 2);
    expect(deliveryRetryDelayMs(1000, 0.999999)).toBe(watch_delivery_retry_max_ms);
  });
});
