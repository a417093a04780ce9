// src/seed.ts: the .seed file. Every test works in its own temporary directory and
// removes it afterwards.

import { afterEach, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { isScrypError } from '../src/errors.ts';
import { formatSeed, loadOrCreateSeed, parseSeed, readSeed, seedPath } from '../src/seed.ts';
import { signerFromSeed } from '../src/signature.ts';
import { codeOf } from './helpers/errors.ts';

const made: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-seed-test-'));
  made.push(dir);
  return dir;
}

afterEach(() => {
  while (made.length > 0) rmSync(made.pop()!, { recursive: true, force: true });
});


const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const canonical = /^[0-9a-f]{64}\n$/;

describe('a missing seed file is created', () => {
  test('DIR/.seed: 64 lowercase hex characters and a newline, mode 0600, returning that seed', () => {
    const dir = tempDir();
    const { seed, created } = loadOrCreateSeed(dir);
    expect(created).toBe(true);
    const path = join(dir, '.seed');
    expect(seedPath(dir)).toBe(path);
    const text = readFileSync(path, 'latin1');
    expect(text).toMatch(canonical);
    expect(text.length).toBe(65);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(seed.length).toBe(32);
    expect(text).toBe(`${hexOf(seed)}\n`);
  });

  test('the directory itself is created when missing', () => {
    const dir = join(tempDir(), 'a', 'b');
    const { created } = loadOrCreateSeed(dir);
    expect(created).toBe(true);
    expect(readFileSync(join(dir, '.seed'), 'latin1')).toMatch(canonical);
    expect(statSync(join(dir, '.seed')).mode & 0o777).toBe(0o600);
  });

  test('mode is 0600 even under a permissive umask', () => {
    const previous = process.umask(0o000);
    try {
      const dir = tempDir();
      loadOrCreateSeed(dir);
      expect(statSync(join(dir, '.seed')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  test('two fresh directories get different seeds (a random source, not a constant)', () => {
    const a = loadOrCreateSeed(tempDir()).seed;
    const b = loadOrCreateSeed(tempDir()).seed;
    expect(hexOf(a)).not.toBe(hexOf(b));
  });

  test('an initial seed is written as given', () => {
    const dir = tempDir();
    const initial = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const { seed, created } = loadOrCreateSeed(dir, initial);
    expect(created).toBe(true);
    expect(seed).toEqual(initial);
    expect(readFileSync(join(dir, '.seed'), 'latin1')).toBe(`${hexOf(initial)}\n`);
  });
});

describe('an existing valid seed file is read, not replaced', () => {
  test('loadOrCreateSeed and readSeed return the seed in the file', () => {
    const dir = tempDir();
    const seed = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const text = `${hexOf(seed)}\n`;
    writeFileSync(join(dir, '.seed'), text, { mode: 0o600 });
    const loaded = loadOrCreateSeed(dir);
    expect(loaded.created).toBe(false);
    expect(loaded.seed).toEqual(seed);
    expect(readSeed(dir)).toEqual(seed);
    expect(readFileSync(join(dir, '.seed'), 'latin1')).toBe(text);
  });

  test('a second load returns the seed the first one created', () => {
    const dir = tempDir();
    const first = loadOrCreateSeed(dir);
    const second = loadOrCreateSeed(dir);
    expect(second.created).toBe(false);
    expect(second.seed).toEqual(first.seed);
  });

  test('the public key of a loaded seed is what noble derives from it', () => {
    const dir = tempDir();
    const { seed } = loadOrCreateSeed(dir);
    expect(signerFromSeed(readSeed(dir)).publicKey).toEqual(ed25519.getPublicKey(seed));
  });
});

describe('an existing seed file that does not parse is an error and is left byte for byte untouched', () => {
  const good = 'ab'.repeat(32);
  const bad: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['uppercase hex', Buffer.from(`${'AB'.repeat(32)}\n`)],
    ['one uppercase digit', Buffer.from(`${good.slice(0, 63)}A\n`)],
    ['63 characters', Buffer.from(`${good.slice(0, 63)}\n`)],
    ['65 characters', Buffer.from(`${good}a\n`)],
    ['two newlines', Buffer.from(`${good}\n\n`)],
    ['CRLF', Buffer.from(`${good}\r\n`)],
    ['leading space', Buffer.from(` ${good}\n`)],
    ['trailing space', Buffer.from(`${good} \n`)],
    ['0x prefix', Buffer.from(`0x${good}\n`)],
    ['a non-hex letter', Buffer.from(`${good.slice(0, 10)}g${good.slice(11)}\n`)],
    ['binary 32 bytes', Uint8Array.from({ length: 32 }, (_, i) => i * 8 + 1)],
    ['NUL-padded', Buffer.concat([Buffer.from(`${good}\n`), new Uint8Array(3)])],
    ['high bytes', Uint8Array.from({ length: 65 }, (_, i) => (i === 64 ? 10 : 0xe9))],
  ];
  for (const [name, content] of bad) {
    test(`${name}: BAD_SEED_FILE, file unchanged`, () => {
      const dir = tempDir();
      const path = join(dir, '.seed');
      writeFileSync(path, content, { mode: 0o600 });
      const before = statSync(path);
      expect(codeOf(() => loadOrCreateSeed(dir))).toBe('BAD_SEED_FILE');
      expect(codeOf(() => readSeed(dir))).toBe('BAD_SEED_FILE');
      const after = readFileSync(path);
      expect(Buffer.compare(after, Buffer.from(content))).toBe(0);
      const stat = statSync(path);
      expect(stat.mtimeMs).toBe(before.mtimeMs);
      expect(stat.ino).toBe(before.ino);
      expect(stat.mode & 0o777).toBe(0o600);
    });
  }

  test('a .seed that is a directory is BAD_SEED_FILE and is not removed', () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.seed'));
    expect(codeOf(() => loadOrCreateSeed(dir))).toBe('BAD_SEED_FILE');
    expect(statSync(join(dir, '.seed')).isDirectory()).toBe(true);
  });

  test('a dangling .seed symlink is BAD_SEED_FILE and nothing is written through it', () => {
    const dir = tempDir();
    const target = join(dir, 'elsewhere');
    symlinkSync(target, join(dir, '.seed'));
    expect(codeOf(() => loadOrCreateSeed(dir))).toBe('BAD_SEED_FILE');
    expect(existsSync(target)).toBe(false);
  });

  // Root reads anything, so the case cannot be built there.
  test.skipIf(process.getuid?.() === 0)('an unreadable .seed is BAD_SEED_FILE and keeps its content', () => {
    const dir = tempDir();
    const path = join(dir, '.seed');
    writeFileSync(path, `${good}\n`);
    chmodSync(path, 0o000);
    expect(codeOf(() => loadOrCreateSeed(dir))).toBe('BAD_SEED_FILE');
    chmodSync(path, 0o600);
    expect(readFileSync(path, 'latin1')).toBe(`${good}\n`);
  });
});

describe('parseSeed and formatSeed', () => {
  test('formatSeed is lowercase hex and a newline; parseSeed inverts it', () => {
    for (let i = 0; i < 50; i++) {
      const seed = Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 17) & 0xff);
      const text = formatSeed(seed);
      expect(text).toBe(`${hexOf(seed)}\n`);
      expect(parseSeed(text, 'test')).toEqual(seed);
    }
  });

  test('refusals name where the seed came from', () => {
    try {
      parseSeed('nope\n', '/some/dir/.seed');
      throw new Error('accepted');
    } catch (error) {
      expect(isScrypError(error, 'BAD_SEED_FILE')).toBe(true);
      expect((error as Error).message).toContain('/some/dir/.seed');
    }
  });

  test('a value that is not a string is BAD_SEED_FILE, even one whose String() looks like a seed', () => {
    const lookalike = ['ab'.repeat(32)];
    for (const value of [undefined, null, 0, lookalike, { toString: () => `${'ab'.repeat(32)}\n` }, Symbol('seed'), Buffer.from(`${'ab'.repeat(32)}\n`)]) {
      expect(codeOf(() => parseSeed(value as unknown as string, 'test'))).toBe('BAD_SEED_FILE');
    }
  });
});

describe('seed text: round trip (property)', () => {
  test('parseSeed(formatSeed(seed)) gives back every 32-byte seed; the text is 64 lowercase hex and a newline', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const text = formatSeed(seed);
        expect(text).toMatch(/^[0-9a-f]{64}\n$/);
        expect([...parseSeed(text, 'test')]).toEqual([...seed]);
      }),
      { numRuns: 1_000, seed: 20261124 },
    );
  });
});
