// The event stream of the compiled executable (GET /v1/events, PROTOCOL §6.16): under a
// steady payment load, a subscriber whose connection is cut at random moments (seeded) and
// who reconnects to any server with Last-Event-ID, across a kill -9 and restart of one of
// them, receives every payment of its account once and in order, exactly the list a fresh
// stream from the beginning gives. And a reader that stops reading is cut while the others
// get everything, the node's memory staying bounded.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { udp } from 'bun';
import net from 'node:net';
import { encodeAddress } from '../src/address.ts';
import { toHex, view } from '../src/bytes.ts';
import { encodeRequest, payKindOf, requestBytesFor, Status } from '../src/client/codec.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { freePorts, ProcessCluster, rssOf } from './helpers/processes.ts';
import { testSigner } from './helpers/keys.ts';
import { Prng, seedLabel, testSeeds } from './helpers/prng.ts';
import { parseExposition, valueOf } from './helpers/prometheus-text.ts';
import { SseStream } from './helpers/sse.ts';

setDefaultTimeout(180_000);

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const shop = testSigner('events shop');
const passerby = testSigner('events passerby');

/** Payments over UDP with request ids: what each server answered, by request id. */
async function payer(c: ProcessCluster): Promise<{ send: (server: number, tx: Uint8Array) => void; answers: Map<number, { status: number; period: number; txid: string }>; close: () => void }> {
  const answers = new Map<number, { status: number; period: number; txid: string }>();
  const sent = new Map<number, string>();
  let nextId = 1;
  const socket: udp.Socket<'uint8array'> = await Bun.udpSocket({
    binaryType: 'uint8array',
    socket: {
      data: (_socket, data) => {
        const id = view(data).getUint32(4);
        const status = data[8]!;
        const period = status === Status.ACCEPTED || status === Status.FORWARDED ? view(data).getUint32(9) * 2 ** 32 + view(data).getUint32(13) : 0;
        answers.set(id, { status, period, txid: sent.get(id) ?? '' });
      },
      error: () => {},
    },
  });
  return {
    send: (server, tx) => {
      const id = nextId++;
      sent.set(id, toHex(txidOf(tx)));
      try {
        const kind = payKindOf(tx);
        socket.send(encodeRequest({ kind, requestId: id, transaction: tx, length: requestBytesFor(kind, 3) }), c.servers[server]!.port, '127.0.0.1');
      } catch {
        // that server is down: the payment is simply not made
      }
    },
    answers,
    close: () => socket.close(),
  };
}

/** Reads a fresh stream from the beginning of time until a `committed` at or after `period`: the payment ids and txids, in order. */
async function wholeList(url: string, period: number): Promise<{ id: string; txid: string; reference: string | null }[]> {
  const stream = await SseStream.open(`${url}v1/events?account=${encodeAddress(shop.publicKey)}&after=0:0`);
  const out: { id: string; txid: string; reference: string | null }[] = [];
  try {
    for (;;) {
      const event = await stream.next(10_000);
      if (event === null) throw new Error(`the whole list stopped at ${out.length} payments`);
      if (event.event === 'payment') out.push({ id: event.id!, txid: JSON.parse(event.data).txid, reference: JSON.parse(event.data).reference });
      if (event.event === 'committed' && JSON.parse(event.data).period >= period) return out;
    }
  } finally {
    stream.close();
  }
}

function cursorOf(id: string): [number, number] {
  const [period, index] = id.split(':').map(Number) as [number, number];
  return [period, index];
}

function isAfter(a: string, b: string): boolean {
  const [pa, ia] = cursorOf(a);
  const [pb, ib] = cursorOf(b);
  return pa !== pb ? pa > pb : ia > ib;
}

describe('GET /v1/events, compiled', () => {
  for (const seed of testSeeds([0x0e7e4701])) {
    test(`cut at random moments, resumed on any server by Last-Event-ID, across a kill -9 and restart: every payment once, in order (${seedLabel(seed)})`, async () => {
      const prng = new Prng(seed);
      const c = await ProcessCluster.create({ servers: 3, periodMs: 300 });
      cluster = c;
      const httpPorts = await freePorts(3);
      const gateway = (i: number) => `http://127.0.0.1:${httpPorts[i]}/`;
      const args = (i: number) => ['--http', `127.0.0.1:${httpPorts[i]}`, '--client-rate', '10000000'];
      for (let i = 0; i < 3; i++) c.start(i, args(i));
      expect(await c.until(async () => (await Promise.all([0, 1, 2].map((i) => c.committedOf(i)))).every((period) => period !== null && period > 0), 15_000), c.logs()).toBe(true);
      const up = new Set([0, 1, 2]);
      const pay = await payer(c);
      const wallet = c.wallets[0]!;

      // The subscriber: reads for a random while, cuts, reconnects to a random server that is up.
      const received: { id: string; txid: string; reference: string | null }[] = [];
      let lastId = '0:0';
      let lastCommitted = 0;
      let connections = 0;
      let stopped = false;
      const subscriberDeadline = Date.now() + 120_000; // bounded, whatever happens to the load
      const subscriber = (async () => {
        while (!stopped && Date.now() < subscriberDeadline) {
          const server = prng.pick([...up]);
          let stream: SseStream;
          try {
            stream = await SseStream.open(`${gateway(server)}v1/events?account=${encodeAddress(shop.publicKey)}&after=0:0`, { 'Last-Event-ID': lastId });
          } catch {
            await Bun.sleep(20);
            continue; // that server went down meanwhile
          }
          if (stream.response.status !== 200) {
            stream.close();
            continue;
          }
          connections++;
          const until = Date.now() + prng.between(50, 700);
          while (Date.now() < until) {
            const event = await stream.next(Math.max(1, until - Date.now()));
            if (event === null) {
              if (stream.ended) break;
              continue;
            }
            if (event.id !== null) {
              // Ids only ever grow: a payment, or a committed period, never seen again.
              expect(isAfter(event.id, lastId), `${event.event} ${event.id} after ${lastId}`).toBe(true);
              lastId = event.id;
            }
            if (event.event === 'payment') received.push({ id: event.id!, txid: JSON.parse(event.data).txid, reference: JSON.parse(event.data).reference });
            if (event.event === 'committed') lastCommitted = Math.max(lastCommitted, JSON.parse(event.data).period);
          }
          stream.close();
          await Bun.sleep(prng.between(0, 50));
        }
      })();

      // The load: 240 payments, 40 ms apart, two in three to the shop (one in four of them with a reference,
      // the 148-byte form), each to a server that is up.
      const references = new Map<string, string>();
      const payments = 240;
      for (let k = 0; k < payments; k++) {
        if (k === 80) {
          up.delete(1);
          await c.stopServer(1, 'SIGKILL');
        }
        if (k === 120) {
          c.start(1, args(1));
          up.add(1);
        }
        const to = k % 3 === 2 ? passerby : shop;
        const reference = k % 4 === 0 ? BigInt(1_000_000 + k) : undefined;
        const tx = signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 1 + (k % 7), payee: to.publicKey, ...(reference === undefined ? {} : { reference }) });
        if (reference !== undefined) references.set(toHex(txidOf(tx)), reference.toString());
        pay.send(prng.pick([...up]), tx);
        await Bun.sleep(40);
      }
      // Every accepted payment is in a period that commits (or is void) within a few periods.
      const lastPeriod = Math.max(...[...pay.answers.values()].map((answer) => answer.period));
      const settled = await c.until(() => lastCommitted >= lastPeriod + 2, 20_000);
      stopped = true;
      await subscriber;
      pay.close();
      expect(settled, `the subscriber reached committed ${lastCommitted}, the last payment is in ${lastPeriod}\n${c.logs()}`).toBe(true);

      const whole = await wholeList(gateway(0), lastCommitted);
      expect(received).toEqual(whole); // every payment once, in order, nothing else
      // The list is the shop's accepted payments (a few may be void: a period lost with the killed server).
      const accepted = new Set([...pay.answers.values()].filter((answer) => answer.status === Status.ACCEPTED || answer.status === Status.FORWARDED).map((answer) => answer.txid));
      for (const { txid, reference } of whole) {
        expect(accepted.has(txid)).toBe(true);
        expect(reference).toBe(references.get(txid) ?? null);
      }
      expect(whole.filter((entry) => entry.reference !== null).length).toBeGreaterThan(10);
      expect(whole.length).toBeGreaterThan(payments * (2 / 3) * 0.8);
      expect(connections).toBeGreaterThan(10);
    });
  }

  test('a reader that stops reading is cut, memory stays bounded, and a reader that resumes after each cut gets every payment once', async () => {
    const c = await ProcessCluster.create({ servers: 1, periodMs: 500 });
    cluster = c;
    const [httpPort, metricsPort] = await freePorts(2);
    c.start(0, ['--http', `127.0.0.1:${httpPort}`, '--metrics', `127.0.0.1:${metricsPort}`, '--client-rate', '10000000']);
    expect(await c.until(async () => ((await c.committedOf(0)) ?? 0) > 0, 15_000), c.logs()).toBe(true);
    const url = `http://127.0.0.1:${httpPort}/v1/events?account=${encodeAddress(shop.publicKey)}`;
    // The slow reader: asks, then reads nothing until the end.
    let slowBytes = 0;
    let slowTail = '';
    const slow = net.connect({ host: '127.0.0.1', port: httpPort! }, () => slow.write(`GET /v1/events?account=${encodeAddress(shop.publicKey)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    slow.on('data', (chunk: Buffer) => {
      slowBytes += chunk.length;
      slowTail = (slowTail + chunk.toString('latin1')).slice(-16);
    });
    slow.pause();
    // The other reader reads as fast as this busy process lets it; when it is cut too, it resumes by Last-Event-ID.
    const ids: string[] = [];
    let lastId: string | null = null;
    let wanted = Number.POSITIVE_INFINITY;
    let resumes = 0;
    const first = await SseStream.open(url);
    const readingDeadline = Date.now() + 120_000; // bounded, whatever happens to the node
    const reading = (async () => {
      let stream: SseStream | null = first;
      while (ids.length < wanted && Date.now() < readingDeadline) {
        if (stream === null || stream.ended) {
          stream?.close();
          stream = await SseStream.open(url, lastId === null ? {} : { 'Last-Event-ID': lastId });
          resumes++;
        }
        const event = await stream.next(1_000);
        if (event === null) {
          if (!stream.ended && ids.length >= wanted) break;
          continue;
        }
        if (event.id !== null) lastId = event.id;
        if (event.event === 'payment') ids.push(event.id!);
      }
      stream?.close();
    })();
    expect((await first.next())?.event).toBe('committed');
    const pid = c.servers[0]!.process!.pid;
    const rssBefore = rssOf(pid);
    // Payments to the shop, 64 in flight, until 10,000 are accepted (over 6 MB of events: more than the kernel
    // buffers of one connection); a period's blackout refuses some (BAD_TIME), the more the busier this process is.
    const pay = await payer(c);
    const target = 10_000;
    const wallet = c.wallets[0]!;
    const acceptedCount = () => [...pay.answers.values()].filter((answer) => answer.status === Status.ACCEPTED).length;
    for (let k = 0; k < 3 * target && acceptedCount() < target; k++) {
      pay.send(0, signPayment(wallet, c.network.id, { timestamp: Date.now(), amount: 1 + (k % 20), payee: shop.publicKey }));
      if (k % 64 === 63) await c.until(() => pay.answers.size > k - 64, 5_000, 1);
    }
    const sent = pay.answers.size;
    await c.until(() => pay.answers.size >= sent, 10_000);
    const accepted = acceptedCount();
    pay.close();
    expect(accepted).toBeGreaterThanOrEqual(target);
    wanted = accepted;
    expect(await c.until(() => ids.length >= accepted, 60_000), `${ids.length} of ${accepted} payments read, ${resumes} resumes`).toBe(true);
    await reading;
    expect(new Set(ids).size).toBe(ids.length); // once each, across the resumes
    for (let i = 1; i < ids.length; i++) expect(isAfter(ids[i]!, ids[i - 1]!)).toBe(true);
    expect(rssOf(pid) - rssBefore).toBeLessThan(128 * 1024 * 1024);
    const metrics = parseExposition(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    expect(valueOf(metrics, 'scryp_node_events_total', { event: 'events_streams_cut_slow' }) ?? 0).toBeGreaterThanOrEqual(1);
    // The slow reader, reading at last: what waited in the kernel's buffers, then the end of the response (the last,
    // empty chunk) that the node wrote when it cut the stream; far less than the events it would have had.
    slow.resume();
    const end = '\r\n0\r\n\r\n';
    expect(await c.until(() => slowTail.endsWith(end), 20_000), `the slow reader read ${slowBytes} bytes and no end`).toBe(true);
    expect(slowBytes).toBeLessThan(accepted * 100);
    slow.destroy();
  });
});
