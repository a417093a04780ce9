// The account index behind HISTORY (docs/PROTOCOL.md §10), on the ledger's SQLite file:
// every payment of every committed batch, listed under its payer and its payee, so that a
// page of an account's history is a few lookups, never a scan of the periods.
//
//   account_ids      (id PK, account UNIQUE)                    a short number for every account that ever paid or was paid
//   account_index    (period, account_id, idx PK, applied)      one row per payer and per payee of every payment: PERIOD first
//   account_epochs   (account_id, epoch PK, periods)            for each account, which periods of each sealed epoch hold its rows
//   batch_payments   (period, idx PK, payment)                  the payments themselves (written by the store)
//
// Why period first. A commit's rows all go to the end of the table, in key order (the
// period's rows sorted by account): appends, the same few pages whatever the size of the
// ledger. Schema 2 keyed the rows by account first, so each commit put two rows per
// payment at random places in a B-tree that grows with the ledger, and rewrote a page for
// nearly every row: a 10,000-payment commit cost 147 ms at 1,000,000 payments against
// about 25 ms without the index (docs/BENCHMARKS.md, history row).
//
// Finding an account's periods. An epoch is index_epoch_periods periods. While an epoch
// is open (and until it is sealed), memory holds, per account, a bitmap of its periods in
// it (rebuilt from account_index when the store opens). Once the committed period is past
// it, the epoch is sealed: one account_epochs row per account, in account order, a slice
// per commit spread over the next epoch, in the commit's own transaction (meta index_sealed:
// every epoch below it is sealed; index_sealing_from: the accounts below it of that epoch
// are). A page reads the bitmaps of the open epochs, then one range of account_epochs
// (the account's sealed epochs, newest first), and for each period that holds the account
// one lookup of its rows: never a period without them.

import type { Database, Statement } from 'bun:sqlite';
import { account_ids_cached_max, index_epoch_periods, u64_safe_max } from '../constants.ts';
import { Reader, Writer } from '../bytes.ts';
import { fail } from '../errors.ts';
import { isPaymentLength, payeeOf, payerOf } from '../transaction.ts';
import { KeyMap } from './key-map.ts';
import type { AccountPayment, HistoryCursor } from './store.ts';

/** The accounts' numbers (schema 2 had them already). */
export const account_ids_schema = 'CREATE TABLE account_ids (id INTEGER PRIMARY KEY, account BLOB NOT NULL UNIQUE);';

/** The index and its sealed epochs (schema 3). */
export const account_index_schema = `
CREATE TABLE account_index (period INTEGER NOT NULL, account_id INTEGER NOT NULL, idx INTEGER NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (period, account_id, idx)) WITHOUT ROWID;
CREATE TABLE account_epochs (account_id INTEGER NOT NULL, epoch INTEGER NOT NULL, periods BLOB NOT NULL, PRIMARY KEY (account_id, epoch)) WITHOUT ROWID;
`;

/** One period's rows of an account, newest first, below an index (with the payments). */
export const period_rows_before_sql = `
SELECT a.idx AS idx, a.applied AS applied, b.payment AS payment
FROM account_index AS a JOIN batch_payments AS b ON b.period = a.period AND b.idx = a.idx
WHERE a.period = ? AND a.account_id = ? AND a.idx < ?
ORDER BY a.idx DESC
LIMIT ?`;

/** One period's rows of an account, oldest first, above an index. */
const period_rows_after_sql = `
SELECT a.idx AS idx, a.applied AS applied, b.payment AS payment
FROM account_index AS a JOIN batch_payments AS b ON b.period = a.period AND b.idx = a.idx
WHERE a.period = ? AND a.account_id = ? AND a.idx > ?
ORDER BY a.idx ASC
LIMIT ?`;

/** An account's sealed epochs at or below one, newest first. */
export const epochs_before_sql = 'SELECT epoch, periods FROM account_epochs WHERE account_id = ? AND epoch <= ? ORDER BY epoch DESC';
const epochs_after_sql = 'SELECT epoch, periods FROM account_epochs WHERE account_id = ? AND epoch >= ? AND epoch < ? ORDER BY epoch ASC';

const bitmap_bytes = index_epoch_periods / 8;
/** Sealing an epoch ends this many periods before the next one closes. */
const sealing_spare_periods = 4;

export const epochOf = (period: number): number => Math.floor(period / index_epoch_periods);

type Row = { idx: number; applied: number; payment: Uint8Array };

/** The accounts of one open epoch and a bitmap of their periods in it. */
class OpenEpoch {
  private readonly slots = new Map<number, number>();
  private bits = new Uint8Array(1024 * bitmap_bytes);
  private sorted: number[] | null = null;

  set(id: number, period: number): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.slots.size;
      if ((slot + 1) * bitmap_bytes > this.bits.length) {
        const grown = new Uint8Array(this.bits.length * 2);
        grown.set(this.bits);
        this.bits = grown;
      }
      this.slots.set(id, slot);
      this.sorted = null;
    }
    const bit = period % index_epoch_periods;
    this.bits[slot * bitmap_bytes + (bit >> 3)]! |= 1 << (bit & 7);
  }

  bitmapOf(id: number): Uint8Array | null {
    const slot = this.slots.get(id);
    return slot === undefined ? null : this.bits.subarray(slot * bitmap_bytes, (slot + 1) * bitmap_bytes);
  }

  /** The accounts, in id order (the order account_epochs is written in). */
  ids(): number[] {
    if (this.sorted === null) this.sorted = [...this.slots.keys()].sort((a, b) => a - b);
    return this.sorted;
  }
}

/** The periods set in a bitmap of `epoch`, newest first or oldest first. */
function periodsOf(epoch: number, bitmap: Uint8Array, newestFirst: boolean): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < index_epoch_periods; bit++) if ((bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0) out.push(epoch * index_epoch_periods + bit);
  return newestFirst ? out.reverse() : out;
}

/** What a commit's index rows change in memory, applied once its transaction succeeded. */
export interface IndexWrite {
  readonly period: number;
  readonly ids: readonly number[];
  /** Accounts given a number by this commit. */
  readonly given?: KeyMap<number>;
  readonly sealed: { readonly epoch: number; readonly through: number; readonly done: boolean } | null;
}

export class AccountIndex {
  private readonly getAccountId: Statement<{ id: number }, [Uint8Array]>;
  private readonly insertAccountId: Statement<unknown, [Uint8Array]>;
  private readonly insertRow: Statement<unknown, [number, number, number, number]>;
  private readonly insertEpoch: Statement<unknown, [number, number, Uint8Array]>;
  private readonly rowsBefore: Statement<Row, [number, number, number, number]>;
  private readonly rowsAfter: Statement<Row, [number, number, number, number]>;
  private readonly epochsBefore: Statement<{ epoch: number; periods: Uint8Array }, [number, number]>;
  private readonly epochsAfter: Statement<{ epoch: number; periods: Uint8Array }, [number, number, number]>;
  private readonly putMeta: Statement<unknown, [string, Uint8Array]>;
  private readonly open = new Map<number, OpenEpoch>();
  /** Accounts' numbers known from committed transactions (bounded: forgotten all at once when full). */
  private knownIds = new KeyMap<number>();
  /** Every epoch below this is sealed in account_epochs (and none of them is in `open`). */
  private sealedBelow = 0;
  /** The accounts of epoch `sealedBelow` below this id are sealed too (it is being sealed). */
  private sealingFrom = 0;

  constructor(
    private readonly db: Database,
    private readonly path: string,
  ) {
    this.getAccountId = db.query('SELECT id FROM account_ids WHERE account = ?');
    this.insertAccountId = db.query('INSERT INTO account_ids (account) VALUES (?)');
    this.insertRow = db.query('INSERT OR IGNORE INTO account_index (period, account_id, idx, applied) VALUES (?, ?, ?, ?)');
    this.insertEpoch = db.query('INSERT INTO account_epochs (account_id, epoch, periods) VALUES (?, ?, ?)');
    this.rowsBefore = db.query(period_rows_before_sql);
    this.rowsAfter = db.query(period_rows_after_sql);
    this.epochsBefore = db.query(epochs_before_sql);
    this.epochsAfter = db.query(epochs_after_sql);
    this.putMeta = db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    const meta = (key: string): number => {
      const row = db.query('SELECT value FROM meta WHERE key = ?').get(key) as { value: Uint8Array } | null;
      return row === null ? 0 : new Reader(row.value, `meta.${key}`).u64(key);
    };
    this.sealedBelow = meta('index_sealed');
    this.sealingFrom = meta('index_sealing_from');
    // The open epochs' bitmaps, from the rows of the periods not yet sealed.
    for (const row of db.query('SELECT DISTINCT period, account_id FROM account_index WHERE period >= ?').iterate(this.sealedBelow * index_epoch_periods) as IterableIterator<{
      period: number;
      account_id: number;
    }>) {
      this.openEpoch(epochOf(row.period)).set(row.account_id, row.period);
    }
  }

  private openEpoch(epoch: number): OpenEpoch {
    let open = this.open.get(epoch);
    if (open === undefined) this.open.set(epoch, (open = new OpenEpoch()));
    return open;
  }

  /**
   * One committed batch's rows, inside the caller's transaction, and the slice of sealing
   * that falls to this commit. Returns what memory learns once the transaction succeeded
   * (afterCommit): nothing in memory changes before, so a failed commit leaves it as it was.
   */
  write(period: number, payments: readonly Uint8Array[], applied: Uint8Array): IndexWrite {
    // Numbers known from earlier commits come from memory (a lookup in account_ids cost about
    // half of a commit: 20,000 of them); numbers given in this batch are remembered only once
    // its transaction succeeded (afterCommit), since a transaction that fails takes them back.
    const given = new KeyMap<number>();
    const idOf = (account: Uint8Array): number => {
      let id = this.knownIds.get(account) ?? given.get(account);
      if (id === undefined) {
        const found = this.getAccountId.get(account)?.id;
        if (found !== undefined) this.remember(account, (id = found));
        else given.set(account, (id = Number(this.insertAccountId.run(account.slice()).lastInsertRowid)));
      }
      return id;
    };
    const rows: { id: number; index: number }[] = [];
    for (const [i, tx] of payments.entries()) rows.push({ id: idOf(payerOf(tx)), index: i }, { id: idOf(payeeOf(tx)), index: i });
    // In key order (account, then position): the period's rows go after every earlier period's, as appends.
    rows.sort((a, b) => a.id - b.id || a.index - b.index);
    for (const row of rows) this.insertRow.run(period, row.id, row.index, applied[row.index]!);
    const touched: number[] = [];
    for (const row of rows) if (touched.length === 0 || touched[touched.length - 1] !== row.id) touched.push(row.id);
    return { period, ids: touched, given, sealed: this.sealSlice(period) };
  }

  private remember(account: Uint8Array, id: number): void {
    if (this.knownIds.size >= account_ids_cached_max) this.knownIds = new KeyMap<number>();
    this.knownIds.set(account, id);
  }

  /** Memory after a successful commit: the period's accounts in its epoch's bitmaps, and the sealing's progress. */
  afterCommit(write: IndexWrite): void {
    for (const [account, id] of write.given?.entries() ?? []) this.remember(account, id);
    if (write.ids.length > 0) {
      const open = this.openEpoch(epochOf(write.period));
      for (const id of write.ids) open.set(id, write.period);
    }
    const sealed = write.sealed;
    if (sealed === null) return;
    if (!sealed.done) {
      this.sealingFrom = sealed.through;
      return;
    }
    this.open.delete(sealed.epoch);
    this.sealedBelow = this.lowestUnsealed(epochOf(write.period));
    this.sealingFrom = 0;
  }

  /** The lowest epoch left to seal: the oldest open one, or the current one when none is older. */
  private lowestUnsealed(current: number): number {
    let lowest = current;
    for (const epoch of this.open.keys()) lowest = Math.min(lowest, epoch);
    return lowest;
  }

  /**
   * Writes this commit's share of the oldest closed epoch's account_epochs rows: spread so
   * that it ends before the next epoch closes (a few periods to spare), or all of it when
   * `allAtOnce` (an upgrade) or when it is late (catching up commits many periods at once).
   */
  private sealSlice(committing: number, allAtOnce = false): IndexWrite['sealed'] {
    const current = epochOf(committing);
    const epoch = this.lowestUnsealed(current);
    if (epoch >= current) return null;
    const open = this.open.get(epoch)!;
    const ids = open.ids();
    let start = 0;
    while (start < ids.length && ids[start]! < this.sealingFrom) start++;
    const deadline = (epoch + 2) * index_epoch_periods - 1 - sealing_spare_periods;
    const count = allAtOnce ? ids.length - start : Math.ceil((ids.length - start) / Math.max(1, deadline - committing));
    for (let i = start; i < start + count; i++) this.insertEpoch.run(ids[i]!, epoch, open.bitmapOf(ids[i]!)!);
    const done = start + count >= ids.length;
    const through = done ? 0 : ids[start + count]!;
    let next = current;
    if (done) for (const other of this.open.keys()) if (other !== epoch) next = Math.min(next, other);
    this.putMeta.run('index_sealed', new Writer(8).u64(done ? next : epoch).done());
    this.putMeta.run('index_sealing_from', new Writer(8).u64(through).done());
    return { epoch, through, done };
  }

  /** Seals every closed epoch now, in one go (an upgrade, inside its transaction). */
  sealClosed(committed: number): void {
    for (let sealed = this.sealSlice(committed, true); sealed !== null; sealed = this.sealSlice(committed, true)) this.afterCommit({ period: committed, ids: [], sealed });
  }

  /** Fills the index from schema 2's account-first table, and seals its closed epochs (an upgrade, inside its transaction). */
  fillFromSchema2(committed: number): void {
    this.db.exec('INSERT INTO account_index (period, account_id, idx, applied) SELECT period, account_id, idx, applied FROM account_payments ORDER BY period, account_id, idx');
    for (const row of this.db.query('SELECT DISTINCT period, account_id FROM account_payments').iterate() as IterableIterator<{ period: number; account_id: number }>) {
      this.openEpoch(epochOf(row.period)).set(row.account_id, row.period);
    }
    this.sealClosed(committed);
  }

  // ---- reading ------------------------------------------------------------------------------

  /** An account's payments strictly older than `before`, newest first, after `archiveFrom`. */
  page(account: Uint8Array, before: HistoryCursor | null, limit: number, archiveFrom: number): AccountPayment[] {
    const out: AccountPayment[] = [];
    const id = limit > 0 ? this.getAccountId.get(account)?.id : undefined;
    if (id === undefined) return out;
    const cursor = before ?? { period: u64_safe_max, index: 0 };
    const top = epochOf(cursor.period);
    // Each period of the account, newest first: its rows below the cursor. False once the page is full or the archive ends.
    const take = (period: number): boolean => {
      if (period > cursor.period) return true;
      if (period <= archiveFrom) return false;
      const below = period === cursor.period ? cursor.index : u64_safe_max;
      for (const row of this.rowsBefore.iterate(period, id, below, limit - out.length)) out.push(this.entry(period, row));
      return out.length < limit;
    };
    for (const epoch of [...this.open.keys()].sort((a, b) => b - a)) {
      const bitmap = epoch <= top ? this.open.get(epoch)!.bitmapOf(id) : null;
      if (bitmap !== null) for (const period of periodsOf(epoch, bitmap, true)) if (!take(period)) return out;
    }
    for (const row of this.epochsBefore.iterate(id, Math.min(top, this.sealedBelow - 1))) {
      for (const period of periodsOf(row.epoch, row.periods, true)) if (!take(period)) return out;
    }
    return out;
  }

  /** An account's payments strictly newer than `after`, oldest first, after `archiveFrom`. */
  pageAfter(account: Uint8Array, after: HistoryCursor, limit: number, archiveFrom: number): AccountPayment[] {
    const out: AccountPayment[] = [];
    const id = limit > 0 ? this.getAccountId.get(account)?.id : undefined;
    if (id === undefined) return out;
    const bottom = epochOf(Math.max(after.period, archiveFrom + 1));
    // Each period of the account, oldest first: its rows above the cursor. False once the page is full.
    const take = (period: number): boolean => {
      if (period < after.period || period <= archiveFrom) return true;
      const above = period === after.period ? after.index : -1;
      for (const row of this.rowsAfter.iterate(period, id, above, limit - out.length)) out.push(this.entry(period, row));
      return out.length < limit;
    };
    for (const row of this.epochsAfter.iterate(id, bottom, this.sealedBelow)) {
      for (const period of periodsOf(row.epoch, row.periods, false)) if (!take(period)) return out;
    }
    for (const epoch of [...this.open.keys()].sort((a, b) => a - b)) {
      const bitmap = epoch >= bottom ? this.open.get(epoch)!.bitmapOf(id) : null;
      if (bitmap !== null) for (const period of periodsOf(epoch, bitmap, false)) if (!take(period)) return out;
    }
    return out;
  }

  private entry(period: number, row: Row): AccountPayment {
    if (!isPaymentLength(row.payment.length)) fail('STORE_CORRUPT', `${this.path}: payment (${period}, ${row.idx}) is ${row.payment.length} bytes`);
    return { period, index: row.idx, applied: row.applied === 1, transaction: row.payment };
  }
}
