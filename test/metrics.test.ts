// The metrics and /healthz, in process: three real ServerCores (test/helpers/core-net.ts),
// the metrics of server 0 fed exactly as the node's shell feeds them (afterCore after
// every step, the votes that reach it), and what they must say: every commit seen,
// each void period, the votes that never came, health equal to isAvailable at every
// step with the right reason, and text that a strict exposition parser accepts.
// test/metrics.integration.test.ts scrapes the compiled executable.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type Certificate } from '../src/consensus/vote.ts';
import { alphaOf } from '../src/schedule.ts';
import { NodeMetrics, parseMetricsAddress } from '../src/node/metrics.ts';
import { codeOf } from './helpers/errors.ts';
import { CoreNet, first_period } from './helpers/core-net.ts';
import { parseExposition, valueOf } from './helpers/prometheus-text.ts';

/** Server 0's metrics on a CoreNet, with what its shell would call. */
function watched(net: CoreNet) {
  const metrics = new NodeMetrics({
    network: net.network,
    core: net.core(0),
    now: () => net.now,
    verifyQueue: () => 0,
    ledgerPath: '/nonexistent/ledger.sqlite',
  });
  const health: { available: boolean; isAvailable: boolean; reason: string }[] = [];
  const commits: Certificate[] = [];
  let votesHidden = -1; // a server whose votes never reach server 0
  net.intercept = (from, to, message) => {
    if (to !== 0) return message;
    if (from === votesHidden && message.type === 'vote') return null;
    if (from === votesHidden && message.type === 'status') return { ...message, vote: null };
    if (message.type === 'vote' && message.vote.voter === votesHidden) return null;
    metrics.onPeerMessages([message]);
    return message;
  };
  /** Steps every timer up to `target`, as the node's shell: afterCore after each step. */
  const runTo = (target: number) => {
    for (let steps = 0; net.step(target); steps++) {
      if (steps > 100_000) throw new Error('no progress');
      const core = net.servers[0]!.core;
      if (core === null) continue;
      metrics.afterCore(net.now);
      const committed = core.committed;
      if (commits.at(-1)?.period !== committed.period) commits.push(committed);
      const verdict = core.availability(net.now);
      health.push({ available: verdict.available, isAvailable: core.isAvailable(net.now), reason: verdict.reason });
    }
    net.now = target;
  };
  const runPeriods = (count: number) => runTo(net.now + count * net.network.periodMs);
  return { metrics, health, commits, runPeriods, hideVotesOf: (server: number) => (votesHidden = server) };
}

describe('parseMetricsAddress', () => {
  test('a port alone is loopback; a host is taken as given, and only loopback hosts are called loopback', () => {
    expect(parseMetricsAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464, loopback: true });
    expect(parseMetricsAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464, loopback: true });
    expect(parseMetricsAddress('localhost:1')).toEqual({ host: 'localhost', port: 1, loopback: true });
    expect(parseMetricsAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464, loopback: true });
    expect(parseMetricsAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464, loopback: false });
    expect(parseMetricsAddress('10.0.0.7:65535')).toEqual({ host: '10.0.0.7', port: 65535, loopback: false });
  });

  test('anything else is BAD_ADDRESS', () => {
    for (const text of ['', ':', 'abc', '9464:127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', 'http://127.0.0.1:9464', '127.0.0.1:94 64', '1.2.3.4:5:6']) {
      expect(codeOf(() => parseMetricsAddress(text))).toBe('BAD_ADDRESS');
    }
  });

  test('property: every port 1..65535 on any IPv4 host reads back as written', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const address = parseMetricsAddress(`${host}:${port}`);
        return address.host === host && address.port === port && address.loopback === host.startsWith('127.');
      }),
    );
  });
});

describe('the commit watch', () => {
  test('a healthy network: every commit live, none void, no vote missing, one duration per commit', () => {
    const net = new CoreNet(3);
    net.startAll();
    const { metrics, runPeriods, commits } = watched(net);
    runPeriods(12);
    expect(commits.length).toBeGreaterThanOrEqual(10);
    expect(metrics.watch.voidPeriods).toBe(0);
    expect(metrics.watch.votesMissing).toEqual([0, 0, 0]);
    expect(metrics.watch.snapshotsInstalled).toBe(0);
  });

  test("a server whose votes never reach us is counted missing once per commit; the others never", () => {
    const net = new CoreNet(3);
    net.startAll();
    const { metrics, runPeriods, hideVotesOf, commits } = watched(net);
    runPeriods(3);
    expect(metrics.watch.votesMissing).toEqual([0, 0, 0]);
    hideVotesOf(2);
    const before = commits.length;
    runPeriods(10);
    const live = commits.length - before;
    expect(live).toBeGreaterThanOrEqual(8);
    // Counted one commit later (late votes still count), so one or two fewer than the commits.
    expect(metrics.watch.votesMissing[2]).toBeGreaterThanOrEqual(live - 2);
    expect(metrics.watch.votesMissing[2]).toBeLessThanOrEqual(live);
    expect(metrics.watch.votesMissing[0]).toBe(0);
    expect(metrics.watch.votesMissing[1]).toBe(0);
  });

  test('void periods: the gaps the committed certificates skip, counted as they commit', () => {
    const net = new CoreNet(3);
    net.startAll();
    const { metrics, runPeriods, commits } = watched(net);
    runPeriods(4);
    // Server 1 down for a while: the periods it is alpha of have no batch, and go void.
    net.crash(1);
    runPeriods(7);
    net.start(1);
    runPeriods(5);
    const skipped = commits.slice(1).reduce((sum, certificate) => sum + (certificate.period - certificate.parent - 1), 0);
    const firstReal = commits.findIndex((certificate) => certificate.period > 0);
    // The first commit after genesis skips the periods before the network began: not void.
    const beforeNetwork = commits[firstReal]!.period - commits[firstReal]!.parent - 1;
    expect(skipped - beforeNetwork).toBeGreaterThanOrEqual(2);
    expect(metrics.watch.voidPeriods).toBe(skipped - beforeNetwork);
    // And they are the periods whose alpha was down.
    const voidPeriods = commits.slice(firstReal + 1).flatMap((certificate) => Array.from({ length: certificate.period - certificate.parent - 1 }, (_, i) => certificate.parent + 1 + i));
    expect(voidPeriods.length).toBe(metrics.watch.voidPeriods);
    for (const period of voidPeriods) expect(alphaOf(net.network.servers.length, period)).toBe(1);
  });

  test('a commit duration is the time from the beta\'s start to the commit', async () => {
    const net = new CoreNet(3);
    net.startAll();
    const { metrics, runPeriods } = watched(net);
    runPeriods(6);
    const families = parseExposition(await metrics.render());
    const count = valueOf(families, 'scryp_commit_duration_seconds_count')!;
    const sum = valueOf(families, 'scryp_commit_duration_seconds_sum')!;
    expect(count).toBeGreaterThanOrEqual(4);
    // In CoreNet messages take no time: a commit comes at once after the proposal, or at
    // the votable instant (end − skew of the receiver) at most: within the period.
    expect(sum / count).toBeGreaterThanOrEqual(0);
    expect(sum / count).toBeLessThan(net.network.periodMs / 1000);
  });
});

describe('health', () => {
  test('equal to isAvailable at every step, with the reason: available, no majority heard, catching up', () => {
    const net = new CoreNet(3);
    net.startAll();
    const { runPeriods, health } = watched(net);
    runPeriods(3);
    expect(health.at(-1)!.available).toBe(true);
    expect(health.at(-1)!.reason).toMatch(/^available: committed period \d+/);
    net.crash(1);
    net.crash(2);
    runPeriods(3);
    expect(health.at(-1)!.available).toBe(false);
    expect(health.at(-1)!.reason).toMatch(/^no majority heard: 1 of 3 servers .* 2 needed/);
    // Servers 1 and 2 come back; 1 with its ledger lost: everyone catches up.
    net.start(1, net.freshStore());
    net.start(2);
    runPeriods(4);
    expect(health.at(-1)!.available).toBe(true);
    for (const step of health) expect(step.available).toBe(step.isAvailable);
    const reasons = new Set(health.map((step) => step.reason.split(':')[0]));
    expect(reasons).toContain('available');
    expect(reasons).toContain('no majority heard');
  });

  test('a server behind the majority says it is catching up, then available', () => {
    const net = new CoreNet(3);
    net.startAll();
    net.advanceToPeriod(first_period + 3);
    // Server 0 misses several commits (its store stays), then comes back behind.
    net.crash(0);
    net.advanceToPeriod(first_period + 8);
    net.start(0);
    const { runPeriods, health } = watched(net);
    runPeriods(3);
    for (const step of health) expect(step.available).toBe(step.isAvailable);
    expect(health.some((step) => step.reason.startsWith('catching up: the majority has committed past our period'))).toBe(true);
    expect(health.at(-1)!.available).toBe(true);
  });
});

describe('the exposition text', () => {
  const wanted: Record<string, { type: string; labels?: string[] }> = {
    scryp_build_info: { type: 'gauge', labels: ['version'] },
    scryp_server_info: { type: 'gauge', labels: ['network', 'network_id', 'server'] },
    scryp_servers: { type: 'gauge' },
    scryp_majority: { type: 'gauge' },
    scryp_period_seconds: { type: 'gauge' },
    scryp_blackout_seconds: { type: 'gauge' },
    scryp_skew_seconds: { type: 'gauge' },
    scryp_current_period: { type: 'gauge' },
    scryp_committed_period: { type: 'gauge' },
    scryp_periods_committed_total: { type: 'counter' },
    scryp_periods_void_total: { type: 'counter' },
    scryp_snapshots_installed_total: { type: 'counter' },
    scryp_available: { type: 'gauge' },
    scryp_peer_last_heard_periods: { type: 'gauge', labels: ['server'] },
    scryp_peers_connected: { type: 'gauge' },
    scryp_votes_missing_total: { type: 'counter', labels: ['server'] },
    scryp_payments_total: { type: 'counter', labels: ['result'] },
    scryp_verify_queue: { type: 'gauge' },
    scryp_accounts: { type: 'gauge' },
    scryp_commit_duration_seconds: { type: 'histogram' },
    scryp_catch_up_remaining_accounts: { type: 'gauge' },
    scryp_udp_datagrams_total: { type: 'counter', labels: ['direction'] },
    scryp_tcp_bytes_total: { type: 'counter', labels: ['direction'] },
    scryp_clock_offset_seconds: { type: 'gauge' },
    scryp_ledger_bytes: { type: 'gauge' },
    scryp_node_events_total: { type: 'counter', labels: ['event'] },
  };

  test('every metric the issue lists, with HELP, TYPE and labels; counters end in _total; values read from the node', async () => {
    const net = new CoreNet(3);
    net.startAll();
    const { metrics, runPeriods } = watched(net);
    runPeriods(4);
    const counters = net.core(0).counters;
    counters.set('udp_reply_pay_accepted', 7);
    counters.set('udp_reply_pay_bad_time', 2);
    counters.set('udp_in', 12);
    counters.set('udp_answered_accepted', 7);
    counters.set('udp_answered_bad_time', 2);
    counters.set('udp_send_failed', 1);
    counters.set('tcp_in_bytes', 1000);
    counters.set('tcp_out_bytes', 900);
    const families = parseExposition(await metrics.render());
    for (const [name, { type, labels }] of Object.entries(wanted)) {
      const family = families.get(name);
      expect(family, name).toBeDefined();
      expect(family!.type, name).toBe(type);
      expect(family!.help!.length, name).toBeGreaterThan(10);
      if (type === 'counter') expect(name.endsWith('_total'), name).toBe(true);
      for (const label of labels ?? []) expect(family!.samples.every((sample) => label in sample.labels), `${name}{${label}}`).toBe(true);
    }
    const core = net.core(0);
    expect(valueOf(families, 'scryp_committed_period')).toBe(core.committed.period);
    expect(valueOf(families, 'scryp_current_period')).toBe(core.info(net.now).currentPeriod);
    expect(valueOf(families, 'scryp_periods_committed_total')).toBe(counters.get('committed')!);
    expect(valueOf(families, 'scryp_available')).toBe(1);
    expect(valueOf(families, 'scryp_servers')).toBe(3);
    expect(valueOf(families, 'scryp_majority')).toBe(2);
    expect(valueOf(families, 'scryp_period_seconds')).toBe(net.network.periodMs / 1000);
    expect(valueOf(families, 'scryp_skew_seconds')).toBe(net.network.skewMs / 1000);
    expect(valueOf(families, 'scryp_blackout_seconds')).toBe(net.network.blackoutMs / 1000);
    expect(valueOf(families, 'scryp_accounts')).toBe(core.ledger.accountCount);
    expect(valueOf(families, 'scryp_peers_connected')).toBe(2);
    expect(valueOf(families, 'scryp_peer_last_heard_periods', { server: '1' })).toBe(0);
    expect(valueOf(families, 'scryp_peer_last_heard_periods', { server: '0' })).toBeUndefined(); // not a peer of itself
    expect(valueOf(families, 'scryp_payments_total', { result: 'accepted' })).toBe(7);
    expect(valueOf(families, 'scryp_payments_total', { result: 'bad_time' })).toBe(2);
    expect(valueOf(families, 'scryp_udp_datagrams_total', { direction: 'in' })).toBe(12);
    expect(valueOf(families, 'scryp_udp_datagrams_total', { direction: 'out' })).toBe(8);
    expect(valueOf(families, 'scryp_tcp_bytes_total', { direction: 'in' })).toBe(1000);
    expect(valueOf(families, 'scryp_tcp_bytes_total', { direction: 'out' })).toBe(900);
    expect(valueOf(families, 'scryp_node_events_total', { event: 'committed' })).toBe(counters.get('committed')!);
    expect(valueOf(families, 'scryp_votes_missing_total', { server: '2' })).toBe(0);
    // Never measured (no probe ran): absent, not a made-up zero.
    expect(families.get('scryp_clock_offset_seconds')!.samples).toEqual([]);
  });

  test('a peer never heard is +Inf periods ago, and counts as not connected', async () => {
    const net = new CoreNet(3);
    net.start(0);
    const { metrics, runPeriods } = watched(net);
    runPeriods(2);
    const families = parseExposition(await metrics.render());
    expect(valueOf(families, 'scryp_peer_last_heard_periods', { server: '1' })).toBe(Number.POSITIVE_INFINITY);
    expect(valueOf(families, 'scryp_peers_connected')).toBe(0);
    expect(valueOf(families, 'scryp_available')).toBe(0);
  });
});
