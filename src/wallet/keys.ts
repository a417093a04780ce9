// The wallet's key, from the page's first screen to an open wallet, and back to its
// recovery phrase. The seed file itself is src/seed.ts's (plain or encrypted, written
// aside and linked, never overwritten); this module is the order of the steps:
//
//   no .seed ──create──► 24 words shown ──three of them typed back──► .seed written ──► open
//            └─restore──► 24 words typed ────────────────────────────► .seed written ──► open
//   plain .seed ─────────────────────────────────────────────────────────────────────► open
//   encrypted .seed ──passphrase──► open            (BAD_PASSPHRASE: the file is untouched)
//   open ──passphrase (if any)──► the 24 words again
//
// A new seed waits in this process's memory until its words are confirmed; nothing is
// written before. The page sees the words only on these screens, never the seed bytes.

import { randomBytes, randomInt } from 'node:crypto';
import { encodeAddress } from '../address.ts';
import { recovery_phrase_words, seed_bytes, wallet_confirm_words } from '../constants.ts';
import { assert, fail } from '../errors.ts';
import { phraseToSeed, seedToPhrase } from '../recovery-phrase.ts';
import { createSeed, readSeed, seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import { passphraseBytes } from '../seed-encryption.ts';
import type { KeyView, NewWalletView } from './api-types.ts';
import { type JsonObject, textField } from './api-request.ts';

/** Which words (1-based, ascending) the person types back: `count` distinct positions. */
export function confirmationPositions(count = wallet_confirm_words, pick: (below: number) => number = randomInt): number[] {
  assert(count >= 1 && count <= recovery_phrase_words, 'a sensible number of words to confirm');
  const positions = new Set<number>();
  for (let tries = 0; positions.size < count && tries < 1000; tries++) positions.add(pick(recovery_phrase_words) + 1);
  assert(positions.size === count, 'enough distinct positions');
  return [...positions].sort((a, b) => a - b);
}

/** Checks the words typed back against the phrase; refuses the first wrong one by its number. */
export function checkConfirmation(words: readonly string[], positions: readonly number[], typed: readonly string[]): void {
  if (typed.length !== positions.length) fail('WALLET_REQUEST', `words: expected ${positions.length}, got ${typed.length}`);
  positions.forEach((position, i) => {
    const answer = typed[i]!.trim().toLowerCase();
    if (answer === '') fail('WALLET_WORDS', `Word ${position}: type the word from your written copy`);
    if (answer !== words[position - 1]) fail('WALLET_WORDS', `Word ${position} is not the word shown at that place: check your written copy (nothing was saved yet)`);
  });
}

/**
 * The new passphrase from a form's two fields: undefined when both are empty (a plain
 * seed file); refuses two that differ (PASSPHRASE_MISMATCH) and an empty or oversized one.
 */
export function newPassphrase(body: JsonObject): string | undefined {
  const first = textField(body, 'passphrase', { optional: true, maxChars: 2_048 });
  const second = textField(body, 'repeat', { optional: true, maxChars: 2_048 });
  if (first === '' && second === '') return undefined;
  if (first.normalize('NFC') !== second.normalize('NFC')) fail('PASSPHRASE_MISMATCH', 'Repeat passphrase: the two passphrases differ; type the same one twice');
  passphraseBytes(first); // PASSPHRASE_TOO_LONG
  return first;
}

export class WalletKeys {
  private pending: { seed: Uint8Array; words: string[]; positions: number[] } | null = null;
  private opened = false;

  /** `open` is called once, with the seed, when the wallet opens. */
  constructor(
    readonly dir: string,
    private readonly open: (seed: Uint8Array) => void,
  ) {}

  view(): KeyView {
    const state = seedFileState(this.dir);
    const address = state === 'missing' ? null : encodeAddress(seedFileAccount(this.dir));
    return { state: this.opened ? 'open' : state === 'missing' ? 'new' : state === 'encrypted' ? 'locked' : 'open', address, encrypted: state === 'encrypted', file: seedPath(this.dir), keptIn: 'file' };
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Opens a plain seed at start; an encrypted one waits for `unlock` (or opens now with `passphrase`). */
  openAtStart(passphrase?: string): void {
    const state = seedFileState(this.dir);
    if (state === 'plain' || (state === 'encrypted' && passphrase !== undefined)) this.finish(readSeed(this.dir, passphrase));
  }

  unlock(body: JsonObject): KeyView {
    if (this.opened) return this.view();
    if (seedFileState(this.dir) !== 'encrypted') fail('WALLET_REQUEST', 'this wallet has no passphrase to unlock');
    const passphrase = textField(body, 'passphrase', { maxChars: 2_048 });
    if (passphrase === '') fail('PASSPHRASE_EMPTY', 'Passphrase: type the passphrase of this wallet');
    this.finish(readSeed(this.dir, passphrase)); // BAD_PASSPHRASE, file untouched
    return this.view();
  }

  /** A new seed, kept in memory: its words, and which of them to type back. Asked again, the same seed. */
  begin(): NewWalletView {
    this.mustBeNew();
    if (this.pending === null) {
      const seed = new Uint8Array(randomBytes(seed_bytes));
      this.pending = { seed, words: seedToPhrase(seed), positions: confirmationPositions() };
    }
    return { words: [...this.pending.words], ask: [...this.pending.positions] };
  }

  /** Writes the new seed once three of its words come back right. */
  create(body: JsonObject): KeyView {
    this.mustBeNew();
    if (this.pending === null) fail('WALLET_REQUEST', 'no new wallet was started: choose Create a new wallet first');
    const typed = this.pending.positions.map((position) => textField(body, `word${position}`, { optional: true, maxChars: 64 }));
    checkConfirmation(this.pending.words, this.pending.positions, typed);
    const passphrase = newPassphrase(body);
    createSeed(this.dir, this.pending.seed, passphrase); // SEED_EXISTS if one appeared: never overwritten
    const seed = this.pending.seed;
    this.pending = null;
    this.finish(seed);
    return this.view();
  }

  /** Writes the seed of a typed recovery phrase (each refusal with its PHRASE_ code). */
  restore(body: JsonObject): KeyView {
    this.mustBeNew();
    const seed = phraseToSeed(textField(body, 'phrase', { maxChars: 2_048 }));
    const passphrase = newPassphrase(body);
    createSeed(this.dir, seed, passphrase);
    this.pending = null;
    this.finish(seed);
    return this.view();
  }

  /** The 24 words again, once the passphrase (of an encrypted wallet) opens the file. */
  phrase(body: JsonObject): string[] {
    if (!this.opened) fail('WALLET_LOCKED', 'open the wallet first');
    const encrypted = seedFileState(this.dir) === 'encrypted';
    const passphrase = textField(body, 'passphrase', { optional: true, maxChars: 2_048 });
    if (encrypted && passphrase === '') fail('PASSPHRASE_EMPTY', 'Passphrase: type this wallet’s passphrase to see its recovery phrase');
    return seedToPhrase(readSeed(this.dir, encrypted ? passphrase : undefined));
  }

  private mustBeNew(): void {
    if (this.opened || seedFileState(this.dir) !== 'missing') fail('SEED_EXISTS', `${seedPath(this.dir)} exists and is never overwritten: this wallet is set up already; reload the page`);
  }

  private finish(seed: Uint8Array): void {
    assert(!this.opened, 'a wallet opens once');
    this.opened = true;
    this.open(seed);
  }
}
