// Payments with a reference (the 148-byte form, PAYREF) through the compiled executable:
// three real servers on loopback, real UDP and real SQLite files.
//
//   - Both forms mixed under a steady load, sent to every server (the alpha takes them,
//     the others forward them), while one server is killed (kill -9) and comes back on a
//     copy of its ledger taken periods earlier (scryp backup), so that it replays the
//     periods after it (SYNC_RECORDS), and another loses its ledger file and comes back by
//     a snapshot. Then every server lists the same payments, byte for byte,
//     in HISTORY (from its archive_from on) and says the same in STATUS; batches held both
//     forms together.
//   - `scryp pay --ref N` and a request's `ref=`, then `scryp history --csv` and `--json`
//     show the reference.
//   - Receipts: `scryp receipt save` (by the payer's wallet, by the payee's address), then
//     `scryp receipt check` offline: the summary; forgeries made from it, each its code and
//     exit 3; what save refuses.
//   - Refunds: `scryp pay --refund TXID` pays the payer back the same amount with the same
//     reference, after a yes on a terminal (a real pty, by script(1)) or --yes when piped;
//     a payment the wallet made, an unknown txid: their codes, nothing signed.
//   - Wrong forms (PAYREF with a 140-byte payment, PAY with a 148-byte one, reference 0, a
//     PAYREF cut short or with a byte after its body) each hear BAD_REQUEST, and the node
//     goes on serving.

import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { equal, toHex } from '../src/bytes.ts';
import { decodeReply, type HistoryBody, Kind, type ListedPayment, payKindOf, PaymentState, Status, type StatusBody, verifyReply } from '../src/client/codec.ts';
import { formatPaymentRequest } from '../src/payment-request.ts';
import { formatSeed } from '../src/seed.ts';
import { type Signer } from '../src/signature.ts';
import { referenceOf, signPayment, txidOf } from '../src/transaction.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { wrongReferenceForm } from './helpers/hostile.ts';
import { testSeed, testSigner } from './helpers/keys.ts';
import { binary, ProcessCluster } from './helpers/processes.ts';
import { Prng } from './helpers/prng.ts';

setDefaultTimeout(120_000);

let cluster: ProcessCluster;
let wallet: Signer;
const payees = [0, 1, 2, 3].map((i) => testSigner(`references payee ${i}`));

/** A wallet directory with the seed of `label` (testSeed), for the executable's --dir. */
function walletDir(c: ProcessCluster, name: string, label: string): string {
  const dir = join(c.base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.seed'), formatSeed(testSeed(label)), { mode: 0o600 });
  return dir;
}

async function inStep(c: ProcessCluster, after: number): Promise<boolean> {
  const infos = await Promise.all([0, 1, 2].map((i) => c.info(i)));
  if (infos.some((info) => info === null)) return false;
  return infos.every((info) => info!.committedPeriod > after && info!.committedPeriod === infos[0]!.committedPeriod);
}

/** Every page of `account`'s HISTORY from one server, newest first (bounded: 200 pages). */
async function historyOf(c: ProcessCluster, server: number, account: Uint8Array): Promise<{ archiveFrom: number; entries: ListedPayment[] }> {
  const client = await c.udp();
  const entry = c.network.servers[server]!;
  const entries: ListedPayment[] = [];
  let archiveFrom = 0;
  let cursor = { period: 0, index: 0 };
  for (let page = 0; page < 200; page++) {
    const reply = await client.ask(entry.address, { kind: Kind.HISTORY, account, beforePeriod: cursor.period, beforeIndex: cursor.index }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 150 });
    expect(reply.status).toBe(Status.OK);
    const body = reply.body as HistoryBody;
    archiveFrom = body.archiveFrom;
    if (body.entries.length === 0) break;
    entries.push(...body.entries);
    const last = body.entries[body.entries.length - 1]!;
    cursor = { period: last.period, index: last.index };
  }
  return { archiveFrom, entries };
}

async function statusOf(c: ProcessCluster, server: number, txid: Uint8Array): Promise<StatusBody> {
  const client = await c.udp();
  const entry = c.network.servers[server]!;
  const reply = await client.ask(entry.address, { kind: Kind.STATUS, txid }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 150 });
  expect(reply.status).toBe(Status.OK);
  return reply.body as StatusBody;
}

beforeAll(async () => {
  cluster = await ProcessCluster.create({ servers: 3, periodMs: 400, wallets: [{ label: 'references genesis', balance: 1_000_000_000 }] });
  wallet = cluster.wallets[0]!;
  for (const server of cluster.servers) cluster.start(server.index, ['--client-rate', '100000']);
  expect(await cluster.until(() => inStep(cluster, 0), 10_000), cluster.logs()).toBe(true);
});

afterAll(async () => {
  await killAll();
  for (const server of cluster.servers) if (server.process !== null) await cluster.stopServer(server.index, 'SIGTERM');
  await cluster.stop();
});

afterEach(killAll);

describe('both forms under load, a server caught up by replay and another by snapshot', () => {
  test('every server lists the same payments of both forms and says the same of each', async () => {
    const c = cluster;
    const client = await c.udp();
    const sent: { tx: Uint8Array; status: number }[] = [];
    let loading = true;
    const started = Date.now();
    // The load: both forms, mixed, to every server in turn (bounded in count and time).
    const load = (async () => {
      for (let i = 0; loading && i < 4_000 && Date.now() - started < 60_000; i++) {
        const target = i % 3;
        const entry = c.network.servers[target]!;
        const reference = i % 3 === 0 ? undefined : 1_000_000n + BigInt(i); // two thirds with a reference, for every payee
        const tx = signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 1 + (i % 9), payee: payees[i % payees.length]!.publicKey, ...(reference === undefined ? {} : { reference }) });
        try {
          const reply = await client.ask(entry.address, { kind: payKindOf(tx), transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 2, timeoutMs: 60 });
          sent.push({ tx, status: reply.status });
        } catch {
          // that server is down right now
        }
        await Bun.sleep(8);
      }
    })();
    const periodMs = c.network.periodMs;
    await Bun.sleep(3 * periodMs);
    // Server 2: a checked copy of its ledger now (scryp backup, while it runs) ...
    const old = join(c.base, 'server2-old.sqlite');
    const copy = await runProgram(['backup', '--dir', c.servers[2]!.dir, '--out', old, '--network', c.networkFile, '--json']);
    expect(copy.exitCode, show(copy)).toBe(0);
    const copiedAt = JSON.parse(copy.stdout).committedPeriod as number;
    await Bun.sleep(6 * periodMs);
    // ... then killed, and back on that older copy: it replays the periods after it (SYNC_RECORDS, both forms in them).
    await c.stopServer(2, 'SIGKILL');
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(c.servers[2]!.dir, `ledger.sqlite${suffix}`), { force: true });
    copyFileSync(old, join(c.servers[2]!.dir, 'ledger.sqlite'));
    c.servers[2]!.log = '';
    c.start(2, ['--client-rate', '100000']);
    expect(await c.until(() => /catch-up: replayed \d+ periods/.test(c.servers[2]!.log), 10_000), c.logs()).toBe(true);
    expect(c.servers[2]!.log).toContain(`committed period ${copiedAt},`); // it started from the copy
    await Bun.sleep(2 * periodMs);
    // Server 1: its ledger file deleted; back by a snapshot of a peer's state.
    await c.stopServer(1, 'SIGTERM');
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(c.servers[1]!.dir, `ledger.sqlite${suffix}`), { force: true });
    c.start(1, ['--client-rate', '100000']);
    expect(await c.until(() => c.servers[1]!.log.includes('installed the snapshot'), 10_000), c.logs()).toBe(true);
    await Bun.sleep(3 * periodMs);
    loading = false;
    await load;
    const last = c.periodNow();
    expect(await c.until(() => inStep(c, last), 10_000), c.logs()).toBe(true);

    const taken = sent.filter((item) => item.status === Status.ACCEPTED || item.status === Status.FORWARDED);
    expect(taken.filter((item) => item.tx.length === 148).length).toBeGreaterThan(20);
    expect(taken.filter((item) => item.tx.length === 140).length).toBeGreaterThan(20);

    // HISTORY: the same bytes on every server, from each one's archive on (server 1 holds nothing before its snapshot).
    let withReference = 0;
    let mixedPeriods = 0;
    for (const payee of payees) {
      const lists = await Promise.all([0, 1, 2].map((server) => historyOf(c, server, payee.publicKey)));
      expect(lists[0]!.archiveFrom).toBe(0);
      expect(lists[2]!.archiveFrom).toBe(0);
      expect(lists[1]!.archiveFrom).toBeGreaterThan(0);
      const key = (entry: ListedPayment) => `${entry.period}:${entry.index}:${entry.applied}:${toHex(entry.transaction)}`;
      expect(lists[2]!.entries.map(key)).toEqual(lists[0]!.entries.map(key));
      expect(lists[1]!.entries.map(key)).toEqual(lists[0]!.entries.filter((entry) => entry.period > lists[1]!.archiveFrom).map(key));
      withReference += lists[0]!.entries.filter((entry) => referenceOf(entry.transaction) !== null).length;
      const forms = new Map<number, Set<number>>();
      for (const entry of lists[0]!.entries) forms.set(entry.period, (forms.get(entry.period) ?? new Set()).add(entry.transaction.length));
      mixedPeriods += [...forms.values()].filter((set) => set.size === 2).length;
    }
    expect(withReference).toBeGreaterThan(20);
    expect(mixedPeriods).toBeGreaterThan(0);

    // STATUS: every payment a server took is committed or void, the same on every server
    // (the restored one claims nothing older than its snapshot).
    const archiveOf1 = (await historyOf(c, 1, payees[0]!.publicKey)).archiveFrom;
    let committed = 0;
    for (const { tx } of taken) {
      const txid = txidOf(tx);
      const [a, b, d] = await Promise.all([0, 1, 2].map((server) => statusOf(c, server, txid)));
      if (a!.state === PaymentState.COMMITTED) committed++;
      expect([toHex(txid), a!.state === PaymentState.COMMITTED || a!.state === PaymentState.VOID || a!.state === PaymentState.UNKNOWN]).toEqual([toHex(txid), true]);
      expect([toHex(txid), d!.state, d!.period]).toEqual([toHex(txid), a!.state, a!.period]);
      if (a!.period > archiveOf1 && a!.state === PaymentState.COMMITTED) expect([toHex(txid), b!.state, b!.period]).toEqual([toHex(txid), a!.state, a!.period]);
    }
    expect(committed).toBeGreaterThan(taken.length / 2);
  });
});

describe('the CLI', () => {
  test('scryp pay --ref and a request with ref=, then scryp history shows the reference (table, CSV, JSON)', async () => {
    const c = cluster;
    const dir = walletDir(c, 'cli-wallet', 'wallet references genesis');
    const payee = testSigner('references cli payee');
    const paid = await runProgram(['pay', '--dir', dir, '--to', encodeAddress(payee.publicKey), '--amount', '3', '--ref', '18446744073709551615', '--network', c.networkFile, '--json'], { timeoutMs: 30_000 });
    expect(paid.exitCode, show(paid)).toBe(0);
    const answer = JSON.parse(paid.stdout) as { outcome: string; reference: string; txid: string };
    expect([answer.outcome, answer.reference]).toEqual(['committed', '18446744073709551615']);
    expect(paid.stderr).toContain('with reference 18446744073709551615');
    const request = formatPaymentRequest({ account: payee.publicKey, amount: 4, reference: 77n, label: 'Stall 7' });
    const byRequest = await runProgram(['pay', '--dir', dir, '--to', request, '--network', c.networkFile], { timeoutMs: 30_000 });
    expect(byRequest.exitCode, show(byRequest)).toBe(0);
    expect(byRequest.stdout).toContain('with reference 77');
    // A --ref that contradicts the request's is a usage error: nothing is signed.
    const conflicting = await runProgram(['pay', '--dir', dir, '--to', request, '--ref', '78', '--network', c.networkFile], { timeoutMs: 10_000 });
    expect(conflicting.exitCode, show(conflicting)).toBe(2);
    expect(conflicting.stderr).toContain('--ref 78 conflicts');
    for (const bad of ['0', '18446744073709551616', '-3', '1e3']) {
      const refused = await runProgram(['pay', '--dir', dir, '--to', encodeAddress(payee.publicKey), '--amount', '1', '--ref', bad, '--network', c.networkFile], { timeoutMs: 10_000 });
      expect([bad, refused.exitCode]).toEqual([bad, 2]);
    }

    const csv = await runProgram(['history', encodeAddress(payee.publicKey), '--csv', '--network', c.networkFile], { timeoutMs: 20_000 });
    expect(csv.exitCode, show(csv)).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,period,direction,counterparty,amount,txid,outcome,period_end,reference');
    expect(lines.slice(1).map((line) => [line.split(',')[4], line.split(',')[8]])).toEqual([
      ['4', '77'],
      ['3', '18446744073709551615'],
    ]);
    const json = await runProgram(['history', encodeAddress(payee.publicKey), '--json', '--network', c.networkFile], { timeoutMs: 20_000 });
    expect(json.exitCode, show(json)).toBe(0);
    const page = JSON.parse(json.stdout) as { entries: { reference: string | null; txid: string; outcome: string }[] };
    expect(page.entries.map((entry) => [entry.reference, entry.outcome])).toEqual([
      ['77', 'committed'],
      ['18446744073709551615', 'committed'],
    ]);
    expect(page.entries[1]!.txid).toBe(answer.txid);
    const table = await runProgram(['history', encodeAddress(payee.publicKey), '--network', c.networkFile], { timeoutMs: 20_000 });
    expect(table.exitCode, show(table)).toBe(0);
    expect(table.stdout).toMatch(/reference/);
    expect(table.stdout).toContain('18446744073709551615');
  });
});

describe('receipts through the executable (PROTOCOL §6.14)', () => {
  test('save by the payer\'s wallet and by the payee\'s address, check offline; forgeries refused with their codes', async () => {
    const c = cluster;
    const dir = walletDir(c, 'receipt-wallet', 'wallet references genesis');
    const shop = testSigner('references receipt shop');
    const paid = await runProgram(['pay', '--dir', dir, '--to', encodeAddress(shop.publicKey), '--amount', '12', '--ref', '4242', '--network', c.networkFile, '--json'], { timeoutMs: 30_000 });
    expect(paid.exitCode, show(paid)).toBe(0);
    const { txid } = JSON.parse(paid.stdout) as { txid: string };
    const file = join(c.base, 'receipt.json');
    const saved = await runProgram(['receipt', 'save', txid, '--out', file, '--dir', dir, '--network', c.networkFile], { timeoutMs: 30_000 });
    expect(saved.exitCode, show(saved)).toBe(0);
    expect(saved.stdout).toContain(`receipt saved to ${file}: 12 scryp from`);
    // The shop saves its own from its address alone (no wallet, no passphrase).
    const byShop = join(c.base, 'receipt-shop.json');
    const shopSaved = await runProgram(['receipt', 'save', txid, '--out', byShop, '--account', encodeAddress(shop.publicKey), '--network', c.networkFile, '--json'], { timeoutMs: 30_000 });
    expect(shopSaved.exitCode, show(shopSaved)).toBe(0);
    expect((JSON.parse(shopSaved.stdout) as { reference: string; replies: number }).reference).toBe('4242');
    // Never over a file.
    const again = await runProgram(['receipt', 'save', txid, '--out', file, '--dir', dir, '--network', c.networkFile]);
    expect([again.exitCode, again.stderr.includes('OUT_EXISTS')]).toEqual([1, true]);

    // Offline: the servers are not needed any more.
    await c.stopServer(0, 'SIGTERM');
    const check = (path: string, extra: string[] = []) => runProgram(['receipt', 'check', path, '--network', c.networkFile, ...extra]);
    const ok = await check(file);
    expect(ok.exitCode, show(ok)).toBe(0);
    expect(ok.stdout).toContain(`valid receipt: 12 scryp from ${encodeAddress(wallet.publicKey)} to ${encodeAddress(shop.publicKey)} with reference 4242, committed in period `);
    expect(ok.stdout).toContain(`(txid ${txid})`);
    // With the chain of changes the servers report (none here), as scryp network show --out writes it.
    const chainFile = join(c.base, 'chain.json');
    writeFileSync(chainFile, JSON.stringify({ network: toHex(c.network.id), changes: [] }));
    expect((await check(file, ['--chain', chainFile])).exitCode).toBe(0);

    const receipt = JSON.parse(readFileSync(file, 'utf8')) as { network: string; tx: string; replies: string[] };
    const forged = async (name: string, edit: (r: typeof receipt) => unknown, network = c.networkFile): Promise<string> => {
      const path = join(c.base, `forged-${name}.json`);
      const edited = edit(structuredClone(receipt));
      writeFileSync(path, typeof edited === 'string' ? edited : JSON.stringify(edited)); // a string is written as it is (not JSON)
      const r = await runProgram(['receipt', 'check', path, '--network', network]);
      expect([name, r.exitCode]).toEqual([name, 3]);
      return /scryp: ([A-Z_]+):/.exec(r.stderr)?.[1] ?? r.stderr;
    };
    const flip = (hex: string, at: number) => hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);
    expect(await forged('amount', (r) => ({ ...r, tx: flip(r.tx, 23) }))).toBe('RECEIPT_BAD_PAYMENT_SIGNATURE');
    expect(await forged('one-reply', (r) => ({ ...r, replies: r.replies.slice(0, 1) }))).toBe('RECEIPT_TOO_FEW');
    expect(await forged('same-reply-twice', (r) => ({ ...r, replies: [r.replies[0], r.replies[0]] }))).toBe('RECEIPT_TOO_FEW');
    expect(await forged('reply-period', (r) => ({ ...r, replies: [flip(r.replies[0]!, 98), ...r.replies.slice(1)] }))).toBe('RECEIPT_REPLY_SIGNATURE');
    expect(await forged('not-json', () => '{')).toBe('RECEIPT_MALFORMED');
    // Checked against another network's file: the receipt is not of it.
    const otherFile = join(c.base, 'other-network.json');
    writeFileSync(otherFile, readFileSync(c.networkFile, 'utf8').replace('"testnet"', '"othernet"'));
    expect(await forged('other-network', (r) => r, otherFile)).toBe('RECEIPT_OTHER_NETWORK');
    c.start(0, ['--client-rate', '100000']);
    expect(await c.until(() => inStep(c, 0), 10_000), c.logs()).toBe(true);
  });

  test('a txid that is not this wallet\'s payment gets no receipt (exit 3); --dir and --account together are a usage error', async () => {
    const c = cluster;
    const dir = join(c.base, 'receipt-wallet');
    const unknown = '11'.repeat(32);
    const none = await runProgram(['receipt', 'save', unknown, '--out', join(c.base, 'none.json'), '--dir', dir, '--network', c.networkFile], { timeoutMs: 30_000 });
    expect(none.exitCode, show(none)).toBe(3);
    expect(none.stderr).toContain('RECEIPT_NOT_COMMITTED');
    const both = await runProgram(['receipt', 'save', unknown, '--out', join(c.base, 'none.json'), '--dir', dir, '--account', encodeAddress(wallet.publicKey), '--network', c.networkFile]);
    expect(both.exitCode).toBe(2);
  });
});

describe('refunds through the executable', () => {
  test('pay --refund pays the payer back, same amount, same reference, once said yes to; what may not be refunded is refused', async () => {
    const c = cluster;
    const customerDir = walletDir(c, 'refund-customer', 'wallet references genesis');
    const shopDir = walletDir(c, 'refund-shop', 'references refund shop');
    const shop = testSigner('references refund shop');
    const paid = await runProgram(['pay', '--dir', customerDir, '--to', encodeAddress(shop.publicKey), '--amount', '9', '--ref', '777', '--network', c.networkFile, '--json'], { timeoutMs: 30_000 });
    expect(paid.exitCode, show(paid)).toBe(0);
    const { txid } = JSON.parse(paid.stdout) as { txid: string };
    const refund = (extra: string[], stdin?: string) => runProgram(['pay', '--dir', shopDir, '--refund', txid, '--network', c.networkFile, ...extra], { timeoutMs: 30_000, ...(stdin === undefined ? {} : { stdin }) });

    // Piped, it will not pay without --yes; and --refund takes its payee, amount and reference from the payment.
    const piped = await refund([], 'y\n');
    expect([piped.exitCode, piped.stderr.includes('give --yes')], show(piped)).toEqual([2, true]);
    const mixed = await refund(['--yes', '--amount', '9']);
    expect(mixed.exitCode).toBe(2);

    // On a terminal it asks, and a no pays nothing.
    const onTerminal = (answer: string) =>
      runProgram(['-qec', `${binary} pay --dir ${shopDir} --refund ${txid} --network ${c.networkFile}`, '/dev/null'], { program: ['script'], stdin: answer, timeoutMs: 30_000 });
    const declined = await onTerminal('n\n');
    expect(declined.exitCode, show(declined)).toBe(1);
    expect(declined.stdout).toContain(`refund 9 scryp to ${encodeAddress(wallet.publicKey)} with reference 777, paying back payment ${txid}`);
    expect(declined.stdout).toContain('not refunded: nothing was signed');
    const accepted = await onTerminal('y\n');
    expect(accepted.exitCode, show(accepted)).toBe(0);
    expect(accepted.stdout).toMatch(new RegExp(`committed: 9 scryp to ${encodeAddress(wallet.publicKey)} with reference 777 in period \\d+ \\(txid [0-9a-f]{64}\\), the refund of ${txid}`));
    const refundTxid = /\(txid ([0-9a-f]{64})\)/.exec(accepted.stdout)![1]!;

    // The customer's history: the refund came in, with the reference of the payment it undoes.
    const history = await runProgram(['history', encodeAddress(wallet.publicKey), '--json', '--limit', '5', '--network', c.networkFile], { timeoutMs: 20_000 });
    const entries = (JSON.parse(history.stdout) as { entries: { txid: string; direction: string; amount: number; reference: string | null; outcome: string }[] }).entries;
    expect(entries.find((entry) => entry.txid === refundTxid)).toMatchObject({ direction: 'in', amount: 9, reference: '777', outcome: 'committed' });

    // The refund is the shop's own payment: not one it received. An unknown txid is not found.
    const notReceived = await runProgram(['pay', '--dir', shopDir, '--refund', refundTxid, '--yes', '--network', c.networkFile], { timeoutMs: 30_000 });
    expect([notReceived.exitCode, notReceived.stderr.includes('REFUND_NOT_RECEIVED')], show(notReceived)).toEqual([3, true]);
    const unknown = await runProgram(['pay', '--dir', shopDir, '--refund', 'ab'.repeat(32), '--yes', '--network', c.networkFile], { timeoutMs: 30_000 });
    expect([unknown.exitCode, unknown.stderr.includes('REFUND_NOT_FOUND')], show(unknown)).toEqual([3, true]);
  });
});

describe('wrong forms of payment', () => {
  test('each hears BAD_REQUEST (no longer than itself), and the node goes on serving', async () => {
    const c = cluster;
    const entry = c.network.servers[0]!;
    const replies: Uint8Array[] = [];
    const socket = await Bun.udpSocket({ binaryType: 'uint8array', socket: { data: (_s, data) => void replies.push(data.slice()) } });
    try {
      const prng = new Prng(0x2020_0011);
      const lengths: number[] = [];
      for (let i = 0; i < 40; i++) {
        const bytes = wrongReferenceForm(prng, c.network, wallet, 5_000 + i);
        lengths.push(bytes.length);
        socket.send(bytes, entry.address.port, entry.address.host);
        await Bun.sleep(5);
      }
      expect(await c.until(() => replies.length >= 40, 3_000)).toBe(true);
      for (const bytes of replies) {
        const reply = decodeReply(bytes);
        expect(verifyReply(reply, c.network.id)).toBe(true);
        expect(equal(reply.serverKey, entry.key)).toBe(true);
        expect(reply.status).toBe(Status.BAD_REQUEST);
        expect(bytes.length).toBeLessThanOrEqual(lengths[reply.requestId - 5_000]!);
      }
    } finally {
      socket.close();
    }
    // Still serving: INFO answers, and a payment of each form is taken.
    expect(await c.info(0)).not.toBeNull();
    const client = await c.udp();
    for (const reference of [undefined, 5n]) {
      await c.awayFromBoundaries(80);
      const alpha = c.network.servers[c.periodNow() % 3]!;
      const tx = signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 2, payee: payees[0]!.publicKey, ...(reference === undefined ? {} : { reference }) });
      const reply = await client.ask(alpha.address, { kind: payKindOf(tx), transaction: tx }, { networkId: c.network.id, serverKey: alpha.key, attempts: 3, timeoutMs: 80 });
      expect(reply.status, c.logs()).toBe(Status.ACCEPTED);
    }
  });
});
