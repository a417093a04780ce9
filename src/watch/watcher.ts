// The loop of `scryp watch` (the I/O edge around follow.ts): a HISTORY round on every
// server in force in step with the periods, the pure decision of what to emit, each
// payment delivered (and retried until it is), and the position written to disk after
// each delivery. Nothing here decides what is committed: follow.ts does.
//
//   start ── read DIR's position (refuse a bad one) ── learn the servers in force
//     │
//     └─▶ round: every server lists from the window's top down to the position
//           ├─ fewer than a quorum answered: say so once, wait (doubling), learn the servers again
//           ├─ no position yet (first run, from now): the quorum's committed period is it
//           └─ follow(): for each step, deliver (retry until delivered) and write the
//              position; then write where the round got to; wait for the next period
//              (or go on at once while a backlog window is open)

import { networkInForce } from '../client/addresses.ts';
import { askPage, type ServerHistory } from '../client/history.ts';
import type { ClientTransport } from '../client/transport.ts';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { watch_network_refresh_ms, watch_pages_per_round_max } from '../constants.ts';
import type { ListedPayment } from '../client/codec.ts';
import type { Network } from '../network.ts';
import type { Logger } from '../log.ts';
import { watchEventOf } from '../payment-event.ts';
import { type Delivery, type Sink } from './deliver.ts';
import { compareCursors, type Cursor, follow, justBefore, liarsOutnumbered, period_end_index, positionNow, type Step } from './follow.ts';
import { checkPositionFor, positionPath, readPosition, removeLeftAsides, writePosition } from './position.ts';
import { deliveryRetryDelayMs, nextRoundAt, unreachableDelayMs } from './timing.ts';
import type { HistoryEntry } from '../client/history.ts';

export interface WatchOptions {
  readonly client: ClientTransport;
  /** The network file's network: the servers in force are learnt from it. */
  readonly network: Network;
  readonly account: Uint8Array;
  readonly dir: string;
  readonly sink: Sink;
  /** Where a first run starts: now, or at this payment (inclusive). Ignored once DIR holds a position. */
  readonly from: 'now' | Cursor;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly clock?: () => number;
  readonly random?: () => number;
}

const cursorText = (cursor: Cursor): string => (cursor.index === period_end_index ? `the end of period ${cursor.period}` : `${cursor.period}:${cursor.index}`);

/** Runs until `signal` aborts (returns) or the position cannot be kept (throws). */
export async function watch(options: WatchOptions): Promise<void> {
  const { client, account, dir, sink, log, signal } = options;
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const where = positionPath(dir);
  removeLeftAsides(dir);
  const saved = readPosition(dir);
  if (saved !== null) checkPositionFor(saved, options.network.id, account, where);
  let position: Cursor | null = saved?.position ?? (options.from === 'now' ? null : justBefore(options.from));
  let written: Cursor | null = saved?.position ?? null;
  const save = (at: Cursor) => {
    if (written !== null && compareCursors(at, written) <= 0) return;
    writePosition(dir, { network: options.network.id, account, position: at });
    written = at;
  };
  if (saved !== null && options.from !== 'now') log.info(`--from applies to a first run only: resuming after ${cursorText(saved.position)} (${where})`);
  if (position !== null) save(position);

  let network = options.network;
  let learnedAt = -Infinity;
  let unreachable = 0;
  let windows: Cursor[] = [];
  let blockedSince: { at: Cursor; rounds: number; told: boolean } | null = null;
  let gapTold = false;
  log.info(`watching ${encodeAddress(account)} on ${network.name}${position === null ? ', from now' : `, after ${cursorText(position)}`}; delivering to ${sink.name}`);

  while (!signal.aborted) {
    if (clock() - learnedAt >= watch_network_refresh_ms || unreachable > 0) {
      try {
        network = await networkInForce(client, options.network); // servers changed or moved (PROTOCOL §3.10, §8.13)
        learnedAt = clock();
      } catch (error) {
        log.debug(`could not learn the servers in force: ${(error as Error).message}`);
      }
    }
    const top = windows[windows.length - 1] ?? null;
    const histories = await listRound(client, network, account, position ?? { period: Number.MAX_SAFE_INTEGER, index: period_end_index }, top);
    if (signal.aborted) return;
    if (histories.length < network.quorum) {
      unreachable++;
      if (unreachable === 1) {
        log.warn(`only ${histories.length} of ${network.servers.length} servers answered (a quorum is ${network.quorum}): nothing can be believed yet; asking again, less and less often (at most every ${unreachableDelayMs(network.periodMs, 1_000) / 1000} s)`);
      }
      await sleep(unreachableDelayMs(network.periodMs, unreachable), signal);
      continue;
    }
    if (unreachable > 0) log.warn(`a quorum of servers answers again (${histories.length} of ${network.servers.length})`);
    unreachable = 0;

    if (position === null) {
      position = positionNow(network, histories)!;
      save(position);
      log.info(`first run: starting after ${cursorText(position)}, the newest period a quorum has committed (${where})`);
      await sleep(nextRoundAt(network.periodMs, clock(), false) - clock(), signal);
      continue;
    }

    const from: Cursor = position;
    const decision = follow({ network, account, position, windows, histories });
    for (const step of decision.steps) {
      if (step.action === 'deliver') {
        if (!(await deliverUntilDone(sink, deliveryOf(network, account, step.entry), log, signal, random))) return;
        save(step.entry);
      } else {
        logSkip(step, log);
      }
    }
    position = decision.position;
    windows = [...decision.windows];
    save(position);

    if (decision.blocked === null) blockedSince = null;
    else {
      if (blockedSince === null || compareCursors(blockedSince.at, decision.blocked.at) !== 0) blockedSince = { at: decision.blocked.at, rounds: 0, told: false };
      blockedSince.rounds++;
      if (blockedSince.rounds >= 10 && !blockedSince.told) {
        blockedSince.told = true;
        const listed = decision.blocked.entries.map((entry) => `servers ${entry.servers.join(', ')} list txid ${toHex(entry.txid)}`).join('; ');
        log.warn(`waiting at ${cursorText(decision.blocked.at)} for ${blockedSince.rounds} rounds: ${listed}, too few to believe or to refuse (a quorum is ${network.quorum}; more than ${liarsOutnumbered(network)} leaving it out refuses it); waiting for the other servers`);
      }
    }
    // Answers from a quorum, and still no server list reaches the position: say why, once.
    if (decision.vouching < network.quorum && decision.windows.length === 0 && compareCursors(decision.position, from) === 0) {
      if (!gapTold) {
        gapTold = true;
        const archives = histories.filter((history) => history.exhausted && history.archiveFrom >= from.period).map((history) => `server ${history.server} holds none before period ${history.archiveFrom + 1}`);
        log.warn(`only ${decision.vouching} servers can list the payments after ${cursorText(from)} (a quorum is ${network.quorum})${archives.length > 0 ? `: ${archives.join('; ')} (restored from a snapshot)` : ''}; waiting`);
      }
    } else gapTold = false;
    await sleep(nextRoundAt(network.periodMs, clock(), decision.again) - clock(), signal);
  }
}

function deliveryOf(network: Network, account: Uint8Array, entry: HistoryEntry): Delivery {
  return { body: watchEventOf(network, account, entry), txid: toHex(entry.txid), eventId: `${entry.period}:${entry.index}`, attempt: 1 };
}

function logSkip(step: Extract<Step, { action: 'skip' }>, log: Logger): void {
  const what = `${step.entry.period}:${step.entry.index} (txid ${toHex(step.entry.txid)}, listed by servers ${step.entry.servers.join(', ')})`;
  if (step.why === 'void') log.info(`skipped ${what}: void, it moved no money`);
  else log.warn(`ignored ${what}: ${step.why}; a server that lists it is wrong or lying`);
}

/** Delivers until it is delivered (true) or the watcher is stopped (false). */
async function deliverUntilDone(sink: Sink, delivery: Delivery, log: Logger, signal: AbortSignal, random: () => number): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    const outcome = await sink.deliver({ ...delivery, attempt }, signal);
    if (signal.aborted) return false;
    if (outcome.delivered) {
      log.info(`delivered ${delivery.eventId} (txid ${delivery.txid})${attempt > 1 ? ` at attempt ${attempt}` : ''}`);
      return true;
    }
    const wait = deliveryRetryDelayMs(attempt, random());
    log.warn(`${sink.name} did not take ${delivery.eventId} (txid ${delivery.txid}), attempt ${attempt}: ${outcome.why}; again in ${(wait / 1000).toFixed(1)} s (it is retried until it is delivered)`);
    await sleep(wait, signal);
  }
  return false;
}

/**
 * What each server lists this round: from `top` (null: the newest) down to the first entry
 * at or before `position`, at most watch_pages_per_round_max pages. A server that answers
 * with entries not older than the cursor asked stops being read (its answer so far stands).
 */
async function listRound(client: ClientTransport, network: Network, account: Uint8Array, position: Cursor, top: Cursor | null): Promise<ServerHistory[]> {
  const lists = await Promise.all(network.servers.map((_, server) => listServer(client, network, server, account, position, top)));
  return lists.filter((list) => list !== null);
}

async function listServer(client: ClientTransport, network: Network, server: number, account: Uint8Array, position: Cursor, top: Cursor | null): Promise<ServerHistory | null> {
  const entries: ListedPayment[] = [];
  let committedPeriod: number | null = null;
  let archiveFrom = 0;
  let exhausted = false;
  let cursor = top;
  for (let pages = 0; pages < watch_pages_per_round_max; pages++) {
    const body = await askPage(client, network, server, account, cursor);
    if (body === null) break;
    if (cursor !== null && body.entries.some((entry) => compareCursors(entry, cursor!) >= 0)) break;
    committedPeriod ??= body.committedPeriod;
    archiveFrom = body.archiveFrom;
    entries.push(...body.entries);
    const last = body.entries[body.entries.length - 1];
    if (last === undefined) {
      exhausted = true;
      break;
    }
    if (compareCursors(last, position) <= 0) break;
    cursor = last;
  }
  return committedPeriod === null ? null : { server, committedPeriod, archiveFrom, entries, exhausted };
}

/** Waits `ms` (at least 0), or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
