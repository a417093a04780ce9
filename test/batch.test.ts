// The batch rules (src/ledger/batch.ts): what a period's batch applies, and what it skips.
//
// Each rule is tested on both sides of its boundary, then a property compares replayBatch
// with a reference written here from the design (§5, §8) alone: its own field reads, its
// own txid (plain SHA-256 of the first 76 bytes), its own balances. The property also
// checks that the supply is conserved and that no balance leaves 0..2^32-1.
//
// A fast-check failure prints the seed and path that reproduce it.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from '../src/bytes.ts';
import { balance_max, transaction_bytes } from '../src/constants.ts';
import { BatchApplier, type BalanceSource, checkAmount, checkPayee, replayBatch } from '../src/ledger/batch.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { type Timing, timingOf } from '../src/schedule.ts';
import { verify } from '../src/signature.ts';
import { signingMessage, signPayment, txidOf } from '../src/transaction.ts';
import { resignWithRandomNonce, testNetwork, testSeed, testSigner } from './helpers/keys.ts';
import { codeOf } from './helpers/errors.ts';

const { network } = testNetwork();
const networkId = network.id;
const timing: Timing = timingOf(network);
const period = 1_700_000; // an arbitrary period, far from 0
const start = period * timing.periodMs;
const end = start + timing.periodMs;

const alice = testSigner('wallet alice');
const bob = testSigner('wallet bob');
const carol = testSigner('wallet carol');
const dave = testSigner('wallet dave');
const signers = [alice, bob, carol, dave];

/** Balances in a plain map: a BalanceSource that shares nothing with the ledger code. */
class Balances implements BalanceSource {
  readonly map = new Map<string, number>();
  constructor(entries: [Uint8Array, number][] = []) {
    for (const [account, balance] of entries) this.map.set(toHex(account), balance);
  }
  balanceOf(account: Uint8Array): number {
    return this.map.get(toHex(account)) ?? 0;
  }
}

function pay(payer: typeof alice, payee: Uint8Array, amount: number, timestamp = start + 10): Uint8Array {
  return signPayment(payer, networkId, { timestamp, amount, payee });
}

function batchOf(...transactions: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(transactions.length * transaction_bytes);
  transactions.forEach((tx, i) => out.set(tx, i * transaction_bytes));
  return out;
}

function changesAsMap(changes: readonly { account: Uint8Array; balance: number }[]): Map<string, number> {
  return new Map(changes.map((change) => [toHex(change.account), change.balance]));
}

function replay(base: BalanceSource, ...transactions: Uint8Array[]) {
  const outcome = replayBatch(base, period, timing, batchOf(...transactions));
  return { ...outcome, applied: [...outcome.applied], balances: changesAsMap(outcome.changes) };
}

const base = (): Balances =>
  new Balances([
    [alice.publicKey, 1_000],
    [bob.publicKey, 50],
  ]);

describe('batch rule 1: amount ≥ 1 and payer ≠ payee', () => {
  test('amount 0 is skipped, amount 1 applies', () => {
    const outcome = replay(base(), pay(alice, bob.publicKey, 0), pay(alice, bob.publicKey, 1));
    expect(outcome.applied).toEqual([0, 1]);
    expect(outcome.appliedCount).toBe(1);
    expect(outcome.balances).toEqual(new Map([[toHex(alice.publicKey), 999], [toHex(bob.publicKey), 51]]));
    expect(checkAmount(pay(alice, bob.publicKey, 0))).toBe(false);
    expect(checkAmount(pay(alice, bob.publicKey, 1))).toBe(true);
  });

  test('payer = payee is skipped and changes nothing', () => {
    const outcome = replay(base(), pay(alice, alice.publicKey, 5));
    expect(outcome.applied).toEqual([0]);
    expect(outcome.changes).toEqual([]);
    expect(new BatchApplier(base(), period, timing).apply(pay(alice, alice.publicKey, 5))).toBe('bad_amount');
    expect(checkAmount(pay(alice, alice.publicKey, 5))).toBe(false);
  });

  test('a payee that differs from the payer in one byte only, first or last, is another account', () => {
    for (const index of [0, 31]) {
      const almost = alice.publicKey.slice();
      almost[index] = almost[index]! ^ 1;
      const outcome = replay(base(), pay(alice, almost, 5));
      expect(outcome.applied).toEqual([1]);
      expect(outcome.balances.get(toHex(almost))).toBe(5);
      expect(checkAmount(pay(alice, almost, 5))).toBe(true);
    }
  });
});

describe('batch rule 2: period(timestamp) = the batch period', () => {
  test('the first and last millisecond of the period apply; one before and one after are skipped', () => {
    const applier = new BatchApplier(base(), period, timing);
    expect(applier.apply(pay(alice, bob.publicKey, 1, start - 1))).toBe('wrong_period');
    expect(applier.apply(pay(alice, bob.publicKey, 1, end))).toBe('wrong_period');
    expect(applier.apply(pay(alice, bob.publicKey, 1, start - timing.periodMs))).toBe('wrong_period');
    expect(applier.apply(pay(alice, bob.publicKey, 1, end + timing.periodMs - 1))).toBe('wrong_period');
    expect(applier.apply(pay(alice, bob.publicKey, 1, start))).toBe('ok');
    expect(applier.apply(pay(alice, bob.publicKey, 1, end - 1))).toBe('ok');
    expect(changesAsMap(applier.changes())).toEqual(new Map([[toHex(alice.publicKey), 998], [toHex(bob.publicKey), 52]]));
  });

  test('blackout and skew are the alpha’s checks alone: a timestamp in the blackout still applies on replay', () => {
    const inBlackout = end - Math.floor(timing.blackoutMs / 2);
    const outcome = replay(base(), pay(alice, bob.publicKey, 3, inBlackout));
    expect(outcome.applied).toEqual([1]);
  });
});

describe('batch rule 3: a txid appears once in a batch', () => {
  test('the same 140 bytes twice: the second is a duplicate', () => {
    const tx = pay(alice, bob.publicKey, 10);
    const outcome = replay(base(), tx, tx);
    expect(outcome.applied).toEqual([1, 0]);
    expect(outcome.balances.get(toHex(alice.publicKey))).toBe(990);
  });

  test('the same signed body with another signature is the same txid (txid = sha256 of the first 76 bytes)', () => {
    const tx = pay(alice, bob.publicKey, 10);
    // A second valid signature of the same body (Ed25519 with a random nonce).
    const resigned = resignWithRandomNonce(testSeed('wallet alice'), networkId, tx);
    expect(toHex(resigned.subarray(76))).not.toBe(toHex(tx.subarray(76)));
    expect(verify(resigned.subarray(76), signingMessage(networkId, resigned), alice.publicKey)).toBe(true);
    const garbled = tx.slice();
    garbled[139] = garbled[139]! ^ 0xff;
    const outcome = replay(base(), tx, resigned, garbled);
    expect(outcome.applied).toEqual([1, 0, 0]);
    const applier = new BatchApplier(base(), period, timing);
    expect(applier.apply(garbled)).toBe('ok');
    expect(applier.apply(tx)).toBe('duplicate');
    expect(applier.has(new Uint8Array(new Bun.CryptoHasher('sha256').update(tx.subarray(0, 76)).digest()))).toBe(true);
  });

  test('a change in the signed body is another payment', () => {
    const first = pay(alice, bob.publicKey, 10, start + 1);
    const second = pay(alice, bob.publicKey, 10, start + 2); // one millisecond later
    expect(replay(base(), first, second).applied).toEqual([1, 1]);
  });

  test('a payment skipped once is seen: the same txid later in the batch is a duplicate, even if it could now pay', () => {
    const broke = testSigner('wallet broke');
    const spend = pay(broke, carol.publicKey, 5);
    const outcome = replay(base(), spend, pay(alice, broke.publicKey, 5), spend);
    expect(outcome.applied).toEqual([0, 1, 0]);
    const applier = new BatchApplier(base(), period, timing);
    expect(applier.apply(spend)).toBe('insufficient_funds');
    applier.apply(pay(alice, broke.publicKey, 5));
    expect(applier.apply(spend)).toBe('duplicate');
  });
});

describe('batch rule 4: the payer covers the amount, after the batch’s earlier payments', () => {
  test('exactly the balance applies (and leaves 0); one more is skipped', () => {
    expect(replay(base(), pay(bob, carol.publicKey, 51)).applied).toEqual([0]);
    const outcome = replay(base(), pay(bob, carol.publicKey, 50));
    expect(outcome.applied).toEqual([1]);
    expect(outcome.balances).toEqual(new Map([[toHex(bob.publicKey), 0], [toHex(carol.publicKey), 50]]));
  });

  test('an account never paid has nothing to spend', () => {
    expect(replay(base(), pay(dave, alice.publicKey, 1)).applied).toEqual([0]);
  });

  test('A pays B, then B spends it in the same batch', () => {
    // Bob has 50: he can spend 80 only after Alice's 40 arrives.
    const outcome = replay(base(), pay(bob, carol.publicKey, 80), pay(alice, bob.publicKey, 40), pay(bob, carol.publicKey, 80, start + 11));
    expect(outcome.applied).toEqual([0, 1, 1]);
    expect(outcome.balances).toEqual(
      new Map([
        [toHex(alice.publicKey), 960],
        [toHex(bob.publicKey), 10],
        [toHex(carol.publicKey), 80],
      ]),
    );
  });

  test('A overspends across two payments: the second is skipped, and a third that fits still applies', () => {
    const outcome = replay(base(), pay(alice, bob.publicKey, 600), pay(alice, carol.publicKey, 600), pay(alice, dave.publicKey, 400));
    expect(outcome.applied).toEqual([1, 0, 1]);
    expect(outcome.balances).toEqual(
      new Map([
        [toHex(alice.publicKey), 0],
        [toHex(bob.publicKey), 650],
        [toHex(dave.publicKey), 400],
      ]),
    );
  });

  test('check() changes nothing; apply() does', () => {
    const applier = new BatchApplier(base(), period, timing);
    const tx = pay(alice, bob.publicKey, 1_000);
    const txid = new Uint8Array(new Bun.CryptoHasher('sha256').update(tx.subarray(0, 76)).digest());
    expect(applier.check(tx, txid)).toBe('ok');
    expect(applier.check(tx, txid)).toBe('ok');
    expect(applier.has(txid)).toBe(false);
    expect(applier.changes()).toEqual([]);
    expect(applier.apply(tx, txid)).toBe('ok');
    expect(applier.has(txid)).toBe(true);
    expect(applier.balanceOf(alice.publicKey)).toBe(0);
    expect(applier.check(pay(alice, bob.publicKey, 1), new Uint8Array(32).fill(7))).toBe('insufficient_funds');
  });

  test('the checks run in order: amount, then period, then duplicate, then funds', () => {
    const applier = new BatchApplier(base(), period, timing);
    expect(applier.apply(pay(dave, alice.publicKey, 0, start - 1))).toBe('bad_amount'); // also wrong period, also broke
    expect(applier.apply(pay(dave, alice.publicKey, 5, start - 1))).toBe('wrong_period'); // also broke
    const broke = pay(dave, alice.publicKey, 5);
    expect(applier.apply(broke)).toBe('insufficient_funds');
    expect(applier.apply(broke)).toBe('duplicate');
  });
});

describe('batch rule 5: the payee is a key someone can sign for', () => {
  const unspendable: [string, Uint8Array][] = [
    ['the identity 0100…00 (small order)', identityKey],
    ['the identity with the sign bit set (non-canonical x = 0)', Uint8Array.of(1, ...new Uint8Array(30), 0x80)],
    ['a point of order 8', Uint8Array.from(Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex'))],
    ['y = p (non-canonical)', Uint8Array.of(0xed, ...new Uint8Array(30).fill(0xff), 0x7f)],
    ['y = 2 (not a point)', Uint8Array.of(2, ...new Uint8Array(31))],
  ];
  for (const [name, payee] of unspendable) {
    test(`to ${name}: skipped at re-validation, and the verdict is bad_payee`, () => {
      const tx = pay(alice, payee, 10);
      expect(replay(base(), tx).applied).toEqual([0]);
      expect(new BatchApplier(base(), period, timing).check(tx, txidOf(tx))).toBe('bad_payee');
      expect(checkPayee(tx)).toBe(false);
    });
  }

  test('a real key is a payee, and a skipped payment to a bad key does not stop the next', () => {
    const outcome = replay(base(), pay(alice, identityKey, 10), pay(alice, outsider, 10));
    expect(outcome.applied).toEqual([0, 1]);
    expect(checkPayee(pay(alice, outsider, 1))).toBe(true);
  });

  test('the cheaper rules decide first: an overdraft to a bad key is insufficient_funds', () => {
    const tx = pay(dave, identityKey, 1);
    expect(new BatchApplier(base(), period, timing).check(tx, txidOf(tx))).toBe('insufficient_funds');
  });
});

describe('batch: signatures are not the batch rules’ business', () => {
  test('a payment with a garbage signature still applies in replayBatch (the alpha checks signatures)', () => {
    const tx = pay(alice, bob.publicKey, 7);
    tx.fill(0xa5, 76); // not a signature of anything
    const zero = pay(alice, carol.publicKey, 8);
    zero.fill(0, 76);
    const otherNetwork = signPayment(alice, new Uint8Array(32).fill(9), { timestamp: start + 12, amount: 9, payee: dave.publicKey });
    const outcome = replay(base(), tx, zero, otherNetwork);
    expect(outcome.applied).toEqual([1, 1, 1]);
    expect(outcome.balances.get(toHex(alice.publicKey))).toBe(1_000 - 7 - 8 - 9);
  });
});

describe('batch: credits within the supply', () => {
  test('a credit up to 2^32 - 1 applies', () => {
    const balances = new Balances([
      [alice.publicKey, 1],
      [bob.publicKey, balance_max - 1],
    ]);
    const outcome = replay(balances, pay(alice, bob.publicKey, 1));
    expect(outcome.applied).toEqual([1]);
    expect(outcome.balances.get(toHex(bob.publicKey))).toBe(balance_max);
    expect(outcome.balances.get(toHex(alice.publicKey))).toBe(0);
  });

  test('a base whose balances sum beyond 2^32 - 1 is a broken invariant: the credit asserts instead of wrapping', () => {
    const broken = new Balances([
      [alice.publicKey, 2],
      [bob.publicKey, balance_max],
    ]);
    expect(() => replay(broken, pay(alice, bob.publicKey, 1))).toThrow(/assertion failed/);
  });
});

// ---- determinism, and the property against a reference -------------------------------------

interface PaymentSpec {
  payer: number;
  payee: number;
  amount: number;
  timestamp: number;
  repeat: number | null; // replay an earlier payment of the batch (same bytes), or a fresh one
  garble: boolean; // flip signature bytes: must not matter to the rules
}

const outsider = testSigner('wallet outsider').publicKey; // never pays, only receives
const identityKey = Uint8Array.of(1, ...new Uint8Array(31)); // no one can sign for it: never a payee
const accounts = [...signers.map((signer) => signer.publicKey), outsider, identityKey];

const balancesArbitrary = fc.oneof(
  // Up to 2^30 each: the sum stays below 2^32.
  fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 0x3fff_ffff })), {
    minLength: 4,
    maxLength: 4,
  }),
  // The whole supply on one account, the others empty: credits reach 2^32 - 1.
  fc.nat({ max: 3 }).map((rich) => [0, 1, 2, 3].map((i) => (i === rich ? balance_max : 0))),
);

const paymentArbitrary: fc.Arbitrary<PaymentSpec> = fc.record({
  payer: fc.nat({ max: 3 }),
  payee: fc.nat({ max: 5 }),
  amount: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: balance_max })),
  timestamp: fc.oneof(
    { arbitrary: fc.integer({ min: start, max: end - 1 }), weight: 6 },
    { arbitrary: fc.constantFrom(start - 1, end, start - timing.periodMs, end + 5), weight: 1 },
  ),
  repeat: fc.option(fc.nat({ max: 15 }), { freq: 4 }),
  garble: fc.boolean(),
});

function buildBatch(specs: PaymentSpec[]): Uint8Array[] {
  const built: Uint8Array[] = [];
  for (const spec of specs) {
    if (spec.repeat !== null && built.length > 0) {
      const again = built[spec.repeat % built.length]!.slice();
      if (spec.garble) again[100] = again[100]! ^ 0x01;
      built.push(again);
      continue;
    }
    const tx = pay(signers[spec.payer]!, accounts[spec.payee]!, spec.amount, spec.timestamp);
    if (spec.garble) tx[77] = tx[77]! ^ 0x80;
    built.push(tx);
  }
  return built;
}

/** The payee rule by noble's full decode: canonical (re-encodes to the same bytes), a point, not of small order. */
function someoneCanSignFor(key: Uint8Array): boolean {
  try {
    const point = ed25519.Point.fromBytes(key, false);
    return toHex(point.toBytes()) === toHex(key) && !point.isSmallOrder();
  } catch {
    return false;
  }
}

/** The rules of the design, written out again, for comparison. */
function referenceReplay(balances: Map<string, number>, transactions: Uint8Array[]): { applied: number[]; balances: Map<string, number> } {
  const now = new Map(balances);
  const seen = new Set<string>();
  const applied: number[] = [];
  for (const tx of transactions) {
    const dv = new DataView(tx.buffer, tx.byteOffset, tx.byteLength);
    const timestamp = dv.getUint32(0) * 2 ** 32 + dv.getUint32(4);
    const amount = dv.getUint32(8);
    const payee = Buffer.from(tx.subarray(12, 44)).toString('hex');
    const payer = Buffer.from(tx.subarray(44, 76)).toString('hex');
    const txid = new Bun.CryptoHasher('sha256').update(tx.subarray(0, 76)).digest('hex');
    const fresh = !seen.has(txid);
    seen.add(txid);
    const ok =
      amount >= 1 &&
      payer !== payee &&
      Math.floor(timestamp / timing.periodMs) === period &&
      fresh &&
      (now.get(payer) ?? 0) >= amount &&
      someoneCanSignFor(tx.subarray(12, 44));
    applied.push(ok ? 1 : 0);
    if (ok) {
      now.set(payer, (now.get(payer) ?? 0) - amount);
      now.set(payee, (now.get(payee) ?? 0) + amount);
    }
  }
  return { applied, balances: now };
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

describe('batch: determinism and conservation', () => {
  test('replaying the same batch twice gives identical applied bitmaps and changes', () => {
    const transactions = [
      pay(alice, bob.publicKey, 600),
      pay(bob, carol.publicKey, 640), // 650 after Alice's payment
      pay(alice, carol.publicKey, 600), // Alice has 400 left
      pay(carol, dave.publicKey, 630), // Carol has 640 now
      pay(alice, alice.publicKey, 1),
      pay(dave, bob.publicKey, 0),
    ];
    const batch = batchOf(...transactions);
    const one = replayBatch(base(), period, timing, batch);
    const two = replayBatch(base(), period, timing, batch.slice());
    expect([...one.applied]).toEqual([...two.applied]);
    expect(one.appliedCount).toBe(two.appliedCount);
    expect(one.changes).toEqual(two.changes);
    expect([...one.applied]).toEqual([1, 1, 0, 1, 0, 0]);
  });

  test('an empty batch applies nothing; a batch that is not a list of whole payments is refused (BAD_MESSAGE: decoders let none through)', () => {
    const outcome = replayBatch(base(), period, timing, new Uint8Array(0));
    expect(outcome.appliedCount).toBe(0);
    expect(outcome.changes).toEqual([]);
    expect(codeOf(() => replayBatch(base(), period, timing, new Uint8Array(139)))).toBe('BAD_MESSAGE');
  });

  test('property: random batches over random balances follow the reference, conserve the supply, and stay within u32', () => {
    fc.assert(
      fc.property(balancesArbitrary, fc.array(paymentArbitrary, { maxLength: 14 }), (startBalances, specs) => {
        const balances = new Map<string, number>();
        signers.forEach((signer, i) => {
          if (startBalances[i]! > 0) balances.set(toHex(signer.publicKey), startBalances[i]!);
        });
        const transactions = buildBatch(specs);
        const batch = batchOf(...transactions);

        // The ledger's own state as the base, as a server would use it.
        const state = LedgerState.fromAccounts([...balances].map(([hex, balance]) => ({ account: Buffer.from(hex, 'hex'), balance })));
        const outcome = replayBatch(state, period, timing, batch);
        const again = replayBatch(new Balances([...balances].map(([hex, balance]) => [Buffer.from(hex, 'hex'), balance])), period, timing, batch);
        expect([...again.applied]).toEqual([...outcome.applied]);
        expect(again.changes).toEqual(outcome.changes);

        const expected = referenceReplay(balances, transactions);
        expect([...outcome.applied]).toEqual(expected.applied);
        expect(outcome.appliedCount).toBe(sum(expected.applied));

        const after = new Map(balances);
        for (const change of outcome.changes) {
          expect(Number.isInteger(change.balance)).toBe(true);
          expect(change.balance).toBeGreaterThanOrEqual(0);
          expect(change.balance).toBeLessThanOrEqual(balance_max);
          after.set(toHex(change.account), change.balance);
        }
        for (const [hex, balance] of expected.balances) expect(after.get(hex) ?? 0).toBe(balance);
        expect(sum(after.values())).toBe(sum(balances.values()));

        // The changes commit: the new state holds the same supply.
        state.commit(state.prepare(outcome.changes));
        expect(state.supply()).toBe(sum(balances.values()));
      }),
      { numRuns: 60 },
    );
  });
});
