// src/network.ts: the network file and its id. The id is recomputed here from the
// design's byte layout with node:crypto and hand-placed bytes, never with src/ helpers.

import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { isScrypError } from '../src/errors.ts';
import { loadNetworkFile } from '../src/network-file.ts';
import { type Network, networkToJson, parseNetwork } from '../src/network.ts';
import { network_file_bytes_max } from '../src/constants.ts';

const devnetPath = join(import.meta.dir, '..', 'seeds', 'devnet', 'network.json');

/** A distinct public key for index i: a real Ed25519 key (parseNetwork refuses keys no one can sign for). */
const keyCache = new Map<string, string>();
function keyHex(label: string, i: number): string {
  const name = `${label} ${i}`;
  let hex = keyCache.get(name);
  if (hex === undefined) keyCache.set(name, (hex = Buffer.from(ed25519.getPublicKey(createHash('sha256').update(name).digest())).toString('hex')));
  return hex;
}

interface NetworkJson {
  name: unknown;
  period_ms: unknown;
  blackout_ms: unknown;
  skew_ms: unknown;
  servers: unknown;
  genesis: unknown;
  [extra: string]: unknown;
}

function baseJson(): NetworkJson & { servers: { key: unknown; ip: unknown; [extra: string]: unknown }[]; genesis: { account: unknown; balance: unknown; [extra: string]: unknown }[] } {
  return {
    name: 'testnet',
    period_ms: 2000,
    blackout_ms: 200,
    skew_ms: 500,
    servers: [0, 1, 2].map((i) => ({ key: keyHex('server', i), ip: `10.0.0.${i + 1}:4001` })),
    genesis: [0, 1].map((i) => ({ account: keyHex('account', i), balance: 1000 * (i + 1) })),
  };
}

/**
 * The design's network id, byte by byte:
 * sha256("scryp/network/v1" || name_len u8 || name || period_ms u32 || blackout_ms u32 || skew_ms u32 ||
 *        n u16 || key_1 .. key_n || m u32 || (account || balance u32) × m), genesis sorted by account bytes.
 */
type IdJson = { name: string; period_ms: number; blackout_ms: number; skew_ms: number; servers: { key: string }[]; genesis: { account: string; balance: number }[] };

function expectedId(json: IdJson): string {
  return createHash('sha256').update(Buffer.from(expectedPreimageHex(json), 'hex')).digest('hex');
}

/** The bytes the id hashes, laid out by hand. */
function expectedPreimageHex(json: IdJson): string {
  const u32 = (value: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return b;
  };
  const name = Buffer.from(json.name, 'utf8');
  const parts: Buffer[] = [Buffer.from('scryp/network/v1', 'ascii'), Buffer.from([name.length]), name, u32(json.period_ms), u32(json.blackout_ms), u32(json.skew_ms)];
  const n = Buffer.alloc(2);
  n.writeUInt16BE(json.servers.length);
  parts.push(n);
  for (const server of json.servers) parts.push(Buffer.from(server.key, 'hex'));
  parts.push(u32(json.genesis.length));
  const sorted = [...json.genesis].sort((a, b) => Buffer.compare(Buffer.from(a.account, 'hex'), Buffer.from(b.account, 'hex')));
  for (const entry of sorted) parts.push(Buffer.from(entry.account, 'hex'), u32(entry.balance));
  return Buffer.concat(parts).toString('hex');
}

const idHex = (network: Network) => Buffer.from(network.id).toString('hex');

function refusal(json: unknown): { code: string; message: string } {
  try {
    parseNetwork(json);
  } catch (error) {
    if (!isScrypError(error)) return { code: `not a ScrypError: ${String(error)}`, message: '' };
    return { code: error.code, message: error.message };
  }
  return { code: 'accepted', message: '' };
}

describe('the devnet file', () => {
  const json = JSON.parse(readFileSync(devnetPath, 'utf8'));
  const network = parseNetwork(json);

  test('parses with its three servers in order and the whole supply in one account', () => {
    expect(network.name).toBe('devnet');
    expect([network.periodMs, network.blackoutMs, network.skewMs]).toEqual([json.period_ms, json.blackout_ms, json.skew_ms]);
    expect(network.servers.map((s) => s.keyHex)).toEqual(json.servers.map((s: { key: string }) => s.key));
    expect(network.servers.map((s) => `${s.address.host}:${s.address.port}`)).toEqual(['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003']);
    expect(network.servers.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(network.supply).toBe(4_294_967_295);
    expect(network.majority).toBe(2);
  });

  test('its id is the design layout, recomputed independently', () => {
    expect(idHex(network)).toBe(expectedId(json));
  });

  test('networkToJson gives back the same file', () => {
    expect(networkToJson(network)).toEqual(json);
  });
});

describe('the network id', () => {
  test('matches the independent layout for generated networks', () => {
    const arbitrary = fc.record({
      name: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_. é€'.split('')), minLength: 1, maxLength: 20 }),
      period: fc.integer({ min: 50, max: 3_600_000 }),
      blackoutFraction: fc.double({ min: 0, max: 0.999, noNaN: true }),
      skewFraction: fc.double({ min: 0, max: 0.999, noNaN: true }),
      servers: fc.integer({ min: 1, max: 8 }),
      balances: fc.array(fc.integer({ min: 1, max: 500_000_000 }), { maxLength: 8 }),
      salt: fc.nat(),
    });
    fc.assert(
      fc.property(arbitrary, (a) => {
        const json = {
          name: a.name,
          period_ms: a.period,
          blackout_ms: Math.floor(a.blackoutFraction * a.period),
          skew_ms: Math.floor(a.skewFraction * a.period),
          servers: Array.from({ length: a.servers }, (_, i) => ({ key: keyHex(`s${a.salt}`, i), ip: `10.0.${i}.1:${1000 + i}` })),
          genesis: a.balances.map((balance, i) => ({ account: keyHex(`g${a.salt}`, i), balance })),
        };
        expect(idHex(parseNetwork(json))).toBe(expectedId(json));
      }),
      { numRuns: 60 },
    );
  });

  test('addresses do not change the id', () => {
    const json = baseJson();
    const before = idHex(parseNetwork(json));
    json.servers.forEach((server, i) => (server.ip = `192.168.7.${i + 10}:${60000 + i}`));
    expect(idHex(parseNetwork(json))).toBe(before);
  });

  test('genesis order does not change the id, and genesis comes back sorted by account', () => {
    const json = baseJson();
    json.genesis = [0, 1, 2, 3, 4, 5].map((i) => ({ account: keyHex('order', i), balance: i + 1 }));
    const before = idHex(parseNetwork(json));
    const reversed = { ...json, genesis: [...json.genesis].reverse() };
    const rotated = { ...json, genesis: [...json.genesis.slice(3), ...json.genesis.slice(0, 3)] };
    expect(idHex(parseNetwork(reversed))).toBe(before);
    expect(idHex(parseNetwork(rotated))).toBe(before);
    const accounts = parseNetwork(reversed).genesis.map((entry) => Buffer.from(entry.account).toString('hex'));
    expect(accounts).toEqual([...accounts].sort());
  });

  test('everything else it commits to changes it: name, each timing, server order, a key, a balance, an extra account', () => {
    const base = baseJson();
    const before = idHex(parseNetwork(base));
    const variants: [string, (json: ReturnType<typeof baseJson>) => void][] = [
      ['name', (j) => (j.name = 'testnet2')],
      ['period_ms', (j) => (j.period_ms = 2001)],
      ['blackout_ms', (j) => (j.blackout_ms = 201)],
      ['skew_ms', (j) => (j.skew_ms = 501)],
      ['server order', (j) => (j.servers = [j.servers[1]!, j.servers[0]!, j.servers[2]!])],
      ['a server key', (j) => (j.servers[2]!.key = keyHex('other', 9))],
      ['one server fewer', (j) => (j.servers = j.servers.slice(0, 2))],
      ['a balance', (j) => (j.genesis[0]!.balance = 1001)],
      ['an account', (j) => (j.genesis[0]!.account = keyHex('other', 8))],
      ['an extra account', (j) => j.genesis.push({ account: keyHex('other', 7), balance: 1 })],
    ];
    for (const [name, change] of variants) {
      const json = baseJson();
      change(json);
      const id = idHex(parseNetwork(json));
      expect([name, id === before]).toEqual([name, false]);
      expect([name, id]).toEqual([name, expectedId(json as Parameters<typeof expectedId>[0])]);
    }
  });
});

describe('the quorum (PROTOCOL §8.7, §8.11)', () => {
  test('absent or "majority": the same id as before the field existed, a majority quorum, no faulty server tolerated', () => {
    const base = parseNetwork(baseJson());
    const explicit = parseNetwork({ ...baseJson(), quorum: 'majority' });
    expect(Buffer.from(explicit.id).toString('hex')).toBe(Buffer.from(base.id).toString('hex'));
    expect(Buffer.from(base.id).toString('hex')).toBe(expectedId(baseJson() as never));
    expect([base.quorumMode, base.quorum, base.majority, base.faulty]).toEqual(['majority', 2, 2, 0]);
    expect(networkToJson(base)).not.toHaveProperty('quorum');
  });

  test('"two-thirds": the id commits to it (a trailing byte 2), q = ⌊2n/3⌋ + 1 and f = n − q', () => {
    const json = { ...baseJson(), quorum: 'two-thirds' };
    const network = parseNetwork(json);
    const preimage = Buffer.concat([Buffer.from(expectedPreimageHex(baseJson() as never), 'hex'), Buffer.from([2])]);
    expect(Buffer.from(network.id).toString('hex')).toBe(createHash('sha256').update(preimage).digest('hex'));
    expect(Buffer.from(network.id).toString('hex')).not.toBe(Buffer.from(parseNetwork(baseJson()).id).toString('hex'));
    expect(networkToJson(network)).toHaveProperty('quorum', 'two-thirds');
    expect(Buffer.from(parseNetwork(networkToJson(network)).id).toString('hex')).toBe(Buffer.from(network.id).toString('hex'));
    const sizes: [number, number, number, number][] = [];
    for (let n = 1; n <= 10; n++) {
      const servers = Array.from({ length: n }, (_, i) => ({ key: keyHex('q', i), ip: `10.9.0.${i + 1}:4001` }));
      const two = parseNetwork({ ...baseJson(), servers, quorum: 'two-thirds' });
      const one = parseNetwork({ ...baseJson(), servers });
      sizes.push([n, one.quorum, two.quorum, two.faulty]);
      // Any two quorums share more than the faulty servers: 2q − n ≥ f + 1 (and 2q > n in both modes).
      expect(2 * two.quorum - n).toBeGreaterThanOrEqual(two.faulty + 1);
      expect(2 * one.quorum).toBeGreaterThan(n);
    }
    expect(sizes).toEqual([
      [1, 1, 1, 0], [2, 2, 2, 0], [3, 2, 3, 0], [4, 3, 3, 1], [5, 3, 4, 1],
      [6, 4, 5, 1], [7, 4, 5, 2], [8, 5, 6, 2], [9, 5, 7, 2], [10, 6, 7, 3],
    ]);
  });

  for (const bad of ['Majority', 'two_thirds', '', 2, null, ['majority']]) {
    test(`quorum ${JSON.stringify(bad)} is BAD_NETWORK_FILE naming the field`, () => {
      try {
        parseNetwork({ ...baseJson(), quorum: bad });
        throw new Error('accepted');
      } catch (error) {
        expect(isScrypError(error, 'BAD_NETWORK_FILE')).toBe(true);
        expect((error as Error).message).toContain('quorum');
      }
    });
  }
});

describe('the limits that are accepted', () => {
  test('one server is a network, with a majority of one', () => {
    const json = baseJson();
    json.servers = json.servers.slice(0, 1);
    const network = parseNetwork(json);
    expect(network.servers.length).toBe(1);
    expect(network.majority).toBe(1);
  });

  test('64 servers is a network; the majority is always more than half', () => {
    for (const count of [1, 2, 3, 4, 5, 63, 64]) {
      const json = baseJson();
      json.servers = Array.from({ length: count }, (_, i) => ({ key: keyHex('many', i), ip: `10.1.${i >> 8}.${i & 0xff}:4001` }));
      const network = parseNetwork(json);
      expect(network.servers.length).toBe(count);
      expect(2 * network.majority).toBeGreaterThan(count);
      expect(2 * (network.majority - 1)).toBeLessThanOrEqual(count);
    }
  });

  test('the whole supply 2^32 - 1 in one account or split; timings at their bounds; a 64-byte name', () => {
    const json = baseJson();
    json.genesis = [{ account: keyHex('a', 0), balance: 0xffff_ffff }];
    expect(parseNetwork(json).supply).toBe(0xffff_ffff);
    json.genesis = [
      { account: keyHex('a', 0), balance: 0x8000_0000 },
      { account: keyHex('a', 1), balance: 0x7fff_ffff },
    ];
    expect(parseNetwork(json).supply).toBe(0xffff_ffff);
    for (const [period, blackout, skew] of [
      [50, 0, 0],
      [50, 49, 49],
      [3_600_000, 3_599_999, 0],
    ] as const) {
      expect(parseNetwork({ ...baseJson(), period_ms: period, blackout_ms: blackout, skew_ms: skew }).periodMs).toBe(period);
    }
    expect(parseNetwork({ ...baseJson(), name: 'n'.repeat(64) }).name.length).toBe(64);
  });
});

describe('every malformed field is refused with BAD_NETWORK_FILE and a message naming it', () => {
  type Json = ReturnType<typeof baseJson>;
  const cases: [string, string, (json: Json) => unknown][] = [
    // [test name, field the message must name, change to the valid base]
    ['name missing', 'name', (j) => ({ ...j, name: undefined, __drop: 'name' })],
    ['name not a string', 'name', (j) => ({ ...j, name: 5 })],
    ['name empty', 'name', (j) => ({ ...j, name: '' })],
    ['name of 65 bytes', 'name', (j) => ({ ...j, name: 'n'.repeat(65) })],
    ['name of 22 characters but 66 UTF-8 bytes', 'name', (j) => ({ ...j, name: '€'.repeat(22) })],
    ['name with a newline', 'name', (j) => ({ ...j, name: 'a\nb' })],
    ['name with DEL', 'name', (j) => ({ ...j, name: 'a\u007fb' })],
    ['period_ms below 50', 'period_ms', (j) => ({ ...j, period_ms: 49 })],
    ['period_ms above an hour', 'period_ms', (j) => ({ ...j, period_ms: 3_600_001 })],
    ['period_ms fractional', 'period_ms', (j) => ({ ...j, period_ms: 2000.5 })],
    ['period_ms a string', 'period_ms', (j) => ({ ...j, period_ms: '2000' })],
    ['period_ms null', 'period_ms', (j) => ({ ...j, period_ms: null })],
    ['blackout_ms negative', 'blackout_ms', (j) => ({ ...j, blackout_ms: -1 })],
    ['blackout_ms equal to period_ms', 'blackout_ms', (j) => ({ ...j, blackout_ms: 2000 })],
    ['blackout_ms fractional', 'blackout_ms', (j) => ({ ...j, blackout_ms: 0.5 })],
    ['skew_ms negative', 'skew_ms', (j) => ({ ...j, skew_ms: -1 })],
    ['skew_ms equal to period_ms', 'skew_ms', (j) => ({ ...j, skew_ms: 2000 })],
    ['skew_ms a boolean', 'skew_ms', (j) => ({ ...j, skew_ms: true })],
    ['servers not an array', 'servers', (j) => ({ ...j, servers: {} })],
    ['0 servers', 'servers', (j) => ({ ...j, servers: [] })],
    ['65 servers', 'servers', (j) => ({ ...j, servers: Array.from({ length: 65 }, (_, i) => ({ key: keyHex('many', i), ip: `10.2.0.${i}:4001` })) })],
    ['servers[1] not an object', 'servers[1]', (j) => ({ ...j, servers: [j.servers[0], 'x', j.servers[2]] })],
    ['servers[1].key uppercase', 'servers[1].key', (j) => ((j.servers[1]!.key = keyHex('server', 1).toUpperCase()), j)],
    ['servers[1].key 63 hex', 'servers[1].key', (j) => ((j.servers[1]!.key = keyHex('server', 1).slice(1)), j)],
    ['servers[1].key 66 hex', 'servers[1].key', (j) => ((j.servers[1]!.key = `${keyHex('server', 1)}00`), j)],
    ['servers[1].key a number', 'servers[1].key', (j) => ((j.servers[1]!.key = 7), j)],
    ['servers[1].key missing', 'servers[1].key', (j) => (delete j.servers[1]!.key, j)],
    ['servers[2].ip without a port', 'servers[2].ip', (j) => ((j.servers[2]!.ip = '10.0.0.3'), j)],
    ['servers[2].ip with port 0', 'servers[2].ip', (j) => ((j.servers[2]!.ip = '10.0.0.3:0'), j)],
    ['servers[2].ip with port 65536', 'servers[2].ip', (j) => ((j.servers[2]!.ip = '10.0.0.3:65536'), j)],
    ['servers[2].ip a host name', 'servers[2].ip', (j) => ((j.servers[2]!.ip = 'localhost:4001'), j)],
    ['servers[2].ip a part over 255', 'servers[2].ip', (j) => ((j.servers[2]!.ip = '10.0.0.256:4001'), j)],
    ['servers[2].ip missing', 'servers[2].ip', (j) => (delete j.servers[2]!.ip, j)],
    ['servers[2].ip a number', 'servers[2].ip', (j) => ((j.servers[2]!.ip = 4001), j)],
    ['servers[1] unknown field', 'servers[1].name', (j) => ((j.servers[1]!.name = 'b'), j)],
    ['servers[1].key the identity point (anyone could sign for it)', 'servers[1].key', (j) => ((j.servers[1]!.key = `01${'00'.repeat(31)}`), j)],
    ['servers[1].key a point of order 8', 'servers[1].key', (j) => ((j.servers[1]!.key = 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), j)],
    ['servers[1].key non-canonical (y = p)', 'servers[1].key', (j) => ((j.servers[1]!.key = `ed${'ff'.repeat(30)}7f`), j)],
    ['servers[1].key not a point (y = 2)', 'servers[1].key', (j) => ((j.servers[1]!.key = `02${'00'.repeat(31)}`), j)],
    ['duplicate server key', 'servers[2].key', (j) => ((j.servers[2]!.key = j.servers[0]!.key), j)],
    ['duplicate server address', 'servers[1].ip', (j) => ((j.servers[1]!.ip = j.servers[0]!.ip), j)],
    ['genesis not an array', 'genesis', (j) => ({ ...j, genesis: 'all' })],
    ['genesis[1] not an object', 'genesis[1]', (j) => ({ ...j, genesis: [j.genesis[0], [1]] })],
    ['genesis[1].account bad hex', 'genesis[1].account', (j) => ((j.genesis[1]!.account = 'zz'.repeat(32)), j)],
    ['genesis[1].account uppercase', 'genesis[1].account', (j) => ((j.genesis[1]!.account = keyHex('account', 1).toUpperCase()), j)],
    ['genesis[1].account the identity point', 'genesis[1].account', (j) => ((j.genesis[1]!.account = `01${'00'.repeat(31)}`), j)],
    ['genesis[1].account not a point', 'genesis[1].account', (j) => ((j.genesis[1]!.account = `02${'00'.repeat(31)}`), j)],
    ['genesis[1].account missing', 'genesis[1].account', (j) => (delete j.genesis[1]!.account, j)],
    ['genesis[1].account duplicate', 'genesis[1].account', (j) => ((j.genesis[1]!.account = j.genesis[0]!.account), j)],
    ['genesis[0].balance zero', 'genesis[0].balance', (j) => ((j.genesis[0]!.balance = 0), j)],
    ['genesis[0].balance negative', 'genesis[0].balance', (j) => ((j.genesis[0]!.balance = -5), j)],
    ['genesis[0].balance fractional', 'genesis[0].balance', (j) => ((j.genesis[0]!.balance = 1.5), j)],
    ['genesis[0].balance 2^32', 'genesis[0].balance', (j) => ((j.genesis[0]!.balance = 2 ** 32), j)],
    ['genesis[0].balance a string', 'genesis[0].balance', (j) => ((j.genesis[0]!.balance = '1000'), j)],
    ['genesis[0].balance missing', 'genesis[0].balance', (j) => (delete j.genesis[0]!.balance, j)],
    ['genesis[0] unknown field', 'genesis[0].note', (j) => ((j.genesis[0]!.note = 'x'), j)],
    [
      'supply over 2^32 - 1 across accounts',
      'genesis[1].balance',
      (j) => ({
        ...j,
        genesis: [
          { account: keyHex('a', 0), balance: 0x8000_0000 },
          { account: keyHex('a', 1), balance: 0x8000_0000 },
        ],
      }),
    ],
    ['servers with a hole (sparse array)', 'servers[1]', (j) => ({ ...j, servers: [j.servers[0], , j.servers[2]] })],
    ['genesis with a hole (sparse array)', 'genesis[0]', (j) => ({ ...j, genesis: [, j.genesis[1]] })],
    ['servers[0] a typed array, not a JSON object', 'servers[0]', (j) => ({ ...j, servers: [new Uint8Array(2), j.servers[1]] })],
    ['genesis[0] a Date, not a JSON object', 'genesis[0]', (j) => ({ ...j, genesis: [new Date(0)] })],
    ['unknown top-level field', 'extra', (j) => ({ ...j, extra: 1 })],
    ['top level not an object', '', () => []],
  ];
  for (const field of ['name', 'period_ms', 'blackout_ms', 'skew_ms', 'servers', 'genesis']) {
    cases.push([`${field} missing (deleted)`, field, (j) => {
      const copy: Record<string, unknown> = { ...j };
      delete copy[field];
      return copy;
    }]);
  }

  for (const [name, field, change] of cases) {
    test(name, () => {
      let json = change(baseJson()) as Record<string, unknown>;
      if (typeof json === 'object' && json !== null && '__drop' in json) {
        const { __drop, ...rest } = json;
        delete rest[String(__drop)];
        json = rest;
      }
      const { code, message } = refusal(json);
      expect(code).toBe('BAD_NETWORK_FILE');
      expect(message).toContain(field);
    });
  }

  test('the valid base used by every case above is accepted', () => {
    expect(refusal(baseJson()).code).toBe('accepted');
  });
});

describe('loadNetworkFile: reading the file', () => {
  const withDir = (body: (dir: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'scryp-network-file-'));
    try {
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const refusal = (path: string): string => {
    try {
      loadNetworkFile(path);
    } catch (error) {
      expect(isScrypError(error)).toBe(true);
      expect((error as { code: string }).code).toBe('BAD_NETWORK_FILE');
      return (error as Error).message;
    }
    throw new Error(`${path} was accepted`);
  };

  test('the devnet file loads, and gives the same network as parsing its JSON', () => {
    const loaded = loadNetworkFile(devnetPath);
    expect(loaded.id).toEqual(parseNetwork(JSON.parse(readFileSync(devnetPath, 'utf8'))).id);
  });

  test('a missing file, a directory, a file that is not JSON, one over the size limit: BAD_NETWORK_FILE naming the path and the reason', () => {
    withDir((dir) => {
      expect(refusal(join(dir, 'absent.json'))).toMatch(/absent\.json: cannot read/);
      expect(refusal(dir)).toContain(dir);
      writeFileSync(join(dir, 'text.json'), 'servers: three');
      expect(refusal(join(dir, 'text.json'))).toMatch(/text\.json: not JSON/);
      writeFileSync(join(dir, 'big.json'), ' '.repeat(network_file_bytes_max + 1));
      expect(refusal(join(dir, 'big.json'))).toMatch(/big\.json: .* is over the .*-byte limit/);
      // Valid JSON, invalid network: the field is named, with the file.
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...JSON.parse(readFileSync(devnetPath, 'utf8')), period_ms: 0 }));
      expect(refusal(join(dir, 'bad.json'))).toMatch(/bad\.json.*period_ms/);
    });
  });
});
