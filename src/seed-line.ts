// The `.seed` file's text (docs/PROTOCOL.md §3.2): the plain form (64 lowercase hex and a
// newline) and the encrypted line's fields, its check, and the costs a reader accepts. No cryptography but SHA-256: sealing and opening
// are the platform's, seed-encryption.ts on the node (node:crypto, synchronous) and
// seed-encryption-web.ts in the browser (noble's scrypt and WebCrypto, asynchronous), so
// that a file either writes the other opens.
//
//   scryp-seed v1 address=scryp1… scrypt ln=17 r=8 p=1 salt=<16 bytes hex>
//     aes-256-gcm nonce=<12 bytes hex> sealed=<48 bytes hex> check=<4 bytes hex>

import { decodeAddress, encodeAddress } from './address.ts';
import { describe, fromHex, toHex, utf8 } from './bytes.ts';
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
import { fail } from './errors.ts';
import { sha256 } from './hash.ts';

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

export function parseSeed(text: string, where: string): Uint8Array {
  // typeof first: the pattern test would coerce a non-string (an object with toString, or throw on a symbol).
  if (typeof text !== 'string') fail('BAD_SEED_FILE', `${where}: expected text, got ${describe(text)}`);
  if (!/^[0-9a-f]{64}\n?$/.test(text)) {
    fail('BAD_SEED_FILE', `${where}: expected 64 lowercase hex characters and a newline, got ${text.length} characters that do not match`);
  }
  return fromHex(text.slice(0, 64), seed_bytes, where);
}

export function formatSeed(seed: Uint8Array): string {
  return `${toHex(seed)}\n`;
}

/** The line's header: everything before " sealed=" (the AEAD's associated data). */
export function headerText(account: Uint8Array, cost: KdfCost, salt: Uint8Array, nonce: Uint8Array): string {
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

/** The check of the line before " check=": not a secret; it tells a damaged file from a wrong passphrase. */
export function checkOf(text: string): string {
  return toHex(sha256(utf8(text)).subarray(0, check_bytes));
}

/** The whole line (with its newline) around the sealed seed: header, sealed, check. */
export function sealedLine(header: string, sealed: Uint8Array): string {
  const body = `${header} sealed=${toHex(sealed)}`;
  return `${body} check=${checkOf(body)}\n`;
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
export function checkCost(cost: KdfCost, where: string): void {
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
