// src/wallet/contacts.ts: DIR/contacts.json. A list round-trips through the file; a
// damaged file is reported with what is wrong and where, and is never overwritten (the
// wallet refuses to save until a person fixes or moves it); saving is write-aside-rename.

import { afterEach, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { wallet_contact_name_chars_max } from '../src/constants.ts';
import { addContact, type Contact, formatContactsFile, parseContactName, parseContactsFile, removeContact } from '../src/wallet/contacts.ts';
import { contactsPath, loadContacts, saveContacts } from '../src/wallet/contacts-file.ts';
import { codeOf } from './helpers/errors.ts';
import { testSigner } from './helpers/keys.ts';

const ruth = encodeAddress(testSigner('contacts ruth').publicKey);
const sam = encodeAddress(testSigner('contacts sam').publicKey);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-contacts-'));
  dirs.push(dir);
  return dir;
}

describe('names and the list', () => {
  test('a name is trimmed, 1 to 64 characters, with no control or direction characters', () => {
    expect(parseContactName('  Ruth’s bakery  ')).toBe('Ruth’s bakery');
    expect(parseContactName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>'); // shown as text, so allowed
    expect(parseContactName('🍞'.repeat(wallet_contact_name_chars_max))).toHaveLength(2 * wallet_contact_name_chars_max);
    for (const name of ['', '   ', 'x'.repeat(wallet_contact_name_chars_max + 1), 'Ruth\nSam', 'tab\there', 'evil\u202Egnp.exe', 'a\u0000b', 5, null]) {
      expect(codeOf(() => parseContactName(name))).toBe('BAD_CONTACT');
    }
  });

  test('adding keeps names and addresses unique (names regardless of case), stores the address form', () => {
    let list = addContact([], 'Ruth', ruth);
    list = addContact(list, 'Sam', toHex(testSigner('contacts sam').publicKey));
    expect(list).toEqual([
      { name: 'Ruth', address: ruth },
      { name: 'Sam', address: sam },
    ]);
    expect(codeOf(() => addContact(list, 'ruth', encodeAddress(testSigner('other').publicKey)))).toBe('BAD_CONTACT');
    expect(codeOf(() => addContact(list, 'Ruth again', ruth))).toBe('BAD_CONTACT');
    expect(codeOf(() => addContact(list, 'Typo', ruth.slice(0, -1) + (ruth.endsWith('q') ? 'p' : 'q')))).toBe('ADDRESS_CHECKSUM');
    expect(removeContact(list, 'Ruth')).toEqual([{ name: 'Sam', address: sam }]);
    expect(codeOf(() => removeContact(list, 'Nobody'))).toBe('BAD_CONTACT');
  });
});

describe('the file', () => {
  test('property: any list of valid contacts round-trips through the file text', () => {
    const contact = fc.record({
      name: fc.string({ minLength: 1, maxLength: 30 }).filter((name) => codeOf(() => parseContactName(name)) === 'no error'),
      seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    });
    fc.assert(
      fc.property(fc.array(contact, { maxLength: 8 }), (entries) => {
        let list: Contact[] = [];
        for (const entry of entries) {
          const next = (() => {
            try {
              return addContact(list, entry.name, encodeAddress(testSigner(toHex(entry.seed)).publicKey));
            } catch {
              return list; // a duplicate name: skipped
            }
          })();
          list = next;
        }
        expect(parseContactsFile(formatContactsFile(list), 'test')).toEqual(list);
      }),
      { numRuns: 50 },
    );
  });

  test('every kind of damage is BAD_CONTACTS_FILE and says where', () => {
    const cases = [
      'not json',
      '[]',
      '{}',
      '{"contacts": {}}',
      '{"contacts": [5]}',
      '{"contacts": [{"name": "Ruth"}]}',
      `{"contacts": [{"name": "", "address": "${ruth}"}]}`,
      `{"contacts": [{"name": "Ruth", "address": "${ruth.slice(0, -1)}x"}]}`,
      `{"contacts": [{"name": "Ruth", "address": "${ruth}"}, {"name": "Ruth", "address": "${sam}"}]}`,
    ];
    for (const text of cases) expect([text, codeOf(() => parseContactsFile(text, '/w/contacts.json'))]).toEqual([text, 'BAD_CONTACTS_FILE']);
    expect(() => parseContactsFile(`{"contacts": [{"name": "Ruth", "address": "${ruth}"}, {"name": "x", "address": "nope"}]}`, '/w/contacts.json')).toThrow(
      /\/w\/contacts\.json: contacts\[1\]: .*left as it is/,
    );
  });

  test('a missing file is an empty list; a saved list reads back; the write leaves no file aside', () => {
    const dir = tempDir();
    expect(loadContacts(dir)).toEqual({ contacts: [], problem: null });
    const list = addContact(addContact([], 'Sam', sam), 'Ruth', ruth);
    saveContacts(dir, list);
    expect(loadContacts(dir)).toEqual({ contacts: list, problem: null });
    expect(existsSync(`${contactsPath(dir)}.new`)).toBe(false);
    expect(readFileSync(contactsPath(dir), 'utf8')).toBe(formatContactsFile(list));
  });

  test('a damaged file is reported, not read as empty, and its bytes stay as they were', () => {
    const dir = tempDir();
    const damaged = '{"contacts": [{"name": "Ruth", "address": "scryp1oops"}]';
    writeFileSync(contactsPath(dir), damaged);
    const { contacts, problem } = loadContacts(dir);
    expect(contacts).toEqual([]);
    expect(problem?.code).toBe('BAD_CONTACTS_FILE');
    expect(readFileSync(contactsPath(dir), 'utf8')).toBe(damaged);
  });
});
