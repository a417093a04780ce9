// The pocket wallet's `.seed` encryption (src/seed-encryption-web.ts: noble's scrypt and
// WebCrypto, as in the browser) against the node's (src/seed-encryption.ts: node:crypto):
// the golden vectors of test/vectors/keys.json byte for byte, and a line either writes the
// other opens; wrong passphrases and damaged lines are refused with the same codes.

import { describe, expect, test } from 'bun:test';
import { fromHex, toHex } from '../src/bytes.ts';
import { decryptSeed, encryptSeed } from '../src/seed-encryption.ts';
import { decryptSeedWeb, encryptSeedWeb } from '../src/seed-encryption-web.ts';
import { codeOf } from './helpers/errors.ts';
import keys from './vectors/keys.json';

const cheap = { logCost: 10, blockSize: 8, parallelism: 1 }; // the lowest cost a reader accepts: these tests are about bytes, not strength
const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 32, 'seed');

async function codeOfAsync(work: () => Promise<unknown>): Promise<string | null> {
  try {
    await work();
    return null;
  } catch (error) {
    return codeOf(() => {
      throw error;
    });
  }
}

describe('the encrypted seed line, in the browser’s way', () => {
  test('every golden vector: the same line with the fixed salt and nonce, and back', async () => {
    expect(keys.encrypted_seeds.length).toBeGreaterThan(0);
    for (const vector of keys.encrypted_seeds) {
      const random = { salt: fromHex(vector.salt, 16, 'salt'), nonce: fromHex(vector.nonce, 12, 'nonce') };
      expect(await encryptSeedWeb(fromHex(vector.seed, 32, 'seed'), vector.passphrase, random, vector.cost)).toBe(vector.line);
      expect(toHex(await decryptSeedWeb(vector.line, vector.passphrase, vector.name))).toBe(vector.seed);
    }
  });

  test('a line the node writes opens in the browser’s way, and the other way round (fresh salt and nonce)', async () => {
    const fromNode = encryptSeed(seed, 'correct horse', {}, cheap);
    expect(toHex(await decryptSeedWeb(fromNode, 'correct horse', 'node line'))).toBe(toHex(seed));
    const fromPage = await encryptSeedWeb(seed, 'battery staple', {}, cheap);
    expect(fromPage).not.toBe(await encryptSeedWeb(seed, 'battery staple', {}, cheap)); // a fresh salt each time
    expect(toHex(decryptSeed(fromPage, 'battery staple', 'page line'))).toBe(toHex(seed));
  });

  test('a wrong passphrase is BAD_PASSPHRASE; a changed character is BAD_SEED_FILE before any scrypt', async () => {
    const line = await encryptSeedWeb(seed, 'right', {}, cheap);
    expect(await codeOfAsync(() => decryptSeedWeb(line, 'wrong', 'line'))).toBe('BAD_PASSPHRASE');
    const damaged = line.slice(0, 100) + (line[100] === 'a' ? 'b' : 'a') + line.slice(101);
    expect(await codeOfAsync(() => decryptSeedWeb(damaged, 'right', 'line'))).toBe('BAD_SEED_FILE');
    expect(await codeOfAsync(() => decryptSeedWeb(line, '', 'line'))).toBe('PASSPHRASE_EMPTY');
  });
});
