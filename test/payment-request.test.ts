// src/payment-request.ts: scryp: URIs (PROTOCOL §3.7). What a payer's wallet must get
// right: the amount exactly or not at all, label and message as the payee wrote them,
// and a refusal for anything it cannot honour (a req- parameter, a parameter twice); the
// payee's reference (ref=, 1 … 2^64 − 1) exactly, as a bigint.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { encodeAddress } from '../src/address.ts';
import { fromHex, toHex } from '../src/bytes.ts';
import { formatPaymentRequest, isPaymentRequest, parsePaymentRequest } from '../src/payment-request.ts';
import type { ErrorCode } from '../src/errors.ts';
import { codeOf } from './helpers/errors.ts';

const key = fromHex('1a0501ae1e86df02f07e61ef1926b94c52271fe8db569f2417a16fa0fe8cb14e', 32, 'key');
const address = encodeAddress(key);

describe('format', () => {
  test('the golden request of PROTOCOL §3.7', () => {
    expect(formatPaymentRequest({ account: key, amount: 25, label: 'Bakery Ruth', message: 'Bread & jam, 2×' })).toBe(
      `scryp:${address}?amount=25&label=Bakery%20Ruth&message=Bread%20%26%20jam%2C%202%C3%97`,
    );
    expect(formatPaymentRequest({ account: key })).toBe(`scryp:${address}`);
    expect(formatPaymentRequest({ account: key, label: '' })).toBe(`scryp:${address}`);
  });

  test('ref comes after the amount, before label and message; a reference out of range is refused', () => {
    expect(formatPaymentRequest({ account: key, amount: 25, reference: 20260001n, label: 'Ruth' })).toBe(`scryp:${address}?amount=25&ref=20260001&label=Ruth`);
    expect(formatPaymentRequest({ account: key, reference: 2n ** 64n - 1n })).toBe(`scryp:${address}?ref=18446744073709551615`);
    for (const reference of [0n, -1n, 2n ** 64n]) expect(codeOf(() => formatPaymentRequest({ account: key, reference }))).toBe('OUT_OF_RANGE');
  });

  test('refuses an amount that is not a whole number in range', () => {
    for (const amount of [0, -1, 1.5, 2 ** 32, Number.NaN]) expect(codeOf(() => formatPaymentRequest({ account: key, amount }))).toBe('OUT_OF_RANGE');
  });
});

describe('parse', () => {
  test('parameters in any order, unknown ones ignored, the scheme in any case', () => {
    const request = parsePaymentRequest(`SCRYP:${address.toUpperCase()}?message=hi%21&foo=bar&amount=7&label=Ruth`);
    expect(toHex(request.account)).toBe(toHex(key));
    expect(request.amount).toBe(7);
    expect(request.label).toBe('Ruth');
    expect(request.message).toBe('hi!');
  });

  test('a bare address, hex, and "+" kept as a plus sign (RFC 3986)', () => {
    expect(parsePaymentRequest(`scryp:${address}`).amount).toBeUndefined();
    expect(toHex(parsePaymentRequest(`scryp:${toHex(key)}?amount=1`).account)).toBe(toHex(key));
    expect(parsePaymentRequest(`scryp:${address}?label=a+b`).label).toBe('a+b');
  });

  const refused: [string, string, ErrorCode][] = [
    ['another scheme', `bitcoin:${address}`, 'BAD_PAYMENT_REQUEST'],
    ['a decimal amount', `scryp:${address}?amount=1.5`, 'BAD_PAYMENT_REQUEST'],
    ['a zero amount', `scryp:${address}?amount=0`, 'BAD_PAYMENT_REQUEST'],
    ['an amount over the supply', `scryp:${address}?amount=4294967296`, 'BAD_PAYMENT_REQUEST'],
    ['a negative amount', `scryp:${address}?amount=-5`, 'BAD_PAYMENT_REQUEST'],
    ['an amount given twice', `scryp:${address}?amount=5&amount=6`, 'BAD_PAYMENT_REQUEST'],
    ['broken percent-encoding', `scryp:${address}?label=%E0%A4%A`, 'BAD_PAYMENT_REQUEST'],
    ['a req- parameter', `scryp:${address}?amount=5&req-expires=100`, 'PAYMENT_REQUEST_UNSUPPORTED'],
    ['a mistyped address', `scryp:${address.slice(0, -1)}q?amount=5`, 'ADDRESS_CHECKSUM'],
    ['no address', 'scryp:?amount=5', 'BAD_ACCOUNT'],
    ['too long', `scryp:${address}?message=${'x'.repeat(5000)}`, 'BAD_PAYMENT_REQUEST'],
    ['a reference of 0 (a payment without one is the 140-byte form)', `scryp:${address}?amount=5&ref=0`, 'BAD_PAYMENT_REQUEST'],
    ['a reference of 2^64', `scryp:${address}?amount=5&ref=18446744073709551616`, 'BAD_PAYMENT_REQUEST'],
    ['a negative reference', `scryp:${address}?ref=-1`, 'BAD_PAYMENT_REQUEST'],
    ['a reference in hex', `scryp:${address}?ref=0x10`, 'BAD_PAYMENT_REQUEST'],
    ['an empty reference', `scryp:${address}?ref=`, 'BAD_PAYMENT_REQUEST'],
    ['a reference given twice', `scryp:${address}?ref=1&ref=2`, 'BAD_PAYMENT_REQUEST'],
  ];
  for (const [name, text, code] of refused) test(`${name}: ${code}`, () => expect(codeOf(() => parsePaymentRequest(text))).toBe(code));

  test('ref=: the payee\'s reference, 1 … 2^64 − 1 in decimal, kept exactly (beyond 2^53 too)', () => {
    expect(parsePaymentRequest(`scryp:${address}?amount=5&ref=42`).reference).toBe(42n);
    expect(parsePaymentRequest(`scryp:${address}?ref=18446744073709551615&amount=5`).reference).toBe(2n ** 64n - 1n);
    expect(parsePaymentRequest(`scryp:${address}?ref=9007199254740993`).reference).toBe(9_007_199_254_740_993n);
    expect(parsePaymentRequest(`scryp:${address}?amount=5`).reference).toBeUndefined();
  });

  test('isPaymentRequest tells a request from an address', () => {
    expect(isPaymentRequest(` scryp:${address}`)).toBe(true);
    expect(isPaymentRequest(address)).toBe(false);
  });
});

test('property: parse(format(r)) = r for any amount and any UTF-8 label and message', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.option(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { nil: undefined }),
      fc.option(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), { nil: undefined }),
      fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { nil: undefined }),
      fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }), { nil: undefined }),
      (account, amount, reference, label, message) => {
        const parsed = parsePaymentRequest(formatPaymentRequest({ account, amount, reference, label, message }));
        expect(toHex(parsed.account)).toBe(toHex(account));
        expect(parsed.amount).toBe(amount);
        expect(parsed.reference).toBe(reference);
        expect(parsed.label).toBe(label);
        expect(parsed.message).toBe(message);
      },
    ),
    { numRuns: 300 },
  );
});
