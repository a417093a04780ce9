// `scryp wallet` from the compiled executable, over real HTTP on loopback, against three
// real servers: the one line on stdout, the page's files from inside the executable, and
// each defence (token, Host, Origin, CSP) asked directly, as another program on the
// machine or a hostile page would. Then bad input, the contacts file, and one payment
// through the API from ticket to committed. The browser tests (test/wallet-browser.test.ts)
// drive the same through the page.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { formatSeed } from '../src/seed.ts';
import { content_security_policy } from '../src/wallet/security.ts';
import type { Confirmation, HistoryView, Overview, PaymentView } from '../src/wallet/api-types.ts';
import { history_csv_header } from '../src/client/history.ts';
import { startWallet, type WalletProcess } from './helpers/browser.ts';
import { testSeed, testSigner } from './helpers/keys.ts';
import { binary, freePorts, ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(30_000);

let cluster: ProcessCluster;
let wallet: WalletProcess;
let dir: string;
const base = mkdtempSync(join(tmpdir(), 'scryp-wallet-server-'));
const bob = encodeAddress(testSigner('wallet bob').publicKey);

beforeAll(async () => {
  cluster = await ProcessCluster.create({ periodMs: 300, wallets: [{ label: 'alice', balance: 1000 }] });
  cluster.startAll();
  dir = join(base, 'alice');
  mkdirSync(dir);
  writeFileSync(join(dir, '.seed'), formatSeed(testSeed('wallet alice')), { mode: 0o600 });
  wallet = await startWallet(['--dir', dir, '--network', cluster.networkFile]);
  // The servers in step first (on a loaded machine that takes a few periods): the overdraft
  // check and the payment need a balance a majority agrees on.
  const agreed = await cluster.until(async () => {
    const response = await fetch(new URL('/api/overview', wallet.base), { headers: { authorization: `Bearer ${wallet.token}` } });
    return ((await response.json()) as Overview).balance.balance === 1000;
  }, 20_000, 100);
  if (!agreed) throw new Error(`the servers never agreed on a balance\n${cluster.logs()}`);
});

afterAll(async () => {
  await wallet?.stop();
  await cluster?.stop();
  rmSync(base, { recursive: true, force: true });
});

const host = () => new URL(wallet.base).host;
const origin = () => `http://${host()}`;

function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; token?: string | null; origin?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? wallet.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const from = options.origin === undefined ? origin() : options.origin;
  if (from !== null && method !== 'GET') headers.origin = from;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(new URL(path, wallet.base), { method, headers, ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }) });
}

async function refusalCode(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(10); // a sentence, not only a code
  return [response.status, body.error.code];
}

describe('the process', () => {
  test('stdout is exactly one line, the loopback URL with the token in its fragment; logs go to stderr', async () => {
    expect(wallet.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    expect((await call('GET', '/api/overview')).status).toBe(200);
    await call('POST', '/api/recipient', { body: { recipient: 'nonsense' } });
    expect(wallet.stdout()).toBe(`${wallet.url}\n`);
    expect(wallet.stderr()).toContain('[wallet]');
    expect(wallet.stderr()).not.toContain(wallet.token); // the secret never reaches a log
  });

  test('the page and its files come from inside the executable, with no address elsewhere', async () => {
    const page = await fetch(wallet.base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toStartWith('text/html');
    const html = await page.text();
    const files = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1]!);
    expect(files.some((file) => file.endsWith('.js'))).toBe(true);
    expect(files.some((file) => file.endsWith('.css'))).toBe(true);
    for (const text of [html, ...(await Promise.all(files.map(async (file) => (await fetch(new URL(file, wallet.base))).text())))]) {
      expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // no CDN, font or script from elsewhere
    }
    expect((await fetch(new URL('/nothing-here', wallet.base))).status).toBe(404);
  });

  test('every response carries the CSP and the other security headers', async () => {
    const page = await fetch(wallet.base);
    const html = await page.text();
    const script = html.match(/src="(\/[^"]+\.js)"/)![1]!;
    const responses = [page, await fetch(new URL(script, wallet.base)), await call('GET', '/api/overview'), await call('GET', '/api/overview', { token: null }), await fetch(new URL('/x', wallet.base))];
    for (const response of responses) {
      expect(response.headers.get('content-security-policy')).toBe(content_security_policy);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

describe('defences', () => {
  test('every API call needs the token: 401 WALLET_TOKEN without it, with a wrong one, or another scheme', async () => {
    const calls: [string, string, unknown][] = [
      ['GET', '/api/overview', undefined],
      ['GET', '/api/contacts', undefined],
      ['GET', '/api/history', undefined],
      ['GET', '/api/payments/0', undefined],
      ['POST', '/api/recipient', { recipient: bob }],
      ['POST', '/api/payments/check', { recipient: bob, amount: '1' }],
      ['POST', '/api/payments', { ticket: 'x' }],
      ['POST', '/api/request', { amount: '1' }],
      ['POST', '/api/contacts', { name: 'Bob', address: bob }],
    ];
    for (const [method, path, body] of calls) {
      const variants: Record<string, string>[] = [{}, { authorization: `Bearer ${wallet.token.slice(0, -1)}${wallet.token.endsWith('A') ? 'B' : 'A'}` }, { authorization: `Basic ${wallet.token}` }, { authorization: wallet.token }];
      for (const headers of variants) {
        const response = await call(method, path, { body, token: null, headers });
        expect([method, path, ...(await refusalCode(response))]).toEqual([method, path, 401, 'WALLET_TOKEN']);
      }
    }
    expect(existsSync(join(dir, 'contacts.json'))).toBe(false);
  });

  test('a Host that is not the listen address is refused, page and API alike (DNS rebinding)', async () => {
    for (const badHost of ['evil.example', `evil.example:${new URL(wallet.base).port}`, `127.0.0.1:${Number(new URL(wallet.base).port) + 1}`]) {
      expect(await refusalCode(await fetch(wallet.base, { headers: { host: badHost } }))).toEqual([403, 'WALLET_HOST']);
      expect(await refusalCode(await call('GET', '/api/overview', { headers: { host: badHost } }))).toEqual([403, 'WALLET_HOST']);
    }
    const localhost = await call('GET', '/api/overview', { headers: { host: `localhost:${new URL(wallet.base).port}` } });
    expect(localhost.status).toBe(200);
  });

  test('calls that change something need the wallet’s own Origin (CSRF), even with the token', async () => {
    for (const from of [null, 'http://evil.example', 'null', `https://${host()}`, `http://localhost:${Number(new URL(wallet.base).port) + 1}`]) {
      const response = await call('POST', '/api/contacts', { body: { name: 'Bob', address: bob }, origin: from });
      expect([from, ...(await refusalCode(response))]).toEqual([from, 403, 'WALLET_ORIGIN']);
    }
    expect(existsSync(join(dir, 'contacts.json'))).toBe(false);
    // Reading needs no Origin: a GET changes nothing.
    expect((await call('GET', '/api/contacts', { origin: null })).status).toBe(200);
  });
});

describe('bad input and files', () => {
  test('each refusal has its code and a sentence; nothing is signed', async () => {
    const typo = bob.slice(0, 30) + (bob[30] === 'q' ? 'p' : 'q') + bob.slice(31);
    const me = encodeAddress(testSigner('wallet alice').publicKey);
    const cases: [string, unknown, number, string][] = [
      ['/api/recipient', { recipient: typo }, 400, 'ADDRESS_CHECKSUM'],
      ['/api/recipient', { recipient: 'hello' }, 400, 'BAD_ACCOUNT'],
      ['/api/recipient', { recipient: me }, 400, 'WALLET_SELF_PAYMENT'],
      ['/api/recipient', { recipient: 5 }, 400, 'WALLET_REQUEST'],
      ['/api/recipient', 'not json', 400, 'WALLET_REQUEST'],
      ['/api/recipient', { recipient: 'x'.repeat(20_000) }, 400, 'WALLET_REQUEST'],
      ['/api/payments/check', { recipient: bob, amount: '1.5' }, 400, 'WALLET_AMOUNT'],
      ['/api/payments/check', { recipient: bob, amount: '1001' }, 400, 'WALLET_OVERDRAFT'],
      ['/api/payments', { ticket: 'not-a-ticket' }, 400, 'WALLET_REQUEST'],
      ['/api/request', { amount: '-3' }, 400, 'WALLET_AMOUNT'],
      ['/api/nothing', {}, 400, 'WALLET_REQUEST'],
    ];
    for (const [path, body, status, code] of cases) {
      expect([path, JSON.stringify(body).slice(0, 60), ...(await refusalCode(await call('POST', path, { body })))]).toEqual([path, JSON.stringify(body).slice(0, 60), status, code]);
    }
  });

  test('a damaged contacts file is reported and never overwritten', async () => {
    const path = join(dir, 'contacts.json');
    const damaged = '{"contacts": [ {"name": "Ruth", "address": "scryp1typo"} ';
    writeFileSync(path, damaged);
    try {
      const view = (await (await call('GET', '/api/contacts')).json()) as { contacts: unknown[]; problem: string | null };
      expect(view.contacts).toEqual([]);
      expect(view.problem).toContain('BAD_CONTACTS_FILE');
      expect(await refusalCode(await call('POST', '/api/contacts', { body: { name: 'Bob', address: bob } }))).toEqual([400, 'BAD_CONTACTS_FILE']);
      expect(readFileSync(path, 'utf8')).toBe(damaged);
    } finally {
      rmSync(path);
    }
    const saved = (await (await call('POST', '/api/contacts', { body: { name: 'Bob', address: bob } })).json()) as { contacts: unknown[] };
    expect(saved.contacts).toEqual([{ name: 'Bob', address: bob }]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ contacts: [{ name: 'Bob', address: bob }] });
  });

  test('a payment through the API: a ticket signs once, and its life ends committed', async () => {
    const check = (await (await call('POST', '/api/payments/check', { body: { recipient: bob, amount: '7' } })).json()) as Confirmation;
    expect(check).toMatchObject({ to: bob, amount: 7, network: 'testnet', contact: 'Bob', from: encodeAddress(testSigner('wallet alice').publicKey) });
    const sent = await call('POST', '/api/payments', { body: { ticket: check.ticket } });
    expect(sent.status).toBe(200);
    const first = (await sent.json()) as PaymentView;
    expect(await refusalCode(await call('POST', '/api/payments', { body: { ticket: check.ticket } }))).toEqual([400, 'WALLET_REQUEST']);
    let view = first;
    const deadline = Date.now() + 20_000;
    while (!view.final && Date.now() < deadline) {
      await Bun.sleep(50);
      view = (await (await call('GET', `/api/payments/${first.id}`)).json()) as PaymentView;
    }
    expect(view.stage).toBe('committed');
    // Its life, step by step: a server took it (the page showed Accepted), then the majority said committed.
    expect(view.steps.some((line) => /^server \d: (ACCEPTED|FORWARDED|DUPLICATE) \(txid [0-9a-f]{64}, period \d+\)$/.test(line))).toBe(true);
    expect(view.steps.at(-1)).toBe(`committed (txid ${view.txid})`);
    expect(view.txid).toMatch(/^[0-9a-f]{64}$/);
    expect(view.words).toStartWith('Committed in period');
    let overview: Overview | null = null;
    for (let i = 0; i < 20; i++) {
      overview = (await (await call('GET', '/api/overview')).json()) as Overview;
      if (overview.balance.balance === 993) break;
      await Bun.sleep(100);
    }
    expect(overview!.balance.balance).toBe(993);
    expect(overview!.balance.agreeing).toEqual([0, 1, 2]);

    const history = (await (await call('GET', '/api/history')).json()) as HistoryView;
    expect(history.rows.map(({ direction, counterparty, contact, amount, txid, status }) => ({ direction, counterparty, contact, amount, txid, status }))).toEqual([
      { direction: 'out', counterparty: bob, contact: 'Bob', amount: 7, txid: view.txid!, status: 'Committed' },
    ]);
    expect(history.next).toBeNull();
    expect(history.note).toMatch(/^Committed up to period \d+; 3 of 3 servers answered\.$/);
    const csv = await call('GET', '/api/history.csv');
    expect(csv.headers.get('content-type')).toStartWith('text/csv');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="scryp-history.csv"');
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe(history_csv_header);
    expect(lines[1]!.split(',').slice(2, 7)).toEqual(['out', bob, '-7', view.txid!, 'committed']);
    expect(lines.slice(2)).toEqual(['']);
    expect(await refusalCode(await call('GET', '/api/history?before=yesterday'))).toEqual([400, 'WALLET_REQUEST']);
  });
});

describe('the command line', () => {
  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = Bun.spawn([binary, 'wallet', ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    clearTimeout(timer);
    return { code, stdout, stderr };
  }

  test('a bad --listen, an unknown option, no --dir: exit 2 with one line saying what to do', async () => {
    for (const args of [
      ['--dir', dir, '--listen', 'nonsense'],
      ['--dir', dir, '--lisen', '127.0.0.1:1'],
      [],
      ['--dir', dir, '--till-expiry', '5'], // a request that could expire before a customer's wallet signed
      ['--dir', dir, '--till-expiry', '10m'],
      ['--export-static', join(base, 'static-staff'), '--gateway', 'http://127.0.0.1:1', '--staff'],
    ]) {
      const result = await run(args);
      expect([args.join(' '), result.code]).toEqual([args.join(' '), 2]);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  test('the staff link of a wallet: its own token, the same Host and Origin defences; before the wallet opens, WALLET_LOCKED', async () => {
    const empty = join(base, 'staff-empty');
    const fresh = await startWallet(['--dir', empty, '--network', cluster.networkFile, '--staff']);
    try {
      await cluster.until(() => fresh.stdout().split('\n').length >= 3, 5_000, 10);
      const staffUrl = fresh.stdout().split('\n')[1]!;
      expect(staffUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#staff=[A-Za-z0-9_-]{43}$/);
      const staffToken = staffUrl.split('#staff=')[1]!;
      const ask = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
        fetch(new URL(path, fresh.base), { method, headers: { authorization: `Bearer ${staffToken}`, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const origin = { origin: new URL(fresh.base).origin };
      expect(await refusalCode(await ask('GET', '/api/overview', {}))).toEqual([409, 'WALLET_LOCKED']);
      expect(await refusalCode(await ask('POST', '/api/till', { origin: 'http://evil.example' }, { amount: '5' }))).toEqual([403, 'WALLET_ORIGIN']);
      expect(await refusalCode(await ask('POST', '/api/key/create', origin, {}))).toEqual([403, 'WALLET_STAFF']); // the first screen is the owner's
      expect(await refusalCode(await ask('GET', '/api/overview', { host: 'evil.example:80' }))).toEqual([403, 'WALLET_HOST']);
      expect(fresh.stderr()).not.toContain(staffToken);
    } finally {
      await fresh.stop();
    }
  });

  test('a directory without a key starts on the first screen: only the key calls answer, the rest is WALLET_LOCKED', async () => {
    const empty = join(base, 'empty');
    const fresh = await startWallet(['--dir', empty, '--network', cluster.networkFile]);
    try {
      const ask = (method: string, path: string, body?: unknown) =>
        fetch(new URL(path, fresh.base), { method, headers: { authorization: `Bearer ${fresh.token}`, origin: new URL(fresh.base).origin }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      expect(await (await ask('GET', '/api/key')).json()).toEqual({ state: 'new', address: null, encrypted: false, file: join(empty, '.seed'), keptIn: 'file' });
      for (const [method, path] of [['GET', '/api/overview'], ['GET', '/api/history'], ['POST', '/api/payments/check']] as const) {
        expect(await refusalCode(await ask(method, path, method === 'POST' ? { recipient: bob, amount: '1' } : undefined))).toEqual([409, 'WALLET_LOCKED']);
      }
      expect(fresh.stderr()).toContain('no key in');
      expect(existsSync(join(empty, '.seed'))).toBe(false); // nothing is written before the person chooses
    } finally {
      await fresh.stop();
    }
  });

  test('--passphrase-file: a missing file or a wrong passphrase is exit 1 with its code, and the seed file is untouched', async () => {
    const locked = join(base, 'locked');
    mkdirSync(locked);
    // An encrypted seed written by the keys engineer's command, as a person would.
    writeFileSync(join(base, 'pass'), 'right passphrase\n');
    writeFileSync(join(base, 'wrong'), 'wrong passphrase\n');
    const made = Bun.spawnSync([binary, 'keygen', '--dir', locked, '--encrypt', '--passphrase-file', join(base, 'pass')], { stdout: 'pipe', stderr: 'pipe' });
    expect(made.exitCode).toBe(0);
    const bytes = readFileSync(join(locked, '.seed'));
    const missing = await run(['--dir', locked, '--network', cluster.networkFile, '--passphrase-file', join(base, 'nothing-here')]);
    expect([missing.code, missing.stdout]).toEqual([1, '']);
    expect(missing.stderr).toContain('PASSPHRASE_FILE_MISSING');
    const wrong = await run(['--dir', locked, '--network', cluster.networkFile, '--passphrase-file', join(base, 'wrong')]);
    expect([wrong.code, wrong.stdout]).toEqual([1, '']);
    expect(wrong.stderr).toContain('BAD_PASSPHRASE');
    expect(readFileSync(join(locked, '.seed'))).toEqual(bytes);
    const right = await startWallet(['--dir', locked, '--network', cluster.networkFile, '--passphrase-file', join(base, 'pass')]);
    try {
      const key = (await (await fetch(new URL('/api/key', right.base), { headers: { authorization: `Bearer ${right.token}` } })).json()) as { state: string; encrypted: boolean };
      expect(key).toMatchObject({ state: 'open', encrypted: true });
    } finally {
      await right.stop();
    }
  });

  test('--listen on a taken port is BAD_ADDRESS; on an address not of this machine, a warning and then BAD_ADDRESS', async () => {
    const taken = new URL(wallet.base).port;
    const busy = await run(['--dir', dir, '--network', cluster.networkFile, '--listen', `127.0.0.1:${taken}`]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('BAD_ADDRESS');
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: nothing listens beyond loopback.
    const [port] = await freePorts(1);
    const away = await run(['--dir', dir, '--network', cluster.networkFile, '--listen', `192.0.2.1:${port}`]);
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/WARN .*not on loopback/);
    expect(away.stderr).toContain('BAD_ADDRESS');
    expect(away.stdout).toBe('');
  });

  test('a stop signal ends it cleanly', async () => {
    const other = await startWallet(['--dir', dir, '--network', cluster.networkFile]);
    other.child.kill('SIGTERM');
    expect(await other.child.exited).toBe(0);
  });
});
