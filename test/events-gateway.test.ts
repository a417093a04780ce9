// GET /v1/events on a node in this process (a one-server network, 200 ms periods, the real
// clock): the Server-Sent Events as a browser reads them, payments paid through the same
// gateway; a resume by Last-Event-ID and by `after`; the refusals; the per-source bound.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { decodeReply, encodeRequest, Kind, requestBytesFor, Status } from '../src/client/codec.ts';
import { events_streams_per_source_max } from '../src/constants.ts';
import { configureLogs } from '../src/log.ts';
import { type Network, parseNetwork } from '../src/network.ts';
import type { ScrypNode } from '../src/node/server.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { freePorts } from './helpers/processes.ts';
import { any_loopback_port, startInProcess } from './helpers/in-process-node.ts';
import { testSigner } from './helpers/keys.ts';
import { SseStream } from './helpers/sse.ts';

setDefaultTimeout(60_000);

const payer = testSigner('wallet genesis');
const shop = testSigner('events shop');
const other = testSigner('events other');
let base = '';
let network: Network;
let node: ScrypNode;
let url = '';

beforeAll(async () => {
  configureLogs('silent', false);
  base = mkdtempSync(join(tmpdir(), 'scryp-events-'));
  const [port] = await freePorts(1);
  network = parseNetwork({
    name: 'events',
    period_ms: 200,
    blackout_ms: 20,
    skew_ms: 100,
    servers: [{ key: toHex(testSigner('server 0').publicKey), ip: `127.0.0.1:${port}` }],
    genesis: [{ account: toHex(payer.publicKey), balance: 1_000_000 }],
  });
  node = await startInProcess(base, 'node', 'server 0', { network, port: port!, http: { address: any_loopback_port } });
  url = node.gatewayUrl!;
});

afterAll(() => {
  node?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** Pays `to` through the gateway until it is ACCEPTED (a period's blackout refuses BAD_TIME: then the next). */
async function pay(to: Uint8Array, amount: number): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tx = signPayment(payer, network.id, { timestamp: node.now(), amount, payee: to });
    const request = encodeRequest({ kind: Kind.PAY, requestId: attempt, transaction: tx, length: requestBytesFor(Kind.PAY, 1) });
    const response = await fetch(`${url}v1/request`, { method: 'POST', body: request });
    const reply = decodeReply(new Uint8Array(await response.arrayBuffer()));
    if (reply.status === Status.ACCEPTED) return toHex(txidOf(tx));
    await Bun.sleep(30);
  }
  throw new Error('no payment was accepted');
}

const eventsUrl = (account: Uint8Array, after?: string) => `${url}v1/events?account=${encodeAddress(account)}${after === undefined ? '' : `&after=${after}`}`;

describe('GET /v1/events', () => {
  test('a stream from now: `committed` at once, then each payment of the account as it commits, with the fields of §6.16, then its `committed`', async () => {
    const stream = await SseStream.open(eventsUrl(shop.publicKey));
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('access-control-allow-origin')).toBe('*');
    const first = await stream.next();
    expect(first?.event).toBe('committed');
    expect(first?.id).toBe(`${JSON.parse(first!.data).period}:4294967295`);
    await pay(other.publicKey, 5); // another account's payment: not in this stream
    const txid = await pay(shop.publicKey, 25);
    const payment = await stream.nextOf('payment');
    expect(payment).not.toBeNull();
    const data = JSON.parse(payment!.data);
    expect(data).toMatchObject({ outcome: 'applied', txid, payer: encodeAddress(payer.publicKey), payee: encodeAddress(shop.publicKey), amount: 25, reference: null });
    expect(payment!.id).toBe(`${data.period}:${data.index}`);
    expect(typeof data.time).toBe('number');
    expect(data.tx).toHaveLength(280);
    const committed = await stream.nextOf('committed');
    expect(JSON.parse(committed!.data).period).toBeGreaterThanOrEqual(data.period);
    stream.close();
  });

  test('resuming: Last-Event-ID (or after=) gives what came after it, once, oldest first; Last-Event-ID wins over after', async () => {
    const txids = [await pay(shop.publicKey, 1), await pay(shop.publicKey, 2), await pay(shop.publicKey, 3)];
    // Everything of the shop's from the start of time: every payment so far, then live.
    const all = await SseStream.open(eventsUrl(shop.publicKey, '0:0'));
    const ids: string[] = [];
    const seen: string[] = [];
    for (;;) {
      const event = await all.next();
      expect(event).not.toBeNull();
      if (event!.event === 'committed' && seen.length >= 4) break;
      if (event!.event === 'payment') {
        ids.push(event!.id!);
        seen.push(JSON.parse(event!.data).txid);
      }
    }
    all.close();
    expect(seen.slice(-3)).toEqual(txids);
    // From the second to last id on: exactly the last payment.
    const resumed = await SseStream.open(eventsUrl(shop.publicKey, '0:0'), { 'Last-Event-ID': ids.at(-2)! });
    expect(JSON.parse((await resumed.nextOf('payment'))!.data).txid).toBe(txids[2]);
    expect((await resumed.next())?.event).toBe('committed');
    resumed.close();
  });

  test('refusals: a bad account or cursor is 400 with its code; the preflight allows Last-Event-ID', async () => {
    const badAccount = await fetch(`${url}v1/events?account=scryp1nothing`);
    expect(badAccount.status).toBe(400);
    expect((await badAccount.text()).startsWith('ADDRESS_')).toBe(true);
    const noAccount = await fetch(`${url}v1/events`);
    expect(noAccount.status).toBe(400);
    const badCursor = await fetch(eventsUrl(shop.publicKey, 'yesterday'));
    expect(badCursor.status).toBe(400);
    expect((await badCursor.text()).startsWith('GATEWAY_CURSOR')).toBe(true);
    const badId = await fetch(eventsUrl(shop.publicKey), { headers: { 'last-event-id': '12' } });
    expect(badId.status).toBe(400);
    expect((await fetch(`${url}v1/events`, { method: 'POST' })).status).toBe(405);
    const preflight = await fetch(`${url}v1/events`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Last-Event-ID');
  });

  test(`a source holds at most ${events_streams_per_source_max} streams (429 GATEWAY_STREAMS); one that ends frees its place`, async () => {
    const streams: SseStream[] = [];
    for (let i = 0; i < events_streams_per_source_max; i++) {
      const stream = await SseStream.open(eventsUrl(other.publicKey));
      expect(stream.response.status).toBe(200);
      expect((await stream.next())?.event).toBe('committed');
      streams.push(stream);
    }
    const refused = await fetch(eventsUrl(other.publicKey));
    expect(refused.status).toBe(429);
    expect((await refused.text()).startsWith('GATEWAY_STREAMS')).toBe(true);
    streams.pop()!.close();
    // The node learns of the close when Bun cancels the stream: a bounded wait for the place.
    let again: Response | null = null;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      again?.body?.cancel();
      again = await fetch(eventsUrl(other.publicKey));
      if (again.status !== 200) await Bun.sleep(20);
    }
    expect(again?.status).toBe(200);
    void again?.body?.cancel();
    for (const stream of streams) stream.close();
  });
});
