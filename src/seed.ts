// The `.seed` file: a 32-byte Ed25519 seed as 64 lowercase hex characters and a
// newline, mode 0600. A missing file is created from the system's secure random
// source; a file that exists but does not parse is an error and is never overwritten.

import { chmodSync, closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, constants as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { seed_bytes } from './constants.ts';
import { describe, fromHex, toHex } from './bytes.ts';
import { fail } from './errors.ts';

export const seed_file_name = '.seed';

export function seedPath(dir: string): string {
  return join(dir, seed_file_name);
}

export function parseSeed(text: string, where: string): Uint8Array {
  // typeof first: the pattern test would coerce a non-string (an object with toString, or throw on a symbol).
  if (typeof text !== 'string') fail('BAD_SEED_FILE', `${where}: expected text, got ${describe(text)}`);
  if (!/^[0-9a-f]{64}\n?$/.test(text)) {
    fail('BAD_SEED_FILE', `${where}: expected 64 lowercase hex characters and a newline, got ${text.length} characters that do not match`);
  }
  return fromHex(text.slice(0, 64), seed_bytes, where);
}

export function formatSeed(seed: Uint8Array): string {
  return `${toHex(seed)}\n`;
}

/** Reads DIR/.seed; refuses a file that does not parse. */
export function readSeed(dir: string): Uint8Array {
  const path = seedPath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    fail('BAD_SEED_FILE', `${path}: cannot read (${(error as Error).message})`);
  }
  return parseSeed(text, path);
}

/**
 * Returns the seed of DIR, creating DIR/.seed first when it does not exist. Creation
 * uses O_EXCL, so two processes racing never overwrite each other's seed.
 * `initial` writes a known seed instead of a random one (the devnet's test keys).
 */
export function loadOrCreateSeed(dir: string, initial?: Uint8Array): { seed: Uint8Array; created: boolean } {
  const path = seedPath(dir);
  if (existsSync(path)) return { seed: readSeed(dir), created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const seed = initial ?? new Uint8Array(randomBytes(seed_bytes));
  let fd: number;
  try {
    fd = openSync(path, fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { seed: readSeed(dir), created: false };
    fail('BAD_SEED_FILE', `${path}: cannot create (${(error as Error).message})`);
  }
  try {
    writeSync(fd, formatSeed(seed));
    if ((fstatSync(fd).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
    // On disk before anyone learns the key: a crash right after must not lose the identity
    // (found by the fault suite: an unsynced seed came back as garbage after a disk error).
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd); // and the directory entry that names it
  } finally {
    closeSync(dirFd);
  }
  return { seed, created: true };
}
