import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { toHex } from '../src/bytes.ts';
import { KeyMap, keyPrefix } from '../src/ledger/key-map.ts';

describe('KeyMap: 32-byte keys without strings', () => {
  test('keyPrefix reads the first six bytes exactly, each one counting', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    expect(keyPrefix(key)).toBe(Number(BigInt(`0x${toHex(key.subarray(0, 6))}`)));
    for (let i = 0; i < 6; i++) {
      const other = key.slice();
      other[i]! ^= 1;
      expect(keyPrefix(other)).not.toBe(keyPrefix(key));
    }
  });

  test('keys sharing their first six bytes are distinct entries (a collision chain)', () => {
    const map = new KeyMap<number>();
    const a = new Uint8Array(32).fill(7);
    const b = a.slice();
    b[31] = 8;
    const c = a.slice();
    c[6] = 9;
    map.set(a, 1);
    map.set(b, 2);
    map.set(c, 3);
    map.set(b, 4);
    expect([map.get(a), map.get(b), map.get(c), map.size]).toEqual([1, 4, 3, 3]);
    expect(map.has(new Uint8Array(32))).toBe(false);
  });

  test('behaves as a Map keyed by hex, for any keys and updates (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(), fc.boolean()), { maxLength: 60 }), (ops) => {
        const map = new KeyMap<number>();
        const reference = new Map<string, number>();
        for (const [key, value, nearCollision] of ops) {
          // Half of the keys share their first six bytes with the previous one.
          const previous = [...reference.keys()].at(-1);
          if (nearCollision && previous !== undefined) key.set(Buffer.from(previous.slice(0, 12), 'hex'), 0);
          map.set(key, value);
          reference.set(toHex(key), value);
        }
        expect(map.size).toBe(reference.size);
        for (const [hex, value] of reference) expect(map.get(Buffer.from(hex, 'hex'))).toBe(value);
        expect(new Map([...map.entries()].map(([key, value]) => [toHex(key), value]))).toEqual(reference);
      }),
      { numRuns: 200 },
    );
  });

  test('a key passed as a view is copied: changing the caller\'s bytes later changes nothing', () => {
    const map = new KeyMap<number>();
    const buffer = new Uint8Array(64).fill(1);
    map.set(buffer.subarray(16, 48), 5);
    buffer.fill(2);
    expect(map.get(new Uint8Array(32).fill(1))).toBe(5);
  });
});
