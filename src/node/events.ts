// The event stream (docs/PROTOCOL.md §6.16): `GET /v1/events?account=ADDRESS[&after=P:I]`
// on the HTTP gateway, as Server-Sent Events. The committed payments of one account, oldest
// first, each once, resumable exactly by its id; this module decides what each stream is
// sent and when. The gateway (gateway.ts) carries the text; the node (server.ts) calls
// onCommitted() after every core call, and the store answers what was committed.
//
// A stream is in one of two modes:
//
//   backlog  it is sent the account's committed payments after its cursor a page at a time
//            (historyAfter), as fast as its reader takes them (pump(), called when the
//            reader wants more): never more than a page is queued ahead of the reader
//   live     it caught up: each commit's payments of its account are sent as the period
//            commits (the period's batch read once for all live streams), then `committed`
//
//   open ─(cursor behind the newest commit)─> backlog ─(a short page: caught up)─> live
//   live ─(a commit jumped more than events_live_periods_max, or a snapshot)─> backlog
//
// Every stream keeps its cursor, the (period, index) of the last event it was sent; nothing
// at or before it is ever sent again, so a payment is sent once whatever the mode changes.
// `committed` carries the id `P:4294967295`, the cursor after every payment of period P, so
// a client that saw no payment since it connected still resumes exactly. A reader that lets
// more than events_stream_buffer_bytes_max wait is cut (it reconnects and resumes); a source
// may hold events_streams_per_source_max streams, the node events_streams_max in all.

import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { events_live_periods_max, events_page_entries, events_streams_max, events_streams_per_source_max } from '../constants.ts';
import { type ErrorCode, fail } from '../errors.ts';
import type { AccountPayment, HistoryCursor } from '../ledger/store.ts';
import { amountOf, payeeOf, payerOf, referenceOf, timestampOf, txidOf } from '../transaction.ts';

const encoder = new TextEncoder();

/** The index in a `committed` event's id: after every payment of its period (indices are u32). */
export const after_every_index = 0xffff_ffff;

/** What the streams read: the store's committed payments, and where the node stands. */
export interface EventSource {
  historyAfter(account: Uint8Array, after: HistoryCursor, limit: number): AccountPayment[];
  periodPayments(period: number): AccountPayment[];
  committedPeriod(): number;
  /** Periods after this one are all held (0: since genesis). */
  archiveFrom(): number;
}

/** Where a stream's text goes: one SSE response. */
export interface EventSink {
  /** Bytes that may still wait for the reader (events_stream_buffer_bytes_max less what waits now). */
  room(): number;
  /** Queues an event's bytes for the reader (the caller checked room()); the same bytes may go to many sinks. */
  write(bytes: Uint8Array): void;
  /** Ends the response (the stream was cut, or the node stops). */
  end(): void;
}

export interface Stream {
  readonly account: Uint8Array;
  readonly accountHex: string;
  readonly source: string;
  /** The last event sent: nothing at or before it is sent again. */
  cursor: HistoryCursor;
  mode: 'backlog' | 'live' | 'closed';
  readonly sink: EventSink;
}

/** `PERIOD:INDEX`, both decimal: a cursor as `after=` and `Last-Event-ID` give it. */
export function parseCursor(text: string, field: string): HistoryCursor {
  const match = /^(0|[1-9][0-9]{0,15}):(0|[1-9][0-9]{0,9})$/.exec(text.trim());
  if (match === null) fail('GATEWAY_CURSOR', `${field}: expected PERIOD:INDEX (an event's id, e.g. 1767225600:3), got ${JSON.stringify(text.slice(0, 40))}`);
  const period = Number(match[1]);
  const index = Number(match[2]);
  if (!Number.isSafeInteger(period) || index > after_every_index) fail('GATEWAY_CURSOR', `${field}: ${text.trim()} is out of range`);
  return { period, index };
}

export function formatCursor(cursor: HistoryCursor): string {
  return `${cursor.period}:${cursor.index}`;
}

function after(a: HistoryCursor, b: HistoryCursor): boolean {
  return a.period !== b.period ? a.period > b.period : a.index > b.index;
}


/** One `payment` event (PROTOCOL §6.16): its id, and one line of JSON. */
export function paymentEvent(entry: AccountPayment): string {
  const tx = entry.transaction;
  const data = {
    period: entry.period,
    index: entry.index,
    outcome: entry.applied ? 'applied' : 'void',
    txid: toHex(txidOf(tx)),
    time: timestampOf(tx),
    payer: encodeAddress(payerOf(tx)),
    payee: encodeAddress(payeeOf(tx)),
    amount: amountOf(tx),
    reference: referenceOf(tx)?.toString() ?? null, // a decimal string (u64), or null for the 140-byte form
    tx: toHex(tx),
  };
  return `id: ${entry.period}:${entry.index}\nevent: payment\ndata: ${JSON.stringify(data)}\n\n`;
}

export function committedEvent(period: number): string {
  return `id: ${period}:${after_every_index}\nevent: committed\ndata: {"period":${period}}\n\n`;
}

/** The cursor is older than what this server holds: payments after it up to archiveFrom are not here. */
export function gapEvent(cursor: HistoryCursor, archiveFrom: number): string {
  return `event: gap\ndata: ${JSON.stringify({ after: formatCursor(cursor), archiveFrom })}\n\n`;
}

export class EventStreams {
  private readonly live = new Map<string, Set<Stream>>();
  private readonly all = new Set<Stream>();
  private readonly perSource = new Map<string, number>();
  private lastCommitted: number;
  private lastArchiveFrom: number;

  constructor(
    private readonly source: EventSource,
    private readonly count: (name: string) => void,
  ) {
    this.lastCommitted = source.committedPeriod();
    this.lastArchiveFrom = source.archiveFrom();
  }

  get size(): number {
    return this.all.size;
  }

  /**
   * A new stream of `account`'s payments after `cursor` (null: from now on), from `source`,
   * or the refusal's code when the source or the node holds as many as it may.
   */
  open(account: Uint8Array, cursor: HistoryCursor | null, source: string, sink: EventSink): Stream | { refused: ErrorCode; status: number } {
    if (this.all.size >= events_streams_max) return { refused: 'GATEWAY_STREAMS', status: 503 };
    const held = this.perSource.get(source) ?? 0;
    if (held >= events_streams_per_source_max) return { refused: 'GATEWAY_STREAMS', status: 429 };
    this.perSource.set(source, held + 1);
    const stream: Stream = {
      account,
      accountHex: toHex(account),
      source,
      cursor: cursor ?? { period: this.lastCommitted, index: after_every_index },
      mode: 'backlog',
      sink,
    };
    this.all.add(stream);
    this.count('events_streams_opened');
    if (cursor === null) {
      // Its first event: a cursor for the client, even if no payment comes before it reconnects.
      if (this.send(stream, encoder.encode(committedEvent(this.lastCommitted)), 'cut')) this.goLive(stream);
    }
    return stream;
  }

  /**
   * Sends a backlog stream its next page (the reader wants more); a page shorter than a
   * whole one means it caught up: it goes live, in this same step, so that no commit falls
   * between its last page and its first live period.
   */
  pump(stream: Stream): void {
    if (stream.mode !== 'backlog') return;
    const archiveFrom = this.source.archiveFrom();
    if (archiveFrom > 0 && !after(stream.cursor, { period: archiveFrom, index: after_every_index - 1 })) {
      if (!this.send(stream, encoder.encode(gapEvent(stream.cursor, archiveFrom)), 'wait')) return;
      stream.cursor = { period: archiveFrom, index: after_every_index };
    }
    const page = this.source.historyAfter(stream.account, stream.cursor, events_page_entries);
    // What does not fit the reader's room now is read again at its next pump (the cursor did not pass it).
    for (const entry of page) if (!this.sendPayment(stream, entry, null, 'wait')) return;
    if (page.length < events_page_entries) this.goLive(stream);
  }

  private goLive(stream: Stream): void {
    stream.mode = 'live';
    let set = this.live.get(stream.accountHex);
    if (set === undefined) this.live.set(stream.accountHex, (set = new Set()));
    set.add(stream);
    this.sendCommitted(stream, this.lastCommitted, null);
  }

  /**
   * After every core call: when the committed period moved, the live streams get the new
   * periods' payments of their accounts and a `committed` event. A long jump (catching up)
   * or a snapshot sends every live stream back to its backlog, read a page at a time.
   */
  onCommitted(): void {
    const committed = this.source.committedPeriod();
    if (committed === this.lastCommitted) return;
    const archiveFrom = this.source.archiveFrom();
    const from = this.lastCommitted;
    this.lastCommitted = committed;
    if (archiveFrom !== this.lastArchiveFrom || committed - from > events_live_periods_max) {
      this.lastArchiveFrom = archiveFrom;
      const streams = [...this.live.values()].flatMap((set) => [...set]);
      this.live.clear();
      for (const stream of streams) {
        stream.mode = 'backlog';
        this.pump(stream);
      }
      return;
    }
    if (this.live.size > 0) {
      for (let period = from + 1; period <= committed; period++) {
        for (const entry of this.source.periodPayments(period)) {
          const payer = toHex(payerOf(entry.transaction));
          const payee = toHex(payeeOf(entry.transaction));
          let bytes: Uint8Array | null = null; // one event's bytes, for every stream of either account
          for (const account of payer === payee ? [payer] : [payer, payee]) {
            const streams = this.live.get(account);
            if (streams === undefined) continue;
            bytes ??= encoder.encode(paymentEvent(entry));
            for (const stream of [...streams]) this.sendPayment(stream, entry, bytes, 'cut');
          }
        }
      }
    }
    const bytes = encoder.encode(committedEvent(committed)); // the same for every stream
    for (const set of [...this.live.values()]) for (const stream of [...set]) this.sendCommitted(stream, committed, bytes);
  }

  private sendPayment(stream: Stream, entry: AccountPayment, bytes: Uint8Array | null, whenFull: 'wait' | 'cut'): boolean {
    if (!after(entry, stream.cursor)) return true; // sent already
    if (!this.send(stream, bytes ?? encoder.encode(paymentEvent(entry)), whenFull)) return false;
    stream.cursor = { period: entry.period, index: entry.index };
    this.count('events_payments_sent');
    return true;
  }

  private sendCommitted(stream: Stream, period: number, bytes: Uint8Array | null): void {
    const cursor = { period, index: after_every_index };
    if (!after(cursor, stream.cursor)) return; // said already (or the stream is ahead of this server: it catches up)
    if (this.send(stream, bytes ?? encoder.encode(committedEvent(period)), 'cut')) stream.cursor = cursor;
  }

  /**
   * Queues an event when the reader has room for it. When it has not: a backlog waits for
   * the reader to ask again ('wait'); a live stream is cut ('cut'): its reader is too slow,
   * and is never buffered for without bound (it reconnects and resumes from its cursor).
   */
  private send(stream: Stream, bytes: Uint8Array, whenFull: 'wait' | 'cut'): boolean {
    if (stream.mode === 'closed') return false;
    if (stream.sink.room() >= bytes.length) {
      stream.sink.write(bytes);
      return true;
    }
    if (whenFull === 'wait') return false;
    this.count('events_streams_cut_slow');
    this.close(stream);
    stream.sink.end();
    return false;
  }

  /** A comment to every stream (proxies close connections silent for long); a reader with no room for it is cut. */
  keepAlive(): void {
    const comment = encoder.encode(': keep-alive\n\n');
    for (const stream of [...this.all]) this.send(stream, comment, 'cut');
  }

  /** The stream ended (its reader went away, or it was cut): forgotten. */
  close(stream: Stream): void {
    if (stream.mode === 'closed') return;
    if (stream.mode === 'live') {
      const set = this.live.get(stream.accountHex);
      set?.delete(stream);
      if (set?.size === 0) this.live.delete(stream.accountHex);
    }
    stream.mode = 'closed';
    this.all.delete(stream);
    const held = (this.perSource.get(stream.source) ?? 1) - 1;
    if (held === 0) this.perSource.delete(stream.source);
    else this.perSource.set(stream.source, held);
  }

  /** The node stops: every stream ends (its reader reconnects elsewhere, or later, and resumes). */
  closeAll(): void {
    for (const stream of [...this.all]) {
      this.close(stream);
      stream.sink.end();
    }
  }
}
