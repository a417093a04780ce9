// The HTTP gateway client (src/client/gateway-client.ts) against a scripted gateway on
// loopback: it believes a reply exactly when UdpClient would (the request asked, this
// network's id, the server asked), pads again on TOO_SHORT, asks again when the gateway is
// busy, and refuses in words a reply a gateway changed or replayed from another network.
// And the signed gateway records (src/gateway-record.ts) it learns servers' gateways from.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Server } from 'bun';
import { utf8 } from '../src/bytes.ts';
import { decodeRequest, encodeReply, Kind, Status } from '../src/client/codec.ts';
import { GatewayClient } from '../src/client/gateway-client.ts';
import { ReplyTimeout } from '../src/client/transport.ts';
import { checkGatewayRecord, gatewayRecordsFromJson, gatewayRecordToJson, signGatewayRecord } from '../src/gateway-record.ts';
import { sha256 } from '../src/hash.ts';
import { parseNetwork } from '../src/network.ts';
import { signerFromSeed, verify } from '../src/signature.ts';
import { codeOf } from './helpers/errors.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const networkId = sha256(utf8('gateway client test network'));
const otherNetworkId = sha256(utf8('another network'));
const server = signerFromSeed(sha256(utf8('gateway client test server')));
const stranger = signerFromSeed(sha256(utf8('gateway client test stranger')));
const balanceBody = (account: Uint8Array) => ({ account, balance: 100, committedPeriod: 7, stateHash: new Uint8Array(32) });
const account = new Uint8Array(32).fill(7);

type Script = (request: ReturnType<typeof decodeRequest>, bytes: Uint8Array) => Response | Promise<Response>;

let gateway: Server<undefined> | null = null;
afterEach(() => {
  gateway?.stop(true);
  gateway = null;
});

function scripted(script: Script): string {
  gateway = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      if (request.method !== 'POST' || new URL(request.url).pathname !== '/v1/request') return new Response('no', { status: 404 });
      const bytes = new Uint8Array(await request.arrayBuffer());
      return script(decodeRequest(bytes), bytes);
    },
  });
  return `http://127.0.0.1:${gateway.port}`;
}

const reply = (bytes: Uint8Array) => new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } });
const ask = { networkId, serverKey: server.publicKey, attempts: 3, timeoutMs: 50 };

describe('GatewayClient believes only the reply to what it asked', () => {
  test('a signed reply is taken, and the request is the bytes UdpClient would send', async () => {
    let length = 0;
    const url = scripted((request, bytes) => {
      length = bytes.length;
      return reply(encodeReply(Kind.BALANCE, request.requestId, Status.OK, balanceBody(account), server, networkId));
    });
    const client = new GatewayClient();
    client.useGateway(server.publicKey, `${url}/`);
    const answer = await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, ask);
    expect(answer.status).toBe(Status.OK);
    expect(answer.body).toMatchObject({ balance: 100, committedPeriod: 7 });
    expect(length).toBe(181); // requestBytesFor(BALANCE): room for the whole reply, as over UDP
    expect(client.rejectedReplies).toBe(0);
  });

  const lies: [string, (requestId: number) => Uint8Array, string][] = [
    ['a balance rewritten on the way', (id) => {
      const bytes = encodeReply(Kind.BALANCE, id, Status.OK, balanceBody(account), server, networkId);
      bytes[9 + 32 + 3]! ^= 0x40; // the balance's low byte
      return bytes;
    }, 'signature does not verify'],
    ['a reply replayed from another network', (id) => encodeReply(Kind.BALANCE, id, Status.OK, balanceBody(account), server, otherNetworkId), 'another network'],
    ['a reply signed by another server', (id) => encodeReply(Kind.BALANCE, id, Status.OK, balanceBody(account), stranger, networkId), 'another server'],
    ['a reply to another request', (id) => encodeReply(Kind.BALANCE, (id + 1) >>> 0, Status.OK, balanceBody(account), server, networkId), 'another request'],
    ['bytes that are no reply', () => new Uint8Array(40).fill(1), 'does not decode'],
  ];
  for (const [what, lie, words] of lies) {
    test(`${what} is refused at once, and the refusal says so`, async () => {
      let asked = 0;
      const url = scripted((request) => {
        asked++;
        return reply(lie(request.requestId));
      });
      const client = new GatewayClient();
      client.useGateway(server.publicKey, url);
      const error = await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, ask).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReplyTimeout);
      expect((error as ReplyTimeout).why).toContain(words);
      expect((error as Error).message).toContain(url);
      expect(asked).toBe(1); // a gateway that changed a reply would change it again
      expect(client.rejectedReplies).toBe(1);
    });
  }

  test('TOO_SHORT: the same request again, padded to the length the server names', async () => {
    const lengths: number[] = [];
    const url = scripted((request, bytes) => {
      lengths.push(bytes.length);
      return bytes.length < 300
        ? reply(encodeReply(Kind.BALANCE, request.requestId, Status.TOO_SHORT, { needed: 300 }, server, networkId))
        : reply(encodeReply(Kind.BALANCE, request.requestId, Status.OK, balanceBody(account), server, networkId));
    });
    const client = new GatewayClient();
    client.useGateway(server.publicKey, url);
    expect((await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, ask)).status).toBe(Status.OK);
    expect(lengths).toEqual([181, 300]);
  });

  test('a busy gateway (503, 429) is asked again after a wait; a refusal of the request (400) is not', async () => {
    let asked = 0;
    const busy = scripted((request) => (++asked < 3 ? new Response('busy', { status: asked === 1 ? 503 : 429 }) : reply(encodeReply(Kind.BALANCE, request.requestId, Status.OK, balanceBody(account), server, networkId))));
    const client = new GatewayClient();
    client.useGateway(server.publicKey, busy);
    expect((await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, ask)).status).toBe(Status.OK);
    expect(asked).toBe(3);
    gateway!.stop(true);
    asked = 0;
    const refusing = scripted(() => {
      asked++;
      return new Response('bad', { status: 400 });
    });
    client.useGateway(server.publicKey, refusing);
    const error = (await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, ask).catch((e: unknown) => e)) as ReplyTimeout;
    expect(error.why).toBe('the gateway answers HTTP 400');
    expect(asked).toBe(1);
  });

  test('an answer longer than any reply is refused without reading it all; a gateway that is down is silent', async () => {
    const url = scripted(() => new Response(new Uint8Array(1 << 20)));
    const client = new GatewayClient();
    client.useGateway(server.publicKey, url);
    const long = (await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, { ...ask, attempts: 1 }).catch((e: unknown) => e)) as ReplyTimeout;
    expect(long.why).toContain('more than 1232 bytes');
    const port = gateway!.port;
    gateway!.stop(true);
    gateway = null;
    client.useGateway(server.publicKey, `http://127.0.0.1:${port}`);
    const down = (await client.ask({ host: '10.0.0.1', port: 1 }, { kind: Kind.BALANCE, account }, { ...ask, attempts: 2 }).catch((e: unknown) => e)) as ReplyTimeout;
    expect(down.why).toBe('the gateway cannot be reached');
  });

  test('a server without a known gateway is silent at once, and says why', async () => {
    const error = (await new GatewayClient().ask({ host: '10.0.0.1', port: 4001 }, { kind: Kind.BALANCE, account }, ask).catch((e: unknown) => e)) as ReplyTimeout;
    expect(error).toBeInstanceOf(ReplyTimeout);
    expect(error.message).toContain('10.0.0.1:4001');
    expect(error.why).toContain('no gateway');
  });
});

describe('gateway records: signed by the server they speak for', () => {
  const network = parseNetwork({
    name: 'gateways',
    period_ms: 1000,
    blackout_ms: 100,
    skew_ms: 500,
    servers: [{ key: Buffer.from(server.publicKey).toString('hex'), ip: '127.0.0.1:4001' }],
    genesis: [],
  });

  test('a record round-trips through its JSON form and checks; a changed URL, sequence or key does not', () => {
    const record = signGatewayRecord(server, network.id, 'https://a.example:8443', 5);
    const { records, unreadable } = gatewayRecordsFromJson(JSON.parse(JSON.stringify([gatewayRecordToJson(record)])));
    expect(unreadable).toBe(0);
    expect(checkGatewayRecord(network, records[0]!, verify)).toBe(0);
    expect(checkGatewayRecord(network, { ...record, url: 'https://b.example:8443' }, verify)).toBe(-2);
    expect(checkGatewayRecord(network, { ...record, sequence: 6 }, verify)).toBe(-2);
    expect(checkGatewayRecord({ ...network, id: otherNetworkId }, record, verify)).toBe(-2);
    expect(checkGatewayRecord(network, signGatewayRecord(stranger, network.id, 'https://a.example', 1), verify)).toBe(-1);
  });

  test('entries that do not read are counted and skipped; URLs must be absolute http(s), without credentials, ≤ 200 bytes', () => {
    const good = gatewayRecordToJson(signGatewayRecord(server, network.id, 'http://127.0.0.1:8080', 1));
    const { records, unreadable } = gatewayRecordsFromJson([good, null, { ...good, key: 'zz' }, { ...good, url: 'ftp://x' }, { ...good, url: 'https://user:pw@x' }, { ...good, url: `https://${'a'.repeat(200)}` }, { ...good, sequence: -1 }]);
    expect(records.length).toBe(1);
    expect(unreadable).toBe(6);
    expect(codeOf(() => gatewayRecordsFromJson({ not: 'a list' }))).toBe('BAD_TYPE');
    expect(codeOf(() => signGatewayRecord(server, network.id, '/relative', 1))).toBe('BAD_GATEWAY_URL');
  });
});
