// The one handler behind both client edges (src/node/client-requests.ts), without sockets:
// a real ServerCore of a one-server network on a memory store, the real verifier (inline),
// and a clock the test sets. Every request ends in exactly one outcome, counted under its
// edge; the rate limit is one budget per source whichever edge it uses; what is dropped,
// what hears BAD_REQUEST, and that WHOAMI names the source it is given.

import { describe, expect, test } from 'bun:test';
import { client_burst_requests, request_bytes_min } from '../src/constants.ts';
import { decodeReply, encodeRequest, Kind, requestBytesFor, Status, verifyReply } from '../src/client/codec.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { MemoryStore } from '../src/ledger/store.ts';
import { LogLimiter } from '../src/log.ts';
import { type Answer, ClientRequests, type Edge } from '../src/node/client-requests.ts';
import { ServerCore } from '../src/node/core.ts';
import { RateLimiter } from '../src/node/rate-limit.ts';
import { Verifier } from '../src/node/verifier.ts';
import { startOf } from '../src/schedule.ts';
import { verify } from '../src/signature.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function setup(perSecond = 200) {
  const { network, servers, wallets } = testNetwork({ servers: 1 });
  const timing = { periodMs: network.periodMs, blackoutMs: network.blackoutMs, skewMs: network.skewMs };
  // Started before a period and ticked into it: a server started within a period is not its alpha's batch.
  // It takes payments once it has committed its first period (PROTOCOL §5.4): ticked on into the next
  // one until it has committed the first, the one the test pays in.
  const first = 1_800_000_000;
  const period = first + 1;
  const clock = { now: startOf(timing, first) - 300 };
  const store = new MemoryStore(ServerCore.genesisFor(network));
  store.seedGenesis(LedgerState.fromAccounts(network.genesis).entries());
  const core = new ServerCore({ network, selfIndex: 0, signer: servers[0]!, store, verify, log: silent, now: clock.now });
  clock.now = startOf(timing, first) + 100;
  core.tick(clock.now);
  for (clock.now = startOf(timing, period); clock.now < startOf(timing, period) + 100 && core.committed.period !== first; clock.now++) core.tick(clock.now);
  expect(core.committed.period).toBe(first);
  clock.now = startOf(timing, period) + 100;
  core.tick(clock.now);
  const counters = core.counters;
  const count = (name: string, by = 1) => counters.set(name, (counters.get(name) ?? 0) + by);
  const requests = new ClientRequests({
    core,
    verifier: new Verifier(network.id, 0),
    signer: servers[0]!,
    networkId: network.id,
    rateLimiter: new RateLimiter(perSecond, Math.max(client_burst_requests, 2 * perSecond), 1_000),
    rateNotices: new LogLimiter(1_000, 1_000),
    badInputLogs: new LogLimiter(60_000),
    log: silent,
    now: () => clock.now,
    count,
    run: (work) => work(),
  });
  /** Asks and returns every answer delivered for this one request (the test expects exactly one). */
  const ask = (edge: Edge, bytes: Uint8Array, host = '192.0.2.1', port = 40_000): Answer[] => {
    const answers: Answer[] = [];
    requests.handle(edge, bytes, { host, port }, clock.now, (answer) => answers.push(answer));
    return answers;
  };
  return { network, wallet: wallets[0]!, serverKey: servers[0]!.publicKey, counters, clock, ask };
}

function sum(counters: Map<string, number>, prefix: string): number {
  let total = 0;
  for (const [name, value] of counters) if (name.startsWith(prefix)) total += value;
  return total;
}

describe('client requests: one handler for every edge', () => {
  test('every kind is answered exactly once, signed, and counted under the edge that carried it', () => {
    const { network, wallet, counters, clock, ask } = setup();
    const tx = signPayment(wallet, network.id, { timestamp: clock.now, amount: 5, payee: testSigner('payee').publicKey });
    const kinds = [
      { kind: Kind.PAY, transaction: tx },
      { kind: Kind.BALANCE, account: wallet.publicKey },
      { kind: Kind.STATUS, txid: txidOf(tx) },
      { kind: Kind.INFO },
      { kind: Kind.WHOAMI },
      { kind: Kind.HISTORY, account: wallet.publicKey, beforePeriod: 0, beforeIndex: 0 },
      { kind: Kind.EVIDENCE, index: 0 },
      { kind: Kind.ADDRESSES, from: 0 },
      { kind: Kind.CONFIG, index: 0, offset: 0 },
    ] as const;
    for (const [i, fields] of kinds.entries()) {
      for (const edge of ['udp', 'http'] as const) {
        const bytes = encodeRequest({ ...fields, requestId: i, length: requestBytesFor(fields.kind, 1) } as Parameters<typeof encodeRequest>[0]);
        const answers = ask(edge, bytes);
        expect(answers.length).toBe(1);
        const reply = answers[0]!.reply!;
        expect(reply.length).toBeLessThanOrEqual(bytes.length);
        const decoded = decodeReply(reply);
        expect(verifyReply(decoded, network.id)).toBe(true);
        expect(decoded.kind).toBe(fields.kind);
        expect(decoded.requestId).toBe(i);
      }
    }
    // The payment went in once; the second copy (by the other edge) is a duplicate.
    expect(counters.get('udp_reply_pay_accepted')).toBe(1);
    expect(counters.get('http_reply_pay_duplicate')).toBe(1);
    for (const edge of ['udp', 'http']) {
      expect(counters.get(`${edge}_in`)).toBe(kinds.length);
      expect(sum(counters, `${edge}_answered_`) + sum(counters, `${edge}_dropped_`)).toBe(kinds.length);
    }
  });

  test('WHOAMI says the source the edge gives, packed', () => {
    const { ask } = setup();
    const bytes = encodeRequest({ kind: Kind.WHOAMI, requestId: 9, length: request_bytes_min });
    const reply = decodeReply(ask('http', bytes, '203.0.113.7', 40_123)[0]!.reply!);
    expect(reply.body).toEqual({ address: Uint8Array.of(203, 0, 113, 7, 0x9c, 0xbb) });
  });

  test('what is not a request is dropped; a request of another version or a malformed one hears BAD_REQUEST', () => {
    const { counters, ask } = setup();
    const info = encodeRequest({ kind: Kind.INFO, requestId: 3, length: request_bytes_min });
    const cases: { name: string; bytes: Uint8Array; reply: boolean; counter: string }[] = [
      { name: 'empty', bytes: new Uint8Array(0), reply: false, counter: 'http_dropped_request_too_short' },
      { name: '127 bytes', bytes: info.subarray(0, 127), reply: false, counter: 'http_dropped_request_too_short' },
      { name: 'not SC', bytes: Uint8Array.from(info, (b, i) => (i === 0 ? 0x58 : b)), reply: false, counter: 'http_dropped_bad_magic' },
      { name: 'version 2', bytes: Uint8Array.from(info, (b, i) => (i === 2 ? 2 : b)), reply: true, counter: 'http_bad_bad_version' },
      { name: 'unknown kind', bytes: Uint8Array.from(info, (b, i) => (i === 3 ? 0x7f : b)), reply: true, counter: 'http_bad_unknown_kind' },
      { name: 'padding not zero', bytes: Uint8Array.from(info, (b, i) => (i === 100 ? 1 : b)), reply: true, counter: 'http_bad_bad_padding' },
    ];
    for (const { name, bytes, reply, counter } of cases) {
      const answers = ask('http', bytes);
      expect(answers.length, name).toBe(1);
      expect(answers[0]!.reply !== null, name).toBe(reply);
      // The status byte (decodeReply refuses a reply to a kind it does not know).
      if (reply) expect(answers[0]!.reply![8], name).toBe(Status.BAD_REQUEST);
      expect(counters.get(counter), name).toBeGreaterThan(0);
    }
  });

  test('the rate limit is one budget per source across both edges', () => {
    const perSecond = 10;
    const { counters, ask } = setup(perSecond);
    const burst = Math.max(client_burst_requests, 2 * perSecond);
    const info = encodeRequest({ kind: Kind.INFO, requestId: 1, length: requestBytesFor(Kind.INFO, 1) });
    // Half the burst by UDP, half by HTTP: all answered OK ...
    for (let i = 0; i < burst; i++) expect(decodeReply(ask(i % 2 === 0 ? 'udp' : 'http', info)[0]!.reply!).status).toBe(Status.OK);
    // ... then either edge hears RATE_LIMITED once, and nothing after it within the second.
    expect(decodeReply(ask('http', info)[0]!.reply!).status).toBe(Status.RATE_LIMITED);
    expect(ask('udp', info)[0]!.reply).toBeNull();
    expect(counters.get('udp_dropped_rate_limited')).toBe(1);
    // Another source has its own budget.
    expect(decodeReply(ask('udp', info, '192.0.2.99')[0]!.reply!).status).toBe(Status.OK);
  });
});
