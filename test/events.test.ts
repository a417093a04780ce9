// The event stream's decisions (src/node/events.ts), without sockets: a scripted source of
// committed payments and sinks that record what they are sent and how much room they have.
// Backlog then live, each payment once and in order, `committed` ids as cursors, gaps,
// long jumps and snapshots, a slow reader cut (and a slow backlog only waiting), the bounds.

import { describe, expect, test } from 'bun:test';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { events_page_entries, events_stream_buffer_bytes_max, events_streams_max, events_streams_per_source_max } from '../src/constants.ts';
import type { AccountPayment, HistoryCursor } from '../src/ledger/store.ts';
import { after_every_index, committedEvent, type EventSink, type EventSource, EventStreams, formatCursor, parseCursor, paymentEvent, type Stream } from '../src/node/events.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { codeOf } from './helpers/errors.ts';
import { testSigner } from './helpers/keys.ts';

const alice = testSigner('events alice');
const bob = testSigner('events bob');
const carol = testSigner('events carol');
const networkId = new Uint8Array(32).fill(3);

/** A source the test writes: committed payments by period, a committed period, an archive start. */
class Ledger implements EventSource {
  readonly entries: AccountPayment[] = [];
  committed = 0;
  archive = 0;

  /** Commits period `period` with these payments (payer → payee, amount), applied unless said. */
  commit(period: number, payments: { from: typeof alice; to: typeof alice; amount: number; applied?: boolean }[]): AccountPayment[] {
    const made = payments.map((payment, index) => ({
      period,
      index,
      applied: payment.applied ?? true,
      transaction: signPayment(payment.from, networkId, { timestamp: period * 1000 + index, amount: payment.amount, payee: payment.to.publicKey }),
    }));
    this.entries.push(...made);
    this.committed = period;
    return made;
  }

  historyAfter(account: Uint8Array, after: HistoryCursor, limit: number): AccountPayment[] {
    const hex = toHex(account);
    return this.entries
      .filter((entry) => entry.period > this.archive && (entry.period > after.period || (entry.period === after.period && entry.index > after.index)))
      .filter((entry) => toHex(entry.transaction.subarray(12, 44)) === hex || toHex(entry.transaction.subarray(44, 76)) === hex)
      .slice(0, limit);
  }

  periodPayments(period: number): AccountPayment[] {
    return period <= this.archive ? [] : this.entries.filter((entry) => entry.period === period);
  }

  committedPeriod(): number {
    return this.committed;
  }

  archiveFrom(): number {
    return this.archive;
  }
}

/** A reader that reads nothing until `read()`: everything it was sent, parsed into events; its room shrinks as text waits. */
class Reader implements EventSink {
  text = '';
  ended = false;
  capacity = events_stream_buffer_bytes_max;
  private waiting = 0;
  room(): number {
    return this.capacity - this.waiting;
  }
  write(bytes: Uint8Array): void {
    expect(this.ended).toBe(false);
    this.text += new TextDecoder().decode(bytes);
    this.waiting += bytes.length;
  }
  /** The reader takes everything that waits. */
  read(): void {
    this.waiting = 0;
  }
  end(): void {
    this.ended = true;
  }
  events(): { id: string | null; event: string; data: Record<string, unknown> }[] {
    return this.text
      .split('\n\n')
      .filter((block) => block !== '' && !block.startsWith(':'))
      .map((block) => {
        const fields = new Map(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
        return { id: fields.get('id') ?? null, event: fields.get('event')!, data: JSON.parse(fields.get('data')!) };
      });
  }
  /** The ids of the payment events, in the order sent. */
  payments(): string[] {
    return this.events()
      .filter((event) => event.event === 'payment')
      .map((event) => event.id!);
  }
}

function setup() {
  const ledger = new Ledger();
  const counters = new Map<string, number>();
  const streams = new EventStreams(ledger, (name) => counters.set(name, (counters.get(name) ?? 0) + 1));
  const open = (account: Uint8Array, cursor: HistoryCursor | null, source = '192.0.2.1') => {
    const reader = new Reader();
    const stream = streams.open(account, cursor, source, reader);
    if ('refused' in stream) throw new Error(`refused: ${stream.refused}`);
    return { reader, stream: stream as Stream };
  };
  /** Pumps a stream as a reader that keeps reading and asking would, until it goes live (bounded). */
  const drain = (stream: Stream) => {
    for (let i = 0; i < 1_000 && stream.mode === 'backlog'; i++) {
      (stream.sink as Reader).read();
      streams.pump(stream);
    }
  };
  /** Commits as the node does: the store first, then onCommitted() after the core call. */
  const commit = (period: number, payments: Parameters<Ledger['commit']>[1]) => {
    ledger.commit(period, payments);
    streams.onCommitted();
  };
  return { ledger, streams, counters, open, drain, commit };
}

describe('events: what a stream is sent', () => {
  test('a payment event: id PERIOD:INDEX and the fields of PROTOCOL §6.16', () => {
    const ledger = new Ledger();
    const [entry] = ledger.commit(101, [{ from: alice, to: bob, amount: 25, applied: false }]);
    const text = paymentEvent(entry!);
    expect(text.startsWith('id: 101:0\nevent: payment\ndata: ')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
    expect(text.split('\n').length).toBe(5); // id, event, one data line, and the blank line
    expect(JSON.parse(text.split('\n')[2]!.slice('data: '.length))).toEqual({
      period: 101,
      index: 0,
      outcome: 'void',
      txid: toHex(txidOf(entry!.transaction)),
      time: 101_000,
      payer: encodeAddress(alice.publicKey),
      payee: encodeAddress(bob.publicKey),
      amount: 25,
      reference: null,
      tx: toHex(entry!.transaction),
    });
    expect(committedEvent(7)).toBe(`id: 7:${after_every_index}\nevent: committed\ndata: {"period":7}\n\n`);
    // A payment with a reference (the 148-byte form): its reference as a decimal string, all 64 bits of it.
    const referenced = { period: 102, index: 3, applied: true, transaction: signPayment(alice, networkId, { timestamp: 102_000, amount: 9, payee: bob.publicKey, reference: 18_446_744_073_709_551_615n }) };
    expect(JSON.parse(paymentEvent(referenced).split('\n')[2]!.slice('data: '.length))).toMatchObject({ reference: '18446744073709551615', tx: toHex(referenced.transaction), amount: 9 });
  });

  test('cursors: PERIOD:INDEX in decimal, nothing else', () => {
    expect(parseCursor('1767225600:3', 'after')).toEqual({ period: 1767225600, index: 3 });
    expect(formatCursor({ period: 5, index: after_every_index })).toBe('5:4294967295');
    for (const bad of ['', '5', '5:', ':3', '-1:0', '01:0', '5:4294967296', '5:3:1', '9007199254740992:0', 'a:b', '5 :3']) {
      expect(codeOf(() => parseCursor(bad, 'after')), bad).toBe('GATEWAY_CURSOR');
    }
  });

  test('without a cursor: none of the past, a `committed` at once, then each new payment of the account as its period commits', () => {
    const { open, commit } = setup();
    commit(100, [{ from: alice, to: bob, amount: 1 }]);
    const { reader, stream } = open(bob.publicKey, null);
    expect(stream.mode).toBe('live');
    commit(101, [
      { from: alice, to: carol, amount: 2 },
      { from: alice, to: bob, amount: 3 },
      { from: bob, to: bob, amount: 4 },
    ]);
    expect(reader.events().map((event) => [event.event, event.id])).toEqual([
      ['committed', `100:${after_every_index}`],
      ['payment', '101:1'],
      ['payment', '101:2'], // to itself: once
      ['committed', `101:${after_every_index}`],
    ]);
  });

  test('with a cursor: the backlog after it, oldest first, a page at a time as the reader asks, then live; each payment once', () => {
    const { streams, open, drain, commit } = setup();
    for (let period = 1; period <= 40; period++) commit(period, [{ from: alice, to: bob, amount: period }, { from: carol, to: alice, amount: 1 }, { from: bob, to: carol, amount: 1 }]);
    const { reader, stream } = open(bob.publicKey, { period: 3, index: 0 });
    expect(stream.mode).toBe('backlog');
    streams.pump(stream);
    expect(reader.payments().length).toBe(events_page_entries); // one page, not the whole backlog
    drain(stream);
    expect(stream.mode).toBe('live');
    const expected: string[] = ['3:2'];
    for (let period = 4; period <= 40; period++) expected.push(`${period}:0`, `${period}:2`);
    expect(reader.payments()).toEqual(expected);
    expect(reader.events().at(-1)).toEqual({ id: `40:${after_every_index}`, event: 'committed', data: { period: 40 } });
    // The live period after: only what is new, nothing twice.
    commit(41, [{ from: alice, to: bob, amount: 9 }]);
    streams.onCommitted();
    expect(reader.payments().slice(-2)).toEqual(['40:2', '41:0']);
  });

  test('a commit while the backlog is read: it comes with the backlog, once, before `committed`', () => {
    const { streams, open, drain, commit } = setup();
    for (let period = 1; period <= 40; period++) commit(period, [{ from: alice, to: bob, amount: 1 }]);
    const { reader, stream } = open(bob.publicKey, { period: 0, index: 0 });
    streams.pump(stream);
    commit(41, [{ from: alice, to: bob, amount: 1 }]); // the stream is not live yet: its backlog will hold 41
    drain(stream);
    expect(reader.payments()).toEqual(Array.from({ length: 41 }, (_, i) => `${i + 1}:0`));
    expect(reader.events().filter((event) => event.event === 'committed').map((event) => event.data.period)).toEqual([41]);
  });

  test('a long jump (catching up) sends live streams back to their backlog; a snapshot, or a cursor older than the archive, says `gap` first', () => {
    const { ledger, streams, open, drain, commit } = setup();
    commit(100, []);
    const { reader, stream } = open(bob.publicKey, null);
    for (let period = 101; period <= 300; period++) ledger.commit(period, period % 5 === 0 ? [{ from: alice, to: bob, amount: 1 }] : []);
    streams.onCommitted(); // 200 periods at once: more than a page of them for bob
    expect(reader.payments().length).toBe(events_page_entries);
    expect(stream.mode).toBe('backlog');
    drain(stream);
    expect(reader.payments()).toEqual(Array.from({ length: 40 }, (_, i) => `${105 + 5 * i}:0`));
    // A snapshot: the archive starts at 350 now; periods 301..350 are not held here.
    ledger.archive = 350;
    ledger.commit(351, [{ from: alice, to: bob, amount: 1 }]);
    streams.onCommitted();
    drain(stream);
    const last = reader.events().slice(-3);
    expect(last.map((event) => event.event)).toEqual(['gap', 'payment', 'committed']);
    expect(last[0]!.data).toEqual({ after: `300:${after_every_index}`, archiveFrom: 350 });
    expect(last[0]!.id).toBeNull(); // a gap is no cursor: reconnecting with the old one is told again
    expect(last[1]!.id).toBe('351:0');
    // A new stream from before the archive: the gap first.
    const late = open(bob.publicKey, { period: 120, index: 0 });
    drain(late.stream);
    expect(late.reader.events().map((event) => event.event)).toEqual(['gap', 'payment', 'committed']);
  });
});

describe('events: bounds', () => {
  test('a live reader that lets more than its room wait is cut; it resumes from its last id without loss', () => {
    const { streams, counters, open, drain, commit } = setup();
    commit(100, []);
    const { reader, stream } = open(bob.publicKey, null);
    reader.capacity = 1_500; // about two payment events
    commit(101, Array.from({ length: 5 }, () => ({ from: alice, to: bob, amount: 1 })));
    expect(reader.ended).toBe(true);
    expect(stream.mode).toBe('closed');
    expect(counters.get('events_streams_cut_slow')).toBe(1);
    expect(streams.size).toBe(0);
    const lastId = reader.payments().at(-1) ?? `100:${after_every_index}`;
    const again = open(bob.publicKey, parseCursor(lastId, 'Last-Event-ID'));
    drain(again.stream);
    expect([...reader.payments(), ...again.reader.payments()]).toEqual(['101:0', '101:1', '101:2', '101:3', '101:4'].slice(0, reader.payments().length + again.reader.payments().length));
    expect(again.reader.payments().at(-1)).toBe('101:4');
  });

  test('a backlog whose reader has no room waits for it (never cut): the next pump goes on where it stopped', () => {
    const { streams, open, commit } = setup();
    for (let period = 1; period <= 10; period++) commit(period, [{ from: alice, to: bob, amount: 1 }]);
    const { reader, stream } = open(bob.publicKey, { period: 0, index: 0 });
    reader.capacity = 0;
    streams.pump(stream);
    expect(reader.payments()).toEqual([]);
    expect(stream.mode).toBe('backlog');
    reader.capacity = events_stream_buffer_bytes_max;
    streams.pump(stream);
    expect(reader.payments().length).toBe(10);
    expect(stream.mode).toBe('live');
  });

  test(`at most ${events_streams_per_source_max} streams per source (429) and ${events_streams_max} in all (503); a closed one frees its place`, () => {
    const { streams, open } = setup();
    const held: Stream[] = [];
    for (let i = 0; i < events_streams_per_source_max; i++) held.push(open(bob.publicKey, null, '198.51.100.1').stream);
    expect(streams.open(bob.publicKey, null, '198.51.100.1', new Reader())).toEqual({ refused: 'GATEWAY_STREAMS', status: 429 });
    streams.close(held[0]!);
    streams.close(held[0]!); // twice: counted once
    expect('refused' in streams.open(bob.publicKey, null, '198.51.100.1', new Reader())).toBe(false);
    for (let i = streams.size; i < events_streams_max; i++) open(bob.publicKey, null, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(streams.open(bob.publicKey, null, '203.0.113.50', new Reader())).toEqual({ refused: 'GATEWAY_STREAMS', status: 503 });
    streams.closeAll();
    expect(streams.size).toBe(0);
  });
});
