// The hostile-input scenarios against running servers of the compiled executable, shared
// by the quick slice (test/hostile-node.test.ts) and the full runs (test/slow/). Each one
// starts its own three servers and always stops them, runs honest payments alongside the
// hostile traffic for its whole length, and checks afterwards: the node still answers and
// agrees with the others, the state hash is what the honest payments alone make it, and
// the node's counters account for every datagram or connection. Returns its figures.

import { expect } from 'bun:test';
import { Database } from 'bun:sqlite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader, toHex } from '../../src/bytes.ts';
import { pay } from '../../src/client/wallet.ts';
import { readVote, type Vote } from '../../src/consensus/vote.ts';
import { LedgerState } from '../../src/ledger/state.ts';
import { signerFromSeed, type Signer } from '../../src/signature.ts';
import {
  countersFromLog,
  kernelUdpDrops,
  replayMessages,
  silentAndSlowConnections,
  sumCounters,
  tcpCertainOutcome,
  tcpFuzz,
  udpCertainOutcome,
  udpFlood,
} from './hostile.ts';
import { testSeed } from './keys.ts';
import { ProcessCluster } from './processes.ts';

const payee = (label: string): Signer => signerFromSeed(testSeed(`hostile payee ${label}`));

async function inStep(c: ProcessCluster): Promise<boolean> {
  const infos = await Promise.all([0, 1, 2].map((i) => c.info(i)));
  return infos.every((info) => info !== null && info.committedPeriod > 0 && info.committedPeriod === infos[0]!.committedPeriod && toHex(info.stateHash) === toHex(infos[0]!.stateHash));
}

/** Honest payments, one after another, until `running()` turns false; every one must commit. */
async function honestPayments(c: ProcessCluster, wallet: Signer, running: () => boolean, atLeast: number): Promise<number[]> {
  const client = await c.udp();
  const amounts: number[] = [];
  for (let i = 0; running() || i < atLeast; i++) {
    const amount = 10 + (i % 50);
    const end = await pay(client, c.network, wallet, { to: payee(`${i % 3}`).publicKey, amount, server: i % 3 });
    expect(end.outcome, `honest payment ${i}: ${JSON.stringify(end)}\n${c.logs(20)}`).toBe('committed');
    amounts.push(amount);
  }
  return amounts;
}

/** The state hash the honest payments alone produce from genesis. */
function expectedHash(c: ProcessCluster, wallet: Signer, amounts: number[]): string {
  const balances = new Map<string, { account: Uint8Array; balance: number }>();
  for (const entry of c.network.genesis) balances.set(toHex(entry.account), { account: entry.account, balance: entry.balance });
  amounts.forEach((amount, i) => {
    balances.get(toHex(wallet.publicKey))!.balance -= amount;
    const to = payee(`${i % 3}`).publicKey;
    const entry = balances.get(toHex(to)) ?? { account: to, balance: 0 };
    entry.balance += amount;
    balances.set(toHex(to), entry);
  });
  return toHex(LedgerState.fromAccounts(balances.values()).hash);
}

async function started(c: ProcessCluster, argsFor: (index: number) => string[]): Promise<void> {
  for (const server of c.servers) c.start(server.index, argsFor(server.index));
  expect(await c.until(() => inStep(c), 10_000), c.logs()).toBe(true);
}

async function settledAndHonest(c: ProcessCluster, wallet: Signer, amounts: number[]): Promise<void> {
  expect(await c.until(() => inStep(c), 5_000), c.logs()).toBe(true);
  expect(toHex((await c.info(0))!.stateHash)).toBe(expectedHash(c, wallet, amounts));
}

export async function udpFloodScenario(count: number, seed: number, perSecond = 15_000): Promise<Record<string, number>> {
  const c = await ProcessCluster.create({ servers: 3, periodMs: 500 });
  try {
    await started(c, (index) => (index === 0 ? ['--client-rate', '10000000'] : []));
    const wallet = c.wallets[0]!;
    const pid = c.servers[0]!.process!.pid;
    const rssBefore = rssMb(pid);
    let flooding = true;
    const flood = udpFlood({ target: c.network.servers[0]!.address, network: c.network, payer: signerFromSeed(testSeed('hostile flooder')), seed, count, perSecond }).finally(
      () => (flooding = false),
    );
    const [result, amounts] = await Promise.all([flood, honestPayments(c, wallet, () => flooding, 3)]);
    await settledAndHonest(c, wallet, amounts);
    expect(result.worstAmplification).toBeLessThanOrEqual(1);
    expect(result.unmatchedReplies).toBe(0);
    const drops = kernelUdpDrops(c.servers[0]!.port);
    const rssAfter = rssMb(pid);
    // Memory stays bounded: the flood leaves nothing behind per datagram or per source.
    expect(rssAfter - rssBefore, `RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MB`).toBeLessThan(60);
    await c.stopServer(0, 'SIGTERM');
    const counters = countersFromLog(c.servers[0]!.log);
    // Every datagram that reached the socket ended in exactly one outcome counter ...
    expect(sumCounters(counters, 'udp_dropped_') + sumCounters(counters, 'udp_answered_')).toBe(counters.udp_in!);
    // ... and every one sent reached it or was dropped by the kernel (a full receive buffer).
    expect(counters.udp_in! + drops).toBeGreaterThanOrEqual(result.sent);
    for (const [category, counter] of Object.entries(udpCertainOutcome)) {
      const expected = result.byCategory[category as keyof typeof result.byCategory];
      if (drops === 0) expect(counters[counter] ?? 0, `${category} -> ${counter}`).toBe(expected);
      else expect(counters[counter] ?? 0, `${category} -> ${counter}`).toBeGreaterThanOrEqual(expected - drops);
    }
    expect(counters.udp_answered_bad_request ?? 0).toBeGreaterThanOrEqual(result.byCategory.version + result.byCategory.kind + result.byCategory.padding + result.byCategory.reference - drops);
    for (const status of ['bad_signature', 'bad_time', 'bad_amount']) expect(counters[`udp_answered_${status}`] ?? 0, status).toBeGreaterThan(0);
    return {
      sent: result.sent,
      replies: result.replies,
      kernelDrops: drops,
      honestPayments: amounts.length,
      udpIn: counters.udp_in!,
      worstAmplification: result.worstAmplification,
      bytesIn: result.sentBytes,
      bytesOut: result.replyBytes,
      rssBeforeMb: Math.round(rssBefore),
      rssAfterMb: Math.round(rssAfter),
    };
  } finally {
    await c.stop();
  }
}

/** Votes a server really cast, read from its own ledger: a peer replaying them must do no harm. */
function realVotesOf(dir: string): Vote[] {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  try {
    const bytes = (db.query("SELECT value FROM meta WHERE key = 'recent_votes'").get() as { value: Uint8Array } | null)?.value;
    if (bytes === undefined) return [];
    const reader = new Reader(bytes, 'recent_votes');
    const votes: Vote[] = [];
    while (reader.remaining > 0) votes.push(readVote(reader));
    return votes;
  } finally {
    db.close();
  }
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

export async function tcpFuzzScenario(connections: number, seed: number): Promise<Record<string, number>> {
  const c = await ProcessCluster.create({ servers: 3, periodMs: 500 });
  try {
    await started(c, (index) => (index === 0 ? ['--peer-idle-ms', '1500', '--frame-deadline-ms', '400'] : []));
    await Bun.sleep(3 * c.network.periodMs);
    const replays = replayMessages([], realVotesOf(c.servers[1]!.dir));
    expect(replays.length).toBeGreaterThan(0);
    const pid = c.servers[0]!.process!.pid;
    const rssBefore = rssMb(pid);
    const wallet = c.wallets[0]!;
    let fuzzing = true;
    const fuzz = tcpFuzz({
      target: c.network.servers[0]!.address,
      network: c.network,
      peer: signerFromSeed(testSeed('server 1')),
      stranger: signerFromSeed(testSeed('not a server')),
      replays,
      seed,
      connections,
      // Within the per-address allowance (8, plus one per server at this address: 11) even at
      // the worst moment: each of these 2 connections may still count on the node while its
      // successor opens (the node sees a close a little after the client does), the 2
      // lingering ones below, and the peers' 2 links, each possibly redialing under load
      // (a new link may open before the old one's close is seen): 2+2+2+2+2 = 10.
      concurrency: 2,
    }).finally(() => (fuzzing = false));
    const lingering = silentAndSlowConnections(c.network.servers[0]!.address, c.network, signerFromSeed(testSeed('server 2')), 2);
    const [result, slow, amounts] = await Promise.all([fuzz, lingering, honestPayments(c, wallet, () => fuzzing, 3)]);
    await settledAndHonest(c, wallet, amounts);
    // Every bad connection was closed by the node; the silent and the slow ones by their limits.
    for (const [category, count] of Object.entries(result.byCategory)) {
      if (category === 'replay') continue;
      expect(result.closedByNode[category as keyof typeof result.closedByNode], `${category} closed by the node`).toBe(count);
    }
    expect(slow.silentClosed).toBe(1);
    expect(slow.slowClosed).toBe(1);
    const rssAfter = rssMb(pid);
    await c.stopServer(0, 'SIGTERM');
    const counters = countersFromLog(c.servers[0]!.log);
    for (const [category, counter] of Object.entries(tcpCertainOutcome)) {
      expect(counters[counter] ?? 0, `${category} -> ${counter}`).toBe(result.byCategory[category as keyof typeof result.byCategory]);
    }
    expect(counters.tcp_in_refused_frame_deadline ?? 0).toBe(1); // the slow one
    expect(counters.tcp_in_refused_frame_idle ?? 0).toBe(1); // the silent one
    expect(counters.tcp_in_refused_limit ?? 0).toBe(0);
    // Memory stays bounded: nothing is kept per connection.
    expect(rssAfter - rssBefore, `RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MB`).toBeLessThan(60);
    return {
      connections: result.attempted,
      closedByNode: Object.values(result.closedByNode).reduce((a, b) => a + b, 0),
      replays: result.byCategory.replay,
      refusedTotal: sumCounters(counters, 'tcp_in_refused_'),
      honestPayments: amounts.length,
      rssBeforeMb: Math.round(rssBefore),
      rssAfterMb: Math.round(rssAfter),
    };
  } finally {
    await c.stop();
  }
}
