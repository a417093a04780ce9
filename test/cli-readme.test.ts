// The README's examples, run as written: the shell blocks of "Pay someone on the devnet",
// "Keep your keys" and "Take payments in a shop" are taken from README.md and run by bash,
// line for line, and the shop's receiver (its ```ts block) by Bun. Only the edges are
// swapped, by a `bun` shell function standing in for `bun run [--silent] scryp`: it runs
// the compiled executable (and Bun for a .ts file); pay, balance, info, status and watch
// get `--network` of three real servers on free loopback ports (never the devnet's
// 4001-4003) whose genesis wallet is the devnet's; encrypt and decrypt get
// `--passphrase-file` (on a person's terminal they ask); `/tmp/` becomes a temporary
// directory, `127.0.0.1:4002` that network's server 2 and port 8080 a free one.

import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { type Subprocess } from 'bun';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { devnetWalletSeed } from '../src/devnet.ts';
import { formatSeed, readSeed } from '../src/seed.ts';
import { signerFromSeed } from '../src/signature.ts';
import { testSeed } from './helpers/keys.ts';
import { binary, ensureBinary, freePorts } from './helpers/processes.ts';

setDefaultTimeout(90_000);

const readme = readFileSync(join(import.meta.dir, '..', 'README.md'), 'utf8');
const base = mkdtempSync(join(tmpdir(), 'scryp-readme-'));
const servers: Subprocess[] = [];

afterAll(async () => {
  for (const server of servers) {
    server.kill('SIGKILL');
    await server.exited;
  }
  rmSync(base, { recursive: true, force: true });
});

/** The first ```sh (or ```ts) block after a heading of README.md. */
function shellBlock(heading: string, language = 'sh'): string {
  const at = readme.indexOf(`## ${heading}\n`);
  expect(at, `README has "## ${heading}"`).toBeGreaterThanOrEqual(0);
  const block = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(readme.slice(at));
  expect(block, `a ${language} block under "## ${heading}"`).not.toBeNull();
  return block![1]!;
}

/** Runs a README block in bash with the stand-in `bun`; every command must succeed. */
function scriptOf(block: string, substitutions: { server2?: string; port8080?: number }): string {
  let text = block.replaceAll('/tmp/', `${base}/`);
  if (substitutions.server2 !== undefined) text = text.replaceAll('127.0.0.1:4002', substitutions.server2);
  if (substitutions.port8080 !== undefined) text = text.replaceAll('127.0.0.1:8080', `127.0.0.1:${substitutions.port8080}`);
  return [
    'set -euo pipefail',
    `bun() {
  [ "$1" = run ] && shift
  [ "$1" = --silent ] && shift
  [ "$1" = scryp ] && shift
  case "$1" in
    *.ts) "$BUN" "$@" ;;
    pay|balance|info|status|watch) "$SCRYP" "$@" --network "$NETWORK" ;;
    encrypt|decrypt) "$SCRYP" "$@" --passphrase-file "$PASSPHRASE" ;;
    *) "$SCRYP" "$@" ;;
  esac
}`,
    text,
  ].join('\n');
}

function envOf(network: string | undefined): Record<string, string | undefined> {
  const passphrase = join(base, 'passphrase');
  writeFileSync(passphrase, 'the readme passphrase\n');
  return { ...process.env, SCRYP: binary, BUN: process.execPath, NETWORK: network ?? '', PASSPHRASE: passphrase };
}

async function runBlock(block: string, substitutions: { network?: string; server2?: string }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const script = scriptOf(block, substitutions);
  const child = Bun.spawn(['bash', '-c', script], {
    cwd: base,
    env: envOf(substitutions.network),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const exitCode = await child.exited;
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

/** The seed of DIR once `keygen` has written it (bounded wait). */
async function waitForSeed(dir: string): Promise<Uint8Array> {
  for (let tries = 0; tries < 200 && !existsSync(join(dir, '.seed')); tries++) await Bun.sleep(50);
  return readSeed(dir);
}

/** Three servers whose genesis wallet is the devnet's, and that wallet at ./seeds/devnet/wallet: started once, for every test that needs them. */
let started: Promise<{ file: string; ports: number[] }> | null = null;
function network(): Promise<{ file: string; ports: number[] }> {
  started ??= startNetwork();
  return started;
}

async function startNetwork(): Promise<{ file: string; ports: number[] }> {
  ensureBinary();
  const ports = await freePorts(3);
  const json = {
    name: 'readme',
    period_ms: 300,
    blackout_ms: 30,
    skew_ms: 150,
    servers: ports.map((port, index) => ({ key: toHex(signerFromSeed(testSeed(`server ${index}`)).publicKey), ip: `127.0.0.1:${port}` })),
    genesis: [{ account: toHex(signerFromSeed(devnetWalletSeed).publicKey), balance: 4_294_967_295 }],
  };
  const file = join(base, 'network.json');
  writeFileSync(file, JSON.stringify(json));
  const wallet = join(base, 'seeds', 'devnet', 'wallet');
  mkdirSync(wallet, { recursive: true });
  writeFileSync(join(wallet, '.seed'), formatSeed(devnetWalletSeed), { mode: 0o600 });
  for (const [index] of ports.entries()) {
    const dir = join(base, `server${index}`);
    mkdirSync(dir);
    writeFileSync(join(dir, '.seed'), formatSeed(testSeed(`server ${index}`)), { mode: 0o600 });
    servers.push(Bun.spawn([binary, 'node', '--network', file, '--dir', dir, '--log-level', 'warn'], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' }));
  }
  return { file, ports };
}

describe('README examples, run as written', () => {
  test('"Pay someone on the devnet": keygen, pay an address and a payment request, balance by address, info, a request with a reference', async () => {
    const { file, ports } = await network();
    const r = await runBlock(shellBlock('Pay someone on the devnet'), { network: file, server2: `127.0.0.1:${ports[1]!}` });
    const show = `exit ${r.exitCode}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
    expect(r.exitCode, show).toBe(0);
    const alice = encodeAddress(signerFromSeed(readSeed(join(base, 'alice'))).publicKey);
    expect(r.stdout, show).toContain(`committed: 25 scryp to ${alice} in period `);
    expect(r.stdout, show).toContain(`${alice}: 25 scryp at committed period `);
    expect(r.stdout, show).toContain(`committed: 5 scryp to ${alice} in period `);
    expect(r.stdout, show).toContain('scryp1rgzsrts7sm0s9ur7v8h3jf4ef3fzw8lgmdtf7fqh59h6pl5vk98qhf2js0: 4294967265 scryp at committed period ');
    expect(r.stdout, show).toContain('server 1 of 3, key ');
    expect(r.stdout, show).toContain(`committed: 7 scryp to ${alice} with reference 1001 in period `);
  });

  test('"Take payments in a shop": scryp watch --webhook and the receiver of the README, which checks the signature and prints the payment', async () => {
    const { file } = await network();
    const [port] = await freePorts(1);
    const receiver = shellBlock('Take payments in a shop', 'ts');
    expect(receiver).toContain('port: 8080');
    writeFileSync(join(base, 'receiver.ts'), receiver.replace('port: 8080', `port: ${port}`));
    const out = join(base, 'shop-stdout');
    // The block leaves the receiver and the watcher running in the background: its own session, so that they stop with it.
    const child = Bun.spawn(['setsid', 'bash', '-c', scriptOf(shellBlock('Take payments in a shop'), { port8080: port })], { cwd: base, env: envOf(file), stdin: 'ignore', stdout: Bun.file(out), stderr: Bun.file(`${out}.err`) });
    const printed = () => (existsSync(out) ? readFileSync(out, 'utf8') : '');
    try {
      const shop = encodeAddress(signerFromSeed(await waitForSeed(join(base, 'shop'))).publicKey);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !printed().includes('paid: 12 scryp for')) await Bun.sleep(100);
      const show = `--- stdout\n${printed()}--- stderr\n${existsSync(`${out}.err`) ? readFileSync(`${out}.err`, 'utf8') : ''}`;
      expect(printed(), show).toContain(`committed: 12 scryp to ${shop} with reference 1042 in period `);
      expect(printed(), show).toContain(`paid: 12 scryp for 1042 from ${encodeAddress(signerFromSeed(devnetWalletSeed).publicKey)} (txid `);
      expect(printed().split('paid: ').length - 1, show).toBe(1);
    } finally {
      try {
        process.kill(-child.pid, 'SIGKILL'); // the whole session: bash, the receiver and the watcher
      } catch {
        // already gone
      }
      await child.exited;
    }
  });

  test('"Keep your keys": --words, restore from the words, encrypt, decrypt', async () => {
    ensureBinary();
    const r = await runBlock(shellBlock('Keep your keys'), {});
    const show = `exit ${r.exitCode}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
    expect(r.exitCode, show).toBe(0);
    const seed = readSeed(join(base, 'bob'));
    expect(readSeed(join(base, 'bob-copy'))).toEqual(seed);
    const address = encodeAddress(signerFromSeed(seed).publicKey);
    expect(r.stdout, show).toContain(`encrypted ${join(base, 'bob', '.seed')} (${address})`);
    expect(r.stdout, show).toContain(`decrypted ${join(base, 'bob', '.seed')} (${address})`);
    expect(r.stderr, show).toContain('anyone who sees them owns its money');
  });
});
