// Hostile input against running servers of the compiled executable: a seeded slice of
// the UDP flood and the TCP fuzz (the full runs, 1,000,000 datagrams and 100,000
// connections, are in test/slow/hostile-node.test.ts; the scenarios themselves are in
// test/helpers/hostile-scenarios.ts), every request kind checked for amplification, and
// the per-source rate limit.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { toHex } from '../src/bytes.ts';
import { datagram_bytes_max, request_bytes_min } from '../src/constants.ts';
import { decodeReply, encodeRequest, Kind, replyBytes, requestBytesFor, Status, successBodyBytes, verifyReply } from '../src/client/codec.ts';
import { countersFromLog } from './helpers/hostile.ts';
import { tcpFuzzScenario, udpFloodScenario } from './helpers/hostile-scenarios.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(120_000);

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

async function inStep(c: ProcessCluster, servers: number[]): Promise<boolean> {
  const infos = await Promise.all(servers.map((i) => c.info(i)));
  return infos.every((info) => info !== null && info.committedPeriod > 0 && info.committedPeriod === infos[0]!.committedPeriod && toHex(info.stateHash) === toHex(infos[0]!.stateHash));
}

describe('hostile input against a running node (a seeded slice; the full runs are in test:slow)', () => {
  test('20,000 hostile datagrams of 13 kinds, with honest payments alongside', async () => {
    await udpFloodScenario(20_000, 1); // seeded: seed 1 repeats every choice
  });

  test('1,000 hostile TCP connections of 10 kinds, plus silent and slow ones, with honest payments alongside', async () => {
    await tcpFuzzScenario(1_000, 2); // seeded: seed 2 repeats every choice
  });

  test('no reply is ever longer than its request: every kind, every status, at every padded length', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 500 });
    cluster = c;
    for (const server of c.servers) c.start(server.index, ['--client-rate', '10000000']);
    expect(await c.until(() => inStep(c, [0, 1, 2]), 10_000)).toBe(true);
    const target = c.network.servers[0]!.address;
    const replies = new Map<number, Uint8Array>();
    const undecodable: string[] = [];
    const socket = await Bun.udpSocket({
      binaryType: 'uint8array',
      socket: {
        data: (_s, data) => {
          const reply = data.slice();
          try {
            replies.set(decodeReply(reply).requestId, reply);
          } catch (error) {
            undecodable.push(`${(error as Error).message}: ${toHex(reply)}`);
          }
        },
        error() {},
      },
    });
    const kinds = [Kind.PAY, Kind.BALANCE, Kind.STATUS, Kind.INFO, Kind.WHOAMI] as const;
    // Every length from the smallest a kind allows to the largest datagram (1-byte steps where replies change size).
    const cases: { kind: (typeof kinds)[number]; length: number }[] = [];
    for (const kind of kinds) {
      for (let length = Math.max(request_bytes_min, kind === Kind.PAY ? 148 : 0); length <= datagram_bytes_max; length += length < 260 ? 1 : 97) cases.push({ kind, length });
    }
    const requestOf = (requestId: number): Uint8Array => {
      const { kind, length } = cases[requestId]!;
      return encodeRequest(
        kind === Kind.PAY
          ? { kind, requestId, length, transaction: new Uint8Array(140) }
          : kind === Kind.BALANCE
            ? { kind, requestId, length, account: c.wallets[0]!.publicKey }
            : kind === Kind.STATUS
              ? { kind, requestId, length, txid: new Uint8Array(32) }
              : { kind, requestId, length },
      );
    };
    // UDP may drop some on a loaded machine: ask again for what went unanswered (bounded rounds).
    for (let round = 0; round < 8 && replies.size < cases.length; round++) {
      let sent = 0;
      for (let requestId = 0; requestId < cases.length; requestId++) {
        if (replies.has(requestId)) continue;
        socket.send(requestOf(requestId), target.port, target.host);
        if (++sent % 64 === 0) await Bun.sleep(5);
      }
      await Bun.sleep(500);
    }
    socket.close();
    expect(undecodable).toEqual([]);
    expect(replies.size).toBe(cases.length);
    let tooShort = 0;
    for (const [requestId, reply] of replies) {
      const decoded = decodeReply(reply);
      expect(verifyReply(decoded, c.network.id)).toBe(true);
      const requestLength = cases[requestId]!.length;
      expect(reply.length, `kind ${decoded.kind} request of ${requestLength} bytes`).toBeLessThanOrEqual(requestLength);
      if (decoded.status === Status.TOO_SHORT) {
        tooShort++;
        // TOO_SHORT names the length that fits the full reply.
        expect((decoded.body as { needed: number }).needed).toBe(replyBytes(successBodyBytes(decoded.kind, 3)));
        expect(requestLength).toBeLessThan(requestBytesFor(decoded.kind, 3));
      }
    }
    expect(tooShort).toBeGreaterThan(0);
  });

  test('clients that vanish before their replies arrive never stop the node (ICMP port unreachable)', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 500 });
    cluster = c;
    for (const server of c.servers) c.start(server.index, ['--client-rate', '10000000']);
    expect(await c.until(() => inStep(c, [0, 1, 2]), 10_000)).toBe(true);
    const target = c.network.servers[0]!.address;
    const request = encodeRequest({ kind: Kind.INFO, requestId: 7, length: requestBytesFor(Kind.INFO, 3) });
    // Each client asks a few times and closes at once: the node's replies hit closed ports,
    // and the kernel answers each with ICMP, which surfaces on the node's next send.
    for (let round = 0; round < 200; round++) {
      const ghost = await Bun.udpSocket({ socket: { data() {}, error() {} } });
      for (let i = 0; i < 5; i++) ghost.send(request, target.port, target.host);
      ghost.close();
      if (round % 20 === 19) await Bun.sleep(20);
    }
    await Bun.sleep(500);
    expect(c.servers[0]!.process!.exitCode).toBeNull(); // still running
    expect(await c.info(0)).not.toBeNull();
    await c.stopServer(0, 'SIGTERM');
    const counters = countersFromLog(c.servers[0]!.log);
    expect(counters.udp_send_failed ?? 0).toBeGreaterThan(0); // it met the ICMP errors, and went on
    expect(c.servers[0]!.log).not.toContain('internal error');
  });

  test('one source over its rate hears RATE_LIMITED once a second and nothing more; others are served', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 500 });
    cluster = c;
    c.startAll();
    expect(await c.until(() => inStep(c, [0, 1, 2]), 10_000)).toBe(true);
    const target = c.network.servers[0]!.address;
    const statuses = new Map<number, number>();
    const socket = await Bun.udpSocket({ binaryType: 'uint8array', socket: { data: (_s, data) => void statuses.set(data[8]!, (statuses.get(data[8]!) ?? 0) + 1), error() {} } });
    const request = encodeRequest({ kind: Kind.INFO, requestId: 1, length: requestBytesFor(Kind.INFO, 3) });
    const start = performance.now();
    for (let i = 0; i < 3_000; i++) {
      socket.send(request, target.port, target.host);
      if (i % 100 === 99) await Bun.sleep(10);
    }
    await Bun.sleep(300);
    socket.close();
    const seconds = (performance.now() - start) / 1000;
    // A burst of 400 plus 200 a second are served; beyond that, one notice a second.
    expect(statuses.get(Status.OK)!).toBeLessThanOrEqual(400 + Math.ceil(200 * seconds) + 5);
    expect(statuses.get(Status.RATE_LIMITED)!).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(statuses.get(Status.RATE_LIMITED)!).toBeGreaterThanOrEqual(1);
    // Another client is still served at once.
    expect(await c.info(0)).not.toBeNull();
  });
});
