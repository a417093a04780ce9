// src/recovery-phrase.ts: the seed as 24 BIP 39 words, and what a person types back.
// Vectors: docs/PROTOCOL.md §3.8 (the design's two) and the official BIP 39 vectors for
// 256-bit entropy (test/vectors/bip39-english-256.json, copied from trezor/python-mnemonic).

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { fromHex, toHex } from '../src/bytes.ts';
import { closestWords, editDistance, isPhraseWord, phraseToSeed, seedToPhrase } from '../src/recovery-phrase.ts';
import { isScrypError } from '../src/errors.ts';
import { codeOf } from './helpers/errors.ts';

const official = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'bip39-english-256.json'), 'utf8')) as { vectors: [string, string][] };
const zeros = `${'abandon '.repeat(23)}art`;
const sevens = `${'legal winner thank year wave sausage worth useful '.repeat(3).trim().split(' ').slice(0, 23).join(' ')} title`;

/** The message a call threw (tests of what a person reads). */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isScrypError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('vectors', () => {
  test('the design (§11.4): 00…00 ↔ abandon × 23 art; 7f…7f ↔ "legal winner thank year wave sausage worth useful" × 3 ending in title', () => {
    expect(seedToPhrase(new Uint8Array(32)).join(' ')).toBe(zeros);
    expect(phraseToSeed(zeros)).toEqual(new Uint8Array(32));
    expect(seedToPhrase(new Uint8Array(32).fill(0x7f)).join(' ')).toBe(sevens);
    expect(phraseToSeed(sevens)).toEqual(new Uint8Array(32).fill(0x7f));
    expect(sevens.split(' ')).toHaveLength(24);
  });

  test('every official BIP 39 English vector of 32 bytes, both ways', () => {
    expect(official.vectors.length).toBe(8);
    for (const [entropy, mnemonic] of official.vectors) {
      expect(seedToPhrase(fromHex(entropy, 32, 'entropy')).join(' ')).toBe(mnemonic);
      expect(toHex(phraseToSeed(mnemonic))).toBe(entropy);
    }
  });

  test('seedToPhrase refuses anything but 32 bytes', () => {
    for (const bad of [new Uint8Array(16), new Uint8Array(31), new Uint8Array(33), 'abandon' as unknown as Uint8Array]) {
      expect(codeOf(() => seedToPhrase(bad))).not.toBe('no error');
    }
  });
});

describe('what a person types that is accepted', () => {
  test('upper case, mixed case, surrounding space, runs of spaces, tabs and line breaks (also Windows ones)', () => {
    const words = zeros.split(' ');
    const forms = [
      zeros.toUpperCase(),
      words.map((word, i) => (i % 2 === 0 ? word.toUpperCase() : word)).join(' '),
      `  \n\t${zeros}\n\n`,
      words.join('   '),
      words.map((word, i) => (i % 4 === 3 ? `${word}\n` : `${word} `)).join(''),
      words.join('\r\n'),
      words.join('\u00a0'), // a no-break space, as pasted from a web page
    ];
    for (const form of forms) expect(phraseToSeed(form), JSON.stringify(form)).toEqual(new Uint8Array(32));
  });

  test('property: phraseToSeed(seedToPhrase(seed)) = seed, whatever the case and spacing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(fc.constantFrom(' ', '  ', '\n', '\t', ' \n '), { minLength: 23, maxLength: 23 }), fc.boolean(), (seed, gaps, upper) => {
        const words = seedToPhrase(seed);
        expect(words).toHaveLength(24);
        for (const word of words) expect(isPhraseWord(word)).toBe(true);
        const text = words.map((word, i) => `${upper ? word.toUpperCase() : word}${gaps[i] ?? ''}`).join('');
        expect(phraseToSeed(text)).toEqual(seed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('what a person types that is refused, each with its own code and a message that says which', () => {
  test('23 or 25 words, none, and a 12-word phrase of another wallet: PHRASE_LENGTH, naming the count', () => {
    const words = zeros.split(' ');
    expect(messageOf(() => phraseToSeed(words.slice(1).join(' ')))).toBe('PHRASE_LENGTH: recovery phrase: 23 words; a recovery phrase has 24: a word is missing');
    expect(messageOf(() => phraseToSeed(`${zeros} abandon`))).toBe('PHRASE_LENGTH: recovery phrase: 25 words; a recovery phrase has 24: a word is extra');
    expect(messageOf(() => phraseToSeed(words.slice(4).join(' ')))).toContain('20 words; a recovery phrase has 24: 4 words are missing');
    expect(messageOf(() => phraseToSeed('   \n '))).toContain('PHRASE_LENGTH: recovery phrase: empty');
    const twelve = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'; // a valid 12-word BIP 39 phrase
    expect(messageOf(() => phraseToSeed(twelve))).toContain('12 words; a scryp recovery phrase has 24: a phrase of 12 words is from another wallet');
    expect(codeOf(() => phraseToSeed('abandon '.repeat(200)))).toBe('PHRASE_LENGTH');
  });

  test('an unknown word: PHRASE_UNKNOWN_WORD naming the word, its position and the nearest list word', () => {
    const words = sevens.split(' ');
    const typo = [...words];
    typo[6] = 'wrth'; // "worth", a letter missing
    expect(messageOf(() => phraseToSeed(typo.join(' ')))).toBe('PHRASE_UNKNOWN_WORD: recovery phrase: word 7 "wrth" is not in the BIP 39 English word list (did you mean "worth"?)');
    const swapped = [...words];
    swapped[0] = 'lgeal'; // two letters swapped: one edit
    expect(messageOf(() => phraseToSeed(swapped.join(' ')))).toContain('word 1 "lgeal" is not in the BIP 39 English word list (did you mean "legal"?)');
    const far = [...words];
    far[23] = 'bitcoin';
    expect(messageOf(() => phraseToSeed(far.join(' ')))).toBe('PHRASE_UNKNOWN_WORD: recovery phrase: word 24 "bitcoin" is not in the BIP 39 English word list');
    const several = [...words];
    several[2] = 'thnak';
    several[9] = 'winer';
    several[20] = 'xyzzy';
    expect(messageOf(() => phraseToSeed(several.join(' ')))).toContain('word 3 "thnak" is not in the BIP 39 English word list (did you mean "thank"?); words 10, 21 are not either');
    // Upper case is still named as the word it is.
    expect(messageOf(() => phraseToSeed(typo.join(' ').toUpperCase()))).toContain('word 7 "wrth"');
  });

  test('a wrong checksum: a word changed to another list word, two words swapped, abandon × 24', () => {
    const words = official.vectors[4]![1].split(' ');
    const changed = [...words];
    changed[5] = changed[5] === 'firm' ? 'first' : 'firm';
    expect(codeOf(() => phraseToSeed(changed.join(' ')))).toBe('PHRASE_CHECKSUM');
    const swapped = [...words];
    [swapped[3], swapped[11]] = [swapped[11]!, swapped[3]!];
    expect(messageOf(() => phraseToSeed(swapped.join(' ')))).toBe(
      'PHRASE_CHECKSUM: recovery phrase: every word is on the list, but the checksum the last word carries does not match: a word is wrong or two are swapped; compare each word with your written copy',
    );
    expect(codeOf(() => phraseToSeed('abandon '.repeat(24)))).toBe('PHRASE_CHECKSUM');
  });

  test('property: changing one word to another list word is caught (checksum) unless the new phrase is valid, and then it is another seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(23), fc.nat(2047), (seed, position, replacement) => {
        const words = seedToPhrase(seed);
        if (words[position] === wordlist[replacement]) return;
        words[position] = wordlist[replacement]!;
        try {
          expect(phraseToSeed(words.join(' '))).not.toEqual(seed);
        } catch (error) {
          expect(isScrypError(error, 'PHRASE_CHECKSUM')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('non-ASCII look-alikes, full-width and accented letters, digits, punctuation, invisible characters: PHRASE_CHARACTER, named', () => {
    const words = zeros.split(' ');
    const at = (position: number, word: string) => words.map((w, i) => (i === position ? word : w)).join(' ');
    const cases: [string, string][] = [
      [at(0, 'аbandon'), 'word 1 ("аbandon") has "а" (U+0430), a Cyrillic letter that looks like "a"'],
      [at(4, 'abandοn'), 'word 5 ("abandοn") has "ο" (U+03BF), a Greek letter that looks like "o"'],
      [at(23, 'ａｒｔ'), 'word 24 ("ａｒｔ") has "ａ" (U+FF41), a full-width or compatibility form of "a"'],
      [at(2, 'abandon\u0301'), 'word 3 ("abandon\u0301") has "\u0301" (U+0301)'], // a combining accent after the n (NFKD trick)
      [at(2, 'ab\u00e1ndon'), 'word 3 ("abándon") has "á" (U+00E1), "a" with an accent'],
      [at(1, 'aband0n'), 'word 2 ("aband0n") has the digit "0"'],
      [at(7, 'abandon,'), 'word 8 ("abandon,") has ","'],
      [at(9, 'aban\u200bdon'), 'word 10 ("aban<U+200B>don") has an invisible character (U+200B)'],
      [`1. ${zeros}`, 'word 1 ("1.") has the digit "1"'],
    ];
    for (const [text, expected] of cases) {
      const message = messageOf(() => phraseToSeed(text));
      expect(message, text).toStartWith('PHRASE_CHARACTER: recovery phrase: ');
      expect(message, text).toContain(expected);
      expect(message, text).toContain('which is not a letter a–z: type the phrase with a plain keyboard layout');
    }
    // NFKD would fold these into the very words of the phrase: they are refused, not folded.
    expect('ａｒｔ'.normalize('NFKD')).toBe('art');
    expect(codeOf(() => phraseToSeed(zeros.replace(/a/g, 'а')))).toBe('PHRASE_CHARACTER');
  });

  test('not text: BAD_TYPE', () => {
    expect(codeOf(() => phraseToSeed(42 as unknown as string))).toBe('BAD_TYPE');
    expect(codeOf(() => phraseToSeed(null as unknown as string))).toBe('BAD_TYPE');
  });

  test('property: any text either gives a seed that gives the same words back, or is refused with a PHRASE_ code (never another error)', () => {
    const pieces = fc.oneof(fc.constantFrom(...wordlist.slice(0, 64), 'art', 'zoo', 'title'), fc.string({ maxLength: 8 }), fc.constantFrom(' ', '\n', 'а', 'ａ', '\u200b'));
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const text = parts.join(' ');
        try {
          const seed = phraseToSeed(text);
          expect(seedToPhrase(seed).join(' ')).toBe(text.trim().split(/\s+/).join(' ').toLowerCase());
        } catch (error) {
          expect(isScrypError(error)).toBe(true);
          expect((error as { code: string }).code).toMatch(/^PHRASE_/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('suggestions', () => {
  test('edit distance counts insertions, deletions, substitutions and swaps of neighbours', () => {
    expect(editDistance('worth', 'worth')).toBe(0);
    expect(editDistance('wrth', 'worth')).toBe(1);
    expect(editDistance('wroth', 'worth')).toBe(1);
    expect(editDistance('wortj', 'worth')).toBe(1);
    expect(editDistance('worthy', 'worth')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3); // cut off above the limit
  });

  test('the nearest list words, at most three; a unique four-letter start counts; nothing for a short word two edits away', () => {
    expect(closestWords('abandn')).toEqual(['abandon']);
    expect(closestWords('abanxyz')).toEqual(['abandon']);
    expect(closestWords('acess')).toEqual(['access']);
    expect(closestWords('zzzz')).toEqual([]);
    expect(closestWords('bitcoin')).toEqual([]);
    expect(closestWords('cat').length).toBeLessThanOrEqual(3);
    for (const word of closestWords('cat')) expect(editDistance('cat', word)).toBe(1);
  });
});
