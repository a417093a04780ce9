// Row "events": from a period's commit to its `committed` event at each subscriber of
// GET /v1/events (PROTOCOL §6.16), with 1 and with 1,000 subscribers on one server of the
// compiled executable (a 1-server network, 500 ms periods), beside the commit latency of the
// same run (from the period's end to the commit).
//
// When a period commits is read from the server's own log line ("committed period P", its
// UTC time in ms, the same clock as the subscribers'); when its `committed` event reached a
// subscriber is taken as its bytes arrive. Each subscriber follows its own account; every
// period a payment goes to one in twenty of them (so the period's batch is read and matched,
// and payment events go out before the `committed` one). The subscribers are bare sockets
// (chunked SSE scanned for the event), each its own source behind --http-trusted-proxy.

import type { Socket } from 'bun';
import { encodeAddress } from '../src/address.ts';
import { encodeRequest, Kind, requestBytesFor } from '../src/client/codec.ts';
import { signPayment } from '../src/transaction.ts';
import { startOf, type Timing } from '../src/schedule.ts';
import { freePorts, ProcessCluster } from '../test/helpers/processes.ts';
import { testSigner } from '../test/helpers/keys.ts';
import { percentile, type Row } from './report.ts';

const marker = 'event: committed\ndata: {"period":';

interface Subscriber {
  socket: Socket<undefined>;
  carry: string;
  /** Period → when its `committed` arrived (ms since the epoch). */
  arrivals: Map<number, number>;
}

async function subscribe(port: number, account: Uint8Array, source: string): Promise<Subscriber> {
  const subscriber: Subscriber = { socket: null as never, carry: '', arrivals: new Map() };
  const decoder = new TextDecoder();
  subscriber.socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data: (_socket, chunk) => {
        const now = Date.now();
        const text = subscriber.carry + decoder.decode(chunk);
        let at = text.indexOf(marker);
        while (at >= 0) {
          const end = text.indexOf('}', at);
          if (end < 0) break;
          const period = Number(text.slice(at + marker.length, end));
          if (!subscriber.arrivals.has(period)) subscriber.arrivals.set(period, now); // the carried tail may hold it again
          at = text.indexOf(marker, end);
        }
        subscriber.carry = text.slice(-(marker.length + 24));
      },
      error: () => {},
    },
  });
  subscriber.socket.write(`GET /v1/events?account=${encodeAddress(account)} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${source}\r\n\r\n`);
  return subscriber;
}

/** "committed period P" lines of the server's log: period → its time (ms). */
function commitTimes(log: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const match of log.matchAll(/^(\S+Z) \S+ +\[consensus\] committed period (\d+)/gm)) out.set(Number(match[2]), Date.parse(match[1]!));
  return out;
}

async function phase(count: number, periods: number, quick: boolean): Promise<{ delays: number[]; commits: number[]; subscribers: number }> {
  const cluster = await ProcessCluster.create({ servers: 1, periodMs: 500 });
  try {
    const [httpPort] = await freePorts(1);
    const server = cluster.start(0, ['--http', `127.0.0.1:${httpPort}`, '--http-trusted-proxy', '127.0.0.1', '--client-rate', '10000000', '--log-level', 'info']);
    if (!(await cluster.until(async () => ((await cluster.committedOf(0)) ?? 0) > 0, 15_000))) throw new Error(`bench events: the node did not commit\n${cluster.logs()}`);
    const accounts = Array.from({ length: count }, (_, i) => testSigner(`bench events subscriber ${i}`).publicKey);
    const subscribers: Subscriber[] = [];
    for (let i = 0; i < count; i += 100) {
      subscribers.push(...(await Promise.all(accounts.slice(i, i + 100).map((account, j) => subscribe(httpPort!, account, `10.${((i + j) >> 16) & 255}.${((i + j) >> 8) & 255}.${(i + j) & 255}`)))));
    }
    const network = cluster.network;
    const timing: Timing = { periodMs: network.periodMs, blackoutMs: network.blackoutMs, skewMs: network.skewMs };
    const wallet = cluster.wallets[0]!;
    const socket = await Bun.udpSocket({ binaryType: 'uint8array', socket: { data() {}, error() {} } });
    // The periods measured: all subscribers in, then `periods` whole periods, paying in the middle of each.
    const first = Math.floor(Date.now() / network.periodMs) + 2;
    let requestId = 1;
    for (let period = first; period < first + periods; period++) {
      await Bun.sleep(Math.max(0, startOf(timing, period) + network.periodMs / 4 - Date.now()));
      for (let k = 0; k < Math.max(1, Math.floor(count / 20)); k++) {
        const payee = accounts[(period * 7 + k * 20) % count]!;
        const request = encodeRequest({ kind: Kind.PAY, requestId: requestId++, transaction: signPayment(wallet, network.id, { timestamp: Date.now(), amount: 1, payee }), length: requestBytesFor(Kind.PAY, 1) });
        socket.send(request, server.port, '127.0.0.1');
      }
    }
    await Bun.sleep(Math.max(0, startOf(timing, first + periods) + 300 - Date.now()));
    socket.close();
    for (const subscriber of subscribers) subscriber.socket.end();
    const committedAt = commitTimes(server.log);
    const delays: number[] = [];
    const commits: number[] = [];
    for (let period = first; period < first + periods; period++) {
      const at = committedAt.get(period);
      if (at === undefined) continue;
      commits.push(at - startOf(timing, period + 1));
      for (const subscriber of subscribers) {
        const arrived = subscriber.arrivals.get(period);
        if (arrived !== undefined) delays.push(arrived - at);
      }
    }
    const expected = subscribers.length * committedAt.size;
    if (delays.length < 0.9 * Math.min(expected, subscribers.length * periods) && !quick) throw new Error(`bench events: ${delays.length} arrivals of ${subscribers.length * periods}`);
    return { delays, commits, subscribers: subscribers.length };
  } finally {
    await cluster.stop();
  }
}

export async function eventsBench(quick: boolean): Promise<Row> {
  const periods = quick ? 6 : 20;
  const one = await phase(1, periods, quick);
  const many = await phase(quick ? 200 : 1_000, periods, quick);
  const p = (values: number[], q: number) => percentile(values, q).toFixed(0);
  const commits = [...one.commits, ...many.commits];
  const p99 = percentile(many.delays, 99);
  return {
    row: 'events',
    measured: `commit → 'committed' event at the subscriber: ${many.subscribers} subscribers p50 ${p(many.delays, 50)} ms, p99 ${p(many.delays, 99)} ms (${many.delays.length} arrivals); 1 subscriber p50 ${p(one.delays, 50)} ms, p99 ${p(one.delays, 99)} ms`,
    reference: `commit latency, same runs (period's end → commit): p50 ${p(commits, 50)} ms, p99 ${p(commits, 99)} ms`,
    ratio: `p99 at ${many.subscribers}: ${(p99 / Math.max(1, percentile(one.delays, 99))).toFixed(1)} × 1 subscriber`,
    target: 'p99 ≤ 50 ms at 1,000 subscribers',
    met: !quick && p99 <= 50,
    notes: `a 1-server network, 500 ms periods, ${periods} periods a phase; each subscriber a bare socket on its own account and source (X-Forwarded-For behind --http-trusted-proxy); every period one subscriber in twenty is paid, so payment events go out before each 'committed'; commit times from the server's log lines (UTC ms, the same clock).`,
  };
}
