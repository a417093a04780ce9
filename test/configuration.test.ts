// Configurations and changes (src/consensus/configuration.ts, PROTOCOL §3.9, §8.13): the
// bytes (pinned by a golden vector), the rules a change must meet, and the chain of
// changes a new server or a wallet checks from the network file alone.

import { describe, expect, test } from 'bun:test';
import { codeOf } from './helpers/errors.ts';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Reader, toHex } from '../src/bytes.ts';
import {
  type Change,
  changeId,
  changeSigningMessage,
  checkChange,
  chainDigestOf,
  checkServerList,
  type CommittedChange,
  configurationAt,
  configurationsOf,
  decodeChange,
  encodeChange,
  encodeCommittedChange,
  genesisConfiguration,
  readCommittedChange,
} from '../src/consensus/configuration.ts';
import { parseNetwork } from '../src/network.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { type Signer, verify } from '../src/signature.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network, servers } = testNetwork({ servers: 3 });
/** The change of the golden vector: testNetwork's three servers grow to five, signed by servers 0 and 2 (PROTOCOL §12.9). */
const GOLDEN_CHANGE =
  '00000000b80ba3e643245eac5f6a20d2c68560fee31c2db219c5d9c1a210961280bd27b8000000000000000005' +
  '7388d89d99b937cd694a806196a1fd4a2ff7196b9c188861a31c51c372440f7d7f0000011388' +
  '49f73796366e401da0ea47ff2387a1bcc2b1b53949dbf43075f7593ba7899a727f0000011389' +
  '77ca29f9255df5451e55e7b8499c0d2eb677f7c56d6cfa3211c1c5f08274c2437f000001138a' +
  'dba14bac502666b5171ff5b5fbf89de367beafdbc4e1f585bee240ed64b6cc0e7f000001138b' +
  'bfa74662045ba65c963a43ee264047c6d57961d3680b5ddd46e5d5273654d6a57f000001138c' +
  '02' +
  '0000' + '0b1fb97ad8972cce2b7d28c72dee9ee757391c83db1d75797ca392abc40e9ace4489ba7aef03c2581ebda652846576511350bdd6c045187a7030fb3cca21760c' +
  '0002' + 'd2425d9b501d9c926834f68132c1d1fb958675769c12b2f71fbc7b3c4666d5385d2574062502b57142c01de0cb596fa98aa4bc4b4a3efc32e71afba9006e4b00';
const genesis = genesisConfiguration(network);
const newcomers = [testSigner('server 3'), testSigner('server 4')];

function sign(change: Omit<Change, 'signatures'>, signers: { index: number; signer: Signer }[], networkId = network.id): Change {
  const message = changeSigningMessage(networkId, change);
  return { ...change, signatures: signers.map(({ index, signer }) => ({ signer: index, signature: signer.sign(message) })) };
}

function grow(): Omit<Change, 'signatures'> {
  return {
    replaces: 0,
    replacesHash: genesis.hash,
    first: 0,
    servers: [...network.servers.map((s) => ({ key: s.key, address: s.address })), ...newcomers.map((s, i) => ({ key: s.publicKey, address: { host: '127.0.0.1', port: 5003 + i } }))],
  };
}

describe('configuration 0', () => {
  test('is the network file: its servers in order, its quorum; its hash leaves addresses out', () => {
    expect(genesis.number).toBe(0);
    expect(genesis.first).toBe(0);
    expect(genesis.quorum).toBe(network.quorum);
    expect(genesis.servers.map((s) => toHex(s.key))).toEqual(network.servers.map((s) => s.keyHex));
    const moved = parseNetwork({ ...JSON.parse(JSON.stringify(networkJson())), servers: network.servers.map((s, i) => ({ key: s.keyHex, ip: `10.0.0.${i + 1}:7000` })) });
    expect(toHex(genesisConfiguration(moved).hash)).toBe(toHex(genesis.hash));
  });
});

function networkJson() {
  return {
    name: network.name,
    period_ms: network.periodMs,
    blackout_ms: network.blackoutMs,
    skew_ms: network.skewMs,
    servers: network.servers.map((s) => ({ key: s.keyHex, ip: `${s.address.host}:${s.address.port}` })),
    genesis: network.genesis.map((g) => ({ account: toHex(g.account), balance: g.balance })),
  };
}

describe('a change', () => {
  const signed = sign(grow(), [
    { index: 0, signer: servers[0]! },
    { index: 2, signer: servers[2]! },
  ]);

  test('golden vector: the bytes, the id and the configuration it makes when period 10 carries it', () => {
    const bytes = encodeChange(signed);
    // 45-byte head, 5 × 38 bytes of servers, count, 2 × 66 bytes of signatures.
    expect(bytes.length).toBe(45 + 5 * 38 + 1 + 2 * 66);
    expect(toHex(bytes.subarray(0, 45))).toBe(`00000000${toHex(genesis.hash)}000000000000000005`);
    // The configuration hash recomputed here by hand, with node:crypto: tag ‖ network id ‖ number u32 ‖ first u64 ‖ n u8 ‖ keys.
    const byHand = createHash('sha256')
      .update('scryp/config/v1')
      .update(network.id)
      .update(Buffer.from('00000000' + '0000000000000000' + '03', 'hex'))
      .update(Buffer.concat(network.servers.map((s) => s.key)))
      .digest('hex');
    expect(toHex(genesis.hash)).toBe(byHand);
    expect(toHex(genesis.hash)).toBe('b80ba3e643245eac5f6a20d2c68560fee31c2db219c5d9c1a210961280bd27b8');
    expect(toHex(bytes)).toBe(GOLDEN_CHANGE);
    expect(toHex(changeId(signed))).toBe('fc545ca9a7157b69c0f8fe4dcf951036e6b25daa8534fb7ca285f1ff7a6ecf31');
    const next = checkChange(network.id, genesis, decodeChange(bytes), 10, verify);
    expect(next.number).toBe(1);
    expect(next.first).toBe(14);
    expect(next.quorum).toBe(3);
    expect(toHex(next.hash)).toBe('c40fa16a659144f17d9a2c1647239ab9f6211b6a4f112ac06320ba277d6ade13');
  });

  test('round-trips, and every decoder refuses a byte too few or too many', () => {
    const bytes = encodeChange(signed);
    expect(encodeChange(decodeChange(bytes))).toEqual(bytes);
    expect(codeOf(() => decodeChange(bytes.subarray(0, bytes.length - 1)))).toBe('BAD_LENGTH');
    expect(codeOf(() => decodeChange(new Uint8Array([...bytes, 0])))).toBe('BAD_LENGTH');
    const entry: CommittedChange = { carrier: 10, change: signed };
    const reader = new Reader(encodeCommittedChange(entry), 'entry');
    const back = readCommittedChange(reader);
    reader.end();
    expect(back.carrier).toBe(10);
    expect(encodeChange(back.change)).toEqual(bytes);
  });

  test('any flipped bit makes it fail to decode or to check: no byte goes unsigned', () => {
    const bytes = encodeChange(signed);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), (bit) => {
        const flipped = bytes.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(codeOf(() => checkChange(network.id, genesis, decodeChange(flipped), 10, verify))).toMatch(/^[A-Z_]+$/); // a code, never 'no error' or another exception
      }),
      { numRuns: 300 },
    );
  });

  test('is refused with its own code: too few signatures, a stale configuration, a bad signature, too late, another network', () => {
    expect(codeOf(() => checkChange(network.id, genesis, sign(grow(), [{ index: 1, signer: servers[1]! }]), 10, verify))).toBe('CHANGE_SIGNATURES');
    expect(codeOf(() => checkChange(network.id, genesis, sign(grow(), [{ index: 1, signer: servers[1]! }, { index: 0, signer: servers[0]! }]), 10, verify))).toBe('CHANGE_SIGNATURES');
    expect(codeOf(() => checkChange(network.id, genesis, sign(grow(), [{ index: 0, signer: servers[0]! }, { index: 3, signer: newcomers[0]! }]), 10, verify))).toBe('CHANGE_SIGNATURES');
    expect(codeOf(() => checkChange(network.id, genesis, sign(grow(), [{ index: 0, signer: servers[0]! }, { index: 1, signer: servers[2]! }]), 10, verify))).toBe('CHANGE_BAD_SIGNATURE');
    const stale = sign({ ...grow(), replaces: 1 }, [{ index: 0, signer: servers[0]! }, { index: 1, signer: servers[1]! }]);
    expect(codeOf(() => checkChange(network.id, genesis, stale, 10, verify))).toBe('CHANGE_NOT_CURRENT');
    const wrongHash = sign({ ...grow(), replacesHash: new Uint8Array(32) }, [{ index: 0, signer: servers[0]! }, { index: 1, signer: servers[1]! }]);
    expect(codeOf(() => checkChange(network.id, genesis, wrongHash, 10, verify))).toBe('CHANGE_NOT_CURRENT');
    // The first period comes at least change_lead_periods (4) after the period that carries it.
    const at13 = sign({ ...grow(), first: 13 }, [{ index: 0, signer: servers[0]! }, { index: 1, signer: servers[1]! }]);
    expect(codeOf(() => checkChange(network.id, genesis, at13, 10, verify))).toBe('CHANGE_TOO_LATE');
    expect(checkChange(network.id, genesis, at13, 9, verify).first).toBe(13);
    const elsewhere = sign(grow(), [{ index: 0, signer: servers[0]! }, { index: 1, signer: servers[1]! }], new Uint8Array(32).fill(7));
    expect(codeOf(() => checkChange(network.id, genesis, elsewhere, 10, verify))).toBe('CHANGE_BAD_SIGNATURE');
  });

  test('a server list: not empty, no key or address twice, keys someone can sign for', () => {
    const list = grow().servers;
    expect(codeOf(() => checkServerList([]))).toBe('CHANGE_EMPTY');
    expect(codeOf(() => checkServerList([...list, { key: list[0]!.key, address: { host: '127.0.0.1', port: 6000 } }]))).toBe('CHANGE_DUPLICATE_KEY');
    expect(codeOf(() => checkServerList([...list, { key: testSigner('x').publicKey, address: list[1]!.address }]))).toBe('CHANGE_DUPLICATE_ADDRESS');
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expect(codeOf(() => checkServerList([{ key: identity, address: { host: '127.0.0.1', port: 6000 } }]))).toBe('CHANGE_BAD_KEY');
    const empty = encodeChange({ ...signed, servers: [] });
    expect(codeOf(() => decodeChange(empty))).toBe('CHANGE_EMPTY');
  });
});

describe('the state hash binds the chain of changes (PROTOCOL §9)', () => {
  test('golden vector: the genesis state with the golden change carried in period 10, recomputed here with node:crypto', () => {
    const change = sign(grow(), [
      { index: 0, signer: servers[0]! },
      { index: 2, signer: servers[2]! },
    ]);
    const entry: CommittedChange = { carrier: 10, change };
    const digest = chainDigestOf([entry])!;
    const byHand = createHash('sha256').update('scryp/changes/v1').update(new Uint8Array(32)).update(encodeCommittedChange(entry)).digest();
    expect(toHex(digest)).toBe(toHex(byHand));
    expect(toHex(digest)).toBe('5bd41ba18aaa073acd70a4576f74ad15668ab8946976632bce49005a385ec140');
    const root = LedgerState.fromAccounts(network.genesis);
    expect(toHex(root.hash)).toBe('15600303d050d2b8351103d85035221fb487de7b974c27f51e03fe6aa652a635');
    const withChain = LedgerState.fromSortedEntries(new Uint8Array([...root.entries()].flatMap((e) => [...e])), digest);
    const v2 = createHash('sha256').update('scryp/state/v2').update(root.hash).update(digest).digest('hex');
    expect(toHex(withChain.hash)).toBe(v2);
    expect(v2).toBe('1d3119b688241238c0735545552ce42a581fe726af15707be6561bf041ae893a');
    // No change: the hash is the accounts' root, as before changes existed.
    expect(chainDigestOf([])).toBeNull();
    // A second link chains on the first.
    const twice = chainDigestOf([entry, { carrier: 20, change }])!;
    expect(toHex(twice)).toBe(createHash('sha256').update('scryp/changes/v1').update(digest).update(encodeCommittedChange({ carrier: 20, change })).digest('hex'));
  });
});

describe('the chain of changes', () => {
  const first = sign(grow(), [{ index: 0, signer: servers[0]! }, { index: 1, signer: servers[1]! }]);
  const configurations1 = configurationsOf(network, [{ carrier: 10, change: first }], verify);
  const one = configurations1[1]!;
  const all = [...servers, ...newcomers];
  // Shrink back to the first three, signed by a quorum (3 of 5) of configuration 1.
  const shrink = sign({ replaces: 1, replacesHash: one.hash, first: 30, servers: grow().servers.slice(0, 3) }, [2, 3, 4].map((index) => ({ index, signer: all[index]! })));

  test('is checked link by link from the network file', () => {
    const configurations = configurationsOf(network, [{ carrier: 10, change: first }, { carrier: 20, change: shrink }], verify);
    expect(configurations.map((c) => [c.number, c.first, c.servers.length, c.quorum])).toEqual([
      [0, 0, 3, 2],
      [1, 14, 5, 3],
      [2, 30, 3, 2],
    ]);
  });

  test('refuses a link signed by the wrong configuration, out of order, or carried before the previous one starts', () => {
    const byOld = sign({ replaces: 1, replacesHash: one.hash, first: 30, servers: grow().servers.slice(0, 3) }, [0, 1].map((index) => ({ index, signer: servers[index]! })));
    expect(codeOf(() => configurationsOf(network, [{ carrier: 10, change: first }, { carrier: 20, change: byOld }], verify))).toBe('CHANGE_SIGNATURES');
    expect(codeOf(() => configurationsOf(network, [{ carrier: 10, change: first }, { carrier: 10, change: shrink }], verify))).toBe('CHANGE_CHAIN');
    expect(codeOf(() => configurationsOf(network, [{ carrier: 10, change: first }, { carrier: 11, change: shrink }], verify))).toBe('CHANGE_CHAIN');
    expect(codeOf(() => configurationsOf(network, [{ carrier: 20, change: shrink }], verify))).toBe('CHANGE_NOT_CURRENT');
  });

  test('the configuration of a decision is a function of its parent: carried by then, starting by parent + 1; its turns by the period', () => {
    const configurations = configurationsOf(network, [{ carrier: 10, change: first }, { carrier: 20, change: shrink }], verify);
    const carriers = [0, 10, 20];
    const at = (parent: number) => configurationAt(configurations, carriers, parent).number;
    expect([0, 9, 10, 11, 12, 13, 19, 20, 28, 29, 30, 100].map(at)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
    // Whose turn a period is, on a parent: the newest configuration carried by then that has started by that period.
    const turn = (parent: number, period: number) => configurationAt(configurations, carriers, parent, period).number;
    expect([turn(11, 13), turn(11, 14), turn(9, 14), turn(20, 29), turn(20, 30)]).toEqual([0, 1, 0, 1, 2]);
  });
});
