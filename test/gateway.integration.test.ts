// The gateway of the compiled executable: `scryp node --http` on loopback, over HTTPS with a
// self-signed certificate the test makes with openssl, its command-line refusals, and the
// node under 10,000 open connections and slow bodies, still committing and answering.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Socket } from 'bun';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { decodeReply, encodeRequest, Kind, requestBytesFor, Status, verifyReply } from '../src/client/codec.ts';
import { checkGatewayRecord, type GatewayRecord, gatewayRecordsFromJson } from '../src/gateway-record.ts';
import { verify } from '../src/signature.ts';
import { binary, freePorts, ProcessCluster, rssOf } from './helpers/processes.ts';

setDefaultTimeout(120_000);

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const openssl = Bun.which('openssl');

/** A self-signed certificate for 127.0.0.1 (and its key), made with openssl in `dir`. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'gateway-cert.pem');
  const key = join(dir, 'gateway-key.pem');
  const made = Bun.spawnSync(
    [openssl!, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  return { cert, key };
}

/** Waits until the server's log says where its gateway listens; returns that URL. */
async function gatewayUrlOf(c: ProcessCluster, index: number): Promise<string> {
  let url: string | null = null;
  await c.until(() => (url = /gateway on (https?:\/\/[^ ]+\/)/.exec(c.servers[index]!.log)?.[1] ?? null) !== null, 10_000);
  if (url === null) throw new Error(`server ${index} never said where its gateway is\n${c.logs()}`);
  return url;
}

async function committedOf(c: ProcessCluster, index: number): Promise<number> {
  return (await c.committedOf(index)) ?? -1;
}

describe('scryp node --http, compiled', () => {
  test.skipIf(openssl === null)('serves the gateway over HTTPS with a certificate openssl made; a client that trusts it gets signed replies', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 400 });
    cluster = c;
    const { cert, key } = selfSigned(c.base);
    const [httpPort] = await freePorts(1);
    c.start(0, ['--http', `127.0.0.1:${httpPort}`, '--http-tls-cert', cert, '--http-tls-key', key]);
    c.start(1);
    c.start(2);
    const url = await gatewayUrlOf(c, 0);
    expect(url).toBe(`https://127.0.0.1:${httpPort}/`);
    expect(await c.until(async () => (await committedOf(c, 0)) > 0, 10_000)).toBe(true);
    const account = c.wallets[0]!.publicKey;
    const request = encodeRequest({ kind: Kind.BALANCE, requestId: 42, account, length: requestBytesFor(Kind.BALANCE, 3) });
    const response = await fetch(`${url}v1/request`, { method: 'POST', body: request, tls: { ca: readFileSync(cert, 'utf8') } });
    expect(response.status).toBe(200);
    const reply = decodeReply(new Uint8Array(await response.arrayBuffer()));
    expect(verifyReply(reply, c.network.id)).toBe(true);
    expect(toHex(reply.serverKey)).toBe(toHex(c.keyOf(0)));
    expect(reply.status).toBe(Status.OK);
    expect((reply.body as { balance: number }).balance).toBe(1_000_000);
    // A client that does not trust the certificate is refused by TLS itself.
    let refused = false;
    try {
      await fetch(`${url}v1/network`);
    } catch {
      refused = true;
    }
    expect(refused).toBe(true);
  });

  test('refuses half a TLS pair, a bad --http-public and one without --http (usage, exit 2), an unreadable certificate (GATEWAY_TLS, exit 1), and warns when the gateway is not on loopback', async () => {
    const c = await ProcessCluster.create({ servers: 1, periodMs: 400 });
    cluster = c;
    const dir = c.servers[0]!.dir;
    const run = (args: string[]) => Bun.spawnSync([binary, 'node', '--network', c.networkFile, '--dir', dir, ...args], { stdout: 'pipe', stderr: 'pipe' });
    const half = run(['--http', '8999', '--http-tls-cert', join(dir, 'nothing.pem')]);
    expect(half.exitCode).toBe(2);
    expect(half.stderr.toString()).toContain('--http-tls-key');
    const missing = run(['--http', '8999', '--http-tls-cert', join(dir, 'nothing.pem'), '--http-tls-key', join(dir, 'nothing.pem')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.toString()).toContain('GATEWAY_TLS');
    writeFileSync(join(dir, 'not-pem.pem'), 'hello');
    const notPem = run(['--http', '8999', '--http-tls-cert', join(dir, 'not-pem.pem'), '--http-tls-key', join(dir, 'not-pem.pem')]);
    expect(notPem.exitCode).toBe(1);
    expect(notPem.stderr.toString()).toContain('GATEWAY_TLS');
    expect(run(['--http', 'no:where:80']).exitCode).toBe(2);
    expect(run(['--http', '8999', '--http-public', 'ftp://pay.example/']).exitCode).toBe(2);
    expect(run(['--http-public', 'https://pay.example/']).stderr.toString()).toContain('goes with --http');
    const [httpPort] = await freePorts(1);
    c.start(0, ['--http', `0.0.0.0:${httpPort}`]);
    await gatewayUrlOf(c, 0);
    expect(c.servers[0]!.log).toContain('answers anyone who reaches that address, without TLS');
  });

  test('gateway records pass between three servers, are listed by every gateway with valid signatures, and survive a restart; a new URL replaces the old everywhere', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    cluster = c;
    const httpPorts = await freePorts(3);
    const publicOf = (i: number, suffix = '') => `http://127.0.0.1:${httpPorts[i]}/${suffix}`;
    const args = (i: number, suffix = '') => ['--http', `127.0.0.1:${httpPorts[i]}`, '--http-public', publicOf(i, suffix)];
    for (let i = 0; i < 3; i++) c.start(i, args(i));
    const listed = async (i: number): Promise<GatewayRecord[]> => {
      try {
        const response = await fetch(`http://127.0.0.1:${httpPorts[i]}/v1/gateways`);
        const { records, unreadable } = gatewayRecordsFromJson(await response.json());
        expect(unreadable).toBe(0);
        for (const record of records) expect(checkGatewayRecord(c.network, record, verify)).toBeGreaterThanOrEqual(0);
        return records;
      } catch {
        return [];
      }
    };
    const urlsOf = async (i: number) => (await listed(i)).map((record) => record.url);
    const everyone = [publicOf(0), publicOf(1), publicOf(2)];
    expect(await c.until(async () => (await Promise.all([0, 1, 2].map(urlsOf))).every((urls) => JSON.stringify(urls) === JSON.stringify(everyone)), 15_000), c.logs()).toBe(true);
    // A restart: the records are on disk, listed at once, before any peer re-sends them.
    await c.stopServer(1);
    c.servers[1]!.log = ''; // so that the wait below sees the new start's line
    c.start(1, args(1));
    await gatewayUrlOf(c, 1);
    expect(await urlsOf(1)).toEqual(everyone);
    // Server 0 moves its gateway: its new record (a higher sequence) replaces the old on every server.
    const before = (await listed(2))[0]!.sequence;
    await c.stopServer(0);
    c.start(0, args(0, 'moved/'));
    const moved = [publicOf(0, 'moved/'), publicOf(1), publicOf(2)];
    expect(await c.until(async () => (await Promise.all([0, 1, 2].map(urlsOf))).every((urls) => JSON.stringify(urls) === JSON.stringify(moved)), 15_000), c.logs()).toBe(true);
    expect((await listed(2))[0]!.sequence).toBeGreaterThan(before);
    expect(c.servers[2]!.log).toContain(`server 0's gateway answers at ${publicOf(0, 'moved/')}`);
  });

  test('10,000 open connections and 500 slow bodies: the node keeps committing, the gateway answers a new client, memory stays bounded', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    cluster = c;
    const [httpPort] = await freePorts(1);
    c.start(0, ['--http', `127.0.0.1:${httpPort}`]);
    c.start(1);
    c.start(2);
    await gatewayUrlOf(c, 0);
    expect(await c.until(async () => (await committedOf(c, 0)) > 0, 10_000)).toBe(true);
    const rssBefore = rssOf(c.servers[0]!.process!.pid);
    const sockets: Socket<undefined>[] = [];
    let failedToOpen = 0;
    const open = async (first: string | null) => {
      try {
        const socket = await Bun.connect({ hostname: '127.0.0.1', port: httpPort!, socket: { data() {}, error() {}, close() {} } });
        if (first !== null) socket.write(first);
        sockets.push(socket);
      } catch {
        failedToOpen++;
      }
    };
    try {
      // 10,000 connections in batches: 9,000 silent, 500 stopped inside their headers, 500 inside a body.
      const slowHead = 'POST /v1/request HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le';
      const slowBody = 'POST /v1/request HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nSC';
      for (let batch = 0; batch < 100; batch++) {
        await Promise.all(Array.from({ length: 100 }, () => open(batch < 90 ? null : batch < 95 ? slowHead : slowBody)));
      }
      expect(failedToOpen).toBe(0);
      const committedBefore = await committedOf(c, 0);
      // While they hang on: a new client is answered, and the network goes on committing.
      const request = encodeRequest({ kind: Kind.INFO, requestId: 1, length: requestBytesFor(Kind.INFO, 3) });
      const response = await fetch(`http://127.0.0.1:${httpPort}/v1/request`, { method: 'POST', body: request });
      expect(response.status).toBe(200);
      expect(decodeReply(new Uint8Array(await response.arrayBuffer())).status).toBe(Status.OK);
      expect(await c.until(async () => (await committedOf(c, 0)) >= committedBefore + 3, 10_000), c.logs()).toBe(true);
      const rssDuring = rssOf(c.servers[0]!.process!.pid);
      // A connection costs the node about a KiB (10 MiB for these, measured): 64 MiB is far beyond that.
      expect(rssDuring - rssBefore).toBeLessThan(64 * 1024 * 1024);
    } finally {
      for (const socket of sockets) socket.end();
    }
  });
});
