// src/bytes.ts: hex, validators, big-endian integers, the strict Reader and the Writer.
// Expected values come from Node's Buffer and DataView, never from the code under test.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { abytes, aint, compare, concat, equal, fromHex, Reader, readU64, toHex, view, Writer, writeU64 } from '../src/bytes.ts';
import { codeOf } from './helpers/errors.ts';


function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('hex', () => {
  test('toHex matches Buffer for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
      }),
    );
  });

  test('fromHex inverts toHex, with and without an expected length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = Buffer.from(bytes).toString('hex');
        expect(fromHex(text, undefined, 'f')).toEqual(bytes);
        expect(fromHex(text, bytes.length, 'f')).toEqual(bytes);
      }),
    );
  });

  test('only 0-9 and a-f are digits: every other character code 0..255 is refused in either nibble', () => {
    const digits = new Set('0123456789abcdef');
    for (let code = 0; code < 256; code++) {
      const character = String.fromCharCode(code);
      const expected = digits.has(character) ? 'no error' : 'BAD_HEX';
      expect([code, codeOf(() => fromHex(`${character}0`, 1, 'f'))]).toEqual([code, expected]);
      expect([code, codeOf(() => fromHex(`0${character}`, 1, 'f'))]).toEqual([code, expected]);
    }
  });

  test('uppercase is refused, even when the value would be the same', () => {
    for (const text of ['AB', 'aB', 'Ab', 'FF', '0A', 'DEADBEEF']) expect(codeOf(() => fromHex(text, undefined, 'f'))).toBe('BAD_HEX');
    expect(codeOf(() => fromHex('ab'.repeat(31) + 'aB', 32, 'key'))).toBe('BAD_HEX');
  });

  test('odd length is BAD_HEX, a wrong expected length is BAD_LENGTH, a non-string is BAD_TYPE', () => {
    expect(codeOf(() => fromHex('abc', undefined, 'f'))).toBe('BAD_HEX');
    expect(codeOf(() => fromHex('abcd', 1, 'f'))).toBe('BAD_LENGTH');
    expect(codeOf(() => fromHex('ab', 2, 'f'))).toBe('BAD_LENGTH');
    expect(codeOf(() => fromHex('', 1, 'f'))).toBe('BAD_LENGTH');
    expect(codeOf(() => fromHex(1234, undefined, 'f'))).toBe('BAD_TYPE');
    expect(codeOf(() => fromHex(Uint8Array.of(0xab), undefined, 'f'))).toBe('BAD_TYPE');
  });

  test('no prefixes, signs or whitespace', () => {
    for (const text of ['0x00', ' 00', '00 ', '0\n', '+0', '-0', '00\n']) {
      expect([text, codeOf(() => fromHex(text, undefined, 'f'))]).toEqual([text, 'BAD_HEX']);
    }
  });

  test('the empty string is zero bytes', () => {
    expect(fromHex('', undefined, 'f')).toEqual(new Uint8Array(0));
    expect(fromHex('', 0, 'f')).toEqual(new Uint8Array(0));
  });

  test('errors name the field', () => {
    expect(messageOf(() => fromHex('zz', 1, 'servers[2].key'))).toContain('servers[2].key');
    expect(messageOf(() => fromHex('ab', 2, 'payee'))).toContain('payee');
  });
});

describe('validators return their input or refuse it with a code', () => {
  test('abytes returns the very same object, for Uint8Array and Buffer', () => {
    const bytes = new Uint8Array(32);
    expect(abytes(bytes, 32, 'key')).toBe(bytes);
    expect(abytes(bytes, undefined, 'key')).toBe(bytes);
    const buffer = Buffer.alloc(40).subarray(8);
    expect(abytes(buffer, 32, 'key')).toBe(buffer);
  });

  test('abytes refuses wrong lengths with BAD_LENGTH naming the field and both lengths', () => {
    for (const length of [0, 31, 33, 64]) {
      expect(codeOf(() => abytes(new Uint8Array(length), 32, 'payee'))).toBe('BAD_LENGTH');
      const message = messageOf(() => abytes(new Uint8Array(length), 32, 'payee'));
      expect(message).toContain('payee');
      expect(message).toContain('32');
      expect(message).toContain(String(length));
    }
  });

  test('abytes refuses other views and containers with BAD_TYPE', () => {
    const values: unknown[] = [new Uint16Array(16), new Int8Array(32), new Uint8ClampedArray(32), new DataView(new ArrayBuffer(32)), new ArrayBuffer(32), Array(32).fill(0), '00'.repeat(32), null, undefined];
    for (const value of values) expect(codeOf(() => abytes(value, 32, 'key'))).toBe('BAD_TYPE');
  });

  test('aint accepts integers in range and returns them', () => {
    expect(aint(0, 0, 10, 'n')).toBe(0);
    expect(aint(10, 0, 10, 'n')).toBe(10);
    expect(aint(Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER, 'n')).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('aint: non-integers are BAD_TYPE, integers out of range OUT_OF_RANGE', () => {
    for (const value of [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1', 1n, null, undefined, true, [1]]) {
      expect([String(value), codeOf(() => aint(value, 0, 10, 'n'))]).toEqual([String(value), 'BAD_TYPE']);
    }
    for (const value of [-1, 11, 2 ** 53, -(2 ** 53)]) {
      expect([value, codeOf(() => aint(value, 0, 10, 'n'))]).toEqual([value, 'OUT_OF_RANGE']);
    }
  });
});

describe('concat, equal, compare', () => {
  test('concat is Buffer.concat', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 6 }), (parts) => {
        expect(concat(...parts)).toEqual(new Uint8Array(Buffer.concat(parts)));
      }),
    );
  });

  test('equal and compare agree with Buffer.compare', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        const expected = Buffer.compare(a, b);
        expect(Math.sign(compare(a, b))).toBe(expected);
        expect(equal(a, b)).toBe(expected === 0);
        expect(equal(a, a.slice())).toBe(true);
      }),
    );
  });
});

describe('Reader', () => {
  test('reads big-endian u8, u16, u32, u64 as DataView does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
        (a, b, c, d) => {
          const bytes = new Uint8Array(15);
          const dv = new DataView(bytes.buffer);
          dv.setUint8(0, a);
          dv.setUint16(1, b, false);
          dv.setUint32(3, c, false);
          dv.setBigUint64(7, d, false);
          const reader = new Reader(bytes, 'test');
          expect([reader.u8('a'), reader.u16('b'), reader.u32('c'), reader.u64('d')]).toEqual([a, b, c, Number(d)]);
          expect(reader.remaining).toBe(0);
          reader.end();
        },
      ),
    );
  });

  test('reads through a view with a byte offset (a Buffer from a pool)', () => {
    const backing = new Uint8Array(64);
    backing.set([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02], 17);
    const slice = Buffer.from(backing.buffer, 17, 6);
    const reader = new Reader(slice, 'test');
    expect(reader.u32('x')).toBe(0xdeadbeef);
    expect(reader.u16('y')).toBe(0x0102);
    reader.end();
  });

  test('short reads are BAD_LENGTH at every width and leave the cursor where it was', () => {
    const cases: [string, number, (reader: Reader) => unknown][] = [
      ['u8', 1, (reader) => reader.u8('field')],
      ['u16', 2, (reader) => reader.u16('field')],
      ['u32', 4, (reader) => reader.u32('field')],
      ['u64', 8, (reader) => reader.u64('field')],
      ['take(5)', 5, (reader) => reader.take(5, 'field')],
      ['bytesView(5)', 5, (reader) => reader.bytesView(5, 'field')],
    ];
    for (const [name, width, read] of cases) {
      for (let have = 0; have < width; have++) {
        const reader = new Reader(new Uint8Array(have), 'thing');
        expect([name, have, codeOf(() => read(reader))]).toEqual([name, have, 'BAD_LENGTH']);
        expect(reader.offset).toBe(0);
        expect(messageOf(() => read(reader))).toContain('thing.field');
      }
    }
  });

  test('end() refuses trailing bytes with BAD_LENGTH and the count', () => {
    for (const trailing of [1, 2, 100]) {
      const reader = new Reader(new Uint8Array(4 + trailing), 'thing');
      reader.u32('x');
      expect(codeOf(() => reader.end())).toBe('BAD_LENGTH');
      expect(messageOf(() => reader.end())).toContain(`${trailing} trailing`);
    }
    const exact = new Reader(new Uint8Array(4), 'thing');
    exact.u32('x');
    expect(codeOf(() => exact.end())).toBe('no error');
  });

  test('u64: 2^53 - 1 is the largest accepted; 2^53 and above are OUT_OF_RANGE', () => {
    const at = (value: bigint) => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, value);
      return bytes;
    };
    expect(new Reader(at(2n ** 53n - 1n), 't').u64('x')).toBe(Number.MAX_SAFE_INTEGER);
    for (const value of [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      expect([value, codeOf(() => new Reader(at(value), 't').u64('x'))]).toEqual([value, 'OUT_OF_RANGE']);
      expect(codeOf(() => readU64(view(at(value)), 0, 'x'))).toBe('OUT_OF_RANGE');
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), (value) => {
        expect(codeOf(() => new Reader(at(value), 't').u64('x'))).toBe('OUT_OF_RANGE');
      }),
    );
  });

  test('refuses anything but a Uint8Array up front with BAD_TYPE (a Uint16Array would be read by element)', () => {
    for (const value of [new Uint16Array(8), new DataView(new ArrayBuffer(8)), new ArrayBuffer(8), [1, 2, 3], null, undefined, 'abcd']) {
      expect(codeOf(() => new Reader(value as unknown as Uint8Array, 'thing'))).toBe('BAD_TYPE');
    }
  });

  test('take copies, bytesView shares', () => {
    const source = Uint8Array.of(1, 2, 3, 4);
    const reader = new Reader(source, 't');
    const copy = reader.take(2, 'a');
    const shared = reader.bytesView(2, 'b');
    source[0] = 9;
    source[2] = 9;
    expect(copy).toEqual(Uint8Array.of(1, 2));
    expect(shared).toEqual(Uint8Array.of(9, 4));
  });
});

describe('Writer', () => {
  test('writes what DataView writes, big-endian', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
        fc.uint8Array({ maxLength: 10 }),
        (a, b, c, d, tail) => {
          const expected = new Uint8Array(15 + tail.length);
          const dv = new DataView(expected.buffer);
          dv.setUint8(0, a);
          dv.setUint16(1, b);
          dv.setUint32(3, c);
          dv.setBigUint64(7, d);
          expected.set(tail, 15);
          const written = new Writer(15 + tail.length).u8(a).u16(b).u32(c).u64(Number(d)).put(tail).done();
          expect(written).toEqual(expected);
        },
      ),
    );
  });

  test('writeU64 of 2^53 - 1 is 001fffffffffffff', () => {
    const bytes = new Uint8Array(8);
    writeU64(view(bytes), 0, Number.MAX_SAFE_INTEGER);
    expect(Buffer.from(bytes).toString('hex')).toBe('001fffffffffffff');
  });

  test('done() asserts that exactly the declared size was written (a programmer error, not a ScrypError)', () => {
    const writer = new Writer(4).u16(1);
    expect(() => writer.done()).toThrow('assertion failed');
    expect(() => new Writer(2).u32(1)).toThrow(RangeError);
  });
});
