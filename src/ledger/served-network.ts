// The network a server's directory serves, as its ledger remembers it: the network file
// (meta network_file, written by the node at every start) and the chain of configuration
// changes it committed (table changes), each link checked from that file. Commands given
// a server's directory alone (scryp backup, scryp network change and sign --dir) act on
// this network; a --network given beside it must be the same one (STORE_MISMATCH).
// Read-only: the node may be running (SQLite's WAL lets a reader in).

import { Database } from 'bun:sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { equal, toHex } from '../bytes.ts';
import { type CommittedChange, configurationsOf, decodeChange } from '../consensus/configuration.ts';
import { fail, isScrypError } from '../errors.ts';
import { type Network, parseNetworkText } from '../network.ts';
import { verify } from '../signature.ts';
import { ledger_file_name } from './sqlite-store.ts';

export interface ServedNetwork {
  readonly network: Network;
  /** The committed changes, oldest first, each checked from the network file. */
  readonly chain: readonly CommittedChange[];
}

/**
 * What DIR serves, or null: no ledger there, or one whose node has not started since
 * directories remember their network (it learns it at its next start).
 */
export function servedNetwork(dir: string): ServedNetwork | null {
  const path = join(dir, ledger_file_name);
  if (!existsSync(path)) return null;
  return readLedger(path, (db, meta) => {
    const file = meta('network_file');
    if (file === null) return null;
    const network = parseNetworkText(new TextDecoder().decode(file), `${path} (meta network_file)`);
    const id = meta('network_id');
    if (id === null || !equal(id, network.id)) fail('STORE_CORRUPT', `${path}: the network file it remembers (${toHex(network.id).slice(0, 16)}…) is not the network of its ledger`);
    const hasChanges = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'changes'").get() !== null;
    const rows = hasChanges ? (db.query('SELECT carrier, change FROM changes ORDER BY carrier').all() as { carrier: number; change: Uint8Array }[]) : [];
    const chain = rows.map((row) => ({ carrier: row.carrier, change: decodeChange(row.change) }));
    configurationsOf(network, chain, verify); // each link from the file: CHANGE_CHAIN if one does not follow
    return { network, chain };
  });
}

/**
 * Reads a ledger file without writing anything (the node may be running): `read` gets the
 * database and its meta values. A file SQLite cannot open is STORE_UNAVAILABLE; one that is
 * not a scryp ledger, STORE_CORRUPT.
 */
export function readLedger<T>(path: string, read: (db: Database, meta: (key: string) => Uint8Array | null) => T): T {
  let db: Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (error) {
    fail('STORE_UNAVAILABLE', `cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    return read(db, (key) => (db.query('SELECT value FROM meta WHERE key = ?').get(key) as { value: Uint8Array } | null)?.value ?? null);
  } catch (error) {
    if (isScrypError(error)) throw error;
    fail('STORE_CORRUPT', `${path} is not a scryp ledger: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}
