// The recovery phrase (docs/PROTOCOL.md §3.8): a 32-byte seed written as 24 words that a
// person can copy onto paper and type back. The seed is the BIP 39 entropy (256 bits; 8
// more bits of SHA-256 checksum ride in the last word), with the English word list; the
// codec is @scure/bip39's. This module only reads what a person types, strictly and with
// messages that say what to fix.
//
// What a person types is read in this order, each refusal with its own code:
//   1. characters: only the letters a–z (either case) between spaces, tabs or line breaks.
//      A look-alike from another alphabet (Cyrillic "а"), a full-width letter, an accent,
//      a digit or punctuation is refused and named: never folded into a letter (NFKD would
//      quietly turn "ａ" into "a"; a phrase that reads the same must be the same bytes);
//   2. the count: 24 words;
//   3. each word is on the list (the message names the word, its position, and the
//      closest list word when one is within two edits);
//   4. the checksum.

import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { recovery_phrase_chars_max, recovery_phrase_words, seed_bytes } from './constants.ts';
import { abytes, describe } from './bytes.ts';
import { assert, fail } from './errors.ts';

const listed = new Set(wordlist);

/** The 24 words of a seed, in order. */
export function seedToPhrase(seed: Uint8Array): string[] {
  abytes(seed, seed_bytes, 'seed');
  const words = entropyToMnemonic(seed, wordlist).split(' ');
  assert(words.length === recovery_phrase_words, '256 bits of entropy give 24 words');
  return words;
}

/**
 * The seed of a phrase as a person typed or pasted it: surrounding space, runs of spaces
 * and line breaks, and upper case are accepted. Refuses a character other than a–z
 * (PHRASE_CHARACTER), a count other than 24 (PHRASE_LENGTH), a word not on the list
 * (PHRASE_UNKNOWN_WORD), and a wrong checksum (PHRASE_CHECKSUM).
 */
export function phraseToSeed(text: string): Uint8Array {
  if (typeof text !== 'string') fail('BAD_TYPE', `recovery phrase: expected text, got ${describe(text)}`);
  if (text.length > recovery_phrase_chars_max) {
    fail('PHRASE_LENGTH', `recovery phrase: ${text.length} characters; 24 words are at most ${recovery_phrase_chars_max}: this is not a recovery phrase`);
  }
  const typed = text.trim().split(/\s+/u).filter((word) => word !== '');
  for (const [index, word] of typed.entries()) {
    const bad = [...word].find((character) => !/^[a-zA-Z]$/.test(character));
    if (bad !== undefined) {
      fail(
        'PHRASE_CHARACTER',
        `recovery phrase: word ${index + 1} ("${printable(word)}") has ${nameOf(bad)}, which is not a letter a–z: type the phrase with a plain keyboard layout, letters only`,
      );
    }
  }
  const words = typed.map((word) => word.toLowerCase());
  if (words.length !== recovery_phrase_words) fail('PHRASE_LENGTH', `recovery phrase: ${countMessage(words.length)}`);
  const unknown = words.flatMap((word, index) => (listed.has(word) ? [] : [index]));
  if (unknown.length > 0) {
    const first = unknown[0]!;
    const word = words[first]!;
    const near = closestWords(word);
    const suggestion = near.length === 0 ? '' : ` (did you mean ${near.map((candidate) => `"${candidate}"`).join(' or ')}?)`;
    const others = unknown.length === 1 ? '' : `; word${unknown.length > 2 ? 's' : ''} ${unknown.slice(1).map((index) => index + 1).join(', ')} ${unknown.length > 2 ? 'are' : 'is'} not either`;
    fail('PHRASE_UNKNOWN_WORD', `recovery phrase: word ${first + 1} "${word}" is not in the BIP 39 English word list${suggestion}${others}`);
  }
  const mnemonic = words.join(' ');
  if (!validateMnemonic(mnemonic, wordlist)) {
    fail(
      'PHRASE_CHECKSUM',
      'recovery phrase: every word is on the list, but the checksum the last word carries does not match: a word is wrong or two are swapped; compare each word with your written copy',
    );
  }
  const seed = mnemonicToEntropy(mnemonic, wordlist);
  assert(seed.length === seed_bytes, '24 words hold 32 bytes');
  return seed;
}

/** Whether a word is on the BIP 39 English list (for a form that checks as a person types). */
export function isPhraseWord(word: string): boolean {
  return listed.has(word);
}

/**
 * The list words nearest to a word not on it: those within two edits (an insertion,
 * deletion, substitution or swap of neighbours; two only for words of five letters or
 * more), the nearest first. On the BIP 39 list the
 * first four letters name a word, so a word whose four letters start exactly one list word
 * suggests that word too ("abandn", "abanden" → "abandon"). At most three.
 */
export function closestWords(word: string): string[] {
  const byDistance = new Map<number, string[]>();
  for (const candidate of wordlist) {
    if (Math.abs(candidate.length - word.length) > 2) continue;
    const distance = editDistance(word, candidate, 2);
    // Two edits are half of a short word: only longer words get suggestions that far.
    if (distance === 1 || (distance === 2 && word.length >= 5)) byDistance.set(distance, [...(byDistance.get(distance) ?? []), candidate]);
  }
  const nearest = byDistance.get(1) ?? byDistance.get(2) ?? [];
  const prefixed = word.length >= 4 ? wordlist.filter((candidate) => candidate.startsWith(word.slice(0, 4))) : [];
  const ordered = prefixed.length === 1 ? [prefixed[0]!, ...nearest.filter((candidate) => candidate !== prefixed[0])] : nearest;
  return ordered.slice(0, 3);
}

/** Optimal string alignment distance (Levenshtein plus swaps of neighbours), cut off above `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  let previous2: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, previous2[j - 2]! + 1);
      row.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous2 = previous;
    previous = row;
  }
  return previous[b.length]!;
}

function countMessage(count: number): string {
  if (count === 0) return 'empty: type the 24 words, in order, separated by spaces';
  if (count < recovery_phrase_words && count % 3 === 0 && count >= 12) {
    return `${count} words; a scryp recovery phrase has 24: a phrase of ${count} words is from another wallet (a shorter secret), or words are missing`;
  }
  const missing = recovery_phrase_words - count;
  if (missing > 0) return `${count} words; a recovery phrase has 24: ${missing === 1 ? 'a word is' : `${missing} words are`} missing`;
  return `${count} words; a recovery phrase has 24: ${-missing === 1 ? 'a word is' : `${-missing} words are`} extra`;
}

// Letters of other alphabets that look like a–z in most fonts: the ones a phrase is
// likely to meet (a keyboard left on a Cyrillic or Greek layout, a forged phrase).
const lookAlikes: Record<string, Record<string, string>> = {
  Cyrillic: { а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', һ: 'h', і: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h', о: 'o', р: 'p', ԛ: 'q', г: 'r', ѕ: 's', т: 't', ц: 'u', ѵ: 'v', ԝ: 'w', х: 'x', у: 'y' },
  Greek: { α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y' },
};

/** A character named for a person: itself, its code point, and the letter it imitates if any. */
function nameOf(character: string): string {
  const codePoint = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const lower = character.toLowerCase();
  for (const [alphabet, letters] of Object.entries(lookAlikes)) {
    const imitates = letters[lower];
    if (imitates !== undefined) return `"${character}" (${codePoint}), a ${alphabet} letter that looks like "${imitates}"`;
  }
  const decomposed = lower.normalize('NFKD');
  const base = decomposed.replace(/\p{M}/gu, '');
  if (/^[a-z]+$/.test(base)) {
    return base !== decomposed ? `"${character}" (${codePoint}), "${base}" with an accent` : `"${character}" (${codePoint}), a full-width or compatibility form of "${base}"`;
  }
  if (/^[0-9]$/.test(character)) return `the digit "${character}"`;
  if (/^[\x21-\x7e]$/.test(character)) return `"${character}"`;
  if (/^\p{C}$/u.test(character)) return `an invisible character (${codePoint})`;
  return `"${character}" (${codePoint})`;
}

/** A word as typed, with invisible and control characters shown as code points. */
function printable(word: string): string {
  return word.replace(/\p{C}/gu, (character) => `<U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}
