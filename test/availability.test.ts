// Availability has one owner (issue 19): whether a server answers clients, and why not,
// is computed once in the core, and /healthz, the UDP edge (BALANCE, PAY, ...) and the
// metrics read that one answer. Each state a server can be in that keeps it from serving
// (removed by a change, joining, stopped on a fork, catching up, out of sync, no quorum
// heard) is put on a real core (test/helpers/core-net.ts), and /healthz and a BALANCE
// answer must agree on it, /healthz saying why.

import { describe, expect, test } from 'bun:test';
import { Status, statusName } from '../src/client/codec.ts';
import { ServerCore } from '../src/node/core.ts';
import { periodOf, startOf } from '../src/schedule.ts';
import { CoreNet, first_period } from './helpers/core-net.ts';

const P = first_period;

/** What /healthz serves and what a BALANCE request hears, from one core at one instant: they must agree. */
function served(net: CoreNet, core: ServerCore): { available: boolean; reason: string; balance: Status } {
  const health = core.availability(net.now);
  const balance = core.balance(net.wallets[0]!.publicKey, net.now).status;
  expect(health.available, `/healthz says "${health.reason}", BALANCE answers ${statusName[balance]}`).toBe(balance !== Status.UNAVAILABLE);
  return { ...health, balance };
}

describe('/healthz and the client edge answer from one availability', () => {
  test('a healthy server: available on both, with its committed period', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 3, 500);
    const answer = served(net, net.core(0));
    expect(answer.available).toBe(true);
    expect(answer.reason).toBe(`available: committed period ${net.core(0).committed.period}`);
  });

  test('removed by a committed change: unavailable on both, and /healthz says it was removed', () => {
    const net = new CoreNet(4);
    net.startAll();
    net.advanceToPeriod(P + 2, 300);
    expect(served(net, net.core(3)).available).toBe(true);
    expect(net.core(0).submitChange(net.changeTo(0, [0, 1, 2], [0, 1, 2]), net.now)).toBeNull();
    net.pump();
    net.advanceUntil(() => net.core(3).removed !== null, net.now + 20_000, 'server 3 removed');
    // It still hears every other server (they pass it on what it needs to see that it is out).
    net.advanceToPeriod(periodOf(net.timing, net.now) + 1, 500);
    const answer = served(net, net.core(3));
    expect(answer.available).toBe(false);
    expect(answer.reason).toStartWith('removed: configuration 1');
  });

  test('joining (no configuration it knows names its key): unavailable on both, and /healthz says it is joining', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 3, 500);
    const signer = net.crypto.signer('availability joining');
    const core = new ServerCore({ network: net.network, selfIndex: -1, signer, store: net.freshStore(), verify: net.crypto.verify, log: { debug() {}, info() {}, warn() {}, error() {} }, now: net.now });
    // It hears every server of the network file (their STATUS), as a joining server does once linked.
    for (let i = 0; i < 3; i++) core.onMessage(i, { type: 'status', committed: net.core(i).committed, vote: null }, net.now);
    const answer = served(net, core);
    expect(answer.available).toBe(false);
    expect(answer.reason).toStartWith('joining:');
  });

  test('stopped on a fork: unavailable on both, and /healthz says why it stopped', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 4, 500);
    net.showFork(2, P + 4);
    const answer = served(net, net.core(2));
    expect(answer.available).toBe(false);
    expect(answer.reason).toBe(`stopped: ${net.core(2).halted}`);
  });

  test('catching up (it slept through periods the others committed): unavailable on both until it is back, and /healthz says so', () => {
    const net = new CoreNet();
    net.startAll();
    const core = net.sleepThrough(2, P + 2, P + 8);
    const answer = served(net, core);
    expect(answer.available).toBe(false);
    expect(answer.reason).toStartWith('catching up:');
    net.advanceUntil(() => core.committed.period === net.core(0).committed.period, net.now + 10_000, 'server 2 caught up');
    net.advanceToPeriod(periodOf(net.timing, net.now) + 1, 500);
    expect(served(net, core).available).toBe(true);
  });

  test('out of sync (its result for a period is not the certified one): unavailable on both, and /healthz says so', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 3, 200);
    expect(net.pay(0, net.payment(0, 1, 10)).status).toBe(Status.ACCEPTED); // alpha(P + 3) = 0
    // The PROPOSAL of P+3 reaches server 2 without its payment: its result differs from the majority's.
    net.intercept = (_from, to, message) => {
      if (to === 2 && message.type === 'snapshot_header') return null; // no snapshot comes back yet
      if (to !== 2 || message.type !== 'proposal' || message.period !== P + 3) return message;
      return net.resignProposal({ ...message, transactions: new Uint8Array(0) });
    };
    net.advanceUntil(() => (net.core(2).counters.get('state_differs') ?? 0) > 0, startOf(net.timing, P + 5), 'the state differs');
    const answer = served(net, net.core(2));
    expect(answer.available).toBe(false);
    expect(answer.reason).toStartWith('out of sync:');
  });

  test('no quorum heard: unavailable on both, and /healthz counts the servers in force', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 3, 500);
    net.crash(1);
    net.crash(2);
    net.advanceToPeriod(P + 6, 500);
    const answer = served(net, net.core(0));
    expect(answer.available).toBe(false);
    expect(answer.reason).toBe('no majority heard: 1 of 3 servers (this one included) heard in the last period, 2 needed');
  });
});
