// The wallet's address book, kept as plain JSON a person can read and edit:
//
//   { "contacts": [ { "name": "Ruth's bakery", "address": "scryp1…" } ] }
//
// Parsing names what is wrong and where; a damaged list is reported and never overwritten
// (the wallet refuses to save until it is fixed or moved). Where it is kept is a
// ContactsStore: DIR/contacts.json for `scryp wallet` (contacts-file.ts), the browser's
// storage for the pocket wallet (page/pocket/storage.ts).

import { encodeAddress, parseAccount } from '../address.ts';
import { wallet_contact_name_chars_max, wallet_contacts_max } from '../constants.ts';
import { describe } from '../bytes.ts';
import { fail, isScrypError, type ScrypError } from '../errors.ts';

export interface Contact {
  readonly name: string;
  /** The account as an address (scryp1…). */
  readonly address: string;
}

// Control characters, and the bidirectional overrides that make a name read as another.
const unprintable = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** A contact's name as a person typed it: trimmed, 1 to 64 characters, nothing unprintable. */
export function parseContactName(value: unknown, field = 'Name'): string {
  if (typeof value !== 'string') fail('BAD_CONTACT', `${field}: expected text, got ${describe(value)}`);
  const name = value.trim();
  if (name.length === 0) fail('BAD_CONTACT', `${field}: a contact needs a name`);
  if ([...name].length > wallet_contact_name_chars_max) fail('BAD_CONTACT', `${field}: ${[...name].length} characters, at most ${wallet_contact_name_chars_max}`);
  if (unprintable.test(name)) fail('BAD_CONTACT', `${field}: holds a control or text-direction character; type the name again`);
  return name;
}

/** A list with a new contact; refuses a name or an address already in it. */
export function addContact(contacts: readonly Contact[], name: unknown, account: unknown): Contact[] {
  const cleanName = parseContactName(name);
  if (typeof account !== 'string') fail('BAD_CONTACT', `Address: expected text, got ${describe(account)}`);
  const address = encodeAddress(parseAccount(account, 'Address'));
  const sameName = contacts.find((contact) => contact.name.toLowerCase() === cleanName.toLowerCase());
  if (sameName !== undefined) fail('BAD_CONTACT', `Name: "${sameName.name}" is already a contact; pick another name or remove it first`);
  const sameAddress = contacts.find((contact) => contact.address === address);
  if (sameAddress !== undefined) fail('BAD_CONTACT', `Address: already saved as "${sameAddress.name}"`);
  if (contacts.length >= wallet_contacts_max) fail('BAD_CONTACT', `the list holds ${wallet_contacts_max} contacts, the most it keeps; remove one first`);
  return [...contacts, { name: cleanName, address }].sort((a, b) => a.name.localeCompare(b.name));
}

export function removeContact(contacts: readonly Contact[], name: string): Contact[] {
  const kept = contacts.filter((contact) => contact.name !== name);
  if (kept.length === contacts.length) fail('BAD_CONTACT', `Name: no contact is called "${name}"`);
  return kept;
}

/** The contact whose address this is, if any. */
export function contactOf(contacts: readonly Contact[], address: string): Contact | undefined {
  return contacts.find((contact) => contact.address === address);
}

/** Refuses a damaged list, saying that it was left as it is. */
export function damaged(where: string, message: string): never {
  fail('BAD_CONTACTS_FILE', `${where}: ${message}; it was left as it is: fix it or move it away`);
}

/** Parses the file's text; every refusal names the entry and field. */
export function parseContactsFile(text: string, where: string): Contact[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    damaged(where, `not JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) damaged(where, 'expected an object { "contacts": [ … ] }');
  const list = (json as { contacts?: unknown }).contacts;
  if (!Array.isArray(list)) damaged(where, '"contacts" is not a list');
  if (list.length > wallet_contacts_max) damaged(where, `${list.length} contacts, at most ${wallet_contacts_max}`);
  let contacts: Contact[] = [];
  list.forEach((entry: unknown, i: number) => {
    if (typeof entry !== 'object' || entry === null) damaged(where, `contacts[${i}] is not an object`);
    const { name, address } = entry as { name?: unknown; address?: unknown };
    try {
      contacts = addContact(contacts, name, address);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      damaged(where, `contacts[${i}]: ${error.message}`);
    }
  });
  return contacts;
}

export function formatContactsFile(contacts: readonly Contact[]): string {
  return `${JSON.stringify({ contacts: contacts.map(({ name, address }) => ({ name, address })) }, null, 2)}\n`;
}

/** Where a wallet keeps its contacts. */
export interface ContactsStore {
  /** The list, or the reason it cannot be read (then it is never overwritten). */
  load(): { contacts: Contact[]; problem: ScrypError | null };
  save(contacts: readonly Contact[]): void;
}
