// The account address: the text form of an account key that people copy, type and read
// (docs/PROTOCOL.md §3.6). bech32m (BIP 350) with human-readable part "scryp" over the 32
// key bytes: 64 characters, and any error in up to 4 characters is detected. Wherever a
// person gives an account, this form and 64 hex characters are both accepted
// (`parseAccount`); the address is what wallets show.
//
// The codec is @scure/base's; this module only puts the checks in the order that gives
// a person the most useful message (mixed case, prefix, a character bech32 does not use,
// length, and only then the checksum).

import { bech32m } from '@scure/base';
import { key_bytes } from './constants.ts';
import { abytes, fromHex } from './bytes.ts';
import { fail } from './errors.ts';

export const address_prefix = 'scryp';
export const address_separator = '1';
/** "scryp" || "1" || 52 data characters (256 bits in 5-bit groups) || 6 checksum characters. */
export const address_chars = address_prefix.length + 1 + Math.ceil((key_bytes * 8) / 5) + 6;

const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** The address of an account key. */
export function encodeAddress(key: Uint8Array): string {
  abytes(key, key_bytes, 'account key');
  return bech32m.encode(address_prefix, bech32m.toWords(key));
}

/**
 * The key of an address. Refuses, each with its own code and a message that says what to
 * do: mixed case, another prefix, a character bech32 never uses, a wrong length, a wrong
 * checksum (a mistyped character), and data that is not 32 bytes.
 */
export function decodeAddress(text: string, field = 'address'): Uint8Array {
  if (typeof text !== 'string') fail('BAD_TYPE', `${field}: expected text`);
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) {
    fail('ADDRESS_MIXED_CASE', `${field}: mixes upper and lower case; an address is all lower case (or all upper case, as in a QR code)`);
  }
  const lower = text.toLowerCase();
  // bech32 splits at the last "1"; but a scryp address has its one "1" after "scryp", and a
  // "1" typed later is a mistyped character, not another prefix.
  const separator = lower.startsWith(address_prefix + address_separator) ? address_prefix.length : lower.lastIndexOf(address_separator);
  const prefix = separator < 0 ? '' : lower.slice(0, separator);
  if (prefix !== address_prefix) {
    const seen = separator < 0 ? `"${lower.slice(0, 8)}…"` : `"${prefix}1"`;
    fail('ADDRESS_PREFIX', `${field}: starts with ${seen}, not "${address_prefix}1": it is not a scryp address`);
  }
  const data = lower.slice(separator + 1);
  for (let i = 0; i < data.length; i++) {
    if (!charset.includes(data[i]!)) {
      fail('ADDRESS_CHARACTER', `${field}: character ${separator + 2 + i} ("${text[separator + 1 + i]}") never appears in an address (they use no b, i, o or 1 after "scryp1"): check what you typed`);
    }
  }
  if (lower.length !== address_chars) {
    fail('ADDRESS_LENGTH', `${field}: ${lower.length} characters, an address has ${address_chars}: a character is missing or extra`);
  }
  let words: number[];
  try {
    words = bech32m.decode(lower as `${string}1${string}`, address_chars).words;
  } catch {
    fail('ADDRESS_CHECKSUM', `${field}: the checksum does not match: a character is mistyped; copy the address again`);
  }
  const key = bech32m.fromWordsUnsafe(words);
  if (key === undefined || key.length !== key_bytes) {
    fail('ADDRESS_LENGTH', `${field}: holds ${key === undefined ? 'no whole number of' : key.length} bytes, not a ${key_bytes}-byte key`);
  }
  return key;
}

const hexKey = /^[0-9a-fA-F]{64}$/;
const hexOnly = /^[0-9a-fA-F]+$/;
const bech32Like = /^[a-zA-Z0-9]+1[a-zA-Z0-9]*$/;

/** An account as a person gives it: an address (scryp1…) or 64 hex characters. */
export function parseAccount(text: string, field = 'account'): Uint8Array {
  if (typeof text !== 'string') fail('BAD_TYPE', `${field}: expected text`);
  const trimmed = text.trim();
  if (hexKey.test(trimmed)) return fromHex(trimmed.toLowerCase(), key_bytes, field);
  if (hexOnly.test(trimmed)) fail('BAD_ACCOUNT', `${field}: ${trimmed.length} hex characters, a key has 64: one is missing or extra`);
  if (trimmed.toLowerCase().startsWith(address_prefix) || bech32Like.test(trimmed)) return decodeAddress(trimmed, field);
  fail('BAD_ACCOUNT', `${field}: "${trimmed.length > 20 ? `${trimmed.slice(0, 20)}…` : trimmed}" is neither an address (scryp1…, ${address_chars} characters) nor a key (64 hex characters)`);
}
