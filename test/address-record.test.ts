// Moving a server (docs/PROTOCOL.md §3.10): the signed address record (src/address-record.ts),
// the ADDRESS message and the ADDRESSES request/reply, what a server's core does with a
// record (src/node/addresses.ts), and what a client keeps (src/client/addresses.ts).

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AddressRecord,
  addressOf,
  addressRecordSigningMessage,
  checkAddressRecord,
  decodeAddressRecord,
  encodeAddressRecord,
  isNewer,
  nextSequence,
  signAddressRecord,
} from '../src/address-record.ts';
import { concat, fromHex, toHex, utf8 } from '../src/bytes.ts';
import { addressRecordsThatFit, decodeReply, decodeRequest, encodeReply, encodeRequest, Kind, requestBytesFor, Status } from '../src/client/codec.ts';
import { newestRecords, withAddresses } from '../src/client/addresses.ts';
import { address_resend_periods } from '../src/constants.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { MemoryStore, type Store } from '../src/ledger/store.ts';
import { SqliteStore } from '../src/ledger/sqlite-store.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseNetwork } from '../src/network.ts';
import { ServerCore } from '../src/node/core.ts';
import { decodeMessage, encodeMessage, MessageKind } from '../src/peer/messages.ts';
import { signerFromSeed, verify } from '../src/signature.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

// ---- the golden vector -------------------------------------------------------------------

const golden = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'golden.json'), 'utf8')) as {
  keys: Record<string, { seed: string }>;
  vectors: { name: string; type: string; fields: Record<string, unknown>; hex?: string; [extra: string]: unknown }[];
};
const vector = golden.vectors.find((candidate) => candidate.type === 'address record')!;
const goldenNetwork = parseNetwork(golden.vectors.find((candidate) => candidate.type === 'network' && (candidate.fields.json as { name: string }).name === 'golden')!.fields.json);
const goldenBytes = fromHex(vector.hex!, 110, 'hex');

describe('the address record', () => {
  test('golden vector: server 1 of the golden network at 198.51.100.7:4002, sequence 1767225600123', () => {
    const record = decodeAddressRecord(goldenBytes);
    expect(toHex(record.key)).toBe(toHex(goldenNetwork.servers[1]!.key));
    expect(addressOf(record)).toEqual({ host: '198.51.100.7', port: 4002 });
    expect(record.sequence).toBe(1_767_225_600_123);
    expect(toHex(encodeAddressRecord(record))).toBe(vector.hex!);
    // The layout by hand: key || c6 33 64 07 0f a2 || sequence u64 || signature.
    expect(vector.hex!.slice(64, 76)).toBe('c63364070fa2');
    expect(vector.hex!.slice(76, 92)).toBe((1_767_225_600_123).toString(16).padStart(16, '0'));
    expect(checkAddressRecord(goldenNetwork, record, verify)).toBe(1);
    // Re-signed from the golden seed: the same bytes (Ed25519 is deterministic).
    const signer = signerFromSeed(fromHex(golden.keys['server 1']!.seed, 32, 'seed'));
    expect(toHex(encodeAddressRecord(signAddressRecord(signer, goldenNetwork.id, { host: '198.51.100.7', port: 4002 }, 1_767_225_600_123)))).toBe(vector.hex!);
    expect(toHex(addressRecordSigningMessage(goldenNetwork.id, record))).toBe(toHex(concat(utf8('scryp/address/v1'), goldenNetwork.id, goldenBytes.subarray(0, 46))));
  });

  test('any flipped bit of the golden record: refused, by the decoder or by the check', () => {
    for (let i = 0; i < 110; i++) {
      for (const bit of [0x01, 0x80]) {
        const bytes = goldenBytes.slice();
        bytes[i]! ^= bit;
        let verdict: number | string;
        try {
          verdict = checkAddressRecord(goldenNetwork, decodeAddressRecord(bytes), verify);
        } catch (error) {
          verdict = (error as { code?: string }).code ?? 'thrown';
        }
        expect([i, bit, typeof verdict === 'number' && verdict >= 0]).toEqual([i, bit, false]);
      }
    }
  });

  test('a record of another network (same keys, another name) does not verify', () => {
    const record = decodeAddressRecord(goldenBytes);
    const json = golden.vectors.find((candidate) => candidate.type === 'network' && (candidate.fields.json as { name: string }).name === 'golden')!.fields.json as object;
    const other = parseNetwork({ ...json, name: 'not golden' });
    expect(toHex(other.servers[1]!.key)).toBe(toHex(record.key));
    expect(checkAddressRecord(other, record, verify)).toBe(-2);
  });

  test('a key that is not a server of the network: -1; a server signing for another: -2', () => {
    const { network, servers } = testNetwork();
    const stranger = signAddressRecord(testSigner('stranger'), network.id, { host: '10.9.9.9', port: 9 }, 5);
    expect(checkAddressRecord(network, stranger, verify)).toBe(-1);
    const forged = { ...signAddressRecord(servers[2]!, network.id, { host: '10.9.9.9', port: 9 }, 5), key: servers[1]!.publicKey };
    expect(checkAddressRecord(network, forged, verify)).toBe(-2);
  });

  test('round trip of any record; strict: wrong length is BAD_LENGTH, port 0 is BAD_ADDRESS', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 65535 })),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (key, [a, b, c, d, port], sequence, signature) => {
          const record: AddressRecord = { key, address: Uint8Array.of(a, b, c, d, port >> 8, port & 0xff), sequence, signature };
          const bytes = encodeAddressRecord(record);
          expect(bytes.length).toBe(110);
          expect(decodeAddressRecord(bytes)).toEqual(record);
          expect(addressOf(record)).toEqual({ host: `${a}.${b}.${c}.${d}`, port });
        },
      ),
      { numRuns: 200 },
    );
    expect(codeOf(() => decodeAddressRecord(goldenBytes.subarray(0, 109)))).toBe('BAD_LENGTH');
    expect(codeOf(() => decodeAddressRecord(concat(goldenBytes, Uint8Array.of(0))))).toBe('BAD_LENGTH');
    const portZero = goldenBytes.slice();
    portZero[36] = 0;
    portZero[37] = 0;
    expect(codeOf(() => decodeAddressRecord(portZero))).toBe('BAD_ADDRESS');
  });

  test('newer means a higher sequence; the network file is sequence 0; a move signs max(last + 1, now)', () => {
    const record = decodeAddressRecord(goldenBytes);
    expect(isNewer(record, null)).toBe(true);
    expect(isNewer({ ...record, sequence: 0 }, null)).toBe(false);
    expect(isNewer(record, record)).toBe(false);
    expect(isNewer({ ...record, sequence: record.sequence - 1 }, record)).toBe(false);
    expect(isNewer({ ...record, sequence: record.sequence + 1 }, record)).toBe(true);
    expect(nextSequence(0, 1_000)).toBe(1_000);
    expect(nextSequence(5_000, 1_000)).toBe(5_001); // a clock set back still moves forward
  });
});

// ---- ADDRESS and ADDRESSES on the wire -----------------------------------------------------

describe('ADDRESS message and ADDRESSES request/reply', () => {
  const record = decodeAddressRecord(goldenBytes);

  test('ADDRESS (0x0f) carries one record, exactly 110 bytes', () => {
    const raw = encodeMessage({ type: 'address', record });
    expect(raw.kind).toBe(MessageKind.ADDRESS);
    expect(toHex(raw.payload)).toBe(vector.hex!);
    expect(decodeMessage(raw)).toEqual({ type: 'address', record });
    expect(codeOf(() => decodeMessage({ kind: 0x0f, payload: goldenBytes.subarray(1) }))).toBe('BAD_LENGTH');
  });

  test('ADDRESSES (0x08): from u16; the request is padded to the reply with min(n, 10) records', () => {
    expect(requestBytesFor(Kind.ADDRESSES, 3)).toBe(9 + 1 + 3 * 110 + 96);
    expect(requestBytesFor(Kind.ADDRESSES, 64)).toBe(9 + 1 + 10 * 110 + 96);
    expect(requestBytesFor(Kind.ADDRESSES, 64)).toBeLessThanOrEqual(1232);
    const bytes = encodeRequest({ kind: Kind.ADDRESSES, requestId: 9, from: 0x0102, length: 436 });
    expect(toHex(bytes.subarray(0, 10))).toBe('53430108000000090102');
    expect(decodeRequest(bytes)).toEqual({ kind: Kind.ADDRESSES, requestId: 9, from: 0x0102, length: 436 });
    expect(codeOf(() => decodeRequest(concat(bytes.subarray(0, 435), Uint8Array.of(1))))).toBe('BAD_PADDING');
  });

  test('as many records as fit the request: never a reply longer than it', () => {
    expect(addressRecordsThatFit(128)).toBe(0); // the empty list (106 bytes) fits; one record (216) does not
    expect(addressRecordsThatFit(216)).toBe(1);
    expect(addressRecordsThatFit(436)).toBe(3);
    expect(addressRecordsThatFit(1232)).toBe(10);
    for (let records = 0; records <= 10; records++) {
      const reply = encodeReply(Kind.ADDRESSES, 1, Status.OK, { records: Array.from({ length: records }, () => record) }, testSigner('server 0'), goldenNetwork.id);
      expect(reply.length).toBe(106 + 110 * records);
      expect(addressRecordsThatFit(reply.length)).toBe(records);
    }
  });

  test('a reply decodes strictly: count within 10 and filling the body, each record strict', () => {
    const signer = testSigner('server 0');
    const reply = encodeReply(Kind.ADDRESSES, 1, Status.OK, { records: [record, record] }, signer, goldenNetwork.id);
    const decoded = decodeReply(reply);
    expect(decoded.body).toEqual({ records: [record, record] });
    const tooMany = reply.slice();
    tooMany[9] = 11;
    expect(codeOf(() => decodeReply(tooMany))).toBe('BAD_REPLY');
    const short = reply.slice();
    short[9] = 1;
    expect(codeOf(() => decodeReply(short))).toBe('BAD_REPLY');
    const portZero = reply.slice();
    portZero[9 + 1 + 36] = 0;
    portZero[9 + 1 + 37] = 0;
    expect(codeOf(() => decodeReply(portZero))).toBe('BAD_REPLY');
  });
});

// ---- the client keeps the newest valid record per server -----------------------------------

describe('client: the newest valid record per server', () => {
  const { network, servers } = testNetwork();

  test('the highest sequence wins; a forged or foreign record is refused; the id stays', () => {
    const old = signAddressRecord(servers[1]!, network.id, { host: '10.0.0.1', port: 7001 }, 100);
    const newer = signAddressRecord(servers[1]!, network.id, { host: '10.0.0.2', port: 7002 }, 200);
    const forged = { ...signAddressRecord(servers[1]!, network.id, { host: '6.6.6.6', port: 666 }, 999), signature: new Uint8Array(64).fill(7) };
    const stranger = signAddressRecord(testSigner('stranger'), network.id, { host: '6.6.6.6', port: 666 }, 999);
    const { records, refused } = newestRecords(network, [old, forged, newer, stranger, old]);
    expect(refused).toBe(2);
    expect(records[0]).toBeNull();
    expect(records[1]).toEqual(newer);
    const inForce = withAddresses(network, records);
    expect(inForce.servers[1]!.address).toEqual({ host: '10.0.0.2', port: 7002 });
    expect(inForce.servers[0]!.address).toEqual(network.servers[0]!.address);
    expect(toHex(inForce.id)).toBe(toHex(network.id));
    expect(withAddresses(network, [null, null, null])).toBe(network);
  });
});

// ---- the core: what a server does with a record ---------------------------------------------

function coreOf(network: ReturnType<typeof testNetwork>['network'], signer: ReturnType<typeof testSigner>, self: number, store: Store, now: number) {
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message) };
  return { core: new ServerCore({ network, selfIndex: self, signer, store, verify, log, now }), warnings };
}

function storeOf(network: ReturnType<typeof testNetwork>['network']): MemoryStore {
  const store = new MemoryStore(ServerCore.genesisFor(network));
  store.seedGenesis(LedgerState.fromAccounts(network.genesis).entries());
  return store;
}

describe('a server and the records it hears (node/addresses.ts)', () => {
  const { network, servers } = testNetwork({ servers: 4 });
  const now = 1_767_225_600_000;
  const moved = signAddressRecord(servers[1]!, network.id, { host: '10.1.1.1', port: 7001 }, 500);

  test('valid and newer: kept on disk, in force, the node told to redial, passed on once to every other server', () => {
    const store = storeOf(network);
    const { core } = coreOf(network, servers[0]!, 0, store, now);
    core.onMessage(2, { type: 'address', record: moved }, now);
    expect(core.addressOf(1)).toEqual({ host: '10.1.1.1', port: 7001 });
    expect(core.movedServers.splice(0)).toEqual([{ server: 1, address: { host: '10.1.1.1', port: 7001 } }]);
    expect(store.addressRecords().map(toHex)).toEqual([toHex(encodeAddressRecord(moved))]);
    const relayed = core.outbox.splice(0).filter((out) => out.message.type === 'address');
    expect(relayed.map((out) => out.to).sort()).toEqual([1, 3]); // not back to server 2, not to itself
    // The same again (a re-send): not newer, nothing passed on.
    core.onMessage(3, { type: 'address', record: moved }, now);
    expect(core.outbox.filter((out) => out.message.type === 'address')).toEqual([]);
    expect(core.movedServers).toEqual([]);
    expect(core.counters.get('address_not_newer')).toBe(1);
    expect(core.counters.get('address_learned')).toBe(1);
  });

  test('older, forged, foreign: counted and ignored; the address in force stays', () => {
    const store = storeOf(network);
    const { core } = coreOf(network, servers[0]!, 0, store, now);
    core.onMessage(2, { type: 'address', record: moved }, now);
    core.outbox.splice(0);
    core.movedServers.splice(0);
    const older = signAddressRecord(servers[1]!, network.id, { host: '10.6.6.6', port: 6666 }, 499);
    const forged = { ...signAddressRecord(servers[1]!, network.id, { host: '10.6.6.6', port: 6666 }, 9_999), signature: moved.signature };
    const byAnother = { ...signAddressRecord(servers[2]!, network.id, { host: '10.6.6.6', port: 6666 }, 9_999), key: servers[1]!.publicKey };
    const otherNetwork = signAddressRecord(servers[1]!, new Uint8Array(32).fill(1), { host: '10.6.6.6', port: 6666 }, 9_999);
    const stranger = signAddressRecord(testSigner('stranger'), network.id, { host: '10.6.6.6', port: 6666 }, 9_999);
    for (const record of [older, forged, byAnother, otherNetwork, stranger]) core.onMessage(3, { type: 'address', record }, now);
    expect(core.addressOf(1)).toEqual({ host: '10.1.1.1', port: 7001 });
    expect(core.movedServers).toEqual([]);
    expect(core.outbox.filter((out) => out.message.type === 'address')).toEqual([]);
    expect(core.counters.get('address_not_newer')).toBe(1);
    expect(core.counters.get('address_bad_signature')).toBe(3);
    expect(core.counters.get('address_unknown_key')).toBe(1);
    expect(store.addressRecords().length).toBe(1);
  });

  test('a newer record of our own key is kept, with a warning, and never redials anything', () => {
    const store = storeOf(network);
    const { core, warnings } = coreOf(network, servers[0]!, 0, store, now);
    const ours = signAddressRecord(servers[0]!, network.id, { host: '10.2.2.2', port: 7002 }, 800);
    core.onMessage(1, { type: 'address', record: ours }, now);
    expect(core.addressRecordOf(0)).toEqual(ours);
    expect(core.movedServers).toEqual([]);
    expect(warnings.some((line) => line.includes('another instance'))).toBe(true);
    // Our next move signs above it.
    const next = core.moveTo({ host: '10.3.3.3', port: 7003 }, 100)!;
    expect(next.sequence).toBe(801);
  });

  test('moving: a new record only when the address differs, kept across a restart, announced, re-sent every 16 periods, listed', () => {
    const store = storeOf(network);
    const { core } = coreOf(network, servers[2]!, 2, store, now);
    expect(core.moveTo(network.servers[2]!.address, now)).toBeNull(); // the file's address: nothing to sign
    core.announceAddress();
    expect(core.outbox.filter((out) => out.message.type === 'address')).toEqual([]);
    const record = core.moveTo({ host: '10.4.4.4', port: 7004 }, now)!;
    expect(record.sequence).toBe(now);
    expect(checkAddressRecord(network, record, verify)).toBe(2);
    expect(core.moveTo({ host: '10.4.4.4', port: 7004 }, now + 5)).toBeNull();
    // A restart on the same store: the record is still in force, and announced at start.
    const again = coreOf(network, servers[2]!, 2, store, now + 1000).core;
    expect(again.addressOf(2)).toEqual({ host: '10.4.4.4', port: 7004 });
    again.announceAddress();
    expect(again.outbox.splice(0)).toEqual([{ to: 'others', message: { type: 'address', record } }]);
    // It also learns server 1's move, then re-sends both at a period divisible by 16, and only then.
    again.onMessage(0, { type: 'address', record: moved }, now + 1000);
    again.outbox.splice(0);
    const period = Math.ceil((Math.floor((now + 1000) / network.periodMs) + 4) / address_resend_periods) * address_resend_periods;
    for (let k = period - 3; k <= period; k++) {
      again.tick(k * network.periodMs + 1);
    }
    const resent = again.outbox.splice(0).filter((out) => out.message.type === 'address');
    expect(resent.map((out) => (out.message as { record: AddressRecord }).record.sequence).sort()).toEqual([500, now].sort());
    expect(resent.every((out) => out.to === 'others')).toBe(true);
    expect(period % address_resend_periods).toBe(0);
    // ADDRESSES lists by server index from `from`, as many as asked.
    expect(again.addressRecords(0, 10)).toEqual({ records: [moved, record], more: false });
    expect(again.addressRecords(0, 1)).toEqual({ records: [moved], more: true });
    expect(again.addressRecords(2, 10)).toEqual({ records: [record], more: false });
    expect(again.addressRecords(3, 10)).toEqual({ records: [], more: false });
  });
});

describe('SQLite keeps the records across a restart', () => {
  test('recordAddress replaces per key; a reopened store and a new core still have the move', () => {
    const { network, servers } = testNetwork();
    const dir = mkdtempSync(join(tmpdir(), 'scryp-address-'));
    try {
      const genesisState = LedgerState.fromAccounts(network.genesis);
      const open = () => new SqliteStore(dir, network.id, ServerCore.genesisFor(network), () => genesisState.entries());
      const first = open();
      const { core } = coreOf(network, servers[0]!, 0, first, 1_767_225_600_000);
      const older = signAddressRecord(servers[1]!, network.id, { host: '10.1.1.1', port: 7001 }, 10);
      const newer = signAddressRecord(servers[1]!, network.id, { host: '10.1.1.2', port: 7002 }, 20);
      core.onMessage(2, { type: 'address', record: older }, 0);
      core.onMessage(2, { type: 'address', record: newer }, 0);
      core.moveTo({ host: '10.0.0.5', port: 7005 }, 1_767_225_600_000);
      expect(first.addressRecords().length).toBe(2);
      first.close();
      const second = open();
      const again = coreOf(network, servers[0]!, 0, second, 1_767_225_601_000).core;
      expect(again.addressOf(1)).toEqual({ host: '10.1.1.2', port: 7002 });
      expect(again.addressOf(0)).toEqual({ host: '10.0.0.5', port: 7005 });
      expect(again.addressOf(2)).toEqual(network.servers[2]!.address);
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
