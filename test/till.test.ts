// The till's pure core (src/wallet/sale.ts: what counts for a sale, the verdict, the words,
// when to ask next) and the till itself (src/wallet/till.ts) over a fake reading of the
// servers' history, on real timers with a short period. The till in a browser, against
// compiled servers, is test/till.browser.test.ts.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { encodeAddress } from '../src/address.ts';
import { describeEntry, type HistoryEntry } from '../src/client/history.ts';
import { confirm_poll_first_ms, confirm_poll_max_ms, reference_max } from '../src/constants.ts';
import { startOf, timingOf } from '../src/schedule.ts';
import { signPayment } from '../src/transaction.ts';
import { freshReference, judgeSale, nextCheck, type SaleTerms, saleInWords, saleTerms } from '../src/wallet/sale.ts';
import { Till, type TillRead } from '../src/wallet/till.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network } = testNetwork({ servers: 3 });
const timing = timingOf(network);
const shop = testSigner('till shop');
const customer = testSigner('till customer');
const other = testSigner('till other');
const reference = 9_223_372_036_854_775_907n; // beyond 2^53: kept exact
const start = 1_800_000_000;
const terms: SaleTerms = { account: shop.publicKey, reference, amount: 12, firstPeriod: start, lastPeriod: start + 100 };

let nonce = 0;
/** A payment as the servers list it for the shop's history. */
function entry(fields: { amount?: number; period?: number; reference?: bigint | null; payer?: typeof customer; payee?: typeof shop; applied?: boolean; servers?: number[]; index?: number }): HistoryEntry {
  const period = fields.period ?? start + 1;
  const tx = signPayment(fields.payer ?? customer, network.id, {
    timestamp: period * network.periodMs + 5 + (nonce++ % 50),
    amount: fields.amount ?? 12,
    payee: (fields.payee ?? shop).publicKey,
    ...(fields.reference === null ? {} : { reference: fields.reference ?? reference }),
  });
  return describeEntry(network, shop.publicKey, { period, index: fields.index ?? 0, applied: fields.applied ?? true, transaction: tx }, fields.servers ?? [0, 1, 2]);
}

describe('what counts for a sale', () => {
  test('one payment of the amount with the reference, committed: paid, with its payer and period', () => {
    const verdict = judgeSale(terms, [entry({})], start + 1, network.quorum);
    expect(verdict.state).toBe('paid');
    expect(verdict.received).toBe(12);
    expect(verdict.payments.map((payment) => [payment.payer, payment.amount, payment.period, payment.late])).toEqual([[encodeAddress(customer.publicKey), 12, start + 1, false]]);
  });

  test('nothing counts that is not this sale’s: another reference, none, another payee, void, a minority, older than the sale, above the committed period', () => {
    const others = [
      entry({ reference: reference + 1n }),
      entry({ reference: null }),
      entry({ payee: other }), // listed in the shop's history only as its payer would be: not to the shop
      entry({ applied: false }),
      entry({ servers: [1] }),
      entry({ period: start - 1 }),
      entry({ period: start + 3 }),
    ];
    expect(judgeSale(terms, others, start + 2, network.quorum).state).toBe('waiting');
    // A payment the shop made with the reference (a refund) is not one it received.
    const refund = describeEntry(network, shop.publicKey, { period: start + 1, index: 0, applied: true, transaction: signPayment(shop, network.id, { timestamp: (start + 1) * network.periodMs, amount: 12, payee: customer.publicKey, reference }) }, [0, 1, 2]);
    expect(judgeSale(terms, [refund], start + 2, network.quorum).state).toBe('waiting');
  });

  test('a quorum is enough: two of three servers list it', () => {
    expect(judgeSale(terms, [entry({ servers: [0, 2] })], start + 1, network.quorum).state).toBe('paid');
  });

  test('a payment whose payer signature does not verify never counts', () => {
    const forged = { ...entry({}), signatureValid: false };
    expect(judgeSale(terms, [forged], start + 1, network.quorum).state).toBe('waiting');
  });

  test('too little, then the rest with the same reference: short, then paid', () => {
    const first = entry({ amount: 5, period: start + 1 });
    const short = judgeSale(terms, [first], start + 1, network.quorum);
    expect([short.state, short.received, short.closed]).toEqual(['short', 5, false]);
    const paid = judgeSale(terms, [entry({ amount: 7, period: start + 4, index: 2 }), first], start + 4, network.quorum);
    expect([paid.state, paid.received, paid.payments.map((payment) => payment.amount)]).toEqual(['paid', 12, [5, 7]]);
  });

  test('more than asked: over; one payment listed twice counts once', () => {
    const big = entry({ amount: 20 });
    expect(judgeSale(terms, [big], start + 1, network.quorum).state).toBe('over');
    const half = entry({ amount: 6 });
    expect(judgeSale(terms, [half, half], start + 1, network.quorum)).toMatchObject({ state: 'short', received: 6 });
  });

  test('the last period committed with nothing: expired; a payment after it: late; too little then expired: short and closed', () => {
    expect(judgeSale(terms, [], start + 99, network.quorum).state).toBe('waiting');
    expect(judgeSale(terms, [], start + 100, network.quorum)).toMatchObject({ state: 'expired', closed: true });
    const late = judgeSale(terms, [entry({ period: start + 101 })], start + 101, network.quorum);
    expect(late).toMatchObject({ state: 'late', received: 0 });
    expect(late.payments[0]!.late).toBe(true);
    // In time is the period the payment is in, not when the till saw it: made in the last period, seen after, it is paid.
    expect(judgeSale(terms, [entry({ period: start + 100 })], start + 105, network.quorum).state).toBe('paid');
    expect(judgeSale(terms, [entry({ amount: 5, period: start + 50 })], start + 100, network.quorum)).toMatchObject({ state: 'short', closed: true });
  });

  test('property: the verdict is the sum of the payments in time against the amount, whatever the order they are listed in', () => {
    const payments = Array.from({ length: 6 }, (_, i) => entry({ amount: 1 + (i % 4) * 3, period: start + 1 + i * 30, index: i }));
    fc.assert(
      fc.property(fc.subarray(payments), fc.integer({ min: start, max: start + 200 }), fc.integer({ min: 1, max: 30 }), (listed, committed, amount) => {
        const sale = { ...terms, amount };
        const verdict = judgeSale(sale, [...listed].reverse(), committed, network.quorum);
        const seen = listed.filter((payment) => payment.period <= committed);
        const inTime = seen.filter((payment) => payment.period <= sale.lastPeriod).reduce((sum, payment) => sum + payment.amount, 0);
        expect(verdict.received).toBe(inTime);
        const expected = inTime === amount ? 'paid' : inTime > amount ? 'over' : inTime > 0 ? 'short' : seen.length > 0 ? 'late' : committed >= sale.lastPeriod ? 'expired' : 'waiting';
        expect(verdict.state).toBe(expected);
        expect(judgeSale(sale, listed, committed, network.quorum)).toEqual(verdict);
      }),
    );
  });
});

describe('a sale’s terms and reference', () => {
  test('from the period it starts in (less the skew) to the period its request expires in', () => {
    const at = startOf(timing, start) + 10;
    const made = saleTerms(timing, shop.publicKey, 7n, 30, at, 600_000);
    expect(made.firstPeriod).toBe(Math.floor((at - timing.skewMs) / timing.periodMs));
    expect(made.lastPeriod).toBe(Math.floor((at + 600_000) / timing.periodMs));
  });

  test('a fresh reference is a random non-zero u64 (0 is drawn again), read big-endian', () => {
    const draws = [new Uint8Array(8), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)];
    expect(freshReference((bytes) => (bytes.set(draws.shift()!), bytes))).toBe(reference_max);
    expect(freshReference((bytes) => (bytes.set([0, 0, 0, 0, 0, 0, 1, 2]), bytes))).toBe(258n);
    const many = new Set(Array.from({ length: 1000 }, () => freshReference()));
    expect(many.size).toBe(1000);
    for (const drawn of many) expect(drawn >= 1n && drawn <= reference_max).toBe(true);
  });
});

describe('the words', () => {
  test('each state says what came and what to do', () => {
    const words = (entries: HistoryEntry[], committed: number) => saleInWords(terms, judgeSale(terms, entries, committed, network.quorum), 600_000);
    expect(words([], start)).toBe('Waiting for payment…');
    expect(words([entry({})], start + 1)).toBe(`Paid in full: 12 scryp, committed in period ${start + 1}.`);
    expect(words([entry({ amount: 5 })], start + 1)).toBe('Too little: 5 scryp of 12 scryp arrived with this reference. Ask for the rest (7 scryp: the code below asks for it), or refund.');
    expect(words([entry({ amount: 15 })], start + 1)).toBe('More than asked: 15 scryp arrived for 12 scryp. Give back the 3 scryp over, or refund the payment and ask again.');
    expect(words([], start + 100)).toBe('Expired: no payment arrived within 10 minutes. Start a new sale if the customer still wants to pay.');
    expect(words([entry({ period: start + 120 })], start + 120)).toBe('Too late: 12 scryp arrived with this reference after the request expired. Refund it, or take it as paid.');
  });
});

describe('when the till asks next', () => {
  const period = network.periodMs;
  test('right after the next commit is due when the newest ended period is committed', () => {
    const at = startOf(timing, start) + 7; // period start - 1 has ended
    expect(nextCheck(timing, at, start - 1, confirm_poll_first_ms)).toEqual({ at: startOf(timing, start + 1) + confirm_poll_first_ms, gapMs: confirm_poll_first_ms });
  });

  test('soon again while the commit is late, doubling up to a quarter period (at most confirm_poll_max_ms); and when no majority answered', () => {
    let gap = confirm_poll_first_ms;
    const at = startOf(timing, start) + 7;
    const gaps: number[] = [];
    for (let i = 0; i < 12; i++) {
      const next = nextCheck(timing, at, start - 2, gap);
      gaps.push(next.at - at);
      gap = next.gapMs;
    }
    expect(gaps[0]).toBe(confirm_poll_first_ms);
    expect(gaps[1]).toBe(2 * confirm_poll_first_ms);
    expect(Math.max(...gaps)).toBe(Math.min(confirm_poll_max_ms, Math.floor(period / 4)));
    expect(nextCheck(timing, at, null, 40).at).toBe(at + 40);
  });
});

describe('the till, over a fake reading of the servers', () => {
  // A network of 100 ms periods on real timers: the till asks after each commit is due.
  const fast = { ...timingOf(network), periodMs: 100, blackoutMs: 10, skewMs: 10 };

  const logged: string[] = [];

  function tillOver(read: (since: number) => Promise<TillRead>, lifetimeMs = 60_000) {
    let ids = 0;
    const references = [101n, 202n, 303n];
    return new Till({
      account: shop.publicKey,
      timing: () => fast,
      quorum: () => 2,
      now: Date.now,
      lifetimeMs,
      read,
      request: (amount, ref, note) => ({ uri: `scryp:shop?amount=${amount}&ref=${ref}&message=${note}`, qr: 'data:image/svg+xml;base64,' }),
      newId: () => `sale${ids++}`,
      newReference: () => references.shift() ?? 999n,
      log: { error: (message) => logged.push(message) },
    });
  }

  async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  test('a sale waits, then turns paid once the majority has committed the payment’s period; the till then stops asking', async () => {
    const paidIn = Math.floor(Date.now() / 100) + 3;
    let reads = 0;
    const till = tillOver(async () => {
      reads++;
      const committed = Math.floor(Date.now() / 100) - 1;
      const listed = committed >= paidIn ? [{ ...entry({ period: paidIn }), reference: 101n }] : [];
      return { entries: listed, committedPeriod: committed };
    });
    const view = till.start(12, 'two loaves');
    expect([view.state, view.reference, view.uri, view.final]).toEqual(['waiting', '101', 'scryp:shop?amount=12&ref=101&message=two loaves', false]);
    await until('paid', () => till.view(view.id).state === 'paid');
    const paid = till.view(view.id);
    expect(paid.decidedAt).toBeGreaterThanOrEqual(paidIn);
    expect(paid.decidedAt).toBeLessThanOrEqual(paidIn + 1); // asked right after each commit: seen within one period
    expect(paid.final).toBe(true);
    const readsThen = reads;
    await Bun.sleep(350);
    expect(reads).toBe(readsThen); // final: no more asking
  });

  test('a cancelled sale stops the asking; an unknown id is WALLET_REQUEST', async () => {
    let reads = 0;
    const till = tillOver(async () => {
      reads++;
      return { entries: [], committedPeriod: Math.floor(Date.now() / 100) - 1 };
    });
    const view = till.start(5, '');
    await until('a few reads', () => (till.view(view.id), reads >= 2));
    till.cancel(view.id);
    await Bun.sleep(250);
    const then = reads;
    await Bun.sleep(350);
    expect(reads).toBe(then);
    expect(codeOf(() => till.view('nonsense'))).toBe('WALLET_REQUEST');
  });

  test('no majority answers: the sale keeps waiting, with the trouble in words; a failing read is logged, not thrown', async () => {
    let calls = 0;
    const till = tillOver(async () => {
      calls++;
      if (calls % 2 === 0) throw new Error('socket closed');
      return { entries: [], committedPeriod: null };
    });
    const view = till.start(5, '');
    await until('three checks', () => (till.view(view.id), calls >= 3));
    const seen = till.view(view.id);
    expect(seen.state).toBe('waiting');
    expect(seen.trouble).toBe('No majority of the servers answers now: the till keeps asking.');
    expect(logged.some((line) => line.startsWith('till: asking the servers failed: Error: socket closed'))).toBe(true);
    expect(calls).toBeLessThan(20); // backed off between checks, never a tight loop
    till.cancel(view.id);
  });

  test('a short request expires (lifetime in periods of 100 ms), and the verdict is expired', async () => {
    const till = tillOver(async () => ({ entries: [], committedPeriod: Math.floor(Date.now() / 100) - 1 }), 300);
    const view = till.start(5, '');
    await until('expired', () => till.view(view.id).state === 'expired');
    expect(till.view(view.id).words).toBe('Expired: no payment arrived within 1 second. Start a new sale if the customer still wants to pay.');
    till.cancel(view.id);
  });
});
