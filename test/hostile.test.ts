// A hostile-type catalogue, in the manner of noble's: every public function that takes
// outside input is fed every value below, and must either return normally or throw a
// ScrypError. A TypeError, RangeError or anything else is a bug in the function.

import { describe, expect, test } from 'bun:test';
import { abytes, aint, fromHex } from '../src/bytes.ts';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, Kind, peekRequest, Status } from '../src/client/codec.ts';
import { isScrypError } from '../src/errors.ts';
import { pack, parseAddress, unpack } from '../src/ip.ts';
import { parseNetwork } from '../src/network.ts';
import { FrameDecoder, type RawMessage } from '../src/peer/framing.ts';
import { decodeMessage, encodeMessage, isKnownKind } from '../src/peer/messages.ts';
import { parseSeed } from '../src/seed.ts';
import { verify } from '../src/signature.ts';
import { areference, decodeTransaction, encodeTransaction, signPayment } from '../src/transaction.ts';
import { paymentCount, paymentsIn } from '../src/payment-list.ts';
import { parsePaymentRequest } from '../src/payment-request.ts';
import { serverIndexOf } from '../src/network.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network, servers } = testNetwork();
const wallet = testSigner('hostile wallet');

class Bytes extends Uint8Array {}
class MyBuffer extends Buffer {}
/** A Buffer subclass instance viewing part of `buffer` (without Buffer's deprecated constructor). */
const myBuffer = (buffer: ArrayBuffer, offset: number, length: number): Uint8Array => Object.setPrototypeOf(Buffer.from(buffer, offset, length), MyBuffer.prototype);

/** A view at an odd offset into a larger buffer, holding `content`. */
function offsetView(content: Uint8Array, make: (buffer: ArrayBuffer, offset: number, length: number) => Uint8Array = (b, o, l) => new Uint8Array(b, o, l)): Uint8Array {
  const backing = new ArrayBuffer(content.length + 19);
  new Uint8Array(backing).fill(0xa5);
  const out = make(backing, 13, content.length);
  out.set(content);
  return out;
}

const validTransaction = signPayment(wallet, network.id, { timestamp: 1_700_000_000_000, amount: 5, payee: servers[0]!.publicKey });
const validReferencedTransaction = signPayment(wallet, network.id, { timestamp: 1_700_000_000_000, amount: 5, payee: servers[0]!.publicKey, reference: 2n ** 64n - 1n });
const validRequest = encodeRequest({ kind: Kind.PAY, requestId: 1, transaction: validTransaction, length: 200 });
const validReply = encodeReply(Kind.WHOAMI, 1, Status.OK, { address: Uint8Array.of(127, 0, 0, 1, 0x0f, 0xa1) }, servers[0]!, network.id);
const validMessage = encodeMessage({ type: 'sync_request', after: 5 });

/** Every hostile value, with a label for the failure report. */
const hostile: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['true', true],
  ['false', false],
  ['0', 0],
  ['-0', -0],
  ['1', 1],
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['2**53', 2 ** 53],
  ['2**53 - 1', 2 ** 53 - 1],
  ['2**32', 2 ** 32],
  ['MAX_VALUE', Number.MAX_VALUE],
  ['0n', 0n],
  ['1n', 1n],
  ['2n**64n', 2n ** 64n],
  ['-1n', -1n],
  ["''", ''],
  ["'a'", 'a'],
  ["'00'", '00'],
  ["'0x00'", '0x00'],
  ['64 hex', 'ab'.repeat(32)],
  ['64 hex + newline', `${'ab'.repeat(32)}\n`],
  ['64 HEX', 'AB'.repeat(32)],
  ['280 hex (a transaction)', Buffer.from(validTransaction).toString('hex')],
  ["'1.2.3.4:5'", '1.2.3.4:5'],
  ["'__proto__'", '__proto__'],
  ["'constructor'", 'constructor'],
  ["'toString'", 'toString'],
  ['a long string', 'x'.repeat(100_000)],
  ['a lone surrogate', '\ud800'],
  ['symbol', Symbol('hostile')],
  ['function', () => 1],
  ['class', Bytes],
  ['Date', new Date(0)],
  ['Map', new Map([[1, 2]])],
  ['Promise', Promise.resolve(1)],
  ['[]', []],
  ['[0]', [0]],
  ['[1, 2, 3]', [1, 2, 3]],
  ['array of 140 zeros', Array(140).fill(0)],
  ['array of 200 request bytes', Array.from(validRequest)],
  ['sparse array', [, , ,]],
  ['{}', {}],
  ['{ length: 140 }', { length: 140 }],
  ['{ length: -1 }', { length: -1 }],
  ['{ length: 2**53 }', { length: 2 ** 53 }],
  ['Object.create(null)', Object.create(null)],
  ['{ kind, payload } of a valid message', validMessage],
  ['{ toString } returning hex', { toString: () => 'ab'.repeat(32) }],
  ['Uint8Array(0)', new Uint8Array(0)],
  ['Uint8Array(1)', new Uint8Array(1)],
  ['Uint8Array(5)', new Uint8Array(5)],
  ['Uint8Array(6)', new Uint8Array(6)],
  ['Uint8Array(6) all ones', new Uint8Array(6).fill(0xff)],
  ['Uint8Array(7)', new Uint8Array(7)],
  ['Uint8Array(31)', new Uint8Array(31)],
  ['Uint8Array(32)', new Uint8Array(32)],
  ['Uint8Array(33)', new Uint8Array(33)],
  ['Uint8Array(64)', new Uint8Array(64)],
  ['Uint8Array(72)', new Uint8Array(72)],
  ['Uint8Array(73)', new Uint8Array(73)],
  ['Uint8Array(127)', new Uint8Array(127)],
  ['Uint8Array(128)', new Uint8Array(128)],
  ['Uint8Array(139)', new Uint8Array(139)],
  ['Uint8Array(140)', new Uint8Array(140)],
  ['Uint8Array(140) all 0xff', new Uint8Array(140).fill(0xff)],
  ['Uint8Array(141)', new Uint8Array(141)],
  ['Uint8Array(148)', new Uint8Array(148)],
  ['Uint8Array(148) all 0xff', new Uint8Array(148).fill(0xff)],
  ['Uint8Array(149) tagged, reference 0', Uint8Array.of(0x02, ...new Uint8Array(148))],
  ['a 148-byte payment with a reference', validReferencedTransaction],
  ['Uint8Array(1232)', new Uint8Array(1232)],
  ['Uint8Array(1233)', new Uint8Array(1233)],
  ['Uint8Array(1 MiB) of 0xff', new Uint8Array(1 << 20).fill(0xff)],
  ['Uint8Array(4 MiB)', new Uint8Array(4 << 20)],
  ['Uint16Array(70)', new Uint16Array(70)],
  ['Uint16Array(100) looking like a request', Uint16Array.from(validRequest.subarray(0, 100))],
  ['Int8Array(140)', new Int8Array(140)],
  ['Uint8ClampedArray(140)', new Uint8ClampedArray(140)],
  ['Float64Array(18)', new Float64Array(18)],
  ['BigUint64Array(18)', new BigUint64Array(18)],
  ['DataView(140)', new DataView(new ArrayBuffer(140))],
  ['ArrayBuffer(140)', new ArrayBuffer(140)],
  ['SharedArrayBuffer(140)', new SharedArrayBuffer(140)],
  ['Uint8Array subclass (140)', new Bytes(140)],
  ['Uint8Array subclass at an offset holding a transaction', offsetView(validTransaction, (b, o, l) => new Bytes(b, o, l))],
  ['Buffer(140)', Buffer.alloc(140)],
  ['Buffer at an offset holding a transaction', offsetView(validTransaction, (b, o, l) => Buffer.from(b, o, l))],
  ['Buffer at an offset holding a request', offsetView(validRequest, (b, o, l) => Buffer.from(b, o, l))],
  ['Buffer at an offset holding a reply', offsetView(validReply, (b, o, l) => Buffer.from(b, o, l))],
  ['Buffer subclass at an offset holding a request', offsetView(validRequest, myBuffer)],
  ['Uint8Array at an offset holding a sync request', offsetView(validMessage.payload)],
  ['a detached-looking zero-length view at the end of a buffer', new Uint8Array(new ArrayBuffer(8), 8, 0)],
];

/** Runs `call` for every hostile value; returns the labels of those that threw something other than a ScrypError. */
function offenders(call: (value: unknown) => unknown): string[] {
  const out: string[] = [];
  for (const [label, value] of hostile) {
    try {
      call(value);
    } catch (error) {
      if (!isScrypError(error)) out.push(`${label}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  return out;
}

describe('hostile input: a ScrypError or a normal return, never anything else', () => {
  test('the catalogue is broad (a guard against an accidentally emptied list)', () => {
    expect(hostile.length).toBeGreaterThan(80);
  });

  describe('ip', () => {
    test('pack(host)', () => expect(offenders((v) => pack(v as string, 4001))).toEqual([]));
    test('pack(port)', () => expect(offenders((v) => pack('10.1.2.3', v as number))).toEqual([]));
    test('unpack', () => expect(offenders((v) => unpack(v as Uint8Array))).toEqual([]));
    test('parseAddress', () => expect(offenders((v) => parseAddress(v))).toEqual([]));
  });

  describe('bytes', () => {
    test('fromHex', () => expect(offenders((v) => fromHex(v, undefined, 'field'))).toEqual([]));
    test('fromHex with a length', () => expect(offenders((v) => fromHex(v, 32, 'field'))).toEqual([]));
    test('abytes', () => expect(offenders((v) => abytes(v, undefined, 'field'))).toEqual([]));
    test('abytes with a length', () => expect(offenders((v) => abytes(v, 32, 'field'))).toEqual([]));
    test('aint', () => expect(offenders((v) => aint(v, 0, 100, 'field'))).toEqual([]));
  });

  describe('seed', () => {
    test('parseSeed', () => expect(offenders((v) => parseSeed(v as string, '.seed'))).toEqual([]));
  });

  describe('network', () => {
    const base = () => ({
      name: 'hostile',
      period_ms: 1000,
      blackout_ms: 100,
      skew_ms: 100,
      servers: [{ key: 'ab'.repeat(32), ip: '10.0.0.1:4001' }],
      genesis: [{ account: 'cd'.repeat(32), balance: 10 }],
    });

    test('parseNetwork(value)', () => expect(offenders((v) => parseNetwork(v))).toEqual([]));

    for (const field of ['name', 'period_ms', 'blackout_ms', 'skew_ms', 'servers', 'genesis']) {
      test(`parseNetwork with ${field} = value`, () => expect(offenders((v) => parseNetwork({ ...base(), [field]: v }))).toEqual([]));
    }
    test('parseNetwork with servers = [value]', () => expect(offenders((v) => parseNetwork({ ...base(), servers: [v] }))).toEqual([]));
    test('parseNetwork with servers[0].key = value', () => expect(offenders((v) => parseNetwork({ ...base(), servers: [{ key: v, ip: '10.0.0.1:4001' }] }))).toEqual([]));
    test('parseNetwork with servers[0].ip = value', () => expect(offenders((v) => parseNetwork({ ...base(), servers: [{ key: 'ab'.repeat(32), ip: v }] }))).toEqual([]));
    test('parseNetwork with genesis = [value]', () => expect(offenders((v) => parseNetwork({ ...base(), genesis: [v] }))).toEqual([]));
    test('parseNetwork with genesis[0].account = value', () => expect(offenders((v) => parseNetwork({ ...base(), genesis: [{ account: v, balance: 1 }] }))).toEqual([]));
    test('parseNetwork with genesis[0].balance = value', () => expect(offenders((v) => parseNetwork({ ...base(), genesis: [{ account: 'cd'.repeat(32), balance: v }] }))).toEqual([]));
    test('parseNetwork with an extra field whose value is hostile', () => expect(offenders((v) => parseNetwork({ ...base(), extra: v }))).toEqual([]));
  });

  describe('transaction', () => {
    test('decodeTransaction', () => expect(offenders((v) => decodeTransaction(v as Uint8Array))).toEqual([]));
    test('encodeTransaction with a hostile reference', () =>
      expect(offenders((v) => encodeTransaction({ ...decodeTransaction(validTransaction), reference: v as bigint }))).toEqual([]));
    test('areference', () => expect(offenders((v) => areference(v, 'reference'))).toEqual([]));
    test('paymentsIn and paymentCount (a payment list)', () => {
      expect(offenders((v) => paymentsIn(v as Uint8Array))).toEqual([]);
      expect(offenders((v) => paymentCount(v as Uint8Array))).toEqual([]);
    });
    test('parsePaymentRequest, and one with a hostile ref=', () => {
      expect(offenders((v) => parsePaymentRequest(v as string))).toEqual([]);
      const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : '');
      expect(offenders((v) => parsePaymentRequest(`scryp:${'ab'.repeat(32)}?amount=1&ref=${text(v)}`))).toEqual([]);
    });
    test('a transaction at an offset decodes to the same payment', () => {
      expect(decodeTransaction(offsetView(validTransaction, (b, o, l) => Buffer.from(b, o, l)))).toEqual(decodeTransaction(validTransaction));
    });
  });

  describe('client codec', () => {
    test('peekRequest', () => expect(offenders((v) => peekRequest(v as Uint8Array))).toEqual([]));
    test('decodeRequest', () => expect(offenders((v) => decodeRequest(v as Uint8Array))).toEqual([]));
    test('decodeReply', () => expect(offenders((v) => decodeReply(v as Uint8Array))).toEqual([]));
    test('a request and a reply at an offset decode the same as fresh copies', () => {
      expect(decodeRequest(offsetView(validRequest, myBuffer))).toEqual(decodeRequest(validRequest));
      expect(decodeReply(offsetView(validReply, (b, o, l) => Buffer.from(b, o, l)))).toEqual(decodeReply(validReply));
    });
    test('a Uint16Array holding request bytes is not read as a request', () => {
      expect(() => decodeRequest(Uint16Array.from(validRequest) as unknown as Uint8Array)).toThrow();
    });
  });

  describe('framing', () => {
    const policy = {
      networkId: network.id,
      senderIndex: (key: Uint8Array) => serverIndexOf(network, key),
      isKnownKind,
      verify,
    };
    test('FrameDecoder.push on a fresh decoder', () => expect(offenders((v) => new FrameDecoder(policy).push(v as Uint8Array))).toEqual([]));
    test('FrameDecoder.push in the middle of a header', () =>
      expect(
        offenders((v) => {
          const decoder = new FrameDecoder(policy);
          decoder.push(Uint8Array.of(0x53, 0x43, 0x50, 0x42, 1));
          decoder.push(v as Uint8Array);
        }),
      ).toEqual([]));
    test('a non-Uint8Array chunk does not advance the decoder', () => {
      const decoder = new FrameDecoder(policy);
      try {
        decoder.push(new Uint16Array(80) as unknown as Uint8Array);
      } catch (error) {
        expect(isScrypError(error)).toBe(true);
      }
      expect(decoder.bufferedBytes).toBe(0);
      expect(decoder.error).toBeNull();
    });
  });

  describe('messages', () => {
    test('decodeMessage with every kind byte 0..255 and a hostile payload', () => {
      const all: string[] = [];
      for (let kind = 0; kind < 256; kind++) {
        for (const offender of offenders((v) => decodeMessage({ kind, payload: v as Uint8Array }))) all.push(`kind ${kind}: ${offender}`);
      }
      expect(all).toEqual([]);
    });
    test('decodeMessage with a hostile kind', () => expect(offenders((v) => decodeMessage({ kind: v as number, payload: new Uint8Array(8) }))).toEqual([]));
    test('decodeMessage with a hostile message', () => expect(offenders((v) => decodeMessage(v as RawMessage))).toEqual([]));
    test('isKnownKind says no to every non-kind', () => {
      const yes = hostile.filter(([, v]) => isKnownKind(v as number)).map(([label]) => label);
      expect(yes).toEqual(['1']);
    });
    test('readCertificate via decodeMessage: every kind with hostile bytes inside a valid-length payload', () => {
      // Payloads of every length 0..400 filled with 0xff and 0x00 and a counting pattern: certificates
      // with huge periods, vote counts and voter indexes must be refused with a ScrypError.
      const problems: string[] = [];
      for (let kind = 1; kind <= 16; kind++) {
        for (let length = 0; length <= 400; length++) {
          for (const pattern of [0x00, 0xff, -1]) {
            const payload = pattern < 0 ? Uint8Array.from({ length }, (_, i) => i) : new Uint8Array(length).fill(pattern);
            try {
              decodeMessage({ kind, payload });
            } catch (error) {
              if (!isScrypError(error)) problems.push(`kind ${kind} length ${length} pattern ${pattern}: ${String(error)}`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe('signature', () => {
    test('verify with hostile bytes of the right type never throws', () => {
      for (const [, value] of hostile) {
        if (!(value instanceof Uint8Array)) continue;
        expect(verify(value, value, value)).toBe(false);
      }
    });
  });
});
