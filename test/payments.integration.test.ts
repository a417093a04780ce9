// Payments and consensus through the compiled executable: three servers on loopback with
// short periods, real SQLite files, real UDP and TCP. After every test the ledger files
// are read directly and checked: the stored state has its certified hash, balances sum
// to the genesis supply, and no txid was applied twice, on every server.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { Kind, PaymentState, replySigningMessage, Status, statusName, type BalanceBody, type StatusBody } from '../src/client/codec.ts';
import { pay } from '../src/client/wallet.ts';
import { alphaOf, forwardingUntil, periodOf, startOf } from '../src/schedule.ts';
import { signPayment, timestampOf, txidOf } from '../src/transaction.ts';
import { signerFromSeed, verify, type Signer } from '../src/signature.ts';
import { checkLedger } from './helpers/ledger-check.ts';
import { binary, ProcessCluster } from './helpers/processes.ts';
import { resignWithRandomNonce, testSeed } from './helpers/keys.ts';

// Real servers with short periods: each test takes seconds, not milliseconds.
setDefaultTimeout(60_000);

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  const c = cluster;
  cluster = null;
  if (c === null) return;
  try {
    for (const server of c.servers) await c.stopServer(server.index, 'SIGTERM');
    checkAllLedgers(c);
  } finally {
    await c.stop();
  }
});

/** The invariants on every server's ledger file, and agreement between them. */
function checkAllLedgers(c: ProcessCluster): void {
  const reports = c.servers.map((server) => checkLedger(server.dir, c.network));
  const hashOf = new Map<number, string>();
  for (const [i, server] of c.servers.entries()) {
    const db = new (require('bun:sqlite').Database)(join(server.dir, 'ledger.sqlite'), { readonly: true });
    for (const row of db.query('SELECT period, certificate FROM periods').all() as { period: number; certificate: Uint8Array }[]) {
      const hash = toHex(row.certificate.subarray(48, 80));
      const seen = hashOf.get(row.period);
      if (seen !== undefined) expect(hash, `server ${i} period ${row.period}`).toBe(seen);
      hashOf.set(row.period, hash);
    }
    db.close();
    expect(reports[i]!.supply).toBe(c.network.supply);
  }
}



async function payRaw(c: ProcessCluster, server: number, tx: Uint8Array): Promise<number> {
  const client = await c.udp();
  const entry = c.network.servers[server]!;
  const reply = await client.ask(entry.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
  return reply.status;
}

async function balances(c: ProcessCluster, account: Uint8Array, servers = [0, 1, 2]): Promise<(BalanceBody & { status: number })[]> {
  const client = await c.udp();
  return Promise.all(
    servers.map(async (index) => {
      const entry = c.network.servers[index]!;
      const reply = await client.ask(entry.address, { kind: Kind.BALANCE, account }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
      const body = (reply.body ?? {}) as BalanceBody;
      return { ...body, status: reply.status };
    }),
  );
}

async function paymentState(c: ProcessCluster, server: number, txid: Uint8Array): Promise<StatusBody & { status: number }> {
  const client = await c.udp();
  const entry = c.network.servers[server]!;
  const reply = await client.ask(entry.address, { kind: Kind.STATUS, txid }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
  return { ...((reply.body ?? { txid, state: 0, period: 0 }) as StatusBody), status: reply.status };
}

/** All servers committed the same period with the same hash, beyond `after`. */
async function inStep(c: ProcessCluster, servers: number[], after: number): Promise<boolean> {
  const infos = await Promise.all(servers.map((i) => c.info(i)));
  if (infos.some((info) => info === null)) return false;
  const first = infos[0]!;
  return first.committedPeriod > after && infos.every((info) => info!.committedPeriod === first.committedPeriod && toHex(info!.stateHash) === toHex(first.stateHash));
}

async function readyCluster(options: { periodMs?: number; blackoutMs?: number; wallets?: { label: string; balance: number }[] } = {}): Promise<ProcessCluster> {
  const c = await ProcessCluster.create({
    servers: 3,
    periodMs: options.periodMs ?? 300,
    ...(options.blackoutMs === undefined ? {} : { blackoutMs: options.blackoutMs }),
    ...(options.wallets ? { wallets: options.wallets } : {}),
  });
  cluster = c;
  c.startAll();
  expect(await c.until(() => inStep(c, [0, 1, 2], 0), 8_000), c.logs()).toBe(true);
  return c;
}

/** Sends raw bytes and returns the first datagram back within 300 ms, or null. */
async function exchangeRaw(address: { host: string; port: number }, bytes: Uint8Array): Promise<Uint8Array | null> {
  let resolve: (value: Uint8Array | null) => void = () => {};
  const answer = new Promise<Uint8Array | null>((r) => (resolve = r));
  const socket = await Bun.udpSocket({ binaryType: 'uint8array', socket: { data: (_s, data) => resolve(data.slice()) } });
  socket.send(bytes, address.port, address.host);
  const timer = setTimeout(() => resolve(null), 300);
  const result = await answer;
  clearTimeout(timer);
  socket.close();
  return result;
}

const walletSeed = (label: string) => testSeed(`wallet ${label}`);
const payee = (label: string): Signer => signerFromSeed(testSeed(`payee ${label}`));

describe('payments through three servers', () => {
  test('payments from several wallets commit, and every server reports the same balances and state hash', async () => {
    const c = await readyCluster({ wallets: [{ label: 'a', balance: 1_000_000 }, { label: 'b', balance: 500_000 }] });
    const [a, b] = c.wallets as [Signer, Signer];
    const carol = payee('carol');
    const client = await c.udp();
    const results = await Promise.all([
      pay(client, c.network, a, { to: carol.publicKey, amount: 100, server: 0 }),
      pay(client, c.network, b, { to: carol.publicKey, amount: 200, server: 1 }),
      pay(client, c.network, a, { to: b.publicKey, amount: 50, server: 2 }),
    ]);
    for (const result of results) expect(result.outcome, c.logs()).toBe('committed');
    // And once through the executable's own wallet command.
    const walletDir = join(c.base, 'wallet-b');
    require('node:fs').mkdirSync(walletDir, { recursive: true });
    await Bun.write(join(walletDir, '.seed'), `${toHex(walletSeed('b'))}\n`);
    const cli = Bun.spawnSync([binary, 'pay', '--network', c.networkFile, '--dir', walletDir, '--to', toHex(carol.publicKey), '--amount', '7', '--log-level', 'warn']);
    expect(cli.exitCode, cli.stderr.toString() + c.logs()).toBe(0);
    expect(cli.stdout.toString()).toContain('committed: 7 scryp');
    // It kept what it learnt of the servers, and the next payment starts from it (signed at once, asked again after).
    const known = join(walletDir, 'known-servers.json');
    expect(JSON.parse(readFileSync(known, 'utf8')).network).toBe(toHex(c.network.id));
    // A file that does not check (a forged address record for server 0) is not used: the servers are asked, and it is written again, good.
    writeFileSync(known, JSON.stringify({ ...JSON.parse(readFileSync(known, 'utf8')), addresses: ['00'.repeat(110)] }));
    const again = Bun.spawnSync([binary, 'pay', '--network', c.networkFile, '--dir', walletDir, '--to', toHex(carol.publicKey), '--amount', '1', '--log-level', 'warn']);
    expect(again.exitCode, again.stderr.toString() + c.logs()).toBe(0);
    expect(JSON.parse(readFileSync(known, 'utf8')).addresses).toEqual([]);
    const third = Bun.spawnSync([binary, 'pay', '--network', c.networkFile, '--dir', walletDir, '--to', toHex(carol.publicKey), '--amount', '1', '--log-level', 'warn']);
    expect(third.exitCode, third.stderr.toString() + c.logs()).toBe(0);

    expect(await c.until(() => inStep(c, [0, 1, 2], 0), 3_000)).toBe(true);
    for (const [account, expected] of [
      [carol.publicKey, 309],
      [a.publicKey, 1_000_000 - 150],
      [b.publicKey, 500_000 - 209 + 50],
    ] as const) {
      const answers = await balances(c, account);
      for (const answer of answers) {
        expect(answer.status).toBe(Status.OK);
        expect(answer.balance).toBe(expected);
        expect(toHex(answer.stateHash)).toBe(toHex(answers[0]!.stateHash));
        expect(answer.committedPeriod).toBe(answers[0]!.committedPeriod);
      }
    }
    const cliBalance = Bun.spawnSync([binary, 'balance', toHex(carol.publicKey), '--network', c.networkFile, '--json', '--log-level', 'warn']);
    expect(JSON.parse(cliBalance.stdout.toString()).majority.balance).toBe(309);
    // The txid the wallet printed, asked of every server through the executable.
    const txid = /\(txid ([0-9a-f]{64})\)/.exec(cli.stdout.toString())?.[1];
    expect(txid, cli.stdout.toString()).toBeDefined();
    const cliStatus = Bun.spawnSync([binary, 'status', txid!, '--network', c.networkFile, '--json', '--log-level', 'warn']);
    expect(cliStatus.exitCode, cliStatus.stderr.toString()).toBe(0);
    const status = JSON.parse(cliStatus.stdout.toString());
    expect(status.txid).toBe(txid);
    expect(status.majority.state).toBe('committed');
    expect(status.agreeing.length).toBeGreaterThanOrEqual(2);
    // A txid nobody has seen is unknown, with the period up to which the servers decided.
    const unseen = Bun.spawnSync([binary, 'status', 'ab'.repeat(32), '--network', c.networkFile, '--json', '--log-level', 'warn']);
    expect(JSON.parse(unseen.stdout.toString()).majority.state).toBe('unknown');
    // BALANCE of an account that holds nothing: NOT_FOUND from every server.
    for (const answer of await balances(c, payee('nobody').publicKey)) {
      expect(answer.status).toBe(Status.NOT_FOUND);
    }
  });

  test('double spends: the same payment to all three servers, again next period, and re-signed: applied once', async () => {
    const c = await readyCluster();
    const seed = walletSeed('genesis');
    const wallet = signerFromSeed(seed);
    const dave = payee('dave');
    const period = await c.awayFromBoundaries();
    const tx = signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 1_000, payee: dave.publicKey });
    const resigned = resignWithRandomNonce(seed, c.network.id, tx);
    expect(toHex(txidOf(resigned))).toBe(toHex(txidOf(tx)));
    expect(toHex(resigned)).not.toBe(toHex(tx));
    const alpha = alphaOf(c.network.servers.length, period);
    const first = await Promise.all([0, 1, 2].map((server) => payRaw(c, server, tx)));
    // The alpha answers ACCEPTED (or DUPLICATE if a forward beat the client); the others forward.
    expect(first[alpha] === Status.ACCEPTED || first[alpha] === Status.DUPLICATE, statusName[first[alpha]!]).toBe(true);
    for (const server of [0, 1, 2]) if (server !== alpha) expect(first[server]).toBe(Status.FORWARDED);
    // Re-signed with another signature, same body: the alpha already holds that txid.
    expect(await payRaw(c, alpha, resigned)).toBe(Status.DUPLICATE);
    // Next period, the very same bytes are out of their period.
    expect(await c.until(() => Date.now() >= startOf(c.timing(), period + 1) + 30, 2 * c.network.periodMs, 5)).toBe(true);
    expect(await payRaw(c, (alpha + 1) % 3, tx)).toBe(Status.BAD_TIME);
    expect(await payRaw(c, (alpha + 1) % 3, resigned)).toBe(Status.BAD_TIME);
    expect(await c.until(async () => (await paymentState(c, 0, txidOf(tx))).state === PaymentState.COMMITTED, 3_000), c.logs()).toBe(true);
    // Every server commits it once: 1,000 and never 2,000 (a second application would show there too).
    expect(await c.until(async () => (await balances(c, dave.publicKey)).every((answer) => answer.balance === 1_000), 5_000), c.logs()).toBe(true);
    for (const answer of await balances(c, dave.publicKey)) expect(answer.balance).toBe(1_000);
  });

  test('each acceptance rule through a live alpha, the signature last: BAD_AMOUNT, BAD_TIME, INSUFFICIENT_FUNDS, BAD_SIGNATURE, and overdraft in one batch', async () => {
    const c = await readyCluster({ wallets: [{ label: 'genesis', balance: 1_000_000 }, { label: 'small', balance: 100 }] });
    const [rich, small] = c.wallets as [Signer, Signer];
    const erin = payee('erin');
    const period = await c.awayFromBoundaries(80);
    const alpha = alphaOf(c.network.servers.length, period);
    const other = (alpha + 1) % 3;
    const now = Date.now();
    const sign = (signer: Signer, fields: { timestamp?: number; amount: number; payee?: Uint8Array }) =>
      signPayment(signer, c.network.id, { timestamp: fields.timestamp ?? now, amount: fields.amount, payee: fields.payee ?? erin.publicKey });
    expect(await payRaw(c, alpha, sign(rich, { amount: 0 }))).toBe(Status.BAD_AMOUNT);
    expect(await payRaw(c, other, sign(rich, { amount: 5, payee: rich.publicKey }))).toBe(Status.BAD_AMOUNT);
    expect(await payRaw(c, alpha, sign(rich, { amount: 5, timestamp: now - c.network.periodMs }))).toBe(Status.BAD_TIME);
    expect(await payRaw(c, other, sign(rich, { amount: 5, timestamp: now + c.network.periodMs }))).toBe(Status.BAD_TIME);
    expect(await payRaw(c, alpha, sign(small, { amount: 101 }))).toBe(Status.INSUFFICIENT_FUNDS);
    const forged = sign(rich, { amount: 5 });
    forged[100]! ^= 1;
    expect(await payRaw(c, alpha, forged)).toBe(Status.BAD_SIGNATURE);
    expect(await payRaw(c, other, forged)).toBe(Status.BAD_SIGNATURE);
    // The signature is the last rule: a forged payment that also breaks a cheaper rule hears
    // that rule's code, at the alpha and at a forwarder (the signature was never checked).
    const forge = (tx: Uint8Array) => {
      tx[100]! ^= 1;
      return tx;
    };
    expect(await payRaw(c, alpha, forge(sign(rich, { amount: 0 })))).toBe(Status.BAD_AMOUNT);
    expect(await payRaw(c, other, forge(sign(rich, { amount: 5, payee: rich.publicKey })))).toBe(Status.BAD_AMOUNT);
    expect(await payRaw(c, alpha, forge(sign(rich, { amount: 5, timestamp: now - c.network.periodMs })))).toBe(Status.BAD_TIME);
    expect(await payRaw(c, alpha, forge(sign(small, { amount: 101 })))).toBe(Status.INSUFFICIENT_FUNDS);
    // Two payments of 60 from a balance of 100 in one period: the second cannot be covered.
    const first = sign(small, { amount: 60, timestamp: now });
    const second = sign(small, { amount: 60, timestamp: now + 1 });
    expect(await payRaw(c, alpha, first)).toBe(Status.ACCEPTED);
    expect(await payRaw(c, alpha, second)).toBe(Status.INSUFFICIENT_FUNDS);
    expect(await c.until(async () => (await paymentState(c, other, txidOf(first))).state === PaymentState.COMMITTED, 3_000)).toBe(true);
    const unknown = await paymentState(c, other, txidOf(second));
    expect(unknown.state).toBe(PaymentState.UNKNOWN);
    expect(unknown.period).toBeGreaterThanOrEqual(period); // a wallet reads this as void
    for (const answer of await balances(c, small.publicKey)) expect(answer.balance).toBe(40);
    // Malformed requests get BAD_REQUEST no longer than themselves, or nothing.
    const entry = c.network.servers[alpha]!;
    const unknownKind = new Uint8Array(128);
    unknownKind.set([0x53, 0x43, 1, 0x7f, 0, 0, 0, 42]); // 0x07 is EVIDENCE since issue 14
    const badKind = await exchangeRaw(entry.address, unknownKind);
    expect(badKind).not.toBeNull();
    expect(badKind!.length).toBeLessThanOrEqual(128);
    // "SC" 1 kind|0x80 id status || key || signature, the kind echoed even though unknown.
    expect([...badKind!.subarray(0, 9)]).toEqual([0x53, 0x43, 1, 0xff, 0, 0, 0, 42, Status.BAD_REQUEST]);
    expect(verify(badKind!.subarray(badKind!.length - 64), replySigningMessage(c.network.id, badKind!.subarray(0, 9)), entry.key)).toBe(true);
    expect(await exchangeRaw(entry.address, unknownKind.subarray(0, 127))).toBeNull(); // too short: no reply at all
  });
});

describe('the blackout and the seal (PROTOCOL §4)', () => {
  test('in the blackout of period k: its alpha still takes a payment stamped in k, a forwarder refuses it; the alpha of k+1 takes one stamped in k+1 and a forwarder passes it on; before the blackout, k+1 is refused; each commits in its own period', async () => {
    const c = await readyCluster({ periodMs: 600, blackoutMs: 250 });
    const rich = c.wallets[0]!;
    const timing = c.timing();
    const n = c.network.servers.length;
    const sign = (timestamp: number, amount: number, to = 'frank') => signPayment(rich, c.network.id, { timestamp, amount, payee: payee(to).publicKey });
    /** Waits until now is `from`..`to` ms into the blackout of its period; returns the period. */
    const intoBlackout = async (from: number, to: number): Promise<number> => {
      for (;;) {
        const now = Date.now();
        const period = periodOf(timing, now);
        const into = now - forwardingUntil(timing, period);
        if (into >= from && into <= to) return period;
        await Bun.sleep(5);
      }
    };
    const client = await c.udp();
    const ask = async (server: number, tx: Uint8Array) => {
      const entry = c.network.servers[server]!;
      const reply = await client.ask(entry.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
      return { status: reply.status, period: reply.body !== null && 'period' in reply.body ? reply.body.period : null };
    };
    await c.awayFromBoundaries(60);
    // Stamped in k, sent in k's blackout (its middle: 100 to 150 ms of 250).
    let period = await intoBlackout(100, 150);
    const alpha = alphaOf(n, period);
    const late = sign(Date.now(), 2);
    expect(await ask(alpha, late)).toEqual({ status: Status.ACCEPTED, period });
    expect((await ask((alpha + 1) % n, sign(Date.now(), 3))).status).toBe(Status.BAD_TIME);
    // Stamped at the start of k+1, sent in k's blackout: taken by the alpha of k+1 for k+1, or forwarded to it.
    period = await intoBlackout(100, 150);
    const next = period + 1;
    const early = sign(startOf(timing, next), 4, 'grace');
    expect(await ask(alphaOf(n, next), early)).toEqual({ status: Status.ACCEPTED, period: next });
    const forwarded = sign(startOf(timing, next) + 1, 5, 'grace');
    expect(await ask((alphaOf(n, next) + 1) % n, forwarded)).toEqual({ status: Status.FORWARDED, period: next });
    // Before the blackout, a payment stamped in the next period is refused everywhere.
    const before = await c.awayFromBoundaries(60);
    for (let server = 0; server < n; server++) expect((await ask(server, sign(startOf(timing, before + 1), 6 + server, 'grace'))).status).toBe(Status.BAD_TIME);
    // Each committed in the period it was stamped in.
    const outcome = async (tx: Uint8Array) => {
      for (let tries = 0; tries < 100; tries++) {
        const entry = c.network.servers[0]!;
        const reply = await client.ask(entry.address, { kind: Kind.STATUS, txid: txidOf(tx) }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
        const body = reply.body as StatusBody | null;
        if (body !== null && body.state === PaymentState.COMMITTED) return body.period;
        await Bun.sleep(50);
      }
      return null;
    };
    expect(await outcome(late), c.logs()).toBe(periodOf(timing, timestampOf(late)));
    expect(await outcome(early), c.logs()).toBe(next);
    expect(await outcome(forwarded), c.logs()).toBe(next);
  });
});

describe('servers stopping and starting', () => {
  test('one of three stops: two go on; two stop: the last commits nothing and answers UNAVAILABLE; all rejoin within two periods', async () => {
    const c = await readyCluster({ periodMs: 400 });
    const wallet = c.wallets[0]!;
    await c.stopServer(2);
    const before = (await c.info(0))!.committedPeriod;
    expect(await c.until(async () => (await c.info(0))!.committedPeriod >= before + 3 && (await c.info(1))!.committedPeriod >= before + 3, 4_000), c.logs()).toBe(true);
    const client = await c.udp();
    const paid = await pay(client, c.network, wallet, { to: payee('frank').publicKey, amount: 11, server: 0 });
    expect(paid.outcome, c.logs()).toBe('committed');

    await c.stopServer(1);
    // Server 0 stops hearing a majority: it answers UNAVAILABLE (within a couple of periods).
    expect(await c.until(async () => (await balances(c, wallet.publicKey, [0]))[0]!.status === Status.UNAVAILABLE, 5_000), c.logs()).toBe(true);
    const alone = (await c.info(0))!.committedPeriod;
    // And commits nothing more: watched for three periods, the first commit would fail it at once.
    expect(await c.until(async () => (await c.info(0))!.committedPeriod !== alone, 3 * c.network.periodMs), c.logs()).toBe(false);
    expect((await balances(c, wallet.publicKey, [0]))[0]!.status).toBe(Status.UNAVAILABLE);
    await c.awayFromBoundaries();
    expect(await payRaw(c, 0, signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 1, payee: payee('frank').publicKey }))).toBe(Status.UNAVAILABLE);

    c.start(1);
    c.start(2);
    expect(await c.until(async () => (await c.info(1)) !== null && (await c.info(2)) !== null, 5_000)).toBe(true);
    const upAt = Date.now();
    expect(await c.until(() => inStep(c, [0, 1, 2], alone), 5_000), c.logs()).toBe(true);
    const rejoinMs = Date.now() - upAt;
    expect(rejoinMs, `rejoined after ${rejoinMs} ms`).toBeLessThanOrEqual(2 * c.network.periodMs + 200);
    for (const answer of await balances(c, wallet.publicKey)) expect(answer.status).toBe(Status.OK);
  });

  test('a server whose database was deleted fetches a verified snapshot and rejoins', async () => {
    const c = await readyCluster({ periodMs: 400 });
    await c.stopServer(2);
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(c.servers[2]!.dir, `ledger.sqlite${suffix}`), { force: true });
    const client = await c.udp();
    const progress: string[] = [];
    const paid = await pay(client, c.network, c.wallets[0]!, { to: payee('grace').publicKey, amount: 33, server: 0, onProgress: (m) => progress.push(m) });
    expect(paid.outcome, `${progress.join('\n')}\n${c.logs()}`).toBe('committed');
    c.start(2);
    expect(await c.until(async () => (await c.info(2)) !== null, 5_000)).toBe(true);
    const upAt = Date.now();
    expect(await c.until(() => inStep(c, [0, 1, 2], 0), 5_000), c.logs()).toBe(true);
    expect(Date.now() - upAt).toBeLessThanOrEqual(2 * c.network.periodMs + 200);
    expect(c.servers[2]!.log).toContain('installed the snapshot');
    expect((await balances(c, payee('grace').publicKey, [2]))[0]!.balance).toBe(33);
    // The restored server never saw that payment: it must not claim it was never applied.
    if (paid.outcome !== 'committed') throw new Error('unreachable');
    const restored = await paymentState(c, 2, paid.txid);
    expect(restored.state).toBe(PaymentState.UNKNOWN);
    expect(restored.period).toBe(0);
    expect((await paymentState(c, 0, paid.txid)).state).toBe(PaymentState.COMMITTED);
  });

  test('kill -9 at random instants under a payment load: the database stays consistent and the server catches up', async () => {
    const c = await readyCluster();
    const wallet = c.wallets[0]!;
    const client = await c.udp();
    const accepted: { txid: Uint8Array; period: number }[] = [];
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading && i < 2_000; i++) {
        const target = i % 3;
        const entry = c.network.servers[target]!;
        const tx = signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 1 + (i % 5), payee: payee(`load ${i % 7}`).publicKey });
        try {
          const reply = await client.ask(entry.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 2, timeoutMs: 60 });
          if (reply.status === Status.ACCEPTED && reply.body !== null && 'period' in reply.body) accepted.push({ txid: txidOf(tx), period: reply.body.period });
        } catch {
          // that server is down right now
        }
        await Bun.sleep(15);
      }
    })();
    for (let round = 0; round < 5; round++) {
      await Bun.sleep(200 + Math.floor(Math.random() * 600));
      const victim = Math.floor(Math.random() * 3);
      await c.stopServer(victim, 'SIGKILL');
      const report = checkLedger(c.servers[victim]!.dir, c.network); // throws if inconsistent
      expect(report.supply).toBe(c.network.supply);
      c.start(victim);
      const others = [0, 1, 2];
      expect(await c.until(() => inStep(c, others, report.committed.period), 6_000), `round ${round}, victim ${victim}\n${c.logs()}`).toBe(true);
    }
    loading = false;
    await load;
    expect(accepted.length).toBeGreaterThan(10);
    // Every ACCEPTED payment ends committed or void, and the majority agrees on which.
    const decidedEverywhere = async () => {
      for (const { txid, period } of accepted) {
        for (const state of await Promise.all([0, 1, 2].map((server) => paymentState(c, server, txid)))) {
          if (state.status !== Status.OK) return false;
          if (!(state.state === PaymentState.COMMITTED || state.state === PaymentState.VOID || (state.state === PaymentState.UNKNOWN && state.period >= period))) return false;
        }
      }
      return true;
    };
    expect(await c.until(decidedEverywhere, 10_000, 200), c.logs()).toBe(true);
    let committed = 0;
    for (const { txid, period } of accepted) {
      const states = await Promise.all([0, 1, 2].map((server) => paymentState(c, server, txid)));
      for (const state of states) {
        expect(state.status).toBe(Status.OK);
        const decided = state.state === PaymentState.COMMITTED || state.state === PaymentState.VOID || (state.state === PaymentState.UNKNOWN && state.period >= period);
        expect(decided, `txid ${toHex(txid)} period ${period}: state ${state.state} at ${state.period}`).toBe(true);
      }
      if (states[0]!.state === PaymentState.COMMITTED) committed++;
    }
    expect(committed).toBeGreaterThan(0);
  });
});
