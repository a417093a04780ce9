// A new wallet's key before it is kept anywhere: 24 words shown, three of them typed back
// (proof they were written down), and the passphrase typed twice. Shared by `scryp wallet`
// (keys.ts: DIR/.seed) and the pocket wallet (its key in the browser). The seed waits in
// memory until its words are confirmed; nothing is written before.

import { recovery_phrase_words, seed_bytes, wallet_confirm_words } from '../constants.ts';
import { assert, fail } from '../errors.ts';
import { seedToPhrase } from '../recovery-phrase.ts';
import { passphraseBytes } from '../seed-line.ts';
import type { NewWalletView } from './api-types.ts';
import { type JsonObject, textField } from './api-request.ts';

/** A uniform integer in [0, below), from the platform's secure source (rejection sampling: no bias). */
function randomBelow(below: number): number {
  const limit = Math.floor(0x1_0000_0000 / below) * below;
  for (;;) {
    const value = crypto.getRandomValues(new Uint32Array(1))[0]!;
    if (value < limit) return value % below;
  }
}

/** Which words (1-based, ascending) the person types back: `count` distinct positions. */
export function confirmationPositions(count = wallet_confirm_words, pick: (below: number) => number = randomBelow): number[] {
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
export function newPassphrase(body: JsonObject, options: { required?: boolean } = {}): string | undefined {
  const first = textField(body, 'passphrase', { optional: true, maxChars: 2_048 });
  const second = textField(body, 'repeat', { optional: true, maxChars: 2_048 });
  if (first === '' && second === '') {
    if (options.required === true) fail('PASSPHRASE_EMPTY', 'Passphrase: this wallet keeps its key in the browser, encrypted under a passphrase; choose one and type it twice');
    return undefined;
  }
  if (first.normalize('NFC') !== second.normalize('NFC')) fail('PASSPHRASE_MISMATCH', 'Repeat passphrase: the two passphrases differ; type the same one twice');
  passphraseBytes(first); // PASSPHRASE_TOO_LONG
  return first;
}

export class NewKey {
  private pending: { seed: Uint8Array; words: string[]; positions: number[] } | null = null;

  /** A new seed, kept in memory: its words, and which of them to type back. Asked again, the same seed. */
  begin(): NewWalletView {
    if (this.pending === null) {
      const seed = crypto.getRandomValues(new Uint8Array(seed_bytes));
      this.pending = { seed, words: seedToPhrase(seed), positions: confirmationPositions() };
    }
    return { words: [...this.pending.words], ask: [...this.pending.positions] };
  }

  /**
   * The seed, once the words typed back (`word<N>` fields) are right, and the passphrase of
   * the form (`required`: the pocket wallet keeps no key unencrypted). The seed stays
   * pending until `forget`, after it is kept.
   */
  confirmed(body: JsonObject, options: { required?: boolean } = {}): { seed: Uint8Array; passphrase: string | undefined } {
    if (this.pending === null) fail('WALLET_REQUEST', 'no new wallet was started: choose Create a new wallet first');
    const typed = this.pending.positions.map((position) => textField(body, `word${position}`, { optional: true, maxChars: 64 }));
    checkConfirmation(this.pending.words, this.pending.positions, typed);
    return { seed: this.pending.seed, passphrase: newPassphrase(body, options) };
  }

  forget(): void {
    this.pending = null;
  }
}
