// The text forms people keep and type — addresses (§3.6), payment requests (§3.7),
// recovery phrases (§3.8) and the encrypted .seed line (§3.2) — as data in
// test/vectors/keys.json, checked in both directions against the code, and against every
// block docs/PROTOCOL.md quotes with a `<!-- keys: NAME#FIELD -->` marker (as
// test/golden.test.ts does for golden.json), so the document cannot drift from the code.

import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAddress, encodeAddress, parseAccount } from '../src/address.ts';
import { fromHex, toHex } from '../src/bytes.ts';
import { formatPaymentRequest, parsePaymentRequest } from '../src/payment-request.ts';
import { phraseToSeed, seedToPhrase } from '../src/recovery-phrase.ts';
import { decryptSeed, deriveSeedKey, encryptSeed } from '../src/seed-encryption.ts';

interface KeysFile {
  addresses: { name: string; key: string; address: string }[];
  payment_requests: { name: string; fields: { key: string; amount?: number; reference?: string; label?: string; message?: string }; uri: string }[];
  phrases: { name: string; seed: string; phrase: string }[];
  encrypted_seeds: { name: string; seed: string; passphrase: string; salt: string; nonce: string; cost: { logCost: number; blockSize: number; parallelism: number }; key: string; line: string }[];
}

const keys = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'keys.json'), 'utf8')) as KeysFile;
const document = readFileSync(join(import.meta.dir, '..', 'docs', 'PROTOCOL.md'), 'utf8');

describe('keys.json against the code', () => {
  test('addresses: encode and decode', () => {
    expect(keys.addresses.length).toBe(2);
    for (const vector of keys.addresses) {
      expect(encodeAddress(fromHex(vector.key, 32, 'key'))).toBe(vector.address);
      expect(toHex(decodeAddress(vector.address))).toBe(vector.key);
      expect(toHex(parseAccount(vector.address))).toBe(vector.key);
      expect(toHex(parseAccount(vector.key))).toBe(vector.key);
    }
  });

  test('payment requests: format and parse', () => {
    for (const vector of keys.payment_requests) {
      const { key, reference: referenceText, ...rest } = vector.fields;
      const reference = referenceText === undefined ? undefined : BigInt(referenceText); // a u64, kept as decimal text in the file
      expect(formatPaymentRequest({ account: fromHex(key, 32, 'key'), ...rest, ...(reference === undefined ? {} : { reference }) })).toBe(vector.uri);
      const parsed = parsePaymentRequest(vector.uri);
      expect(toHex(parsed.account)).toBe(key);
      expect({ amount: parsed.amount, reference: parsed.reference, label: parsed.label, message: parsed.message }).toEqual({ amount: rest.amount, reference, label: rest.label, message: rest.message });
    }
  });

  test('recovery phrases: both ways', () => {
    for (const vector of keys.phrases) {
      expect(seedToPhrase(fromHex(vector.seed, 32, 'seed')).join(' ')).toBe(vector.phrase);
      expect(toHex(phraseToSeed(vector.phrase))).toBe(vector.seed);
    }
  });

  test('the encrypted seed line: the key, the line with the fixed salt and nonce, and back', () => {
    for (const vector of keys.encrypted_seeds) {
      const salt = fromHex(vector.salt, 16, 'salt');
      const nonce = fromHex(vector.nonce, 12, 'nonce');
      expect(toHex(deriveSeedKey(vector.passphrase, salt, vector.cost))).toBe(vector.key);
      expect(encryptSeed(fromHex(vector.seed, 32, 'seed'), vector.passphrase, { salt, nonce }, vector.cost)).toBe(vector.line);
      expect(toHex(decryptSeed(vector.line, vector.passphrase, vector.name))).toBe(vector.seed);
    }
  });
});

describe('docs/PROTOCOL.md quotes keys.json exactly', () => {
  const blocks = [...document.matchAll(/<!-- keys: (.+?) -->\n```text\n([\s\S]*?)```/g)];
  const vectors = new Map<string, Record<string, unknown>>();
  for (const list of [keys.addresses, keys.payment_requests, keys.phrases, keys.encrypted_seeds]) {
    for (const vector of list) vectors.set(vector.name, vector as unknown as Record<string, unknown>);
  }

  test('every section quotes its vectors: §3.2, §3.6, §3.7, §3.8', () => {
    const quoted = new Set(blocks.map(([, reference]) => reference!.split('#')[0]));
    for (const name of ['encrypted-seed-server-0', 'address-devnet-wallet', 'address-zero', 'request-full', 'request-address-only', 'phrase-zero', 'phrase-7f']) {
      expect(quoted.has(name), name).toBe(true);
    }
  });

  for (const [, reference, body] of blocks) {
    test(reference!, () => {
      const [name, field] = reference!.split('#') as [string, string];
      const vector = vectors.get(name);
      expect(vector, `${name} is in keys.json`).toBeDefined();
      const expected = String(vector![field]).trimEnd();
      // Comments dropped; lines joined by one space (a value without spaces, such as a
      // key split in two for the page, is compared without any).
      const text = body!
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter((line) => line !== '')
        .join(' ');
      expect(/\s/.test(expected) ? text : text.replace(/\s+/g, '')).toBe(expected);
    });
  }
});
