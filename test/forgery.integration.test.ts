// The forgery of issue 9, tried as an attacker would, on three servers of the compiled
// executable: money held at a key no one can sign for (the identity point 0100…00, the
// kind of key people use as a "burn" address), and a payment *from* it with the signature
// R = identity, S = 0, which BoringSSL alone accepts for every message. Before the strict
// rule it was FORWARDED, accepted and committed: anyone could take that money.
//
// The money gets there as it would have before the rule: a ledger from an older node
// already holds it (each server starts from the same certified state, written into its
// SQLite file with the servers' own keys, as catch-up would install it). Today such a
// payee is refused (BAD_PAYEE), which the second test tries too.

import { afterEach, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { formatSeed } from '../src/seed.ts';
import { Kind, Status, statusName, type BalanceBody } from '../src/client/codec.ts';
import { certificateFrom, signVote } from '../src/consensus/vote.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { SqliteStore } from '../src/ledger/sqlite-store.ts';
import { ServerCore } from '../src/node/core.ts';
import { alphaOf, periodOf } from '../src/schedule.ts';
import { encodeTransaction, signPayment } from '../src/transaction.ts';
import { signerFromSeed } from '../src/signature.ts';
import { binary, ProcessCluster } from './helpers/processes.ts';
import { testSeed, testSigner } from './helpers/keys.ts';

setDefaultTimeout(60_000);

const identity = Uint8Array.of(1, ...new Uint8Array(31));
const identityNegativeZero = Uint8Array.of(1, ...new Uint8Array(30), 0x80);
const held = 1_000;

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  const c = cluster;
  cluster = null;
  await c?.stop();
});



async function payRaw(c: ProcessCluster, server: number, tx: Uint8Array): Promise<number> {
  const client = await c.udp();
  const entry = c.network.servers[server]!;
  const reply = await client.ask(entry.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
  return reply.status;
}

async function balanceAt(c: ProcessCluster, server: number, account: Uint8Array): Promise<number> {
  const client = await c.udp();
  const entry = c.network.servers[server]!;
  const reply = await client.ask(entry.address, { kind: Kind.BALANCE, account }, { networkId: c.network.id, serverKey: entry.key, attempts: 4, timeoutMs: 100 });
  return reply.status === Status.OK ? (reply.body as BalanceBody).balance : 0;
}

/** Every server's ledger starts from a certified state in which `held` scryp sit at the identity key. */
function seedLedgersWithBurnedMoney(c: ProcessCluster): void {
  const genesisWallet = c.wallets[0]!;
  const supply = c.network.supply;
  const state = LedgerState.fromAccounts([
    { account: genesisWallet.publicKey, balance: supply - held },
    { account: identity, balance: held },
  ]);
  const genesis = ServerCore.genesisFor(c.network);
  const period = periodOf(c.timing(), Date.now()) - 5;
  const decision = { period, parent: 0, parentHash: genesis.hash, hash: state.hash };
  const votes = c.servers.map((server) => signVote(signerFromSeed(testSeed(`server ${server.index}`)), c.network.id, decision, 0, server.index));
  const certificate = certificateFrom(decision, votes);
  const entries = new Uint8Array([...state.entries()].flatMap((entry) => [...entry]));
  const genesisState = LedgerState.fromAccounts(c.network.genesis);
  for (const server of c.servers) {
    const store = new SqliteStore(server.dir, c.network.id, genesis, () => genesisState.entries());
    store.installSnapshot(certificate, entries);
    store.close();
  }
}

/**
 * Until every server answers `account`'s balance as `balance`, and then two periods more:
 * an alpha accepts only in periods it saw start (PROTOCOL §4), so a server started in the
 * middle of its own alpha period answers UNAVAILABLE until its next one.
 */
async function waitAvailable(c: ProcessCluster, account: Uint8Array, balance: number): Promise<void> {
  const up = await c.until(async () => {
    for (let i = 0; i < c.servers.length; i++) if ((await balanceAt(c, i, account)) !== balance) return false;
    return true;
  }, 15_000);
  expect(up, c.logs()).toBe(true);
  const from = periodOf(c.timing(), Date.now());
  await c.until(() => periodOf(c.timing(), Date.now()) >= from + 2, 5_000);
}

test('a payment from the identity key, "signed" by no one (R = identity, S = 0), is BAD_SIGNATURE at the alpha and at a forwarder; the money stays', async () => {
  const c = (cluster = await ProcessCluster.create({ periodMs: 300 }));
  seedLedgersWithBurnedMoney(c);
  c.startAll();
  await waitAvailable(c, identity, held);

  const attacker = testSigner('wallet attacker').publicKey;
  const forgeries = [
    Uint8Array.of(...identity, ...new Uint8Array(32)), // R = identity, S = 0
    Uint8Array.of(...identityNegativeZero, ...new Uint8Array(32)), // the same R, non-canonically encoded
  ];
  const heard: string[] = [];
  for (const signature of forgeries) {
    for (const target of ['alpha', 'forwarder'] as const) {
      const period = await c.awayFromBoundaries();
      const alpha = alphaOf(c.network.servers.length, period);
      const server = target === 'alpha' ? alpha : (alpha + 1) % c.servers.length;
      const tx = encodeTransaction({ timestamp: Date.now(), amount: held, payee: attacker, payer: identity, signature });
      heard.push(`${target}: ${statusName[await payRaw(c, server, tx)]}`);
    }
  }
  expect(heard).toEqual(['alpha: BAD_SIGNATURE', 'forwarder: BAD_SIGNATURE', 'alpha: BAD_SIGNATURE', 'forwarder: BAD_SIGNATURE']);

  // Two periods later, on every server: the money is where it was, the attacker has nothing.
  const after = periodOf(c.timing(), Date.now()) + 2;
  await c.until(() => periodOf(c.timing(), Date.now()) > after, 5_000);
  for (let i = 0; i < c.servers.length; i++) {
    expect(await balanceAt(c, i, identity)).toBe(held);
    expect(await balanceAt(c, i, attacker)).toBe(0);
  }
  for (const server of c.servers) expect(server.log).not.toContain('internal error');
});

test('a payment to a key no one can sign for is BAD_PAYEE at the alpha and at a forwarder, for each kind of such key', async () => {
  const c = (cluster = await ProcessCluster.create({ periodMs: 300 }));
  c.startAll();
  const payer = c.wallets[0]!;
  await waitAvailable(c, payer.publicKey, c.network.supply);

  const payees: [string, Uint8Array][] = [
    ['the identity (small order)', identity],
    ['y = p (non-canonical)', Uint8Array.of(0xed, ...new Uint8Array(30).fill(0xff), 0x7f)],
    ['y = 2 (not a point)', Uint8Array.of(2, ...new Uint8Array(31))],
  ];
  const heard: string[] = [];
  for (const [name, payee] of payees) {
    for (const target of ['alpha', 'forwarder'] as const) {
      const period = await c.awayFromBoundaries();
      const alpha = alphaOf(c.network.servers.length, period);
      const server = target === 'alpha' ? alpha : (alpha + 2) % c.servers.length;
      const tx = signPayment(payer, c.network.id, { timestamp: Date.now(), amount: 5, payee });
      heard.push(`${name} at the ${target}: ${statusName[await payRaw(c, server, tx)]}`);
    }
  }
  expect(heard).toEqual(payees.flatMap(([name]) => [`${name} at the alpha: BAD_PAYEE`, `${name} at the forwarder: BAD_PAYEE`]));
  // And a real payee still works, through the same servers.
  const period = await c.awayFromBoundaries();
  const tx = signPayment(payer, c.network.id, { timestamp: Date.now(), amount: 5, payee: testSigner('wallet someone').publicKey });
  expect(statusName[await payRaw(c, alphaOf(c.network.servers.length, period), tx)]).toBe('ACCEPTED');
  for (let i = 0; i < c.servers.length; i++) expect(await balanceAt(c, i, identity)).toBe(0);
});

test('scryp pay refuses a payee no one can sign for before it signs anything: exit 2, UNSPENDABLE_KEY, saying why', async () => {
  const c = (cluster = await ProcessCluster.create({ periodMs: 300 }));
  // No server is started: a refusal that needed one would time out (exit 4) instead.
  const wallet = join(c.base, 'wallet');
  mkdirSync(wallet);
  writeFileSync(join(wallet, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
  const payees: [string, string][] = [
    [toHex(identity), 'small order'],
    [`ed${'ff'.repeat(30)}7f`, 'non-canonical'],
    [`02${'00'.repeat(31)}`, 'not a point'],
  ];
  for (const [to, why] of payees) {
    const run = Bun.spawnSync([binary, 'pay', '--network', c.networkFile, '--dir', wallet, '--to', to, '--amount', '5'], { stdout: 'pipe', stderr: 'pipe' });
    const stderr = run.stderr.toString();
    expect([to, run.exitCode]).toEqual([to, 2]);
    expect(stderr).toContain('UNSPENDABLE_KEY');
    expect(stderr).toContain(why);
    expect(stderr).toContain('nothing was signed');
    expect(run.stdout.toString()).toBe('');
  }
});
