import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { toHex } from '../src/bytes.ts';
import { isScrypError } from '../src/errors.ts';
import { formatAddress, pack, parseAddress, unpack } from '../src/ip.ts';

describe('ip: the 6-byte address', () => {
  test('pack("10.1.2.3", 4001) is 0a0102030fa1, as the design fixes', () => {
    expect(toHex(pack('10.1.2.3', 4001))).toBe('0a0102030fa1');
  });

  test('unpack inverts pack', () => {
    expect(unpack(pack('255.0.127.1', 65535))).toEqual({ host: '255.0.127.1', port: 65535 });
    expect(unpack(Uint8Array.of(10, 1, 2, 3, 0x0f, 0xa1))).toEqual({ host: '10.1.2.3', port: 4001 });
  });

  const badHosts = ['10.1.2', '10.1.2.3.4', '256.1.1.1', '01.1.1.1', '-1.1.1.1', 'a.b.c.d', '', ' 1.1.1.1', '1..1.1'];
  for (const host of badHosts) {
    test(`pack refuses host ${JSON.stringify(host)}`, () => {
      expect(() => pack(host, 1)).toThrow();
      try {
        pack(host, 1);
      } catch (error) {
        expect(isScrypError(error, 'BAD_ADDRESS')).toBe(true);
      }
    });
  }

  for (const port of [0, 65536, 1.5, -1, Number.NaN]) {
    test(`pack refuses port ${port}`, () => {
      expect(() => pack('1.2.3.4', port)).toThrow();
    });
  }

  test('unpack refuses 5 or 7 bytes and port 0', () => {
    expect(() => unpack(new Uint8Array(5))).toThrow();
    expect(() => unpack(new Uint8Array(7))).toThrow();
    expect(() => unpack(Uint8Array.of(1, 2, 3, 4, 0, 0))).toThrow();
  });

  test('parseAddress reads HOST:PORT strictly', () => {
    expect(parseAddress('127.0.0.1:4001')).toEqual({ host: '127.0.0.1', port: 4001 });
    for (const bad of ['127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', 'localhost:80', '127.0.0.1:040']) {
      expect(() => parseAddress(bad)).toThrow();
    }
  });
});

describe('ip: round trips (property)', () => {
  test('unpack(pack(host, port)) gives back every IPv4 address and port, and formatAddress/parseAddress agree', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const bytes = pack(host, port);
        expect(bytes.length).toBe(6);
        expect(unpack(bytes)).toEqual({ host, port });
        expect(parseAddress(formatAddress({ host, port }))).toEqual({ host, port });
      }),
      { numRuns: 2_000, seed: 20261124 },
    );
  });

  test('pack(unpack(bytes)) gives back every 6 bytes whose port is not 0', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }).filter((b) => b[4]! * 256 + b[5]! !== 0), (bytes) => {
        const { host, port } = unpack(bytes);
        expect(toHex(pack(host, port))).toBe(toHex(bytes));
      }),
      { numRuns: 2_000, seed: 20261124 },
    );
  });
});
