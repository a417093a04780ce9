// The error codes: one list in src/errors.ts, one table in docs/ERRORS.md, kept equal.

import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCodes, fail, isScrypError, ScrypError } from '../src/errors.ts';

describe('error codes', () => {
  test('are distinct, upper snake case, and each has a row in docs/ERRORS.md (and nothing else does)', () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
    for (const code of errorCodes) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
    const table = readFileSync(join(import.meta.dir, '..', 'docs', 'ERRORS.md'), 'utf8');
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual([...errorCodes].sort());
  });

  test('a ScrypError carries its code, and its message starts with it', () => {
    for (const code of errorCodes) {
      let caught: unknown = null;
      try {
        fail(code, 'what was found');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScrypError);
      expect(isScrypError(caught, code)).toBe(true);
      expect((caught as ScrypError).code).toBe(code);
      expect((caught as Error).message).toBe(`${code}: what was found`);
    }
    expect(isScrypError(new Error('BAD_TYPE: not one'))).toBe(false);
    expect(isScrypError(new ScrypError('BAD_HEX', 'x'), 'BAD_TYPE')).toBe(false);
  });
});
