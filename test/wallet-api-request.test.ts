// src/wallet/api-request.ts: what the page may send the wallet process. The Recipient
// field takes an address, 64 hex or a scryp: request, and each refusal keeps the code of
// src/address.ts or src/payment-request.ts; amounts are whole numbers or WALLET_AMOUNT.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { balance_max, wallet_api_body_bytes_max } from '../src/constants.ts';
import { formatPaymentRequest } from '../src/payment-request.ts';
import { parseAmount, parseBody, parseCursor, parseRecipient, parseReference, parseRequestBuilder, parseSale, textField, txidField } from '../src/wallet/api-request.ts';
import { codeOf } from './helpers/errors.ts';
import { testSigner } from './helpers/keys.ts';

const me = testSigner('wallet api me').publicKey;
const payee = testSigner('wallet api payee').publicKey;
const payeeAddress = encodeAddress(payee);

describe('amount', () => {
  test('digits only, 1 … 2³² − 1, spaces around are trimmed', () => {
    expect(parseAmount('25')).toBe(25);
    expect(parseAmount(' 7 ')).toBe(7);
    expect(parseAmount(String(balance_max))).toBe(balance_max);
    for (const text of ['', ' ', '0', '-1', '+5', '1.5', '1,5', '1e3', '0x10', '12abc', String(balance_max + 1), '99999999999999999999', '٣']) {
      expect(codeOf(() => parseAmount(text))).toBe('WALLET_AMOUNT');
    }
  });

  test('property: every amount in range comes back; anything with a non-digit is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: balance_max }), (amount) => expect(parseAmount(String(amount))).toBe(amount)));
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), (text) => {
        fc.pre(!/^\s*[0-9]+\s*$/.test(text));
        expect(codeOf(() => parseAmount(text))).toBe('WALLET_AMOUNT');
      }),
    );
  });
});

describe('recipient', () => {
  test('an address, 64 hex (any case), and a request with amount, label and message', () => {
    expect(toHex(parseRecipient(payeeAddress, me, []).key)).toBe(toHex(payee));
    expect(parseRecipient(`  ${toHex(payee).toUpperCase()}\n`, me, []).address).toBe(payeeAddress);
    const request = formatPaymentRequest({ account: payee, amount: 42, label: 'Ruth <b>', message: 'bread & jam' });
    const parsed = parseRecipient(request, me, []);
    expect(parsed.address).toBe(payeeAddress);
    expect(parsed.request).toEqual({ amount: 42, reference: null, label: 'Ruth <b>', message: 'bread & jam' });
    expect(parseRecipient(`scryp:${payeeAddress}`, me, []).request).toEqual({ amount: null, reference: null, label: '', message: '' });
    // A request's reference, exact beyond 2^53: the payment will carry it.
    expect(parseRecipient(`scryp:${payeeAddress}?amount=5&ref=18446744073709551615`, me, []).request?.reference).toBe(18446744073709551615n);
    expect(parseRecipient(payeeAddress, me, []).request).toBeNull();
  });

  test('names the contact saved under the address', () => {
    expect(parseRecipient(payeeAddress, me, [{ name: 'Ruth', address: payeeAddress }]).contact).toBe('Ruth');
    expect(parseRecipient(payeeAddress, me, [{ name: 'Other', address: encodeAddress(me) }]).contact).toBeNull();
  });

  test('each refusal keeps its own code', () => {
    const typo = payeeAddress.slice(0, 20) + (payeeAddress[20] === 'q' ? 'p' : 'q') + payeeAddress.slice(21);
    const cases: [string, string][] = [
      ['', 'BAD_ACCOUNT'],
      ['hello', 'BAD_ACCOUNT'],
      [toHex(payee).slice(0, 63), 'BAD_ACCOUNT'],
      [typo, 'ADDRESS_CHECKSUM'],
      [payeeAddress.slice(0, -1), 'ADDRESS_LENGTH'],
      [`bc1${payeeAddress.slice(6)}`, 'ADDRESS_PREFIX'],
      [payeeAddress.slice(0, 10) + payeeAddress.slice(10).toUpperCase(), 'ADDRESS_MIXED_CASE'],
      [`scryp:${payeeAddress}?amount=1.5`, 'BAD_PAYMENT_REQUEST'],
      [`scryp:${payeeAddress}?req-fee=1`, 'PAYMENT_REQUEST_UNSUPPORTED'],
      [encodeAddress(me), 'WALLET_SELF_PAYMENT'],
      [`scryp:${encodeAddress(me)}?amount=5`, 'WALLET_SELF_PAYMENT'],
      ['01' + '00'.repeat(31), 'UNSPENDABLE_KEY'], // the identity point: anyone could sign for it
    ];
    for (const [text, code] of cases) expect([text, codeOf(() => parseRecipient(text, me, []))]).toEqual([text, code]);
  });
});

describe('bodies', () => {
  test('a JSON object of at most the limit, text fields with their own limit', () => {
    expect(parseBody('{"recipient":"x"}')).toEqual({ recipient: 'x' });
    for (const text of ['', 'not json', '[]', 'null', '"text"', '5']) expect(codeOf(() => parseBody(text))).toBe('WALLET_REQUEST');
    expect(codeOf(() => parseBody(`{"a":"${'x'.repeat(wallet_api_body_bytes_max)}"}`))).toBe('WALLET_REQUEST');
    expect(codeOf(() => textField({ amount: 5 }, 'amount'))).toBe('WALLET_REQUEST');
    expect(codeOf(() => textField({}, 'recipient'))).toBe('WALLET_REQUEST');
    expect(textField({}, 'label', { optional: true })).toBe('');
    expect(codeOf(() => textField({ name: 'x'.repeat(201) }, 'name', { maxChars: 200 }))).toBe('WALLET_REQUEST');
  });

  test('the request builder: amount optional, label and message free text up to 200 characters', () => {
    expect(parseRequestBuilder({ amount: '', label: 'Ruth', message: '' })).toEqual({ amount: undefined, reference: undefined, label: 'Ruth', message: '' });
    expect(parseRequestBuilder({ amount: '12' })).toEqual({ amount: 12, reference: undefined, label: '', message: '' });
    expect(codeOf(() => parseRequestBuilder({ amount: '1.5' }))).toBe('WALLET_AMOUNT');
    expect(codeOf(() => parseRequestBuilder({ label: 'x'.repeat(201) }))).toBe('WALLET_REQUEST');
  });

  test('the request builder’s reference: an order number, 1 to 2^64 − 1, exact; anything else WALLET_REFERENCE', () => {
    expect(parseRequestBuilder({ reference: ' 1042 ' }).reference).toBe(1042n);
    expect(parseRequestBuilder({ reference: '18446744073709551615' }).reference).toBe(18446744073709551615n);
    expect(parseRequestBuilder({ reference: '' }).reference).toBeUndefined();
    for (const text of ['0', '18446744073709551616', '-1', '10.5', 'A-1042', '1e3', '123456789012345678901']) {
      expect([text, codeOf(() => parseRequestBuilder({ reference: text }))]).toEqual([text, 'WALLET_REFERENCE']);
    }
    expect(codeOf(() => parseReference('0'))).toBe('WALLET_REFERENCE');
  });

  test('a sale: the amount to charge (required) and a note up to 200 characters', () => {
    expect(parseSale({ amount: '12', note: ' two loaves ' })).toEqual({ amount: 12, note: 'two loaves' });
    expect(parseSale({ amount: '7' })).toEqual({ amount: 7, note: '' });
    expect(codeOf(() => parseSale({ amount: '' }))).toBe('WALLET_AMOUNT');
    expect(codeOf(() => parseSale({ amount: '0' }))).toBe('WALLET_AMOUNT');
    expect(codeOf(() => parseSale({}))).toBe('WALLET_REQUEST');
    expect(codeOf(() => parseSale({ amount: '5', note: 'x'.repeat(201) }))).toBe('WALLET_REQUEST');
  });

  test('a txid is 64 lowercase hex characters', () => {
    expect(txidField({ txid: 'ab'.repeat(32) }).length).toBe(32);
    for (const txid of ['AB'.repeat(32), 'ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), 5]) expect(codeOf(() => txidField({ txid }))).toBe('WALLET_REQUEST');
  });

  test('a history cursor is PERIOD:INDEX or nothing', () => {
    expect(parseCursor(null)).toBeUndefined();
    expect(parseCursor('')).toBeUndefined();
    expect(parseCursor('1796174145:3')).toEqual({ period: 1796174145, index: 3 });
    for (const text of ['1:', ':1', '1:2:3', 'a:1', '-1:2', '1:99999999999', '99999999999999999:1']) expect(codeOf(() => parseCursor(text))).toBe('WALLET_REQUEST');
  });
});
