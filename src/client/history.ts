// An account's payments, as a wallet shows them: one path for the CLI (`scryp history`)
// and the web wallet. It asks every server for HISTORY pages (docs/PROTOCOL.md §6.8),
// checks each payer's signature itself, and believes a payment when a majority of the
// servers list the very same bytes (period, index, outcome, payment).
//
// How one page is put together (mergeHistory, pure):
//   1. Every server answers from the same cursor. The page stops at the majority's
//      committed period P (the newest period a majority of answers have committed): a
//      period only some servers committed yet is left for the next refresh, not disputed.
//   2. A server's list is complete from the cursor down to its last entry when it listed
//      `limit` of them, or down to its archive_from when it ran out. Below the highest
//      such "last entry", some servers said nothing (they stopped early), so the page ends
//      there and `next` points at it: no entry is ever disputed merely because a server
//      was not asked that far.
//   3. Equal bytes are grouped; a group listed by a majority of all servers is committed,
//      any other is disputed, with the servers that listed it.

import { history_client_entries_max, payment_search_entries_max, payment_search_page_entries } from '../constants.ts';
import { equal, toHex } from '../bytes.ts';
import { encodeAddress } from '../address.ts';
import { fail } from '../errors.ts';
import type { Network } from '../network.ts';
import { verify } from '../signature.ts';
import { amountOf, payeeOf, payerOf, referenceOf, signatureOf, signingMessage, timestampOf, txidOf } from '../transaction.ts';
import { type HistoryBody, Kind, type ListedPayment, Status } from './codec.ts';
import type { ClientTransport } from './transport.ts';

export interface HistoryCursor {
  readonly period: number;
  readonly index: number;
}

export interface HistoryEntry {
  readonly period: number;
  readonly index: number;
  readonly applied: boolean;
  readonly tx: Uint8Array;
  readonly txid: Uint8Array;
  readonly timestamp: number;
  readonly amount: number;
  /** The payee's reference, signed with the payment (the 148-byte form); null without one. */
  readonly reference: bigint | null;
  readonly direction: 'in' | 'out';
  /** The other account. */
  readonly counterparty: Uint8Array;
  readonly agreement: 'committed' | 'disputed';
  /** Server indexes that listed these bytes. */
  readonly servers: readonly number[];
  readonly signatureValid: boolean;
}

export interface HistoryPage {
  readonly account: Uint8Array;
  readonly entries: readonly HistoryEntry[];
  /** Where the next (older) page starts; null: nothing older (back to archiveFrom). */
  readonly next: HistoryCursor | null;
  /** The majority's committed period. */
  readonly committedPeriod: number;
  /** The largest archive_from among answers. */
  readonly archiveFrom: number;
  /** Servers that answered. */
  readonly answered: readonly number[];
}

/** What one server said for a page: its bodies, in the order they were asked. */
export interface ServerHistory {
  readonly server: number;
  readonly committedPeriod: number;
  readonly archiveFrom: number;
  /** Its entries, newest first, from the cursor on. */
  readonly entries: readonly ListedPayment[];
  /** It had nothing older to list (a page with count 0). */
  readonly exhausted: boolean;
}

export const history_limit_default = 20;
const attempts = 4;
const first_timeout_ms = 150;

const older = (a: HistoryCursor, b: HistoryCursor): boolean => a.period < b.period || (a.period === b.period && a.index < b.index);

/**
 * One page of `account`'s payments, newest first, older than `before` (default: from the
 * newest), at most `limit` (default 20, at most history_client_entries_max).
 */
export async function accountHistory(
  client: ClientTransport,
  network: Network,
  account: Uint8Array,
  options: { limit?: number; before?: HistoryCursor } = {},
): Promise<HistoryPage> {
  const limit = options.limit ?? history_limit_default;
  if (!Number.isInteger(limit) || limit < 1 || limit > history_client_entries_max) {
    fail('OUT_OF_RANGE', `history limit: expected 1..${history_client_entries_max}, got ${limit}`);
  }
  const before = options.before ?? null;
  // First pages, from every server at once: they say where the majority stands.
  const firsts = await Promise.all(network.servers.map((_, server) => askPage(client, network, server, account, before)));
  const answered = firsts.flatMap((body, server) => (body === null ? [] : [{ server, body }]));
  const committedPeriod = majorityCommitted(network, answered.map((answer) => answer.body.committedPeriod));
  // Then each server pages on (all in parallel) until it has `limit` entries the page may show.
  const histories = await Promise.all(answered.map(({ server, body }) => pageOn(client, network, server, account, body, committedPeriod, limit)));
  return mergeHistory(network, account, histories, committedPeriod, limit);
}


/**
 * The payment `txid` in `account`'s history (the account is its payer or its payee), as the
 * servers list it (accountHistory: each signature checked, equal bytes grouped), newest
 * first; null when it is not among the account's newest payment_search_entries_max entries
 * or what the servers hold. Whether enough servers list it is the caller's to judge
 * (entry.servers).
 */
export async function findPayment(client: ClientTransport, network: Network, account: Uint8Array, txid: Uint8Array): Promise<HistoryEntry | null> {
  let before: HistoryCursor | undefined;
  for (let read = 0; read < payment_search_entries_max; read += payment_search_page_entries) {
    const page = await accountHistory(client, network, account, { limit: payment_search_page_entries, ...(before === undefined ? {} : { before }) });
    // Two signatures of one body are one payment (one txid): the listing most servers agree on.
    const found = page.entries.filter((entry) => equal(entry.txid, txid)).sort((a, b) => b.servers.length - a.servers.length)[0];
    if (found !== undefined) return found;
    if (page.next === null) return null;
    before = page.next;
  }
  return null;
}

/** The newest period a majority of the servers (counting all of them) has committed; with fewer answers, the lowest answered. */
export function majorityCommitted(network: Network, committed: readonly number[]): number {
  if (committed.length === 0) return 0;
  const sorted = [...committed].sort((a, b) => b - a);
  return sorted[Math.min(network.majority, sorted.length) - 1]!;
}

/** One HISTORY page of one server, from `before` (null: from the newest); null when it gives no valid answer for this account. */
export async function askPage(client: ClientTransport, network: Network, server: number, account: Uint8Array, before: HistoryCursor | null): Promise<HistoryBody | null> {
  const entry = network.servers[server]!;
  try {
    const reply = await client.ask(
      entry.address,
      { kind: Kind.HISTORY, account, beforePeriod: before?.period ?? 0, beforeIndex: before?.index ?? 0 },
      { networkId: network.id, serverKey: entry.key, serverCount: network.servers.length, attempts, timeoutMs: first_timeout_ms },
    );
    if (reply.status !== Status.OK || reply.body === null || !('entries' in reply.body)) return null;
    // A server answers for the account asked, or its answer is not an answer.
    return equal(reply.body.account, account) ? reply.body : null;
  } catch {
    return null; // no answer in time, or only invalid ones: this server does not count
  }
}

/** Pages one server from its first answer until it holds `limit` entries at or below `through`, or has nothing older. */
async function pageOn(
  client: ClientTransport,
  network: Network,
  server: number,
  account: Uint8Array,
  first: HistoryBody,
  through: number,
  limit: number,
): Promise<ServerHistory> {
  const entries: ListedPayment[] = [];
  let body: HistoryBody | null = first;
  let exhausted = false;
  // Bounded: every page moves the cursor strictly back (the codec refuses any other order).
  for (let pages = 0; body !== null && pages <= history_client_entries_max; pages++) {
    for (const entry of body.entries) if (entry.period <= through && entries.length < limit) entries.push(entry);
    const last = body.entries[body.entries.length - 1];
    if (last === undefined) {
      exhausted = true;
      break;
    }
    if (entries.length >= limit) break;
    body = await askPage(client, network, server, account, last);
  }
  return { server, committedPeriod: first.committedPeriod, archiveFrom: first.archiveFrom, entries, exhausted };
}

/** Puts the servers' lists together into one page (the rules at the top of this file). */
export function mergeHistory(network: Network, account: Uint8Array, answers: readonly ServerHistory[], committedPeriod: number, limit: number): HistoryPage {
  // A server that stopped answering before it listed anything the page may show covers nothing.
  const histories = answers.filter((history) => history.exhausted || history.entries.length > 0);
  // 2. Where every server's list is complete: down to the highest last entry of a server that stopped early.
  let floor: HistoryCursor | null = null;
  for (const history of histories) {
    const last = history.entries[history.entries.length - 1];
    if (history.exhausted || last === undefined) continue;
    if (floor === null || older(floor, last)) floor = last;
  }
  // 3. Group equal bytes.
  const sorted = groupListings(histories, (payment) => payment.period <= committedPeriod && (floor === null || !older(payment, floor)));
  const kept = sorted.slice(0, limit);
  const entries = kept.map(({ payment, servers }) => describeEntry(network, account, payment, servers));
  const cut = kept.length < sorted.length || floor !== null;
  const last = kept[kept.length - 1]?.payment;
  const next = !cut ? null : last !== undefined ? { period: last.period, index: last.index } : floor;
  return {
    account,
    entries,
    next,
    committedPeriod,
    archiveFrom: Math.max(0, ...histories.map((history) => history.archiveFrom)),
    answered: histories.map((history) => history.server).sort((a, b) => a - b),
  };
}

/** Bytes that some servers listed at one position, and which servers (in increasing order). */
export interface Listing {
  readonly payment: ListedPayment;
  readonly servers: number[];
}

/**
 * The servers' listings that `keep` takes, grouped by equal bytes (period, index, outcome,
 * payment): newest first, and at one position the group more servers listed first.
 */
export function groupListings(histories: readonly ServerHistory[], keep: (payment: ListedPayment) => boolean): Listing[] {
  const groups = new Map<string, { payment: ListedPayment; servers: number[] }>();
  for (const history of histories) {
    for (const payment of history.entries) {
      if (!keep(payment)) continue;
      const key = `${payment.period}:${payment.index}:${payment.applied ? 1 : 0}:${toHex(payment.transaction)}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { payment, servers: [history.server] });
      else if (!group.servers.includes(history.server)) group.servers.push(history.server);
    }
  }
  const sorted = [...groups.values()].sort((a, b) => b.payment.period - a.payment.period || b.payment.index - a.payment.index || b.servers.length - a.servers.length);
  for (const group of sorted) group.servers.sort((a, b) => a - b);
  return sorted;
}

/** A listing as a wallet shows it, from `account`'s side, with its payer signature checked. */
export function describeEntry(network: Network, account: Uint8Array, payment: ListedPayment, servers: number[]): HistoryEntry {
  const tx = payment.transaction;
  const payer = payerOf(tx);
  const outgoing = equal(payer, account);
  return {
    period: payment.period,
    index: payment.index,
    applied: payment.applied,
    tx,
    txid: txidOf(tx),
    timestamp: timestampOf(tx),
    amount: amountOf(tx),
    reference: referenceOf(tx),
    direction: outgoing ? 'out' : 'in',
    counterparty: (outgoing ? payeeOf(tx) : payer).slice(),
    agreement: servers.length >= network.majority ? 'committed' : 'disputed',
    servers,
    signatureValid: verify(signatureOf(tx), signingMessage(network.id, tx), payer),
  };
}

/** What a bookkeeper reads in the outcome column. */
export function outcomeOf(entry: HistoryEntry): 'committed' | 'void' | 'disputed' {
  if (entry.agreement === 'disputed' || !entry.signatureValid) return 'disputed';
  return entry.applied ? 'committed' : 'void';
}

export const history_csv_header = 'time,period,direction,counterparty,amount,txid,outcome,period_end,reference';

/**
 * The entries as CSV (RFC 4180: CRLF line ends, a header line, fields quoted when they hold
 * a comma, a quote or a line end). Columns:
 *   time          the payment's timestamp, ISO 8601 UTC (what the payer's wallet stamped)
 *   period        the period whose batch holds it
 *   direction     in or out, as seen from `account`
 *   counterparty  the other account's address (scryp1…)
 *   amount        signed whole scryp: negative when out, positive when in
 *   txid          64 hex
 *   outcome       committed (applied), void (in the batch but skipped: no money moved),
 *                 or disputed (no majority of servers listed it, or its signature is bad)
 *   period_end    end of that period, ISO 8601 UTC: the payment was final shortly after
 *   reference     the payee's reference (an invoice number, decimal), signed with the
 *                 payment; empty for a payment without one
 * Only the rows whose outcome is committed moved money: sum those for a balance change.
 */
export function historyCsv(account: Uint8Array, entries: readonly HistoryEntry[], periodMs: number): string {
  const lines = [history_csv_header];
  for (const entry of entries) {
    // From the payment's own bytes, as seen from `account`.
    const outgoing = equal(payerOf(entry.tx), account);
    lines.push(
      [
        isoTime(entry.timestamp),
        String(entry.period),
        outgoing ? 'out' : 'in',
        encodeAddress(outgoing ? payeeOf(entry.tx) : payerOf(entry.tx)),
        String(outgoing ? -entry.amount : entry.amount),
        toHex(entry.txid),
        outcomeOf(entry),
        isoTime((entry.period + 1) * periodMs),
        entry.reference === null ? '' : entry.reference.toString(),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** ISO 8601 UTC; a time beyond what a Date holds (only a void payment's stamp can be) stays a number of ms. */
export function isoTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
