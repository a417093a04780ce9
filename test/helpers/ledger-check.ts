// Reads a server's ledger file directly (not through the node) and checks the invariants
// of the design on it: the stored state has its certified hash, balances sum to the
// genesis supply, the archived periods chain, and no txid was applied twice. Once a
// server-set change is committed (PROTOCOL §8.13, §9) the certified hash binds the chain of
// changes the file keeps (table `changes`): sha256("scryp/state/v2" ‖ root ‖ chain digest).

import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { Reader, toHex, view } from '../../src/bytes.ts';
import { transaction_bytes } from '../../src/constants.ts';
import { readCertificate, type Certificate } from '../../src/consensus/vote.ts';
import { chainDigestOf, type CommittedChange, decodeChange } from '../../src/consensus/configuration.ts';
import { entry_bytes, LedgerState } from '../../src/ledger/state.ts';
import type { Network } from '../../src/network.ts';
import { txidOf } from '../../src/transaction.ts';

export interface LedgerReport {
  committed: Certificate;
  stateHash: string;
  supply: number;
  accounts: number;
  appliedTxids: Set<string>;
  periods: number[];
  balances: Map<string, number>;
}

export function readCertificateBytes(bytes: Uint8Array): Certificate {
  const reader = new Reader(bytes, 'certificate');
  const certificate = readCertificate(reader);
  reader.end();
  return certificate;
}

/** The chain of committed changes a ledger file keeps, oldest first (none: an empty list). */
export function chainIn(db: Database): CommittedChange[] {
  const table = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'changes'").get();
  if (table === null) return [];
  const rows = db.query('SELECT carrier, change FROM changes ORDER BY carrier').all() as { carrier: number; change: Uint8Array }[];
  return rows.map((row) => ({ carrier: row.carrier, change: decodeChange(row.change) }));
}

export function checkLedger(dir: string, network: Network): LedgerReport {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  try {
    const committed = readCertificateBytes((db.query("SELECT value FROM meta WHERE key = 'committed'").get() as { value: Uint8Array }).value);
    const rows = db.query('SELECT account, balance FROM accounts ORDER BY account').all() as { account: Uint8Array; balance: number }[];
    const entries = new Uint8Array(rows.length * entry_bytes);
    const balances = new Map<string, number>();
    rows.forEach((row, i) => {
      entries.set(row.account, i * entry_bytes);
      view(entries).setUint32(i * entry_bytes + 32, row.balance);
      balances.set(toHex(row.account), row.balance);
    });
    const chain = chainIn(db);
    const last = chain[chain.length - 1];
    if (last !== undefined && last.carrier > committed.period) throw new Error(`${dir}: change carried in period ${last.carrier}, after the committed period ${committed.period}`);
    const state = LedgerState.fromSortedEntries(entries, chainDigestOf(chain));
    if (toHex(state.hash) !== toHex(committed.hash)) {
      throw new Error(`${dir}: accounts${chain.length === 0 ? '' : ` with the chain of ${chain.length} change(s)`} hash to ${toHex(state.hash)}, but committed ${toHex(committed.hash)}`);
    }
    const supply = state.supply();
    if (supply !== network.supply) throw new Error(`${dir}: supply ${supply}, genesis ${network.supply}`);
    const archiveFrom = Number(new DataView((db.query("SELECT value FROM meta WHERE key = 'archive_from'").get() as { value: Uint8Array }).value.buffer).getBigUint64(0));
    const periods = db.query('SELECT period, certificate, transactions, applied FROM periods ORDER BY period').all() as {
      period: number;
      certificate: Uint8Array;
      transactions: Uint8Array;
      applied: Uint8Array;
    }[];
    const appliedTxids = new Set<string>();
    let previous: number | null = null;
    for (const row of periods) {
      const certificate = readCertificateBytes(row.certificate);
      if (certificate.period !== row.period) throw new Error(`${dir}: period row ${row.period} holds the certificate of ${certificate.period}`);
      if (row.period > archiveFrom && previous !== null && previous >= archiveFrom && certificate.parent !== previous) {
        throw new Error(`${dir}: period ${row.period} has parent ${certificate.parent}, the archive's previous is ${previous}`);
      }
      for (let i = 0; i * transaction_bytes < row.transactions.length; i++) {
        if (row.applied[i] !== 1) continue;
        const txid = toHex(txidOf(row.transactions.subarray(i * transaction_bytes, (i + 1) * transaction_bytes)));
        if (appliedTxids.has(txid)) throw new Error(`${dir}: txid ${txid} applied twice`);
        appliedTxids.add(txid);
      }
      previous = row.period;
    }
    if (periods.length > 0 && committed.period > archiveFrom && periods[periods.length - 1]!.period !== committed.period) {
      throw new Error(`${dir}: committed period ${committed.period}, last archived ${periods[periods.length - 1]!.period}`);
    }
    return { committed, stateHash: toHex(state.hash), supply, accounts: rows.length, appliedTxids, periods: periods.map((row) => row.period), balances };
  } finally {
    db.close();
  }
}
