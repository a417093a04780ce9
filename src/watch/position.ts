// Where `scryp watch` stands, kept in DIR/watch-position.json (docs/PROTOCOL.md §6.13):
//
//   {"version":1,"network":"<network id, hex>","account":"scryp1…","period":P,"index":I}
//
// Every payment of the account at or before (P, I) in (period, index) order has been
// handled: delivered, or skipped as void or as never committed. I = 4294967295 (above any
// index a batch holds) means all of period P. The file is replaced after each delivery by
// a write aside, an fsync, a rename and an fsync of the directory (cli/out-file.ts
// replaceFile), so a kill -9 at any instant leaves the old position or the new one, whole;
// at most the delivery in flight is made again after a restart.
//
// A file that does not parse, or that belongs to another network or account, is refused
// and never overwritten: the watcher stops before it writes anything.

import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAddress, encodeAddress } from '../address.ts';
import { equal, fromHex, toHex } from '../bytes.ts';
import { replaceFile } from '../cli/out-file.ts';
import { fail, isScrypError } from '../errors.ts';
import { type Cursor, period_end_index } from './follow.ts';

export const position_file_name = 'watch-position.json';
const position_file_bytes_max = 4096; // one short JSON object: anything larger is another file
const position_version = 1;

export interface SavedPosition {
  readonly network: Uint8Array;
  readonly account: Uint8Array;
  readonly position: Cursor;
}

export function positionPath(dir: string): string {
  return join(dir, position_file_name);
}

export function formatPosition(saved: SavedPosition): string {
  return `${JSON.stringify({ version: position_version, network: toHex(saved.network), account: encodeAddress(saved.account), period: saved.position.period, index: saved.position.index })}\n`;
}

/** Strict: exactly the five fields, each of its type and range. */
export function parsePosition(text: string, where: string): SavedPosition {
  const refuse = (why: string): never => fail('WATCH_POSITION_FILE', `${where}: ${why}; it is left as it is: repair it, or remove it to start again from --from`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse('not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return refuse('expected a JSON object');
  const fields = json as Record<string, unknown>;
  const names = Object.keys(fields).sort().join(',');
  if (names !== 'account,index,network,period,version') return refuse(`expected the fields account, index, network, period and version, got ${names || 'none'}`);
  if (fields.version !== position_version) return refuse(`version ${JSON.stringify(fields.version)}, expected ${position_version}`);
  const whole = (value: unknown, max: number, name: string): number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max ? value : refuse(`${name}: expected a whole number 0..${max}, got ${JSON.stringify(value)}`);
  const period = whole(fields.period, Number.MAX_SAFE_INTEGER, 'period');
  const index = whole(fields.index, period_end_index, 'index');
  let network: Uint8Array;
  let account: Uint8Array;
  try {
    network = fromHex(fields.network, 32, 'network');
    account = decodeAddress(fields.account as string, 'account');
  } catch (error) {
    if (!isScrypError(error)) throw error;
    return refuse(error.message);
  }
  return { network, account, position: { period, index } };
}

/** The saved position of DIR, or null when there is none yet. */
export function readPosition(dir: string): SavedPosition | null {
  const path = positionPath(dir);
  if (!existsSync(path)) return null;
  if (statSync(path).size > position_file_bytes_max) fail('WATCH_POSITION_FILE', `${path}: larger than ${position_file_bytes_max} bytes, not a position file; it is left as it is`);
  return parsePosition(readFileSync(path, 'utf8'), path);
}

/** Refuses a position kept for another network or another account. */
export function checkPositionFor(saved: SavedPosition, network: Uint8Array, account: Uint8Array, where: string): void {
  if (!equal(saved.network, network)) fail('WATCH_POSITION_OTHER', `${where} is the position of a watcher of another network (${toHex(saved.network).slice(0, 16)}…): use another --dir, or --network of that network`);
  if (!equal(saved.account, account)) fail('WATCH_POSITION_OTHER', `${where} is the position of a watcher of ${encodeAddress(saved.account)}, not of ${encodeAddress(account)}: use another --dir, or --account ${encodeAddress(saved.account)}`);
}

/** Replaces DIR's position in one atomic step (aside, fsync, rename, fsync of the directory). */
export function writePosition(dir: string, saved: SavedPosition): void {
  replaceFile(positionPath(dir), formatPosition(saved));
}

/** Removes what a write interrupted by a kill left aside (never read: the rename did not happen). */
export function removeLeftAsides(dir: string): void {
  for (const name of readdirSync(dir)) if (name.startsWith(`${position_file_name}.partial-`)) rmSync(join(dir, name), { force: true });
}
