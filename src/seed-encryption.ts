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
// Pure: randomness comes in as arguments (`encryptSeed`'s `random`), so vectors are fixed.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { decodeAddress, encodeAddress } from './address.ts';
import { abytes, equal, fromHex, toHex, utf8 } from './bytes.ts';
import {
  passphrase_bytes_max,
  seed_bytes,
  seed_kdf_block_size,
  seed_kdf_block_size_max,
  seed_kdf_log2_cost,
  seed_kdf_log2_cost_min,
  seed_kdf_memory_bytes_max,
  seed_kdf_parallelism,
  seed_kdf_parallelism_max,
  seed_nonce_bytes,
  seed_salt_bytes,
  seed_tag_bytes,
} from './constants.ts';
import { assert, fail } from './errors.ts';
import { sha256 } from './hash.ts';
import { publicKeyFromSeed } from './signature.ts';

export const encrypted_seed_tag = 'scryp-seed';
export const encrypted_seed_version = 'v1';
const check_bytes = 4;

/** The cost of scrypt: N = 2^logCost, r = blockSize, p = parallelism. */
export interface KdfCost {
  readonly logCost: number;
  readonly blockSize: number;
  readonly parallelism: number;
}

export const default_kdf_cost: KdfCost = { logCost: seed_kdf_log2_cost, blockSize: seed_kdf_block_size, parallelism: seed_kdf_parallelism };

/** The fields of an encrypted seed line, parsed and checked (but not opened). */
export interface EncryptedSeed {
  readonly account: Uint8Array;
  readonly cost: KdfCost;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  readonly sealed: Uint8Array;
  /** The associated data: the line's bytes before " sealed=". */
  readonly header: Uint8Array;
}

/** Whether a seed file's text is the encrypted form (hex never has an "s"): cheap, for routing. */
export function isEncryptedSeedText(text: string): boolean {
  return text.startsWith('s');
}

/**
 * The passphrase as the bytes scrypt gets: NFC (the same text typed on any system gives
 * the same bytes), UTF-8. Refuses an empty one and one over passphrase_bytes_max.
 */
export function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string') fail('BAD_TYPE', 'passphrase: expected text');
  const bytes = utf8(passphrase.normalize('NFC'));
  if (bytes.length === 0) fail('PASSPHRASE_EMPTY', 'the passphrase is empty: an empty passphrase protects nothing');
  if (bytes.length > passphrase_bytes_max) fail('PASSPHRASE_TOO_LONG', `the passphrase is ${bytes.length} bytes, more than ${passphrase_bytes_max}: is this the right file?`);
  return bytes;
}

export function deriveSeedKey(passphrase: string, salt: Uint8Array, cost: KdfCost): Uint8Array {
  const memory = 128 * cost.blockSize * 2 ** cost.logCost;
  assert(memory <= seed_kdf_memory_bytes_max, 'the cost was checked against the memory bound');
  return new Uint8Array(scryptSync(passphraseBytes(passphrase), salt, 32, { N: 2 ** cost.logCost, r: cost.blockSize, p: cost.parallelism, maxmem: 2 * memory }));
}

function headerText(account: Uint8Array, cost: KdfCost, salt: Uint8Array, nonce: Uint8Array): string {
  return [
    encrypted_seed_tag,
    encrypted_seed_version,
    `address=${encodeAddress(account)}`,
    'scrypt',
    `ln=${cost.logCost}`,
    `r=${cost.blockSize}`,
    `p=${cost.parallelism}`,
    `salt=${toHex(salt)}`,
    'aes-256-gcm',
    `nonce=${toHex(nonce)}`,
  ].join(' ');
}

function checkOf(text: string): string {
  return toHex(sha256(utf8(text)).subarray(0, check_bytes));
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
  const body = `${header} sealed=${toHex(sealed)}`;
  return `${body} check=${checkOf(body)}\n`;
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

// The fields of the line, in order: each a name for messages and a pattern for its token.
const fields: readonly { name: string; pattern: RegExp; expected: string }[] = [
  { name: 'the tag', pattern: /^scryp-seed$/, expected: encrypted_seed_tag },
  { name: 'the version', pattern: /^v1$/, expected: encrypted_seed_version },
  { name: 'address', pattern: /^address=scryp1[02-9ac-hj-np-z]{58}$/, expected: 'address=scryp1… (64 characters)' },
  { name: 'the KDF', pattern: /^scrypt$/, expected: 'scrypt' },
  { name: 'ln', pattern: /^ln=(0|[1-9][0-9]?)$/, expected: 'ln=<log2 of N>' },
  { name: 'r', pattern: /^r=(0|[1-9][0-9]?)$/, expected: 'r=<block size>' },
  { name: 'p', pattern: /^p=(0|[1-9][0-9]?)$/, expected: 'p=<parallelism>' },
  { name: 'salt', pattern: new RegExp(`^salt=[0-9a-f]{${2 * seed_salt_bytes}}$`), expected: `salt=<${2 * seed_salt_bytes} hex characters>` },
  { name: 'the cipher', pattern: /^aes-256-gcm$/, expected: 'aes-256-gcm' },
  { name: 'nonce', pattern: new RegExp(`^nonce=[0-9a-f]{${2 * seed_nonce_bytes}}$`), expected: `nonce=<${2 * seed_nonce_bytes} hex characters>` },
  { name: 'sealed', pattern: new RegExp(`^sealed=[0-9a-f]{${2 * (seed_bytes + seed_tag_bytes)}}$`), expected: `sealed=<${2 * (seed_bytes + seed_tag_bytes)} hex characters>` },
  { name: 'check', pattern: new RegExp(`^check=[0-9a-f]{${2 * check_bytes}}$`), expected: `check=<${2 * check_bytes} hex characters>` },
];

const valueOf = (token: string) => token.slice(token.indexOf('=') + 1);

/**
 * Parses an encrypted line and verifies its check, without the passphrase. Refuses (BAD_SEED_FILE,
 * naming the first field that is wrong or missing) a line cut short, a changed character,
 * another version, and costs outside what this reader allows.
 */
export function parseEncryptedSeed(text: string, where: string): EncryptedSeed {
  if (typeof text !== 'string') fail('BAD_SEED_FILE', `${where}: expected text`);
  const damaged = `${where}: an encrypted seed file that is damaged or cut short; restore it from a backup, or from the recovery phrase`;
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  const tokens = line.split(' ');
  for (const [index, field] of fields.entries()) {
    const token = tokens[index];
    if (token === undefined || (token === '' && index === tokens.length - 1)) fail('BAD_SEED_FILE', `${damaged} (it ends before ${field.name})`);
    if (!field.pattern.test(token)) {
      if (index === 1 && /^v[0-9]+$/.test(token)) fail('BAD_SEED_FILE', `${where}: an encrypted seed file of version ${token}; this scryp reads ${encrypted_seed_version}: use the scryp that wrote it`);
      const shown = token.length > 24 ? `${token.slice(0, 24)}…` : token;
      const end = index === tokens.length - 1 ? ', where the file ends' : '';
      fail('BAD_SEED_FILE', `${damaged} (${field.name}: expected ${field.expected}, found ${JSON.stringify(shown)}${end})`);
    }
  }
  if (tokens.length > fields.length) fail('BAD_SEED_FILE', `${damaged} (text after check)`);
  const body = line.slice(0, line.lastIndexOf(' check='));
  if (checkOf(body) !== valueOf(tokens[11]!)) fail('BAD_SEED_FILE', `${damaged} (its check does not match: a character was changed)`);
  const cost: KdfCost = { logCost: Number(valueOf(tokens[4]!)), blockSize: Number(valueOf(tokens[5]!)), parallelism: Number(valueOf(tokens[6]!)) };
  checkCost(cost, where);
  let account: Uint8Array;
  try {
    account = decodeAddress(valueOf(tokens[2]!), 'address');
  } catch (error) {
    fail('BAD_SEED_FILE', `${damaged} (${(error as Error).message})`);
  }
  return {
    account,
    cost,
    salt: fromHex(valueOf(tokens[7]!), seed_salt_bytes, 'salt'),
    nonce: fromHex(valueOf(tokens[9]!), seed_nonce_bytes, 'nonce'),
    sealed: fromHex(valueOf(tokens[10]!), seed_bytes + seed_tag_bytes, 'sealed'),
    header: utf8(line.slice(0, line.indexOf(' sealed='))),
  };
}

/** Costs this reader accepts: not too weak to protect, not so large that a forged file exhausts the machine. */
function checkCost(cost: KdfCost, where: string): void {
  const { logCost, blockSize, parallelism } = cost;
  const memory = 128 * blockSize * 2 ** logCost;
  if (!Number.isInteger(logCost) || logCost < seed_kdf_log2_cost_min || !Number.isInteger(blockSize) || blockSize < 1 || blockSize > seed_kdf_block_size_max) {
    fail('BAD_SEED_FILE', `${where}: scrypt ln=${logCost} r=${blockSize}: this reader accepts ln ≥ ${seed_kdf_log2_cost_min} and r from 1 to ${seed_kdf_block_size_max}`);
  }
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > seed_kdf_parallelism_max) {
    fail('BAD_SEED_FILE', `${where}: scrypt p=${parallelism}: this reader accepts p from 1 to ${seed_kdf_parallelism_max}`);
  }
  if (memory > seed_kdf_memory_bytes_max) {
    fail('BAD_SEED_FILE', `${where}: scrypt ln=${logCost} r=${blockSize} needs ${memory / 2 ** 20} MiB, more than the ${seed_kdf_memory_bytes_max / 2 ** 20} MiB this reader allows`);
  }
}
