// Catching up, out-of-sync detection and void periods (docs/PROTOCOL.md §6.6, §8.6, §8.8,
// §8.9), on three real ServerCores wired by an in-test message pump (test/helpers/core-net.ts):
// a manual clock, every message through the real codec, and a hook that drops or rewrites
// messages in flight. Each test puts a server behind or out of step on purpose, tampers with
// what reaches it, and checks what it keeps, what it answers, and how it recovers.

import { describe, expect, test } from 'bun:test';
import { toHex } from '../src/bytes.ts';
import { PaymentState, Status } from '../src/client/codec.ts';
import { type Certificate, certificateFrom, signVote } from '../src/consensus/vote.ts';
import { evidence_kept_max } from '../src/constants.ts';
import { LedgerState } from '../src/ledger/state.ts';
import type { ServerCore } from '../src/node/core.ts';
import type { PeerMessage, PeriodRecord } from '../src/peer/messages.ts';
import { startOf } from '../src/schedule.ts';
import { txidOf } from '../src/transaction.ts';
import { CoreNet, type Intercept, first_period } from './helpers/core-net.ts';

// The first period with payments: a fresh network's alphas take payments only once it has committed
// its first period (PROTOCOL §5.4), which it does in first_period, with nothing in it; three periods
// on, so that every period's alpha and beta are those the tests were written for.
const P = first_period + 3;
const entry = 36; // account (32) || balance u32

function counter(core: ServerCore, name: string): number {
  return core.counters.get(name) ?? 0;
}

/** Everything a server could lose to bad catch-up data: its committed certificate, state, balances, and its store. */
function fingerprint(net: CoreNet, index: number): object {
  const core = net.core(index);
  const stored = net.servers[index]!.store.load();
  return {
    committed: core.committed.period,
    committedHash: toHex(core.committed.hash),
    stateHash: toHex(core.stateHash),
    accounts: core.ledger.accountCount,
    supply: core.ledger.supply(),
    balances: net.balances(index),
    storedPeriod: stored.committed.period,
    storedHash: toHex(stored.committed.hash),
    storedEntries: stored.entries === null ? null : toHex(stored.entries),
    archiveFrom: stored.archiveFrom,
  };
}

/** One payment per period to that period's alpha, from `from` to `to` (exclusive), skipping `skip`; each must be ACCEPTED. */
function payEachPeriod(net: CoreNet, from: number, to: number, skip: readonly number[] = []): Uint8Array[] {
  const txs: Uint8Array[] = [];
  for (let period = from; period < to; period++) {
    net.advanceToPeriod(period, 200);
    const alpha = period % 3;
    if (skip.includes(alpha)) continue;
    const i = period - P;
    const tx = net.payment(i % 4, (i + 1) % 4, 10 + i);
    expect(net.pay(alpha, tx).status).toBe(Status.ACCEPTED);
    txs.push(tx);
  }
  return txs;
}

function expectSameAsMajority(net: CoreNet, index: number, majority = 0): void {
  const core = net.core(index);
  const reference = net.core(majority);
  expect(core.committed.period).toBe(reference.committed.period);
  expect(toHex(core.stateHash)).toBe(toHex(reference.stateHash));
  expect(toHex(core.committed.hash)).toBe(toHex(reference.committed.hash));
  expect(net.balances(index)).toEqual(net.balances(majority));
  expect(core.ledger.supply()).toBe(net.network.supply);
}

/** Refused to clients, as §8.8 says of a server behind or out of sync. */
function expectUnavailable(net: CoreNet, index: number): void {
  const core = net.core(index);
  expect(core.isAvailable(net.now)).toBe(false);
  expect(core.balance(net.wallets[0]!.publicKey, net.now).status).toBe(Status.UNAVAILABLE);
  const tx = net.payment(1, 2, 7);
  expect(core.paymentStatus(txidOf(tx), net.now).status).toBe(Status.UNAVAILABLE);
  expect(core.handlePay(tx, net.now).status).toBe(Status.UNAVAILABLE);
}

const isolate =
  (server: number): Intercept =>
  (from, to, message) =>
    from === server || to === server ? null : message;

/**
 * Servers 0 and 1 commit five periods (P+3 … P+7) while server 2 hears nothing and is heard
 * by nobody; its committed period stays P+2. Then server 2 needs the records after P+2.
 */
function serverTwoCutOff(): { net: CoreNet; before: object } {
  const net = new CoreNet();
  net.startAll();
  payEachPeriod(net, P, P + 3);
  net.advanceToPeriod(P + 3, 500);
  for (let i = 0; i < 3; i++) expect(net.core(i).committed.period).toBe(P + 2);
  net.intercept = isolate(2);
  payEachPeriod(net, P + 3, P + 8, [2]);
  net.advanceToPeriod(P + 8, 500);
  expect(net.core(0).committed.period).toBe(P + 7);
  expect(net.core(2).committed.period).toBe(P + 2);
  return { net, before: fingerprint(net, 2) };
}

/** Rewrites the SYNC_RECORDS that reach `to` (with at least `min` records) while `state.active`; notes the periods each one held. */
function tamperRecords(to: number, rewrite: (records: PeriodRecord[]) => PeriodRecord[], min = 1) {
  const state = { active: true, tampered: 0, periods: [] as number[][] };
  const intercept: Intercept = (_from, dest, message) => {
    if (!state.active || dest !== to || message.type !== 'sync_records' || message.records.length < min) return message;
    state.tampered++;
    state.periods.push(message.records.map((record) => record.certificate.period));
    return { ...message, records: rewrite(message.records) };
  };
  return { state, intercept };
}

function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 0x01;
  return out;
}

function withCertificate(record: PeriodRecord, certificate: Certificate): PeriodRecord {
  return { certificate, transactions: record.transactions };
}

describe('§8.9 catching up by replay: bad SYNC_RECORDS are refused and nothing is replaced', () => {
  const badCertificate = new RegExp(`catch-up: server \\d sent period ${P + 3} with a certificate that does not verify`);
  const cases: [name: string, counterName: string, rewrite: (records: PeriodRecord[]) => PeriodRecord[], min: number, why: RegExp][] = [
    [
      'a certificate with fewer votes than a majority',
      'bad_certificate',
      ([first, ...rest]) => [withCertificate(first!, { ...first!.certificate, votes: first!.certificate.votes.slice(0, 1) }), ...rest],
      1,
      badCertificate,
    ],
    [
      'a vote signature that does not verify',
      'bad_certificate',
      ([first, ...rest]) => {
        const votes = first!.certificate.votes.map((vote, i) => (i === 0 ? { ...vote, signature: flipped(vote.signature, 40) } : vote));
        return [withCertificate(first!, { ...first!.certificate, votes }), ...rest];
      },
      1,
      badCertificate,
    ],
    [
      'a certified state hash changed (the votes no longer sign it)',
      'bad_certificate',
      ([first, ...rest]) => [withCertificate(first!, { ...first!.certificate, hash: flipped(first!.certificate.hash) }), ...rest],
      1,
      badCertificate,
    ],
    [
      'records that do not start at the committed period (the first one left out)',
      'sync_record_unchained',
      ([, ...rest]) => rest,
      2,
      new RegExp(`catch-up: server \\d sent period ${P + 4} on parent ${P + 3}, we hold ${P + 2}`),
    ],
  ];
  for (const [name, counterName, rewrite, min, why] of cases) {
    test(name, () => {
      const { net, before } = serverTwoCutOff();
      const lagging = net.core(2);
      const commits = counter(lagging, 'committed');
      const { state, intercept } = tamperRecords(2, rewrite, min);
      net.intercept = intercept;
      const limit = startOf(net.timing, P + 12);
      net.advanceUntil(() => counter(lagging, counterName) >= 1, limit, `a refused SYNC_RECORDS (${counterName})`);
      expect(state.tampered).toBe(1);
      expect(state.periods[0]).toEqual([P + 3, P + 4, P + 6, P + 7]); // P+5 (server 2's own) is void
      expect(fingerprint(net, 2)).toEqual(before);
      expectUnavailable(net, 2);
      expect(net.logOf(2)).toMatch(why);
      // It asks again (a refused answer is not the end), and refuses again.
      net.advanceUntil(() => counter(lagging, counterName) >= 2, limit, 'a second refused SYNC_RECORDS');
      expect(fingerprint(net, 2)).toEqual(before);
      expect(counter(lagging, 'committed')).toBe(commits);
      expectUnavailable(net, 2);
      // Honest answers: it replays the periods it missed, without a snapshot.
      state.active = false;
      net.advanceTo(net.now + 2 * net.timing.periodMs);
      expectSameAsMajority(net, 2);
      expect(net.core(2).committed.period).toBeGreaterThanOrEqual(P + 8);
      expect(net.servers[2]!.store.load().archiveFrom).toBe(0);
      expect(counter(lagging, 'committed') - commits).toBeGreaterThanOrEqual(4); // replayed P+3, P+4, P+6, P+7 (P+5 is void)
      expect(net.core(2).isAvailable(net.now)).toBe(true);
    });
  }

  test("a record whose batch does not give the certified hash: refused, out of sync, and a snapshot brings it back", () => {
    const { net, before } = serverTwoCutOff();
    const lagging = net.core(2);
    const commits = counter(lagging, 'committed');
    let removed = 0;
    const { state, intercept } = tamperRecords(2, ([first, ...rest]) => {
      removed = first!.transactions.length / 140;
      return [{ certificate: first!.certificate, transactions: new Uint8Array(0) }, ...rest];
    });
    net.intercept = intercept;
    net.advanceUntil(() => counter(lagging, 'state_differs') >= 1, startOf(net.timing, P + 12), 'a replay with another hash');
    expect(removed).toBe(1); // the certified period P+3 held one payment, which the tampered record left out
    expect(state.tampered).toBe(1);
    expect(fingerprint(net, 2)).toEqual(before);
    expect(counter(lagging, 'committed')).toBe(commits);
    expectUnavailable(net, 2);
    expect(net.logOf(2)).toContain('gives another hash than the certificate');
    // Out of sync: the next step is a snapshot, which is honest.
    net.advanceTo(net.now + 2 * net.timing.periodMs);
    expectSameAsMajority(net, 2);
    expect(net.servers[2]!.store.load().archiveFrom).toBeGreaterThan(P + 2);
    expect(net.core(2).isAvailable(net.now)).toBe(true);
  });
});

// ---- snapshots ----------------------------------------------------------------------------

/**
 * Servers 0 and 1 commit P, P+1 and P+3 (P+2, server 2's, is void: it is down); then server 2
 * starts with an empty store. A peer answers its SYNC_REQUEST(after 0) with snapshot_needed.
 */
function lateServerTwo(): { net: CoreNet; before: object; firstTx: Uint8Array } {
  const net = new CoreNet();
  net.start(0);
  net.start(1);
  const txs = payEachPeriod(net, P, P + 4, [2]);
  net.advanceToPeriod(P + 4, 500);
  expect(net.core(0).committed.period).toBe(P + 3);
  expect(net.core(0).committed.parent).toBe(P + 1);
  expect(net.core(0).paymentStatus(txidOf(txs[0]!), net.now)).toEqual({ status: Status.OK, state: PaymentState.COMMITTED, period: P });
  net.start(2);
  const before = fingerprint(net, 2);
  expect(before).toMatchObject({ committed: 0, stateHash: toHex(net.genesisState.hash), storedEntries: null, archiveFrom: 0 });
  return { net, before, firstTx: txs[0]! };
}

type SnapshotMessage = Extract<PeerMessage, { type: 'snapshot_header' | 'snapshot_page' }>;
/** Rewrites a snapshot message from `from` to the late server (returns it unchanged to let it through). */
type SnapshotRewrite = (net: CoreNet, from: number, message: SnapshotMessage) => SnapshotMessage;

function setBalance(entries: Uint8Array, index: number, balance: number): void {
  new DataView(entries.buffer, entries.byteOffset, entries.byteLength).setUint32(index * entry + 32, balance);
}

function balanceAt(entries: Uint8Array, index: number): number {
  return new DataView(entries.buffer, entries.byteOffset, entries.byteLength).getUint32(index * entry + 32);
}

function pageWith(rewrite: (entries: Uint8Array) => Uint8Array): SnapshotRewrite {
  return (_net, _from, message) => (message.type === 'snapshot_page' ? { ...message, entries: rewrite(message.entries.slice()) } : message);
}

function headerWith(rewrite: (message: Extract<SnapshotMessage, { type: 'snapshot_header' }>) => SnapshotMessage): SnapshotRewrite {
  return (_net, _from, message) => (message.type === 'snapshot_header' ? rewrite(message) : message);
}

/**
 * A self-consistent forgery: the ledger the peer serves with one scryp moved, its mids and
 * state hash recomputed into the header, its entries in the pages; only the certificate's
 * votes (signed for the honest hash) betray it.
 */
function forgedLedger(): SnapshotRewrite {
  let forged: Uint8Array | null = null;
  return (net, from, message) => {
    if (message.type === 'snapshot_header') {
      const entries = new Uint8Array(message.accounts * entry);
      let i = 0;
      for (const one of net.core(from).ledger.entries()) entries.set(one, entry * i++);
      expect(toHex(net.core(from).stateHash)).toBe(toHex(message.certificate.hash)); // the frozen state is the peer's ledger
      setBalance(entries, 0, balanceAt(entries, 0) - 1);
      setBalance(entries, 1, balanceAt(entries, 1) + 1);
      forged = entries;
      const frozen = LedgerState.fromSortedEntries(entries.slice()).freeze();
      return { ...message, mids: frozen.mids, certificate: { ...message.certificate, hash: frozen.hash } };
    }
    return forged === null ? message : { ...message, entries: forged.slice() };
  };
}

describe('§8.9 catching up by snapshot: a bad header or page is refused and nothing is replaced', () => {
  // `why`: the reason logged, which says which check caught it (§8.9 steps 2, 4 and 5).
  const cases: [name: string, counterName: string, rewrite: SnapshotRewrite, why: RegExp][] = [
    [
      'a page with one balance raised by 1',
      'snapshot_page_bad',
      pageWith((entries) => {
        setBalance(entries, 1, balanceAt(entries, 1) + 1);
        return entries;
      }),
      /refused: mid \d+ does not match/, // caught by a mid digest (step 4), not only by the final state hash
    ],
    [
      'a page with one scryp moved between two accounts (the supply unchanged)',
      'snapshot_page_bad',
      pageWith((entries) => {
        setBalance(entries, 0, balanceAt(entries, 0) - 1);
        setBalance(entries, 3, balanceAt(entries, 3) + 1);
        return entries;
      }),
      /refused: mid \d+ does not match/,
    ],
    [
      'a page with two accounts out of order',
      'snapshot_page_bad',
      pageWith((entries) => {
        const first = entries.slice(0, entry);
        entries.copyWithin(0, entry, 2 * entry);
        entries.set(first, entry);
        return entries;
      }),
      /refused: (mid \d+ does not match|accounts out of order)/, // the mid of the first account is found empty first
    ],
    [
      'a page with one account twice (in place of the next one)',
      'snapshot_page_bad',
      pageWith((entries) => {
        entries.copyWithin(entry, 0, entry);
        return entries;
      }),
      /refused: accounts out of order/,
    ],
    [
      'a page with a zero balance',
      'snapshot_page_bad',
      pageWith((entries) => {
        setBalance(entries, 2, 0);
        return entries;
      }),
      /refused: a zero balance/,
    ],
    ['a page with an account left out', 'snapshot_page_bad', pageWith((entries) => entries.slice(entry)), /refused: (mid \d+ does not match|fewer accounts than announced)/],
    [
      // The last mid is only checked once the last page is in: the same count, order and supply.
      'a page with the last account renamed (another key, the same balance)',
      'snapshot_page_bad',
      pageWith((entries) => flipped(entries, entries.length - entry + 31)),
      /refused: mid \d+ does not match/,
    ],
    ['a header with a wrong mid digest', 'snapshot_header_bad', headerWith((header) => ({ ...header, mids: flipped(header.mids, 7 * 32 + 3) })), /does not match its certificate/],
    [
      'a header whose certificate has fewer votes than a majority',
      'snapshot_header_bad',
      headerWith((header) => ({ ...header, certificate: { ...header.certificate, votes: header.certificate.votes.slice(1) } })),
      /does not match its certificate/,
    ],
    ['a header and pages of a forged ledger, consistent but not certified', 'snapshot_header_bad', forgedLedger(), /does not match its certificate/],
    [
      'a header announcing more accounts than a server accepts (16000000)',
      'snapshot_header_bad',
      headerWith((header) => ({ ...header, accounts: 16_000_001 })),
      /does not match its certificate/,
    ],
    [
      'a header announcing one account more than the pages hold',
      'snapshot_page_bad',
      headerWith((header) => ({ ...header, accounts: header.accounts + 1 })),
      /refused: fewer accounts than announced/,
    ],
  ];
  for (const [name, counterName, rewrite, why] of cases) {
    test(name, () => {
      const { net, before, firstTx } = lateServerTwo();
      const late = net.core(2);
      let tampered = 0;
      let active = true;
      net.intercept = (from, to, message) => {
        if (!active || to !== 2 || (message.type !== 'snapshot_header' && message.type !== 'snapshot_page')) return message;
        const rewritten = rewrite(net, from, message);
        if (rewritten !== message) tampered++;
        return rewritten;
      };
      const limit = startOf(net.timing, P + 8);
      net.advanceUntil(() => counter(late, counterName) >= 1, limit, `a refused snapshot (${counterName})`);
      expect(tampered).toBeGreaterThanOrEqual(1);
      expect(counter(late, 'message_snapshot_header')).toBe(1);
      expect(fingerprint(net, 2)).toEqual(before);
      expectUnavailable(net, 2);
      expect(net.logOf(2)).toMatch(why);
      // It asks again, and refuses again.
      net.advanceUntil(() => counter(late, counterName) >= 2, limit, 'a second refused snapshot');
      expect(fingerprint(net, 2)).toEqual(before);
      expectUnavailable(net, 2);
      // Honest answers: the snapshot is installed, and the server rejoins.
      active = false;
      net.advanceTo(net.now + 2 * net.timing.periodMs);
      expectSameAsMajority(net, 2);
      expect(net.servers[2]!.store.load().archiveFrom).toBeGreaterThanOrEqual(P + 3);
      expect(net.core(2).isAvailable(net.now)).toBe(true);
      // §6.6: restored from a snapshot, it has no record of earlier payments and claims no period.
      expect(net.core(2).paymentStatus(txidOf(firstTx), net.now)).toEqual({ status: Status.OK, state: PaymentState.UNKNOWN, period: 0 });
      expect(net.core(0).paymentStatus(txidOf(firstTx), net.now).state).toBe(PaymentState.COMMITTED);
    });
  }
});

// ---- out of sync -----------------------------------------------------------------------------

/** Drops the snapshot headers that reach `to` while `hold.on`: the peers seem slow to answer. */
function holdSnapshots(to: number, hold: { on: boolean }, base: Intercept | null = null): Intercept {
  return (from, dest, message) => {
    if (hold.on && dest === to && message.type === 'snapshot_header') return null;
    return base === null ? message : base(from, dest, message);
  };
}

describe('§8.8/§8.9 out of sync: a server whose state differs from the certified one is unavailable until a snapshot brings it back', () => {
  test('its own result for a period differs from the certified hash (it was sent another batch)', () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 4);
    // The PROPOSAL of P+3 (one payment) reaches server 2 without its payment, as if its beta had
    // equivocated: server 2 votes another hash than the majority, which certifies its own.
    const hold = { on: true };
    let rewritten = 0;
    net.intercept = holdSnapshots(2, hold, (_from, to, message) => {
      if (to !== 2 || message.type !== 'proposal' || message.period !== P + 3) return message;
      expect(message.transactions.length).toBe(140);
      rewritten++;
      return net.resignProposal({ ...message, transactions: new Uint8Array(0) });
    });
    const server2 = net.core(2);
    const before = fingerprint(net, 2);
    expect(net.core(2).isAvailable(net.now)).toBe(true);
    net.advanceUntil(() => counter(server2, 'state_differs') >= 1, startOf(net.timing, P + 5), 'the hash mismatch');
    expect(rewritten).toBe(1);
    expect(server2.lastVotePeriod).toBe(P + 3); // it voted, for its own (wrong) hash
    expect(net.core(0).committed.period).toBe(P + 3);
    expect(fingerprint(net, 2)).toEqual(before); // the wrong result was never committed
    expect(net.logOf(2)).toContain("our state hash differs from the majority's");
    expectUnavailable(net, 2);
    // Still unavailable a period later, while no snapshot arrives, and through a period start.
    net.advanceToPeriod(P + 5, 300);
    expect(counter(server2, 'message_snapshot_header')).toBe(0);
    expect(net.core(2).committed.period).toBe(P + 2);
    expectUnavailable(net, 2);
    // P+5 is server 2's alpha period: it drops what is forwarded to it (§8.8).
    const forwarded = net.payment(1, 2, 9);
    expect(net.pay(0, forwarded).status).toBe(Status.FORWARDED);
    net.advanceToPeriod(P + 5, 600);
    expect(counter(server2, 'forward_dropped_not_alpha')).toBe(1);
    expect(counter(server2, 'forward_accepted')).toBe(0);
    // A peer that does not answer within max(1 s, 2 periods) is replaced by another (§8.9).
    net.advanceToPeriod(P + 6, 500);
    const requests = net.sent.filter((sent) => sent.from === 2 && sent.message.type === 'snapshot_request');
    expect(requests.length).toBe(2);
    expect(requests[1]!.to).not.toBe(requests[0]!.to);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(2 * net.timing.periodMs);
    expectUnavailable(net, 2);
    // The peers answer: server 2 installs the majority's state and is available again.
    hold.on = false;
    net.advanceToPeriod(P + 9, 500);
    expectSameAsMajority(net, 2);
    expect(net.servers[2]!.store.load().archiveFrom).toBeGreaterThanOrEqual(P + 3);
    expect(net.core(2).isAvailable(net.now)).toBe(true);
    // The payment its alpha period dropped never applied: P+5 is decided without it.
    expect(net.core(0).paymentStatus(txidOf(forwarded), net.now)).toEqual({ status: Status.OK, state: PaymentState.UNKNOWN, period: net.core(0).committed.period });
    // And it takes payments again in its own alpha period (P+11), which commit.
    net.advanceToPeriod(P + 11, 200);
    const tx = net.payment(0, 3, 5);
    expect(net.pay(2, tx).status).toBe(Status.ACCEPTED);
    net.advanceToPeriod(P + 12, 500);
    for (let i = 0; i < 3; i++) expect(net.core(i).paymentStatus(txidOf(tx), net.now)).toEqual({ status: Status.OK, state: PaymentState.COMMITTED, period: P + 11 });
  });

  test('its store was corrupted (another ledger under the same period): the next certificate conflicts', () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 4);
    net.advanceToPeriod(P + 4, 500);
    for (let i = 0; i < 3; i++) expect(net.core(i).committed.period).toBe(P + 3);
    // Server 2 stops; its disk now holds another ledger (one scryp moved), self-consistent:
    // its committed certificate names that ledger's hash for period P+3.
    net.crash(2);
    const store = net.servers[2]!.store;
    const stored = store.load();
    const entries = stored.entries!.slice();
    setBalance(entries, 0, balanceAt(entries, 0) - 1);
    setBalance(entries, 1, balanceAt(entries, 1) + 1);
    const corrupted = LedgerState.fromSortedEntries(entries.slice());
    store.installSnapshot({ ...stored.committed, hash: corrupted.hash }, entries);
    const server2 = net.start(2);
    expect(toHex(server2.stateHash)).toBe(toHex(corrupted.hash));
    expect(server2.ledger.supply()).toBe(net.network.supply); // the supply alone cannot tell
    const hold = { on: true };
    net.intercept = holdSnapshots(2, hold);
    // At P+5 the PROPOSAL of P+4 arrives with its parent: the majority's certificate of P+3.
    net.advanceUntil(() => counter(server2, 'certificate_conflict') >= 1, startOf(net.timing, P + 6), 'the conflict');
    expect(net.logOf(2)).toContain('conflicts with our committed period');
    expectUnavailable(net, 2);
    net.advanceToPeriod(P + 6, 600);
    expectUnavailable(net, 2);
    expect(toHex(net.core(2).stateHash)).toBe(toHex(corrupted.hash));
    hold.on = false;
    net.advanceToPeriod(P + 9, 500);
    expectSameAsMajority(net, 2);
    expect(net.core(2).isAvailable(net.now)).toBe(true);
    expect(net.core(2).balance(net.wallets[0]!.publicKey, net.now)).toEqual({ status: Status.OK, balance: net.core(0).ledger.balanceOf(net.wallets[0]!.publicKey) });
  });

  test('a holding certificate that skips its committed period: a fork, kept as evidence; the server stops, unavailable for good (§8.12)', () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 4);
    net.advanceToPeriod(P + 4, 500);
    const server2 = net.core(2);
    const committedP2 = net.servers[0]!.store.records(P + 1, 1, 1 << 20);
    expect(committedP2 !== 'snapshot_needed' && committedP2[0]!.certificate.period).toBe(P + 2);
    const parent = (committedP2 as PeriodRecord[])[0]!.certificate;
    // Votes of servers 0 and 1 (a majority) for P+4 on P+2: a certificate that skips P+3,
    // which server 2 committed. §8.7 says honest servers never sign this; §8.4 says what a
    // server must do with it anyway.
    const decision = { period: P + 4, parent: P + 2, parentHash: parent.hash, hash: flipped(parent.hash) };
    const votes = [0, 1].map((voter) => signVote(net.servers[voter]!.signer, net.network.id, decision, P + 2, voter));
    const conflicting = certificateFrom(decision, votes);
    const before = fingerprint(net, 2);
    expect(server2.isAvailable(net.now)).toBe(true);
    const hold = { on: true };
    net.intercept = holdSnapshots(2, hold);
    net.inject(0, 2, { type: 'status', committed: conflicting, vote: null });
    expect(counter(server2, 'certificate_conflict')).toBe(1);
    expect(fingerprint(net, 2)).toEqual(before);
    expectUnavailable(net, 2);
    // Both certificates hold: the proof is kept (on disk too), said once at error, and the server stops.
    expect(server2.halted).toContain('two certificates conflict');
    expect(server2.evidence.map((evidence) => evidence.kind)).toEqual(['fork']);
    expect(net.servers[2]!.store.load().evidence.length).toBe(1);
    expect(net.logOf(2)).toContain('EVIDENCE: two certificates conflict');
    net.advanceToPeriod(P + 4, 900);
    expectUnavailable(net, 2);
    hold.on = false;
    net.advanceToPeriod(P + 7, 500);
    // It never goes on silently: still stopped, committing nothing, however long it runs.
    expectUnavailable(net, 2);
    expect(fingerprint(net, 2)).toEqual(before);
    // The others heard of it: the evidence reached them and stopped them too.
    for (const other of [0, 1]) expect(net.core(other).evidence.some((evidence) => evidence.kind === 'fork')).toBe(true);
    // A restart keeps it stopped: the proof comes back from the store.
    net.crash(2);
    expect(net.start(2).halted).toContain('two certificates conflict');
  });
});

describe('§8.12 evidence: a beta that shows each server another batch is caught by the headers passed on', () => {
  test('server 2 gets a re-signed PROPOSAL with another batch; servers 1 and 2 each hold a proposal proof against its beta', () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 4);
    let rewritten = 0;
    let beta = -1;
    net.intercept = (from, to, message) => {
      if (to !== 2 || message.type !== 'proposal' || message.period !== P + 3) return message;
      rewritten++;
      beta = from;
      return net.resignProposal({ ...message, transactions: new Uint8Array(0) });
    };
    net.advanceToPeriod(P + 5, 500);
    expect(rewritten).toBe(1);
    for (const index of [0, 1, 2].filter((i) => i !== beta)) {
      const proofs = net.core(index).evidence.filter((evidence) => evidence.kind === 'proposal');
      expect([index, proofs.length]).toEqual([index, 1]);
      expect(proofs[0]!.kind === 'proposal' && proofs[0]!.a.proposer).toBe(beta);
    }
    // Evidence against one server stops no one in a majority network; only a fork would.
    for (const index of [0, 1, 2]) expect(net.core(index).halted).toBeNull();
  });
});

describe('§8.12 evidence: kept within a bound, and a fork stops a server however much evidence came first', () => {
  test(`after ${evidence_kept_max} proofs against one liar, more are dropped (counted), but a fork is still kept and still stops the server`, () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 3);
    net.advanceToPeriod(P + 3, 500);
    const server2 = net.core(2);
    const liar = net.servers[0]!.signer;
    // Server 0 "signs" two different votes for each of many far-away periods: each pair is a proof.
    const base = { parent: P, parentHash: new Uint8Array(32), hash: new Uint8Array(32) };
    for (let i = 0; i < evidence_kept_max + 5; i++) {
      const period = P + 1_000 + i;
      const a = signVote(liar, net.network.id, { ...base, period }, P, 0);
      const b = signVote(liar, net.network.id, { ...base, period, hash: new Uint8Array(32).fill(1) }, P, 0);
      server2.onMessage(1, { type: 'evidence', evidence: { kind: 'vote', a, b } }, net.now);
    }
    expect(server2.evidence.length).toBe(evidence_kept_max);
    expect(counter(server2, 'evidence_dropped')).toBe(5);
    expect(server2.halted).toBeNull();
    // Now a certificate that skips a committed period: a fork, kept beyond the bound.
    const committedP1 = net.servers[0]!.store.records(P, 1, 1 << 20);
    const parent = (committedP1 as PeriodRecord[])[0]!.certificate;
    const decision = { period: P + 3, parent: parent.period, parentHash: parent.hash, hash: flipped(parent.hash) };
    const votes = [0, 1].map((voter) => signVote(net.servers[voter]!.signer, net.network.id, decision, parent.period, voter));
    server2.onMessage(0, { type: 'status', committed: certificateFrom(decision, votes), vote: null }, net.now);
    expect(server2.halted).toContain('two certificates conflict');
    expect(server2.evidence.at(-1)!.kind).toBe('fork');
    expect(server2.isAvailable(net.now)).toBe(false);
  });
});

// ---- void periods -----------------------------------------------------------------------------

/** Every committed record after genesis, from server `index`'s archive. */
function archive(net: CoreNet, index: number): PeriodRecord[] {
  const records = net.servers[index]!.store.records(0, 256, 1 << 24);
  if (records === 'snapshot_needed') throw new Error(`server ${index} has no archive from genesis`);
  return records;
}

describe('§8.6/§6.6 void periods: a payment ACCEPTED in a period that is skipped is VOID, never applied', () => {
  test("the beta's PROPOSAL never arrives: the next certificate skips the period, STATUS answers VOID (or UNKNOWN with c ≥ k)", () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 3);
    const V = P + 3; // alpha(V) = server 0, which proposes V at start(V + 1)
    net.advanceToPeriod(V, 200);
    const balancesBefore = [0, 1, 2].map((i) => net.balances(i));
    const accepted = net.payment(3, 1, 100);
    expect(net.pay(0, accepted)).toMatchObject({ status: Status.ACCEPTED, period: V });
    const forwarded = net.payment(2, 0, 50);
    expect(net.pay(1, forwarded)).toMatchObject({ status: Status.FORWARDED, period: V });
    net.advanceToPeriod(V, 300); // the forwarder flushes within 5 ms
    expect(counter(net.core(0), 'forward_accepted')).toBe(1);
    for (const tx of [accepted, forwarded]) {
      expect(net.core(0).paymentStatus(txidOf(tx), net.now)).toEqual({ status: Status.OK, state: PaymentState.PENDING, period: V });
    }
    // The PROPOSAL of V is lost to everyone.
    let dropped = 0;
    let withheld: Extract<PeerMessage, { type: 'proposal' }> | null = null;
    net.intercept = (_from, _to, message) => {
      if (message.type !== 'proposal' || message.period !== V) return message;
      dropped++;
      withheld = message;
      return null;
    };
    net.advanceToPeriod(V + 1, 500);
    expect(dropped).toBe(2);
    expect(net.core(0).lastVotePeriod).toBe(V); // its beta voted for it, alone: not a majority
    for (let i = 0; i < 3; i++) expect(net.core(i).committed.period).toBe(V - 1);
    // Still undecided: the beta holds its proposal (PENDING); the others know nothing and have not passed V.
    expect(net.core(0).paymentStatus(txidOf(accepted), net.now)).toEqual({ status: Status.OK, state: PaymentState.PENDING, period: V });
    expect(net.core(1).paymentStatus(txidOf(accepted), net.now)).toEqual({ status: Status.OK, state: PaymentState.UNKNOWN, period: V - 1 });
    // V+1 is proposed on V−1 and certified: V is void.
    net.advanceToPeriod(V + 2, 500);
    for (let i = 0; i < 3; i++) {
      const core = net.core(i);
      expect(core.committed.period).toBe(V + 1);
      expect(core.committed.parent).toBe(V - 1);
      const periods = archive(net, i).map((record) => record.certificate.period);
      expect(periods).toContain(V + 1);
      expect(periods).not.toContain(V);
    }
    expect(counter(net.core(0), 'period_void')).toBe(1);
    const settled = () => {
      for (let i = 0; i < 3; i++) {
        const core = net.core(i);
        expect(core.isAvailable(net.now)).toBe(true);
        for (const tx of [accepted, forwarded]) {
          expect(net.servers[i]!.store.paymentOutcome(txidOf(tx))).toBeNull(); // never committed, not even as skipped
          const status = core.paymentStatus(txidOf(tx), net.now);
          if (i === 0) {
            // The server that saw V's batch: VOID, with V.
            expect(status).toEqual({ status: Status.OK, state: PaymentState.VOID, period: V });
          } else {
            // The others never saw it: UNKNOWN with their committed period c ≥ V, which reads as void.
            expect(status.status).toBe(Status.OK);
            expect(status.state).toBe(PaymentState.UNKNOWN);
            expect(status.period).toBeGreaterThanOrEqual(V);
          }
        }
        expect(net.balances(i)).toEqual(balancesBefore[i]!);
        expect(core.ledger.supply()).toBe(net.network.supply);
      }
    };
    settled();
    // The lost PROPOSAL turns up late: it is stale, and changes nothing.
    expect(withheld).not.toBeNull();
    net.intercept = null;
    net.inject(0, 1, withheld!);
    net.inject(0, 2, withheld!);
    expect(counter(net.core(1), 'proposal_stale')).toBe(1);
    expect(counter(net.core(2), 'proposal_stale')).toBe(1);
    net.advanceToPeriod(V + 5, 500);
    expect(net.core(0).committed.period).toBe(V + 4);
    settled();
    // The payer may now sign the payment anew, and it commits.
    net.advanceToPeriod(V + 6, 200);
    const again = net.payment(3, 1, 101);
    expect(net.pay(0, again).status).toBe(Status.ACCEPTED);
    net.advanceToPeriod(V + 7, 500);
    expect(net.core(1).paymentStatus(txidOf(again), net.now)).toEqual({ status: Status.OK, state: PaymentState.COMMITTED, period: V + 6 });
    expect(net.balances(1)[3]).toBe(balancesBefore[1]![3]! - 101);
    // §6.6: after a restart the void txid is forgotten: UNKNOWN with c ≥ V, which still reads as void.
    net.crash(0);
    net.start(0);
    net.advanceToPeriod(V + 8, 100);
    expect(net.core(0).paymentStatus(txidOf(accepted), net.now)).toEqual({ status: Status.OK, state: PaymentState.UNKNOWN, period: net.core(0).committed.period });
    expect(net.core(0).committed.period).toBeGreaterThanOrEqual(V);
  });

  test('the alpha crashes before it proposes: its ACCEPTED payment is lost with the period, UNKNOWN with c ≥ k everywhere', () => {
    const net = new CoreNet();
    net.startAll();
    payEachPeriod(net, P, P + 4);
    const V = P + 4; // alpha(V) = server 1
    net.advanceToPeriod(V, 200);
    const before = net.balances(0);
    const accepted = net.payment(0, 2, 33);
    expect(net.pay(1, accepted)).toMatchObject({ status: Status.ACCEPTED, period: V });
    expect(net.core(1).paymentStatus(txidOf(accepted), net.now).state).toBe(PaymentState.PENDING);
    net.advanceToPeriod(V, 950);
    net.crash(1);
    net.advanceToPeriod(V + 2, 500);
    // V+1 (server 2's) is certified on V−1 by servers 0 and 2: V is void.
    expect(net.core(0).committed).toMatchObject({ period: V + 1, parent: V - 1 });
    net.start(1); // restarted after start(V + 1): it neither proposes nor remembers V
    net.advanceToPeriod(V + 4, 500);
    for (let i = 0; i < 3; i++) {
      const core = net.core(i);
      expect(core.committed.period).toBe(V + 3);
      expect(net.servers[i]!.store.paymentOutcome(txidOf(accepted))).toBeNull();
      const status = core.paymentStatus(txidOf(accepted), net.now);
      expect(status).toEqual({ status: Status.OK, state: PaymentState.UNKNOWN, period: V + 3 });
      expect(net.balances(i)).toEqual(before);
      expect(core.ledger.supply()).toBe(net.network.supply);
      expect(archive(net, i).map((record) => record.certificate.period)).not.toContain(V);
    }
  });
});

describe('§8.3/§6.6 VOID by re-validation', () => {
  test('a payment the alpha ACCEPTED on a stale committed state is skipped when its batch is re-validated: VOID k on every server', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 1, 200);
    // Wallet 1 holds 2000. It pays 1500 in P+1 (server 1's period) ...
    const first = net.payment(1, 3, 1_500);
    expect(net.pay(1, first).status).toBe(Status.ACCEPTED);
    // ... and P+1's PROPOSAL is late, so when it pays 1000 in P+2 (server 2's period) the
    // committed state still shows 2000, and server 2 accepts.
    let held: Extract<PeerMessage, { type: 'proposal' }> | null = null;
    net.intercept = (_from, _to, message) => {
      if (message.type !== 'proposal' || message.period !== P + 1) return message;
      held = message;
      return null;
    };
    net.advanceToPeriod(P + 2, 100);
    expect(net.core(2).committed.period).toBe(P);
    const second = net.payment(1, 2, 1_000);
    expect(net.pay(2, second)).toMatchObject({ status: Status.ACCEPTED, period: P + 2 });
    expect(held).not.toBeNull();
    net.intercept = null;
    net.inject(1, 0, held!);
    net.inject(1, 2, held!);
    for (let i = 0; i < 3; i++) expect(net.core(i).committed.period).toBe(P + 1);
    // Still in server 2's open batch: PENDING (§6.6), though it will not apply.
    expect(net.core(2).paymentStatus(txidOf(second), net.now)).toEqual({ status: Status.OK, state: PaymentState.PENDING, period: P + 2 });
    net.advanceToPeriod(P + 3, 500);
    for (let i = 0; i < 3; i++) {
      const core = net.core(i);
      expect(core.committed.period).toBe(P + 2);
      expect(archive(net, i).find((record) => record.certificate.period === P + 2)!.transactions.length).toBe(140); // in the batch ...
      expect(net.servers[i]!.store.paymentOutcome(txidOf(second))).toEqual({ period: P + 2, applied: false }); // ... but skipped
      expect(core.paymentStatus(txidOf(second), net.now)).toEqual({ status: Status.OK, state: PaymentState.VOID, period: P + 2 });
      expect(core.paymentStatus(txidOf(first), net.now)).toEqual({ status: Status.OK, state: PaymentState.COMMITTED, period: P + 1 });
      expect(net.balances(i)).toEqual([1_000, 500, 3_000, 5_500]);
      expect(core.ledger.supply()).toBe(net.network.supply);
    }
  });
});
