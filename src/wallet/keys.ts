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

import { encodeAddress } from '../address.ts';
import { assert, fail } from '../errors.ts';
import { phraseToSeed, seedToPhrase } from '../recovery-phrase.ts';
import { NewKey, newPassphrase } from './new-key.ts';
import { createSeed, readSeed, seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import type { KeyView, NewWalletView } from './api-types.ts';
import { type JsonObject, textField } from './api-request.ts';

export class WalletKeys {
  private readonly pending = new NewKey();
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
    return this.pending.begin();
  }

  /** Writes the new seed once three of its words come back right. */
  create(body: JsonObject): KeyView {
    this.mustBeNew();
    const { seed, passphrase } = this.pending.confirmed(body);
    createSeed(this.dir, seed, passphrase); // SEED_EXISTS if one appeared: never overwritten
    this.pending.forget();
    this.finish(seed);
    return this.view();
  }

  /** Writes the seed of a typed recovery phrase (each refusal with its PHRASE_ code). */
  restore(body: JsonObject): KeyView {
    this.mustBeNew();
    const seed = phraseToSeed(textField(body, 'phrase', { maxChars: 2_048 }));
    const passphrase = newPassphrase(body);
    createSeed(this.dir, seed, passphrase);
    this.pending.forget();
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

export { checkConfirmation, confirmationPositions, newPassphrase } from './new-key.ts';
