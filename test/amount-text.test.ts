// Amounts are written by amount-text.ts instead of toLocaleString('en-US'),
// whose first use loads the browser's number formatting data on the way to the first
// balance drawn: the text must stay exactly what toLocaleString wrote.

import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { balance_max } from '../src/constants.ts';
import { amountText } from '../src/amount-text.ts';

test('amountText writes what toLocaleString("en-US") writes, for every amount a balance can hold', () => {
  for (const amount of [0, 1, 12, 123, 999, 1000, 1001, 999_999, 1_000_000, 1_000_000_000, balance_max, Number.MAX_SAFE_INTEGER]) {
    expect(amountText(amount)).toBe(amount.toLocaleString('en-US'));
  }
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (amount) => amountText(amount) === amount.toLocaleString('en-US')));
});
