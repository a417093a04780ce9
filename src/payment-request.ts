// Payment requests (docs/PROTOCOL.md §3.7), in the manner of BIP 21:
//
//   scryp:<address>?amount=<integer>&ref=<integer>&label=<text>&message=<text>
//
// `amount` is a whole number of scryp (1 … 2^32 − 1); `ref` is the payee's reference
// (1 … 2^64 − 1, decimal), which a wallet paying the request signs into the payment (the
// 148-byte form, docs/PROTOCOL.md §5.1) and shows before signing; `label` and `message` are
// percent-encoded UTF-8 shown to the payer, never signed or sent to servers. Parameters
// may come in any order; an unknown one is ignored unless its name starts with `req-`
// (a requirement this wallet does not understand), which refuses the whole request.
// A parameter given twice is refused: which one a wallet would take is not defined.

import { balance_max, reference_max } from './constants.ts';
import { encodeAddress, parseAccount } from './address.ts';
import { fail } from './errors.ts';
import { areference } from './transaction.ts';

export const payment_request_scheme = 'scryp';
export const payment_request_text_chars_max = 4_096; // a request is for a QR code or a link, not a document

export interface PaymentRequest {
  readonly account: Uint8Array;
  readonly amount?: number;
  /** The payee's reference: the payment that pays this request carries it (signed). */
  readonly reference?: bigint;
  readonly label?: string;
  readonly message?: string;
}

/** Whether a person's input looks like a payment request (so a form can treat it as one). */
export function isPaymentRequest(text: string): boolean {
  return text.trim().toLowerCase().startsWith(`${payment_request_scheme}:`);
}

function decodeComponent(value: string, name: string): string {
  try {
    return decodeURIComponent(value); // RFC 3986: '+' is a plus sign, not a space
  } catch {
    fail('BAD_PAYMENT_REQUEST', `payment request: ${name} is not valid percent-encoded UTF-8`);
  }
}

/** Parses a payment request; refuses anything it cannot show the payer exactly. */
export function parsePaymentRequest(text: string): PaymentRequest {
  if (typeof text !== 'string') fail('BAD_TYPE', 'payment request: expected text');
  const trimmed = text.trim();
  if (trimmed.length > payment_request_text_chars_max) fail('BAD_PAYMENT_REQUEST', `payment request: longer than ${payment_request_text_chars_max} characters`);
  if (!isPaymentRequest(trimmed)) fail('BAD_PAYMENT_REQUEST', `payment request: does not start with "${payment_request_scheme}:"`);
  const rest = trimmed.slice(payment_request_scheme.length + 1);
  const query = rest.indexOf('?');
  const account = parseAccount(query < 0 ? rest : rest.slice(0, query), 'payment request address');
  const request: { account: Uint8Array; amount?: number; reference?: bigint; label?: string; message?: string } = { account };
  if (query < 0) return request;
  const seen = new Set<string>();
  for (const part of rest.slice(query + 1).split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = decodeComponent(equals < 0 ? part : part.slice(0, equals), 'a parameter name');
    const value = decodeComponent(equals < 0 ? '' : part.slice(equals + 1), name);
    if (seen.has(name)) fail('BAD_PAYMENT_REQUEST', `payment request: ${name} is given twice`);
    seen.add(name);
    if (name === 'amount') {
      if (!/^[0-9]+$/.test(value)) fail('BAD_PAYMENT_REQUEST', `payment request: amount "${value}" is not a whole number of scryp`);
      const amount = Number(value);
      if (amount < 1 || amount > balance_max) fail('BAD_PAYMENT_REQUEST', `payment request: amount ${value} is outside 1 … ${balance_max}`);
      request.amount = amount;
    } else if (name === 'ref') {
      if (!/^[0-9]{1,20}$/.test(value)) fail('BAD_PAYMENT_REQUEST', `payment request: ref "${value}" is not a whole number (the payee's reference, in decimal)`);
      const reference = BigInt(value);
      if (reference < 1n || reference > reference_max) fail('BAD_PAYMENT_REQUEST', `payment request: ref ${value} is outside 1 … ${reference_max}`);
      request.reference = reference;
    } else if (name === 'label') {
      request.label = value;
    } else if (name === 'message') {
      request.message = value;
    } else if (name.startsWith('req-')) {
      fail('PAYMENT_REQUEST_UNSUPPORTED', `payment request: requires "${name}", which this wallet does not understand; ask for a request without it`);
    }
  }
  return request;
}

/** The text form of a request, with the account as an address and the parameters in a fixed order (amount, ref, label, message). */
export function formatPaymentRequest(request: PaymentRequest): string {
  const parameters: string[] = [];
  if (request.amount !== undefined) {
    if (!Number.isInteger(request.amount) || request.amount < 1 || request.amount > balance_max) {
      fail('OUT_OF_RANGE', `payment request amount: expected 1..${balance_max}, got ${request.amount}`);
    }
    parameters.push(`amount=${request.amount}`);
  }
  if (request.reference !== undefined) parameters.push(`ref=${areference(request.reference, 'payment request reference')}`);
  if (request.label !== undefined && request.label !== '') parameters.push(`label=${encodeURIComponent(request.label)}`);
  if (request.message !== undefined && request.message !== '') parameters.push(`message=${encodeURIComponent(request.message)}`);
  const base = `${payment_request_scheme}:${encodeAddress(request.account)}`;
  return parameters.length === 0 ? base : `${base}?${parameters.join('&')}`;
}
