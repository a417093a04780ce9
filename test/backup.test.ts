// `scryp backup` through the compiled executable, against servers running on loopback
// with payments flowing: the copy is consistent and checked, it forgets the server's
// votes, a restore from a backup many periods old rejoins by replay (not by snapshot)
// and ends in step with the others, another network's backup is refused at start
// (STORE_MISMATCH, the file untouched), and a damaged ledger never yields a backup.

import { Database } from 'bun:sqlite';
import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { Kind, Status } from '../src/client/codec.ts';
import { vote_meta_keys } from '../src/ledger/backup.ts';
import { signPayment } from '../src/transaction.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { testSigner } from './helpers/keys.ts';
import { checkLedger } from './helpers/ledger-check.ts';
import { ensureBinary, ProcessCluster, root } from './helpers/processes.ts';

setDefaultTimeout(90_000);

const clusters: ProcessCluster[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const c of clusters.splice(0)) await c.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-backup-'));
  dirs.push(dir);
  return dir;
}

async function cluster(name = 'testnet'): Promise<ProcessCluster> {
  const c = await ProcessCluster.create({ servers: 3, periodMs: 300, name });
  clusters.push(c);
  c.startAll();
  if (!(await c.until(async () => ((await c.info(2))?.committedPeriod ?? 0) > 0, 15_000))) throw new Error(`no commit:\n${c.logs()}`);
  return c;
}

const backup = (c: ProcessCluster, server: number, out: string, extra: string[] = []) =>
  runProgram(['backup', '--dir', c.servers[server]!.dir, '--out', out, '--network', c.networkFile, '--json', ...extra]);

/** Payments from the genesis wallet to a few payees through server 0, for `ms`; how many were taken. */
async function payFor(c: ProcessCluster, ms: number): Promise<number> {
  const client = await c.udp();
  const entry = c.network.servers[0]!;
  const payees = [0, 1, 2, 3].map((i) => testSigner(`backup payee ${i}`).publicKey);
  let taken = 0;
  const until = Date.now() + ms;
  for (let i = 0; Date.now() < until; i++) {
    const tx = signPayment(c.wallets[0]!, c.network.id, { timestamp: Date.now(), amount: 1 + (i % 3), payee: payees[i % payees.length]! });
    try {
      const reply = await client.ask(entry.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: entry.key, attempts: 2, timeoutMs: 100 });
      if (reply.status === Status.ACCEPTED || reply.status === Status.FORWARDED) taken++;
    } catch {
      // lost twice: the next one
    }
    await Bun.sleep(5);
  }
  return taken;
}

async function inStep(c: ProcessCluster, servers: number[], after: number): Promise<boolean> {
  const infos = await Promise.all(servers.map((i) => c.info(i)));
  if (infos.some((info) => info === null)) return false;
  const first = infos[0]!;
  return first.committedPeriod > after && infos.every((info) => info!.committedPeriod === first.committedPeriod && toHex(info!.stateHash) === toHex(first.stateHash));
}

function metaKeys(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.query('SELECT key FROM meta ORDER BY key').all() as { key: string }[]).map((row) => row.key);
  } finally {
    db.close();
  }
}

/** Every row of every table, as text: what a refusal must leave as it was. */
function contents(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    return tables.map((table) => `${table}: ${JSON.stringify(db.query(`SELECT * FROM ${table}`).all(), (_, value) => (value instanceof Uint8Array ? toHex(value) : value))}`).join('\n');
  } finally {
    db.close();
  }
}

describe('scryp backup', () => {
  test('while the node runs under payments: a checked copy, without votes, as one file; never replacing one', async () => {
    const c = await cluster();
    const dir = tempDir();
    const out = join(dir, 'server1.sqlite');
    const load = payFor(c, 3_000);
    await Bun.sleep(1_000);
    const r = await backup(c, 1, out);
    const taken = await load;
    expect(taken).toBeGreaterThan(20);
    expect(r.exitCode, show(r)).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.file).toBe(out);
    expect(report.committedPeriod).toBeGreaterThan(0);
    expect(report.bytes).toBe(readFileSync(out).length);
    // Exactly the file, with nothing beside it (no -wal, no work directory).
    expect(readdirSync(dir)).toEqual(['server1.sqlite']);
    // What the report says, the file holds: its accounts hash to its certificate.
    const copyDir = join(dir, 'check');
    mkdirSync(copyDir);
    copyFileSync(out, join(copyDir, 'ledger.sqlite'));
    const ledger = checkLedger(copyDir, c.network);
    expect(ledger.committed.period).toBe(report.committedPeriod);
    expect(ledger.stateHash).toBe(report.stateHash);
    expect(ledger.supply).toBe(c.network.supply);
    // It forgot the server's votes, and keeps the rest.
    const keys = metaKeys(out);
    for (const key of vote_meta_keys) expect(keys).not.toContain(key);
    expect(keys).toContain('committed');
    expect(keys).toContain('network_id');
    const db = new Database(out, { readonly: true });
    expect(db.query('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'delete' });
    db.close();
    // The running server's own ledger still has its votes: only the copy was edited.
    const live = new Database(join(c.servers[1]!.dir, 'ledger.sqlite'), { readonly: true });
    expect((live.query("SELECT count(*) AS n FROM meta WHERE key = 'last_vote'").get() as { n: number }).n).toBe(1);
    live.close();
    // Never replaces a file.
    const again = await backup(c, 1, out);
    expect(again.exitCode, show(again)).toBe(1);
    expect(again.stderr).toContain('OUT_EXISTS');
    expect(readFileSync(out).length).toBe(report.bytes);
  });

  test("a server's directory knows its network: backup and network sign with --dir alone act on it (not the devnet); a --network of another network is STORE_MISMATCH", async () => {
    const c = await cluster('knows-its-network');
    const dir = tempDir();
    // The backup's copy remembers the network too (it is the ledger's).
    const alone = await runProgram(['backup', '--dir', c.servers[0]!.dir, '--out', join(dir, 'alone.sqlite'), '--json']);
    expect(alone.exitCode, show(alone)).toBe(0);
    expect(JSON.parse(alone.stdout).committedPeriod).toBeGreaterThan(0);
    expect(metaKeys(join(dir, 'alone.sqlite'))).toContain('network_file');
    // A change file of this network, signed with --dir alone (no --network, no --chain).
    const change = join(dir, 'change.json');
    const made = await runProgram(['network', 'change', '--dir', c.servers[0]!.dir, '--remove', toHex(c.keyOf(2)), '--out', change]);
    expect(made.exitCode, show(made)).toBe(0);
    expect(made.stdout).toContain('of network knows-its-network');
    const signed = await runProgram(['network', 'sign', change, '--dir', c.servers[1]!.dir]);
    expect(signed.exitCode, show(signed)).toBe(0);
    expect(signed.stdout).toContain('server 1 signed');
    // The devnet's file (or any other network's) beside the directory is refused, nothing written.
    const other = await runProgram(['backup', '--dir', c.servers[0]!.dir, '--out', join(dir, 'other.sqlite'), '--network', join(root, 'seeds', 'devnet', 'network.json')]);
    expect(other.exitCode, show(other)).toBe(1);
    expect(other.stderr).toContain('STORE_MISMATCH');
    expect(other.stderr).toContain('serves network knows-its-network');
    expect(existsSync(join(dir, 'other.sqlite'))).toBe(false);
    const wrongSign = await runProgram(['network', 'sign', change, '--dir', c.servers[2]!.dir, '--network', join(root, 'seeds', 'devnet', 'network.json')]);
    expect(wrongSign.exitCode, show(wrongSign)).toBe(1);
    expect(wrongSign.stderr).toContain('STORE_MISMATCH');
  });

  test('restore: a backup many periods old put back as the ledger; the server rejoins by replay and ends in step', async () => {
    const c = await cluster();
    const dir = tempDir();
    const out = join(dir, 'old.sqlite');
    await payFor(c, 600);
    const r = await backup(c, 2, out);
    expect(r.exitCode, show(r)).toBe(0);
    const backedUp = JSON.parse(r.stdout).committedPeriod as number;
    // The network moves on, with payments, for 25 periods or more.
    await payFor(c, 2_500);
    expect(await c.until(async () => ((await c.info(0))?.committedPeriod ?? 0) >= backedUp + 25, 15_000)).toBe(true);
    await c.stopServer(2);
    const serverDir = c.servers[2]!.dir;
    for (const name of ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm']) rmSync(join(serverDir, name), { force: true });
    copyFileSync(out, join(serverDir, 'ledger.sqlite'));
    c.servers[2]!.log = '';
    c.start(2);
    const joined = await c.until(() => inStep(c, [0, 1, 2], backedUp + 25), 20_000, 100);
    expect(joined, c.logs()).toBe(true);
    const log = c.servers[2]!.log;
    expect(log).toContain(`committed period ${backedUp},`); // started from the backup
    expect(log).toMatch(/catch-up: replayed \d+ periods/);
    expect(log).not.toContain('installed the snapshot');
    // It holds the payments made after the backup, as the others do.
    await c.stopServer(2);
    await c.stopServer(0);
    const restored = checkLedger(serverDir, c.network);
    const other = checkLedger(c.servers[0]!.dir, c.network);
    expect(restored.periods.some((period) => period > backedUp)).toBe(true);
    for (const [account, balance] of restored.balances) if (restored.committed.period === other.committed.period) expect(other.balances.get(account)).toBe(balance);
  });

  test("another network's backup put in a server's directory is refused at start (STORE_MISMATCH), the file untouched", async () => {
    const a = await cluster('network-a');
    const b = await cluster('network-b');
    const out = join(tempDir(), 'b.sqlite');
    const r = await backup(b, 0, out);
    expect(r.exitCode, show(r)).toBe(0);
    await a.stopServer(0);
    const serverDir = a.servers[0]!.dir;
    for (const name of ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm']) rmSync(join(serverDir, name), { force: true });
    copyFileSync(out, join(serverDir, 'ledger.sqlite'));
    const before = contents(join(serverDir, 'ledger.sqlite'));
    const start = await runProgram(['node', '--network', a.networkFile, '--dir', serverDir], { timeoutMs: 15_000 });
    expect(start.exitCode, show(start)).toBe(1);
    expect(start.stderr).toContain('STORE_MISMATCH');
    // Not one row changed (SQLite may switch the file to WAL mode on open: a header byte, not data).
    expect(contents(join(serverDir, 'ledger.sqlite'))).toBe(before);
    // And backing up with the wrong network file is refused before anything is written.
    const wrong = await runProgram(['backup', '--dir', b.servers[1]!.dir, '--out', join(tempDir(), 'x.sqlite'), '--network', a.networkFile]);
    expect(wrong.exitCode, show(wrong)).toBe(1);
    expect(wrong.stderr).toContain('STORE_MISMATCH');
    expect(wrong.stderr).toContain('leave --network out (the directory knows its network)');
  });
});

describe('a ledger that does not check never becomes a backup', () => {
  /** A stopped server's directory copied aside, to damage. */
  async function stoppedCopy(): Promise<{ c: ProcessCluster; dir: string }> {
    const c = await cluster();
    await payFor(c, 600);
    await c.stopServer(1);
    const dir = tempDir();
    copyFileSync(join(c.servers[1]!.dir, 'ledger.sqlite'), join(dir, 'ledger.sqlite'));
    return { c, dir };
  }

  test('a stopped node backs up as well; a balance changed behind the certificate is BACKUP_CHECK_FAILED, nothing left', async () => {
    const { c, dir } = await stoppedCopy();
    const outDir = tempDir();
    const good = await runProgram(['backup', '--dir', dir, '--out', join(outDir, 'good.sqlite'), '--network', c.networkFile]);
    expect(good.exitCode, show(good)).toBe(0);
    expect(good.stdout).toMatch(/good\.sqlite: committed period \d+, \d+ accounts, \d+ bytes, checked, in \d+ ms\n/);
    const db = new Database(join(dir, 'ledger.sqlite'));
    const row = db.query('SELECT account, balance FROM accounts LIMIT 1').get() as { account: Uint8Array; balance: number };
    db.query('UPDATE accounts SET balance = ? WHERE account = ?').run(row.balance + 1, row.account);
    db.close();
    const bad = await runProgram(['backup', '--dir', dir, '--out', join(outDir, 'bad.sqlite'), '--network', c.networkFile]);
    expect(bad.exitCode, show(bad)).toBe(1);
    expect(bad.stderr).toMatch(/BACKUP_CHECK_FAILED: the accounts hash to [0-9a-f]{16}…, but the certificate of period \d+ says/);
    expect(readdirSync(outDir)).toEqual(['good.sqlite']);
  });

  test('a certificate whose signature was altered is BACKUP_CHECK_FAILED', async () => {
    const { c, dir } = await stoppedCopy();
    const db = new Database(join(dir, 'ledger.sqlite'));
    const committed = (db.query("SELECT value FROM meta WHERE key = 'committed'").get() as { value: Uint8Array }).value.slice();
    committed[committed.length - 1]! ^= 0x01; // the last byte of the last vote's signature
    db.query("UPDATE meta SET value = ? WHERE key = 'committed'").run(committed);
    db.close();
    const outDir = tempDir();
    const r = await runProgram(['backup', '--dir', dir, '--out', join(outDir, 'b.sqlite'), '--network', c.networkFile]);
    expect(r.exitCode, show(r)).toBe(1);
    expect(r.stderr).toContain('BACKUP_CHECK_FAILED');
    expect(r.stderr).toContain('is not signed by a quorum of the servers that decided it');
    expect(readdirSync(outDir)).toEqual([]);
  });

  test('usage and missing ledgers', async () => {
    ensureBinary();
    const dir = tempDir();
    expect((await runProgram(['backup', '--out', join(dir, 'x')])).exitCode).toBe(2);
    expect((await runProgram(['backup', '--dir', dir])).exitCode).toBe(2);
    const none = await runProgram(['backup', '--dir', dir, '--out', join(dir, 'x.sqlite')]);
    expect(none.exitCode, show(none)).toBe(1);
    expect(none.stderr).toContain('STORE_UNAVAILABLE');
    expect(none.stderr).toContain('ledger.sqlite does not exist');
    writeFileSync(join(dir, 'ledger.sqlite'), 'not a database at all, just text');
    const junk = await runProgram(['backup', '--dir', dir, '--out', join(dir, 'y.sqlite')]);
    expect(junk.exitCode, show(junk)).toBe(1);
    expect(junk.stderr).toMatch(/STORE_CORRUPT|STORE_UNAVAILABLE/);
    expect(existsSync(join(dir, 'y.sqlite'))).toBe(false);
  });
});
