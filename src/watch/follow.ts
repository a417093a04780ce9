// What `scryp watch` emits, given what the servers listed (pure: no sockets, no clock).
//
// A watcher keeps a position: every payment of the account at or before it has been
// handled (delivered, or skipped for a reason below). Each round, every server that answers
// lists the account's payments newest first, from the top of the round's window (the
// ceiling; null: from the newest) down to the position. From those lists:
//
//   1. Who vouches for a cursor c. A server vouches for c when its list reaches down to c
//      (it went below c, or it said it has nothing older and holds every period after its
//      archive_from < c's period) and it has committed c's period. If c holds a committed
//      payment, every honest server that vouches for c lists it, byte for byte.
//   2. The horizon: the highest cursor h such that every cursor in (position, h] has a
//      quorum of vouchers. With at most f = n − quorum liars, each such cursor has an honest
//      voucher, so a committed payment there is listed by someone and is never passed over.
//   3. Each position with listings in (position, h], oldest first:
//      - a group of equal bytes listed by a quorum is committed (a quorum holds an honest
//        server, and an honest server lists only what was committed): it is delivered,
//        unless it moved no money (void: applied 0), is not this account's, or its payer
//        signature is bad (honest servers never list one), which are skipped;
//      - a group that more than f vouchers did not list is not committed (one of them is
//        honest, and would list it): skipped, whatever its signature says. So is a group
//        whose signature is bad or that names neither payer nor payee as the account: it
//        cannot be a committed payment of this account, even if too few have spoken yet;
//      - otherwise the round stops just before this position (blocked): a server that has
//        not committed its period yet, or is silent, may still decide it. When every server
//        vouches, nothing blocks: a group is listed by a quorum or left out by more than f.
//   4. A backlog larger than a round holds (a server listed watch_pages_per_round_max pages
//      and had not reached the position) is walked in windows: when too few servers reach
//      the position for any progress, the next round's ceiling is the highest place where
//      such a server stopped; when a window is done (up to its top, or up to what a quorum
//      has committed below it), the ceiling goes back up to the one before (a stack of
//      window tops, newest window last). A round starts at once only after a window opened,
//      or closed with progress: a window a liar made cannot keep the watcher spinning.
//
// One server that lies (a payment never committed, a changed amount, a claim to have
// committed far ahead, entries without end) can therefore neither make the watcher emit
// anything nor pass over a committed payment; at most it slows a round down.

import { equal } from '../bytes.ts';
import { describeEntry, groupListings, type HistoryCursor, type HistoryEntry, type ServerHistory } from '../client/history.ts';
import { watch_windows_remembered_max } from '../constants.ts';
import type { Network } from '../network.ts';
import { payeeOf, payerOf } from '../transaction.ts';

export type Cursor = HistoryCursor;

/** An index above any a batch holds: (P, period_end_index) is "all of period P". */
export const period_end_index = 0xffff_ffff;

export function compareCursors(a: Cursor, b: Cursor): number {
  return a.period - b.period || a.index - b.index;
}

/** The cursor just before `c` in (period, index) order. */
export function justBefore(c: Cursor): Cursor {
  return c.index > 0 ? { period: c.period, index: c.index - 1 } : { period: c.period - 1, index: period_end_index };
}

/** The cursor just after `c`. */
export function justAfter(c: Cursor): Cursor {
  return c.index < period_end_index ? { period: c.period, index: c.index + 1 } : { period: c.period + 1, index: 0 };
}

const endOfPeriod = (period: number): Cursor => ({ period, index: period_end_index });
const maxCursor = (a: Cursor, b: Cursor): Cursor => (compareCursors(a, b) >= 0 ? a : b);
const minCursor = (a: Cursor, b: Cursor): Cursor => (compareCursors(a, b) <= 0 ? a : b);

/** What one server vouches for: every cursor c with from < c ≤ (committedPeriod, end). */
export interface Coverage {
  readonly server: number;
  readonly from: Cursor;
  readonly through: Cursor;
  /** It stopped (page bound or silence) before its list reached the position: a lower window would take it further. */
  readonly short: boolean;
}

export function coverageOf(history: ServerHistory, position: Cursor): Coverage | null {
  const last = history.entries[history.entries.length - 1];
  const from = history.exhausted ? endOfPeriod(history.archiveFrom) : last === undefined ? null : justBefore(last);
  if (from === null) return null;
  return { server: history.server, from, through: endOfPeriod(history.committedPeriod), short: !history.exhausted && compareCursors(from, position) > 0 };
}

/**
 * The highest cursor h ≥ position (and below `ceiling`) such that every cursor in
 * (position, h] is vouched for by at least `quorum` coverages. The number of vouchers is
 * constant between two consecutive ends of coverages, so the walk visits at most 2n of them.
 */
export function horizonOf(position: Cursor, coverages: readonly Coverage[], quorum: number, ceiling: Cursor | null): Cursor {
  const limit = ceiling === null ? null : justBefore(ceiling);
  let h = position;
  for (let steps = 0; steps <= 2 * coverages.length + 1; steps++) {
    if (limit !== null && compareCursors(h, limit) >= 0) return limit;
    // Vouchers of the cursors just above h, and the next cursor where that set changes.
    let vouchers = 0;
    let next: Cursor | null = null;
    for (const coverage of coverages) {
      if (compareCursors(coverage.from, h) <= 0) {
        if (compareCursors(coverage.through, h) > 0) {
          vouchers++;
          next = next === null ? coverage.through : minCursor(next, coverage.through);
        }
      } else {
        next = next === null ? coverage.from : minCursor(next, coverage.from);
      }
    }
    if (vouchers < quorum || next === null) return h;
    h = limit === null ? next : minCursor(next, limit);
  }
  throw new Error('assertion failed: the horizon walk passes each end of a coverage at most once');
}

export type SkipReason = 'void' | 'not listed by enough servers' | 'bad payer signature' | 'not this account';

export type Step = { readonly action: 'deliver'; readonly entry: HistoryEntry } | { readonly action: 'skip'; readonly entry: HistoryEntry; readonly why: SkipReason };

export interface FollowRound {
  /** The servers in force now (their number and quorum decide). */
  readonly network: Network;
  readonly account: Uint8Array;
  readonly position: Cursor;
  /** Window tops of a backlog walk; the last is this round's ceiling (empty: from the newest). */
  readonly windows: readonly Cursor[];
  /** What each server that answered listed this round, from the ceiling down. */
  readonly histories: readonly ServerHistory[];
}

export interface FollowDecision {
  /** In (period, index) order: deliver these, skip those. */
  readonly steps: readonly Step[];
  /** Where the watcher stands once every step is done. */
  readonly position: Cursor;
  /** The position the round stopped at, undecided: the groups listed there. */
  readonly blocked: { readonly at: Cursor; readonly entries: readonly HistoryEntry[] } | null;
  /** The next round's window tops. */
  readonly windows: readonly Cursor[];
  /** Servers that vouch for the cursor just after the position this round started from. */
  readonly vouching: number;
  /** The next round may start at once: a window was opened, or one was closed after progress (a backlog is being walked). */
  readonly again: boolean;
}

/** Liars a quorum outnumbers: a group more servers than this leave out is not committed. */
export const liarsOutnumbered = (network: Network): number => network.servers.length - network.quorum;

export function follow(round: FollowRound): FollowDecision {
  const { network, account, position } = round;
  const ceiling = round.windows[round.windows.length - 1] ?? null;
  const coverages = round.histories.map((history) => coverageOf(history, position)).filter((coverage) => coverage !== null);
  const horizon = horizonOf(position, coverages, network.quorum, ceiling);
  const vouchersOf = (at: Cursor): number[] =>
    coverages.filter((coverage) => compareCursors(coverage.from, at) < 0 && compareCursors(coverage.through, at) >= 0).map((coverage) => coverage.server);
  const vouching = vouchersOf(justAfter(position)).length;
  // Every group of equal bytes in (position, horizon], oldest first, one position at a time.
  const listings = groupListings(round.histories, (payment) => compareCursors(payment, position) > 0 && compareCursors(payment, horizon) <= 0).reverse();
  const steps: Step[] = [];
  let blocked: FollowDecision['blocked'] = null;
  for (let i = 0; i < listings.length && blocked === null; ) {
    const at: Cursor = { period: listings[i]!.payment.period, index: listings[i]!.payment.index };
    const here: HistoryEntry[] = [];
    for (; i < listings.length && compareCursors(listings[i]!.payment, at) === 0; i++) here.push(describeEntry(network, account, listings[i]!.payment, listings[i]!.servers));
    const vouchers = vouchersOf(at);
    const committed = here.find((entry) => entry.servers.length >= network.quorum);
    if (committed !== undefined) {
      const why = impossible(account, committed) ?? (committed.applied ? null : 'void');
      steps.push(why === null ? { action: 'deliver', entry: committed } : { action: 'skip', entry: committed, why });
      continue;
    }
    const refuted = here.map((entry) => impossible(account, entry) ?? (vouchers.filter((server) => !entry.servers.includes(server)).length > liarsOutnumbered(network) ? 'not listed by enough servers' : null));
    if (refuted.every((why) => why !== null)) {
      here.forEach((entry, k) => steps.push({ action: 'skip', entry, why: refuted[k]! }));
      continue;
    }
    blocked = { at, entries: here };
  }
  const reached = blocked === null ? horizon : maxCursor(position, justBefore(blocked.at));
  const progress = compareCursors(reached, position) > 0;
  const short = coverages.filter((coverage) => coverage.short);
  let windows = [...round.windows];
  let again = false;
  if (blocked !== null) {
    // Undecided: the same window again next period, when the servers may have caught up.
  } else if (!progress && short.length > 0 && wouldVouch(coverages, position) >= network.quorum) {
    // Too few servers reached the position for any progress, and those that stopped short
    // would make a quorum: open a lower window, from where the highest of them got to (its
    // last entry). (Nothing committed after the position yet is not a reason to dig.)
    const lower = justAfter(short.map((coverage) => coverage.from).reduce(maxCursor));
    if (ceiling === null || compareCursors(lower, ceiling) < 0) {
      if (windows.length >= watch_windows_remembered_max) windows = windows.slice(0, -1);
      windows.push(lower);
      again = true;
    }
  } else if (ceiling !== null) {
    // The window is done as far as anything can be known now (its top, or the horizon of
    // what a quorum committed below it): back up to the window above it.
    windows.pop();
    again = progress;
  }
  return { steps, position: reached, blocked, windows, vouching, again };
}

/** Servers that would vouch for the cursor after `position` if those that stopped short had listed down to it. */
function wouldVouch(coverages: readonly Coverage[], position: Cursor): number {
  const next = justAfter(position);
  return coverages.filter((coverage) => compareCursors(coverage.through, next) >= 0 && (coverage.short || compareCursors(coverage.from, next) < 0)).length;
}

/** Why a listing cannot be a committed payment of `account`, whoever lists it; null when it can. */
function impossible(account: Uint8Array, entry: HistoryEntry): SkipReason | null {
  if (!entry.signatureValid) return 'bad payer signature';
  if (!equal(payerOf(entry.tx), account) && !equal(payeeOf(entry.tx), account)) return 'not this account';
  return null;
}

/**
 * Where a first run "from now" starts: the end of the newest period a quorum of the
 * servers that answered has committed (with fewer than a quorum of answers: null). Nothing
 * at or before it is ever emitted.
 */
export function positionNow(network: Network, histories: readonly ServerHistory[]): Cursor | null {
  if (histories.length < network.quorum) return null;
  const committed = histories.map((history) => history.committedPeriod).sort((a, b) => b - a);
  return endOfPeriod(committed[network.quorum - 1]!);
}
