// The command line of the compiled executable, as a user meets it: --help everywhere,
// usage errors, keygen and its .seed, the executable ignoring bunfig.toml and .env where
// it is started, and info / pay / balance / status / node against three real servers on
// free loopback ports (never the devnet's 4001-4003), with their exit codes and --json.
//
// Exit codes as README.md documents them (and src/cli/common.ts defines them). They are
// spelled out here, not imported, so that changing the contract breaks a test.

import { killAll, type Run, runProgram, show } from './helpers/cli-run.ts';
import { unknownFlag } from '../src/cli/main.ts';
import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { type Subprocess } from 'bun';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { alphaOf } from '../src/schedule.ts';
import { parseSeed } from '../src/seed.ts';
import { seedToPhrase } from '../src/recovery-phrase.ts';
import { signerFromSeed } from '../src/signature.ts';
import { testSeed } from './helpers/keys.ts';
import { binary, ensureBinary, freePorts, ProcessCluster, root } from './helpers/processes.ts';

setDefaultTimeout(30_000);

const exit = { ok: 0, error: 1, usage: 2, refused: 3, timeout: 4 } as const;

// ---- processes and directories, all cleaned up after each test -------------------------

let cluster: ProcessCluster | null = null;
const children = new Set<Subprocess>();
const dirs: string[] = [];

afterEach(async () => {
  await killAll();
  for (const child of children) {
    child.kill('SIGKILL');
    await child.exited;
  }
  children.clear();
  const c = cluster;
  cluster = null;
  await c?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `scryp-cli-${label}-`));
  dirs.push(dir);
  return dir;
}

/** Runs the executable (or another program) to its end; killed after `timeoutMs` (10 s here). */
function run(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; program?: string; stdin?: string } = {}): Promise<Run> {
  const { program, ...rest } = options;
  return runProgram(args, { timeoutMs: 10_000, ...rest, ...(program === undefined ? {} : { program: [program] }) });
}

const plain = (text: string) => Bun.stripANSI(text);

/** Writes DIR/.seed for a known seed (a wallet of the cluster's genesis). */
function walletDir(parent: string, seed: Uint8Array): string {
  const dir = join(parent, 'wallet');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.seed'), `${toHex(seed)}\n`, { mode: 0o600 });
  return dir;
}

/** Three servers up, each answering INFO with a committed period after they started. */
async function readyCluster(options: { wallets?: { label: string; balance: number }[]; start?: number[] } = {}): Promise<ProcessCluster> {
  const c = await ProcessCluster.create({ servers: 3, periodMs: 300, ...(options.wallets ? { wallets: options.wallets } : {}) });
  cluster = c;
  for (const index of options.start ?? [0, 1, 2]) c.start(index);
  return c;
}

async function allCommitted(c: ProcessCluster, servers: number[], after: number): Promise<boolean> {
  const infos = await Promise.all(servers.map((i) => c.info(i)));
  return infos.every((info) => info !== null && info.committedPeriod > after);
}

// ---- 1. --help and usage errors --------------------------------------------------------

const logFlags = ['--log-level', '--json'];
const helpOf: Record<string, string[]> = {
  keygen: ['--dir', '--words', '--encrypt', '--passphrase-file', ...logFlags],
  restore: ['--dir', '--encrypt', '--passphrase-file', ...logFlags],
  encrypt: ['--dir', '--passphrase-file', ...logFlags],
  decrypt: ['--dir', '--passphrase-file', ...logFlags],
  node: ['--network', '--dir', '--port', '--listen', '--verify-workers', '--client-rate', '--peer-idle-ms', '--frame-deadline-ms', '--http', '--http-tls-cert', '--http-tls-key', '--http-public', '--http-trusted-proxy', '--passphrase-file', ...logFlags],
  devnet: ['--reset', '--http', ...logFlags],
  info: ['HOST:PORT', '--network', ...logFlags],
  pay: ['--dir', '--to', '--amount', '--server', '--passphrase-file', '--network', ...logFlags],
  balance: ['ACCOUNT', '--network', ...logFlags],
  status: ['TXID', '--network', ...logFlags],
  watch: ['--dir', '--webhook', '--exec', '--jsonl', '--account', '--from', '--timeout-ms', '--network', ...logFlags],
};

describe('--help and usage errors', () => {
  test('scryp --help and -h list every command, exit 0, on stdout', async () => {
    ensureBinary();
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      expect(r.exitCode, show(r)).toBe(exit.ok);
      const text = plain(r.stdout);
      expect(text).toContain('USAGE');
      expect(text).toContain('scryp');
      for (const command of Object.keys(helpOf)) expect(text, `top-level help names ${command}`).toMatch(new RegExp(`^\\s*${command}\\s+\\S`, 'm'));
      expect(r.stderr).toBe('');
    }
  });

  test('every command --help names the command and each of its flags, exits 0, and starts nothing', async () => {
    ensureBinary();
    const cwd = tempDir('help');
    for (const [command, flags] of Object.entries(helpOf)) {
      // devnet and node would otherwise bind 4001-4003 and write ./seeds: the bound and the
      // empty working directory catch a --help that ran the command instead.
      const r = await run([command, '--help'], { cwd, timeoutMs: 5_000 });
      expect(r.exitCode, `${command} --help\n${show(r)}`).toBe(exit.ok);
      const text = plain(r.stdout);
      expect(text, command).toContain('USAGE');
      expect(text, command).toContain(`scryp ${command}`);
      for (const flag of flags) expect(text, `${command} --help names ${flag}`).toContain(flag);
      expect(existsSync(join(cwd, 'seeds')), `${command} --help created ./seeds`).toBe(false);
    }
  });

  test('an unknown command, or a missing required argument: non-zero exit and a message naming it', async () => {
    ensureBinary();
    const cases: [string[], string][] = [
      [['frobnicate'], 'Unknown command frobnicate'],
      [[], 'no command given'],
      [['keygen'], 'Missing required argument: --dir'],
      [['info'], 'Missing required positional argument: SERVER'],
      [['balance'], 'Missing required positional argument: ACCOUNT'],
      [['restore'], 'Missing required argument: --dir'],
      [['encrypt'], 'Missing required argument: --dir'],
      [['decrypt'], 'Missing required argument: --dir'],
      [['status'], 'Missing required positional argument: TXID'],
      [['pay', '--dir', '/nonexistent', '--amount', '1'], 'Missing required argument: --to'],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.exitCode, `${args.join(' ')}\n${show(r)}`).toBe(exit.usage);
      expect(plain(r.stderr), args.join(' ')).toContain(message);
      expect(r.stderr, args.join(' ')).toMatch(/^scryp: .*\(see --help\)\n$/);
    }
  });

  test('usage errors found by scryp itself exit 2 with "scryp: ... (see --help)" on stderr, nothing on stdout', async () => {
    ensureBinary();
    const base = tempDir('usage');
    const wallet = walletDir(base, testSeed('wallet usage'));
    const someKey = toHex(signerFromSeed(testSeed('payee usage')).publicKey);
    const cases: [string[], RegExp][] = [
      [['keygen', '--dir', join(base, 'k'), '--log-level', 'loud'], /--log-level: expected one of/],
      [['info', 'nonsense'], /HOST:PORT/],
      [['info', '127.0.0.1:99999'], /port/],
      [['balance', 'abc'], /ACCOUNT/],
      [['status', 'zz'.repeat(32)], /TXID/],
      [['pay', '--dir', join(base, 'nowallet'), '--to', someKey, '--amount', '1'], /no wallet in .*scryp keygen --dir/],
      [['pay', '--dir', wallet, '--to', someKey, '--amount', '0'], /--amount: expected 1\.\.4294967295, got 0/],
      [['pay', '--dir', wallet, '--to', someKey, '--amount', '4294967296'], /--amount/],
      [['pay', '--dir', wallet, '--to', someKey.slice(2), '--amount', '1'], /--to/],
      [['node', '--port', '5'], /no devnet server listens on port 5/],
      [['node', '--network', join(root, 'seeds', 'devnet', 'network.json')], /--dir is required with --network/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, { timeoutMs: 5_000 });
      expect(r.exitCode, `${args.join(' ')}\n${show(r)}`).toBe(exit.usage);
      expect(r.stderr, args.join(' ')).toMatch(/^scryp: .*\(see --help\)\n$/);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(join(base, 'nowallet')), 'pay without a wallet created one').toBe(false);
  });

  test('an option the command does not define is a usage error, not quietly ignored (a typo must not run on defaults)', async () => {
    ensureBinary();
    const base = tempDir('unknown');
    for (const [args, flag] of [
      [['keygen', '--dir', join(base, 'k'), '--bogus', '1'], '--bogus'],
      [['node', '--prot', '5000'], '--prot'],
      [['info', '127.0.0.1:9', '--jsn'], '--jsn'],
      [['pay', '--dir', base, '--to', 'ab'.repeat(32), '--amount', '1', '--sever', '127.0.0.1:1'], '--sever'],
    ] as [string[], string][]) {
      const r = await run(args, { timeoutMs: 5_000 });
      expect(r.exitCode, `${args.join(' ')}\n${show(r)}`).toBe(exit.usage);
      expect(r.stderr).toBe(`scryp: unknown option ${flag} (see --help)\n`);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(join(base, 'k')), 'keygen with an unknown option created the wallet').toBe(false);
    // The rule itself: negative numbers are values, not options; options after '--' are positional.
    expect(unknownFlag(['node', '--clock-offset-ms', '-150', '--port', '4002'])).toBeNull();
    expect(unknownFlag(['node', '--clock-offset-ms=-1200'])).toBeNull();
    expect(unknownFlag(['node', '-x'])).toBe('-x');
    expect(unknownFlag(['balance', '--', '--not-an-option'])).toBeNull();
    expect(unknownFlag(['frobnicate', '--anything'])).toBeNull(); // an unknown command is citty's to name
    // Defined options, their negations and = forms are accepted.
    const ok = await run(['keygen', '--dir', join(base, 'k2'), '--no-json', '--log-level=silent']);
    expect(ok.exitCode, show(ok)).toBe(exit.ok);
  });
});

// ---- 2. keygen -------------------------------------------------------------------------

describe('keygen', () => {
  test('creates DIR/.seed (0600) and prints its address and public key (one line each) on stdout; a second run prints the same and changes nothing', async () => {
    ensureBinary();
    const dir = join(tempDir('keygen'), 'nested', 'wallet');
    const first = await run(['keygen', '--dir', dir]);
    expect(first.exitCode, show(first)).toBe(exit.ok);
    expect(first.stdout).toMatch(/^scryp1[02-9ac-hj-np-z]{58}\n[0-9a-f]{64}\n$/);
    expect(first.stderr).toContain('created'); // the log line, on stderr

    const path = join(dir, '.seed');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077, 'the wallet directory is not open to others').toBe(0);
    const bytes = readFileSync(path);
    const seed = parseSeed(bytes.toString('latin1'), path);
    // It prints the address and public key of the seed, never the seed.
    const publicKey = signerFromSeed(seed).publicKey;
    expect(first.stdout).toBe(`${encodeAddress(publicKey)}\n${toHex(publicKey)}\n`);
    expect(first.stdout).not.toContain(toHex(seed));

    const second = await run(['keygen', '--dir', dir]);
    expect(second.exitCode, show(second)).toBe(exit.ok);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toContain('kept it');
    expect(Buffer.compare(readFileSync(path), bytes)).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    // Logs never reach stdout, whatever the log flags.
    for (const flags of [['--log-level', 'silent'], ['--log-level', 'warn'], ['--log-level', 'debug']]) {
      const r = await run(['keygen', '--dir', dir, ...flags]);
      expect(r.exitCode, show(r)).toBe(exit.ok);
      expect(r.stdout, flags.join(' ')).toBe(first.stdout);
    }
    expect((await run(['keygen', '--dir', dir, '--log-level', 'silent'])).stderr).toBe('');

    // Another directory: another key.
    const other = await run(['keygen', '--dir', join(dir, '..', 'other')]);
    expect(other.exitCode, show(other)).toBe(exit.ok);
    expect(other.stdout).toMatch(/^scryp1[02-9ac-hj-np-z]{58}\n[0-9a-f]{64}\n$/);
    expect(other.stdout).not.toBe(first.stdout);
  });

  test('a .seed that does not parse: exit 1 with BAD_SEED_FILE, nothing on stdout, and the file left as it was', async () => {
    ensureBinary();
    const base = tempDir('badseed');
    const garbage = [
      'hello garbage',
      '',
      'AB'.repeat(32) + '\n', // upper case is not the format
      'ab'.repeat(31) + '\n', // 62 characters
      'ab'.repeat(32) + '\n\n',
    ];
    for (const [i, content] of garbage.entries()) {
      const dir = join(base, `w${i}`);
      mkdirSync(dir);
      const path = join(dir, '.seed');
      writeFileSync(path, content, { mode: 0o600 });
      const before = statSync(path);
      const r = await run(['keygen', '--dir', dir]);
      expect(r.exitCode, `${JSON.stringify(content)}\n${show(r)}`).toBe(exit.error);
      expect(r.stderr).toContain('BAD_SEED_FILE');
      expect(r.stderr).toContain(path);
      expect(r.stdout).toBe('');
      expect(readFileSync(path, 'latin1')).toBe(content);
      expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
    }
  });
});

// ---- 2b. accounts as people type them, and payment requests ---------------------------

describe('accounts and payment requests on the command line (no server needed: refused before anything is sent)', () => {
  test('a bad checksum, another prefix, mixed case, a wrong length, a key no one can sign for: exit 2, one line naming it, for pay --to and balance', async () => {
    ensureBinary();
    const base = tempDir('accounts');
    const wallet = walletDir(base, testSeed('wallet accounts'));
    const key = signerFromSeed(testSeed('payee accounts')).publicKey;
    const address = encodeAddress(key);
    const last = address.at(-1)!;
    const cases: [string, string][] = [
      [`${address.slice(0, -1)}${last === 'q' ? 'p' : 'q'}`, 'ADDRESS_CHECKSUM'],
      [`${address.slice(0, 20)}${address[21]}${address[20]}${address.slice(22)}`, 'ADDRESS_CHECKSUM'], // two neighbours swapped
      [address.replace('scryp1', 'scryx1'), 'ADDRESS_PREFIX'],
      ['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'ADDRESS_PREFIX'],
      [`${address.slice(0, 10)}${address.slice(10, 11).toUpperCase()}${address.slice(11)}`, 'ADDRESS_MIXED_CASE'],
      [address.slice(0, -1), 'ADDRESS_LENGTH'],
      [`${address}q`, 'ADDRESS_LENGTH'],
      [address.replace(/[02-9ac-hj-np-z](?=[^1]*$)/, 'b'), 'ADDRESS_CHARACTER'],
      [toHex(key).slice(1), 'BAD_ACCOUNT'],
      ['hello', 'BAD_ACCOUNT'],
      [encodeAddress(new Uint8Array(32)), 'UNSPENDABLE_KEY'], // a point of small order
    ];
    for (const [account, code] of cases) {
      for (const args of [['pay', '--dir', wallet, '--to', account, '--amount', '1'], ['balance', account]]) {
        if (args[0] === 'balance' && code === 'UNSPENDABLE_KEY') continue; // a balance of any key may be asked
        const r = await run(args, { timeoutMs: 5_000 });
        expect(r.exitCode, `${args.join(' ')}\n${show(r)}`).toBe(exit.usage);
        expect(r.stdout, args.join(' ')).toBe('');
        expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^scryp: ${code}: .*\\(see --help\\)\\n$`));
      }
    }
  });

  test('pay --to a scryp: payment request: the amount comes from it; a conflicting --amount, a missing amount, a req- parameter: exit 2', async () => {
    ensureBinary();
    const base = tempDir('requests');
    const wallet = walletDir(base, testSeed('wallet requests'));
    const address = encodeAddress(signerFromSeed(testSeed('payee requests')).publicKey);
    const cases: [string[], RegExp][] = [
      [['--to', `scryp:${address}?amount=5`, '--amount', '6'], /--amount 6 conflicts with the payment request's amount 5/],
      [['--to', `scryp:${address}`], /the payment request names no amount: give --amount/],
      [['--to', `scryp:${address}?amount=5&req-delivery=1`], /PAYMENT_REQUEST_UNSUPPORTED: .*req-delivery/],
      [['--to', `scryp:${address}?amount=1.5`], /BAD_PAYMENT_REQUEST: .*amount "1\.5" is not a whole number/],
      [['--to', `scryp:${address.slice(0, -1)}?amount=5`], /ADDRESS_LENGTH/],
      [['--to', address], /--amount is required/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['pay', '--dir', wallet, ...args], { timeoutMs: 5_000 });
      expect(r.exitCode, `${args.join(' ')}\n${show(r)}`).toBe(exit.usage);
      expect(r.stdout).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/^scryp: .*\(see --help\)\n$/);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  test('pay from an encrypted wallet without its passphrase, or with a wrong one: exit 1 (NEEDS_PASSPHRASE, BAD_PASSPHRASE), nothing sent', async () => {
    ensureBinary();
    const base = tempDir('pay-locked');
    const dir = join(base, 'wallet');
    const good = join(base, 'good');
    const bad = join(base, 'bad');
    writeFileSync(good, 'pay-locked passphrase\n');
    writeFileSync(bad, 'not the passphrase\n');
    const made = await run(['keygen', '--dir', dir, '--encrypt', '--passphrase-file', good, '--log-level', 'silent']);
    expect(made.exitCode, show(made)).toBe(exit.ok);
    const [port] = await freePorts(1);
    const to = encodeAddress(signerFromSeed(testSeed('payee locked')).publicKey);
    // --server on a port where nothing listens, of a network file naming it: the passphrase is checked before anything is sent.
    const network = join(base, 'network.json');
    writeFileSync(network, JSON.stringify({ name: 'locked', period_ms: 1000, blackout_ms: 100, skew_ms: 500, servers: [{ key: made.stdout.split('\n')[1], ip: `127.0.0.1:${port}` }], genesis: [] }));
    for (const [extra, code] of [[[], 'NEEDS_PASSPHRASE'], [['--passphrase-file', bad], 'BAD_PASSPHRASE']] as const) {
      const r = await run(['pay', '--network', network, '--dir', dir, '--to', to, '--amount', '1', ...extra], { timeoutMs: 10_000 });
      expect(r.exitCode, show(r)).toBe(exit.error);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^scryp: ${code}: `));
      expect(r.ms, 'refused at once, not after waiting for a server').toBeLessThan(5_000);
    }
  });
});

// ---- 3. bunfig.toml and .env where the executable starts -------------------------------

describe('the executable ignores bunfig.toml and .env in its working directory', () => {
  test('a preload in bunfig.toml does not run and NO_COLOR from .env is not read (while bun itself does both there)', async () => {
    ensureBinary();
    const dir = tempDir('bunfig');
    const marker = join(dir, 'marker');
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(dir, 'preload.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'preloaded\\n');\n`);
    // citty colours its help unless NO_COLOR=1 (or TERM=dumb, TEST, CI): a .env that were
    // read would turn the colours off.
    writeFileSync(join(dir, '.env'), 'NO_COLOR=1\n');
    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm' };
    for (const name of ['NO_COLOR', 'FORCE_COLOR', 'TEST', 'CI']) delete env[name];

    // On a pseudo-terminal (util-linux script): colour is only ever for a terminal.
    const r = await run(['-qec', `${binary} --help`, '/dev/null'], { cwd: dir, env, program: '/usr/bin/script' });
    expect(r.exitCode, show(r)).toBe(exit.ok);
    expect(plain(r.stdout)).toContain('USAGE');
    expect(existsSync(marker), 'the executable ran the preload of ./bunfig.toml').toBe(false);
    expect(r.stdout, 'help without colours: ./.env (NO_COLOR=1) was read').toContain('\u001b[');

    const k = await run(['keygen', '--dir', join(dir, 'w')], { cwd: dir, env });
    expect(k.exitCode, show(k)).toBe(exit.ok);
    expect(existsSync(marker), 'the executable ran the preload of ./bunfig.toml (keygen)').toBe(false);

    // Not vacuous: bun itself, in the same directory, runs the preload and reads the .env.
    const sanity = await run(['-e', 'console.log(`NO_COLOR=${process.env.NO_COLOR}`)'], { cwd: dir, env, program: process.execPath });
    expect(sanity.exitCode, show(sanity)).toBe(0);
    expect(existsSync(marker), 'bun -e in that directory should have run the preload').toBe(true);
    expect(sanity.stdout).toContain('NO_COLOR=1');
  });
});

// ---- 4. info against running servers, and against nothing ------------------------------

/** `info` at a port where nothing listens: started once, early, since it takes seconds. */
let unreachable: Promise<{ port: number; run: Run }> | null = null;
function unreachableInfo(): Promise<{ port: number; run: Run }> {
  unreachable ??= (async () => {
    ensureBinary();
    const [port] = await freePorts(1);
    const r = await run(['info', `127.0.0.1:${port!}`], { timeoutMs: 15_000 });
    return { port: port!, run: r };
  })();
  return unreachable;
}

describe('info', () => {
  test('info HOST:PORT --json describes the server; the text form says the same; nothing listening: non-zero exit within a bound', async () => {
    const nothing = unreachableInfo(); // runs alongside the cluster (it only waits on timeouts)
    const c = await readyCluster();
    expect(await c.until(() => allCommitted(c, [0, 1, 2], 0), 8_000), c.logs()).toBe(true);
    const server = c.servers[1]!;
    const address = `127.0.0.1:${server.port}`;
    const before = c.periodNow();
    const r = await run(['info', address, '--network', c.networkFile, '--json']);
    const after = c.periodNow();
    expect(r.exitCode, show(r) + c.logs()).toBe(exit.ok);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const info = JSON.parse(r.stdout) as {
      networkId: string; serverIndex: number; serverCount: number; now: number; currentPeriod: number; alphaIndex: number;
      committedPeriod: number; stateHash: string; lastHeard: number[]; serverKey: string; serverAddress: string; network: string | null; knownKey: boolean;
    };
    expect(info.serverIndex).toBe(1);
    expect(info.serverCount).toBe(3);
    expect(info.network).toBe('testnet');
    expect(info.knownKey).toBe(true);
    expect(info.networkId).toBe(toHex(c.network.id));
    expect(info.serverKey).toBe(toHex(c.network.servers[1]!.key));
    expect(info.serverAddress).toBe(encodeAddress(c.network.servers[1]!.key));
    expect(info.currentPeriod).toBeGreaterThanOrEqual(before - 1);
    expect(info.currentPeriod).toBeLessThanOrEqual(after + 1);
    expect(Math.abs(info.now - Date.now())).toBeLessThan(5_000);
    expect(info.alphaIndex).toBe(alphaOf(c.network.servers.length, info.currentPeriod));
    expect(info.committedPeriod).toBeGreaterThan(0);
    expect(info.committedPeriod).toBeLessThan(info.currentPeriod);
    expect(info.committedPeriod).toBeGreaterThanOrEqual(info.currentPeriod - 3);
    expect(info.stateHash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.lastHeard).toHaveLength(3);
    for (const j of [0, 2]) expect(info.lastHeard[j]!, `server 1 heard server ${j}`).toBeGreaterThanOrEqual(info.currentPeriod - 2);

    const text = await run(['info', address, '--network', c.networkFile]);
    expect(text.exitCode, show(text)).toBe(exit.ok);
    expect(text.stdout).toContain(`server 1 of 3, key ${toHex(c.network.servers[1]!.key)} (address ${encodeAddress(c.network.servers[1]!.key)})`);
    expect(text.stdout).toContain(`network ${toHex(c.network.id)}`);
    expect(text.stdout).toMatch(/period \d+, alpha server [0-2]\n/);
    expect(text.stdout).toMatch(/committed period \d+, state hash [0-9a-f]{64}\n/);
    expect(text.stdout).toContain('server 1: this one');
    expect(text.stdout).not.toContain('warning');

    // The same server asked as if it were on the devnet (no --network): it answers, but is not ours.
    const wrong = await run(['info', address]);
    expect(wrong.exitCode, show(wrong)).toBe(exit.refused);
    expect(wrong.stdout).toContain('warning: this server is not on network devnet');

    const { port, run: silent } = await nothing;
    expect(silent.timedOut, show(silent)).toBe(false);
    expect(silent.exitCode, show(silent)).not.toBe(exit.ok);
    expect(silent.exitCode, show(silent)).not.toBeNull();
    expect(silent.ms).toBeLessThan(12_000);
    expect(silent.stderr).toMatch(new RegExp(`^scryp: .*no valid reply from 127\\.0\\.0\\.1:${port}`));
    expect(silent.stdout).toBe('');
  });

  test('info with nothing listening exits 4 (no answer in time) with a one-line message', async () => {
    const { run: silent } = await unreachableInfo();
    expect(silent.exitCode, show(silent)).toBe(exit.timeout);
    expect(silent.stderr.trim().split('\n'), show(silent)).toHaveLength(1);
  });
});

// ---- 5. pay, status, balance -----------------------------------------------------------

describe('pay, status and balance through three servers', () => {
  test('overdraft and pay-to-self are refused (exit 3, status on stdout); a payment commits (exit 0, txid); status and balance agree', async () => {
    const c = await readyCluster({ wallets: [{ label: 'cli', balance: 1_000 }] });
    const wallet = walletDir(c.base, testSeed('wallet cli'));
    const me = toHex(c.wallets[0]!.publicKey);
    const payee = toHex(signerFromSeed(testSeed('payee cli')).publicKey);
    const net = ['--network', c.networkFile];
    expect(await c.until(() => allCommitted(c, [0, 1, 2], 0), 8_000), c.logs()).toBe(true);

    // More than the wallet holds. A non-alpha server forwards without checking funds (the
    // alpha drops it: void, signed anew), so it may take a few periods; it ends refused.
    const overdraft = await run(['pay', ...net, '--dir', wallet, '--to', payee, '--amount', '1001'], { timeoutMs: 15_000 });
    expect(overdraft.exitCode, show(overdraft) + c.logs()).toBe(exit.refused);
    expect(overdraft.stdout).toMatch(/^refused: INSUFFICIENT_FUNDS \(txid [0-9a-f]{64}\)\n$/);

    // To itself: BAD_AMOUNT (PROTOCOL.md §5.4 rule 1: amount ≥ 1 and payer ≠ payee), from any server.
    const self = await run(['pay', ...net, '--dir', wallet, '--to', me, '--amount', '5'], { timeoutMs: 15_000 });
    expect(self.exitCode, show(self) + c.logs()).toBe(exit.refused);
    expect(self.stdout).toMatch(/^refused: BAD_AMOUNT \(txid [0-9a-f]{64}\)\n$/);

    // A payment that commits, sent to server 2; upper-case hex is accepted for --to.
    const paid = await run(['pay', ...net, '--dir', wallet, '--to', payee.toUpperCase(), '--amount', '25', '--server', `127.0.0.1:${c.servers[2]!.port}`], { timeoutMs: 15_000 });
    expect(paid.exitCode, show(paid) + c.logs()).toBe(exit.ok);
    const committed = /^committed: 25 scryp to (scryp1[a-z0-9]{58}) in period (\d+) \(txid ([0-9a-f]{64})\)\n$/.exec(paid.stdout);
    expect(committed, show(paid)).not.toBeNull();
    expect(committed![1]).toBe(encodeAddress(Buffer.from(payee, 'hex')));
    const period = Number(committed![2]);
    const txid = committed![3]!;

    const status = await run(['status', txid, ...net, '--json']);
    expect(status.exitCode, show(status)).toBe(exit.ok);
    const statusJson = JSON.parse(status.stdout) as { txid: string; majority: { status: string; state: string; period: number } | null; agreeing: number[] };
    expect(statusJson.txid).toBe(txid);
    expect(statusJson.majority).toEqual({ status: 'OK', state: 'committed', period });
    expect(statusJson.agreeing.length).toBeGreaterThanOrEqual(2);

    // balance --json: the majority's view, and (once every server has committed the same
    // period; servers commit a few ms apart) all three agreeing. Bounded retries.
    type BalanceJson = { account: string; address: string; majority: { status: string; balance: number; committedPeriod: number | null; stateHash: string | null } | null; agreeing: number[]; others: { server: number }[] };
    for (const [account, expected] of [[payee, 25], [me, 975]] as const) {
      let last: { r: Run; json: BalanceJson } | null = null;
      for (let attempt = 0; attempt < 8; attempt++) {
        const r = await run(['balance', account, ...net, '--json']);
        expect(r.exitCode, show(r)).toBe(exit.ok);
        last = { r, json: JSON.parse(r.stdout) as BalanceJson };
        if (last.json.agreeing.length === 3) break;
        await Bun.sleep(120);
      }
      const json = last!.json;
      expect(json.account).toBe(account);
      expect(json.address).toBe(encodeAddress(Buffer.from(account, 'hex')));
      expect(json.majority?.status, show(last!.r)).toBe('OK');
      expect(json.majority?.balance, show(last!.r)).toBe(expected);
      expect(json.majority!.committedPeriod!).toBeGreaterThanOrEqual(period);
      expect(json.majority!.stateHash).toMatch(/^[0-9a-f]{64}$/);
      expect([...json.agreeing].sort(), `every server agrees\n${show(last!.r)}`).toEqual([0, 1, 2]);
      expect(json.others).toEqual([]);
    }

    // The text form of balance.
    const text = await run(['balance', payee, ...net]);
    expect(text.exitCode, show(text)).toBe(exit.ok);
    expect(text.stdout).toMatch(/^scryp1[a-z0-9]{58}: 25 scryp at committed period \d+ \(servers [0-2](, [0-2]){1,2} agree\)\n/);
    expect(text.stdout).toStartWith(`${encodeAddress(Buffer.from(payee, 'hex'))}: `);

    // An account nobody has paid: 0, "no such account yet", exit 0.
    const nobody = await run(['balance', toHex(signerFromSeed(testSeed('nobody')).publicKey), ...net]);
    expect(nobody.exitCode, show(nobody)).toBe(exit.ok);
    expect(nobody.stdout).toMatch(/^scryp1[a-z0-9]{58}: 0 scryp .*no such account yet\n/);
  });
});

describe('addresses, payment requests and encrypted seeds through three servers', () => {
  test('an encrypted wallet pays an address and a payment request; balance by address and by hex agree; --json has both forms', async () => {
    const c = await readyCluster({ wallets: [{ label: 'cli keys', balance: 1_000 }] });
    const base = join(c.base, 'keys');
    mkdirSync(base);
    const file = join(base, 'passphrase');
    writeFileSync(file, 'a wallet passphrase\n');
    // The genesis wallet's seed, restored from its phrase into an encrypted file.
    const phrase = seedToPhrase(testSeed('wallet cli keys')).join(' ');
    const dir = join(base, 'wallet');
    const restored = await run(['restore', '--dir', dir, '--encrypt', '--passphrase-file', file], { stdin: phrase });
    expect(restored.exitCode, show(restored)).toBe(exit.ok);
    expect(restored.stdout.split('\n')[1]).toBe(toHex(c.wallets[0]!.publicKey));
    const payee = signerFromSeed(testSeed('payee cli keys')).publicKey;
    const net = ['--network', c.networkFile, '--passphrase-file', file];
    expect(await c.until(() => allCommitted(c, [0, 1, 2], 0), 8_000), c.logs()).toBe(true);

    const byAddress = await run(['pay', ...net, '--dir', dir, '--to', encodeAddress(payee), '--amount', '10', '--json'], { timeoutMs: 15_000 });
    expect(byAddress.exitCode, show(byAddress) + c.logs()).toBe(exit.ok);
    const json = JSON.parse(byAddress.stdout) as { outcome: string; amount: number; to: string; toAddress: string; from: string; fromAddress: string };
    expect(json).toMatchObject({ outcome: 'committed', amount: 10, to: toHex(payee), toAddress: encodeAddress(payee), from: toHex(c.wallets[0]!.publicKey) });
    expect(json.fromAddress).toBe(encodeAddress(c.wallets[0]!.publicKey));

    const request = `scryp:${encodeAddress(payee)}?amount=15&label=Market%20stall&message=apples%1B%5B31m`;
    const byRequest = await run(['pay', ...net, '--dir', dir, '--to', request], { timeoutMs: 15_000 });
    expect(byRequest.exitCode, show(byRequest) + c.logs()).toBe(exit.ok);
    expect(byRequest.stdout).toStartWith(`committed: 15 scryp to ${encodeAddress(payee)} in period `);
    // The payee's words are shown, and a terminal escape in them is shown as text, never obeyed.
    expect(byRequest.stderr).toContain('payment request from "Market stall": "apples<U+001B>[31m"');
    expect(byRequest.stderr).not.toContain('\u001b[31m');

    for (const account of [encodeAddress(payee), toHex(payee), toHex(payee).toUpperCase()]) {
      let text = '';
      for (let attempt = 0; attempt < 8 && !text.includes(': 25 scryp'); attempt++) {
        const r = await run(['balance', account, '--network', c.networkFile]);
        expect(r.exitCode, show(r)).toBe(exit.ok);
        text = r.stdout;
        if (!text.includes(': 25 scryp')) await Bun.sleep(120);
      }
      expect(text, account).toStartWith(`${encodeAddress(payee)}: 25 scryp at committed period `);
    }
  });

  test('a server whose .seed is encrypted starts with --passphrase-file; without it or with a wrong one it exits 1 and says why', async () => {
    const c = await readyCluster({ start: [0, 1] });
    const server = c.servers[2]!;
    const good = join(c.base, 'server2-passphrase');
    const bad = join(c.base, 'wrong-passphrase');
    writeFileSync(good, 'server two passphrase\n');
    writeFileSync(bad, 'server 2 passphrase\n');
    const enc = await run(['encrypt', '--dir', server.dir, '--passphrase-file', good]);
    expect(enc.exitCode, show(enc)).toBe(exit.ok);
    const before = readFileSync(join(server.dir, '.seed'));

    for (const [extra, code] of [[[], 'NEEDS_PASSPHRASE'], [['--passphrase-file', bad], 'BAD_PASSPHRASE'], [['--passphrase-file', join(c.base, 'nothing')], 'PASSPHRASE_FILE_MISSING']] as const) {
      const r = await run(['node', '--network', c.networkFile, '--dir', server.dir, ...extra], { timeoutMs: 10_000 });
      expect(r.exitCode, show(r)).toBe(exit.error);
      expect(r.stderr).toContain(`${code}: `);
      expect(r.stdout).toBe('');
    }
    expect(Buffer.compare(readFileSync(join(server.dir, '.seed')), before)).toBe(0);

    c.start(2, ['--passphrase-file', good]);
    expect(await c.until(() => allCommitted(c, [2], 0), 10_000), c.logs()).toBe(true);
    expect(Buffer.compare(readFileSync(join(server.dir, '.seed')), before)).toBe(0);
  });
});

// ---- 6. --json logs --------------------------------------------------------------------

interface LogLine {
  time: string;
  level: string;
  tag: string;
  message: string;
}

function parseLogLines(stderr: string): LogLine[] {
  const lines = stderr.split('\n').filter((line) => line.length > 0);
  return lines.map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON log line: ${line}`);
    }
    const entry = value as LogLine;
    expect(Object.keys(entry).sort(), line).toEqual(['level', 'message', 'tag', 'time']);
    expect(typeof entry.message, line).toBe('string');
    expect(typeof entry.tag, line).toBe('string');
    expect(['error', 'warn', 'info', 'debug', 'trace'], line).toContain(entry.level);
    expect(new Date(entry.time).toISOString(), line).toBe(entry.time);
    return entry;
  });
}

describe('--json logs', () => {
  test('keygen --json: its log is a JSON line on stderr; stdout is one JSON answer (address and key as hex)', async () => {
    ensureBinary();
    const dir = join(tempDir('jsonlog'), 'w');
    const r = await run(['keygen', '--dir', dir, '--json', '--log-level', 'info']);
    expect(r.exitCode, show(r)).toBe(exit.ok);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const answer = JSON.parse(r.stdout) as { address: string; key: string; created: boolean; encrypted: boolean };
    expect(answer.key).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.address).toBe(encodeAddress(Uint8Array.from(Buffer.from(answer.key, 'hex'))));
    expect(answer.created).toBe(true);
    expect(answer.encrypted).toBe(false);
    const lines = parseLogLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', tag: 'keygen' });
    expect(lines[0]!.message).toContain(`${dir}/.seed`);
  });

  test('node --json --log-level info: every stderr line is a JSON log object, none below info, stdout empty; SIGTERM stops it with 0', async () => {
    const c = await readyCluster({ start: [0, 1] });
    const server = c.servers[2]!;
    const child = Bun.spawn([binary, 'node', '--network', c.networkFile, '--dir', server.dir, '--json', '--log-level', 'info'], {
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    children.add(child);
    let stderr = '';
    let stdout = '';
    const decoder = new TextDecoder();
    const reading = Promise.all([
      (async () => {
        for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
      })(),
      (async () => {
        stdout = await new Response(child.stdout).text();
      })(),
    ]);
    // Running, and committing periods with the others.
    expect(await c.until(async () => /committed period \d+/.test(stderr) && (await allCommitted(c, [2], 0)), 10_000), `${stderr}\n${c.logs()}`).toBe(true);
    child.kill('SIGTERM');
    const code = await Promise.race([child.exited, Bun.sleep(5_000).then(() => 'still running' as const)]);
    expect(code, stderr).toBe(0);
    await reading;
    children.delete(child);

    expect(stdout).toBe('');
    const lines = parseLogLines(stderr);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(['error', 'warn', 'info'], JSON.stringify(line)).toContain(line.level);
    expect(lines.some((line) => line.level === 'info' && /committed period \d+/.test(line.message))).toBe(true);
    const stopping = lines.findIndex((line) => line.message.includes('SIGTERM: stopping'));
    expect(stopping, 'logs the signal it stops on').toBeGreaterThanOrEqual(0);
    expect(lines.slice(stopping).some((line) => line.message.includes('committed period')), 'no commits after SIGTERM').toBe(false);
  });
});
