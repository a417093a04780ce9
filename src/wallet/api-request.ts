// What the wallet page may ask of the wallet process, checked before anything is done:
// the JSON bodies of the local API, the amount a person typed, and the recipient (an
// address, 64 hex, or a pasted scryp: request). Pure: the HTTP edge hands text in and
// gets values or a ScrypError with a code and a sentence that says what to do.

import { encodeAddress, parseAccount } from '../address.ts';
import { balance_max, hash_bytes, reference_max, till_note_chars_max, wallet_api_body_bytes_max } from '../constants.ts';
import { describe, equal, fromHex, utf8 } from '../bytes.ts';
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
  readonly request: { readonly amount: number | null; readonly reference: bigint | null; readonly label: string; readonly message: string } | null;
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
    request = { amount: parsed.amount ?? null, reference: parsed.reference ?? null, label: parsed.label ?? '', message: parsed.message ?? '' };
  } else {
    key = parseAccount(trimmed, 'Recipient');
  }
  assertPayable(key, 'Recipient'); // UNSPENDABLE_KEY: money sent there could never move again
  if (equal(key, ownKey)) fail('WALLET_SELF_PAYMENT', 'Recipient: this is this wallet’s own address; a wallet cannot pay itself');
  const address = encodeAddress(key);
  return { key, address, contact: contactOf(contacts, address)?.name ?? null, request };
}

/** A reference as typed (an order number): digits only, 1 to 2⁶⁴ − 1. */
export function parseReference(text: string, field = 'Reference'): bigint {
  const trimmed = text.trim();
  if (!/^[0-9]{1,20}$/.test(trimmed)) {
    fail('WALLET_REFERENCE', `${field}: "${trimmed.length > 24 ? `${trimmed.slice(0, 24)}…` : trimmed}" is not an order number: use digits only (1 to ${reference_max})`);
  }
  const reference = BigInt(trimmed);
  if (reference < 1n || reference > reference_max) fail('WALLET_REFERENCE', `${field}: ${trimmed} is outside 1 … ${reference_max} (0 means no reference: leave the field empty)`);
  return reference;
}

/** The parameters of the Receive tab's request builder: amount and reference optional, label and message free text. */
export function parseRequestBuilder(body: JsonObject): { amount: number | undefined; reference: bigint | undefined; label: string; message: string } {
  const amountText = textField(body, 'amount', { optional: true, maxChars: 20 });
  const referenceText = textField(body, 'reference', { optional: true, maxChars: 40 });
  const limit = { optional: true, maxChars: 200 };
  return {
    amount: amountText.trim() === '' ? undefined : parseAmount(amountText),
    reference: referenceText.trim() === '' ? undefined : parseReference(referenceText, 'Reference (order number)'),
    label: textField(body, 'label', limit),
    message: textField(body, 'message', limit),
  };
}

/** A new sale at the till: the amount to charge, and a note for the payer (optional). */
export function parseSale(body: JsonObject): { amount: number; note: string } {
  return {
    amount: parseAmount(textField(body, 'amount', { maxChars: 40 }), 'Amount to charge'),
    note: textField(body, 'note', { optional: true, maxChars: till_note_chars_max }).trim(),
  };
}

/** A payment's txid in a body (Receipt, Refund): 64 hex characters. */
export function txidField(body: JsonObject): Uint8Array {
  const text = textField(body, 'txid', { maxChars: 80 });
  if (!/^[0-9a-f]{64}$/.test(text)) fail('WALLET_REQUEST', `txid: expected 64 lowercase hex characters, got "${text.slice(0, 80)}"`);
  return fromHex(text, hash_bytes, 'txid');
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
