// The encrypted `.seed` line (seed-line.ts, PROTOCOL §3.6) sealed and opened with web APIs,
// for the pocket wallet's page: scrypt from @noble/hashes (a browser has none; its async
// form yields to the page between blocks, so the screen stays responsive through the
// ~128 MiB, few-second derivation) and AES-256-GCM from WebCrypto. Byte for byte the line
// seed-encryption.ts writes with node:crypto, so a file made by `scryp keygen --encrypt`
// opens in the page and one the page exports opens with `scryp keygen --dir`
// (test/seed-encryption-web.test.ts checks both ways and the golden vector).

import { scryptAsync } from '@noble/hashes/scrypt.js';
import { abytes, equal, utf8 } from './bytes.ts';
import { seed_bytes, seed_nonce_bytes, seed_salt_bytes, seed_tag_bytes } from './constants.ts';
import { fail } from './errors.ts';
import { checkCost, default_kdf_cost, headerText, type KdfCost, parseEncryptedSeed, passphraseBytes, sealedLine } from './seed-line.ts';
import { publicKeyFromSeed } from './signature.ts';

const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

async function aesKey(passphrase: string, salt: Uint8Array, cost: KdfCost, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const key = await scryptAsync(passphraseBytes(passphrase), salt, { N: 2 ** cost.logCost, r: cost.blockSize, p: cost.parallelism, dkLen: 32 });
  return crypto.subtle.importKey('raw', buffer(key), 'AES-GCM', false, [usage]);
}

/** The encrypted line for a seed under a passphrase; salt and nonce fresh from crypto.getRandomValues unless given. */
export async function encryptSeedWeb(seed: Uint8Array, passphrase: string, random: { salt?: Uint8Array; nonce?: Uint8Array } = {}, cost: KdfCost = default_kdf_cost): Promise<string> {
  abytes(seed, seed_bytes, 'seed');
  checkCost(cost, 'cost');
  const salt = abytes(random.salt ?? crypto.getRandomValues(new Uint8Array(seed_salt_bytes)), seed_salt_bytes, 'salt');
  const nonce = abytes(random.nonce ?? crypto.getRandomValues(new Uint8Array(seed_nonce_bytes)), seed_nonce_bytes, 'nonce');
  const header = headerText(publicKeyFromSeed(seed), cost, salt, nonce);
  const key = await aesKey(passphrase, salt, cost, 'encrypt');
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buffer(nonce), additionalData: buffer(utf8(header)), tagLength: seed_tag_bytes * 8 }, key, buffer(seed));
  return sealedLine(header, new Uint8Array(sealed));
}

/** The seed inside an encrypted line; BAD_SEED_FILE when damaged, BAD_PASSPHRASE when the passphrase does not open it. */
export async function decryptSeedWeb(text: string, passphrase: string, where: string): Promise<Uint8Array> {
  const parsed = parseEncryptedSeed(text, where); // checked before the slow scrypt
  const key = await aesKey(passphrase, parsed.salt, parsed.cost, 'decrypt');
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buffer(parsed.nonce), additionalData: buffer(parsed.header), tagLength: seed_tag_bytes * 8 }, key, buffer(parsed.sealed)));
  } catch {
    fail('BAD_PASSPHRASE', `${where}: the passphrase does not open this key; nothing was changed: try again`);
  }
  if (!equal(publicKeyFromSeed(seed), parsed.account)) fail('BAD_SEED_FILE', `${where}: the seed inside is not the key of the address the file names`);
  return seed;
}
