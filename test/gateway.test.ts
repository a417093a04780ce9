// The HTTP gateway's own work (src/node/gateway.ts): framing, limits and CORS. A node of a
// one-server network runs in this process with --http and --metrics on loopback; requests
// go by fetch() where it can say them, and by hand over TCP (helpers/raw-http.ts) where it
// cannot (chunked and slow bodies, a chosen local port).

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { decodeReply, encodeRequest, Kind, requestBytesFor, Status, verifyReply } from '../src/client/codec.ts';
import { configureLogs } from '../src/log.ts';
import { networkToJson, parseNetwork, type Network } from '../src/network.ts';
import { sourceOf } from '../src/node/gateway.ts';
import type { ScrypNode } from '../src/node/server.ts';
import { freePorts } from './helpers/processes.ts';
import { parseExposition, valueOf } from './helpers/prometheus-text.ts';
import { RawHttp } from './helpers/raw-http.ts';
import { testSigner } from './helpers/keys.ts';
import { any_loopback_port, startInProcess } from './helpers/in-process-node.ts';

setDefaultTimeout(60_000);

const body_deadline_ms = 400;
let base = '';
let network: Network;
let node: ScrypNode;
let proxied: ScrypNode;
let url = '';
let gatewayPort = 0;
let metricsPort = 0;

function startNode(name: string, port: number, http: object, metrics?: number): Promise<ScrypNode> {
  return startInProcess(base, name, 'server 0', {
    network,
    port,
    http: { address: any_loopback_port, bodyDeadlineMs: body_deadline_ms, ...http },
    ...(metrics === undefined ? {} : { metrics: { host: '127.0.0.1', port: metrics, loopback: true } }),
  });
}

beforeAll(async () => {
  configureLogs('silent', false);
  base = mkdtempSync(join(tmpdir(), 'scryp-gateway-'));
  const [port, proxiedPort, metrics] = await freePorts(3);
  metricsPort = metrics!;
  network = parseNetwork({
    name: 'gateway',
    period_ms: 500,
    blackout_ms: 50,
    skew_ms: 250,
    servers: [{ key: toHex(testSigner('server 0').publicKey), ip: `127.0.0.1:${port}` }],
    genesis: [{ account: toHex(testSigner('wallet genesis').publicKey), balance: 1_000 }],
  });
  node = await startNode('node', port!, {}, metricsPort);
  // This one also serves pages, as the pocket wallet's will be served (GatewayConfig.pages).
  const pages = (path: string) => (path === '/' ? new Response('<!doctype html><title>pocket</title>', { headers: { 'content-type': 'text/html' } }) : null);
  proxied = await startNode('proxied', proxiedPort!, { trustedProxy: '127.0.0.1', pages });
  url = node.gatewayUrl!;
  gatewayPort = Number(new URL(url).port);
});

afterAll(() => {
  node?.stop();
  proxied?.stop();
  rmSync(base, { recursive: true, force: true });
});

const info = () => encodeRequest({ kind: Kind.INFO, requestId: 7, length: requestBytesFor(Kind.INFO, 1) });

async function codeOf(response: Response): Promise<string> {
  return (await response.text()).split(':')[0]!;
}

describe('POST /v1/request', () => {
  test('answers 200 with exactly the signed reply datagram, and CORS for any origin without credentials', async () => {
    const response = await fetch(`${url}v1/request`, { method: 'POST', body: info(), headers: { 'content-type': 'application/octet-stream', origin: 'https://elsewhere.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    const reply = decodeReply(new Uint8Array(await response.arrayBuffer()));
    expect(reply.status).toBe(Status.OK);
    expect(reply.requestId).toBe(7);
    expect(verifyReply(reply, network.id)).toBe(true);
  });

  test('bodies of 0, 127, 1233 and 1 MiB bytes are refused with no reply bytes, and the node answers the next one', async () => {
    for (const [length, status] of [
      [0, 400],
      [127, 400],
      [1233, 413],
    ] as const) {
      const response = await fetch(`${url}v1/request`, { method: 'POST', body: new Uint8Array(length) });
      expect(response.status, `${length} bytes`).toBe(status);
      expect(await codeOf(response), `${length} bytes`).toBe('GATEWAY_BODY_SIZE');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
    // 1 MiB declared: Bun refuses it before the gateway sees it (gateway_body_backstop_bytes), reading none of it.
    const huge = await fetch(`${url}v1/request`, { method: 'POST', body: new Uint8Array(1024 * 1024) });
    expect(huge.status).toBe(413);
    expect((await fetch(`${url}v1/request`, { method: 'POST', body: info() })).status).toBe(200);
  });

  test('a chunked body is refused at the first byte past 1232, and one of 1 MiB too', async () => {
    for (const total of [1233, 1024 * 1024]) {
      const connection = await RawHttp.connect(gatewayPort);
      connection.write(RawHttp.head('POST', '/v1/request', { 'Transfer-Encoding': 'chunked' }));
      // Chunks of 1000 bytes, written while the connection takes them; the answer may come before the end.
      for (let sent = 0; sent < total && !connection.closed; sent += 1000) {
        const size = Math.min(1000, total - sent);
        connection.write(`${size.toString(16)}\r\n`);
        connection.write(new Uint8Array(size));
        connection.write('\r\n');
        if (sent > 64 * 1024) break; // the answer is long in: the rest would only fill socket buffers
      }
      connection.write('0\r\n\r\n');
      const response = await connection.response();
      expect(response.status, `${total} bytes chunked`).toBe(413);
      connection.close();
    }
  });

  test('a chunked body of a whole request is answered as any other', async () => {
    const bytes = info();
    const connection = await RawHttp.connect(gatewayPort);
    connection.write(RawHttp.head('POST', '/v1/request', { 'Transfer-Encoding': 'chunked' }));
    for (const part of [bytes.subarray(0, 50), bytes.subarray(50)]) connection.write(`${part.length.toString(16)}\r\n${Buffer.from(part).toString('latin1')}\r\n`);
    connection.write('0\r\n\r\n');
    const response = await connection.response();
    expect(response.status).toBe(200);
    expect(decodeReply(response.body).status).toBe(Status.OK);
    connection.close();
  });

  test('a body slower than the deadline hears 408 (slowloris), and the connection is closed', async () => {
    const connection = await RawHttp.connect(gatewayPort);
    connection.write(RawHttp.head('POST', '/v1/request', { 'Content-Length': '200' }));
    connection.write(new Uint8Array(10)); // ... and the other 190 bytes never come
    const response = await connection.response(body_deadline_ms + 5_000);
    expect(response.status).toBe(408);
    expect(new TextDecoder().decode(response.body)).toStartWith('GATEWAY_BODY_DEADLINE');
    expect(await waitFor(() => connection.closed, 5_000)).toBe(true);
  });

  test('bytes the UDP port would not answer: 400 GATEWAY_NO_REPLY', async () => {
    const foreign = info();
    foreign[0] = 0x58;
    const response = await fetch(`${url}v1/request`, { method: 'POST', body: foreign });
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe('GATEWAY_NO_REPLY');
  });
});

describe('CORS, paths and methods', () => {
  test('the preflight of a POST with Content-Type application/octet-stream is answered for any origin', async () => {
    const response = await fetch(`${url}v1/request`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('GET /v1/network is the network file; GET /v1/gateways a JSON list', async () => {
    const response = await fetch(`${url}v1/network`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const json = await response.json();
    expect(json).toEqual(networkToJson(network));
    expect(toHex(parseNetwork(json).id)).toBe(toHex(network.id));
    const head = await fetch(`${url}v1/network`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Array.isArray(await (await fetch(`${url}v1/gateways`)).json())).toBe(true);
  });

  test('wrong methods are 405 with Allow, unknown paths 404, and without pages / is 404 too', async () => {
    const cases: [string, string, number, string | null][] = [
      ['GET', 'v1/request', 405, 'POST, OPTIONS'],
      ['PUT', 'v1/request', 405, 'POST, OPTIONS'],
      ['POST', 'v1/network', 405, 'GET, HEAD, OPTIONS'],
      ['DELETE', 'v1/gateways', 405, 'GET, HEAD, OPTIONS'],
      ['GET', 'v1/nothing', 404, null],
      ['GET', 'nothing', 404, null],
      ['POST', '', 405, 'GET, HEAD'],
      ['GET', '', 404, null],
    ];
    for (const [method, path, status, allow] of cases) {
      const response = await fetch(`${url}${path}`, { method });
      expect(response.status, `${method} /${path}`).toBe(status);
      expect(response.headers.get('allow'), `${method} /${path}`).toBe(allow);
      expect(await codeOf(response), `${method} /${path}`).toBe(status === 405 ? 'GATEWAY_METHOD' : 'GATEWAY_NOT_FOUND');
    }
  });

  test('/metrics counts the gateway\'s answers by path and status', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const families = parseExposition(text);
    const count = (path: string, status: string) => valueOf(families, 'scryp_gateway_requests_total', { path, status }) ?? 0;
    expect(count('/v1/request', '200')).toBeGreaterThanOrEqual(3);
    expect(count('/v1/request', '413')).toBeGreaterThanOrEqual(2);
    expect(count('/v1/request', '408')).toBe(1);
    expect(count('/v1/network', '200')).toBeGreaterThanOrEqual(2);
    expect(count('other', '404')).toBeGreaterThanOrEqual(3);
  });
});

test('pages given to the gateway are served at their paths (GET and HEAD); other paths stay 404', async () => {
  const gateway = proxied.gatewayUrl!;
  const page = await fetch(gateway);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('pocket');
  expect((await fetch(gateway, { method: 'HEAD' })).status).toBe(200);
  expect((await fetch(`${gateway}elsewhere`)).status).toBe(404);
  expect((await fetch(gateway, { method: 'POST' })).status).toBe(405);
});

describe('the source of a request', () => {
  test('is the peer, unless the peer is the trusted proxy: then the last X-Forwarded-For address', () => {
    const peer = { address: '::ffff:10.0.0.5', port: 40_000 };
    expect(sourceOf(peer, '203.0.113.9', undefined)).toEqual({ host: '10.0.0.5', port: 40_000 });
    expect(sourceOf(peer, '203.0.113.9', '10.0.0.9')).toEqual({ host: '10.0.0.5', port: 40_000 });
    expect(sourceOf(peer, '198.51.100.1, 203.0.113.9', '10.0.0.5')).toEqual({ host: '203.0.113.9', port: 40_000 });
    expect(sourceOf(peer, null, '10.0.0.5')).toEqual({ host: '10.0.0.5', port: 40_000 });
  });

  test('WHOAMI over the gateway says what the rate limit counts: the peer, or the forwarded address behind the trusted proxy', async () => {
    const whoami = encodeRequest({ kind: Kind.WHOAMI, requestId: 1, length: 128 });
    const ask = async (gateway: string, headers: Record<string, string>) =>
      decodeReply(new Uint8Array(await (await fetch(`${gateway}v1/request`, { method: 'POST', body: whoami, headers })).arrayBuffer())).body as { address: Uint8Array };
    // Not trusted: a client's own X-Forwarded-For changes nothing.
    expect([...(await ask(url, { 'x-forwarded-for': '203.0.113.9' })).address.subarray(0, 4)]).toEqual([127, 0, 0, 1]);
    expect([...(await ask(proxied.gatewayUrl!, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' })).address.subarray(0, 4)]).toEqual([203, 0, 113, 9]);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await Bun.sleep(20);
  return check();
}
