// src/client/history.ts: how one page of an account's history is put together from what
// each server lists (mergeHistory, pure), the CSV a bookkeeper reads, and accountHistory
// against scripted servers on loopback (real UDP, real signed replies): one that lies, one
// that signs for another account, one that pages forever.

import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { decodeAddress, encodeAddress } from '../src/address.ts';
import { equal, toHex } from '../src/bytes.ts';
import { decodeRequest, encodeReply, historyPageThatFits, Kind, type ListedPayment, replyBytes, historyBodyBytes, Status } from '../src/client/codec.ts';
import {
  accountHistory,
  history_csv_header,
  historyCsv,
  type HistoryEntry,
  isoTime,
  majorityCommitted,
  mergeHistory,
  type ServerHistory,
} from '../src/client/history.ts';
import { UdpClient } from '../src/client/udp-client.ts';
import { parseNetwork } from '../src/network.ts';
import type { Signer } from '../src/signature.ts';
import { amountOf, payerOf, signPayment, txidOf } from '../src/transaction.ts';
import { testNetwork } from './helpers/keys.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const { network, servers, wallets } = testNetwork({
  servers: 3,
  wallets: [
    { label: 'history alice', balance: 1_000 },
    { label: 'history bob', balance: 1_000 },
    { label: 'history carol', balance: 1_000 },
  ],
});
const [alice, bob, carol] = wallets as [Signer, Signer, Signer];
const P = 1_800_000_000;

function payment(payer: Signer, payee: Signer, amount: number, period: number, offset = 1, reference?: bigint): Uint8Array {
  return signPayment(payer, network.id, { timestamp: period * network.periodMs + offset, amount, payee: payee.publicKey, ...(reference === undefined ? {} : { reference }) });
}

const listed = (period: number, index: number, transaction: Uint8Array, applied = true): ListedPayment => ({ period, index, applied, transaction });

/** Alice's true history, newest first: 10 payments over periods P+1..P+4. */
const truth: ListedPayment[] = [];
for (let period = P + 4; period >= P + 1; period--) {
  const count = period === P + 2 ? 4 : 2;
  for (let index = count - 1; index >= 0; index--) {
    // Odd indexes: Alice pays Bob, with Bob's invoice number as the reference (the 148-byte
    // form); even ones: Carol pays Alice, without one. The newest (P+4, 1) is out.
    const tx = index % 2 === 1 ? payment(alice, bob, 10 + index, period, index + 1, BigInt(period - P) * 1000n + BigInt(index)) : payment(carol, alice, 20 + index, period, index + 1);
    truth.push(listed(period, index, tx, !(period === P + 2 && index === 3)));
  }
}

function history(server: number, entries: readonly ListedPayment[], exhausted: boolean, extra: Partial<ServerHistory> = {}): ServerHistory {
  return { server, committedPeriod: P + 4, archiveFrom: 0, entries, exhausted, ...extra };
}

const positions = (entries: readonly HistoryEntry[]) => entries.map((entry) => `${entry.period - P}:${entry.index}`);

describe('mergeHistory: one page from what each server listed', () => {
  test('three servers list the same bytes: every entry committed, with who listed it; nothing older: next is null', () => {
    const page = mergeHistory(network, alice.publicKey, [0, 1, 2].map((s) => history(s, truth, true)), P + 4, 20);
    expect(page.entries).toHaveLength(truth.length);
    expect(page.entries.every((entry) => entry.agreement === 'committed' && entry.signatureValid)).toBe(true);
    expect(page.entries[0]!.servers).toEqual([0, 1, 2]);
    expect(page.next).toBeNull();
    expect(page.answered).toEqual([0, 1, 2]);
    expect(positions(page.entries)).toEqual(truth.map((entry) => `${entry.period - P}:${entry.index}`));
    // What each entry says, from the payment's own bytes.
    const out = page.entries[0]!;
    expect(out.direction).toBe('out');
    expect(toHex(out.counterparty)).toBe(toHex(bob.publicKey));
    expect(out.amount).toBe(11);
    expect(toHex(out.txid)).toBe(toHex(txidOf(truth[0]!.transaction)));
    const incoming = page.entries[1]!;
    expect([incoming.direction, toHex(incoming.counterparty), incoming.amount]).toEqual(['in', toHex(carol.publicKey), 20]);
    expect(page.entries.find((entry) => entry.period === P + 2 && entry.index === 3)!.applied).toBe(false);
  });

  test('servers that stopped at the limit: the page ends where every list is complete, next points there', () => {
    // Each server listed its first 5; the page is those 5 and next is the 5th.
    const page = mergeHistory(network, alice.publicKey, [0, 1, 2].map((s) => history(s, truth.slice(0, 5), false)), P + 4, 5);
    expect(page.entries).toHaveLength(5);
    expect(page.next).toEqual({ period: truth[4]!.period, index: truth[4]!.index });
    expect(page.entries.every((entry) => entry.agreement === 'committed')).toBe(true);
  });

  test('a server that listed less far than the others does not make older entries disputed: the page stops at its last', () => {
    const page = mergeHistory(network, alice.publicKey, [history(0, truth, true), history(1, truth, true), history(2, truth.slice(0, 3), false)], P + 4, 20);
    expect(page.entries).toHaveLength(3);
    expect(page.entries.every((entry) => entry.agreement === 'committed')).toBe(true);
    expect(page.next).toEqual({ period: truth[2]!.period, index: truth[2]!.index });
  });

  test('a lying server: its changed entry is disputed (listed by it alone), the true one committed by the other two', () => {
    const lie = truth.map((entry, i) => (i === 2 ? { ...entry, applied: !entry.applied } : entry));
    const page = mergeHistory(network, alice.publicKey, [history(0, truth, true), history(1, lie, true), history(2, truth, true)], P + 4, 20);
    const atTwo = page.entries.filter((entry) => entry.period === truth[2]!.period && entry.index === truth[2]!.index);
    expect(atTwo.map((entry) => [entry.agreement, entry.applied, entry.servers])).toEqual([
      ['committed', truth[2]!.applied, [0, 2]],
      ['disputed', !truth[2]!.applied, [1]],
    ]);
    expect(page.entries.filter((entry) => entry.agreement === 'disputed')).toHaveLength(1);
  });

  test('a payment with a bad payer signature is flagged (signatureValid false), even when a majority lists it', () => {
    const forged = truth[0]!.transaction.slice();
    forged[100]! ^= 1;
    const bad = [listed(truth[0]!.period, truth[0]!.index, forged), ...truth.slice(1)];
    const page = mergeHistory(network, alice.publicKey, [0, 1, 2].map((s) => history(s, bad, true)), P + 4, 20);
    expect(page.entries[0]!.agreement).toBe('committed');
    expect(page.entries[0]!.signatureValid).toBe(false);
    expect(page.entries.slice(1).every((entry) => entry.signatureValid)).toBe(true);
  });

  test('entries past the majority\'s committed period wait for the next refresh (not disputed)', () => {
    const ahead = [listed(P + 5, 0, payment(alice, bob, 5, P + 5)), ...truth];
    const page = mergeHistory(network, alice.publicKey, [history(0, ahead, true, { committedPeriod: P + 5 }), history(1, truth, true), history(2, truth, true)], P + 4, 20);
    expect(page.entries).toHaveLength(truth.length);
    expect(page.entries.every((entry) => entry.agreement === 'committed')).toBe(true);
    expect(majorityCommitted(network, [P + 5, P + 4, P + 4])).toBe(P + 4);
    expect(majorityCommitted(network, [P + 5, P + 5, P + 4])).toBe(P + 5);
    expect(majorityCommitted(network, [P + 5])).toBe(P + 5);
    expect(majorityCommitted(network, [])).toBe(0);
  });

  test('one server answering is no majority: its entries are disputed', () => {
    const page = mergeHistory(network, alice.publicKey, [history(1, truth, true)], P + 4, 20);
    expect(page.entries.every((entry) => entry.agreement === 'disputed' && entry.servers.join() === '1')).toBe(true);
    expect(page.answered).toEqual([1]);
  });

  test('a server that stopped answering before listing anything covers nothing; archiveFrom is the largest', () => {
    const page = mergeHistory(network, alice.publicKey, [history(0, truth, true), history(1, truth, true, { archiveFrom: P + 1 }), history(2, [], false)], P + 4, 20);
    expect(page.answered).toEqual([0, 1]);
    expect(page.archiveFrom).toBe(P + 1);
    expect(page.next).toBeNull();
  });

  test('the union is cut at the limit and next is the last entry kept', () => {
    const page = mergeHistory(network, alice.publicKey, [0, 1, 2].map((s) => history(s, truth, true)), P + 4, 4);
    expect(page.entries).toHaveLength(4);
    expect(page.next).toEqual({ period: truth[3]!.period, index: truth[3]!.index });
  });
});

describe('historyCsv: the columns a bookkeeper expects (RFC 4180)', () => {
  const page = mergeHistory(network, alice.publicKey, [history(0, truth, true), history(1, truth, true), history(2, truth, true)], P + 4, 20);

  test('a header, one CRLF-ended row per entry; time, period, direction, address, signed amount, txid, outcome, period end, reference', () => {
    const csv = historyCsv(alice.publicKey, page.entries, network.periodMs);
    const lines = csv.split('\r\n');
    expect(lines.pop()).toBe(''); // the last line ends with CRLF too
    expect(lines[0]).toBe(history_csv_header);
    expect(lines).toHaveLength(1 + truth.length);
    expect(history_csv_header).toBe('time,period,direction,counterparty,amount,txid,outcome,period_end,reference');
    const [time, period, direction, counterparty, amount, txid, outcome, periodEnd, reference] = lines[1]!.split(',');
    expect(time).toBe(new Date(truth[0]!.period * network.periodMs + 2).toISOString());
    expect(Number(period)).toBe(P + 4);
    expect(direction).toBe('out');
    expect(toHex(decodeAddress(counterparty!))).toBe(toHex(bob.publicKey));
    expect(amount).toBe('-11');
    expect(txid).toBe(toHex(txidOf(truth[0]!.transaction)));
    expect(outcome).toBe('committed');
    expect(periodEnd).toBe(new Date((P + 5) * network.periodMs).toISOString());
    expect(reference).toBe('4001'); // Bob's invoice, signed by Alice with the payment
    expect(page.entries[0]!.reference).toBe(4001n);
    expect(lines[2]!.split(',').slice(2, 5)).toEqual(['in', encodeAddress(carol.publicKey), '20']);
    expect(lines[2]!.split(',')[8]).toBe(''); // Carol's payment has no reference
    expect(page.entries[1]!.reference).toBe(null);
    // The skipped payment is void: listed, but no money moved.
    const voidRow = lines.find((line) => line.endsWith(`,void,${new Date((P + 3) * network.periodMs).toISOString()},2003`));
    expect(voidRow).toBeDefined();
    // Summing the committed rows gives the account's change in balance.
    const sum = lines.slice(1).reduce((total, line) => {
      const fields = line.split(',');
      return fields[6] === 'committed' ? total + Number(fields[4]) : total;
    }, 0);
    const expected = truth.reduce((total, entry) => {
      if (!entry.applied) return total;
      const amount = amountOf(entry.transaction);
      return equal(payerOf(entry.transaction), alice.publicKey) ? total - amount : total + amount;
    }, 0);
    expect(expected).toBe(58); // periods P+4, P+3, P+1: +20 −11 each; P+2: +20 −11 +22 (its −13 is void)
    expect(sum).toBe(expected);
  });

  test('disputed and badly signed entries say disputed; fields with a comma or quote would be quoted', () => {
    const disputed = mergeHistory(network, alice.publicKey, [history(0, truth, true)], P + 4, 20);
    const csv = historyCsv(alice.publicKey, disputed.entries, network.periodMs);
    expect(csv.split('\r\n').slice(1, -1).every((line) => line.split(',')[6] === 'disputed')).toBe(true);
    // No field of ours holds a comma today; the quoting is RFC 4180's all the same.
    expect(isoTime(8.64e15 + 1)).toBe('8640000000000001');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  test('no entries: the header alone', () => {
    expect(historyCsv(alice.publicKey, [], network.periodMs)).toBe(`${history_csv_header}\r\n`);
  });
});

// ---- accountHistory against scripted servers ----------------------------------------------

type Script = (request: { beforePeriod: number; beforeIndex: number; account: Uint8Array; length: number }) => { status: number; entries: ListedPayment[]; committedPeriod?: number; archiveFrom?: number; account?: Uint8Array } | null;

/** UDP servers on loopback that answer HISTORY as scripted, signed with the test servers' keys. */
async function scriptedNetwork(scripts: Script[]) {
  const sockets = await Promise.all(
    scripts.map((script, index) =>
      Bun.udpSocket({
        hostname: '127.0.0.1',
        binaryType: 'uint8array',
        socket: {
          data(socket, data, port, address) {
            const request = decodeRequest(data);
            if (request.kind !== Kind.HISTORY) return;
            const answer = script(request);
            if (answer === null) return;
            const body = {
              account: answer.account ?? request.account,
              committedPeriod: answer.committedPeriod ?? P + 4,
              archiveFrom: answer.archiveFrom ?? 0,
              entries: historyPageThatFits(answer.entries, request.length), // as the node does: 153- and 161-byte entries
            };
            const full = encodeReply(Kind.HISTORY, request.requestId, answer.status as 0, body, servers[index]!, network.id);
            const reply = full.length <= data.length ? full : encodeReply(Kind.HISTORY, request.requestId, Status.TOO_SHORT, { needed: full.length }, servers[index]!, network.id);
            socket.send(reply, port, address);
          },
        },
      }),
    ),
  );
  const scripted = parseNetwork({
    name: 'testnet',
    period_ms: network.periodMs,
    blackout_ms: network.blackoutMs,
    skew_ms: network.skewMs,
    servers: servers.map((signer, i) => ({ key: toHex(signer.publicKey), ip: `127.0.0.1:${sockets[i]!.port}` })),
    genesis: wallets.map((wallet) => ({ account: toHex(wallet.publicKey), balance: 1_000 })),
  });
  expect(toHex(scripted.id)).toBe(toHex(network.id)); // addresses are not part of the id
  return { network: scripted, close: () => sockets.forEach((socket) => socket.close()) };
}

/** An honest server: the entries of `list` strictly older than the cursor. */
const honest =
  (list: readonly ListedPayment[]): Script =>
  (request) => ({
    status: Status.OK,
    entries: list.filter((entry) => request.beforePeriod === 0 || entry.period < request.beforePeriod || (entry.period === request.beforePeriod && entry.index < request.beforeIndex)),
  });

const clients: UdpClient[] = [];
afterAll(() => clients.forEach((client) => client.close()));
async function client(): Promise<UdpClient> {
  const opened = await UdpClient.open();
  clients.push(opened);
  return opened;
}

describe('accountHistory over UDP (scripted servers)', () => {
  test('pages each server 7 at a time and returns the limit, with next; the next call goes on from it', async () => {
    const asked: number[][] = [[], [], []];
    const scripts = [0, 1, 2].map((s): Script => (request) => {
      asked[s]!.push(request.length);
      return honest(truth)(request);
    });
    const scripted = await scriptedNetwork(scripts);
    try {
      const udp = await client();
      const first = await accountHistory(udp, scripted.network, alice.publicKey, { limit: 8 });
      expect(positions(first.entries)).toEqual(truth.slice(0, 8).map((entry) => `${entry.period - P}:${entry.index}`));
      expect(first.entries.every((entry) => entry.agreement === 'committed' && entry.signatureValid)).toBe(true);
      expect(first.next).toEqual({ period: truth[7]!.period, index: truth[7]!.index });
      expect(first.committedPeriod).toBe(P + 4);
      // Two pages per server (7 + 1); every request padded so that 7 fit.
      expect(asked.map((lengths) => lengths.length)).toEqual([2, 2, 2]);
      expect(asked.flat().every((length) => length === replyBytes(historyBodyBytes(7)))).toBe(true);
      const second = await accountHistory(udp, scripted.network, alice.publicKey, { limit: 8, before: first.next! });
      expect(positions(second.entries)).toEqual(truth.slice(8).map((entry) => `${entry.period - P}:${entry.index}`));
      expect(second.next).toBeNull();
    } finally {
      scripted.close();
    }
  });

  test('a lying server and a silent one: the truth is committed by the two others... and with one honest answer, disputed', async () => {
    const lie = truth.map((entry, i) => (i === 1 ? listed(entry.period, entry.index, payment(carol, alice, 999, entry.period, 2)) : entry));
    const scripted = await scriptedNetwork([honest(truth), honest(lie), honest(truth)]);
    try {
      const page = await accountHistory(await client(), scripted.network, alice.publicKey, { limit: 20 });
      const disputed = page.entries.filter((entry) => entry.agreement === 'disputed');
      expect(disputed.map((entry) => [entry.amount, entry.servers])).toEqual([[999, [1]]]);
      expect(page.entries.filter((entry) => entry.agreement === 'committed')).toHaveLength(truth.length);
    } finally {
      scripted.close();
    }
    const silent = await scriptedNetwork([honest(truth), () => null, honest(lie)]);
    try {
      const page = await accountHistory(await client(), silent.network, alice.publicKey, { limit: 20 });
      expect(page.answered).toEqual([0, 2]);
      expect(page.entries.find((entry) => entry.amount === 999)!.agreement).toBe('disputed');
      expect(page.entries.filter((entry) => entry.agreement === 'committed')).toHaveLength(truth.length - 1);
    } finally {
      silent.close();
    }
  });

  test('an answer for another account, UNAVAILABLE, and a reply the codec refuses do not count', async () => {
    const scripted = await scriptedNetwork([
      honest(truth),
      (request) => ({ ...honest(truth)(request)!, account: bob.publicKey }),
      () => ({ status: Status.UNAVAILABLE, entries: [] }),
    ]);
    try {
      const page = await accountHistory(await client(), scripted.network, alice.publicKey, { limit: 5 });
      expect(page.answered).toEqual([0]);
      expect(page.entries.every((entry) => entry.agreement === 'disputed')).toBe(true);
    } finally {
      scripted.close();
    }
  });

  test('a payment whose payer signature does not verify, listed by every server: committed by count, flagged signatureValid false', async () => {
    const forged = truth.map((entry, i) => {
      if (i !== 0) return entry;
      const transaction = entry.transaction.slice();
      transaction[139]! ^= 0x40; // the last byte of the signature
      return listed(entry.period, entry.index, transaction, entry.applied);
    });
    const scripted = await scriptedNetwork([honest(forged), honest(forged), honest(forged)]);
    try {
      const page = await accountHistory(await client(), scripted.network, alice.publicKey, { limit: 3 });
      expect(page.entries.map((entry) => [entry.agreement, entry.signatureValid])).toEqual([
        ['committed', false],
        ['committed', true],
        ['committed', true],
      ]);
      expect(historyCsv(alice.publicKey, page.entries, network.periodMs).split('\r\n')[1]!.split(',')[6]).toBe('disputed');
    } finally {
      scripted.close();
    }
  });

  test('a limit outside 1..10000 is refused before anything is sent', async () => {
    const udp = await client();
    for (const limit of [0, -1, 1.5, 10_001]) {
      await expect(accountHistory(udp, network, alice.publicKey, { limit })).rejects.toThrow('OUT_OF_RANGE');
    }
  });
});
