// The ledger on disk: one SQLite database per server directory, in WAL mode with full
// synchronous commits. A period commits in one transaction, and a vote is durable before
// it is sent, so kill -9 at any instant leaves the last committed state intact and the
// server never votes twice for a period.
//
//   meta      (key, value)                    schema, network id, the network file it serves, committed, last vote, archive_from
//   accounts  (account PK, balance)           the committed state; balances ≥ 1
//   periods   (period PK, certificate, transactions, applied)   the archive of committed batches (payment lists, payment-list.ts)
//   payments  (txid PK, period, applied)      for STATUS
//   batch_payments   (period, idx PK, payment)             each payment of each committed batch (140 or 148 bytes), for HISTORY
//   account_ids      (id PK, account UNIQUE)              a short number for every account that ever paid or was paid
//   account_payments (account_id, period, idx PK, applied) an account's payments (payer and payee), for HISTORY
//   evidence  (key PK, bytes, seq)             proofs of equivocation this server holds (consensus/evidence.ts)
//   addresses (key PK, record)                 the newest signed address record of each server that moved (address-record.ts)
//   gateways  (key PK, record)                 the newest signed gateway record of each server that has one (gateway-record.ts)
//
// A two-thirds network keeps its last ballots and its lock in meta (prevote, precommit,
// lock): written in one transaction before a ballot leaves. The evidence table and these
// keys are created or read when present, in any schema-2 file.
//
// Schema 2 added the last three, written in the commit's own transaction; a schema-1 file
// is upgraded when it is opened (one transaction fills them from the archived batches).
// Payments with a reference (v1.2) need no new schema: a batch is a payment list, whose
// 140-byte payments are the bytes a batch always was, and a payment row is as long as
// its form; files written before keep being read as they are.

import { Database, type Statement } from 'bun:sqlite';
import { join } from 'node:path';
import { key_bytes, sync_replay_periods_max, u64_safe_max, votes_remembered_per_server } from '../constants.ts';
import { paymentsIn } from '../payment-list.ts';
import { concat, equal, Reader, toHex, utf8, view, Writer } from '../bytes.ts';
import { fail } from '../errors.ts';
import { type Network, networkToJson } from '../network.ts';
import { type Certificate, encodeCertificate, encodeVote, readCertificate, readVote, type Vote, vote_bytes } from '../consensus/vote.ts';
import { decodeMessage, decodeUnsignedProposal, encodeMessage, MessageKind, type PeriodRecord } from '../peer/messages.ts';
import { type Ballot, ballot_bytes, encodeBallot, readBallot } from '../consensus/ballot.ts';
import { isPaymentLength, payeeOf, payerOf, txidOf } from '../transaction.ts';
import { type Change, type CommittedChange, decodeChange, encodeChange } from '../consensus/configuration.ts';
import { KeyMap } from './key-map.ts';
import { entry_bytes } from './state.ts';
import {
  type AccountPayment,
  type BallotState,
  type CommitInput,
  type HistoryCursor,
  type PaymentOutcome,
  recordBytes,
  type Store,
  type StoredState,
  type VotedProposal,
} from './store.ts';

export const ledger_file_name = 'ledger.sqlite';
/** Rows between full garbage collections when loading or installing a whole ledger. */
const collect_every_rows = 131_072;
const schema_version = 2;

/** The tables of schema 1; schema 2's are created with the file, or by the upgrade. */
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (account BLOB PRIMARY KEY, balance INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS periods (period INTEGER PRIMARY KEY, certificate BLOB NOT NULL, transactions BLOB NOT NULL, applied BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS payments (txid BLOB PRIMARY KEY, period INTEGER NOT NULL, applied INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * HISTORY's index. A page is one lookup of the account's number, one range of
 * account_payments' primary key (never a scan of the periods), then one primary-key lookup
 * per entry in batch_payments: reading a payment out of its period's batch blob would read
 * the whole blob (up to 9 MB) for 140 bytes.
 *
 * What a commit costs: batch_payments grows in key order (period, idx), so its rows are
 * cheap appends; account_payments takes two rows per payment at random places in a B-tree
 * that grows with the ledger, so every page it touches is written again. An account's
 * number (a few bytes) instead of its 32-byte key in each row makes those rows a third
 * as large, and a 10,000-payment commit touches about a third as many pages (measured
 * for these rows alone, at 1,000,000 payments among 100,000 accounts: 187 ms instead of
 * 546 ms per period, on a busy 2-core machine).
 */
/** Evidence of equivocation (consensus/evidence.ts): created with a new file, or when a file of this network and a known schema is opened. */
const evidence_schema = 'CREATE TABLE IF NOT EXISTS evidence (key TEXT PRIMARY KEY, bytes BLOB NOT NULL, seq INTEGER NOT NULL);';
/** Servers' newest address records (PROTOCOL §3.10): like evidence, created with a new file or when a known one is opened. */
const addresses_schema = 'CREATE TABLE IF NOT EXISTS addresses (key BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;';
/** Servers' newest gateway records (PROTOCOL §3.11): as the address records. */
const gateways_schema = 'CREATE TABLE IF NOT EXISTS gateways (key BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;';
/** Committed configuration changes (consensus/configuration.ts), by the period that carried each: created like evidence. */
const changes_schema = 'CREATE TABLE IF NOT EXISTS changes (carrier INTEGER PRIMARY KEY, change BLOB NOT NULL);';

const history_schema = `
CREATE TABLE batch_payments (period INTEGER NOT NULL, idx INTEGER NOT NULL, payment BLOB NOT NULL, PRIMARY KEY (period, idx)) WITHOUT ROWID;
CREATE TABLE account_ids (id INTEGER PRIMARY KEY, account BLOB NOT NULL UNIQUE);
CREATE TABLE account_payments (account_id INTEGER NOT NULL, period INTEGER NOT NULL, idx INTEGER NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (account_id, period, idx)) WITHOUT ROWID;
`;

/** The event stream's backlog: oldest first, strictly newer than the cursor, after archive_from. */
const history_after_sql = `
SELECT a.period AS period, a.idx AS idx, a.applied AS applied, b.payment AS payment
FROM account_payments AS a JOIN batch_payments AS b ON b.period = a.period AND b.idx = a.idx
WHERE a.account_id = (SELECT id FROM account_ids WHERE account = ?) AND a.period > ? AND (a.period, a.idx) > (?, ?)
ORDER BY a.period ASC, a.idx ASC
LIMIT ?`;

/** The page query: newest first, strictly older than the cursor, after archive_from. */
export const history_page_sql = `
SELECT a.period AS period, a.idx AS idx, a.applied AS applied, b.payment AS payment
FROM account_payments AS a JOIN batch_payments AS b ON b.period = a.period AND b.idx = a.idx
WHERE a.account_id = (SELECT id FROM account_ids WHERE account = ?) AND a.period > ? AND (a.period, a.idx) < (?, ?)
ORDER BY a.period DESC, a.idx DESC
LIMIT ?`;

function u64(value: number): Uint8Array {
  return new Writer(8).u64(value).done();
}

export class SqliteStore implements Store {
  readonly path: string;
  private readonly db: Database;
  private readonly getMeta: Statement<{ value: Uint8Array }, [string]>;
  private readonly putMeta: Statement<unknown, [string, Uint8Array]>;
  private readonly upsertAccount: Statement<unknown, [Uint8Array, number]>;
  private readonly deleteAccount: Statement<unknown, [Uint8Array]>;
  private readonly insertPeriod: Statement<unknown, [number, Uint8Array, Uint8Array, Uint8Array]>;
  private readonly insertPayment: Statement<unknown, [Uint8Array, number, number]>;
  private readonly getPayment: Statement<{ period: number; applied: number }, [Uint8Array]>;
  private insertBatchPayment!: Statement<unknown, [number, number, Uint8Array]>;
  private insertAccountPayment!: Statement<unknown, [number, number, number, number]>;
  private getAccountId!: Statement<{ id: number }, [Uint8Array]>;
  private insertAccountId!: Statement<unknown, [Uint8Array]>;
  private historyPage!: Statement<{ period: number; idx: number; applied: number; payment: Uint8Array }, [Uint8Array, number, number, number, number]>;
  /** meta archive_from, kept here: every HISTORY page filters by it. */
  private archiveFrom = 0;
  private readonly commitTransaction: (input: CommitInput, payments: readonly Uint8Array[]) => void;
  private readonly recordVoteTransaction: (vote: Vote, proposal: VotedProposal | null) => void;
  private readonly recordBallotsTransaction: (state: BallotState) => void;
  private recentVoteBytes: Uint8Array;
  private readonly pendingIndex = new Map<string, { txid: Uint8Array; period: number; applied: boolean }>();
  private pendingThrough = 0;
  private flushScheduled = false;
  private closed = false;

  /**
   * Opens (or creates) DIR/ledger.sqlite for this network. A database of another
   * network, or of an unknown schema, is refused rather than touched.
   */
  constructor(dir: string, networkId: Uint8Array, genesis: Certificate, genesisEntries: () => Iterable<Uint8Array>) {
    this.path = join(dir, ledger_file_name);
    this.db = new Database(this.path, { create: true, strict: true });
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec(schema);
    this.getMeta = this.db.query('SELECT value FROM meta WHERE key = ?');
    this.putMeta = this.db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.upsertAccount = this.db.query(
      'INSERT INTO accounts (account, balance) VALUES (?, ?) ON CONFLICT(account) DO UPDATE SET balance = excluded.balance',
    );
    this.deleteAccount = this.db.query('DELETE FROM accounts WHERE account = ?');
    this.insertPeriod = this.db.query('INSERT INTO periods (period, certificate, transactions, applied) VALUES (?, ?, ?, ?)');
    this.insertPayment = this.db.query('INSERT OR IGNORE INTO payments (txid, period, applied) VALUES (?, ?, ?)');
    this.getPayment = this.db.query('SELECT period, applied FROM payments WHERE txid = ?');
    this.commitTransaction = this.db.transaction((input: CommitInput, payments: readonly Uint8Array[]) => this.writeCommit(input, payments));
    this.recordVoteTransaction = this.db.transaction((vote: Vote, proposal: VotedProposal | null) => this.writeVote(vote, proposal));
    this.recordBallotsTransaction = this.db.transaction((state: BallotState) => this.writeBallots(state));
    this.recentVoteBytes = this.getMeta.get('recent_votes')?.value ?? this.getMeta.get('last_vote')?.value ?? new Uint8Array(0);

    const storedNetwork = this.getMeta.get('network_id')?.value;
    if (storedNetwork === undefined) {
      this.db.transaction(() => {
        this.db.exec(history_schema);
        this.db.exec(evidence_schema);
        this.db.exec(addresses_schema);
        this.db.exec(gateways_schema);
        this.db.exec(changes_schema);
        this.putMeta.run('schema', u64(schema_version));
        this.putMeta.run('network_id', networkId);
        this.putMeta.run('committed', encodeCertificate(genesis));
        this.putMeta.run('archive_from', u64(0));
        for (const entry of genesisEntries()) this.upsertAccount.run(entry.slice(0, key_bytes), view(entry).getUint32(key_bytes));
      })();
      this.prepareHistory();
    } else {
      try {
        if (!equal(storedNetwork, networkId)) {
          fail('STORE_MISMATCH', `${this.path} belongs to network ${toHex(storedNetwork).slice(0, 16)}…, not ${toHex(networkId).slice(0, 16)}…`);
        }
        const version = this.metaU64('schema');
        if (version !== schema_version && version !== 1) fail('STORE_MISMATCH', `${this.path}: schema ${version}, this build reads ${schema_version} (and upgrades 1)`);
        if (version === 1) this.upgradeFromSchema1();
        else this.prepareHistory();
        this.db.exec(evidence_schema);
        this.db.exec(addresses_schema);
        this.db.exec(gateways_schema);
        this.db.exec(changes_schema);
      } catch (error) {
        // A refused file is let go at once: no connection (and no -wal/-shm beside it) outlives the refusal.
        this.db.close();
        throw error;
      }
      this.rebuildIndex();
    }
    this.archiveFrom = this.metaU64('archive_from');
  }

  private prepareHistory(): void {
    this.insertBatchPayment = this.db.query('INSERT INTO batch_payments (period, idx, payment) VALUES (?, ?, ?)');
    this.insertAccountPayment = this.db.query('INSERT OR IGNORE INTO account_payments (account_id, period, idx, applied) VALUES (?, ?, ?, ?)');
    this.getAccountId = this.db.query('SELECT id FROM account_ids WHERE account = ?');
    this.insertAccountId = this.db.query('INSERT INTO account_ids (account) VALUES (?)');
    this.historyPage = this.db.query(history_page_sql);
  }

  /**
   * Schema 1 had no account index: create it and fill it from every archived batch, and
   * say schema 2, in one transaction (a crash during it leaves the file as it was).
   */
  private upgradeFromSchema1(): void {
    this.db.transaction(() => {
      this.db.exec(history_schema);
      this.db.exec(evidence_schema);
      this.prepareHistory();
      for (const row of this.db.query('SELECT period, transactions, applied FROM periods ORDER BY period').iterate() as IterableIterator<{
        period: number;
        transactions: Uint8Array;
        applied: Uint8Array;
      }>) {
        this.writeHistory(row.period, this.paymentsOf(row.period, row.transactions, row.applied), row.applied);
      }
      this.putMeta.run('schema', u64(schema_version));
    })();
  }

  /** An archived batch's payments, checked against its outcomes (one each). */
  private paymentsOf(period: number, transactions: Uint8Array, applied: Uint8Array): Uint8Array[] {
    let payments: Uint8Array[] = [];
    try {
      payments = paymentsIn(transactions, `period ${period}'s batch`);
    } catch (error) {
      fail('STORE_CORRUPT', `${this.path}: ${(error as Error).message}`);
    }
    if (payments.length !== applied.length) fail('STORE_CORRUPT', `${this.path}: period ${period}'s batch is ${payments.length} payments with ${applied.length} outcomes`);
    return payments;
  }

  /** HISTORY's rows for one committed batch: inside the caller's transaction. */
  private writeHistory(period: number, payments: readonly Uint8Array[], applied: Uint8Array): void {
    // Numbers looked up (or given) once per account per batch; never kept across commits,
    // since a transaction that fails takes the numbers it gave back with it.
    const ids = new KeyMap<number>();
    const idOf = (account: Uint8Array): number => {
      let id = ids.get(account);
      if (id === undefined) {
        id = this.getAccountId.get(account)?.id ?? Number(this.insertAccountId.run(account.slice()).lastInsertRowid);
        ids.set(account, id);
      }
      return id;
    };
    const rows: { id: number; index: number }[] = [];
    for (const [i, tx] of payments.entries()) {
      this.insertBatchPayment.run(period, i, tx);
      rows.push({ id: idOf(payerOf(tx)), index: i }, { id: idOf(payeeOf(tx)), index: i });
    }
    // In key order, so that each account's new rows go next to one another in the B-tree.
    rows.sort((a, b) => a.id - b.id || a.index - b.index);
    for (const row of rows) this.insertAccountPayment.run(row.id, period, row.index, applied[row.index]!);
  }

  private metaU64(key: string): number {
    const value = this.getMeta.get(key)?.value;
    if (value === undefined) fail('STORE_CORRUPT', `${this.path}: meta ${key} is missing`);
    const reader = new Reader(value, `meta.${key}`);
    const out = reader.u64(key);
    reader.end();
    return out;
  }

  load(): StoredState {
    const committedBytes = this.getMeta.get('committed')?.value;
    if (committedBytes === undefined) fail('STORE_CORRUPT', `${this.path}: meta committed is missing`);
    const reader = new Reader(committedBytes, 'meta.committed');
    const committed = readCertificate(reader);
    reader.end();
    const voteBytes = this.getMeta.get('last_vote')?.value;
    let lastVote: Vote | null = null;
    if (voteBytes !== undefined) {
      const voteReader = new Reader(voteBytes, 'meta.last_vote');
      lastVote = readVote(voteReader);
      voteReader.end();
    }
    const recentVotes: Vote[] = [];
    const recentBytes = this.getMeta.get('recent_votes')?.value;
    if (recentBytes !== undefined) {
      const recentReader = new Reader(recentBytes, 'meta.recent_votes');
      while (recentReader.remaining > 0) recentVotes.push(readVote(recentReader));
    } else if (lastVote !== null) {
      recentVotes.push(lastVote);
    }
    const count = (this.db.query('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
    const entries = new Uint8Array(count * entry_bytes);
    const dv = view(entries);
    // One row object per account is garbage at once; a full collection every so many rows
    // keeps the peak near the size of the ledger itself (1M accounts: 80 MB instead of 140 MB).
    let offset = 0;
    for (const row of this.db.query('SELECT account, balance FROM accounts ORDER BY account').iterate() as IterableIterator<{
      account: Uint8Array;
      balance: number;
    }>) {
      if (row.account.length !== key_bytes || row.balance < 1 || offset >= entries.length) fail('STORE_CORRUPT', `${this.path}: bad account row`);
      entries.set(row.account, offset);
      dv.setUint32(offset + key_bytes, row.balance);
      offset += entry_bytes;
      if (offset % (collect_every_rows * entry_bytes) === 0) Bun.gc(true);
    }
    if (offset !== entries.length) fail('STORE_CORRUPT', `${this.path}: account count changed while loading`);
    const votedProposal = this.proposalAt('voted_proposal', 0);
    const prevote = this.ballotAt('prevote');
    const precommit = this.ballotAt('precommit');
    const lockProposal = this.proposalAt('lock_proposal', 0);
    const lockBytes = this.getMeta.get('lock')?.value;
    let lock: BallotState['lock'] = null;
    if (lockBytes !== undefined && lockBytes.length > 0) {
      if (lockProposal === null) fail('STORE_CORRUPT', `${this.path}: meta lock without its proposal`);
      const lockBallot = readBallot(new Reader(lockBytes, 'meta.lock'), 'precommit');
      const pol: Ballot[] = [];
      const polBytes = this.getMeta.get('lock_pol')?.value;
      if (polBytes !== undefined) {
        const polReader = new Reader(polBytes, 'meta.lock_pol');
        while (polReader.remaining > 0) pol.push(readBallot(polReader, 'prevote'));
      }
      lock = { slot: lockBallot.slot, decision: lockBallot, proposal: lockProposal, pol };
    }
    const evidence = (this.db.query('SELECT bytes FROM evidence ORDER BY seq').all() as { bytes: Uint8Array }[]).map((row) => row.bytes);
    return { committed, entries, lastVote, recentVotes, votedProposal, archiveFrom: this.metaU64('archive_from'), ballots: { prevote, precommit, lock }, evidence, chain: this.chain() };
  }

  /**
   * A proposal kept in meta: signed, or unsigned as a ledger of the version before signed
   * proposals wrote it (its proposer is then unknown here, and unused: it is never sent).
   */
  private proposalAt(key: string, proposer: number): VotedProposal | null {
    const bytes = this.getMeta.get(key)?.value;
    if (bytes === undefined || bytes.length === 0) return null;
    try {
      const message = decodeMessage({ kind: MessageKind.PROPOSAL, payload: bytes });
      if (message.type === 'proposal') return message;
    } catch {
      // the layout before proposals were signed: read below
    }
    try {
      return decodeUnsignedProposal(bytes, proposer);
    } catch (error) {
      fail('STORE_CORRUPT', `${this.path}: meta ${key} is not a proposal (${(error as Error).message})`);
    }
  }

  private ballotAt(key: 'prevote' | 'precommit'): BallotState['prevote'] {
    const bytes = this.getMeta.get(key)?.value;
    if (bytes === undefined || bytes.length === 0) return null;
    if (bytes.length !== ballot_bytes) fail('STORE_CORRUPT', `${this.path}: meta ${key} is ${bytes.length} bytes`);
    const reader = new Reader(bytes, `meta.${key}`);
    const ballot = readBallot(reader, key);
    reader.end();
    return ballot;
  }

  commit(input: CommitInput): void {
    const payments = this.paymentsOf(input.record.certificate.period, input.record.transactions, input.applied);
    this.commitTransaction(input, payments);
    this.queueIndex(input.record.certificate.period, payments, input.applied);
  }

  private writeCommit(input: CommitInput, payments: readonly Uint8Array[]): void {
    const { certificate, transactions } = input.record;
    for (const change of input.changes) {
      if (change.balance === 0) this.deleteAccount.run(change.account);
      else this.upsertAccount.run(change.account, change.balance);
    }
    this.insertPeriod.run(certificate.period, encodeCertificate(certificate), transactions, input.applied);
    if (input.record.change !== undefined) this.db.query('INSERT INTO changes (carrier, change) VALUES (?, ?)').run(certificate.period, encodeChange(input.record.change));
    this.writeHistory(certificate.period, payments, input.applied);
    this.putMeta.run('committed', encodeCertificate(certificate));
  }

  /**
   * The payments index (txid -> period, applied) is written in its own transaction just
   * after the commit, in txid order, not inside it: it costs more than the rest of a commit
   * (10,000 random keys into a growing B-tree), and nothing but STATUS needs it. Until it
   * is written, STATUS is answered from memory; after a crash in between, it is rebuilt
   * at start from the archived batches (meta indexed_through says how far it got).
   */
  private queueIndex(period: number, payments: readonly Uint8Array[], applied: Uint8Array): void {
    for (const [i, tx] of payments.entries()) {
      const txid = txidOf(tx);
      const key = toHex(txid);
      // The first outcome of a txid stays, as INSERT OR IGNORE keeps it on disk.
      if (!this.pendingIndex.has(key)) this.pendingIndex.set(key, { txid, period, applied: applied[i] === 1 });
    }
    this.pendingThrough = Math.max(this.pendingThrough, period);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushIndex());
    }
  }

  /** Writes the queued index rows, sorted by txid (B-tree appends stay local), in one transaction. */
  flushIndex(): void {
    this.flushScheduled = false;
    if (this.pendingIndex.size === 0 || this.closed) return;
    const rows = [...this.pendingIndex.values()].sort((a, b) => Buffer.compare(a.txid, b.txid));
    const through = this.pendingThrough;
    this.db.transaction(() => {
      for (const row of rows) this.insertPayment.run(row.txid, row.period, row.applied ? 1 : 0);
      this.putMeta.run('indexed_through', u64(through));
    })();
    this.pendingIndex.clear();
  }

  /** At start: index the archived periods a crash left unindexed. */
  private rebuildIndex(): void {
    const through = this.getMeta.get('indexed_through')?.value;
    const from = through === undefined ? 0 : new Reader(through, 'indexed_through').u64('indexed_through');
    for (const row of this.db.query('SELECT period, transactions, applied FROM periods WHERE period > ? ORDER BY period').iterate(from) as IterableIterator<{
      period: number;
      transactions: Uint8Array;
      applied: Uint8Array;
    }>) {
      this.queueIndex(row.period, this.paymentsOf(row.period, row.transactions, row.applied), row.applied);
    }
    this.flushIndex();
  }

  recordVote(vote: Vote, proposal: VotedProposal | null): void {
    this.recordVoteTransaction(vote, proposal);
  }

  /** The last vote, the recent ones and the proposal voted for, in one transaction (durable before the vote is sent). */
  private writeVote(vote: Vote, proposal: VotedProposal | null): void {
    this.putMeta.run('voted_proposal', proposal === null ? new Uint8Array(0) : encodeMessage(proposal).payload);
    const recent = this.recentVoteBytes.slice(-(votes_remembered_per_server - 1) * vote_bytes);
    this.recentVoteBytes = concat(recent, encodeVote(vote));
    this.putMeta.run('last_vote', encodeVote(vote));
    this.putMeta.run('recent_votes', this.recentVoteBytes);
  }

  recordBallots(state: BallotState): void {
    this.recordBallotsTransaction(state);
  }

  /** The last ballots and the lock, in one transaction (durable before the ballot is sent). */
  private writeBallots(state: BallotState): void {
    this.putMeta.run('prevote', state.prevote === null ? new Uint8Array(0) : encodeBallot(state.prevote));
    this.putMeta.run('precommit', state.precommit === null ? new Uint8Array(0) : encodeBallot(state.precommit));
    const lock = state.lock;
    // The lock's decision is kept in a ballot's layout (slot and decision; voter and signature unused).
    this.putMeta.run(
      'lock',
      lock === null ? new Uint8Array(0) : encodeBallot({ step: 'precommit', slot: lock.slot, ...lock.decision, voter: 0, signature: new Uint8Array(64) }),
    );
    this.putMeta.run('lock_proposal', lock === null ? new Uint8Array(0) : encodeMessage(lock.proposal).payload);
    this.putMeta.run('lock_pol', lock === null ? new Uint8Array(0) : concat(...lock.pol.map(encodeBallot)));
  }

  recordEvidence(key: string, bytes: Uint8Array): boolean {
    const seq = (this.db.query('SELECT coalesce(max(seq), 0) + 1 AS next FROM evidence').get() as { next: number }).next;
    const result = this.db.query('INSERT OR IGNORE INTO evidence (key, bytes, seq) VALUES (?, ?, ?)').run(key, bytes, seq);
    return result.changes > 0;
  }

  recordAddress(key: Uint8Array, record: Uint8Array): void {
    this.db.query('INSERT INTO addresses (key, record) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET record = excluded.record').run(key.slice(), record.slice());
  }

  addressRecords(): Uint8Array[] {
    return (this.db.query('SELECT record FROM addresses').all() as { record: Uint8Array }[]).map((row) => row.record);
  }

  historyAfter(account: Uint8Array, after: HistoryCursor, limit: number): AccountPayment[] {
    if (limit <= 0) return [];
    const rows = this.db.query<{ period: number; idx: number; applied: number; payment: Uint8Array }, [Uint8Array, number, number, number, number]>(history_after_sql);
    return rows.all(account, this.archiveFrom, after.period, after.index, limit).map((row) => ({ period: row.period, index: row.idx, applied: row.applied === 1, transaction: row.payment }));
  }

  periodPayments(period: number): AccountPayment[] {
    if (period <= this.archiveFrom) return [];
    const applied = (this.db.query('SELECT applied FROM periods WHERE period = ?').get(period) as { applied: Uint8Array } | null)?.applied;
    if (applied === undefined) return [];
    const rows = this.db.query('SELECT idx, payment FROM batch_payments WHERE period = ? ORDER BY idx').all(period) as { idx: number; payment: Uint8Array }[];
    return rows.map((row) => ({ period, index: row.idx, applied: applied[row.idx] === 1, transaction: row.payment }));
  }

  recordGateway(key: Uint8Array, record: Uint8Array): void {
    this.db.query('INSERT INTO gateways (key, record) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET record = excluded.record').run(key.slice(), record.slice());
  }

  gatewayRecords(): Uint8Array[] {
    return (this.db.query('SELECT record FROM gateways').all() as { record: Uint8Array }[]).map((row) => row.record);
  }

  installSnapshot(certificate: Certificate, entries: Uint8Array, chain: readonly CommittedChange[] = []): void {
    const dv = view(entries);
    this.db.transaction(() => {
      this.db.exec('DELETE FROM changes');
      for (const entry of chain) this.db.query('INSERT INTO changes (carrier, change) VALUES (?, ?)').run(entry.carrier, encodeChange(entry.change));
      this.db.exec('DELETE FROM accounts');
      for (let offset = 0; offset < entries.length; offset += entry_bytes) {
        this.upsertAccount.run(entries.subarray(offset, offset + key_bytes), dv.getUint32(offset + key_bytes));
        if (offset > 0 && offset % (collect_every_rows * entry_bytes) === 0) Bun.gc(true); // as in load(): keep the peak down
      }
      this.putMeta.run('committed', encodeCertificate(certificate));
      this.putMeta.run('archive_from', u64(certificate.period));
    })();
    this.archiveFrom = certificate.period;
  }

  /** The committed configuration changes, oldest first. */
  private chain(): CommittedChange[] {
    const rows = this.db.query('SELECT carrier, change FROM changes ORDER BY carrier').all() as { carrier: number; change: Uint8Array }[];
    return rows.map((row) => ({ carrier: row.carrier, change: decodeChange(row.change) }));
  }

  private changeCarriedBy(period: number): Change | null {
    const row = this.db.query('SELECT change FROM changes WHERE carrier = ?').get(period) as { change: Uint8Array } | null;
    return row === null ? null : decodeChange(row.change);
  }

  records(after: number, maxCount: number, maxBytes: number): PeriodRecord[] | 'snapshot_needed' {
    if (after < this.metaU64('archive_from')) return 'snapshot_needed';
    const ahead = this.db
      .query('SELECT count(*) AS n FROM (SELECT 1 FROM periods WHERE period > ? LIMIT ?)')
      .get(after, sync_replay_periods_max + 1) as { n: number };
    if (ahead.n > sync_replay_periods_max) return 'snapshot_needed';
    const rows = this.db
      .query('SELECT certificate, transactions FROM periods WHERE period > ? ORDER BY period LIMIT ?')
      .iterate(after, maxCount) as IterableIterator<{ certificate: Uint8Array; transactions: Uint8Array }>;
    const out: PeriodRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      const reader = new Reader(row.certificate, 'periods.certificate');
      const certificate = readCertificate(reader);
      reader.end();
      const change = this.changeCarriedBy(certificate.period);
      const record: PeriodRecord = change === null ? { certificate, transactions: row.transactions } : { certificate, transactions: row.transactions, change };
      bytes += recordBytes(record);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(record);
    }
    return out;
  }

  paymentOutcome(txid: Uint8Array): PaymentOutcome | null {
    const row = this.getPayment.get(txid);
    if (row !== null) return { period: row.period, applied: row.applied === 1 };
    const pending = this.pendingIndex.get(toHex(txid));
    return pending === undefined ? null : { period: pending.period, applied: pending.applied };
  }

  history(account: Uint8Array, before: HistoryCursor | null, limit: number): AccountPayment[] {
    if (limit <= 0) return [];
    const cursor = before ?? { period: u64_safe_max, index: 0 };
    const out: AccountPayment[] = [];
    for (const row of this.historyPage.iterate(account, this.archiveFrom, cursor.period, cursor.index, limit)) {
      if (!isPaymentLength(row.payment.length)) fail('STORE_CORRUPT', `${this.path}: payment (${row.period}, ${row.idx}) is ${row.payment.length} bytes`);
      out.push({ period: row.period, index: row.idx, applied: row.applied === 1, transaction: row.payment });
    }
    return out;
  }

  /**
   * The network file this directory serves, kept beside its id (meta network_file, the
   * canonical JSON): what commands given the directory alone read (served-network.ts).
   * The node writes it at every start; its id is checked against the one the ledger holds.
   */
  rememberNetwork(network: Network): void {
    if (!equal(network.id, this.getMeta.get('network_id')!.value)) fail('STORE_MISMATCH', `${this.path} belongs to another network than ${network.name}`);
    this.putMeta.run('network_file', utf8(JSON.stringify(networkToJson(network))));
  }

  close(): void {
    this.flushIndex();
    this.closed = true;
    this.db.close();
  }
}
