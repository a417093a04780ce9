// src/cli/known-servers.ts: what a wallet keeps of the servers in its directory, so that
// `scryp pay` signs at once. Read back, everything is checked from the network file as the
// servers' answers are: a forged link, a forged or foreign address record, another network's
// file or a damaged one is not used (the wallet asks the servers instead).

import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { type AddressRecord, encodeAddressRecord, signAddressRecord } from '../src/address-record.ts';
import { type Change, changeSigningMessage, type CommittedChange, encodeCommittedChange, genesisConfiguration } from '../src/consensus/configuration.ts';
import { known_servers_file_name, readKnownServers, writeKnownServers } from '../src/cli/known-servers.ts';
import { formatAddress } from '../src/ip.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const directories: string[] = [];
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});
const walletDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-known-servers-'));
  directories.push(dir);
  return dir;
};

const { network, servers } = testNetwork({ servers: 3 });
// A change that grows the network to 4 servers, signed by servers 0 and 2 (a quorum), carried in period 10.
const newcomer = testSigner('known servers newcomer');
const body = {
  replaces: 0,
  replacesHash: genesisConfiguration(network).hash,
  first: 0,
  servers: [...network.servers.map((server) => ({ key: server.key, address: server.address })), { key: newcomer.publicKey, address: { host: '127.0.0.1', port: 5999 } }],
};
const message = changeSigningMessage(network.id, body);
const change: Change = { ...body, signatures: [0, 2].map((signer) => ({ signer, signature: servers[signer]!.sign(message) })) };
const chain: CommittedChange[] = [{ carrier: 10, change }];
// Server 1 moved; the newcomer too.
const moved: AddressRecord = signAddressRecord(servers[1]!, network.id, { host: '127.0.0.1', port: 7001 }, 5);
const newcomerMoved: AddressRecord = signAddressRecord(newcomer, network.id, { host: '127.0.0.1', port: 7003 }, 2);

describe('known servers in the wallet directory', () => {
  test('written, then read back: the configuration the chain makes, each server where its newest record puts it', () => {
    const dir = walletDir();
    expect(readKnownServers(dir, network)).toBeNull(); // nothing kept yet
    writeKnownServers(dir, network, chain, [null, moved, null, newcomerMoved]);
    const known = readKnownServers(dir, network)!;
    expect(known).not.toBeNull();
    expect(known.network.servers.map((server) => server.keyHex)).toEqual([...network.servers.map((server) => server.keyHex), toHex(newcomer.publicKey)]);
    expect(known.network.servers.map((server) => formatAddress(server.address))).toEqual([
      formatAddress(network.servers[0]!.address),
      '127.0.0.1:7001',
      formatAddress(network.servers[2]!.address),
      '127.0.0.1:7003',
    ]);
    expect(known.network.quorum).toBe(3);
    expect(known.chain.length).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, known_servers_file_name), 'utf8')))).toEqual(['network', 'changes', 'addresses']);
  });

  test('nothing that does not check is used: a forged link, a forged record, another network, damaged text', () => {
    const dir = walletDir();
    const path = join(dir, known_servers_file_name);
    writeKnownServers(dir, network, chain, [null, moved, null, null]);
    const good = JSON.parse(readFileSync(path, 'utf8')) as { network: string; changes: string[]; addresses: string[] };
    const variants: [string, unknown][] = [
      // The change signed by one server only: not a quorum of the configuration before it.
      ['a link without a quorum', { ...good, changes: [toHex(encodeCommittedChange({ carrier: 10, change: { ...change, signatures: change.signatures.slice(0, 1) } }))] }],
      // A signature byte flipped in the address record.
      ['a forged address record', { ...good, addresses: [flipLast(good.addresses[0]!)] }],
      // A record signed by a key that is not a server of the network.
      ['a record of a stranger', { ...good, addresses: [toHex(encodeAddressRecord(signAddressRecord(testSigner('stranger'), network.id, { host: '10.0.0.1', port: 1 }, 9)))] }],
      ['another network', { ...good, network: toHex(new Uint8Array(32).fill(1)) }],
      ['not hex', { ...good, changes: ['zz'] }],
      ['not a list', { ...good, addresses: 'none' }],
    ];
    for (const [what, json] of variants) {
      writeFileSync(path, JSON.stringify(json));
      expect(readKnownServers(dir, network), what).toBeNull();
    }
    writeFileSync(path, '{"network": ');
    expect(readKnownServers(dir, network)).toBeNull();
    // And the good file reads again.
    writeFileSync(path, JSON.stringify(good));
    expect(readKnownServers(dir, network)).not.toBeNull();
  });
});

function flipLast(hex: string): string {
  const last = parseInt(hex.slice(-2), 16) ^ 1;
  return hex.slice(0, -2) + last.toString(16).padStart(2, '0');
}
