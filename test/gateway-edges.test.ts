// The same bytes over UDP and over the HTTP gateway get the same reply bytes, signatures
// included, for every request kind and every way a request is refused.
//
// How the comparison is made exact: two nodes of a one-server network, in this process,
// with the same key and each its own directory, run on one clock the test holds still
// (NodeOptions.clock). Node A is asked only over UDP and node B only over HTTP, the same
// requests in the same order, so both are in the same state at every step (a PAY goes into
// each one's batch; the same PAY again is a DUPLICATE on both). The UDP socket and the
// TCP connection are bound to the same local port, so WHOAMI names the same source.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { udp } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { encodeRequest, Kind, type Request, requestBytesFor } from '../src/client/codec.ts';
import { configureLogs } from '../src/log.ts';
import { parseNetwork } from '../src/network.ts';
import type { ScrypNode } from '../src/node/server.ts';
import { startOf } from '../src/schedule.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { freePorts } from './helpers/processes.ts';
import { RawHttp } from './helpers/raw-http.ts';
import { testSigner } from './helpers/keys.ts';
import { any_loopback_port, startInProcess } from './helpers/in-process-node.ts';

setDefaultTimeout(60_000);

const server = testSigner('server 0');
const payer = testSigner('wallet genesis');
const payee = testSigner('wallet payee');
const period_ms = 1_000;
const timing = { periodMs: period_ms, blackoutMs: 100, skewMs: 500 };
/** The network's first period, which both nodes commit (empty) before the test pays in the next (PROTOCOL §5.4). */
const first = 1_800_000_000;
/** The clock both nodes read: set before the first period (so they witness it and the next), then held inside the next. */
const clock = { now: startOf(timing, first) - 300 };

let base = '';
let nodes: ScrypNode[] = [];
let udp: udp.Socket<'uint8array'> | null = null;
let http: RawHttp | null = null;
const udpReplies: Uint8Array[] = [];
let udpWaiter: (() => void) | null = null;

beforeAll(async () => {
  configureLogs('silent', false);
  base = mkdtempSync(join(tmpdir(), 'scryp-gateway-edges-'));
  const [portA, portB, clientPort] = await freePorts(3);
  const network = parseNetwork({
    name: 'edges',
    period_ms,
    blackout_ms: 100,
    skew_ms: 500,
    servers: [{ key: toHex(server.publicKey), ip: `127.0.0.1:${portA}` }],
    genesis: [{ account: toHex(payer.publicKey), balance: 1_000 }],
  });
  const start = (name: string, port: number, withHttp: boolean) =>
    startInProcess(base, name, 'server 0', {
      network,
      port,
      clock: () => clock.now,
      // A small rate, so that the limit is reached within the test (the clock stands still: nothing refills).
      clientRequestsPerSecond: 1,
      ...(withHttp ? { http: { address: any_loopback_port } } : {}),
    });
  nodes = [await start('a', portA!, false), await start('b', portB!, true)];
  // A node takes payments once it has committed its network's first period: into the next one, and
  // held there until each has (its ticks run on real timers), then inside it, in its accepting window.
  clock.now = startOf(timing, first + 1);
  const deadline = Date.now() + 20_000;
  while (!nodes.every((node) => node.core.committed.period === first) && Date.now() < deadline) await Bun.sleep(10);
  expect(nodes.map((node) => node.core.committed.period)).toEqual([first, first]);
  clock.now = startOf(timing, first + 1) + 400;
  udp = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: clientPort!,
    binaryType: 'uint8array',
    socket: {
      data: (_socket, data) => {
        udpReplies.push(data.slice());
        udpWaiter?.();
      },
    },
  });
  http = await RawHttp.connect(Number(new URL(nodes[1]!.gatewayUrl!).port), clientPort!);
});

afterAll(() => {
  http?.close();
  udp?.close();
  for (const node of nodes) node.stop();
  rmSync(base, { recursive: true, force: true });
});

/** Node A's answer over UDP: the datagram, or null when none comes within `waitMs`. */
async function overUdp(bytes: Uint8Array, waitMs = 1_000): Promise<Uint8Array | null> {
  udpReplies.length = 0;
  udp!.send(bytes, nodes[0]!.port, '127.0.0.1');
  if (udpReplies.length === 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      udpWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    udpWaiter = null;
  }
  return udpReplies.shift() ?? null;
}

/** Node B's answer over HTTP: the body of a 200, or null with the status of a refusal. */
async function overHttp(bytes: Uint8Array): Promise<{ reply: Uint8Array | null; status: number }> {
  const response = await http!.request('POST', '/v1/request', bytes);
  if (response.status === 200) expect(response.headers.get('content-type')).toBe('application/octet-stream');
  return { reply: response.status === 200 ? response.body : null, status: response.status };
}

/** Sends the same bytes both ways; the replies must be the same bytes (or both absent, with the HTTP status said). */
async function both(name: string, bytes: Uint8Array): Promise<{ reply: Uint8Array | null; status: number }> {
  const viaHttp = await overHttp(bytes);
  // No reply over HTTP (a 4xx) is known at once; over UDP it is a silence: wait less for it.
  const viaUdp = await overUdp(bytes, viaHttp.reply === null ? 300 : 2_000);
  expect(viaHttp.reply === null ? null : toHex(viaHttp.reply), name).toBe(viaUdp === null ? null : toHex(viaUdp));
  return viaHttp;
}

/** A request's fields without its id and length, whatever its kind. */
type Fields = Request extends infer R ? (R extends Request ? Omit<R, 'length' | 'requestId'> : never) : never;

const sized = (request: Fields, requestId: number, length?: number): Uint8Array =>
  encodeRequest({ ...request, requestId, length: length ?? requestBytesFor(request.kind, 1) } as Request);

describe('the same request bytes over UDP and over the gateway', () => {
  test('every kind, and every refusal, gives the same signed reply bytes both ways', async () => {
    const timestamp = clock.now;
    const tx = signPayment(payer, nodes[0]!.network.id, { timestamp, amount: 25, payee: payee.publicKey });
    // Another amount under the first payment's signature: a new txid whose signature does not verify.
    const forged = tx.slice();
    forged[11]! ^= 1;
    const tooMuch = signPayment(payer, nodes[0]!.network.id, { timestamp, amount: 5_000, payee: payee.publicKey });
    const late = signPayment(payer, nodes[0]!.network.id, { timestamp: timestamp - 60_000, amount: 1, payee: payee.publicKey });
    const withReference = signPayment(payer, nodes[0]!.network.id, { timestamp, amount: 7, payee: payee.publicKey, reference: 18_446_744_073_709_551_615n });
    const info = sized({ kind: Kind.INFO }, 4);
    const cases: [string, Uint8Array, number][] = [
      ['PAY accepted', sized({ kind: Kind.PAY, transaction: tx }, 1), 0x01],
      ['PAY again: duplicate', sized({ kind: Kind.PAY, transaction: tx }, 2), 0x13],
      ['PAY with a bad signature', sized({ kind: Kind.PAY, transaction: forged }, 3), 0x11],
      ['PAY beyond the balance', sized({ kind: Kind.PAY, transaction: tooMuch }, 5), 0x14],
      ['PAY a minute late', sized({ kind: Kind.PAY, transaction: late }, 6), 0x12],
      ['PAYREF (a payment with a reference) accepted', sized({ kind: Kind.PAYREF, transaction: withReference }, 30), 0x01],
      ['PAYREF again: duplicate', sized({ kind: Kind.PAYREF, transaction: withReference }, 31), 0x13],
      ['BALANCE', sized({ kind: Kind.BALANCE, account: payer.publicKey }, 7), 0x00],
      ['BALANCE of nobody', sized({ kind: Kind.BALANCE, account: payee.publicKey }, 8), 0x16],
      ['BALANCE padded to 128 only: TOO_SHORT', sized({ kind: Kind.BALANCE, account: payer.publicKey }, 9, 128), 0x19],
      ['STATUS of the payment: pending', sized({ kind: Kind.STATUS, txid: txidOf(tx) }, 10), 0x00],
      ['INFO', info, 0x00],
      ['WHOAMI', sized({ kind: Kind.WHOAMI }, 11), 0x00],
      ['HISTORY', sized({ kind: Kind.HISTORY, account: payer.publicKey, beforePeriod: 0, beforeIndex: 0 }, 12, 1232), 0x00],
      ['HISTORY padded to 128 only', sized({ kind: Kind.HISTORY, account: payer.publicKey, beforePeriod: 0, beforeIndex: 0 }, 13, 128), 0x19],
      ['EVIDENCE', sized({ kind: Kind.EVIDENCE, index: 0 }, 14), 0x00],
      ['ADDRESSES', sized({ kind: Kind.ADDRESSES, from: 0 }, 15), 0x00],
      ['CONFIG', sized({ kind: Kind.CONFIG, index: 0, offset: 0 }, 16, 1232), 0x00],
      ['CHANGE that does not decode', sized({ kind: Kind.CHANGE, change: new Uint8Array(40).fill(9) }, 17, 1232), 0x00],
      ['another version: BAD_REQUEST', Uint8Array.from(info, (byte, i) => (i === 2 ? 7 : byte)), 0x10],
      ['an unknown kind: BAD_REQUEST', Uint8Array.from(info, (byte, i) => (i === 3 ? 0x7e : byte)), 0x10],
      ['padding not zero: BAD_REQUEST', Uint8Array.from(info, (byte, i) => (i === info.length - 1 ? 1 : byte)), 0x10],
    ];
    for (const [name, bytes, status] of cases) {
      const { reply } = await both(name, bytes);
      expect(reply, name).not.toBeNull();
      expect(reply![8], name).toBe(status);
    }
    // Not a request: no reply over UDP, and over HTTP a 400 without reply bytes.
    const foreign = Uint8Array.from(info, (byte, i) => (i === 0 ? 0x58 : byte));
    expect(await both('not "SC"', foreign)).toEqual({ reply: null, status: 400 });
  });

  test('the rate limit: the same request hears RATE_LIMITED at the same count both ways, then nothing (429 over HTTP)', async () => {
    // The clock stands still, so each node's budget for this source only drains: the first
    // refusal is a signed RATE_LIMITED on both, the next is a silence over UDP and a 429.
    const info = sized({ kind: Kind.INFO }, 99);
    let limited = false;
    for (let i = 0; i < 1_000 && !limited; i++) {
      const { reply } = await both(`INFO number ${i}`, info);
      limited = reply !== null && reply[8] === 0x17;
    }
    expect(limited).toBe(true);
    expect(await both('after RATE_LIMITED', info)).toEqual({ reply: null, status: 429 });
  });
});
