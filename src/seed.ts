// The `.seed` file (docs/PROTOCOL.md §3.2): a 32-byte Ed25519 seed, mode 0600, in one of
// two forms: plain (64 lowercase hex characters and a newline) or encrypted under a
// passphrase (one line starting "scryp-seed v1", src/seed-encryption.ts). A missing file
// is created from the system's secure random source; a file that exists but does not
// parse is an error and is never overwritten.
//
// Every write goes through a temporary file beside it (".seed.tmp-<pid>-<random>"),
// written, synced, and then linked (a new seed: the link fails if a .seed appeared
// meanwhile, so nothing is ever overwritten) or renamed (encrypt, decrypt: the one step
// that replaces the file), and the directory synced. A crash at any instant leaves the old
// .seed or the new one, whole; a temporary file left by a crash is never read, and the
// next write removes it once the process that made it is gone.
//
// Test hook: SCRYP_TEST_CRASH_AFTER=<step> makes the process SIGKILL itself right after
// that step of a write (steps: temp-written, temp-synced, linked, renamed, dir-synced), so
// tests can prove the claim above on the real executable. It only ever stops this process.

import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  constants as fs,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { seed_bytes, seed_file_bytes_max } from './constants.ts';
import { abytes, equal, toHex } from './bytes.ts';
import { fail, isScrypError } from './errors.ts';
import { decryptSeed, default_kdf_cost, encryptSeed, isEncryptedSeedText, type KdfCost, parseEncryptedSeed } from './seed-encryption.ts';
import { publicKeyFromSeed } from './signature.ts';

import { formatSeed, parseSeed } from './seed-line.ts';

export { formatSeed, parseSeed };

export const seed_file_name = '.seed';
const temp_prefix = `${seed_file_name}.tmp-`;
const temp_pattern = /^\.seed\.tmp-([0-9]+)-[0-9a-f]{8}$/;

export type SeedFileState = 'missing' | 'plain' | 'encrypted';

/** The steps of a write after which SCRYP_TEST_CRASH_AFTER can stop the process. */
export type WriteStep = 'temp-written' | 'temp-synced' | 'linked' | 'renamed' | 'dir-synced';

export function seedPath(dir: string): string {
  return join(dir, seed_file_name);
}

/** Whether DIR/.seed exists (a dangling link counts: nothing is ever written through it). */
function seedEntryExists(dir: string): boolean {
  return lstatSync(seedPath(dir), { throwIfNoEntry: false }) !== undefined;
}

/** The text of DIR/.seed, at most seed_file_bytes_max bytes. SEED_MISSING when there is none. */
function readSeedText(dir: string): string {
  const path = seedPath(dir);
  if (!seedEntryExists(dir)) fail('SEED_MISSING', `${path}: no seed here: create one with scryp keygen --dir ${dir}, or scryp restore --dir ${dir}`);
  let fd: number;
  try {
    fd = openSync(path, fs.O_RDONLY | fs.O_NONBLOCK);
  } catch (error) {
    fail('BAD_SEED_FILE', `${path}: cannot read (${(error as Error).message})`);
  }
  try {
    if (!fstatSync(fd).isFile()) fail('BAD_SEED_FILE', `${path}: not a regular file`);
    const buffer = new Uint8Array(seed_file_bytes_max + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > seed_file_bytes_max) fail('BAD_SEED_FILE', `${path}: more than ${seed_file_bytes_max} bytes; a seed file is one short line`);
    return Buffer.from(buffer.subarray(0, length)).toString('latin1');
  } catch (error) {
    if (isScrypError(error)) throw error;
    fail('BAD_SEED_FILE', `${path}: cannot read (${(error as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Which form DIR/.seed is in: missing, plain, or encrypted (then commands need a
 * passphrase). A file that is neither counts as plain here; readSeed then refuses it.
 */
export function seedFileState(dir: string): SeedFileState {
  if (!seedEntryExists(dir)) return 'missing';
  return isEncryptedSeedText(readSeedText(dir)) ? 'encrypted' : 'plain';
}

/**
 * The seed of DIR/.seed. A plain file ignores the passphrase. An encrypted one is checked
 * first (a damaged file is BAD_SEED_FILE, with or without a passphrase), then needs the
 * passphrase (NEEDS_PASSPHRASE without one, BAD_PASSPHRASE when it does not open it).
 * Never writes.
 */
export function readSeed(dir: string, passphrase?: string): Uint8Array {
  const path = seedPath(dir);
  const text = readSeedText(dir);
  if (!isEncryptedSeedText(text)) return parseSeed(text, path);
  parseEncryptedSeed(text, path);
  if (passphrase === undefined) fail('NEEDS_PASSPHRASE', `${path} is encrypted: give its passphrase (on a terminal you are asked; otherwise --passphrase-file FILE)`);
  return decryptSeed(text, passphrase, path);
}

/** The account key of DIR/.seed, without its passphrase (an encrypted file names its address). */
export function seedFileAccount(dir: string): Uint8Array {
  const path = seedPath(dir);
  const text = readSeedText(dir);
  return isEncryptedSeedText(text) ? parseEncryptedSeed(text, path).account : publicKeyFromSeed(parseSeed(text, path));
}

/**
 * Writes DIR/.seed for a seed, encrypted when a passphrase is given; creates DIR (0700)
 * if needed. Refuses with SEED_EXISTS when DIR already has a .seed, which is left as it
 * was, even when another process creates one at the same instant. (`cost`: tests use a
 * cheaper scrypt; commands never pass one.)
 */
export function createSeed(dir: string, seed: Uint8Array, passphrase?: string, cost: KdfCost = default_kdf_cost): void {
  abytes(seed, seed_bytes, 'seed');
  const path = seedPath(dir);
  if (seedEntryExists(dir)) fail('SEED_EXISTS', `${path} exists and is never overwritten: choose another directory`);
  const text = passphrase === undefined ? formatSeed(seed) : encryptSeed(seed, passphrase, {}, cost);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    fail('BAD_SEED_FILE', `${dir}: cannot create the directory (${(error as Error).message})`);
  }
  removeLeftovers(dir);
  const temp = writeTemp(dir, text);
  try {
    linkSync(temp, path);
    crashAfter('linked');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') fail('SEED_EXISTS', `${path} appeared while this one was written; it is kept, and this seed was not saved`);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      // A file system without hard links (FAT on a USB stick): an exclusive create in
      // place, still never overwriting; a crash mid-write can then leave a short .seed,
      // which is refused (BAD_SEED_FILE), never replaced.
      createInPlace(path, text);
    } else {
      fail('BAD_SEED_FILE', `${path}: cannot create (${(error as Error).message})`);
    }
  } finally {
    unlinkQuietly(temp);
  }
  syncDirectory(dir);
  crashAfter('dir-synced');
}

/** Exported for tests: the exclusive create used where hard links are not supported. */
export function createInPlace(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') fail('SEED_EXISTS', `${path} appeared while this one was written; it is kept, and this seed was not saved`);
    fail('BAD_SEED_FILE', `${path}: cannot create (${(error as Error).message})`);
  }
  try {
    writeAll(fd, text);
    fchmodSync(fd, 0o600);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces a plain DIR/.seed by its encrypted form, atomically (`cost` as for createSeed). */
export function encryptSeedFile(dir: string, passphrase: string, cost: KdfCost = default_kdf_cost): void {
  const path = seedPath(dir);
  const text = readSeedText(dir);
  if (isEncryptedSeedText(text)) {
    parseEncryptedSeed(text, path); // a damaged file says so, rather than "already encrypted"
    fail('SEED_ALREADY_ENCRYPTED', `${path} is already encrypted; to change its passphrase, decrypt it, then encrypt it again`);
  }
  const seed = parseSeed(text, path);
  const encrypted = encryptSeed(seed, passphrase, {}, cost);
  // The only copy of a key is about to be replaced: open what was written, in memory, first.
  if (!equal(decryptSeed(encrypted, passphrase, path), seed)) fail('BAD_SEED_FILE', `${path}: the encrypted form did not open to the same seed; nothing was changed`);
  replaceSeedFile(dir, encrypted);
}

/** Replaces an encrypted DIR/.seed by its plain form, atomically (BAD_PASSPHRASE: nothing changes). */
export function decryptSeedFile(dir: string, passphrase: string): void {
  const path = seedPath(dir);
  const text = readSeedText(dir);
  if (!isEncryptedSeedText(text)) {
    parseSeed(text, path); // a damaged file says so, rather than "not encrypted"
    fail('SEED_NOT_ENCRYPTED', `${path} is not encrypted: there is nothing to decrypt`);
  }
  replaceSeedFile(dir, formatSeed(decryptSeed(text, passphrase, path)));
}

/**
 * Returns the seed of DIR, creating DIR/.seed first when it does not exist (encrypted
 * under `passphrase` if one is given). `initial` writes a known seed instead of a random
 * one (the devnet's test keys). Two processes racing never overwrite each other's seed:
 * the loser reads the winner's.
 */
export function loadOrCreateSeed(dir: string, initial?: Uint8Array, passphrase?: string): { seed: Uint8Array; created: boolean } {
  if (seedEntryExists(dir)) return { seed: readSeed(dir, passphrase), created: false };
  const seed = initial ?? new Uint8Array(randomBytes(seed_bytes));
  try {
    createSeed(dir, seed, passphrase);
  } catch (error) {
    if (isScrypError(error, 'SEED_EXISTS')) return { seed: readSeed(dir, passphrase), created: false };
    throw error;
  }
  return { seed, created: true };
}

// ---- the edge: temporary files, sync, rename ------------------------------------------

function replaceSeedFile(dir: string, text: string): void {
  removeLeftovers(dir);
  const temp = writeTemp(dir, text);
  try {
    renameSync(temp, seedPath(dir));
  } catch (error) {
    unlinkQuietly(temp);
    fail('BAD_SEED_FILE', `${seedPath(dir)}: cannot replace (${(error as Error).message}); the file is as it was`);
  }
  crashAfter('renamed');
  syncDirectory(dir);
  crashAfter('dir-synced');
}

/** Writes `text` to a new temporary file in DIR (0600, synced) and returns its path. */
function writeTemp(dir: string, text: string): string {
  const temp = join(dir, `${temp_prefix}${process.pid}-${toHex(new Uint8Array(randomBytes(4)))}`);
  let fd: number;
  try {
    fd = openSync(temp, fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL, 0o600);
  } catch (error) {
    fail('BAD_SEED_FILE', `${dir}: cannot write a seed file here (${(error as Error).message})`);
  }
  try {
    writeAll(fd, text);
    fchmodSync(fd, 0o600); // whatever the umask
    crashAfter('temp-written');
    // On disk before anyone learns the key: a crash right after must not lose the identity
    // (found by the fault suite: an unsynced seed came back as garbage after a disk error).
    fsyncSync(fd);
    crashAfter('temp-synced');
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(temp);
    if (isScrypError(error)) throw error;
    fail('BAD_SEED_FILE', `${temp}: cannot write (${(error as Error).message})`);
  }
  closeSync(fd);
  return temp;
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd); // the directory entry that names the file
  } finally {
    closeSync(fd);
  }
}

/** Removes temporary files left in DIR by writers that are gone (a crash); a live writer's are left alone. */
function removeLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = temp_pattern.exec(name);
    if (match === null || isAlive(Number(match[1]))) continue;
    unlinkQuietly(join(dir, name));
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or never made
  }
}

function crashAfter(step: WriteStep): void {
  if (process.env.SCRYP_TEST_CRASH_AFTER === step) process.kill(process.pid, 'SIGKILL');
}
