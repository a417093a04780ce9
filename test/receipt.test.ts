// src/receipt.ts: a receipt anyone checks offline (PROTOCOL §6.14). A valid receipt of each
// form of payment; every kind of forgery refused with its own code; a network whose servers
// changed (the chain the receipt carries, and a --chain that takes its place); the JSON form
// strictly, both ways; and a hostile catalogue.

import { describe, expect, test } from 'bun:test';
import { equal, toHex } from '../src/bytes.ts';
import { encodeReply, Kind, PaymentState, Status } from '../src/client/codec.ts';
import { type Change, changeSigningMessage, type CommittedChange, genesisConfiguration } from '../src/consensus/configuration.ts';
import { type ErrorCode, isScrypError } from '../src/errors.ts';
import type { Network } from '../src/network.ts';
import { checkReceipt, chainBefore, configurationInForce, formatReceipt, parseReceipt, type Receipt, receiptJson } from '../src/receipt.ts';
import type { Signer } from '../src/signature.ts';
import { signPayment, txidOf } from '../src/transaction.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network, servers, wallets } = testNetwork({ servers: 3 });
const payer = wallets[0]!;
const payee = testSigner('receipt payee');
const period = 1_800_000_123;
const stampedIn = (p: number) => p * network.periodMs + 17;

const paymentOf = (reference?: bigint, at = period) => signPayment(payer, network.id, { timestamp: stampedIn(at), amount: 42, payee: payee.publicKey, ...(reference === undefined ? {} : { reference }) });

function statusReply(server: Signer, tx: Uint8Array, fields: { state?: number; period?: number; txid?: Uint8Array; status?: number; networkId?: Uint8Array; requestId?: number } = {}): Uint8Array {
  const status = fields.status ?? Status.OK;
  const body = status === Status.OK ? { txid: fields.txid ?? txidOf(tx), state: (fields.state ?? PaymentState.COMMITTED) as 0 | 1 | 2 | 3, period: fields.period ?? period } : null;
  return encodeReply(Kind.STATUS, fields.requestId ?? 7, status as 0, body, server, fields.networkId ?? network.id);
}

function receiptOf(tx: Uint8Array, replies: Uint8Array[], chain: CommittedChange[] = []): Receipt {
  return { network: network.id, tx, replies, chain };
}

const valid = receiptOf(paymentOf(2_026_000_123n), [statusReply(servers[0]!, paymentOf(2_026_000_123n)), statusReply(servers[2]!, paymentOf(2_026_000_123n))]);

describe('a valid receipt', () => {
  test('a payment with a reference, vouched for by servers 0 and 2 (a quorum of 2 of 3): what it proves', () => {
    const checked = checkReceipt(network, valid);
    expect(checked.period).toBe(period);
    expect(checked.amount).toBe(42);
    expect(checked.reference).toBe(2_026_000_123n);
    expect(equal(checked.payer, payer.publicKey) && equal(checked.payee, payee.publicKey)).toBe(true);
    expect(checked.servers).toEqual([0, 2]);
    expect([checked.configuration.number, checked.configuration.quorum]).toEqual([0, 2]);
  });

  test('a 140-byte payment, all three servers, in any order of replies', () => {
    const tx = paymentOf();
    const checked = checkReceipt(network, receiptOf(tx, [2, 0, 1].map((i) => statusReply(servers[i]!, tx))));
    expect(checked.reference).toBe(null);
    expect(checked.servers).toEqual([0, 1, 2]);
  });

  test('the JSON form round-trips, fields in the order of §6.14, and a parsed receipt checks the same', () => {
    const text = formatReceipt(valid);
    expect(Object.keys(JSON.parse(text))).toEqual(['network', 'tx', 'replies']);
    const parsed = parseReceipt(JSON.parse(text));
    expect(formatReceipt(parsed)).toBe(text);
    expect(checkReceipt(network, parsed).txid).toEqual(txidOf(valid.tx));
  });
});

describe('every kind of forgery, each with its code', () => {
  const tx = valid.tx;
  const other = testNetwork({ servers: 3, name: 'othernet' });
  const forgeries: [string, () => Receipt, ErrorCode][] = [
    ['a receipt of another network', () => ({ ...valid, network: other.network.id }), 'RECEIPT_OTHER_NETWORK'],
    ['the payment altered (the amount)', () => {
      const altered = tx.slice();
      altered[11] = 99;
      return { ...valid, tx: altered };
    }, 'RECEIPT_BAD_PAYMENT_SIGNATURE'],
    ['the reference changed after signing', () => {
      const altered = tx.slice();
      altered[83]! ^= 1;
      return { ...valid, tx: altered };
    }, 'RECEIPT_BAD_PAYMENT_SIGNATURE'],
    ['a reply of another network (signed by the same key)', () => receiptOf(tx, [statusReply(servers[0]!, tx), statusReply(servers[2]!, tx, { networkId: other.network.id })]), 'RECEIPT_REPLY_SIGNATURE'],
    ['a reply altered (its period)', () => {
      const altered = statusReply(servers[2]!, tx);
      altered[9 + 32 + 1 + 7]! ^= 1;
      return receiptOf(tx, [statusReply(servers[0]!, tx), altered]);
    }, 'RECEIPT_REPLY_SIGNATURE'],
    ['a reply about another payment', () => receiptOf(tx, [statusReply(servers[0]!, tx), statusReply(servers[2]!, tx, { txid: txidOf(paymentOf()) })]), 'RECEIPT_WRONG_PAYMENT'],
    ['a reply that says pending', () => receiptOf(tx, [statusReply(servers[0]!, tx), statusReply(servers[2]!, tx, { state: PaymentState.PENDING })]), 'RECEIPT_NOT_COMMITTED'],
    ['a reply that says void', () => receiptOf(tx, [statusReply(servers[0]!, tx, { state: PaymentState.VOID }), statusReply(servers[2]!, tx)]), 'RECEIPT_NOT_COMMITTED'],
    ['a reply UNAVAILABLE', () => receiptOf(tx, [statusReply(servers[0]!, tx), statusReply(servers[2]!, tx, { status: Status.UNAVAILABLE })]), 'RECEIPT_NOT_COMMITTED'],
    ['replies naming two periods', () => receiptOf(tx, [statusReply(servers[0]!, tx), statusReply(servers[2]!, tx, { period: period + 1 })]), 'RECEIPT_PERIODS_DISAGREE'],
    ['replies agreeing on a period the payment is not stamped in', () => receiptOf(tx, [0, 2].map((i) => statusReply(servers[i]!, tx, { period: period + 3 }))), 'RECEIPT_PERIODS_DISAGREE'],
    ['a reply signed by a key that is no server of the network', () => receiptOf(tx, [statusReply(servers[0]!, tx), statusReply(testSigner('not a server'), tx)]), 'RECEIPT_UNKNOWN_SERVER'],
    ['one server only', () => receiptOf(tx, [statusReply(servers[1]!, tx)]), 'RECEIPT_TOO_FEW'],
    ['one server twice (two replies of one key are one server)', () => receiptOf(tx, [statusReply(servers[1]!, tx, { requestId: 1 }), statusReply(servers[1]!, tx, { requestId: 2 })]), 'RECEIPT_TOO_FEW'],
    ['a reply to another kind of request', () => receiptOf(tx, [statusReply(servers[0]!, tx), encodeReply(Kind.INFO, 1, Status.BAD_REQUEST, null, servers[2]!, network.id)]), 'RECEIPT_MALFORMED'],
  ];
  for (const [name, forge, code] of forgeries) {
    test(`${name}: ${code}`, () => expect(codeOf(() => checkReceipt(network, forge()))).toBe(code));
  }

  test('malformed files: RECEIPT_MALFORMED, whatever is wrong with them', () => {
    const good = JSON.parse(formatReceipt(valid)) as Record<string, unknown>;
    const cases: unknown[] = [
      null,
      [],
      'a string',
      { ...good, extra: 1 },
      { tx: good.tx, replies: good.replies },
      { ...good, network: 'ab' },
      { ...good, network: (good.network as string).toUpperCase() },
      { ...good, tx: `${good.tx as string}00` },
      { ...good, tx: 7 },
      { ...good, replies: [] },
      { ...good, replies: 'ab' },
      { ...good, replies: [...(good.replies as string[]), 'zz'] },
      { ...good, replies: [(good.replies as string[])[0]!.slice(0, 100)] },
      { ...good, replies: Array(65).fill((good.replies as string[])[0]) },
      { ...good, chain: [] },
      { ...good, chain: [{ carrier: 1 }] },
      { ...good, chain: 'x' },
    ];
    for (const [i, value] of cases.entries()) {
      const code = codeOf(() => checkReceipt(network, parseReceipt(value)));
      expect([i, code]).toEqual([i, 'RECEIPT_MALFORMED']);
    }
  });
});

describe('a network whose servers changed (PROTOCOL §8.13)', () => {
  // The test network grows from 3 to 5 servers: a change signed by servers 0 and 2, carried
  // in period 10 (as golden.json's "configuration change" vector), in force from period 14.
  const newcomers = [testSigner('server 3'), testSigner('server 4')];
  const zero = genesisConfiguration(network);
  const body = {
    replaces: 0,
    replacesHash: zero.hash,
    first: 0,
    servers: [...network.servers.map((server) => ({ key: server.key, address: server.address })), ...newcomers.map((signer, i) => ({ key: signer.publicKey, address: { host: '127.0.0.1', port: 5003 + i } }))],
  };
  const message = changeSigningMessage(network.id, body);
  const change: Change = { ...body, signatures: [0, 2].map((signer) => ({ signer, signature: servers[signer]!.sign(message) })) };
  const chain: CommittedChange[] = [{ carrier: 10, change }];
  const after = 20;
  const tx = paymentOf(7n, after);
  const vouching = [newcomers[0]!, newcomers[1]!, servers[1]!].map((signer) => statusReply(signer, tx, { period: after }));

  test('the configuration in force for a period: the network file\'s before the change takes effect, the new one after', () => {
    expect(configurationInForce(network, chain, 12).number).toBe(0);
    const inForce = configurationInForce(network, chain, after);
    expect([inForce.number, inForce.servers.length, inForce.quorum]).toEqual([1, 5, 3]);
    expect(chainBefore(chain, 10)).toEqual([]);
    expect(chainBefore(chain, 11)).toEqual(chain);
  });

  test('a receipt that carries the chain checks with the network file alone; without it, the newcomers are unknown', () => {
    const withChain = receiptOf(tx, vouching, chain);
    const checked = checkReceipt(network, withChain);
    expect([checked.configuration.number, checked.servers]).toEqual([1, [1, 3, 4]]);
    expect(Object.keys(receiptJson(withChain))).toEqual(['network', 'tx', 'replies', 'chain']);
    expect(checkReceipt(network, parseReceipt(JSON.parse(formatReceipt(withChain)))).servers).toEqual([1, 3, 4]);
    expect(codeOf(() => checkReceipt(network, receiptOf(tx, vouching)))).toBe('RECEIPT_UNKNOWN_SERVER');
  });

  test('--chain takes the place of the receipt\'s own: a chain that leaves the change out cannot make old servers enough', () => {
    // Two of the original servers would be a quorum of configuration 0, not of configuration 1 (3 of 5).
    const old = receiptOf(tx, [0, 1].map((i) => statusReply(servers[i]!, tx, { period: after })));
    expect(checkReceipt(network, old).configuration.number).toBe(0);
    expect(codeOf(() => checkReceipt(network, old, chain))).toBe('RECEIPT_TOO_FEW');
    expect(checkReceipt(network, receiptOf(tx, vouching), chain).configuration.number).toBe(1);
  });

  test('a chain that does not follow from the network file is refused (CHANGE_CHAIN)', () => {
    const forged: Change = { ...change, signatures: [{ signer: 0, signature: servers[0]!.sign(message) }, { signer: 1, signature: testSigner('not a server').sign(message) }] };
    expect(codeOf(() => checkReceipt(network, receiptOf(tx, vouching, [{ carrier: 10, change: forged }])))).toBe('CHANGE_CHAIN');
  });
});

describe('hostile input: a ScrypError, never anything else', () => {
  test('parseReceipt and checkReceipt with values of every kind in every field', () => {
    const values: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 64, '', 'zz', '00'.repeat(33), [], [null], {}, Object.create(null), true, { length: 3 }];
    const good = JSON.parse(formatReceipt(valid)) as Record<string, unknown>;
    const problems: string[] = [];
    for (const field of ['network', 'tx', 'replies', 'chain']) {
      for (const value of values) {
        try {
          checkReceipt(network, parseReceipt({ ...good, [field]: value }));
        } catch (error) {
          if (!isScrypError(error)) problems.push(`${field} = ${String(value)}: ${String(error)}`);
        }
      }
    }
    for (const value of values) {
      try {
        parseReceipt(value);
      } catch (error) {
        if (!isScrypError(error)) problems.push(`receipt = ${String(value)}: ${String(error)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('a checked receipt names the network it was checked with', () => {
    const network2: Network = testNetwork({ servers: 3, name: 'elsewhere' }).network;
    expect(codeOf(() => checkReceipt(network2, valid))).toBe('RECEIPT_OTHER_NETWORK');
    expect(toHex(valid.network)).toBe(toHex(network.id));
  });
});
