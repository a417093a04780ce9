// `scryp wallet`'s contacts: DIR/contacts.json (contacts.ts reads and writes the text).
// Saving writes a new file beside the old one, syncs it, and renames it over: a crash
// leaves the old list or the new one.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { wallet_contacts_file_bytes_max } from '../constants.ts';
import { isScrypError, type ScrypError } from '../errors.ts';
import { type Contact, type ContactsStore, damaged, formatContactsFile, parseContactsFile } from './contacts.ts';

export const contacts_file_name = 'contacts.json';

export function contactsPath(dir: string): string {
  return join(dir, contacts_file_name);
}

/** The list in DIR, or the reason it cannot be read. A missing file is an empty list. */
export function loadContacts(dir: string): { contacts: Contact[]; problem: ScrypError | null } {
  const path = contactsPath(dir);
  if (!existsSync(path)) return { contacts: [], problem: null };
  try {
    if (statSync(path).size > wallet_contacts_file_bytes_max) damaged(path, `larger than ${wallet_contacts_file_bytes_max} bytes`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      damaged(path, `cannot read (${(error as Error).message})`);
    }
    return { contacts: parseContactsFile(text, path), problem: null };
  } catch (error) {
    if (!isScrypError(error)) throw error;
    return { contacts: [], problem: error };
  }
}

/** Writes the list atomically (aside, fsync, rename, fsync the directory). */
export function saveContacts(dir: string, contacts: readonly Contact[]): void {
  const path = contactsPath(dir);
  const aside = `${path}.new`;
  const fd = openSync(aside, 'w', 0o600);
  try {
    writeSync(fd, formatContactsFile(contacts));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(aside, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** DIR/contacts.json as a wallet's ContactsStore. */
export function contactsFile(dir: string): ContactsStore {
  return { load: () => loadContacts(dir), save: (contacts) => saveContacts(dir, contacts) };
}
