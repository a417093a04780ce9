// Files the operator tools write (a network file, a backup): written aside, flushed, then
// linked into place. The name never holds half a file, and never replaces a file that
// exists: a network file or a backup overwritten by a slip of the keyboard is lost.
// The one exception is a file a command updates on purpose (a change file that
// `scryp network sign` adds a signature to): written aside, flushed, then renamed over
// it, so that it holds the old text or the new, never a mix.

import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail } from '../errors.ts';

/** Refuses at once when `path` exists, before any work is done for it. */
export function refuseExisting(path: string): void {
  if (existsSync(path)) fail('OUT_EXISTS', `${path} exists; it is never replaced: choose another name, or move it away first`);
}

/** Where a file for `path` is written before it takes its name (same directory, so the link is atomic). */
export function asidePath(path: string): string {
  return `${path}.partial-${process.pid}`;
}

/** Gives the finished file at `aside` the name `path`, unless `path` exists; `aside` is gone afterwards either way. */
export function placeNew(aside: string, path: string): void {
  try {
    try {
      linkSync(aside, path); // atomic, and fails if the name is taken
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EEXIST') fail('OUT_EXISTS', `${path} appeared while it was written; it was left as it is`);
      // A file system without hard links (FAT on a USB stick): rename, after a last look.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      refuseExisting(path);
      renameSync(aside, path);
    }
  } catch (error) {
    if ((error as Error).name === 'ScrypError') throw error;
    fail('OUT_UNWRITABLE', `cannot write ${path}: ${(error as Error).message}`);
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Writes `data` as a new file at `path`: aside, flushed to disk, then placed. */
export function writeNew(path: string, data: string | Uint8Array, mode = 0o644): void {
  refuseExisting(path);
  placeNew(writeAside(path, data, mode), path);
}

function writeAside(path: string, data: string | Uint8Array, mode: number): string {
  const aside = asidePath(path);
  try {
    const fd = openSync(aside, 'wx', mode);
    try {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(aside, { force: true });
    fail('OUT_UNWRITABLE', `cannot write ${path}: ${(error as Error).message}`);
  }
  return aside;
}

/** Replaces the file at `path` by `data` in one rename (aside, flushed, renamed, the directory flushed). */
export function replaceFile(path: string, data: string | Uint8Array, mode = 0o644): void {
  const aside = writeAside(path, data, mode);
  try {
    renameSync(aside, path);
  } catch (error) {
    rmSync(aside, { force: true });
    fail('OUT_UNWRITABLE', `cannot write ${path}: ${(error as Error).message}`);
  }
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // a directory that cannot be opened or flushed (Windows): the rename is done all the same
  }
}
