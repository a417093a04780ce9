// The ledger on disk: one SQLite database per server directory, in WAL mode with full
// synchronous commits. A period commits in one transaction, and a vote is durable before
// it is sent, so kill -9 at any instant leaves the last committed state intact and the
// server never votes twice for a period.
//
//   meta      (key, value)                    schema, network id, the network file it serves, committed, last vote, archive_from
//   accounts  (account PK, balance)           the committed state; balances ≥ 1
//   periods   (period PK, certificate, transactions, applied)   the archive of committed batches (payment lists, payment-list.ts)
//   txids     (epoch, txid PK, period, applied)   for STATUS, by epoch (written after each commit)
//   batch_payments   (period, idx PK, payment)             each payment of each committed batch (140 or 148 bytes), for HISTORY
//   account_ids, account_index, account_epochs             the account index, for HISTORY (account-index.ts)
//   evidence  (key PK, bytes, seq)             proofs of equivocation this server holds (consensus/evidence.ts)
//   addresses (key PK, record)                 the newest signed address record of each server that moved (address-record.ts)
//   gateways  (key PK, record)                 the newest signed gateway record of each server that has one (gateway-record.ts)
//
// A two-thirds network keeps its last ballots and its lock in meta (prevote, precommit,
// lock): written in one transaction before a ballot leaves. The evidence table and these
// keys are created or read when present, in any schema-2 file.
//
// Schema 2 added HISTORY's tables, written in the commit's own transaction; schema 3 keys
// the account index by period first (account-index.ts says why). A file of schema 1 or 2
// is upgraded when it is opened, in one transaction: schema 1's from the archived batches,
// schema 2's from its account-first table (then dropped).
// Payments with a reference (v1.2) need no new schema: a batch is a payment list, whose
// 140-byte payments are the bytes a batch always was, and a payment row is as long as
// its form; files written before keep being read as they are.

import { Database, type Statement } from 'bun:sqlite';
import { join } from 'node:path';
import { key_bytes, txid_epoch_periods, sync_replay_periods_max, votes_remembered_per_server } from '../constants.ts';
import { paymentsIn } from '../payment-list.ts';
import { concat, equal, Reader, toHex, utf8, view, Writer } from '../bytes.ts';
import { fail } from '../errors.ts';
import { type Network, networkToJson } from '../network.ts';
import { type Certificate, encodeCertificate, encodeVote, readCertificate, readVote, type Vote, vote_bytes } from '../consensus/vote.ts';
import { decodeMessage, decodeUnsignedProposal, encodeMessage, MessageKind, type PeriodRecord } from '../peer/messages.ts';
import { type Ballot, ballot_bytes, encodeBallot, readBallot } from '../consensus/ballot.ts';
import { txidOf } from '../transaction.ts';
import { type Change, type CommittedChange, decodeChange, encodeChange } from '../consensus/configuration.ts';
import { AccountIndex, account_ids_schema, account_index_schema, type IndexWrite } from './account-index.ts';
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
const schema_version = 3;

/** The tables every schema has; the indexes are created with the file, or by an upgrade. */
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (account BLOB PRIMARY KEY, balance INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS periods (period INTEGER PRIMARY KEY, certificate BLOB NOT NULL, transactions BLOB NOT NULL, applied BLOB NOT NULL);
`;

/**
 * STATUS's index: each committed payment's txid, by epoch (txid_epoch_periods periods).
 * A period's txids are random keys: schemas 1 and 2 kept them in one B-tree (payments, txid
 * first), where each period's 10,000 rows landed on nearly as many pages of a tree that grows
 * with the ledger (71 ms per period at 1,000,000 payments, 140 ms at 1,500,000, measured
 * alone). With the epoch first, they land in the current epoch's part of the tree only
 * (at most 16 periods' rows), whatever the size of the ledger; a lookup asks each epoch that
 * holds txids, newest first: a payment of the last 16 periods in one probe, a txid no one
 * committed in one per epoch (63 for 10,000,000 payments at 10,000 a period).
 */
const txids_schema = 'CREATE TABLE txids (epoch INTEGER NOT NULL, txid BLOB NOT NULL, period INTEGER NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (epoch, txid)) WITHOUT ROWID;';

/** Evidence of equivocation (consensus/evidence.ts): created with a new file, or when a file of this network and a known schema is opened. */
const evidence_schema = 'CREATE TABLE IF NOT EXISTS evidence (key TEXT PRIMARY KEY, bytes BLOB NOT NULL, seq INTEGER NOT NULL);';
/** Servers' newest address records (PROTOCOL §3.10): like evidence, created with a new file or when a known one is opened. */
const addresses_schema = 'CREATE TABLE IF NOT EXISTS addresses (key BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;';
/** Servers' newest gateway records (PROTOCOL §3.11): as the address records. */
const gateways_schema = 'CREATE TABLE IF NOT EXISTS gateways (key BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;';
/** Committed configuration changes (consensus/configuration.ts), by the period that carried each: created like evidence. */
const changes_schema = 'CREATE TABLE IF NOT EXISTS changes (carrier INTEGER PRIMARY KEY, change BLOB NOT NULL);';

/** HISTORY's tables: the payments at their positions, and the account index over them (account-index.ts). */
const history_schema = `
CREATE TABLE batch_payments (period INTEGER NOT NULL, idx INTEGER NOT NULL, payment BLOB NOT NULL, PRIMARY KEY (period, idx)) WITHOUT ROWID;
${account_ids_schema}
${account_index_schema}
${txids_schema}`;

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
  private insertTxid!: Statement<unknown, [number, Uint8Array, number, number]>;
  private getTxid!: Statement<{ period: number; applied: number }, [number, Uint8Array]>;
  /** The epochs txids holds rows of, oldest first: a lookup asks them newest first. */
  private txidEpochs: number[] = [];
  private insertBatchPayment!: Statement<unknown, [number, number, Uint8Array]>;
  private accountIndex!: AccountIndex;
  /** meta archive_from, kept here: every HISTORY page filters by it. */
  private archiveFrom = 0;
  private readonly commitTransaction: (input: CommitInput, payments: readonly Uint8Array[]) => IndexWrite;
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
        if (version !== schema_version && version !== 1 && version !== 2) fail('STORE_MISMATCH', `${this.path}: schema ${version}, this build reads ${schema_version} (and upgrades 1 and 2)`);
        if (version === 1) this.upgradeFromSchema1();
        else if (version === 2) this.upgradeFromSchema2();
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
    this.accountIndex = new AccountIndex(this.db, this.path);
    this.insertTxid = this.db.query('INSERT OR IGNORE INTO txids (epoch, txid, period, applied) VALUES (?, ?, ?, ?)');
    this.getTxid = this.db.query('SELECT period, applied FROM txids WHERE epoch = ? AND txid = ?');
    const nextEpoch = this.db.query<{ epoch: number }, [number]>('SELECT epoch FROM txids WHERE epoch > ? ORDER BY epoch LIMIT 1');
    this.txidEpochs = [];
    for (let row = nextEpoch.get(-1); row !== null; row = nextEpoch.get(row.epoch)) this.txidEpochs.push(row.epoch);
  }

  /** Schemas 1 and 2 kept the txids in payments (txid first): moved to txids, by epoch. Inside an upgrade's transaction. */
  private moveTxids(): void {
    this.db.exec(txids_schema);
    this.db.exec(`INSERT INTO txids (epoch, txid, period, applied) SELECT period / ${txid_epoch_periods}, txid, period, applied FROM payments ORDER BY period / ${txid_epoch_periods}, txid`);
    this.db.exec('DROP TABLE payments');
  }

  /**
   * Schema 1 had no account index: create HISTORY's tables and fill them from every
   * archived batch, and say schema 3, in one transaction (a crash during it leaves the file
   * as it was).
   */
  private upgradeFromSchema1(): void {
    this.db.transaction(() => {
      this.db.exec(history_schema.replace(txids_schema, ''));
      this.db.exec(evidence_schema);
      this.moveTxids();
      this.prepareHistory();
      for (const row of this.db.query('SELECT period, transactions, applied FROM periods ORDER BY period').iterate() as IterableIterator<{
        period: number;
        transactions: Uint8Array;
        applied: Uint8Array;
      }>) {
        this.accountIndex.afterCommit(this.writeHistory(row.period, this.paymentsOf(row.period, row.transactions, row.applied), row.applied));
      }
      this.accountIndex.sealClosed(this.committedPeriod());
      this.putMeta.run('schema', u64(schema_version));
    })();
  }

  /**
   * Schema 2 keyed the account index by account first: its rows move to the period-first
   * table and its epochs are sealed, the old table dropped, schema 3, in one transaction.
   */
  private upgradeFromSchema2(): void {
    this.db.transaction(() => {
      this.db.exec(account_index_schema);
      this.moveTxids();
      this.prepareHistory();
      this.accountIndex.fillFromSchema2(this.committedPeriod());
      this.db.exec('DROP TABLE account_payments');
      this.putMeta.run('schema', u64(schema_version));
    })();
  }

  private committedPeriod(): number {
    const bytes = this.getMeta.get('committed')?.value;
    if (bytes === undefined) fail('STORE_CORRUPT', `${this.path}: meta committed is missing`);
    return readCertificate(new Reader(bytes, 'meta.committed')).period;
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

  /** HISTORY's rows for one committed batch, inside the caller's transaction; what the account index learns once it succeeded. */
  private writeHistory(period: number, payments: readonly Uint8Array[], applied: Uint8Array): IndexWrite {
    for (const [i, tx] of payments.entries()) this.insertBatchPayment.run(period, i, tx);
    return this.accountIndex.write(period, payments, applied);
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
    this.accountIndex.afterCommit(this.commitTransaction(input, payments));
    this.queueIndex(input.record.certificate.period, payments, input.applied);
  }

  private writeCommit(input: CommitInput, payments: readonly Uint8Array[]): IndexWrite {
    const { certificate, transactions } = input.record;
    for (const change of input.changes) {
      if (change.balance === 0) this.deleteAccount.run(change.account);
      else this.upsertAccount.run(change.account, change.balance);
    }
    this.insertPeriod.run(certificate.period, encodeCertificate(certificate), transactions, input.applied);
    if (input.record.change !== undefined) this.db.query('INSERT INTO changes (carrier, change) VALUES (?, ?)').run(certificate.period, encodeChange(input.record.change));
    const written = this.writeHistory(certificate.period, payments, input.applied);
    this.putMeta.run('committed', encodeCertificate(certificate));
    return written;
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

  /** Writes the queued index rows, sorted by epoch and txid (B-tree appends stay local), in one transaction. */
  flushIndex(): void {
    this.flushScheduled = false;
    if (this.pendingIndex.size === 0 || this.closed) return;
    const rows = [...this.pendingIndex.values()].map((row) => ({ ...row, epoch: Math.floor(row.period / txid_epoch_periods) }));
    rows.sort((a, b) => a.epoch - b.epoch || Buffer.compare(a.txid, b.txid));
    const through = this.pendingThrough;
    this.db.transaction(() => {
      for (const row of rows) this.insertTxid.run(row.epoch, row.txid, row.period, row.applied ? 1 : 0);
      this.putMeta.run('indexed_through', u64(through));
    })();
    for (const row of rows) {
      const last = this.txidEpochs[this.txidEpochs.length - 1];
      if (last === undefined || row.epoch > last) this.txidEpochs.push(row.epoch);
      else if (row.epoch !== last && !this.txidEpochs.includes(row.epoch)) this.txidEpochs = [...this.txidEpochs, row.epoch].sort((a, b) => a - b);
    }
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
    return this.accountIndex.pageAfter(account, after, limit, this.archiveFrom);
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
    const pending = this.pendingIndex.get(toHex(txid));
    if (pending !== undefined) return { period: pending.period, applied: pending.applied };
    for (let i = this.txidEpochs.length - 1; i >= 0; i--) {
      const row = this.getTxid.get(this.txidEpochs[i]!, txid);
      if (row !== null) return { period: row.period, applied: row.applied === 1 };
    }
    return null;
  }

  history(account: Uint8Array, before: HistoryCursor | null, limit: number): AccountPayment[] {
    return this.accountIndex.page(account, before, limit, this.archiveFrom);
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
