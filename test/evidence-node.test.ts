// What an operator sees of evidence, on the real core without sockets (test/helpers/core-net.ts):
// scryp_equivocations_total{server} counts the proofs held by the server they accuse, and
// survives a restart (the proofs come back from the store); scryp_stopped and /healthz
// ("stopped: <why>", unavailable) for a server that holds a fork; and the EVIDENCE answer
// (node/queries.ts evidenceAnswer) as the node gives it from core.evidence and core.halted.

import { describe, expect, test } from 'bun:test';
import { Status } from '../src/client/codec.ts';
import { type Decision, signVote } from '../src/consensus/vote.ts';
import { NodeMetrics } from '../src/node/metrics.ts';
import { evidenceAnswer } from '../src/node/queries.ts';
import { CoreNet, first_period } from './helpers/core-net.ts';
import { parseExposition, valueOf } from './helpers/prometheus-text.ts';

const P = first_period;

async function scrape(net: CoreNet, index: number) {
  const metrics = new NodeMetrics({ network: net.network, core: net.core(index), now: () => net.now, verifyQueue: () => 0, ledgerPath: '/nonexistent/ledger.sqlite' });
  return parseExposition(await metrics.render());
}

describe('evidence as an operator sees it', () => {
  test('two VOTEs of server 1 for one period: counted against server 1 (0 for the others), kept across a restart; the server goes on', async () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 3, 500);
    let families = await scrape(net, 0);
    for (const server of ['0', '1', '2']) expect(valueOf(families, 'scryp_equivocations_total', { server })).toBe(0);
    expect(valueOf(families, 'scryp_stopped')).toBe(0);

    // Server 1's key signs two different votes for a period to come; both reach server 0.
    const base: Decision = { period: P + 9, parent: P + 2, parentHash: net.core(0).committed.hash, hash: new Uint8Array(32).fill(1) };
    for (const hash of [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]) {
      net.inject(1, 0, { type: 'vote', vote: signVote(net.servers[1]!.signer, net.network.id, { ...base, hash }, P + 2, 1) });
    }
    expect(net.core(0).evidence.map((evidence) => evidence.kind)).toEqual(['vote']);
    families = await scrape(net, 0);
    expect(valueOf(families, 'scryp_equivocations_total', { server: '1' })).toBe(1);
    expect(valueOf(families, 'scryp_equivocations_total', { server: '0' })).toBe(0);
    expect(valueOf(families, 'scryp_equivocations_total', { server: '2' })).toBe(0);
    expect(valueOf(families, 'scryp_stopped')).toBe(0);
    // The EVIDENCE answer the node gives: the proof whole, nobody stopped.
    const answer = evidenceAnswer(net.core(0).evidence, net.core(0).halted !== null, 0);
    expect(answer).toMatchObject({ index: 0, count: 1, stoppedBy: 0, summary: null });
    expect(answer.evidence?.kind).toBe('vote');
    // Passed on: the others hold it too, and a vote equivocation stops nobody.
    net.advanceToPeriod(P + 5, 500);
    for (const server of [0, 1, 2]) {
      expect(net.core(server).evidence.length, `server ${server}`).toBe(1);
      expect(net.core(server).halted).toBeNull();
      expect(net.core(server).availability(net.now).available).toBe(true);
    }
    // A restart: the count comes back from the store.
    net.crash(0);
    net.start(0);
    families = await scrape(net, 0);
    expect(valueOf(families, 'scryp_equivocations_total', { server: '1' })).toBe(1);
  });

  test('a fork: /healthz says "stopped: <why>" and unavailable, scryp_stopped is 1, a fork accuses no single server, and EVIDENCE names the proof that stopped it', async () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 4, 500);
    // Servers 0 and 1 sign a certificate that skips server 2's committed period P+3.
    net.showFork(2, P + 4);
    const core = net.core(2);
    expect(core.halted).toContain('two certificates conflict');
    const health = core.availability(net.now);
    expect(health.available).toBe(false);
    expect(health.reason).toBe(`stopped: ${core.halted}`);
    expect(health.reason).toMatch(/^stopped: two certificates conflict \(.*\): more servers misbehaved than the quorum tolerates; this server stopped taking part and answers UNAVAILABLE until an operator acts/);
    const families = await scrape(net, 2);
    expect(valueOf(families, 'scryp_stopped')).toBe(1);
    for (const server of ['0', '1', '2']) expect(valueOf(families, 'scryp_equivocations_total', { server })).toBe(0);
    const answer = evidenceAnswer(core.evidence, true, 0);
    expect(answer.stoppedBy).toBe(1);
    expect(answer.evidence?.kind).toBe('fork');
    expect(core.balance(net.wallets[0]!.publicKey, net.now).status).toBe(Status.UNAVAILABLE);
  });
});
