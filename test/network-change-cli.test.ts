// `scryp network change` and `scryp network sign` (issue 13, the offline half): the JSON
// forms of src/consensus/change-file.ts (round trip, every malformed field refused and
// named), then the commands as a newcomer runs them, through the compiled executable: grow,
// shrink, replace, each refusal with its code and exit status, signatures from the servers'
// own directories (plain and encrypted seeds) until the change passes checkChange, and the
// files that must not be believed (tampered, another network, a chain that does not verify).

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { codeOf } from './helpers/errors.ts';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import {
  chainFileJson,
  checkSignatureKeys,
  currentConfiguration,
  formatChangeFile,
  parseChainFile,
  parseChangeFile,
} from '../src/consensus/change-file.ts';
import { type Change, changeSigningMessage, checkChange, type ConfigServer, genesisConfiguration } from '../src/consensus/configuration.ts';
import { networkToJson, parseNetwork } from '../src/network.ts';
import { createSeed, formatSeed } from '../src/seed.ts';
import { type Signer, verify } from '../src/signature.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { testNetwork, testSeed, testSigner } from './helpers/keys.ts';
import { ensureBinary } from './helpers/processes.ts';

setDefaultTimeout(60_000);

const { network, servers } = testNetwork({ servers: 3 }); // servers 0, 1, 2 at 127.0.0.1:5000-5002
const genesis = genesisConfiguration(network);
const newcomers = [testSigner('server 3'), testSigner('server 4')];
const hex = (signer: Signer) => toHex(signer.publicKey);
const address = (signer: Signer) => encodeAddress(signer.publicKey);

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

function sign(change: Omit<Change, 'signatures'>, signers: number[], by: readonly Signer[] = servers, networkId = network.id): Change {
  const message = changeSigningMessage(networkId, change);
  return { ...change, signatures: signers.map((index) => ({ signer: index, signature: by[index]!.sign(message) })) };
}

/** Configuration 0's servers and the two newcomers at 127.0.0.1:5003 and 5004. */
function grown(): ConfigServer[] {
  return [...genesis.servers, ...newcomers.map((signer, i) => ({ key: signer.publicKey, address: { host: '127.0.0.1', port: 5003 + i } }))];
}

const growth: Omit<Change, 'signatures'> = { replaces: 0, replacesHash: genesis.hash, first: 0, servers: grown() };

// ---- the JSON forms ------------------------------------------------------------------------

describe('the change file', () => {
  const signed = sign(growth, [0, 2]);

  test('round-trips: format, parse, format again gives the same text; each signature names its server\'s key', () => {
    const text = formatChangeFile(network.id, signed, genesis);
    const parsed = parseChangeFile(JSON.parse(text));
    expect(toHex(parsed.network)).toBe(toHex(network.id));
    expect(parsed.change).toEqual(signed);
    expect(parsed.signatureKeys.map(toHex)).toEqual([hex(servers[0]!), hex(servers[2]!)]);
    checkSignatureKeys(parsed, genesis);
    expect(formatChangeFile(network.id, parsed.change, genesis)).toBe(text);
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual(['network', 'replaces', 'replaces_hash', 'first_period', 'servers', 'signatures']);
    expect(json.servers[3]).toEqual({ key: hex(newcomers[0]!), ip: '127.0.0.1:5003' });
    expect(json.signatures[1]).toEqual({ server: 2, key: hex(servers[2]!), signature: toHex(signed.signatures[1]!.signature) });
  });

  test('property: any list, first period and signer set round-trips', () => {
    const pool = [...servers, ...newcomers, testSigner('server 5'), testSigner('server 6')];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: pool.length }),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
        fc.subarray([0, 1, 2]),
        (picks, first, signers) => {
          const change = sign({ replaces: 0, replacesHash: genesis.hash, first, servers: picks.map((p, i) => ({ key: pool[p]!.publicKey, address: { host: `10.0.${i}.1`, port: 4001 + i } })) }, signers);
          const parsed = parseChangeFile(JSON.parse(formatChangeFile(network.id, change, genesis)));
          expect(parsed.change).toEqual(change);
        },
      ),
      { numRuns: 50 },
    );
  });

  // Each case: a change to the valid JSON, and the field the refusal must name.
  const cases: [string, (json: any) => void, string][] = [
    ['a field missing', (json) => delete json.first_period, 'first_period'],
    ['an unknown field', (json) => (json.comment = 'hi'), 'comment'],
    ['network too short', (json) => (json.network = json.network.slice(2)), 'network'],
    ['replaces negative', (json) => (json.replaces = -1), 'replaces'],
    ['replaces as text', (json) => (json.replaces = '0'), 'replaces'],
    ['replaces_hash upper case', (json) => (json.replaces_hash = json.replaces_hash.toUpperCase()), 'replaces_hash'],
    ['first_period fractional', (json) => (json.first_period = 1.5), 'first_period'],
    ['first_period beyond 2^53', (json) => (json.first_period = 2 ** 60), 'first_period'],
    ['servers empty', (json) => (json.servers = []), 'servers'],
    ['servers not an array', (json) => (json.servers = {}), 'servers'],
    ['a server key of 63 characters', (json) => (json.servers[1].key = json.servers[1].key.slice(1)), 'servers[1].key'],
    ['a server ip without port', (json) => (json.servers[4].ip = '127.0.0.1'), 'servers[4].ip'],
    ['a server ip out of range', (json) => (json.servers[2].ip = '300.0.0.1:4001'), 'servers[2].ip'],
    ['a server field unknown', (json) => (json.servers[0].port = 4001), 'servers[0].port'],
    ['a server that is not an object', (json) => (json.servers[3] = 'x'), 'servers[3]'],
    ['signatures not an array', (json) => (json.signatures = null), 'signatures'],
    ['a signer as text', (json) => (json.signatures[0].server = '0'), 'signatures[0].server'],
    ['signers out of order', (json) => json.signatures.reverse(), 'signatures[1].server'],
    ['a signer twice', (json) => (json.signatures[1] = { ...json.signatures[0] }), 'signatures[1].server'],
    ['a signature key missing', (json) => delete json.signatures[0].key, 'signatures[0].key'],
    ['a signature of 127 bytes', (json) => (json.signatures[1].signature = json.signatures[1].signature.slice(2)), 'signatures[1].signature'],
  ];
  for (const [name, mutate, field] of cases) {
    test(`refused with BAD_CHANGE_FILE naming the field: ${name}`, () => {
      const json = JSON.parse(formatChangeFile(network.id, signed, genesis));
      mutate(json);
      expect(codeOf(() => parseChangeFile(json))).toBe('BAD_CHANGE_FILE');
      expect(messageOf(() => parseChangeFile(json))).toStartWith(`BAD_CHANGE_FILE: ${field}:`);
    });
  }

  test('a value that is not an object is refused as the file', () => {
    for (const value of [null, [], 'change', 5, new Uint8Array(3)]) expect(messageOf(() => parseChangeFile(value))).toStartWith('BAD_CHANGE_FILE: the file: expected');
  });

  test('a signature\'s key must be its server\'s in the configuration replaced (BAD_CHANGE_FILE naming it)', () => {
    const json = JSON.parse(formatChangeFile(network.id, signed, genesis));
    json.signatures[1].key = hex(servers[1]!);
    const parsed = parseChangeFile(json);
    expect(codeOf(() => checkSignatureKeys(parsed, genesis))).toBe('BAD_CHANGE_FILE');
    expect(messageOf(() => checkSignatureKeys(parsed, genesis))).toContain('signatures[1].key: server 2 of configuration 0');
  });
});

describe('the chain file', () => {
  const chain = { network: network.id, changes: [{ carrier: 10, change: sign(growth, [0, 1]) }] };

  test('round-trips, and makes configuration 1 the current one; no chain is configuration 0', () => {
    const parsed = parseChainFile(JSON.parse(JSON.stringify(chainFileJson(network.id, chain.changes))));
    expect(parsed.changes).toEqual(chain.changes);
    const current = currentConfiguration(network, parsed, verify);
    expect([current.number, current.first, current.servers.length, current.quorum]).toEqual([1, 14, 5, 3]);
    expect(currentConfiguration(network, null, verify)).toEqual(genesis);
  });

  test('malformed entries are BAD_CHANGE_FILE naming the field', () => {
    const json = chainFileJson(network.id, chain.changes) as { changes: { carrier: number; change: string }[] };
    const bad = (mutate: (j: any) => void) => {
      const copy = JSON.parse(JSON.stringify(json));
      mutate(copy);
      return messageOf(() => parseChainFile(copy));
    };
    expect(bad((j) => (j.changes[0].carrier = 0))).toStartWith('BAD_CHANGE_FILE: changes[0].carrier:');
    expect(bad((j) => (j.changes[0].change = j.changes[0].change.slice(0, -2)))).toStartWith('BAD_CHANGE_FILE: changes[0].change:');
    expect(bad((j) => (j.changes[0].change += '00'))).toStartWith('BAD_CHANGE_FILE: changes[0].change:');
    expect(bad((j) => (j.changes = {}))).toStartWith('BAD_CHANGE_FILE: changes:');
    expect(bad((j) => delete j.network)).toStartWith('BAD_CHANGE_FILE: network:');
  });

  test('a chain that does not verify is CHANGE_CHAIN naming the link; another network\'s is CHANGE_OTHER_NETWORK', () => {
    const change = chain.changes[0]!.change;
    const forged = { ...change, signatures: [change.signatures[0]!, { signer: 2, signature: change.signatures[1]!.signature }] };
    const second = { carrier: 20, change: sign({ replaces: 1, replacesHash: currentConfiguration(network, chain, verify).hash, first: 0, servers: grown().slice(1) }, [0, 1, 3], [...servers, ...newcomers]) };
    expect(currentConfiguration(network, { network: network.id, changes: [...chain.changes, second] }, verify).number).toBe(2);
    for (const changes of [[{ carrier: 10, change: forged }], [...chain.changes, { ...second, carrier: 11 }]]) {
      expect(codeOf(() => currentConfiguration(network, { network: network.id, changes }, verify))).toBe('CHANGE_CHAIN');
    }
    expect(messageOf(() => currentConfiguration(network, { network: network.id, changes: [chain.changes[0]!, { ...second, change: { ...second.change, first: 5 } }] }, verify))).toContain('change 2 (carried in period 20): CHANGE_BAD_SIGNATURE');
    const other = testNetwork({ servers: 3, name: 'othernet' }).network;
    expect(codeOf(() => currentConfiguration(other, chain, verify))).toBe('CHANGE_OTHER_NETWORK');
  });
});

// ---- the commands ----------------------------------------------------------------------------

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const passphrase = 'correct horse battery staple';

/**
 * A place as the operators would have it: net.json, the three servers' directories
 * (server 1's seed encrypted, its passphrase in pass.txt) and the newcomers' directories.
 */
function workspace(): { dir: string; net: string; server: (i: number) => string; newcomer: (i: number) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-network-change-'));
  dirs.push(dir);
  const net = join(dir, 'net.json');
  writeFileSync(net, `${JSON.stringify(networkToJson(network), null, 2)}\n`);
  writeFileSync(join(dir, 'pass.txt'), `${passphrase}\n`);
  for (let i = 0; i < 5; i++) {
    const server = join(dir, `server${i}`);
    if (i === 1) createSeed(server, testSeed('server 1'), passphrase, { logCost: 10, blockSize: 8, parallelism: 1 });
    else {
      mkdirSync(server, { mode: 0o700 });
      writeFileSync(join(server, '.seed'), formatSeed(testSeed(`server ${i}`)), { mode: 0o600 });
    }
  }
  return { dir, net, server: (i) => join(dir, `server${i}`), newcomer: (i) => join(dir, `server${3 + i}`) };
}

const run = (args: string[], cwd?: string) => {
  ensureBinary();
  return runProgram(args, cwd === undefined ? {} : { cwd });
};

function readChange(path: string) {
  return parseChangeFile(JSON.parse(readFileSync(path, 'utf8')));
}

/** `scryp network sign` by server i of configuration 0 (server 1 with its passphrase file). */
function signBy(w: ReturnType<typeof workspace>, file: string, i: number, extra: string[] = []) {
  return run(['network', 'sign', file, '--dir', w.server(i), '--network', w.net, ...(i === 1 ? ['--passphrase-file', join(w.dir, 'pass.txt')] : []), ...extra]);
}

describe('scryp network change, then sign', () => {
  test('grow 3 → 5: the file lists the five in order, unsigned; two of three sign → ready; a third signs too; checkChange accepts it for carrier 10', async () => {
    const w = workspace();
    const out = join(w.dir, 'grow.json');
    const r = await run(['network', 'change', '--network', w.net, '--add', `${address(newcomers[0]!)}@127.0.0.1:5003`, '--add', `${hex(newcomers[1]!)}@127.0.0.1:5004`, '--out', out]);
    expect(r.exitCode, show(r)).toBe(0);
    const file = readChange(out);
    expect(toHex(file.network)).toBe(toHex(network.id));
    expect(file.change).toEqual({ ...growth, signatures: [] });
    expect(r.stdout).toContain(`added     ${address(newcomers[0]!)}  127.0.0.1:5003`);
    expect(r.stdout).toContain(`added     ${address(newcomers[1]!)}  127.0.0.1:5004`);
    expect(r.stdout).toContain(`   4  ${address(newcomers[1]!)}  127.0.0.1:5004`);
    expect(r.stdout).toContain('quorum: 2 of 3 now, 3 of 5 after the change');
    expect(r.stdout).toContain('signatures needed: 2 of the 3 servers of configuration 0');
    expect(r.stdout).toContain(`scryp network sign ${out} --dir SERVERDIR   (the server's directory knows its network and the changes it committed)`);
    expect(readdirSync(w.dir).filter((name) => name.includes('partial'))).toEqual([]);

    const first = await signBy(w, out, 0);
    expect(first.exitCode, show(first)).toBe(0);
    expect(first.stdout).toContain('1 of 2 signatures');
    expect(first.stdout).toContain('not ready: 1 more signature needed');
    const second = await signBy(w, out, 1); // the encrypted seed, opened with --passphrase-file
    expect(second.exitCode, show(second)).toBe(0);
    expect(second.stdout).toContain('2 of 2 signatures (servers 0, 1 of configuration 0)');
    expect(second.stdout).toContain('ready to submit: scryp network submit');
    const ready = readChange(out).change;
    expect(checkChange(network.id, genesis, ready, 10, verify).servers).toHaveLength(5);

    const again = await signBy(w, out, 1);
    expect(again.exitCode, show(again)).toBe(0);
    expect(again.stdout).toContain('already signed; the file is unchanged');
    expect(readChange(out).change).toEqual(ready);

    const third = await signBy(w, out, 2, ['--json']);
    expect(third.exitCode, show(third)).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ server: 2, signed: true, signatures: 3, needed: 2, signers: [0, 1, 2], ready: true });
    const all = readChange(out).change;
    expect(all.signatures.map((s) => s.signer)).toEqual([0, 1, 2]);
    const next = checkChange(network.id, genesis, all, 10, verify);
    expect([next.number, next.first, next.quorum]).toEqual([1, 14, 3]);
    expect(readdirSync(w.dir).filter((name) => name.includes('partial'))).toEqual([]);
  });

  test('shrink with --at: server 1 leaves, the others keep their order; the first period is the one given', async () => {
    const w = workspace();
    const out = join(w.dir, 'shrink.json');
    const r = await run(['network', 'change', '--network', w.net, '--remove', hex(servers[1]!), '--at', '100', '--out', out]);
    expect(r.exitCode, show(r)).toBe(0);
    expect(r.stdout).toContain(`removed   server 1  ${address(servers[1]!)}  127.0.0.1:5001`);
    expect(r.stdout).toContain('quorum: 2 of 3 now, 2 of 2 after the change');
    expect(r.stdout).toContain('starts: period 100');
    const { change } = readChange(out);
    expect(change.servers).toEqual([genesis.servers[0]!, genesis.servers[2]!]);
    expect(change.first).toBe(100);
    for (const i of [2, 0]) expect((await signBy(w, out, i)).exitCode).toBe(0); // in any order: the file keeps signer order
    const signed = readChange(out).change;
    expect(signed.signatures.map((s) => s.signer)).toEqual([0, 2]);
    expect(checkChange(network.id, genesis, signed, 10, verify).first).toBe(100);
  });

  test('replace: the new server takes the old one\'s place (and may keep its address); edits apply in order', async () => {
    const w = workspace();
    const out = join(w.dir, 'replace.json');
    const r = await run(['network', 'change', '--network', w.net, '--replace', `${address(servers[1]!)}=${hex(newcomers[0]!)}@127.0.0.1:5001`, '--out', out]);
    expect(r.exitCode, show(r)).toBe(0);
    expect(r.stdout).toContain(`replaced  server 1  ${address(servers[1]!)}  by ${address(newcomers[0]!)}  127.0.0.1:5001`);
    expect(readChange(out).change.servers.map((s) => toHex(s.key))).toEqual([hex(servers[0]!), hex(newcomers[0]!), hex(servers[2]!)]);
    for (const i of [0, 2]) expect((await signBy(w, out, i)).exitCode).toBe(0);
    expect(checkChange(network.id, genesis, readChange(out).change, 10, verify).servers[1]!.key).toEqual(newcomers[0]!.publicKey);

    // --remove then --add of the same server moves it to the end of the rotation, at a new address.
    const moved = join(w.dir, 'moved.json');
    const m = await run(['network', 'change', '--network', w.net, '--remove', hex(servers[0]!), `--add=${hex(servers[0]!)}@127.0.0.1:6000`, '--add', `${hex(newcomers[1]!)}@127.0.0.1:5004`, '--out', moved]);
    expect(m.exitCode, show(m)).toBe(0);
    expect(readChange(moved).change.servers.map((s) => [toHex(s.key), s.address.port])).toEqual([
      [hex(servers[1]!), 5001],
      [hex(servers[2]!), 5002],
      [hex(servers[0]!), 6000],
      [hex(newcomers[1]!), 5004],
    ]);
    expect(m.stdout).toContain(`moved     server 0  ${address(servers[0]!)}  127.0.0.1:5000 → 127.0.0.1:6000`);
  });

  test('each refusal of the edits has its code, exits 2 and writes nothing', async () => {
    const w = workspace();
    const out = join(w.dir, 'c.json');
    const base = ['network', 'change', '--network', w.net, '--out', out];
    const stranger = testSigner('a stranger');
    const typo = address(newcomers[0]!).replace(/.$/, (c) => (c === 'q' ? 'p' : 'q'));
    const cases: [string[], RegExp][] = [
      [['--remove', hex(stranger)], /CHANGE_UNKNOWN_SERVER: --remove #1: scryp1\S+ is not a server of configuration 0/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--replace', `${hex(stranger)}=${hex(newcomers[1]!)}@127.0.0.1:5004`], /CHANGE_UNKNOWN_SERVER: --replace #1/],
      [servers.flatMap((s) => ['--remove', hex(s)]), /CHANGE_EMPTY/],
      [['--add', `${hex(servers[2]!)}@127.0.0.1:6000`], /CHANGE_DUPLICATE_KEY: --add #1: scryp1\S+ is already server 2/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--add', `${hex(newcomers[0]!)}@127.0.0.1:5004`], /CHANGE_DUPLICATE_KEY: --add #2/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5001`], /CHANGE_DUPLICATE_ADDRESS: --add #1: 127.0.0.1:5001 is already server 1's address/],
      [['--replace', `${hex(servers[0]!)}=${hex(newcomers[0]!)}@127.0.0.1:5002`], /CHANGE_DUPLICATE_ADDRESS: --replace #1/],
      [[], /give at least one --add/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--remove', hex(newcomers[0]!)], /leave the server list as it is/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--at', '0'], /--at: expected 1\.\./],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--at', '-5'], /--at/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--at', 'soon'], /--at: expected an integer/],
      [['--add', hex(newcomers[0]!)], /--add #1: expected KEY@HOST:PORT/],
      [['--add', `${typo}@127.0.0.1:5003`], /ADDRESS_CHECKSUM: --add #1/],
      [['--add', `${hex(newcomers[0]!)}@127.0.0.1`], /--add #1/],
      [['--replace', hex(servers[0]!)], /--replace #1: expected OLD=NEW@HOST:PORT/],
      [['--remove'], /--remove needs a value/],
    ];
    for (const [edits, expected] of cases) {
      const r = await run([...base, ...edits]);
      expect(r.exitCode, `${edits.join(' ')}\n${show(r)}`).toBe(2);
      expect(r.stderr, edits.join(' ')).toMatch(expected);
      expect(r.stderr.trim().split('\n'), edits.join(' ')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
    const noNetwork = await run(['network', 'change', '--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--out', out]);
    expect([noNetwork.exitCode, noNetwork.stderr]).toEqual([2, "scryp: --network FILE or --dir DIR is required (the network whose servers change, or a server's directory that knows it) (see --help)\n"]);
    const noOut = await run(['network', 'change', '--network', w.net, '--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`]);
    expect([noOut.exitCode, noOut.stderr.includes('--out CHANGE.json is required')]).toEqual([2, true]);
    // An existing --out is never replaced: OUT_EXISTS, exit 1 as for scryp network new.
    writeFileSync(out, 'precious\n');
    const taken = await run([...base, '--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`]);
    expect(taken.exitCode, show(taken)).toBe(1);
    expect(taken.stderr).toContain('OUT_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
  });

  test('--help explains the edits and the next step', async () => {
    const r = await run(['network', 'change', '--help']);
    expect(r.exitCode, show(r)).toBe(0);
    for (const word of ['--add', '--remove', '--replace', '--at', '--chain', 'scryp network sign']) expect(r.stdout).toContain(word);
    const s = await run(['network', 'sign', '--help']);
    expect(s.exitCode, show(s)).toBe(0);
    for (const word of ['--dir', '--passphrase-file', '--network', '--chain']) expect(s.stdout).toContain(word);
  });
});

describe('scryp network sign refuses', () => {
  async function grownFile(w: ReturnType<typeof workspace>): Promise<string> {
    const out = join(w.dir, 'grow.json');
    const r = await run(['network', 'change', '--network', w.net, '--add', `${hex(newcomers[0]!)}@127.0.0.1:5003`, '--add', `${hex(newcomers[1]!)}@127.0.0.1:5004`, '--out', out]);
    expect(r.exitCode, show(r)).toBe(0);
    return out;
  }

  test('a file edited after a signature (CHANGE_BAD_SIGNATURE), or whose signature names the wrong key (BAD_CHANGE_FILE); the file is left as it was', async () => {
    const w = workspace();
    const out = await grownFile(w);
    expect((await signBy(w, out, 0)).exitCode).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    json.servers[4].ip = '10.9.9.9:4001'; // someone slips in another address
    const tampered = `${JSON.stringify(json, null, 2)}\n`;
    writeFileSync(out, tampered);
    const r = await signBy(w, out, 2);
    expect(r.exitCode, show(r)).toBe(1);
    expect(r.stderr).toMatch(/^scryp: CHANGE_BAD_SIGNATURE: signatures\[0\]: server 0's signature does not verify/);
    expect(readFileSync(out, 'utf8')).toBe(tampered);

    json.servers[4].ip = '127.0.0.1:5004';
    json.signatures[0].key = hex(servers[1]!);
    writeFileSync(out, JSON.stringify(json));
    const wrongKey = await signBy(w, out, 2);
    expect(wrongKey.exitCode, show(wrongKey)).toBe(1);
    expect(wrongKey.stderr).toContain(`BAD_CHANGE_FILE: change file ${out}: signatures[0].key:`);

    writeFileSync(out, '{"network": 1');
    const broken = await signBy(w, out, 2);
    expect([broken.exitCode, broken.stderr.includes(`BAD_CHANGE_FILE: change file ${out}: not JSON`)]).toEqual([1, true]);
  });

  test('a server that is not in the configuration replaced (CHANGE_UNKNOWN_SERVER), before any passphrase is asked', async () => {
    const w = workspace();
    const out = await grownFile(w);
    const before = readFileSync(out, 'utf8');
    const r = await run(['network', 'sign', out, '--dir', w.newcomer(0), '--network', w.net]);
    expect(r.exitCode, show(r)).toBe(1);
    expect(r.stderr).toContain(`CHANGE_UNKNOWN_SERVER: ${join(w.newcomer(0), '.seed')} is ${address(newcomers[0]!)}, not a server of configuration 0`);
    expect(readFileSync(out, 'utf8')).toBe(before);
    const noDir = await run(['network', 'sign', out, '--network', w.net]);
    expect([noDir.exitCode, noDir.stderr]).toEqual([2, 'scryp: --dir is required (see --help)\n']);
  });

  test('a change of another network: CHANGE_OTHER_NETWORK with another --network, and with none (the devnet is the default)', async () => {
    const w = workspace();
    const out = await grownFile(w);
    const otherNet = join(w.dir, 'other.json');
    writeFileSync(otherNet, JSON.stringify(networkToJson(testNetwork({ servers: 3, name: 'othernet' }).network)));
    for (const networkFlag of [['--network', otherNet], []]) {
      const r = await run(['network', 'sign', out, '--dir', w.server(0), ...networkFlag]);
      expect(r.exitCode, show(r)).toBe(1);
      expect(r.stderr).toContain(`CHANGE_OTHER_NETWORK: ${out} is a change of network ${toHex(network.id).slice(0, 16)}…`);
    }
  });

  test('with a chain file: the change is made from the last configuration and signed by its servers; a change of an older one is CHANGE_NOT_CURRENT; a chain that does not verify is CHANGE_CHAIN', async () => {
    const w = workspace();
    const chain = join(w.dir, 'chain.json');
    const committed = { carrier: 10, change: sign(growth, [0, 2]) };
    writeFileSync(chain, JSON.stringify(chainFileJson(network.id, [committed])));
    const one = currentConfiguration(network, { network: network.id, changes: [committed] }, verify);

    // Configuration 1 has five servers: server 0 leaves; 3 of 5 must sign.
    const out = join(w.dir, 'shrink.json');
    const r = await run(['network', 'change', '--network', w.net, '--chain', chain, '--remove', address(servers[0]!), '--out', out]);
    expect(r.exitCode, show(r)).toBe(0);
    expect(r.stdout).toContain('replacing configuration 1 (5 servers)');
    expect(r.stdout).toContain('quorum: 3 of 5 now, 3 of 4 after the change');
    expect(r.stdout).toContain(`--chain ${chain}`);
    const { change } = readChange(out);
    expect([change.replaces, toHex(change.replacesHash)]).toEqual([1, toHex(one.hash)]);
    for (const dir of [w.newcomer(1), w.server(2), w.newcomer(0)]) {
      const s = await run(['network', 'sign', out, '--dir', dir, '--network', w.net, '--chain', chain]);
      expect(s.exitCode, show(s)).toBe(0);
    }
    const signed = readChange(out).change;
    expect(signed.signatures.map((s) => s.signer)).toEqual([2, 3, 4]);
    expect(checkChange(network.id, one, signed, 20, verify).servers).toHaveLength(4);
    expect(readFileSync(out, 'utf8')).toContain(`"key": "${hex(newcomers[0]!)}"`); // signature 3 names server 3's key

    // A change made from configuration 0 once configuration 1 is in force.
    const old = join(w.dir, 'old.json');
    expect((await run(['network', 'change', '--network', w.net, '--remove', hex(servers[0]!), '--out', old])).exitCode).toBe(0);
    const stale = await run(['network', 'sign', old, '--dir', w.server(2), '--network', w.net, '--chain', chain]);
    expect(stale.exitCode, show(stale)).toBe(1);
    expect(stale.stderr).toContain('CHANGE_NOT_CURRENT: the change replaces configuration 0');

    // The chain with a signature moved to another signer: neither command believes it.
    const forged = { ...committed, change: { ...committed.change, signatures: [committed.change.signatures[0]!, { signer: 1, signature: committed.change.signatures[1]!.signature }] } };
    writeFileSync(chain, JSON.stringify(chainFileJson(network.id, [forged])));
    const again = join(w.dir, 'again.json');
    const c = await run(['network', 'change', '--network', w.net, '--chain', chain, '--remove', hex(servers[0]!), '--out', again]);
    expect(c.exitCode, show(c)).toBe(1);
    expect(c.stderr).toContain('CHANGE_CHAIN: the chain file does not follow from the network file: change 1 (carried in period 10): CHANGE_BAD_SIGNATURE');
    expect(existsSync(again)).toBe(false);
    const s = await run(['network', 'sign', old, '--dir', w.server(2), '--network', w.net, '--chain', chain]);
    expect(s.exitCode, show(s)).toBe(1);
    expect(s.stderr).toContain('CHANGE_CHAIN');
    // A chain of another network.
    const otherChain = { network: parseNetwork({ ...networkToJson(network), name: 'othernet' }).id, changes: [] };
    writeFileSync(chain, JSON.stringify(chainFileJson(otherChain.network, otherChain.changes)));
    const o = await run(['network', 'change', '--network', w.net, '--chain', chain, '--remove', hex(servers[0]!), '--out', again]);
    expect([o.exitCode, o.stderr.includes('CHANGE_OTHER_NETWORK: the chain file is for network')]).toEqual([1, true]);
  });
});
