// src/payment-event.ts: a committed payment as JSON (a webhook's body, a --jsonl line, an
// SSE event's data). Its `reference` is the payment's own, signed with it: a decimal string
// for the 148-byte form (a u64 does not fit a JSON number), null for the 140-byte form.

import { expect, test } from 'bun:test';
import { toHex } from '../src/bytes.ts';
import { paymentEventOf } from '../src/payment-event.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network, wallets } = testNetwork();
const payee = testSigner('payment event payee').publicKey;
const at = 1_767_225_601_200;

test('a payment with a reference: the reference in decimal, exactly, beyond 2^53 too', () => {
  const tx = signPayment(wallets[0]!, network.id, { timestamp: at, amount: 75, payee, reference: 2n ** 64n - 1n });
  const event = paymentEventOf({ period: 1_767_225_601, index: 0, applied: true, tx });
  expect(event.reference).toBe('18446744073709551615');
  expect([event.txid, event.tx, event.amount, event.outcome]).toEqual([toHex(txidOf(tx)), toHex(tx), 75, 'applied']);
  expect(JSON.parse(JSON.stringify(event)).reference).toBe('18446744073709551615');
});

test('a 140-byte payment: reference null', () => {
  const tx = signPayment(wallets[0]!, network.id, { timestamp: at, amount: 75, payee });
  expect(paymentEventOf({ period: 1_767_225_601, index: 1, applied: false, tx }).reference).toBe(null);
});
