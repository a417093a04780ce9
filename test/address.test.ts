// src/address.ts: the bech32m text form of account keys (PROTOCOL §3.6). The vectors are
// the design's (§11.1); the properties check what the checksum promises a person: any one
// or two mistyped characters are caught, never taken for another key.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { bech32m } from '@scure/base';
import { address_chars, decodeAddress, encodeAddress, parseAccount } from '../src/address.ts';
import { fromHex, toHex } from '../src/bytes.ts';
import type { ErrorCode } from '../src/errors.ts';
import { codeOf } from './helpers/errors.ts';

const devnetWallet = '1a0501ae1e86df02f07e61ef1926b94c52271fe8db569f2417a16fa0fe8cb14e';
const devnetAddress = 'scryp1rgzsrts7sm0s9ur7v8h3jf4ef3fzw8lgmdtf7fqh59h6pl5vk98qhf2js0';
const zeroAddress = 'scryp1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5unc4t';
const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

describe('address vectors (design §11.1)', () => {
  test('the devnet wallet key and the zero key', () => {
    expect(encodeAddress(fromHex(devnetWallet, 32, 'key'))).toBe(devnetAddress);
    expect(encodeAddress(new Uint8Array(32))).toBe(zeroAddress);
    expect(toHex(decodeAddress(devnetAddress))).toBe(devnetWallet);
    expect(toHex(decodeAddress(zeroAddress))).toBe('00'.repeat(32));
    expect(devnetAddress.length).toBe(address_chars);
    expect(address_chars).toBe(64);
  });

  test('all upper case is the same address (QR codes use it); mixed case is refused', () => {
    expect(toHex(decodeAddress(devnetAddress.toUpperCase()))).toBe(devnetWallet);
    expect(codeOf(() => decodeAddress(devnetAddress.slice(0, 10) + devnetAddress.slice(10).toUpperCase()))).toBe('ADDRESS_MIXED_CASE');
  });
});

describe('each refusal has its own code', () => {
  const cases: [string, string, ErrorCode][] = [
    ['another prefix', 'bc1' + devnetAddress.slice(6), 'ADDRESS_PREFIX'],
    ['no separator', 'scrypqqqq', 'ADDRESS_PREFIX'],
    ['a prefix with a typo', 'scryq1' + devnetAddress.slice(6), 'ADDRESS_PREFIX'],
    ['one character missing', devnetAddress.slice(0, -1), 'ADDRESS_LENGTH'],
    ['one character extra', devnetAddress + 'q', 'ADDRESS_LENGTH'],
    ['a character bech32 never uses', devnetAddress.slice(0, 30) + 'b' + devnetAddress.slice(31), 'ADDRESS_CHARACTER'],
    ['punctuation', devnetAddress.slice(0, 30) + '-' + devnetAddress.slice(31), 'ADDRESS_CHARACTER'],
    ['a "1" typed after the prefix', devnetAddress.slice(0, 40) + '1' + devnetAddress.slice(41), 'ADDRESS_CHARACTER'],
    ['a wrong checksum', devnetAddress.slice(0, -1) + (devnetAddress.endsWith('0') ? 'q' : '0'), 'ADDRESS_CHECKSUM'],
    ['neither form', 'alice', 'BAD_ACCOUNT'],
    ['63 hex digits', devnetWallet.slice(1), 'BAD_ACCOUNT'],
  ];
  for (const [name, text, code] of cases) {
    test(`${name}: ${code}`, () => expect(codeOf(() => parseAccount(text))).toBe(code));
  }

  test('the message names the field and says what to do', () => {
    try {
      parseAccount(devnetAddress.slice(0, -1) + 'q', 'recipient');
      throw new Error('accepted');
    } catch (error) {
      expect((error as Error).message).toMatch(/^ADDRESS_CHECKSUM: recipient: .*mistyped/);
    }
  });

  test('a valid bech32m string of another length is ADDRESS_LENGTH, not a key', () => {
    // 20 bytes under the right prefix, with a correct checksum.
    const short = bech32m.encode('scryp', bech32m.toWords(new Uint8Array(20)));
    expect(codeOf(() => decodeAddress(short))).toBe('ADDRESS_LENGTH');
  });
});

describe('parseAccount: both forms a person may give', () => {
  test('hex in either case, surrounding spaces trimmed, and the address', () => {
    expect(toHex(parseAccount(devnetWallet))).toBe(devnetWallet);
    expect(toHex(parseAccount(devnetWallet.toUpperCase()))).toBe(devnetWallet);
    expect(toHex(parseAccount(`  ${devnetAddress}\n`))).toBe(devnetWallet);
  });
});

describe('properties', () => {
  const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

  test('decode(encode(key)) = key, and every address is 64 characters of the bech32 set', () => {
    fc.assert(
      fc.property(key, (bytes) => {
        const address = encodeAddress(bytes);
        expect(address.length).toBe(64);
        expect(address.startsWith('scryp1')).toBe(true);
        for (const c of address.slice(6)) expect(charset.includes(c)).toBe(true);
        expect(toHex(parseAccount(address))).toBe(toHex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  test('one or two substituted characters are always refused, never read as another key', () => {
    fc.assert(
      fc.property(
        key,
        fc.array(fc.tuple(fc.integer({ min: 6, max: 63 }), fc.integer({ min: 1, max: 31 })), { minLength: 1, maxLength: 2 }),
        (bytes, edits) => {
          const chars = encodeAddress(bytes).split('');
          const positions = new Set<number>();
          for (const [position, shift] of edits) {
            if (positions.has(position)) return;
            positions.add(position);
            chars[position] = charset[(charset.indexOf(chars[position]!) + shift) % 32]!;
          }
          expect(codeOf(() => decodeAddress(chars.join('')))).toBe('ADDRESS_CHECKSUM');
        },
      ),
      { numRuns: 500 },
    );
  });

  test('two adjacent characters swapped are refused unless they are equal', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 6, max: 62 }), (bytes, position) => {
        const chars = encodeAddress(bytes).split('');
        if (chars[position] === chars[position + 1]) return;
        [chars[position], chars[position + 1]] = [chars[position + 1]!, chars[position]!];
        expect(codeOf(() => decodeAddress(chars.join('')))).toBe('ADDRESS_CHECKSUM');
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary text never throws anything but a ScrypError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (text) => {
        try {
          parseAccount(text);
        } catch (error) {
          expect(codeOf(() => { throw error; })).toMatch(/^(BAD_ACCOUNT|ADDRESS_[A-Z_]+|BAD_HEX|BAD_LENGTH)$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
