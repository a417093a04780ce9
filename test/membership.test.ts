// The membership in force has one owner (issue 19): once a server-set change takes effect,
// everything that counts servers counts the configuration that decides the next period,
// never the network file. A change shrinks a network of four to three in another order,
// then grows it to five with two servers no core here runs, on real cores
// (test/helpers/core-net.ts); after each, every reader is checked against what the change
// says, computed here from the change itself: whose turn a period is (the rotation), the
// quorum that certifies, what the metrics count (servers, quorum, peers, missing votes),
// what /healthz counts, and what a wallet hears (INFO's alpha, CONFIG's configuration).

import { describe, expect, test } from 'bun:test';
import { Status } from '../src/client/codec.ts';
import { quorumOf } from '../src/network.ts';
import { NodeMetrics } from '../src/node/metrics.ts';
import { periodOf } from '../src/schedule.ts';
import { CoreNet } from './helpers/core-net.ts';
import { type Family, parseExposition, valueOf } from './helpers/prometheus-text.ts';

function metricsOf(net: CoreNet, index: number): NodeMetrics {
  return new NodeMetrics({ network: net.network, core: net.core(index), now: () => net.now, verifyQueue: () => 0, ledgerPath: '/nonexistent/ledger.sqlite' });
}

async function scrape(metrics: NodeMetrics): Promise<Map<string, Family>> {
  return parseExposition(await metrics.render());
}

function labelsOf(families: Map<string, Family>, name: string): string[] {
  return (families.get(name)?.samples ?? []).map((sample) => sample.labels.server!).sort();
}

/** Runs the network until every live core has committed the change and it is in force two periods. */
function untilInForce(net: CoreNet, live: readonly number[], changes: number): void {
  net.advanceUntil(() => live.every((i) => net.core(i).chain.length === changes), net.now + 20_000, `change ${changes} committed`);
  const first = net.core(live[0]!).configurations.latest.first;
  net.advanceUntil(() => live.every((i) => net.core(i).committed.period >= first + 1), net.now + 20_000, `change ${changes} in force`);
  net.advanceToPeriod(periodOf(net.timing, net.now) + 1, 500);
}

describe('one membership in force feeds rotation, quorum, metrics, health and what wallets hear', () => {
  test('shrink 4 → 3 in another order, then grow to 5: each reader follows the change', async () => {
    const net = new CoreNet(4);
    net.startAll();
    net.advanceToPeriod(periodOf(net.timing, net.now) + 2, 300);
    const metrics = metricsOf(net, 0);
    // As the node's shell feeds them: the votes that reach server 0, and a look after every step.
    net.intercept = (_from, to, message) => {
      if (to === 0) metrics.onPeerMessages([message]);
      return message;
    };
    const observed = (periods: number): void => {
      const target = net.now + periods * net.network.periodMs;
      while (net.step(target)) metrics.afterCore(net.now);
      net.now = target;
    };
    let families = await scrape(metrics);
    expect(valueOf(families, 'scryp_servers')).toBe(4);
    expect(valueOf(families, 'scryp_majority')).toBe(3);
    expect(labelsOf(families, 'scryp_peer_last_heard_periods')).toEqual(['1', '2', '3']);

    // ---- shrink: server 3 out, the rotation now 2, 0, 1 --------------------------------------
    const order = [2, 0, 1];
    expect(net.core(0).submitChange(net.changeTo(0, order, [0, 1, 2]), net.now)).toBeNull();
    net.pump();
    untilInForce(net, [0, 1, 2], 1);
    const quorum = quorumOf(order.length, 'majority');
    expect(quorum).toBe(2);
    const current = periodOf(net.timing, net.now);

    // Rotation: the alpha of this period is the new order's, on every server, and INFO says so.
    for (const i of order) {
      expect(net.core(i).membership.ids).toEqual(order);
      expect(net.core(i).info(net.now).alphaIndex).toBe(order[current % order.length]!);
    }
    // And it takes the payment (a server of the old rotation would forward or refuse it).
    net.advanceToPeriod(current + 1, 200);
    const alpha = order[(current + 1) % order.length]!;
    expect(net.pay(alpha, net.payment(0, 1, 10)).status).toBe(Status.ACCEPTED);

    // Quorum: certificates now need 2 votes of the three; a commit made with server 3 gone says so.
    net.advanceToPeriod(current + 3, 500);
    const certificate = net.core(0).committed;
    expect(certificate.votes.length).toBeGreaterThanOrEqual(quorum);
    expect(certificate.votes.every((vote) => order.includes(vote.voter))).toBe(true);
    expect(net.core(0).membership.quorum).toBe(quorum);

    // Metrics: the servers and quorum in force, its peers only (server 3 is no longer one).
    families = await scrape(metrics);
    expect(valueOf(families, 'scryp_servers')).toBe(3);
    expect(valueOf(families, 'scryp_majority')).toBe(2);
    expect(labelsOf(families, 'scryp_peer_last_heard_periods')).toEqual(['1', '2']);
    expect(valueOf(families, 'scryp_peers_connected')).toBe(2);
    expect(labelsOf(families, 'scryp_equivocations_total')).toEqual(['0', '1', '2']);

    // Health: with one of three peers down the network goes on (2 of 3), and /healthz agrees.
    net.crash(1);
    net.advanceToPeriod(periodOf(net.timing, net.now) + 3, 500);
    expect(net.core(0).availability(net.now)).toEqual({ available: true, reason: `available: committed period ${net.core(0).committed.period}` });
    net.crash(2);
    net.advanceToPeriod(periodOf(net.timing, net.now) + 2, 500);
    expect(net.core(0).availability(net.now)).toEqual({ available: false, reason: 'no majority heard: 1 of 3 servers (this one included) heard in the last period, 2 needed' });
    net.start(1);
    net.start(2);
    net.advanceToPeriod(periodOf(net.timing, net.now) + 3, 500);
    expect(net.core(0).isAvailable(net.now)).toBe(true);

    // ---- grow: two servers no core here runs join (directory ids 4 and 5) -------------------------
    const extra = [net.crypto.signer('membership extra 0'), net.crypto.signer('membership extra 1')];
    const grown = [...order, ...extra.map((signer, i) => ({ key: signer.publicKey, address: { host: '10.0.0.9', port: 5000 + i } }))];
    expect(net.core(0).submitChange(net.changeTo(0, grown, [0, 1, 2]), net.now)).toBeNull();
    net.pump();
    untilInForce(net, [0, 1, 2], 2);
    const ids = [2, 0, 1, 4, 5];
    expect(net.core(0).membership.ids).toEqual(ids);
    expect(net.core(0).membership.quorum).toBe(quorumOf(5, 'majority'));
    // The three that run are a quorum of five: they go on, and say so.
    const before = net.core(0).committed.period;
    observed(5);
    expect(net.core(0).committed.period).toBeGreaterThan(before);
    expect(net.core(0).isAvailable(net.now)).toBe(true);
    families = await scrape(metrics);
    expect(valueOf(families, 'scryp_servers')).toBe(5);
    expect(valueOf(families, 'scryp_majority')).toBe(3);
    expect(labelsOf(families, 'scryp_peer_last_heard_periods')).toEqual(['1', '2', '4', '5']);
    expect(valueOf(families, 'scryp_peer_last_heard_periods', { server: '4' })).toBe(Number.POSITIVE_INFINITY);
    expect(valueOf(families, 'scryp_peers_connected')).toBe(2);
    // Their votes never come: counted missing against them, and only them.
    expect(valueOf(families, 'scryp_votes_missing_total', { server: '4' })!).toBeGreaterThan(0);
    expect(valueOf(families, 'scryp_votes_missing_total', { server: '5' })!).toBeGreaterThan(0);
    expect(valueOf(families, 'scryp_votes_missing_total', { server: '1' })).toBe(0);
    // What a wallet hears: CONFIG names the newest configuration, and INFO the alpha of its rotation.
    const now = periodOf(net.timing, net.now);
    expect(net.core(1).configPiece(0, 0, 0).latest).toBe(2);
    expect(net.core(1).info(net.now).alphaIndex).toBe(ids[now % ids.length]!);
  });
});
