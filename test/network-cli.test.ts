// `scryp network new` and `scryp network check`, through the compiled executable: the file
// written is the one src/network.ts reads (same id), keys are taken as addresses or hex,
// defaults raise no warning and risky choices do, every refusal has its code and exit,
// the output file is never replaced, and three servers started from a generated file
// commit periods. Pure parts (flags, warnings) are tested directly, with properties.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { networkWarnings } from '../src/cli/network.ts';
import { parseGenesisFlag, parseServerFlag, repeatedFlag } from '../src/cli/network-flags.ts';
import { network_blackout_ms_default, network_period_ms_default, network_skew_ms_default } from '../src/constants.ts';
import { loadNetworkFile } from '../src/network-file.ts';
import { networkToJson, parseNetwork } from '../src/network.ts';
import { formatSeed } from '../src/seed.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { testSeed, testSigner } from './helpers/keys.ts';
import { binary, ensureBinary, freePorts } from './helpers/processes.ts';

setDefaultTimeout(60_000);

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-network-cli-'));
  dirs.push(dir);
  return dir;
}

const keys = [0, 1, 2, 3].map((i) => testSigner(`network cli server ${i}`).publicKey);
const founder = testSigner('network cli founder').publicKey;
const run = (args: string[]) => {
  ensureBinary();
  return runProgram(args);
};

describe('scryp network new', () => {
  test('defaults: writes the file src/network.ts reads, prints its id alone on stdout, warns of nothing', async () => {
    const out = join(tempDir(), 'ourtown.json');
    const r = await run([
      'network', 'new', '--name', 'ourtown',
      '--server', `${encodeAddress(keys[0]!)}@10.0.0.1:4001`,
      '--server', `${toHex(keys[1]!)}@10.0.0.2:4001`, // hex works as well as an address
      `--server=${toHex(keys[2]!).toUpperCase()}@10.0.0.3:4001`,
      '--genesis', `${encodeAddress(founder)}=1000000`,
      '--out', out,
    ]);
    expect(r.exitCode, show(r)).toBe(0);
    const network = loadNetworkFile(out);
    expect(r.stdout).toBe(`${toHex(network.id)}\n`);
    expect(r.stderr).not.toContain('warning');
    expect(r.stderr).toContain(`wrote ${out}`);
    expect(network.name).toBe('ourtown');
    expect([network.periodMs, network.blackoutMs, network.skewMs]).toEqual([network_period_ms_default, network_blackout_ms_default, network_skew_ms_default]);
    expect(network.servers.map((server) => toHex(server.key))).toEqual(keys.slice(0, 3).map(toHex)); // the order given is the rotation
    expect(network.servers.map((server) => `${server.address.host}:${server.address.port}`)).toEqual(['10.0.0.1:4001', '10.0.0.2:4001', '10.0.0.3:4001']);
    expect(network.genesis).toEqual([{ account: founder, balance: 1_000_000 }]);
    // The bytes are networkToJson's, so what is written reads back to the same text.
    expect(readFileSync(out, 'utf8')).toBe(`${JSON.stringify(networkToJson(network), null, 2)}\n`);
    // Nothing left beside it.
    expect(readdirSync(join(out, '..'))).toEqual(['ourtown.json']);
  });

  test('--json: one object with the id, the servers and the warnings', async () => {
    const out = join(tempDir(), 'n.json');
    const r = await run(['network', 'new', '--name', 'j', '--server', `${toHex(keys[0]!)}@10.0.0.1:4001`, '--server', `${toHex(keys[1]!)}@10.0.0.2:4001`, '--genesis', `${toHex(founder)}=5`, '--out', out, '--json']);
    expect(r.exitCode, show(r)).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.id).toBe(toHex(loadNetworkFile(out).id));
    expect(json.servers).toHaveLength(2);
    expect(json.majority).toBe(2);
    expect(json.warnings.join('\n')).toContain('2 servers');
    expect(r.stderr).toBe('');
  });

  test('--quorum two-thirds: the file says so, the id commits to it, 4 servers warn of nothing and 3 warn that none may lie; a bad mode is exit 2', async () => {
    const dir = tempDir();
    const four = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((host, i) => ['--server', `${toHex(keys[i]!)}@${host}:4001`]).flat();
    const r = await run(['network', 'new', '--name', 'bft', ...four, '--genesis', `${toHex(founder)}=5`, '--quorum', 'two-thirds', '--out', join(dir, 'four.json'), '--json']);
    expect(r.exitCode, show(r)).toBe(0);
    const json = JSON.parse(r.stdout);
    expect([json.quorum, json.certificate_votes, json.faulty_tolerated, json.warnings]).toEqual(['two-thirds', 3, 1, []]);
    const network = loadNetworkFile(join(dir, 'four.json'));
    expect(network.quorumMode).toBe('two-thirds');
    expect(JSON.parse(readFileSync(join(dir, 'four.json'), 'utf8')).quorum).toBe('two-thirds');
    expect(json.id).toBe(toHex(network.id));
    const three = await run(['network', 'new', '--name', 'bft', ...four.slice(0, 6), '--genesis', `${toHex(founder)}=5`, '--quorum', 'two-thirds', '--out', join(dir, 'three.json')]);
    expect(three.exitCode, show(three)).toBe(0);
    expect(three.stderr).toContain('no server may lie');
    const bad = await run(['network', 'new', '--name', 'bft', ...four, '--genesis', `${toHex(founder)}=5`, '--quorum', 'byzantine', '--out', join(dir, 'bad.json')]);
    expect([bad.exitCode, bad.stderr.includes('--quorum'), existsSync(join(dir, 'bad.json'))]).toEqual([2, true, false]);
  });

  test('risky choices are warnings on stderr; the file is still written', async () => {
    const out = join(tempDir(), 'risky.json');
    const r = await run([
      'network', 'new', '--name', 'risky',
      ...keys.flatMap((key, i) => ['--server', `${toHex(key)}@10.0.0.${i + 1}:4001`]),
      '--genesis', `${toHex(founder)}=100`,
      '--period-ms', '500', '--blackout-ms', '50', '--skew-ms', '200',
      '--out', out,
    ]);
    expect(r.exitCode, show(r)).toBe(0);
    const warnings = r.stderr.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings.some((line) => line.includes('4 servers: a certificate needs 3'))).toBe(true);
    expect(warnings.some((line) => line.includes('blackout 50 ms is shorter than the skew 200 ms'))).toBe(true);
    expect(warnings.some((line) => line.includes('a period of 500 ms is short for a skew of 200 ms'))).toBe(true);
    expect(warnings.some((line) => line.includes('a period of 500 ms leaves little time for votes'))).toBe(true);
    expect(existsSync(out)).toBe(true);
    // check says the same.
    const check = await run(['network', 'check', out]);
    expect(check.exitCode, show(check)).toBe(0);
    expect(check.stderr.split('\n').filter((line) => line.startsWith('warning: '))).toEqual(warnings);
  });

  test('--out never replaces a file: OUT_EXISTS, exit 1, the file untouched; an unwritable place is OUT_UNWRITABLE and leaves nothing', async () => {
    const dir = tempDir();
    const out = join(dir, 'taken.json');
    writeFileSync(out, 'precious\n');
    const args = ['network', 'new', '--name', 'x', '--server', `${toHex(keys[0]!)}@10.0.0.1:4001`, '--genesis', `${toHex(founder)}=1`];
    const r = await run([...args, '--out', out]);
    expect(r.exitCode, show(r)).toBe(1);
    expect(r.stderr).toContain('OUT_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    const missing = await run([...args, '--out', join(dir, 'no-such-dir', 'n.json')]);
    expect(missing.exitCode, show(missing)).toBe(1);
    expect(missing.stderr).toContain('OUT_UNWRITABLE');
    expect(readdirSync(dir)).toEqual(['taken.json']);
  });

  test('each refusal names the flag, exits 2 (usage), and writes nothing', async () => {
    const dir = tempDir();
    const out = join(dir, 'n.json');
    const good = `${toHex(keys[0]!)}@10.0.0.1:4001`;
    const address = encodeAddress(keys[1]!);
    const typo = `${address.slice(0, 20)}${address[20] === 'q' ? 'p' : 'q'}${address.slice(21)}`;
    const cases: [string[], RegExp][] = [
      [['--server', good, '--out', out], /--name is required/],
      [['--name', 'x', '--server', good], /--out FILE is required/],
      [['--name', 'x', '--out', out], /give at least one --server/],
      [['--name', 'x', '--server', '10.0.0.1:4001', '--out', out], /--server #1: expected KEY@HOST:PORT/],
      [['--name', 'x', '--server', good, '--server', `${typo}@10.0.0.2:4001`, '--out', out], /ADDRESS_CHECKSUM: --server #2 key/],
      [['--name', 'x', '--server', good, '--server', `${toHex(keys[0]!)}@10.0.0.2:4001`, '--out', out], /--server #2: duplicate server key/],
      [['--name', 'x', '--server', good, '--server', `${toHex(keys[1]!)}@10.0.0.1:4001`, '--out', out], /--server #2: duplicate address 10.0.0.1:4001/],
      [['--name', 'x', '--server', `${toHex(keys[0]!)}@10.0.0.1`, '--out', out], /BAD_ADDRESS: --server #1 address/],
      [['--name', 'x', '--server', good, '--genesis', `${toHex(founder)}=0`, '--out', out], /--genesis #1 amount: expected 1\.\.4294967295, got 0/],
      [['--name', 'x', '--server', good, '--genesis', `${toHex(founder)}=2.5`, '--out', out], /--genesis #1 amount: expected an integer/],
      [['--name', 'x', '--server', good, '--genesis', `${toHex(founder)}=4294967295`, '--genesis', `${toHex(keys[3]!)}=1`, '--out', out], /--genesis #2: the genesis supply exceeds/],
      [['--name', 'x', '--server', good, '--genesis', toHex(founder), '--out', out], /--genesis #1: expected ADDRESS=AMOUNT/],
      [['--name', 'x', '--server', good, '--period-ms', '10', '--out', out], /--period-ms: expected 50\.\.3600000, got 10/],
      [['--name', 'x', '--server', good, '--period-ms', '1000', '--skew-ms', '1000', '--out', out], /--skew-ms: expected 0\.\.999, got 1000/],
      [['--name', 'a'.repeat(65), '--server', good, '--out', out], /--name: expected 1\.\.64 bytes, got 65/],
      [['--name', 'x', '--server', good, '--servr', good, '--out', out], /unknown option --servr/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['network', 'new', ...args]);
      expect(r.exitCode, `${args.join(' ')}\n${show(r)}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a network written by network new runs: three servers from it commit periods', async () => {
    ensureBinary();
    const dir = tempDir();
    const ports = await freePorts(3);
    const serverDirs = ports.map((_, i) => {
      const serverDir = join(dir, `server${i}`);
      mkdirSync(serverDir);
      writeFileSync(join(serverDir, '.seed'), formatSeed(testSeed(`network cli server ${i}`)), { mode: 0o600 });
      return serverDir;
    });
    const out = join(dir, 'loop.json');
    const made = await run([
      'network', 'new', '--name', 'loop',
      ...ports.flatMap((port, i) => ['--server', `${encodeAddress(keys[i]!)}@127.0.0.1:${port}`]),
      '--genesis', `${encodeAddress(founder)}=42`,
      '--period-ms', '300', '--blackout-ms', '100', '--skew-ms', '70',
      '--out', out,
    ]);
    expect(made.exitCode, show(made)).toBe(0);
    const children = serverDirs.map((serverDir) => Bun.spawn([binary, 'node', '--network', out, '--dir', serverDir, '--log-level', 'warn'], { stdout: 'ignore', stderr: 'pipe' }));
    try {
      let info = '';
      for (let attempt = 0; attempt < 50; attempt++) {
        const r = await runProgram(['info', `127.0.0.1:${ports[1]}`, '--network', out, '--json']);
        if (r.exitCode === 0 && JSON.parse(r.stdout).committedPeriod > 0) {
          info = r.stdout;
          break;
        }
        await Bun.sleep(200);
      }
      expect(info, 'server 1 committed a period of the generated network').not.toBe('');
      expect(JSON.parse(info).networkId).toBe(made.stdout.trim());
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await Promise.all(children.map((child) => child.exited));
    }
  });
});

describe('scryp network check', () => {
  test('prints the id, timing, servers in rotation order and genesis; exit 0', async () => {
    const file = join(tempDir(), 'n.json');
    const json = {
      name: 'checked',
      period_ms: 2000,
      blackout_ms: 500,
      skew_ms: 500,
      servers: keys.slice(0, 3).map((key, i) => ({ key: toHex(key), ip: `10.0.0.${i + 1}:4001` })),
      genesis: Array.from({ length: 12 }, (_, i) => ({ account: toHex(testSigner(`network cli genesis ${i}`).publicKey), balance: 1000 + i })),
    };
    writeFileSync(file, JSON.stringify(json));
    const network = parseNetwork(json);
    const r = await run(['network', 'check', file]);
    expect(r.exitCode, show(r)).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('network checked');
    expect(lines[1]).toBe(`id ${toHex(network.id)}`);
    expect(lines[2]).toBe('period 2000 ms, blackout 500 ms, skew 500 ms');
    expect(lines[3]).toBe('3 servers (alpha in this order; quorum majority: a certificate needs 2):');
    expect(lines[4]).toBe(`   0  ${encodeAddress(keys[0]!)}  10.0.0.1:4001`);
    expect(r.stdout).toContain('genesis: 12 accounts, supply 12,066 scryp');
    expect(r.stdout).toContain('… and 2 more');
    expect(r.stderr).toBe('');
  });

  test('an invalid file is BAD_NETWORK_FILE naming the field, exit 1; a missing one too', async () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', period_ms: 2000, blackout_ms: 2000, skew_ms: 500, servers: [{ key: toHex(keys[0]!), ip: '10.0.0.1:4001' }], genesis: [] }));
    const r = await run(['network', 'check', file]);
    expect(r.exitCode, show(r)).toBe(1);
    expect(r.stderr).toContain('BAD_NETWORK_FILE');
    expect(r.stderr).toContain('blackout_ms: expected 0..1999, got 2000');
    const missing = await run(['network', 'check', join(tempDir(), 'none.json')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('BAD_NETWORK_FILE');
    const none = await run(['network', 'check']);
    expect(none.exitCode).toBe(2);
  });
});

describe('flags and warnings, directly', () => {
  test('repeatedFlag takes every value, in both spellings, up to --', () => {
    expect(repeatedFlag(['--server', 'a', '--name', 'n', '--server=b', '--', '--server', 'c'], 'server')).toEqual(['a', 'b']);
    expect(repeatedFlag(['--servers', 'a'], 'server')).toEqual([]);
    expect(() => repeatedFlag(['--server'], 'server')).toThrow('--server needs a value');
    expect(() => repeatedFlag(['--server', '--name'], 'server')).toThrow('--server needs a value');
  });

  test('parseServerFlag and parseGenesisFlag read addresses and hex alike', () => {
    const key = keys[0]!;
    expect(parseServerFlag(`${encodeAddress(key)}@1.2.3.4:5`, 1)).toEqual({ key: toHex(key), ip: '1.2.3.4:5' });
    expect(parseServerFlag(`${toHex(key)}@1.2.3.4:5`, 1)).toEqual({ key: toHex(key), ip: '1.2.3.4:5' });
    expect(parseGenesisFlag(`${encodeAddress(key)}=7`, 1)).toEqual({ account: toHex(key), balance: 7 });
  });

  const networkWith = (servers: number, periodMs: number, blackoutMs: number, skewMs: number) =>
    parseNetwork({
      name: 'w',
      period_ms: periodMs,
      blackout_ms: blackoutMs,
      skew_ms: skewMs,
      servers: Array.from({ length: servers }, (_, i) => ({ key: toHex(testSigner(`network cli w ${i}`).publicKey), ip: `10.1.0.${i + 1}:4001` })),
      genesis: [{ account: toHex(founder), balance: 1 }],
    });

  test('the defaults with 3, 5 or 7 servers warn of nothing', () => {
    for (const servers of [3, 5, 7]) expect(networkWarnings(networkWith(servers, network_period_ms_default, network_blackout_ms_default, network_skew_ms_default))).toEqual([]);
  });

  test('property: the even-count and blackout-shorter-than-skew warnings appear exactly when their condition holds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 50, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (servers, periodMs, b, s) => {
        const blackoutMs = Math.floor(b * (periodMs - 1));
        const skewMs = Math.floor(s * (periodMs - 1));
        const warnings = networkWarnings(networkWith(servers, periodMs, blackoutMs, skewMs));
        const even = warnings.some((w) => w.startsWith(`${servers} servers:`));
        const shortBlackout = warnings.some((w) => w.includes('is shorter than the skew'));
        return even === (servers % 2 === 0) && shortBlackout === blackoutMs < skewMs;
      }),
      { numRuns: 200 },
    );
  });
});
