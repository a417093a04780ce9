// A backup of a server's ledger, taken while the node runs, and checked before it is
// called one.
//
//   1. copy     VACUUM INTO from a read-only connection: one read transaction, so the copy
//               is the ledger as of one commit (SQLite's WAL lets the node go on writing);
//   2. neuter   the copy forgets this server's votes (meta last_vote, recent_votes,
//               voted_proposal) and, in a two-thirds network, its ballots and lock
//               (prevote, precommit, lock, lock_proposal): a server restored from it starts
//               as one whose store lost them, and votes or casts ballots only for periods
//               after its restart (the vote and ballot floors of src/node/majority.ts and two-thirds.ts),
//               so it can never sign twice for one period or slot; and any server of the
//               network may restore from it. Evidence stays: a backup taken after a fork
//               holds its proof and stops the server restored from it, as it should;
//   3. check    opened as the node opens a ledger (SqliteStore: the network id, the schema),
//               the accounts' state hash (with the chain of changes it binds) recomputed and
//               compared with the committed certificate, whose signatures are verified
//               against the configuration that decided it (the network file's, or a change's);
//               then SQLite's integrity_check on the final bytes;
//   4. place    the file takes its name only then, never replacing one (src/cli/backup.ts,
//               src/cli/out-file.ts).
//
// Restoring is putting the file back as DIR/ledger.sqlite (with no -wal or -shm beside
// it): the node replays the periods since from its peers (docs/OPERATIONS.md).

import { Database } from 'bun:sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { equal, toHex } from '../bytes.ts';
import { chainDigestOf } from '../consensus/configuration.ts';
import { genesisCertificate, verifyCertificate } from '../consensus/vote.ts';
import { Configurations } from '../node/configurations.ts';
import { fail, isScrypError, ScrypError } from '../errors.ts';
import type { Network } from '../network.ts';
import { verify } from '../signature.ts';
import { LedgerState } from './state.ts';
import { readLedger } from './served-network.ts';
import { ledger_file_name, SqliteStore } from './sqlite-store.ts';

/** The meta keys that hold this server's votes and ballots (src/ledger/sqlite-store.ts writeVote, writeBallots): a backup drops them. */
export const vote_meta_keys = ['last_vote', 'recent_votes', 'voted_proposal', 'prevote', 'precommit', 'lock', 'lock_proposal', 'lock_pol'] as const;

export interface BackupReport {
  readonly file: string;
  readonly bytes: number;
  readonly committedPeriod: number;
  readonly accounts: number;
  readonly stateHash: string;
  /** Periods after this one are in the backup's archive (0: since genesis). */
  readonly archiveFrom: number;
  readonly ms: number;
}

/** The network id a ledger file belongs to, read without writing anything. */
function storedNetworkId(path: string): Uint8Array {
  return readLedger(path, (_db, meta) => meta('network_id') ?? fail('STORE_CORRUPT', `${path} has no network id: it is not a scryp ledger`));
}

/** Step 1: a consistent copy of the live ledger at `to` (which must not exist). */
export function copyLedger(from: string, to: string): void {
  const db = new Database(from, { readonly: true });
  try {
    db.query('VACUUM INTO ?').run(to);
  } catch (error) {
    fail('OUT_UNWRITABLE', `cannot copy ${from} to ${to}: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * Steps 2 and 3 on the copy `dir/ledger.sqlite`: forgets the votes, opens it as the node
 * would, recomputes the state hash, verifies the certificate; integrity_check last.
 * Throws BACKUP_CHECK_FAILED (or STORE_MISMATCH for another network's ledger).
 */
export function neuterAndCheck(dir: string, network: Network): Omit<BackupReport, 'file' | 'bytes' | 'ms'> {
  const path = join(dir, ledger_file_name);
  const edit = new Database(path);
  try {
    const forget = edit.query('DELETE FROM meta WHERE key = ?');
    edit.transaction(() => {
      for (const key of vote_meta_keys) forget.run(key);
    })();
  } finally {
    edit.close();
  }
  const genesisHash = LedgerState.fromAccounts(network.genesis).hash;
  let store: SqliteStore;
  try {
    store = new SqliteStore(dir, network.id, genesisCertificate(genesisHash), () => []);
  } catch (error) {
    if (isScrypError(error, 'STORE_MISMATCH')) throw error;
    fail('BACKUP_CHECK_FAILED', `the copy does not open as a ledger: ${(error as Error).message}`);
  }
  let report: Omit<BackupReport, 'file' | 'bytes' | 'ms'>;
  try {
    const stored = store.load();
    if (stored.lastVote !== null || stored.votedProposal !== null) throw new Error('assertion failed: the copy forgot its votes');
    // The state hash binds the chain of changes the ledger committed (§9), and the certificate is
    // checked against the configuration that decided it: the network file's, or a change's.
    const state = stored.entries === null ? LedgerState.fromAccounts(network.genesis) : LedgerState.fromSortedEntries(stored.entries, chainDigestOf(stored.chain));
    const certificate = stored.committed;
    if (!equal(state.hash, certificate.hash)) {
      fail('BACKUP_CHECK_FAILED', `the accounts hash to ${toHex(state.hash).slice(0, 16)}…, but the certificate of period ${certificate.period} says ${toHex(certificate.hash).slice(0, 16)}…`);
    }
    const checker = new Configurations(network, genesisHash, verify, stored.chain).at(certificate.parent).checker;
    if (!verifyCertificate(checker, certificate)) fail('BACKUP_CHECK_FAILED', `the certificate of period ${certificate.period} is not signed by a quorum of the servers that decided it`);
    if (state.supply() !== network.supply) fail('BACKUP_CHECK_FAILED', `the accounts hold ${state.supply()} scryp, the genesis supply is ${network.supply}`);
    report = { committedPeriod: certificate.period, accounts: state.accountCount, stateHash: toHex(state.hash), archiveFrom: stored.archiveFrom };
  } catch (error) {
    if (isScrypError(error, 'BACKUP_CHECK_FAILED')) throw error;
    if (isScrypError(error)) fail('BACKUP_CHECK_FAILED', error.message);
    throw error;
  } finally {
    store.close();
  }
  // The final bytes, as one self-contained file (no -wal to carry along).
  const db = new Database(path);
  try {
    db.exec('PRAGMA journal_mode = DELETE');
    const rows = db.query('PRAGMA integrity_check').all() as { integrity_check: string }[];
    if (rows.length !== 1 || rows[0]!.integrity_check !== 'ok') {
      fail('BACKUP_CHECK_FAILED', `SQLite's integrity check: ${rows.slice(0, 3).map((row) => row.integrity_check).join('; ')}`);
    }
  } finally {
    db.close();
  }
  return report;
}

/**
 * Backs up DIR/ledger.sqlite of `network` into `work`/ledger.sqlite (a new directory's
 * file): copied, neutered, checked. The caller gives it its name (src/cli/backup.ts).
 */
export function backupInto(dir: string, network: Network, work: string): Omit<BackupReport, 'file' | 'bytes' | 'ms'> {
  const source = join(dir, ledger_file_name);
  if (!existsSync(source)) fail('STORE_UNAVAILABLE', `${source} does not exist: is ${dir} the server's directory (the one given to scryp node --dir)?`);
  const stored = storedNetworkId(source);
  if (!equal(stored, network.id)) {
    fail('STORE_MISMATCH', `${source} belongs to network ${toHex(stored).slice(0, 16)}…, not ${network.name} (${toHex(network.id).slice(0, 16)}…): give the server's own --network file`);
  }
  try {
    copyLedger(source, join(work, ledger_file_name));
    return neuterAndCheck(work, network);
  } catch (error) {
    if (error instanceof ScrypError) throw error;
    // SQLite's own failures (a full disk while copying) are the out file's.
    fail('OUT_UNWRITABLE', `cannot back up into ${work}: ${(error as Error).message}`);
  }
}
