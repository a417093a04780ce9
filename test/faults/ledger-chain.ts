// A ledger file checked as test/helpers/ledger-check.ts checks it, for a network whose
// server set changed (PROTOCOL §8.13, §9): once a change is committed the certified state
// hash is sha256("scryp/state/v2" ‖ root of the accounts ‖ chain digest), so the accounts'
// root is bound to the chain of changes the file keeps (table `changes`) before it is
// compared with the committed certificate; the chain itself is checked link by link from
// the network file (configurationsOf). Without a change it is exactly the helper's check.
// The other checks are the helper's: balances sum to the genesis supply, the archive
// chains, no txid applied twice.

import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { toHex, view } from '../../src/bytes.ts';
import { transaction_bytes } from '../../src/constants.ts';
import { chainDigestOf, type CommittedChange, configurationsOf, type Configuration, decodeChange } from '../../src/consensus/configuration.ts';
import { entry_bytes, LedgerState, stateHashOf } from '../../src/ledger/state.ts';
import type { Network } from '../../src/network.ts';
import { verify } from '../../src/signature.ts';
import { txidOf } from '../../src/transaction.ts';
import { checkLedger, readCertificateBytes, type LedgerReport } from '../helpers/ledger-check.ts';

export interface ChainedLedgerReport extends LedgerReport {
  readonly chain: CommittedChange[];
  readonly configurations: Configuration[];
}

/** The chain of committed changes a ledger file keeps, oldest first (none: an empty list). */
function chainIn(db: Database): CommittedChange[] {
  const table = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'changes'").get();
  if (table === null) return [];
  const rows = db.query('SELECT carrier, change FROM changes ORDER BY carrier').all() as { carrier: number; change: Uint8Array }[];
  return rows.map((row) => ({ carrier: row.carrier, change: decodeChange(row.change) }));
}

export function checkLedgerAcrossChanges(dir: string, network: Network): ChainedLedgerReport {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  let chain: CommittedChange[];
  try {
    chain = chainIn(db);
  } finally {
    db.close();
  }
  const configurations = configurationsOf(network, chain, verify);
  if (chain.length === 0) return { ...checkLedger(dir, network), chain, configurations };
  return { ...checkWithChain(dir, network, chain), chain, configurations };
}

function checkWithChain(dir: string, network: Network, chain: readonly CommittedChange[]): LedgerReport {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  try {
    const committed = readCertificateBytes((db.query("SELECT value FROM meta WHERE key = 'committed'").get() as { value: Uint8Array }).value);
    const last = chain[chain.length - 1]!;
    if (last.carrier > committed.period) throw new Error(`${dir}: change carried in period ${last.carrier}, after the committed period ${committed.period}`);
    const rows = db.query('SELECT account, balance FROM accounts ORDER BY account').all() as { account: Uint8Array; balance: number }[];
    const entries = new Uint8Array(rows.length * entry_bytes);
    const balances = new Map<string, number>();
    rows.forEach((row, i) => {
      entries.set(row.account, i * entry_bytes);
      view(entries).setUint32(i * entry_bytes + 32, row.balance);
      balances.set(toHex(row.account), row.balance);
    });
    const state = LedgerState.fromSortedEntries(entries);
    const stateHash = toHex(stateHashOf(state.hash, chainDigestOf(chain)));
    if (stateHash !== toHex(committed.hash)) throw new Error(`${dir}: accounts root with the chain of ${chain.length} change(s) hashes to ${stateHash}, but committed ${toHex(committed.hash)}`);
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
    return { committed, stateHash, supply, accounts: rows.length, appliedTxids, periods: periods.map((row) => row.period), balances };
  } finally {
    db.close();
  }
}
