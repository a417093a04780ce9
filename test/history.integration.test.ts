// HISTORY through the compiled executable: three real servers on loopback (real UDP, real
// SQLite files), payments made through them, then
//   - every request length from 128 to 1232, for an account with many payments and for one
//     with none: no reply longer than its request, and as many entries as fit (TOO_SHORT
//     with 307, or 154 for an empty list, when not even that fits);
//   - `scryp history` as a person runs it: the table, --json, --csv (rows checked against
//     the payments made), paging with --before, a bad address (exit 2);
//   - a server restarted on its ledger file lists the same payments.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { decodeAddress, encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { decodeReply, encodeRequest, type HistoryBody, historyEntriesThatFit, Kind, replyBytes, historyBodyBytes, Status, verifyReply } from '../src/client/codec.ts';
import { accountHistory } from '../src/client/history.ts';
import { history_csv_header } from '../src/client/history.ts';
import { forwardingUntil, periodOf, startOf, timingOf } from '../src/schedule.ts';
import type { Signer } from '../src/signature.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { testSigner } from './helpers/keys.ts';
import { binary, ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(60_000);

let cluster: ProcessCluster;
let alice: Signer;
let bob: Signer;
const nobody = testSigner('history integration nobody');
/** What was paid, newest last: txid hex → [payer, amount]. */
const paid = new Map<string, { from: 'alice' | 'bob'; amount: number }>();

async function inStep(c: ProcessCluster, after: number): Promise<boolean> {
  const infos = await Promise.all([0, 1, 2].map((i) => c.info(i)));
  if (infos.some((info) => info === null)) return false;
  return infos.every((info) => info!.committedPeriod > after && info!.committedPeriod === infos[0]!.committedPeriod);
}

/** Sends signed payments stamped now to the current alpha, in a period after `after` (away from its edges); returns the period once all are ACCEPTED. */
async function payNow(c: ProcessCluster, after: number, payments: { payer: Signer; payee: Signer; amount: number; from: 'alice' | 'bob' }[]): Promise<number> {
  const timing = timingOf(c.network);
  for (let waits = 0; waits < 1_000; waits++) {
    const now = Date.now();
    const period = periodOf(timing, now);
    if (period > after && now - startOf(timing, period) >= 40 && forwardingUntil(timing, period) - now >= 120) break;
    await Bun.sleep(5);
  }
  const now = Date.now();
  const period = periodOf(timing, now);
  const alpha = c.network.servers[period % 3]!;
  const client = await c.udp();
  await Promise.all(
    payments.map(async ({ payer, payee, amount, from }, i) => {
      const tx = signPayment(payer, c.network.id, { timestamp: now + i, amount, payee: payee.publicKey });
      const reply = await client.ask(alpha.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: alpha.key, attempts: 3, timeoutMs: 60 });
      expect(reply.status, c.logs()).toBe(Status.ACCEPTED);
      paid.set(toHex(txidOf(tx)), { from, amount });
    }),
  );
  return period;
}

beforeAll(async () => {
  cluster = await ProcessCluster.create({ servers: 3, periodMs: 300, wallets: [{ label: 'history alice', balance: 1_000_000 }, { label: 'history bob', balance: 1_000 }] });
  [alice, bob] = cluster.wallets as [Signer, Signer];
  // A high client rate: the amplification sweep sends 2,210 requests from one address.
  for (const server of cluster.servers) cluster.start(server.index, ['--client-rate', '100000']);
  expect(await cluster.until(() => inStep(cluster, 0), 8_000), cluster.logs()).toBe(true);
  // 10 payments in one period (more than a page), then 2 in another, Bob paying back in a third.
  const first = await payNow(cluster, 0, Array.from({ length: 10 }, (_, i) => ({ payer: alice, payee: bob, amount: 100 + i, from: 'alice' as const })));
  const second = await payNow(cluster, first, [{ payer: alice, payee: bob, amount: 7, from: 'alice' }, { payer: alice, payee: bob, amount: 8, from: 'alice' }]);
  const last = await payNow(cluster, second, [{ payer: bob, payee: alice, amount: 5, from: 'bob' }]);
  expect(await cluster.until(() => inStep(cluster, last), 5_000), cluster.logs()).toBe(true);
});

afterAll(async () => {
  for (const server of cluster.servers) await cluster.stopServer(server.index, 'SIGTERM');
  await cluster.stop();
});

/** One raw request, one reply (or null after 500 ms). */
async function exchange(socket: Awaited<ReturnType<typeof openSocket>>, address: { host: string; port: number }, bytes: Uint8Array): Promise<Uint8Array | null> {
  return socket.ask(address, bytes);
}

async function openSocket() {
  let waiting: ((data: Uint8Array) => void) | null = null;
  const socket = await Bun.udpSocket({
    binaryType: 'uint8array',
    socket: {
      data: (_socket, data) => {
        const resolve = waiting;
        waiting = null;
        resolve?.(data.slice());
      },
    },
  });
  return {
    ask(address: { host: string; port: number }, bytes: Uint8Array): Promise<Uint8Array | null> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting = null;
          resolve(null);
        }, 500);
        waiting = (data) => {
          clearTimeout(timer);
          resolve(data);
        };
        socket.send(bytes, address.port, address.host);
      });
    },
    close: () => socket.close(),
  };
}

describe('HISTORY on a real server: never longer than the request', () => {
  test('every request length from 128 to 1232: the most entries that fit, or TOO_SHORT with what one entry (or an empty list) needs', async () => {
    const socket = await openSocket();
    const server = cluster.network.servers[0]!;
    try {
      let requestId = 1;
      const counts = new Map<number, number>();
      for (const [who, many] of [
        [alice, true],
        [nobody, false],
      ] as const) {
        for (let length = 128; length <= 1232; length++) {
          const request = encodeRequest({ kind: Kind.HISTORY, requestId: requestId++, account: who.publicKey, beforePeriod: 0, beforeIndex: 0, length });
          const bytes = await exchange(socket, server.address, request);
          expect(bytes, `no reply to a ${length}-byte request`).not.toBeNull();
          expect(bytes!.length, `reply to ${length} bytes`).toBeLessThanOrEqual(length);
          const reply = decodeReply(bytes!);
          expect(verifyReply(reply, cluster.network.id)).toBe(true);
          expect(reply.requestId).toBe(requestId - 1);
          if (many) {
            const fit = historyEntriesThatFit(length);
            if (fit === 0) {
              expect([length, reply.status, reply.body]).toEqual([length, Status.TOO_SHORT, { needed: replyBytes(historyBodyBytes(1)) }]);
            } else {
              expect([length, reply.status]).toEqual([length, Status.OK]);
              const body = reply.body as HistoryBody;
              expect([length, body.entries.length]).toEqual([length, fit]); // alice has 13 payments: a page is as full as the length allows
              counts.set(fit, (counts.get(fit) ?? 0) + 1);
            }
          } else if (length < 154) {
            expect([length, reply.status, reply.body]).toEqual([length, Status.TOO_SHORT, { needed: 154 }]);
          } else {
            expect([length, reply.status, (reply.body as HistoryBody).entries.length]).toEqual([length, Status.OK, 0]);
          }
        }
      }
      expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      socket.close();
    }
  });
});

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

async function scryp(args: string[], tty = false): Promise<Run> {
  const argv = [binary, ...args, '--network', cluster.networkFile, '--log-level', 'warn'];
  const child = Bun.spawn(tty ? ['script', '-qec', argv.map((arg) => `'${arg}'`).join(' '), '/dev/null'] : argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const exitCode = await child.exited;
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

describe('scryp history, as a person runs it', () => {
  test('--json: every payment made, newest first, committed by all three servers, signatures checked', async () => {
    const result = await scryp(['history', encodeAddress(alice.publicKey), '--json', '--limit', '50']);
    expect(result.exitCode, result.stderr).toBe(0);
    const page = JSON.parse(result.stdout);
    expect(page.address).toBe(encodeAddress(alice.publicKey));
    expect(page.next).toBeNull();
    expect(page.entries).toHaveLength(paid.size);
    for (const entry of page.entries) {
      const made = paid.get(entry.txid);
      expect(made, entry.txid).toBeDefined();
      expect([entry.amount, entry.direction, entry.outcome, entry.servers, entry.signatureValid]).toEqual([made!.amount, made!.from === 'alice' ? 'out' : 'in', 'committed', [0, 1, 2], true]);
      expect(entry.counterparty).toBe(encodeAddress(bob.publicKey));
    }
    const positions = page.entries.map((entry: { period: number; index: number }) => entry.period * 100_000 + entry.index);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    // The ten of one period: more than a page of 7, all there.
    const periods = new Map<number, number>();
    for (const entry of page.entries) periods.set(entry.period, (periods.get(entry.period) ?? 0) + 1);
    expect([...periods.values()].sort((a, b) => b - a)).toEqual([10, 2, 1]);
  });

  test('--csv: a header and a row per payment, amounts signed from the account\'s side, outcomes committed', async () => {
    const result = await scryp(['history', toHex(bob.publicKey), '--csv', '--limit', '50']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe(history_csv_header);
    expect(lines).toHaveLength(1 + paid.size);
    let sum = 0;
    for (const line of lines.slice(1)) {
      const [time, period, direction, counterparty, amount, txid, outcome, periodEnd] = line.split(',');
      const made = paid.get(txid!)!;
      expect(made, line).toBeDefined();
      expect(direction).toBe(made.from === 'bob' ? 'out' : 'in');
      expect(Number(amount)).toBe(made.from === 'bob' ? -made.amount : made.amount);
      expect(toHex(decodeAddress(counterparty!))).toBe(toHex(alice.publicKey));
      expect(outcome).toBe('committed');
      expect(Math.floor(Date.parse(time!) / cluster.network.periodMs)).toBe(Number(period));
      expect(Date.parse(periodEnd!)).toBe((Number(period) + 1) * cluster.network.periodMs);
      sum += Number(amount);
    }
    // Bob's balance moved by exactly the sum of the committed rows.
    const balance = await scryp(['balance', toHex(bob.publicKey), '--json']);
    expect(JSON.parse(balance.stdout).majority.balance).toBe(1_000 + sum);
  });

  test('the table, on a terminal and piped; paging with --limit and --before; nothing for an account that never paid', async () => {
    const first = await scryp(['history', encodeAddress(alice.publicKey), '--limit', '4']);
    expect(first.exitCode, first.stderr).toBe(0);
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines[0]).toStartWith(`${encodeAddress(alice.publicKey)}: 4 payments, newest first (committed period `);
    expect(lines[1]).toMatch(/^time \(UTC\)\s+dir\s+amount\s+counterparty\s+status$/);
    expect(lines[2]).toContain(`in       +5  ${encodeAddress(bob.publicKey)}  committed`);
    const more = /--before (\d+:\d+)$/.exec(lines[lines.length - 1]!);
    expect(more, first.stdout).not.toBeNull();
    const second = await scryp(['history', encodeAddress(alice.publicKey), '--limit', '50', '--before', more![1]!, '--json']);
    const rest = JSON.parse(second.stdout);
    expect(rest.entries).toHaveLength(paid.size - 4);
    const tty = await scryp(['history', encodeAddress(alice.publicKey), '--limit', '4'], true);
    expect(tty.exitCode).toBe(0);
    // The same table (the committed period in the first line may have moved on meanwhile).
    const body = (text: string) => text.replaceAll('\r\n', '\n').split('\n').slice(1).join('\n');
    expect(body(tty.stdout)).toBe(body(first.stdout));
    const empty = await scryp(['history', encodeAddress(nobody.publicKey)]);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toStartWith(`${encodeAddress(nobody.publicKey)}: no payments (committed period `);
  });

  test('a mistyped address: exit 2 with what is wrong, nothing asked', async () => {
    const address = encodeAddress(alice.publicKey);
    const typo = `${address.slice(0, 20)}${address[20] === 'q' ? 'p' : 'q'}${address.slice(21)}`;
    const result = await scryp(['history', typo]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toStartWith('scryp: ADDRESS_CHECKSUM: ADDRESS: the checksum does not match');
    expect((await scryp(['history', encodeAddress(alice.publicKey), '--limit', '0'])).exitCode).toBe(2);
  });
});

describe('restart', () => {
  test('a server restarted on its ledger file lists the same payments', async () => {
    const before = await accountHistory(await cluster.udp(), cluster.network, alice.publicKey, { limit: 50 });
    await cluster.stopServer(2, 'SIGTERM');
    cluster.start(2, ['--client-rate', '100000']);
    const server = cluster.network.servers[2]!;
    const client = await cluster.udp();
    let body: HistoryBody | null = null;
    expect(
      await cluster.until(async () => {
        try {
          const reply = await client.ask(server.address, { kind: Kind.HISTORY, account: alice.publicKey, beforePeriod: 0, beforeIndex: 0 }, { networkId: cluster.network.id, serverKey: server.key, attempts: 2, timeoutMs: 100 });
          body = reply.status === Status.OK ? (reply.body as HistoryBody) : null;
          return body !== null;
        } catch {
          return false;
        }
      }, 8_000),
      cluster.logs(),
    ).toBe(true);
    const listed = body!.entries.map((entry) => toHex(txidOf(entry.transaction)));
    expect(listed).toEqual(before.entries.slice(0, 7).map((entry) => toHex(entry.txid)));
    const after = await accountHistory(client, cluster.network, alice.publicKey, { limit: 50 });
    expect(after.entries.map((entry) => [toHex(entry.txid), entry.agreement])).toEqual(before.entries.map((entry) => [toHex(entry.txid), 'committed']));
  });
});
