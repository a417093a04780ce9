// Gateway records (src/gateway-record.ts, PROTOCOL §3.11): the bytes servers pass to each
// other, built by hand and compared; strict decoding; and what a server's core does with
// them (src/node/gateways.ts over server-records.ts): newest sequence wins, forged, foreign
// and older ones dropped and counted, passed on once, re-sent, kept in SQLite across a
// restart, and listed for the servers in force only.

import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gateway_resend_periods } from '../src/constants.ts';
import { concat, toHex, utf8, Writer } from '../src/bytes.ts';
import { domain } from '../src/hash.ts';
import {
  checkGatewayRecord,
  decodeGatewayRecord,
  encodeGatewayRecord,
  type GatewayRecord,
  gatewayRecordSigningMessage,
  gatewayRecordsFromJson,
  gatewayRecordToJson,
  signGatewayRecord,
} from '../src/gateway-record.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { SqliteStore } from '../src/ledger/sqlite-store.ts';
import { MemoryStore, type Store } from '../src/ledger/store.ts';
import { ServerCore } from '../src/node/core.ts';
import { decodeMessage, encodeMessage } from '../src/peer/messages.ts';
import { verify } from '../src/signature.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network, servers } = testNetwork({ servers: 4 });
const now = 1_767_225_600_000;

describe('the gateway record, byte by byte', () => {
  const record = signGatewayRecord(servers[1]!, network.id, 'https://pay.example.org/', 42);

  test('between servers: key || sequence u64 || url_len u8 || url || signature; signed over the domain, the network id and all before the signature', () => {
    const url = utf8('https://pay.example.org/');
    const signed = new Writer(32 + 8 + 1 + url.length).put(servers[1]!.publicKey).u64(42).u8(url.length).put(url).done();
    expect(toHex(encodeGatewayRecord(record))).toBe(toHex(concat(signed, record.signature)));
    expect(toHex(gatewayRecordSigningMessage(network.id, record))).toBe(toHex(concat(utf8('scryp/gateway/v1'), network.id, signed)));
    expect(toHex(domain.gateway)).toBe(toHex(utf8('scryp/gateway/v1')));
    expect(verify(record.signature, gatewayRecordSigningMessage(network.id, record), servers[1]!.publicKey)).toBe(true);
    expect(decodeGatewayRecord(encodeGatewayRecord(record))).toEqual(record);
    expect(checkGatewayRecord(network, record, verify)).toBe(1);
  });

  test('decoding is strict: trailing bytes, a short record, a URL that is not UTF-8, not http(s), empty or over 200 bytes', () => {
    const bytes = encodeGatewayRecord(record);
    expect(codeOf(() => decodeGatewayRecord(concat(bytes, Uint8Array.of(0))))).toBe('BAD_LENGTH');
    expect(codeOf(() => decodeGatewayRecord(bytes.subarray(0, bytes.length - 1)))).toBe('BAD_LENGTH');
    const withUrl = (url: Uint8Array) => concat(bytes.subarray(0, 40), Uint8Array.of(url.length), url, record.signature);
    expect(codeOf(() => decodeGatewayRecord(withUrl(Uint8Array.of(0x68, 0xff, 0x74))))).toBe('BAD_GATEWAY_URL');
    expect(codeOf(() => decodeGatewayRecord(withUrl(utf8('ftp://pay.example.org/'))))).toBe('BAD_GATEWAY_URL');
    expect(codeOf(() => decodeGatewayRecord(withUrl(utf8('https://user:pw@pay.example.org/'))))).toBe('BAD_GATEWAY_URL');
    expect(codeOf(() => decodeGatewayRecord(withUrl(new Uint8Array(0))))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => decodeGatewayRecord(withUrl(utf8(`https://${'a'.repeat(200)}.org/`))))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => signGatewayRecord(servers[1]!, network.id, `https://${'é'.repeat(100)}.org/`, 1))).toBe('OUT_OF_RANGE'); // 200 bytes of é alone
    // A URL of 200 bytes exactly is taken.
    const longest = `https://${'a'.repeat(200 - 'https://'.length - '.org'.length)}.org`;
    expect(utf8(longest).length).toBe(200);
    expect(decodeGatewayRecord(encodeGatewayRecord(signGatewayRecord(servers[1]!, network.id, longest, 1))).url).toBe(longest);
  });

  test('the GATEWAY message carries exactly the record', () => {
    const raw = encodeMessage({ type: 'gateway', record });
    expect(raw.kind).toBe(0x11);
    expect(toHex(raw.payload)).toBe(toHex(encodeGatewayRecord(record)));
    expect(decodeMessage(raw)).toEqual({ type: 'gateway', record });
  });

  test('JSON as GET /v1/gateways lists it reads back to the same record', () => {
    const json = JSON.parse(JSON.stringify([gatewayRecordToJson(record)]));
    expect(json).toEqual([{ key: toHex(servers[1]!.publicKey), url: 'https://pay.example.org/', sequence: 42, signature: toHex(record.signature) }]);
    expect(gatewayRecordsFromJson(json)).toEqual({ records: [record], unreadable: 0 });
  });
});

// ---- the core: what a server does with a record ---------------------------------------------

function storeOf(): MemoryStore {
  const store = new MemoryStore(ServerCore.genesisFor(network));
  store.seedGenesis(LedgerState.fromAccounts(network.genesis).entries());
  return store;
}

function coreOf(self: number, store: Store, at = now) {
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message) };
  return { core: new ServerCore({ network, selfIndex: self, signer: servers[self]!, store, verify, log, now: at }), warnings };
}

const gatewaysSent = (core: ServerCore) => core.outbox.splice(0).filter((out) => out.message.type === 'gateway');

describe('a server and the gateway records it hears (node/gateways.ts)', () => {
  const first = signGatewayRecord(servers[1]!, network.id, 'https://one.example/', 500);

  test('valid and newer: kept on disk, listed, passed on once to every other server; the same again stops there', () => {
    const store = storeOf();
    const { core } = coreOf(0, store);
    core.onMessage(2, { type: 'gateway', record: first }, now);
    expect(core.gatewayRecords()).toEqual([first]);
    expect(store.gatewayRecords().map(toHex)).toEqual([toHex(encodeGatewayRecord(first))]);
    expect(gatewaysSent(core).map((out) => out.to).sort()).toEqual([1, 3]);
    core.onMessage(3, { type: 'gateway', record: first }, now);
    expect(gatewaysSent(core)).toEqual([]);
    expect(core.counters.get('gateway_learned')).toBe(1);
    expect(core.counters.get('gateway_not_newer')).toBe(1);
    // A newer record of the same server replaces it.
    const moved = signGatewayRecord(servers[1]!, network.id, 'https://two.example/', 501);
    core.onMessage(3, { type: 'gateway', record: moved }, now);
    expect(core.gatewayRecords()).toEqual([moved]);
  });

  test('older, forged, foreign, a stranger\'s: dropped and counted; the record in force stays', () => {
    const store = storeOf();
    const { core } = coreOf(0, store);
    core.onMessage(2, { type: 'gateway', record: first }, now);
    core.outbox.splice(0);
    const older = signGatewayRecord(servers[1]!, network.id, 'https://old.example/', 499);
    const forged = { ...signGatewayRecord(servers[1]!, network.id, 'https://evil.example/', 9_999), signature: first.signature };
    const urlChanged: GatewayRecord = { ...first, url: 'https://evil.example/', sequence: 9_999 };
    const byAnother = { ...signGatewayRecord(servers[2]!, network.id, 'https://evil.example/', 9_999), key: servers[1]!.publicKey };
    const otherNetwork = signGatewayRecord(servers[1]!, new Uint8Array(32).fill(1), 'https://evil.example/', 9_999);
    const stranger = signGatewayRecord(testSigner('stranger'), network.id, 'https://evil.example/', 9_999);
    for (const record of [older, forged, urlChanged, byAnother, otherNetwork, stranger]) core.onMessage(3, { type: 'gateway', record }, now);
    expect(core.gatewayRecords()).toEqual([first]);
    expect(gatewaysSent(core)).toEqual([]);
    expect(core.counters.get('gateway_not_newer')).toBe(1);
    expect(core.counters.get('gateway_bad_signature')).toBe(4);
    expect(core.counters.get('gateway_unknown_key')).toBe(1);
    expect(store.gatewayRecords().length).toBe(1);
  });

  test('publishing: a record only when the URL differs, sequence above the last, announced at start, re-sent every 16 periods', () => {
    const store = storeOf();
    const { core } = coreOf(2, store);
    core.announceAddress();
    expect(gatewaysSent(core)).toEqual([]); // nothing to announce yet
    const record = core.publishGateway('https://three.example/', now)!;
    expect(record.sequence).toBe(now);
    expect(checkGatewayRecord(network, record, verify)).toBe(2);
    expect(core.publishGateway('https://three.example/', now + 5)).toBeNull();
    // A restart on the same store: in force and announced; a new URL signs above the last sequence.
    const again = coreOf(2, store, now + 1_000).core;
    expect(again.gatewayRecords()).toEqual([record]);
    again.announceAddress();
    expect(gatewaysSent(again)).toEqual([{ to: 'others', message: { type: 'gateway', record } }]);
    again.onMessage(0, { type: 'gateway', record: first }, now + 1_000);
    again.outbox.splice(0);
    const period = Math.ceil((Math.floor((now + 1_000) / network.periodMs) + 4) / gateway_resend_periods) * gateway_resend_periods;
    for (let k = period - 3; k <= period; k++) again.tick(k * network.periodMs + 1);
    const resent = gatewaysSent(again);
    expect(resent.map((out) => (out.message as { record: GatewayRecord }).record.sequence).sort()).toEqual([500, now].sort());
    expect(resent.every((out) => out.to === 'others')).toBe(true);
    expect(again.publishGateway('https://three-b.example/', 5)!.sequence).toBe(now + 1);
    // Listed in rotation order of the servers in force.
    expect(again.gatewayRecords().map((entry) => entry.url)).toEqual(['https://one.example/', 'https://three-b.example/']);
  });

  test('SQLite keeps them across a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scryp-gateway-record-'));
    try {
      const genesisState = LedgerState.fromAccounts(network.genesis);
      const open = () => new SqliteStore(dir, network.id, ServerCore.genesisFor(network), () => genesisState.entries());
      const store = open();
      const { core } = coreOf(0, store);
      core.onMessage(2, { type: 'gateway', record: first }, now);
      core.publishGateway('https://zero.example/', now);
      store.close();
      const reopened = open();
      expect(coreOf(0, reopened, now + 1_000).core.gatewayRecords().map((record) => record.url)).toEqual(['https://zero.example/', 'https://one.example/']);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
