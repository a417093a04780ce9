// What the wallet page may ask of the wallet process, checked before anything is done:
// the JSON bodies of the local API, the amount a person typed, and the recipient (an
// address, 64 hex, or a pasted scryp: request). Pure: the HTTP edge hands text in and
// gets values or a ScrypError with a code and a sentence that says what to do.

import { encodeAddress, parseAccount } from '../address.ts';
import { balance_max, wallet_api_body_bytes_max } from '../constants.ts';
import { describe, equal, utf8 } from '../bytes.ts';
import { fail } from '../errors.ts';
import { isPaymentRequest, parsePaymentRequest, payment_request_text_chars_max } from '../payment-request.ts';
import { assertPayable } from '../client/wallet.ts';
import { type Contact, contactOf } from './contacts.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

/** A request body: a JSON object, at most `wallet_api_body_bytes_max` bytes. */
export function parseBody(text: string): JsonObject {
  if (utf8(text).length > wallet_api_body_bytes_max) fail('WALLET_REQUEST', `the request body is larger than ${wallet_api_body_bytes_max} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail('WALLET_REQUEST', 'the request body is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('WALLET_REQUEST', 'the request body is not a JSON object');
  return json as JsonObject;
}

/** A text field of a body; `optional` gives '' when it is missing. */
export function textField(body: JsonObject, name: string, options: { optional?: boolean; maxChars?: number } = {}): string {
  const value = body[name];
  if (value === undefined && options.optional === true) return '';
  if (typeof value !== 'string') fail('WALLET_REQUEST', `${name}: expected text, got ${describe(value)}`);
  const maxChars = options.maxChars ?? payment_request_text_chars_max;
  if (value.length > maxChars) fail('WALLET_REQUEST', `${name}: ${value.length} characters, at most ${maxChars}`);
  return value;
}

/** An amount as typed: digits only, a whole number of scryp from 1 to 2³² − 1. */
export function parseAmount(text: string, field = 'Amount'): number {
  const trimmed = text.trim();
  if (trimmed === '') fail('WALLET_AMOUNT', `${field}: type how many scryp to pay (a whole number)`);
  if (!/^[0-9]+$/.test(trimmed)) {
    const hint = /^[0-9]*[.,][0-9]*$/.test(trimmed) ? 'scryp has no fractions' : 'use digits only';
    fail('WALLET_AMOUNT', `${field}: "${trimmed.length > 20 ? `${trimmed.slice(0, 20)}…` : trimmed}" is not a whole number of scryp (${hint})`);
  }
  const amount = Number(trimmed);
  if (amount < 1) fail('WALLET_AMOUNT', `${field}: pay at least 1 scryp`);
  if (amount > balance_max) fail('WALLET_AMOUNT', `${field}: at most ${balance_max} scryp in one payment`);
  return amount;
}

/** A recipient as the send form understood it. */
export interface Recipient {
  readonly key: Uint8Array;
  readonly address: string;
  /** The contact saved under this address, if any. */
  readonly contact: string | null;
  /** Present when the person pasted a payment request: what the payee asked for. */
  readonly request: { readonly amount: number | null; readonly label: string; readonly message: string } | null;
}

/**
 * Reads the Recipient field: a payment request, an address or 64 hex characters. Refuses a
 * key no one can sign for (money sent there is lost) and this wallet's own key.
 */
export function parseRecipient(text: string, ownKey: Uint8Array, contacts: readonly Contact[]): Recipient {
  const trimmed = text.trim();
  if (trimmed === '') fail('BAD_ACCOUNT', 'Recipient: paste the payee’s address (scryp1…), or a scryp: payment request');
  let key: Uint8Array;
  let request: Recipient['request'] = null;
  if (isPaymentRequest(trimmed)) {
    const parsed = parsePaymentRequest(trimmed);
    key = parsed.account;
    request = { amount: parsed.amount ?? null, label: parsed.label ?? '', message: parsed.message ?? '' };
  } else {
    key = parseAccount(trimmed, 'Recipient');
  }
  assertPayable(key, 'Recipient'); // UNSPENDABLE_KEY: money sent there could never move again
  if (equal(key, ownKey)) fail('WALLET_SELF_PAYMENT', 'Recipient: this is this wallet’s own address; a wallet cannot pay itself');
  const address = encodeAddress(key);
  return { key, address, contact: contactOf(contacts, address)?.name ?? null, request };
}

/** The parameters of the Receive tab's request builder: amount optional, label and message free text. */
export function parseRequestBuilder(body: JsonObject): { amount: number | undefined; label: string; message: string } {
  const amountText = textField(body, 'amount', { optional: true, maxChars: 20 });
  const limit = { optional: true, maxChars: 200 };
  return {
    amount: amountText.trim() === '' ? undefined : parseAmount(amountText),
    label: textField(body, 'label', limit),
    message: textField(body, 'message', limit),
  };
}

/** A history cursor from the query string: "PERIOD:INDEX", or none for the newest. */
export function parseCursor(text: string | null): { period: number; index: number } | undefined {
  if (text === null || text === '') return undefined;
  const match = /^(\d{1,16}):(\d{1,10})$/.exec(text);
  if (match === null) fail('WALLET_REQUEST', `before: expected PERIOD:INDEX, got "${text.slice(0, 40)}"`);
  const period = Number(match[1]);
  const index = Number(match[2]);
  if (!Number.isSafeInteger(period) || index > 0xffff_ffff) fail('WALLET_REQUEST', 'before: out of range');
  return { period, index };
}
