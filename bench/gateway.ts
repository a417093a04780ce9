// Row "gateway": BALANCE over the HTTP gateway beside BALANCE over UDP, against one server
// of the compiled executable (a 1-server network, `--http` on loopback), in the same run.
//
//   latency     one request in flight at a time: p50 and p99 per transport, the two
//               transports in turns (UDP, HTTP, UDP, HTTP) so that drift hits both alike
//   throughput  `concurrency` requests in flight: requests per second of wall time, and
//               per second of the server's CPU time (user + system, all its threads): what
//               one core of the server answers
//
// The accounts asked are the genesis wallet and accounts the ledger has never seen (NOT_FOUND),
// in turn. Every reply is checked to be a reply to that request (kind, request id, length);
// its signature is the server's work, verified once per transport in each phase.

import { type udp } from 'bun';
import { toHex } from '../src/bytes.ts';
import { decodeReply, encodeRequest, Kind, requestBytesFor, Status, verifyReply } from '../src/client/codec.ts';
import { view } from '../src/bytes.ts';
import { freePorts, ProcessCluster } from '../test/helpers/processes.ts';
import { testSigner } from '../test/helpers/keys.ts';
import { cpuMsOf, formatRate, percentile, type Row } from './report.ts';

type Ask = (request: Uint8Array) => Promise<Uint8Array>;

/** A UDP client that matches replies to requests by request id; a request unanswered for 500 ms is sent again. */
async function udpAsker(port: number): Promise<{ ask: Ask; close: () => void; resends: () => number }> {
  const waiting = new Map<number, (reply: Uint8Array) => void>();
  let resends = 0;
  const socket: udp.Socket<'uint8array'> = await Bun.udpSocket({
    binaryType: 'uint8array',
    socket: {
      data: (_socket, data) => {
        const id = view(data).getUint32(4);
        const done = waiting.get(id);
        if (done !== undefined) {
          waiting.delete(id);
          done(data.slice());
        }
      },
      error: () => {},
    },
  });
  const ask: Ask = (request) =>
    new Promise((resolve) => {
      const id = view(request).getUint32(4);
      const timer = setInterval(() => {
        resends++;
        socket.send(request, port, '127.0.0.1');
      }, 500);
      waiting.set(id, (reply) => {
        clearInterval(timer);
        resolve(reply);
      });
      socket.send(request, port, '127.0.0.1');
    });
  return { ask, close: () => socket.close(), resends: () => resends };
}

/**
 * HTTP/1.1 over kept-alive TCP connections written by hand, one request in flight on each
 * (as the UDP client above is a bare socket): what is measured is the server's HTTP path,
 * not a client library's. A request takes a free connection, or opens one.
 */
async function httpAsker(port: number): Promise<{ ask: Ask; close: () => void }> {
  interface Connection {
    socket: Awaited<ReturnType<typeof Bun.connect<undefined>>>;
    buffered: Uint8Array;
    done: ((reply: Uint8Array) => void) | null;
  }
  const idle: Connection[] = [];
  const all: Connection[] = [];
  const head = (length: number) => new TextEncoder().encode(`POST /v1/request HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`);
  const heads = new Map<number, Uint8Array>();
  const open = async (): Promise<Connection> => {
    const connection: Connection = { socket: null as never, buffered: new Uint8Array(0), done: null };
    connection.socket = await Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        data: (_socket, chunk) => {
          const joined = new Uint8Array(connection.buffered.length + chunk.length);
          joined.set(connection.buffered);
          joined.set(chunk, connection.buffered.length);
          connection.buffered = joined;
          const text = new TextDecoder('latin1').decode(joined.subarray(0, Math.min(joined.length, 512)));
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) return;
          const status = Number(text.slice(9, 12));
          const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
          if (joined.length < end + 4 + length) return;
          const body = joined.slice(end + 4, end + 4 + length);
          connection.buffered = joined.slice(end + 4 + length);
          if (status !== 200) throw new Error(`bench gateway: HTTP ${status}: ${new TextDecoder().decode(body)}`);
          const done = connection.done!;
          connection.done = null;
          done(body);
        },
        error: () => {},
      },
    });
    all.push(connection);
    return connection;
  };
  const ask: Ask = async (request) => {
    const connection = idle.pop() ?? (await open());
    let head_ = heads.get(request.length);
    if (head_ === undefined) heads.set(request.length, (head_ = head(request.length)));
    const reply = await new Promise<Uint8Array>((resolve) => {
      connection.done = resolve;
      connection.socket.write(head_!);
      connection.socket.write(request);
    });
    idle.push(connection);
    return reply;
  };
  return { ask, close: () => all.forEach((connection) => connection.socket.end()) };
}

export async function gatewayBench(quick: boolean): Promise<Row> {
  const sequential = quick ? 300 : 3_000;
  const loadRequests = quick ? 5_000 : 40_000;
  const concurrency = 32;
  const cluster = await ProcessCluster.create({ servers: 1, periodMs: 1000 });
  try {
    const [httpPort] = await freePorts(1);
    const server = cluster.start(0, ['--http', `127.0.0.1:${httpPort}`, '--client-rate', '10000000', '--log-level', 'warn']);
    const pid = server.process!.pid;
    if (!(await cluster.until(async () => (await cluster.info(0)) !== null, 10_000))) throw new Error(`bench gateway: the node did not answer\n${cluster.logs()}`);
    const network = cluster.network;
    const accounts = [cluster.wallets[0]!.publicKey, ...Array.from({ length: 15 }, (_, i) => testSigner(`bench gateway stranger ${i}`).publicKey)];
    const templates = accounts.map((account) => encodeRequest({ kind: Kind.BALANCE, requestId: 0, account, length: requestBytesFor(Kind.BALANCE, 1) }));
    let nextId = 1;
    const request = (i: number) => {
      const bytes = templates[i % templates.length]!.slice();
      view(bytes).setUint32(4, nextId++);
      return bytes;
    };
    const check = (sent: Uint8Array, reply: Uint8Array, verifyIt: boolean) => {
      const decoded = decodeReply(reply);
      const known = toHex(sent.subarray(8, 40)) === toHex(accounts[0]!);
      if (decoded.kind !== Kind.BALANCE || decoded.requestId !== view(sent).getUint32(4) || decoded.status !== (known ? Status.OK : Status.NOT_FOUND)) {
        throw new Error(`bench gateway: a wrong reply (status ${decoded.status}) to request ${view(sent).getUint32(4)}`);
      }
      if (verifyIt && !verifyReply(decoded, network.id)) throw new Error('bench gateway: a reply whose signature does not verify');
    };
    const udp = await udpAsker(server.port);
    const http = await httpAsker(httpPort!);
    const transports: [string, Ask][] = [
      ['udp', udp.ask],
      ['http', http.ask],
    ];
    // Warm both paths (JIT, the connection pool), unmeasured.
    for (const [, ask] of transports) for (let i = 0; i < 200; i++) await ask(request(i));

    const latencies: Record<string, number[]> = { udp: [], http: [] };
    for (let round = 0; round < 2; round++) {
      for (const [name, ask] of transports) {
        for (let i = 0; i < sequential / 2; i++) {
          const sent = request(i);
          const t = performance.now();
          const reply = await ask(sent);
          latencies[name]!.push(performance.now() - t);
          check(sent, reply, i === 0);
        }
      }
    }

    const rates: Record<string, { wall: number; perCore: number }> = {};
    for (const [name, ask] of transports) {
      let issued = 0;
      const cpuBefore = cpuMsOf(pid);
      const t = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (issued < loadRequests) {
            const sent = request(issued++);
            check(sent, await ask(sent), issued === 1);
          }
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      const cpuSeconds = (cpuMsOf(pid) - cpuBefore) / 1000;
      rates[name] = { wall: loadRequests / seconds, perCore: loadRequests / cpuSeconds };
    }
    udp.close();
    http.close();

    const p = (name: string, q: number) => percentile(latencies[name]!, q);
    const httpP50 = p('http', 50);
    const udpP50 = p('udp', 50);
    const perCore = rates.http!.perCore;
    return {
      row: 'gateway',
      measured: `HTTP (POST /v1/request, kept-alive connections): p50 ${(httpP50 * 1000).toFixed(0)} µs, p99 ${(p('http', 99) * 1000).toFixed(0)} µs; ${formatRate(rates.http!.wall, 'requests/s')} with ${concurrency} in flight, ${formatRate(perCore, 'requests/s')} per core of the server`,
      reference: `UDP, same server, same run: p50 ${(udpP50 * 1000).toFixed(0)} µs, p99 ${(p('udp', 99) * 1000).toFixed(0)} µs; ${formatRate(rates.udp!.wall, 'requests/s')}, ${formatRate(rates.udp!.perCore, 'requests/s')} per core${udp.resends() > 0 ? ` (${udp.resends()} datagrams sent again)` : ''}`,
      ratio: `p50 ${(httpP50 / udpP50).toFixed(2)} × UDP; ${(rates.http!.perCore / rates.udp!.perCore).toFixed(2)} × UDP per core`,
      target: 'HTTP p50 ≤ 2 × UDP; ≥ 5,000 requests/s per core',
      met: httpP50 <= 2 * udpP50 && perCore >= 5_000,
      notes: `both clients are bare sockets (UDP; HTTP/1.1 written by hand on kept-alive TCP connections, one request in flight on each), so that the server's paths are what differ; ${sequential} BALANCE requests one at a time per transport (two turns each, alternating), then ${loadRequests} with ${concurrency} in flight; accounts: the genesis wallet and 15 the ledger never saw, in turn; every reply checked against its request, signatures verified on the first of each phase. Requests/s per core: requests ÷ the server process's CPU seconds (all threads) during the load.`,
    };
  } finally {
    await cluster.stop();
  }
}
