// `scryp watch` as a shop runs it: the compiled executable against real servers on
// loopback (real UDP, real SQLite), with a steady load of payments to the shop.
//
//   - webhook: a receiver (Bun.serve) that checks every signature with the documented
//     recipe and dedups by the idempotency key; the watcher is killed with SIGKILL 20 times
//     at random moments under load and started again each time: after dedup by txid every
//     committed payment arrived, in order, nothing else did, and the raw redeliveries (at
//     most one per kill: the delivery in flight) are counted and reported;
//   - --exec: a command that fails twice, then takes every payment from --from on, in order;
//   - a webhook that answers 500, then too slowly, then 2xx: the same payment retried with
//     backoff under the same idempotency key, every attempt signed;
//   - servers unreachable: said once on stderr, recovered without help;
//   - a lying server (a fake on server 2's address holding server 2's real key) that signs
//     HISTORY replies listing payments never committed (validly signed by a payer the test
//     holds), amounts rewritten, and a committed period far ahead: --jsonl never shows one;
//   - refusals: a position file that does not parse (left as it is), another account's
//     position, a directory without a key and no --account, a bad URL, two outputs.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { type Subprocess } from 'bun';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { decodeRequest, encodeReply, type HistoryBody, historyPageThatFits, Kind, type ListedPayment, payKindOf, Status } from '../src/client/codec.ts';
import { accountHistory } from '../src/client/history.ts';
import { alphaOf, periodOf } from '../src/schedule.ts';
import { formatSeed } from '../src/seed.ts';
import { signerFromSeed, type Signer } from '../src/signature.ts';
import { amountOf, payeeOf, signPayment, timestampOf, txidOf } from '../src/transaction.ts';
import { testSeed, testSigner } from './helpers/keys.ts';
import { Prng } from './helpers/prng.ts';
import { binary, ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(240_000);

interface Cursor {
  period: number;
  index: number;
}
const after = (a: Cursor, b: Cursor) => a.period > b.period || (a.period === b.period && a.index > b.index);

/** A wallet directory holding `label`'s seed. */
function walletDir(c: ProcessCluster, label: string): { dir: string; signer: Signer } {
  const dir = join(c.base, label);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.seed'), formatSeed(testSeed(label)), { mode: 0o600 });
  return { dir, signer: testSigner(label) };
}

interface Watcher {
  process: Subprocess<'ignore', 'pipe', 'pipe'>;
  stdout: string;
  stderr: string;
}

function startWatcher(c: ProcessCluster, args: string[]): Watcher {
  const child = Bun.spawn([binary, 'watch', '--network', c.networkFile, '--log-level', 'info', ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const watcher: Watcher = { process: child, stdout: '', stderr: '' };
  void (async () => {
    for await (const chunk of child.stdout) watcher.stdout += new TextDecoder().decode(chunk);
  })();
  void (async () => {
    for await (const chunk of child.stderr) watcher.stderr += new TextDecoder().decode(chunk);
  })();
  return watcher;
}

async function stopWatcher(watcher: Watcher, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number> {
  watcher.process.kill(signal);
  return await watcher.process.exited;
}

/**
 * Pays `payee` from `payer` at the alpha of each period (`perPeriod` payments a period,
 * away from the period's edges), for `periods` periods; skips periods whose alpha is in
 * `skipAlphas` (a server not running). Returns the txids the alpha ACCEPTED.
 */
async function steadyLoad(
  c: ProcessCluster,
  payer: Signer,
  payee: Uint8Array,
  periods: number,
  perPeriod: number,
  skipAlphas: number[] = [],
  references = false,
): Promise<{ accepted: string[]; lastPeriod: number; referenceOf: Map<string, string> }> {
  const accepted: string[] = [];
  const referenceOf = new Map<string, string>(); // txid → the reference it was signed with (every other payment, with `references`)
  let lastPeriod = 0;
  const client = await c.udp();
  let amount = 1;
  for (let done = 0; done < periods; done++) {
    const period = await c.awayFromBoundaries(40);
    lastPeriod = period;
    const alpha = alphaOf(c.network.servers.length, period);
    if (!skipAlphas.includes(alpha)) {
      const server = c.network.servers[alpha]!;
      await Promise.all(
        Array.from({ length: perPeriod }, async (_, k) => {
          const paid = amount++;
          const reference = references && paid % 2 === 0 ? 9_000_000_000_000_000_000n + BigInt(paid) : undefined; // beyond 2^53: it must travel as a string
          const tx = signPayment(payer, c.network.id, { timestamp: Date.now() + k, amount: paid, payee, ...(reference === undefined ? {} : { reference }) });
          if (reference !== undefined) referenceOf.set(toHex(txidOf(tx)), reference.toString());
          try {
            const reply = await client.ask(server.address, { kind: payKindOf(tx), transaction: tx }, { networkId: c.network.id, serverKey: server.key, attempts: 2, timeoutMs: 60 });
            if (reply.status === Status.ACCEPTED) accepted.push(toHex(txidOf(tx)));
          } catch {
            // not answered in time: not counted as made
          }
        }),
      );
    }
    await c.until(() => periodOf(c.timing(), Date.now()) > period, 5_000, 10);
  }
  return { accepted, lastPeriod, referenceOf };
}

/** Until a majority of the servers has committed `period` (or the time is up). */
async function committedThrough(c: ProcessCluster, account: Uint8Array, period: number, network = c.network, timeoutMs = 10_000): Promise<boolean> {
  return await c.until(async () => (await accountHistory(await c.udp(), network, account, { limit: 1 })).committedPeriod >= period, timeoutMs);
}

/** The account's incoming payments a majority of servers lists as committed and applied, oldest first. */
async function committedIncoming(c: ProcessCluster, account: Uint8Array, network = c.network): Promise<{ txid: string; period: number; index: number; amount: number }[]> {
  const page = await accountHistory(await c.udp(), network, account, { limit: 10_000 });
  return page.entries
    .filter((entry) => entry.agreement === 'committed' && entry.applied && entry.direction === 'in')
    .map((entry) => ({ txid: toHex(entry.txid), period: entry.period, index: entry.index, amount: entry.amount }))
    .reverse();
}

function readPositionFile(dir: string): Cursor {
  const saved = JSON.parse(readFileSync(join(dir, 'watch-position.json'), 'utf8'));
  return { period: saved.period, index: saved.index };
}

/** The documented recipe (docs/PROTOCOL.md §6.13), from the document: HMAC-SHA256 keyed with the secret file's text over "<t>.<body>". */
function signatureHolds(secret: string, header: string | null, body: string): boolean {
  const fields = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${fields.t}.${body}`).digest('hex');
  return typeof fields.v1 === 'string' && fields.v1.length === 64 && timingSafeEqual(Buffer.from(fields.v1), Buffer.from(expected)) && Math.abs(Date.now() / 1000 - Number(fields.t)) <= 300;
}

/** A webhook receiver that checks signatures and dedups by Idempotency-Key; `answer` decides each reply. */
function receiver(secretOf: () => string, answer: (attempt: number, txid: string) => 'ok' | 'error' | 'slow' = () => 'ok') {
  const state = {
    raw: [] as { txid: string; attempt: number; body: Record<string, unknown> }[],
    firstArrivals: [] as { txid: string; period: number; index: number }[],
    seen: new Set<string>(),
    badSignatures: 0,
    mismatchedKeys: 0,
  };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 30,
    async fetch(request) {
      const body = await request.text();
      if (!signatureHolds(secretOf(), request.headers.get('scryp-signature'), body)) {
        state.badSignatures++;
        return new Response('bad signature', { status: 401 });
      }
      const event = JSON.parse(body) as Record<string, unknown>;
      const txid = request.headers.get('idempotency-key') ?? '';
      if (txid !== event.txid) state.mismatchedKeys++;
      const attempt = Number(request.headers.get('scryp-delivery-attempt'));
      state.raw.push({ txid, attempt, body: event });
      const verdict = answer(attempt, txid);
      if (verdict === 'error') return new Response('down for maintenance', { status: 500 });
      if (verdict === 'slow') await Bun.sleep(3_000);
      if (!state.seen.has(txid)) {
        state.seen.add(txid);
        state.firstArrivals.push({ txid, period: event.period as number, index: event.index as number });
      }
      return new Response(null, { status: 204 });
    },
  });
  return { state, server, url: `http://127.0.0.1:${server.port}/scryp` };
}

function inOrder(arrivals: readonly Cursor[]): boolean {
  return arrivals.every((arrival, i) => i === 0 || after(arrival, arrivals[i - 1]!));
}

describe('scryp watch on three real servers under load', () => {
  let c: ProcessCluster;
  let customer: Signer;
  let shop: { dir: string; signer: Signer };
  /** The payments of the kill test, oldest first (for the --exec and retry tests after it). */
  let paid: { txid: string; period: number; index: number; amount: number }[] = [];

  beforeAll(async () => {
    c = await ProcessCluster.create({ servers: 3, periodMs: 300, wallets: [{ label: 'watch customer', balance: 1_000_000 }] });
    customer = c.wallets[0]!;
    shop = walletDir(c, 'watch shop');
    c.startAll();
    expect(await c.until(async () => ((await c.committedOf(0)) ?? 0) > 0 && ((await c.committedOf(2)) ?? 0) > 0, 10_000), c.logs()).toBe(true);
  });

  afterAll(async () => {
    await c.stop();
  });

  test('webhook: killed with SIGKILL 20 times at random moments under load; after dedup by txid every committed payment arrived once, in order, signed', async () => {
    const seed = Number(process.env.SCRYP_TEST_SEED ?? Math.floor(Math.random() * 2 ** 32));
    console.log(`watch kill test: seed ${seed} (SCRYP_TEST_SEED=${seed} to replay)`);
    const prng = new Prng(seed);
    const secretPath = join(shop.dir, 'webhook-secret');
    const hook = receiver(() => readFileSync(secretPath, 'utf8').trim());
    const args = ['--dir', shop.dir, '--webhook', hook.url];
    let watcher = startWatcher(c, args);
    const logs: string[] = [];
    try {
      // The first run starts "now": the position it writes is where the payments to expect begin.
      expect(await c.until(() => existsSync(join(shop.dir, 'watch-position.json')), 10_000), watcher.stderr).toBe(true);
      const start = readPositionFile(shop.dir);
      const load = steadyLoad(c, customer, shop.signer.publicKey, 45, 3, [], true); // every other payment with a reference (the 148-byte form)
      let kills = 0;
      for (; kills < 20; kills++) {
        await Bun.sleep(prng.between(20, 700));
        await stopWatcher(watcher, 'SIGKILL');
        logs.push(watcher.stderr);
        watcher = startWatcher(c, args);
      }
      const { accepted, lastPeriod, referenceOf } = await load;
      // Every committed payment, as a majority of the servers lists it, once the load's last period is committed.
      expect(await committedThrough(c, shop.signer.publicKey, lastPeriod), c.logs()).toBe(true);
      paid = (await committedIncoming(c, shop.signer.publicKey)).filter((p) => after(p, start));
      const expected = paid.map((p) => p.txid);
      const arrived = await c.until(() => expected.every((txid) => hook.state.seen.has(txid)), 30_000);
      const missing = expected.filter((txid) => !hook.state.seen.has(txid));
      expect(arrived, `missing ${missing.length} of ${expected.length}\n${watcher.stderr.slice(-3000)}`).toBe(true);
      const redeliveries = hook.state.raw.length - hook.state.seen.size;
      console.log(`watch kill test: ${kills} kills, ${accepted.length} payments accepted, ${expected.length} committed and delivered, ${hook.state.raw.length} raw deliveries, ${redeliveries} redeliveries`);
      expect(hook.state.firstArrivals.map((arrival) => arrival.txid)).toEqual(expected); // nothing else, nothing lost, in order
      expect(inOrder(hook.state.firstArrivals)).toBe(true);
      expect(redeliveries).toBeLessThanOrEqual(kills); // at most the delivery in flight, once per kill
      expect([hook.state.badSignatures, hook.state.mismatchedKeys]).toEqual([0, 0]);
      expect(paid.length).toBeGreaterThanOrEqual(60);
      // Each with its reference, as signed (a decimal string, or null for the 140-byte form), and both forms were there.
      for (const { txid, body } of hook.state.raw) expect([txid, body.reference]).toEqual([txid, referenceOf.get(txid) ?? null]);
      const withReference = hook.state.firstArrivals.filter((arrival) => referenceOf.has(arrival.txid)).length;
      expect(withReference).toBeGreaterThan(10);
      expect(hook.state.firstArrivals.length - withReference).toBeGreaterThan(10);
      for (const { body } of hook.state.raw) {
        expect(body.payee).toBe(encodeAddress(shop.signer.publicKey));
        expect([body.direction, body.outcome, body.account, body.network]).toEqual(['in', 'applied', encodeAddress(shop.signer.publicKey), toHex(c.network.id)]);
      }
      expect(logs.join('').concat(watcher.stderr)).not.toContain('ERROR');
    } finally {
      expect(await stopWatcher(watcher)).toBe(0);
      hook.server.stop(true);
    }
  });

  test('--exec: a command that fails twice is retried, then takes every payment from --from on, in order; --from is for a first run only', async () => {
    expect(paid.length).toBeGreaterThan(10);
    const dir = join(c.base, 'exec-watch');
    mkdirSync(dir);
    const out = join(dir, 'out.jsonl');
    const count = join(dir, 'count');
    const command = `n=$(cat '${count}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${count}'; [ $n -le 2 ] && exit 1; cat >> '${out}'`;
    const from = paid[5]!;
    const watcher = startWatcher(c, ['--dir', dir, '--account', encodeAddress(shop.signer.publicKey), '--from', `${from.period}:${from.index}`, '--exec', command]);
    try {
      const expected = paid.slice(5).map((p) => p.txid);
      const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : []);
      expect(await c.until(() => lines().length >= expected.length, 30_000), watcher.stderr).toBe(true);
      expect(lines().map((line) => JSON.parse(line).txid)).toEqual(expected);
      expect(watcher.stderr).toContain('exited with 1');
      expect(watcher.stderr).toContain('at attempt 3');
    } finally {
      expect(await stopWatcher(watcher)).toBe(0);
    }
    // Started again with another --from: it resumes where it was, and says so.
    const again = startWatcher(c, ['--dir', dir, '--account', encodeAddress(shop.signer.publicKey), '--from', `${paid[0]!.period}:${paid[0]!.index}`, '--exec', command]);
    try {
      expect(await c.until(() => again.stderr.includes('--from applies to a first run only'), 10_000), again.stderr).toBe(true);
      await c.until(() => again.stderr.includes('watching'), 5_000);
      expect(after(paid[paid.length - 1]!, readPositionFile(dir))).toBe(false); // not moved back
    } finally {
      expect(await stopWatcher(again)).toBe(0);
    }
  });

  test('a webhook that answers 500, then too slowly, then 2xx: the same payment, the same idempotency key, retried with backoff, every attempt signed', async () => {
    const dir = join(c.base, 'retry-watch');
    mkdirSync(dir);
    const last = paid[paid.length - 1]!;
    const hook = receiver(
      () => readFileSync(join(dir, 'webhook-secret'), 'utf8').trim(),
      (attempt) => (attempt === 1 ? 'error' : attempt === 2 ? 'slow' : 'ok'),
    );
    const watcher = startWatcher(c, ['--dir', dir, '--account', toHex(shop.signer.publicKey), '--from', `${last.period}:${last.index}`, '--webhook', hook.url, '--timeout-ms', '500']);
    try {
      expect(await c.until(() => hook.state.seen.has(last.txid), 20_000), watcher.stderr).toBe(true);
      expect(hook.state.raw.map((delivery) => [delivery.txid, delivery.attempt])).toEqual([
        [last.txid, 1],
        [last.txid, 2],
        [last.txid, 3],
      ]);
      expect(hook.state.badSignatures).toBe(0);
      expect(watcher.stderr).toContain('answered 500');
      expect(watcher.stderr).toContain('no answer within 500 ms');
      expect(watcher.stderr).toMatch(/again in \d+\.\d s \(it is retried until it is delivered\)/);
      expect(watcher.stderr).toContain('made a webhook secret in');
    } finally {
      expect(await stopWatcher(watcher)).toBe(0);
      hook.server.stop(true);
    }
  });

  test('servers unreachable: said once on stderr; recovered without help, and the next payment arrives', async () => {
    const dir = join(c.base, 'unreachable-watch');
    mkdirSync(dir);
    const watcher = startWatcher(c, ['--dir', dir, '--account', encodeAddress(shop.signer.publicKey), '--jsonl']);
    try {
      expect(await c.until(() => watcher.stderr.includes('first run: starting after'), 10_000), watcher.stderr).toBe(true);
      await c.stopServer(1);
      await c.stopServer(2);
      // Server 0 answers until it notices it is alone (then it is unavailable too, §8.8): 1 or 0 of 3, depending on the moment.
      expect(await c.until(() => /only [01] of 3 servers answered \(a quorum is 2\)/.test(watcher.stderr), 15_000), watcher.stderr).toBe(true);
      c.start(1);
      c.start(2);
      expect(await c.until(() => watcher.stderr.includes('a quorum of servers answers again'), 30_000), watcher.stderr).toBe(true);
      // Many rounds went unanswered meanwhile: said once.
      expect(watcher.stderr.split('servers answered (a quorum is 2)').length - 1).toBe(1);
      // The restarted servers catch up (a loaded machine takes its time), then a payment is made and committed.
      expect(await c.until(async () => (await Promise.all([0, 1, 2].map((i) => c.committedOf(i)))).every((committed) => committed !== null && committed >= periodOf(c.timing(), Date.now()) - 2), 30_000), c.logs()).toBe(true);
      let made: Awaited<ReturnType<typeof committedIncoming>> = [];
      for (let tries = 0; tries < 5 && made.length === 0; tries++) {
        const { lastPeriod } = await steadyLoad(c, customer, shop.signer.publicKey, 6, 1);
        expect(await committedThrough(c, shop.signer.publicKey, lastPeriod, c.network, 30_000), c.logs()).toBe(true);
        made = (await committedIncoming(c, shop.signer.publicKey)).filter((p) => p.period > lastPeriod - 6);
      }
      expect(made.length, c.logs()).toBeGreaterThan(0);
      expect(await c.until(() => made.every((p) => watcher.stdout.includes(p.txid)), 20_000), watcher.stderr).toBe(true);
    } finally {
      expect(await stopWatcher(watcher)).toBe(0);
    }
  });
});

describe('a lying server', () => {
  let c: ProcessCluster;
  let fake: { close(): void; historyAnswers: number; liesTold: number } | null = null;

  afterAll(async () => {
    fake?.close();
    await c?.stop();
  });

  test('server 2 is a fake holding its real key, signing HISTORY pages with payments never committed, amounts rewritten and a committed period far ahead: --jsonl shows only what a quorum lists', async () => {
    c = await ProcessCluster.create({ servers: 3, periodMs: 300, wallets: [{ label: 'liar customer', balance: 1_000_000 }] });
    const customer = c.wallets[0]!;
    const shop = walletDir(c, 'liar shop');
    const accomplice = testSigner('liar accomplice'); // a payer the liar holds: its payments are validly signed, and never sent to anyone
    c.start(0);
    c.start(1);
    expect(await c.until(async () => ((await c.committedOf(0)) ?? 0) > 0 && ((await c.committedOf(1)) ?? 0) > 0, 10_000), c.logs()).toBe(true);
    const startPeriod = periodOf(c.timing(), Date.now());
    fake = await lyingServer(c, 2, 0, (body) => {
      const claimed = body.committedPeriod + 50;
      const lies: ListedPayment[] = [];
      for (const entry of body.entries) {
        // Every payment to the shop at index 0, with 1000 more: signed by its real payer.
        if (entry.index === 0 && toHex(payeeOf(entry.transaction)) === toHex(shop.signer.publicKey)) {
          lies.push({ ...entry, transaction: signPayment(customer, c.network.id, { timestamp: timestampOf(entry.transaction), amount: amountOf(entry.transaction) + 1000, payee: shop.signer.publicKey }) });
        } else lies.push(entry);
      }
      // A payment of 777 from the accomplice at index 60 of every third period, up to the period it claims.
      for (let period = startPeriod + 3 - (startPeriod % 3); period <= claimed; period += 3) {
        lies.push({ period, index: 60, applied: true, transaction: signPayment(accomplice, c.network.id, { timestamp: period * c.network.periodMs + 7, amount: 777, payee: shop.signer.publicKey }) });
      }
      return { ...body, committedPeriod: claimed, entries: lies.sort((a, b) => b.period - a.period || b.index - a.index) };
    });
    const watcher = startWatcher(c, ['--dir', shop.dir, '--jsonl']);
    try {
      expect(await c.until(() => existsSync(join(shop.dir, 'watch-position.json')), 10_000), watcher.stderr).toBe(true);
      const start = readPositionFile(shop.dir);
      const { accepted, lastPeriod } = await steadyLoad(c, customer, shop.signer.publicKey, 24, 2, [2]);
      expect(accepted.length).toBeGreaterThan(10);
      // What the honest servers list (the liar is asked too, and outvoted: a majority lists the same bytes).
      expect(await committedThrough(c, shop.signer.publicKey, lastPeriod), c.logs()).toBe(true);
      const expected = (await committedIncoming(c, shop.signer.publicKey)).filter((p) => after(p, start));
      expect(expected.length).toBeGreaterThan(10);
      const events = () => watcher.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { txid: string; amount: number; payer: string });
      expect(await c.until(() => expected.every((p) => watcher.stdout.includes(p.txid)), 30_000), watcher.stderr).toBe(true);
      expect(events().map((event) => event.txid)).toEqual(expected.map((p) => p.txid));
      expect(events().every((event) => event.amount < 1000 && event.payer === encodeAddress(customer.publicKey))).toBe(true);
      // The liar was asked and lied (so the test could have failed), and the watcher said what it ignored.
      expect(fake.historyAnswers).toBeGreaterThan(0);
      expect(fake.liesTold).toBeGreaterThan(0);
      expect(watcher.stderr).toContain('not listed by enough servers');
    } finally {
      expect(await stopWatcher(watcher)).toBe(0);
    }
  });
});

/**
 * A fake server at server `index`'s address, signing with its real key: it answers HISTORY
 * only, with what `lie` makes of the honest server `honest`'s page for the same cursor
 * (then cut to the request's cursor and to what fits the request), and nothing else.
 */
async function lyingServer(c: ProcessCluster, index: number, honest: number, lie: (body: HistoryBody) => HistoryBody) {
  const signer = signerFromSeed(testSeed(`server ${index}`));
  const upstream = await c.udp();
  const target = c.network.servers[honest]!;
  const state = { historyAnswers: 0, liesTold: 0 };
  const socket = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: c.servers[index]!.port,
    binaryType: 'uint8array',
    socket: {
      data(sock, data, port, address) {
        void (async () => {
          let request;
          try {
            request = decodeRequest(data);
          } catch {
            return;
          }
          if (request.kind !== Kind.HISTORY) return;
          let reply;
          try {
            reply = await upstream.ask(target.address, { kind: Kind.HISTORY, account: request.account, beforePeriod: request.beforePeriod, beforeIndex: request.beforeIndex }, { networkId: c.network.id, serverKey: target.key, attempts: 2, timeoutMs: 100 });
          } catch {
            return;
          }
          if (reply.status !== Status.OK) return;
          const told = lie(reply.body as HistoryBody);
          const before = request.beforePeriod === 0 ? null : { period: request.beforePeriod, index: request.beforeIndex };
          const entries = told.entries.filter((entry) => before === null || entry.period < before.period || (entry.period === before.period && entry.index < before.index));
          const page = historyPageThatFits(entries, request.length);
          const honestBytes = new Set((reply.body as HistoryBody).entries.map((entry) => toHex(entry.transaction)));
          state.historyAnswers++;
          state.liesTold += page.filter((entry) => !honestBytes.has(toHex(entry.transaction))).length;
          sock.send(encodeReply(Kind.HISTORY, request.requestId, Status.OK, { ...told, entries: page }, signer, c.network.id), port, address);
        })();
      },
    },
  });
  return {
    close: () => socket.close(),
    get historyAnswers() {
      return state.historyAnswers;
    },
    get liesTold() {
      return state.liesTold;
    },
  };
}

describe('refusals, before anything is asked or written', () => {
  let c: ProcessCluster;
  beforeAll(async () => {
    c = await ProcessCluster.create({ servers: 3, periodMs: 300 }); // never started: a refusal that needed a server would hang instead
  });
  afterAll(async () => {
    await c.stop();
  });

  async function run(args: string[]): Promise<{ exitCode: number; stderr: string; stdout: string }> {
    const watcher = startWatcher(c, args);
    const timer = setTimeout(() => watcher.process.kill('SIGKILL'), 20_000);
    const exitCode = await watcher.process.exited;
    clearTimeout(timer);
    await Bun.sleep(20); // the last of stderr
    return { exitCode, stderr: watcher.stderr, stdout: watcher.stdout };
  }

  test('a position file that does not parse: WATCH_POSITION_FILE, exit 1, the file left byte for byte', async () => {
    const { dir } = walletDir(c, 'refusal shop');
    writeFileSync(join(dir, 'watch-position.json'), '{"version":1,"period":');
    const result = await run(['--dir', dir, '--jsonl']);
    expect([result.exitCode, result.stdout]).toEqual([1, '']);
    expect(result.stderr).toContain('scryp: WATCH_POSITION_FILE: ');
    expect(readFileSync(join(dir, 'watch-position.json'), 'utf8')).toBe('{"version":1,"period":');
  });

  test('another account\'s position: WATCH_POSITION_OTHER, exit 1', async () => {
    const { dir } = walletDir(c, 'refusal other');
    const someone = testSigner('refusal someone');
    writeFileSync(join(dir, 'watch-position.json'), `${JSON.stringify({ version: 1, network: toHex(c.network.id), account: encodeAddress(someone.publicKey), period: 5, index: 0 })}\n`);
    const result = await run(['--dir', dir, '--jsonl']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('WATCH_POSITION_OTHER');
    expect(result.stderr).toContain(`--account ${encodeAddress(someone.publicKey)}`);
  });

  test('usage mistakes are exit 2 with one line: no key and no --account, a bad URL, no output or two, a bad --from', async () => {
    const empty = join(c.base, 'empty');
    mkdirSync(empty);
    const cases: [string[], string][] = [
      [['--dir', empty, '--jsonl'], 'WATCH_NO_ACCOUNT'],
      [['--dir', empty, '--account', encodeAddress(testSigner('x').publicKey), '--webhook', 'ftp://shop/'], 'WATCH_URL'],
      [['--dir', empty, '--account', encodeAddress(testSigner('x').publicKey), '--webhook', 'not a url'], 'WATCH_URL'],
      [['--dir', empty, '--account', encodeAddress(testSigner('x').publicKey)], 'give exactly one of'],
      [['--dir', empty, '--account', encodeAddress(testSigner('x').publicKey), '--jsonl', '--exec', 'cat'], 'give exactly one of'],
      [['--dir', empty, '--account', encodeAddress(testSigner('x').publicKey), '--jsonl', '--from', 'yesterday'], '--from: expected now, or PERIOD:INDEX'],
      [['--dir', empty, '--account', 'scryp1nope', '--jsonl'], '--account'],
    ];
    for (const [args, says] of cases) {
      const result = await run(args);
      expect([args.join(' '), result.exitCode]).toEqual([args.join(' '), 2]);
      expect(result.stderr).toContain(says);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(empty, 'watch-position.json'))).toBe(false);
    expect(existsSync(join(empty, 'webhook-secret'))).toBe(false);
  });
});
