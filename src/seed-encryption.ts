// The encrypted form of a `.seed` (docs/PROTOCOL.md §3.2): one line of text that says
// what it is, whose key it holds, and how to open it with a passphrase.
//
//   scryp-seed v1 address=scryp1… scrypt ln=17 r=8 p=1 salt=<16 bytes hex>
//     aes-256-gcm nonce=<12 bytes hex> sealed=<48 bytes hex> check=<4 bytes hex>
//
// (one line, fields separated by single spaces). key = scrypt(NFC(passphrase) as UTF-8,
// salt, N = 2^ln, r, p, 32 bytes); sealed = AES-256-GCM(key, nonce, seed) = 32 bytes of
// ciphertext || 16 of tag, with the header (the line before " sealed=") as associated
// data, so that a change to any field (the address, a cost, the salt, the nonce) makes
// the tag fail. check = the first 4 bytes of sha256 of the line before " check=": it has
// no secret in it; it only tells a damaged file (BAD_SEED_FILE) from a wrong passphrase
// (BAD_PASSPHRASE), and it is checked before the slow scrypt.
//
// Why these: both are in Bun's native node:crypto (BoringSSL), no new dependency and no
// hand-written primitive; scrypt is memory-hard (2^17 × 8 × 128 bytes = 128 MiB per
// try) and runs in about 0.3 s on the project's 2-core test machine; AES-256-GCM is the
// AEAD Bun has (it has no ChaCha20-Poly1305). Each encryption draws a fresh salt, hence a
// fresh key, so a nonce is never used twice under one key.
//
// The line's text is seed-line.ts's, shared with the browser's twin (seed-encryption-web.ts).
// Pure: randomness comes in as arguments (`encryptSeed`'s `random`), so vectors are fixed.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { abytes, equal, utf8 } from './bytes.ts';
import { seed_bytes, seed_kdf_memory_bytes_max, seed_nonce_bytes, seed_salt_bytes, seed_tag_bytes } from './constants.ts';
import { assert, fail } from './errors.ts';
import { checkCost, default_kdf_cost, type KdfCost, headerText, parseEncryptedSeed, passphraseBytes, sealedLine } from './seed-line.ts';
import { publicKeyFromSeed } from './signature.ts';

export { default_kdf_cost, encrypted_seed_tag, encrypted_seed_version, type EncryptedSeed, isEncryptedSeedText, type KdfCost, parseEncryptedSeed, passphraseBytes } from './seed-line.ts';

export function deriveSeedKey(passphrase: string, salt: Uint8Array, cost: KdfCost): Uint8Array {
  const memory = 128 * cost.blockSize * 2 ** cost.logCost;
  assert(memory <= seed_kdf_memory_bytes_max, 'the cost was checked against the memory bound');
  return new Uint8Array(scryptSync(passphraseBytes(passphrase), salt, 32, { N: 2 ** cost.logCost, r: cost.blockSize, p: cost.parallelism, maxmem: 2 * memory }));
}

/**
 * The encrypted line (with its newline) for a seed under a passphrase. `random` gives the
 * salt and nonce (fresh from the system's secure source unless a test fixes them).
 */
export function encryptSeed(
  seed: Uint8Array,
  passphrase: string,
  random: { salt?: Uint8Array; nonce?: Uint8Array } = {},
  cost: KdfCost = default_kdf_cost,
): string {
  abytes(seed, seed_bytes, 'seed');
  checkCost(cost, 'cost');
  const salt = abytes(random.salt ?? new Uint8Array(randomBytes(seed_salt_bytes)), seed_salt_bytes, 'salt');
  const nonce = abytes(random.nonce ?? new Uint8Array(randomBytes(seed_nonce_bytes)), seed_nonce_bytes, 'nonce');
  const header = headerText(publicKeyFromSeed(seed), cost, salt, nonce);
  const cipher = createCipheriv('aes-256-gcm', deriveSeedKey(passphrase, salt, cost), nonce, { authTagLength: seed_tag_bytes });
  cipher.setAAD(utf8(header));
  const sealed = Buffer.concat([cipher.update(seed), cipher.final(), cipher.getAuthTag()]);
  return sealedLine(header, sealed);
}

/** The seed inside an encrypted line; BAD_SEED_FILE when damaged, BAD_PASSPHRASE when the passphrase does not open it. */
export function decryptSeed(text: string, passphrase: string, where: string): Uint8Array {
  const parsed = parseEncryptedSeed(text, where);
  const decipher = createDecipheriv('aes-256-gcm', deriveSeedKey(passphrase, parsed.salt, parsed.cost), parsed.nonce, { authTagLength: seed_tag_bytes });
  decipher.setAAD(parsed.header);
  decipher.setAuthTag(parsed.sealed.subarray(seed_bytes));
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(Buffer.concat([decipher.update(parsed.sealed.subarray(0, seed_bytes)), decipher.final()]));
  } catch {
    fail('BAD_PASSPHRASE', `${where}: the passphrase does not open this seed file; nothing was changed: try again`);
  }
  // The tag covers the address, so only a file sealed with this passphrase around another
  // key gets here: made by hand, not by scryp.
  if (!equal(publicKeyFromSeed(seed), parsed.account)) fail('BAD_SEED_FILE', `${where}: the seed inside is not the key of the address the file names`);
  return seed;
}

