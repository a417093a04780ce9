// src/client/refund.ts: what a refund pays, and which payments may not be refunded, from
// the history entries the servers list (refundOfEntry; refundOf adds only the search).
// The whole path through the executable, terminal and all, is in
// test/references.integration.test.ts.

import { describe, expect, test } from 'bun:test';
import { equal } from '../src/bytes.ts';
import { describeEntry } from '../src/client/history.ts';
import { refundOfEntry } from '../src/client/refund.ts';
import { signPayment } from '../src/transaction.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network } = testNetwork({ servers: 3 });
const customer = testSigner('refund customer');
const shop = testSigner('refund shop');
const period = 1_800_000_000;
const listed = (tx: Uint8Array, fields: { applied?: boolean; servers?: number[] } = {}) =>
  describeEntry(network, shop.publicKey, { period, index: 0, applied: fields.applied ?? true, transaction: tx }, fields.servers ?? [0, 1, 2]);
const payment = (payer = customer, payee = shop, reference?: bigint) =>
  signPayment(payer, network.id, { timestamp: period * network.periodMs + 5, amount: 30, payee: payee.publicKey, ...(reference === undefined ? {} : { reference }) });

describe('what a refund pays', () => {
  test('the payer, the same amount, the same reference', () => {
    const refund = refundOfEntry(network, shop.publicKey, listed(payment(customer, shop, 2_026_000_123n)));
    expect(equal(refund.to, customer.publicKey)).toBe(true);
    expect([refund.amount, refund.reference]).toEqual([30, 2_026_000_123n]);
  });

  test('a payment without a reference is refunded without one (the 140-byte form)', () => {
    const refund = refundOfEntry(network, shop.publicKey, listed(payment()));
    expect(refund.reference).toBeUndefined();
    expect('reference' in refund).toBe(false);
  });

  test('a quorum of the servers is enough (two of three)', () => {
    expect(refundOfEntry(network, shop.publicKey, listed(payment(), { servers: [0, 2] })).amount).toBe(30);
  });
});

describe('what may not be refunded, each with its code', () => {
  test('a payment this wallet made: REFUND_NOT_RECEIVED', () => {
    const paidByShop = signPayment(shop, network.id, { timestamp: period * network.periodMs + 5, amount: 30, payee: customer.publicKey });
    expect(codeOf(() => refundOfEntry(network, shop.publicKey, listed(paidByShop)))).toBe('REFUND_NOT_RECEIVED');
  });

  test('a void payment: REFUND_VOID', () => {
    expect(codeOf(() => refundOfEntry(network, shop.publicKey, listed(payment(), { applied: false })))).toBe('REFUND_VOID');
  });

  test('listed by fewer than a quorum: REFUND_NOT_CONFIRMED', () => {
    expect(codeOf(() => refundOfEntry(network, shop.publicKey, listed(payment(), { servers: [1] })))).toBe('REFUND_NOT_CONFIRMED');
  });

  test('a payer signature that does not verify: REFUND_NOT_CONFIRMED, however many servers list it', () => {
    const forged = payment();
    forged[100]! ^= 1;
    expect(codeOf(() => refundOfEntry(network, shop.publicKey, listed(forged)))).toBe('REFUND_NOT_CONFIRMED');
  });
});
