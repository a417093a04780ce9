// The compiled executable, three servers on loopback with 300 ms periods: every server
// hears the beta message of every other within two full rotations; with one absent, the
// other two go on.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { ProcessCluster } from './helpers/processes.ts';

// Real servers with short periods: each test takes seconds, not milliseconds.
setDefaultTimeout(60_000);

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

/** Periods proposed by each server, read from its log ("beta: PROPOSAL for period k"). */
function proposedBy(log: string): number[] {
  return [...log.matchAll(/beta: PROPOSAL for period (\d+)/g)].map((match) => Number(match[1]));
}

/** The periods of the beta messages a server logged receiving from `beta`. */
function betaMessagesIn(log: string, beta: number): number[] {
  return [...log.matchAll(new RegExp(`beta message from server ${beta}: PROPOSAL for period (\\d+)`, 'g'))].map((match) => Number(match[1]));
}

function committedIn(log: string): number[] {
  return [...log.matchAll(/committed period (\d+):/g)].map((match) => Number(match[1]));
}

describe('three servers, one executable each', () => {
  test('within two full rotations every server hears the beta of every other, and INFO shows it', async () => {
    cluster = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    cluster.startAll();
    const c = cluster;
    // All three answer INFO (they are up) ...
    expect(await c.until(async () => (await Promise.all([0, 1, 2].map((i) => c.info(i)))).every((info) => info !== null), 5_000)).toBe(true);
    const startPeriod = c.periodNow();
    // ... then until every server was beta since and every other logged its beta message (two
    // rotations at most, with room for a loaded machine), and hears every other now.
    const everyBetaHeard = () =>
      [0, 1, 2].every((beta) => {
        const proposals = proposedBy(c.servers[beta]!.log).filter((period) => period >= startPeriod);
        return [0, 1, 2].every((other) => other === beta || proposals.some((period) => betaMessagesIn(c.servers[other]!.log, beta).includes(period)));
      });
    const everyoneHeard = async () => (await Promise.all([0, 1, 2].map((i) => c.info(i)))).every((info, i) => info !== null && [0, 1, 2].every((j) => j === i || info.lastHeard[j]! >= info.currentPeriod - 1));
    expect(await c.until(async () => everyBetaHeard() && (await everyoneHeard()), 20 * c.network.periodMs), c.logs()).toBe(true);
    const infos = await Promise.all([0, 1, 2].map((i) => c.info(i)));
    for (const [i, info] of infos.entries()) {
      expect(info, c.logs()).not.toBeNull();
      for (let j = 0; j < 3; j++) {
        if (j === i) continue;
        // The last period in which a valid message from j arrived: within the last period.
        expect(info!.lastHeard[j]!, `server ${i} last heard ${j}\n${c.logs()}`).toBeGreaterThanOrEqual(info!.currentPeriod - 1);
      }
    }
    // Every server was beta at least once in the window; every other server logged its beta
    // message for one of those periods, and committed its proposal.
    for (let beta = 0; beta < 3; beta++) {
      const proposals = proposedBy(c.servers[beta]!.log).filter((period) => period >= startPeriod);
      expect(proposals.length, `server ${beta} proposed\n${c.logs()}`).toBeGreaterThan(0);
      for (let other = 0; other < 3; other++) {
        if (other === beta) continue;
        const heard = betaMessagesIn(c.servers[other]!.log, beta);
        expect(proposals.some((period) => heard.includes(period)), `server ${other} logged the beta message of ${beta}\n${c.logs()}`).toBe(true);
        // INFO's last-heard of that beta is at least its beta period (a later batch moves it on).
        expect(infos[other]!.lastHeard[beta]!).toBeGreaterThanOrEqual(Math.min(...heard.filter((period) => period >= startPeriod)) + 1);
        const committed = new Set(committedIn(c.servers[other]!.log));
        expect(proposals.some((period) => committed.has(period)), `server ${other} committed a proposal of ${beta}\n${c.logs()}`).toBe(true);
      }
    }
  });

  test('with one server absent the other two go on, and INFO says the third was never heard', async () => {
    cluster = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    cluster.start(0);
    cluster.start(1);
    const c = cluster;
    expect(await c.until(async () => (await c.info(0)) !== null && (await c.info(1)) !== null, 5_000)).toBe(true);
    const first = (await c.info(0))!.committedPeriod;
    // The two go on: both commit past first + 2, each having taken the other's turn as beta
    // (bounded; two rotations on an idle machine).
    const wentOn = async () =>
      betaMessagesIn(c.servers[0]!.log, 1).length > 0 &&
      betaMessagesIn(c.servers[1]!.log, 0).length > 0 &&
      (await Promise.all([c.info(0), c.info(1)])).every((info) => info !== null && info.committedPeriod > first + 2);
    expect(await c.until(wentOn, 20 * c.network.periodMs), c.logs()).toBe(true);
    const [a, b] = await Promise.all([c.info(0), c.info(1)]);
    expect(a!.committedPeriod, c.logs()).toBeGreaterThan(first + 2);
    expect(b!.committedPeriod).toBeGreaterThan(first + 2);
    expect(a!.lastHeard[2]).toBe(0);
    expect(b!.lastHeard[2]).toBe(0);
    expect(a!.lastHeard[1]!).toBeGreaterThanOrEqual(a!.currentPeriod - 1);
    expect(b!.lastHeard[0]!).toBeGreaterThanOrEqual(b!.currentPeriod - 1);
    // Each of the two logged the other's beta message, and none from the absent one.
    expect(betaMessagesIn(c.servers[0]!.log, 1).length, c.logs()).toBeGreaterThan(0);
    expect(betaMessagesIn(c.servers[1]!.log, 0).length, c.logs()).toBeGreaterThan(0);
    expect(betaMessagesIn(c.servers[0]!.log, 2)).toEqual([]);
    expect(betaMessagesIn(c.servers[1]!.log, 2)).toEqual([]);
    expect(await c.info(2)).toBeNull();
  });

  test('WHOAMI at start: a server alone keeps asking, and checks its address once a peer is up', async () => {
    cluster = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    const c = cluster;
    c.start(0);
    expect(await c.until(() => c.servers[0]!.log.includes('no peer answered WHOAMI yet; asking again every 1000 ms'), 5_000), c.logs()).toBe(true);
    expect(c.servers[0]!.log).not.toContain('sees us at');
    c.start(1);
    // Server 1 checks at its start (server 0 is up); server 0 at its next round, within a second or so.
    expect(await c.until(() => /server 1 sees us at 127\.0\.0\.1, as the network file says/.test(c.servers[0]!.log), 5_000), c.logs()).toBe(true);
    expect(await c.until(() => /server 0 sees us at 127\.0\.0\.1, as the network file says/.test(c.servers[1]!.log), 5_000), c.logs()).toBe(true);
    expect(c.servers[0]!.log).not.toContain('external address is unchecked');
  });

  test('a server waiting between WHOAMI rounds stops at once on SIGTERM', async () => {
    // Period 4 s: the rounds are 4 s apart, so lingering until the next would show.
    cluster = await ProcessCluster.create({ servers: 3, periodMs: 4_000 });
    const c = cluster;
    c.start(0);
    // The log line is written as it starts waiting: it is between rounds now.
    expect(await c.until(() => c.servers[0]!.log.includes('asking again every 4000 ms'), 5_000), c.logs()).toBe(true);
    const started = performance.now();
    expect(await c.stopServer(0, 'SIGTERM')).toBe(0);
    expect(performance.now() - started, 'stopped without waiting for the next round').toBeLessThan(2_000);
  });
});
