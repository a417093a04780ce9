// src/wallet/keys.ts: the wallet's key from the page's first screen to an open wallet.
// Nothing is written before three words come back right; a restored phrase gives the same
// key; an encrypted key opens only with its passphrase and the file never changes; the
// phrase is shown again only through the passphrase; nothing ever overwrites a .seed.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { recovery_phrase_words, wallet_confirm_words } from '../src/constants.ts';
import { seedToPhrase } from '../src/recovery-phrase.ts';
import { formatSeed, seedFileState, seedPath } from '../src/seed.ts';
import { publicKeyFromSeed } from '../src/signature.ts';
import { checkConfirmation, confirmationPositions, newPassphrase, WalletKeys } from '../src/wallet/keys.ts';
import { codeOf } from './helpers/errors.ts';
import { testSeed } from './helpers/keys.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-wallet-keys-'));
  dirs.push(dir);
  return dir;
}

/** A WalletKeys for DIR that records the seeds it opens with. */
function keysOf(dir: string): { keys: WalletKeys; opened: Uint8Array[] } {
  const opened: Uint8Array[] = [];
  return { keys: new WalletKeys(dir, (seed) => opened.push(seed)), opened };
}

describe('pure parts', () => {
  test('property: the positions to type back are distinct, ascending, within 1..24', () => {
    fc.assert(
      fc.property(fc.infiniteStream(fc.nat({ max: 1000 })), (stream) => {
        const picks = stream[Symbol.iterator]();
        const positions = confirmationPositions(wallet_confirm_words, (below) => picks.next().value! % below);
        expect(positions).toHaveLength(wallet_confirm_words);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(wallet_confirm_words);
        for (const position of positions) expect(position >= 1 && position <= recovery_phrase_words).toBe(true);
      }),
    );
  });

  test('the words typed back: case and spaces forgiven, a wrong or missing one is WALLET_WORDS', () => {
    const words = seedToPhrase(testSeed('keys words'));
    const positions = [2, 9, 24];
    const right = positions.map((position) => words[position - 1]!);
    expect(codeOf(() => checkConfirmation(words, positions, right))).toBe('no error');
    expect(codeOf(() => checkConfirmation(words, positions, right.map((word) => ` ${word.toUpperCase()} `)))).toBe('no error');
    expect(codeOf(() => checkConfirmation(words, positions, [right[0]!, right[2]!, right[1]!]))).toBe('WALLET_WORDS');
    expect(codeOf(() => checkConfirmation(words, positions, [right[0]!, '', right[2]!]))).toBe('WALLET_WORDS');
    expect(codeOf(() => checkConfirmation(words, positions, right.slice(0, 2)))).toBe('WALLET_REQUEST');
    expect(() => checkConfirmation(words, positions, [right[0]!, 'zoo', right[2]!])).toThrow(/Word 9 is not the word shown/);
  });

  test('a new passphrase: none, the same twice (NFC), or refused', () => {
    expect(newPassphrase({})).toBeUndefined();
    expect(newPassphrase({ passphrase: '', repeat: '' })).toBeUndefined();
    expect(newPassphrase({ passphrase: 'caf\u00e9 au lait', repeat: 'cafe\u0301 au lait' })).toBe('caf\u00e9 au lait');
    expect(codeOf(() => newPassphrase({ passphrase: 'one', repeat: 'two' }))).toBe('PASSPHRASE_MISMATCH');
    expect(codeOf(() => newPassphrase({ passphrase: 'one', repeat: '' }))).toBe('PASSPHRASE_MISMATCH');
    expect(codeOf(() => newPassphrase({ passphrase: 'x'.repeat(1100), repeat: 'x'.repeat(1100) }))).toBe('PASSPHRASE_TOO_LONG');
  });
});

describe('the key of a directory', () => {
  test('create: nothing written until the three words match; then an encrypted .seed, and the wallet opens', () => {
    const dir = tempDir();
    const { keys, opened } = keysOf(dir);
    expect(keys.view()).toEqual({ state: 'new', address: null, encrypted: false, file: seedPath(dir), keptIn: 'file' });
    const shown = keys.begin();
    expect(shown.words).toHaveLength(24);
    expect(keys.begin()).toEqual(shown); // asked again (Show the words again): the same seed
    const answer = (wrong: boolean) => Object.fromEntries(shown.ask.map((position, i) => [`word${position}`, wrong && i === 1 ? 'zoo' : shown.words[position - 1]!]));
    expect(codeOf(() => keys.create({ ...answer(true), passphrase: 'pass phrase', repeat: 'pass phrase' }))).toBe('WALLET_WORDS');
    expect(codeOf(() => keys.create({ ...answer(false), passphrase: 'pass phrase', repeat: 'other' }))).toBe('PASSPHRASE_MISMATCH');
    expect(existsSync(seedPath(dir))).toBe(false);
    expect(opened).toEqual([]);
    const view = keys.create({ ...answer(false), passphrase: 'pass phrase', repeat: 'pass phrase' });
    expect(view.state).toBe('open');
    expect(view.encrypted).toBe(true);
    expect(seedFileState(dir)).toBe('encrypted');
    expect(opened).toHaveLength(1);
    expect(seedToPhrase(opened[0]!)).toEqual([...shown.words]);
    expect(view.address).toBe(encodeAddress(publicKeyFromSeed(opened[0]!)));
    expect(codeOf(() => keys.begin())).toBe('SEED_EXISTS');
  });

  test('restore from the words in another directory: the same key; a bad phrase keeps its PHRASE_ code', () => {
    const words = seedToPhrase(testSeed('keys restore'));
    const dir = tempDir();
    const { keys, opened } = keysOf(dir);
    expect(codeOf(() => keys.restore({ phrase: words.slice(0, 23).join(' ') }))).toBe('PHRASE_LENGTH');
    expect(codeOf(() => keys.restore({ phrase: [...words.slice(0, 23), 'zzz'].join(' ') }))).toBe('PHRASE_UNKNOWN_WORD');
    expect(codeOf(() => keys.restore({ phrase: [words[1], words[0], ...words.slice(2)].join(' ') }))).toBe('PHRASE_CHECKSUM');
    expect(existsSync(seedPath(dir))).toBe(false);
    const view = keys.restore({ phrase: `  ${words.join('  ').toUpperCase()}\n` });
    expect(view).toEqual({ state: 'open', address: encodeAddress(publicKeyFromSeed(testSeed('keys restore'))), encrypted: false, file: seedPath(dir), keptIn: 'file' });
    expect(readFileSync(seedPath(dir), 'utf8')).toBe(formatSeed(testSeed('keys restore')));
    expect(toHex(opened[0]!)).toBe(toHex(testSeed('keys restore')));
  });

  test('an encrypted key: locked at start; a wrong passphrase opens nothing and changes nothing; the right one opens', () => {
    const dir = tempDir();
    const first = keysOf(dir);
    first.keys.restore({ phrase: seedToPhrase(testSeed('keys lock')).join(' '), passphrase: 'right one', repeat: 'right one' });
    const bytes = readFileSync(seedPath(dir));
    const { keys, opened } = keysOf(dir);
    keys.openAtStart();
    expect(keys.view()).toMatchObject({ state: 'locked', encrypted: true, address: encodeAddress(publicKeyFromSeed(testSeed('keys lock'))) });
    expect(codeOf(() => keys.unlock({ passphrase: 'wrong one' }))).toBe('BAD_PASSPHRASE');
    expect(codeOf(() => keys.unlock({ passphrase: '' }))).toBe('PASSPHRASE_EMPTY');
    expect(opened).toEqual([]);
    expect(readFileSync(seedPath(dir))).toEqual(bytes);
    expect(codeOf(() => keys.phrase({ passphrase: 'right one' }))).toBe('WALLET_LOCKED');
    expect(keys.unlock({ passphrase: 'right one' }).state).toBe('open');
    expect(toHex(opened[0]!)).toBe(toHex(testSeed('keys lock')));
    // Settings: the words again, only through the passphrase
    expect(codeOf(() => keys.phrase({}))).toBe('PASSPHRASE_EMPTY');
    expect(codeOf(() => keys.phrase({ passphrase: 'wrong one' }))).toBe('BAD_PASSPHRASE');
    expect(keys.phrase({ passphrase: 'right one' })).toEqual(seedToPhrase(testSeed('keys lock')));
    expect(readFileSync(seedPath(dir))).toEqual(bytes);
  });

  test('a plain key opens at start; a damaged one is refused and left as it is', () => {
    const dir = tempDir();
    writeFileSync(seedPath(dir), formatSeed(testSeed('keys plain')), { mode: 0o600 });
    const { keys, opened } = keysOf(dir);
    keys.openAtStart();
    expect(keys.view().state).toBe('open');
    expect(toHex(opened[0]!)).toBe(toHex(testSeed('keys plain')));
    expect(keys.phrase({})).toEqual(seedToPhrase(testSeed('keys plain')));

    const damagedDir = tempDir();
    writeFileSync(seedPath(damagedDir), 'not a seed\n', { mode: 0o600 });
    const damaged = keysOf(damagedDir);
    expect(codeOf(() => damaged.keys.openAtStart())).toBe('BAD_SEED_FILE');
    expect(codeOf(() => damaged.keys.begin())).toBe('SEED_EXISTS');
    expect(readFileSync(seedPath(damagedDir), 'utf8')).toBe('not a seed\n');
  });

  test('a .seed that appears while the words are on screen is never overwritten', () => {
    const dir = tempDir();
    const { keys } = keysOf(dir);
    const shown = keys.begin();
    writeFileSync(seedPath(dir), formatSeed(testSeed('keys race')), { mode: 0o600 });
    const answer = Object.fromEntries(shown.ask.map((position) => [`word${position}`, shown.words[position - 1]!]));
    expect(codeOf(() => keys.create(answer))).toBe('SEED_EXISTS');
    expect(readFileSync(seedPath(dir), 'utf8')).toBe(formatSeed(testSeed('keys race')));
  });
});
