// /metrics and /healthz of the compiled executable: three servers on loopback, each with
// --metrics on a free port. The text is read by a strict exposition parser; the values
// must move when a payment commits; /healthz is 200 while a majority is heard and 503
// with the reason once the peers are stopped. Also: metrics are off unless asked for,
// a malformed --metrics is a usage error, and an address in use stops the start.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { Kind, Status } from '../src/client/codec.ts';
import { forwardingUntil, periodOf, startOf, timingOf } from '../src/schedule.ts';
import { signerFromSeed } from '../src/signature.ts';
import { signPayment } from '../src/transaction.ts';
import { testSeed } from './helpers/keys.ts';
import { freePorts, ProcessCluster } from './helpers/processes.ts';
import { type Family, parseExposition, valueOf } from './helpers/prometheus-text.ts';

setDefaultTimeout(60_000);

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  const c = cluster;
  cluster = null;
  await c?.stop();
});

async function scrape(port: number): Promise<Map<string, Family>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toStartWith('text/plain; version=0.0.4');
  return parseExposition(await response.text());
}

async function health(port: number): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: response.status, text: await response.text() };
}

/** Starts three servers, each serving metrics on its own port; resolves once server 0 is available. */
async function metricsCluster(): Promise<{ c: ProcessCluster; ports: number[] }> {
  const c = await ProcessCluster.create({ servers: 3, periodMs: 300 });
  cluster = c;
  const ports = await freePorts(3);
  for (const server of c.servers) c.start(server.index, ['--metrics', `127.0.0.1:${ports[server.index]}`]);
  const up = await c.until(async () => {
    try {
      return (await health(ports[0]!)).status === 200;
    } catch {
      return false; // not listening yet
    }
  }, 15_000);
  if (!up) throw new Error(`server 0 never became available:\n${c.logs()}`);
  return { c, ports };
}

describe('scryp node --metrics', () => {
  test('the text parses, every family has HELP and TYPE, and values move when a payment commits', async () => {
    const { c, ports } = await metricsCluster();
    // Available needs a majority; wait for the third server too.
    let before = await scrape(ports[0]!);
    expect(await c.until(async () => valueOf((before = await scrape(ports[0]!)), 'scryp_peers_connected') === 2, 10_000)).toBe(true);
    for (const name of ['scryp_build_info', 'scryp_current_period', 'scryp_committed_period', 'scryp_periods_committed_total', 'scryp_periods_void_total', 'scryp_available', 'scryp_peer_last_heard_periods', 'scryp_peers_connected', 'scryp_votes_missing_total', 'scryp_payments_total', 'scryp_verify_queue', 'scryp_accounts', 'scryp_commit_duration_seconds', 'scryp_catch_up_remaining_accounts', 'scryp_udp_datagrams_total', 'scryp_tcp_bytes_total', 'scryp_clock_offset_seconds']) {
      expect(before.get(name)?.type, name).toBeDefined();
    }
    expect(valueOf(before, 'scryp_available')).toBe(1);
    expect(valueOf(before, 'scryp_accounts')).toBe(1);
    expect(valueOf(before, 'scryp_peers_connected')).toBe(2);
    expect(valueOf(before, 'scryp_tcp_bytes_total', { direction: 'in' })).toBeGreaterThan(0);
    expect(valueOf(before, 'scryp_tcp_bytes_total', { direction: 'out' })).toBeGreaterThan(0);
    expect(before.get('scryp_build_info')!.samples[0]!.labels.version).toMatch(/^\d+\.\d+\.\d+/);

    // A payment to a new account, through server 0 (accepted or forwarded, by the period).
    const payee = signerFromSeed(testSeed('metrics payee')).publicKey;
    const timing = timingOf(c.network);
    const client = await c.udp();
    const entry = c.network.servers[0]!;
    // Bounded by time, not tries: an alpha that started inside its own period answers
    // UNAVAILABLE until its next one (PROTOCOL §4), a few periods on a loaded machine; and a
    // payment taken just as a server starts may end void (its period decided without it):
    // then a new one, as a wallet would, until one commits.
    const deadline = Date.now() + 30_000;
    const taken = new Set<number>();
    let after = before;
    let committed = false;
    while (!committed && Date.now() < deadline) {
      let status = -1;
      while (Date.now() < deadline && status !== Status.ACCEPTED && status !== Status.FORWARDED) {
        const now = Date.now();
        const period = periodOf(timing, now);
        if (now - startOf(timing, period) < 30 || forwardingUntil(timing, period) - now < 60) {
          await Bun.sleep(20);
          continue;
        }
        const tx = signPayment(c.wallets[0]!, c.network.id, { timestamp: now, amount: 25, payee });
        status = (await client.ask(entry.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 })).status;
        if (status === Status.UNAVAILABLE) await Bun.sleep(50);
      }
      taken.add(status);
      committed = await c.until(async () => {
        after = await scrape(ports[0]!);
        return valueOf(after, 'scryp_accounts') === 2;
      }, 4 * c.network.periodMs);
    }
    expect(committed).toBe(true);
    // Every payment server 0 took is counted under its result.
    const counted = [...taken].filter((status) => status === Status.ACCEPTED || status === Status.FORWARDED);
    expect(counted.length).toBeGreaterThan(0);
    for (const status of counted) expect(valueOf(after, 'scryp_payments_total', { result: status === Status.ACCEPTED ? 'accepted' : 'forwarded' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'scryp_committed_period')!).toBeGreaterThan(valueOf(before, 'scryp_committed_period')!);
    expect(valueOf(after, 'scryp_periods_committed_total')!).toBeGreaterThan(valueOf(before, 'scryp_periods_committed_total')!);
    expect(valueOf(after, 'scryp_commit_duration_seconds_count')!).toBeGreaterThan(valueOf(before, 'scryp_commit_duration_seconds_count')!);
    expect(valueOf(after, 'scryp_udp_datagrams_total', { direction: 'in' })!).toBeGreaterThan(valueOf(before, 'scryp_udp_datagrams_total', { direction: 'in' })!);
    expect(valueOf(after, 'scryp_udp_datagrams_total', { direction: 'out' })!).toBeGreaterThan(valueOf(before, 'scryp_udp_datagrams_total', { direction: 'out' })!);
    expect(valueOf(after, 'scryp_tcp_bytes_total', { direction: 'in' })!).toBeGreaterThan(valueOf(before, 'scryp_tcp_bytes_total', { direction: 'in' })!);
    // The sum of durations is sane: commits come within a period of the beta's start on loopback.
    const count = valueOf(after, 'scryp_commit_duration_seconds_count')!;
    expect(valueOf(after, 'scryp_commit_duration_seconds_sum')! / count).toBeLessThan(c.network.periodMs / 1000);
    // Peers' clocks: same machine, so within a few ms (the first probe runs within 2 s of the start).
    const offsets = await c.until(async () => (after = await scrape(ports[0]!)).get('scryp_clock_offset_seconds')!.samples.length === 2, 6_000);
    expect(offsets).toBe(true);
    for (const sample of after.get('scryp_clock_offset_seconds')!.samples) expect(Math.abs(sample.value)).toBeLessThan(0.05);
    expect(valueOf(after, 'scryp_ledger_bytes')!).toBeGreaterThan(0);
  });

  test('/healthz: 200 while a majority is heard, 503 "no majority heard" once both peers stop, 200 again when one is back', async () => {
    const { c, ports } = await metricsCluster();
    const ok = await health(ports[0]!);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^available: committed period \d+\n$/);
    await c.stopServer(1);
    await c.stopServer(2);
    let down = ok;
    expect(await c.until(async () => (down = await health(ports[0]!)).status === 503, 5_000)).toBe(true);
    expect(down.text).toMatch(/^no majority heard: 1 of 3 servers \(this one included\) heard in the last period, 2 needed\n$/);
    const families = await scrape(ports[0]!);
    expect(valueOf(families, 'scryp_available')).toBe(0);
    expect(valueOf(families, 'scryp_peers_connected')).toBe(0);
    expect(valueOf(families, 'scryp_peer_last_heard_periods', { server: '1' })!).toBeGreaterThanOrEqual(2);
    c.start(1, ['--metrics', `127.0.0.1:${ports[1]}`]);
    expect(await c.until(async () => (await health(ports[0]!)).status === 200, 15_000)).toBe(true);
    // Unknown paths and methods are refused plainly.
    expect((await fetch(`http://127.0.0.1:${ports[0]}/nothing`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${ports[0]}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  test('a joining server (a spare no change has added yet): /healthz 503 says "joining", and a BALANCE at its port hears UNAVAILABLE', async () => {
    const c = await ProcessCluster.create({ servers: 3, spares: 1, periodMs: 300 });
    cluster = c;
    const [port] = await freePorts(1);
    c.startAll();
    c.start(3, ['--metrics', `127.0.0.1:${port}`]);
    // Once the others commit and it answers (the servers in force do not take its batches: it
    // is no server of theirs until a change adds it), its answer is: joining.
    expect(await c.until(async () => ((await c.committedOf(0)) ?? 0) > 0 && (await c.committedOf(3)) !== null, 20_000), c.logs()).toBe(true);
    const answer = await health(port!);
    expect(answer.status).toBe(503);
    expect(answer.text).toStartWith('joining: no configuration this server knows names its key yet');
    const client = await c.udp();
    const reply = await client.ask({ host: '127.0.0.1', port: c.servers[3]!.port }, { kind: Kind.BALANCE, account: c.wallets[0]!.publicKey }, { networkId: c.network.id, serverKey: c.keyOf(3), attempts: 3, timeoutMs: 200 });
    expect(reply.status).toBe(Status.UNAVAILABLE);
    expect(valueOf(await scrape(port!), 'scryp_available')).toBe(0);
  });

  test('off unless asked for; a malformed address is a usage error; a port in use stops the start with BAD_ADDRESS', async () => {
    const c = await ProcessCluster.create({ servers: 1, periodMs: 300 });
    cluster = c;
    const [port] = await freePorts(1);
    // Without --metrics nothing listens there (and the log says nothing of metrics).
    c.start(0);
    expect(await c.until(() => c.servers[0]!.log.includes('listening on'), 10_000)).toBe(true);
    expect(await fetch(`http://127.0.0.1:${port}/metrics`).then(() => 'answered', () => 'refused')).toBe('refused');
    expect(c.servers[0]!.log).not.toContain('metrics on');
    await c.stopServer(0);
    c.start(0, ['--metrics', 'localhost:http']);
    expect(await c.servers[0]!.process!.exited).toBe(2);
    expect(c.servers[0]!.log).toContain('--metrics: expected PORT or HOST:PORT');
    c.servers[0]!.process = null;
    c.servers[0]!.log = '';
    const taken = Bun.serve({ hostname: '127.0.0.1', port: port!, fetch: () => new Response('') });
    try {
      c.start(0, ['--metrics', `127.0.0.1:${port}`]);
      expect(await c.servers[0]!.process!.exited).toBe(1);
      expect(c.servers[0]!.log).toContain(`BAD_ADDRESS: cannot serve metrics on 127.0.0.1:${port}`);
      c.servers[0]!.process = null;
    } finally {
      void taken.stop(true);
    }
  });
});
