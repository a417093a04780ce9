// src/seed.ts: the .seed file. Every test works in its own temporary directory and
// removes it afterwards.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import fc from 'fast-check';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { isScrypError } from '../src/errors.ts';
import {
  createInPlace,
  createSeed,
  decryptSeedFile,
  encryptSeedFile,
  formatSeed,
  loadOrCreateSeed,
  parseSeed,
  readSeed,
  seedFileAccount,
  seedFileState,
  seedPath,
  type WriteStep,
} from '../src/seed.ts';
import { decryptSeed, deriveSeedKey, encryptSeed, parseEncryptedSeed, passphraseBytes } from '../src/seed-encryption.ts';
import { decodeAddress } from '../src/address.ts';
import { fromHex, toHex, utf8 } from '../src/bytes.ts';
import { sha256 } from '../src/hash.ts';
import { signerFromSeed } from '../src/signature.ts';
import { codeOf } from './helpers/errors.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

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

// ---- the encrypted form (docs/PROTOCOL.md §3.2) ---------------------------------------

const keysVectors = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'keys.json'), 'utf8')) as {
  encrypted_seeds: { name: string; seed: string; passphrase: string; salt: string; nonce: string; cost: { logCost: number; blockSize: number; parallelism: number }; key: string; line: string }[];
};
const vector = keysVectors.encrypted_seeds[0]!;
const passphrase = 'correct horse battery staple';
/** A cheap cost for tests that only need some encrypted file (the vector uses the real one). */
const cheap = { logCost: 10, blockSize: 8, parallelism: 1 };

/** Bytes, mtime and inode of a file, to show that nothing changed. */
function snapshot(path: string): { bytes: Buffer; mtimeMs: number; ino: number; mode: number } {
  const stat = statSync(path);
  return { bytes: readFileSync(path), mtimeMs: stat.mtimeMs, ino: stat.ino, mode: stat.mode & 0o777 };
}

function expectUnchanged(path: string, before: ReturnType<typeof snapshot>, what: string): void {
  const after = snapshot(path);
  expect(Buffer.compare(after.bytes, before.bytes), `${what}: bytes`).toBe(0);
  expect(after.mtimeMs, `${what}: mtime`).toBe(before.mtimeMs);
  expect(after.ino, `${what}: inode`).toBe(before.ino);
}

/** Only .seed in DIR: no temporary file left behind. */
function expectOnlySeed(dir: string): void {
  expect(readdirSync(dir).filter((name) => name.startsWith('.seed'))).toEqual(['.seed']);
}

describe('the encrypted seed line: vector and format', () => {
  test('the vector of keys.json: fixed salt and nonce, the real cost; the key, the line, and the way back', () => {
    const seed = fromHex(vector.seed, 32, 'seed');
    expect(vector.seed).toBe(toHex(sha256(utf8('scryp golden vector seed: server 0'))));
    expect(toHex(deriveSeedKey(vector.passphrase, fromHex(vector.salt, 16, 'salt'), vector.cost))).toBe(vector.key);
    const line = encryptSeed(seed, vector.passphrase, { salt: fromHex(vector.salt, 16, 'salt'), nonce: fromHex(vector.nonce, 12, 'nonce') }, vector.cost);
    expect(line).toBe(vector.line);
    expect(decryptSeed(vector.line, vector.passphrase, 'vector')).toEqual(seed);
    expect(decodeAddress(/address=(\S+)/.exec(line)![1]!)).toEqual(signerFromSeed(seed).publicKey);
  });

  test('one line, told from the plain form at a glance; fresh salt and nonce each time; the writer uses N = 2^17, r = 8, p = 1', () => {
    const seed = new Uint8Array(32).fill(9);
    const a = encryptSeed(seed, passphrase, {}, cheap);
    const b = encryptSeed(seed, passphrase, {}, cheap);
    expect(a).toMatch(/^scryp-seed v1 address=scryp1[a-z0-9]{58} scrypt ln=10 r=8 p=1 salt=[0-9a-f]{32} aes-256-gcm nonce=[0-9a-f]{24} sealed=[0-9a-f]{96} check=[0-9a-f]{8}\n$/);
    expect(a).not.toBe(b);
    expect(/salt=(\S+)/.exec(a)![1]).not.toBe(/salt=(\S+)/.exec(b)![1]);
    expect(a).not.toContain(toHex(seed));
    expect(parseEncryptedSeed(vector.line, 'v').cost).toEqual({ logCost: 17, blockSize: 8, parallelism: 1 });
  });

  test('unlock takes under a second at the real cost (the best of three: other suites share the 2 cores; docs/PROTOCOL.md §3.2 records the figures)', () => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      decryptSeed(vector.line, vector.passphrase, 'vector');
      best = Math.min(best, performance.now() - started);
    }
    expect(best).toBeLessThan(1_000);
  });

  test('passphrases: NFC (the same text typed on any system), empty and over 1024 bytes refused', () => {
    const seed = new Uint8Array(32).fill(3);
    const composed = 'caf\u00e9 au lait';
    const decomposed = 'cafe\u0301 au lait';
    expect(decryptSeed(encryptSeed(seed, composed, {}, cheap), decomposed, 'nfc')).toEqual(seed);
    expect(codeOf(() => passphraseBytes(''))).toBe('PASSPHRASE_EMPTY');
    expect(passphraseBytes('x'.repeat(1024)).length).toBe(1024);
    expect(codeOf(() => passphraseBytes('x'.repeat(1025)))).toBe('PASSPHRASE_TOO_LONG');
    expect(codeOf(() => passphraseBytes('é'.repeat(513)))).toBe('PASSPHRASE_TOO_LONG'); // bytes, not characters
    expect(codeOf(() => encryptSeed(seed, '', {}, cheap))).toBe('PASSPHRASE_EMPTY');
  });

  test('costs a reader refuses: too weak, too much memory, too many passes (a forged file cannot exhaust the machine)', () => {
    const seed = new Uint8Array(32).fill(4);
    for (const cost of [{ ...cheap, logCost: 9 }, { ...cheap, logCost: 19 }, { ...cheap, blockSize: 33 }, { ...cheap, blockSize: 0 }, { ...cheap, parallelism: 5 }, { ...cheap, parallelism: 0 }]) {
      expect(codeOf(() => encryptSeed(seed, passphrase, {}, cost)), JSON.stringify(cost)).toBe('BAD_SEED_FILE');
    }
    // The same costs written into a line (with its check recomputed) are refused before any scrypt.
    const line = encryptSeed(seed, passphrase, {}, cheap);
    for (const [from, to] of [['ln=10', 'ln=30'], ['ln=10', 'ln=9'], ['r=8', 'r=64'], ['p=1', 'p=9'], ['ln=10', 'ln=010']] as const) {
      const forged = recheck(line.replace(from, to));
      const started = performance.now();
      expect(codeOf(() => decryptSeed(forged, passphrase, 'forged')), `${from} → ${to}`).toBe('BAD_SEED_FILE');
      expect(performance.now() - started).toBeLessThan(100);
    }
  });
});

/** A line with its check recomputed: a deliberate change, not damage. */
function recheck(line: string): string {
  const body = line.slice(0, line.lastIndexOf(' check='));
  return `${body} check=${toHex(sha256(utf8(body)).subarray(0, 4))}\n`;
}

describe('encrypted seed files: damage is BAD_SEED_FILE, a wrong passphrase BAD_PASSPHRASE, and the file never changes', () => {
  test('every single flipped bit of the line (each field, the spaces, the newline): BAD_SEED_FILE, before any scrypt', () => {
    const line = vector.line;
    const bytes = Buffer.from(line, 'latin1');
    let refused = 0;
    const started = performance.now();
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[i] = flipped[i]! ^ (1 << bit);
        const text = flipped.toString('latin1'); // a flipped newline is another byte: damage too
        expect(codeOf(() => parseEncryptedSeed(text, 'flip')), `byte ${i} bit ${bit}`).toBe('BAD_SEED_FILE');
        refused++;
      }
    }
    expect(refused).toBe(bytes.length * 8);
    expect(performance.now() - started).toBeLessThan(5_000); // no scrypt: the check comes first
  });

  test('a changed field with its check recomputed (tampering): the AEAD refuses it, since the header is its associated data', () => {
    const line = vector.line;
    const flipHex = (value: string) => value.slice(0, -1) + (value.endsWith('0') ? '1' : '0');
    const fieldsToChange: [string, (text: string) => string, 'BAD_PASSPHRASE' | 'BAD_SEED_FILE'][] = [
      ['salt', (text) => text.replace(/salt=([0-9a-f]+)/, (_, hex: string) => `salt=${flipHex(hex)}`), 'BAD_PASSPHRASE'],
      ['nonce', (text) => text.replace(/nonce=([0-9a-f]+)/, (_, hex: string) => `nonce=${flipHex(hex)}`), 'BAD_PASSPHRASE'],
      ['ciphertext', (text) => text.replace(/sealed=([0-9a-f])/, (_, hex: string) => `sealed=${hex === '0' ? '1' : '0'}`), 'BAD_PASSPHRASE'],
      ['tag', (text) => text.replace(/sealed=([0-9a-f]+)/, (_, hex: string) => `sealed=${flipHex(hex)}`), 'BAD_PASSPHRASE'],
      ['ln', (text) => text.replace('ln=17', 'ln=16'), 'BAD_PASSPHRASE'],
      ['r', (text) => text.replace('r=8', 'r=7'), 'BAD_PASSPHRASE'],
      ['p', (text) => text.replace('p=1', 'p=2'), 'BAD_PASSPHRASE'],
      // Another valid address (of the zero key): only the associated data tells.
      ['address', (text) => text.replace(/address=\S+/, 'address=scryp1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5unc4t'), 'BAD_PASSPHRASE'],
      // An address whose own checksum breaks.
      ['address checksum', (text) => text.replace(/address=(\S+)/, (_, address: string) => `address=${address.slice(0, -1)}${address.endsWith('q') ? 'p' : 'q'}`), 'BAD_SEED_FILE'],
    ];
    for (const [field, change, code] of fieldsToChange) {
      const forged = recheck(change(line));
      expect(forged, field).not.toBe(line);
      expect(codeOf(() => parseEncryptedSeed(forged, 'forged')), `${field} parses`).toBe(code === 'BAD_SEED_FILE' ? 'BAD_SEED_FILE' : 'no error');
      expect(codeOf(() => decryptSeed(forged, vector.passphrase, 'forged')), field).toBe(code);
    }
  });

  test('a seed file truncated at every length, plain and encrypted: BAD_SEED_FILE (with or without a passphrase), file untouched', () => {
    const dir = tempDir();
    const path = seedPath(dir);
    const plain = formatSeed(fromHex(vector.seed, 32, 'seed'));
    for (const [form, text] of [['plain', plain], ['encrypted', vector.line]] as const) {
      for (let length = 0; length < text.length; length++) {
        const cut = text.slice(0, length);
        if (length === text.length - 1) continue; // without only its newline, a line is whole (§3.2): below
        writeFileSync(path, cut, { mode: 0o600 });
        const before = snapshot(path);
        expect(codeOf(() => readSeed(dir)), `${form} cut to ${length}`).toBe('BAD_SEED_FILE');
        expect(codeOf(() => readSeed(dir, 'some passphrase')), `${form} cut to ${length}`).toBe('BAD_SEED_FILE');
        expect(codeOf(() => loadOrCreateSeed(dir)), `${form} cut to ${length}`).toBe('BAD_SEED_FILE');
        expectUnchanged(path, before, `${form} cut to ${length}`);
      }
    }
    // Without only its newline, the encrypted line is whole.
    writeFileSync(path, vector.line.slice(0, -1), { mode: 0o600 });
    expect(readSeed(dir, vector.passphrase)).toEqual(fromHex(vector.seed, 32, 'seed'));
  });

  test('messages say what is wrong: where the file ends, which field, another version', () => {
    const message = (text: string) => {
      try {
        parseEncryptedSeed(text, '/w/.seed');
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message(vector.line.slice(0, vector.line.indexOf(' aes-256-gcm')))).toContain('(it ends before the cipher)');
    expect(message(vector.line.slice(0, vector.line.indexOf('salt=') + 10))).toContain('(salt: expected salt=<32 hex characters>, found "salt=00010", where the file ends)');
    expect(message(vector.line.replace('v1', 'v2'))).toBe('BAD_SEED_FILE: /w/.seed: an encrypted seed file of version v2; this scryp reads v1: use the scryp that wrote it');
    expect(message(vector.line.replace('check=e2fe67c1', 'check=e2fe67c2'))).toContain('its check does not match: a character was changed');
    expect(message(`${vector.line.slice(0, -1)} more\n`)).toContain('(text after check)');
    expect(message(vector.line)).toBe('accepted');
  });
});

describe('seed files on disk: state, read, create, encrypt, decrypt', () => {
  test('seedFileState and seedFileAccount for each form; readSeed with and without a passphrase', () => {
    const seed = fromHex(vector.seed, 32, 'seed');
    const key = signerFromSeed(seed).publicKey;
    const plainDir = tempDir();
    const encryptedDir = tempDir();
    expect(seedFileState(plainDir)).toBe('missing');
    expect(codeOf(() => readSeed(plainDir))).toBe('SEED_MISSING');
    expect(codeOf(() => seedFileAccount(plainDir))).toBe('SEED_MISSING');
    createSeed(plainDir, seed);
    writeFileSync(seedPath(encryptedDir), vector.line, { mode: 0o600 });
    expect(seedFileState(plainDir)).toBe('plain');
    expect(seedFileState(encryptedDir)).toBe('encrypted');
    expect(seedFileAccount(plainDir)).toEqual(key);
    expect(seedFileAccount(encryptedDir)).toEqual(key); // without the passphrase: the line names its address
    expect(readSeed(plainDir)).toEqual(seed);
    expect(readSeed(plainDir, 'ignored for a plain file')).toEqual(seed);
    const before = snapshot(seedPath(encryptedDir));
    expect(codeOf(() => readSeed(encryptedDir))).toBe('NEEDS_PASSPHRASE');
    expect(codeOf(() => readSeed(encryptedDir, 'wrong horse'))).toBe('BAD_PASSPHRASE');
    expect(codeOf(() => loadOrCreateSeed(encryptedDir))).toBe('NEEDS_PASSPHRASE');
    expect(readSeed(encryptedDir, vector.passphrase)).toEqual(seed);
    expect(loadOrCreateSeed(encryptedDir, undefined, vector.passphrase)).toEqual({ seed, created: false });
    expectUnchanged(seedPath(encryptedDir), before, 'reading');
  });

  test('createSeed: plain or encrypted, 0600, no temporary file left; an existing .seed (of either form, a directory, a dangling link) is SEED_EXISTS and untouched', () => {
    const seed = new Uint8Array(32).fill(0x42);
    const dir = join(tempDir(), 'new', 'wallet');
    createSeed(dir, seed, passphrase, cheap);
    expect(seedFileState(dir)).toBe('encrypted');
    expect(statSync(seedPath(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expectOnlySeed(dir);
    expect(readSeed(dir, passphrase)).toEqual(seed);

    const before = snapshot(seedPath(dir));
    expect(codeOf(() => createSeed(dir, new Uint8Array(32), passphrase, cheap))).toBe('SEED_EXISTS');
    expect(codeOf(() => createSeed(dir, new Uint8Array(32)))).toBe('SEED_EXISTS');
    expectUnchanged(seedPath(dir), before, 'createSeed over an encrypted seed');
    expectOnlySeed(dir);

    const plainDir = tempDir();
    createSeed(plainDir, seed);
    expect(readFileSync(seedPath(plainDir), 'latin1')).toBe(formatSeed(seed));
    const plainBefore = snapshot(seedPath(plainDir));
    expect(codeOf(() => createSeed(plainDir, new Uint8Array(32)))).toBe('SEED_EXISTS');
    expectUnchanged(seedPath(plainDir), plainBefore, 'createSeed over a plain seed');

    const asDirectory = tempDir();
    mkdirSync(seedPath(asDirectory));
    expect(codeOf(() => createSeed(asDirectory, seed))).toBe('SEED_EXISTS');
    const dangling = tempDir();
    symlinkSync(join(dangling, 'elsewhere'), seedPath(dangling));
    expect(codeOf(() => createSeed(dangling, seed))).toBe('SEED_EXISTS');
    expect(existsSync(join(dangling, 'elsewhere'))).toBe(false);
  });

  test('the exclusive create for file systems without hard links: whole file, 0600, never over an existing one', () => {
    const dir = tempDir();
    const seed = new Uint8Array(32).fill(0x17);
    createInPlace(seedPath(dir), formatSeed(seed));
    expect(readSeed(dir)).toEqual(seed);
    expect(statSync(seedPath(dir)).mode & 0o777).toBe(0o600);
    const before = snapshot(seedPath(dir));
    expect(codeOf(() => createInPlace(seedPath(dir), formatSeed(new Uint8Array(32))))).toBe('SEED_EXISTS');
    expectUnchanged(seedPath(dir), before, 'createInPlace over a seed');
  });

  test('encryptSeedFile then decryptSeedFile: the same seed, a new inode each time (a rename), 0600, no temporary file', () => {
    const dir = tempDir();
    const { seed } = loadOrCreateSeed(dir);
    const plainText = readFileSync(seedPath(dir), 'latin1');
    const first = statSync(seedPath(dir)).ino;
    encryptSeedFile(dir, passphrase, cheap);
    expect(seedFileState(dir)).toBe('encrypted');
    expect(statSync(seedPath(dir)).ino).not.toBe(first);
    expect(statSync(seedPath(dir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(seedPath(dir), 'latin1')).not.toContain(toHex(seed));
    expect(readSeed(dir, passphrase)).toEqual(seed);
    expectOnlySeed(dir);

    // Refusals leave the file as it is.
    const encrypted = snapshot(seedPath(dir));
    expect(codeOf(() => encryptSeedFile(dir, 'another'))).toBe('SEED_ALREADY_ENCRYPTED');
    expect(codeOf(() => decryptSeedFile(dir, 'wrong horse'))).toBe('BAD_PASSPHRASE');
    expect(codeOf(() => decryptSeedFile(dir, ''))).toBe('PASSPHRASE_EMPTY');
    expectUnchanged(seedPath(dir), encrypted, 'refused encrypt or decrypt');

    decryptSeedFile(dir, passphrase);
    expect(readFileSync(seedPath(dir), 'latin1')).toBe(plainText);
    expect(statSync(seedPath(dir)).mode & 0o777).toBe(0o600);
    expectOnlySeed(dir);
    const plain = snapshot(seedPath(dir));
    expect(codeOf(() => decryptSeedFile(dir, passphrase))).toBe('SEED_NOT_ENCRYPTED');
    expect(codeOf(() => encryptSeedFile(dir, ''))).toBe('PASSPHRASE_EMPTY');
    expectUnchanged(seedPath(dir), plain, 'refused decrypt of a plain file');

    const none = tempDir();
    expect(codeOf(() => encryptSeedFile(none, passphrase))).toBe('SEED_MISSING');
    expect(codeOf(() => decryptSeedFile(none, passphrase))).toBe('SEED_MISSING');
    expect(existsSync(seedPath(none))).toBe(false);
  });

  test('a damaged file is named as damaged by encrypt and decrypt, not as "already" or "not" encrypted, and is left as it is', () => {
    const dir = tempDir();
    for (const content of [vector.line.slice(0, 120), 'ab'.repeat(31)]) {
      writeFileSync(seedPath(dir), content, { mode: 0o600 });
      const before = snapshot(seedPath(dir));
      expect(codeOf(() => encryptSeedFile(dir, passphrase))).toBe('BAD_SEED_FILE');
      expect(codeOf(() => decryptSeedFile(dir, passphrase))).toBe('BAD_SEED_FILE');
      expectUnchanged(seedPath(dir), before, content);
    }
  });
});

describe('a crash at any step of a write leaves a usable .seed (the process SIGKILLs itself: SCRYP_TEST_CRASH_AFTER)', () => {
  const seedModule = join(import.meta.dir, '..', 'src', 'seed.ts');

  /** Runs one seed operation in a child bun process that kills itself after `step` (`cheap` is in scope). */
  function crashing(operation: string, dir: string, step: WriteStep): { exitCode: number | null; signal: string | null; stderr: string } {
    const script = `import * as seed from ${JSON.stringify(seedModule)};\nconst cheap = ${JSON.stringify(cheap)};\n${operation};\n`;
    const child = Bun.spawnSync([process.execPath, '-e', script], {
      env: { ...process.env, SCRYP_TEST_CRASH_AFTER: step, SCRYP_DIR: dir },
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: 20_000,
    });
    return { exitCode: child.exitCode, signal: child.signalCode === undefined || child.signalCode === null ? null : String(child.signalCode), stderr: child.stderr.toString() };
  }

  const steps: WriteStep[] = ['temp-written', 'temp-synced', 'renamed', 'dir-synced'];
  for (const step of steps) {
    test(`encrypt, then decrypt, killed after ${step}: the old or the new form, whole; the leftover is ignored, then removed`, () => {
      const dir = tempDir();
      const { seed } = loadOrCreateSeed(dir);
      const killed = crashing(`seed.encryptSeedFile(process.env.SCRYP_DIR, ${JSON.stringify(passphrase)}, cheap)`, dir, step);
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const afterEncrypt = seedFileState(dir);
      expect(afterEncrypt).toBe(step === 'renamed' || step === 'dir-synced' ? 'encrypted' : 'plain');
      expect(readSeed(dir, passphrase)).toEqual(seed);
      const leftovers = readdirSync(dir).filter((name) => name.startsWith('.seed.tmp-'));
      expect(leftovers.length).toBe(step === 'temp-written' || step === 'temp-synced' ? 1 : 0);
      // The next command is not confused by it, and the next write removes it.
      if (afterEncrypt === 'plain') encryptSeedFile(dir, passphrase, cheap);
      expectOnlySeed(dir);

      const killedAgain = crashing(`seed.decryptSeedFile(process.env.SCRYP_DIR, ${JSON.stringify(passphrase)})`, dir, step);
      expect(killedAgain.signal, killedAgain.stderr).toBe('SIGKILL');
      expect(seedFileState(dir)).toBe(step === 'renamed' || step === 'dir-synced' ? 'plain' : 'encrypted');
      expect(readSeed(dir, passphrase)).toEqual(seed);
      if (seedFileState(dir) === 'encrypted') decryptSeedFile(dir, passphrase);
      expectOnlySeed(dir);
      expect(readSeed(dir)).toEqual(seed);
    });
  }

  for (const step of ['temp-written', 'temp-synced', 'linked', 'dir-synced'] as WriteStep[]) {
    test(`create, killed after ${step}: no .seed, or the whole new one; never a short one; the leftover is ignored, then removed`, () => {
      const dir = tempDir();
      const seed = new Uint8Array(32).fill(0x5a);
      const killed = crashing('seed.createSeed(process.env.SCRYP_DIR, new Uint8Array(32).fill(0x5a))', dir, step);
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const leftovers = readdirSync(dir).filter((name) => name.startsWith('.seed.tmp-'));
      expect(leftovers.length).toBe(step === 'dir-synced' ? 0 : 1);
      if (step === 'linked' || step === 'dir-synced') {
        expect(readSeed(dir)).toEqual(seed);
        expect(codeOf(() => createSeed(dir, new Uint8Array(32)))).toBe('SEED_EXISTS');
        encryptSeedFile(dir, passphrase, cheap); // the next write removes the leftover
      } else {
        expect(seedFileState(dir)).toBe('missing');
        createSeed(dir, seed);
      }
      expect(readSeed(dir, passphrase)).toEqual(seed);
      expectOnlySeed(dir);
    });
  }
});
