// The pocket wallet's key, kept in this browser's IndexedDB as the encrypted `.seed` line
// (seed-line.ts, PROTOCOL §3.6) and nowhere else; the seed itself is only ever in memory,
// after the passphrase opened the line. The same steps and words as `scryp wallet`'s
// keys.ts, with three differences: a passphrase is required (the line is the only form
// kept); the wallet opens while locked (its address is in the line, and all but signing
// needs only the address), and Sign and send asks the passphrase once per visit; and the
// key comes in and goes out as a `.seed` file (import, export), the very file
// `scryp keygen --encrypt` writes and `scryp keygen --dir` reads.
//
//   nothing ──create (24 words, three typed back, passphrase twice)──► line kept ──► locked
//           ├─restore (24 words, passphrase twice) ─────────────────► line kept ──► open
//           └─import a .seed (encrypted: its passphrase; plain: a new one) ──────► open
//   locked ──passphrase (Sign and send, Settings)──► open (for this visit)

import { encodeAddress } from '../../../address.ts';
import { fail } from '../../../errors.ts';
import { phraseToSeed, seedToPhrase } from '../../../recovery-phrase.ts';
import { decryptSeedWeb, encryptSeedWeb } from '../../../seed-encryption-web.ts';
import { isEncryptedSeedText, parseEncryptedSeed, parseSeed } from '../../../seed-line.ts';
import { type Signer, signerFromSeed } from '../../../signature.ts';
import type { KeyFileView, KeyView, NewWalletView } from '../../api-types.ts';
import { type JsonObject, textField } from '../../api-request.ts';
import type { KeyStore } from '../../api-routes.ts';
import { NewKey, newPassphrase } from '../../new-key.ts';
import { readStored, writeStored } from './storage.ts';

const where = 'This wallet’s key';

export class PocketKeys implements KeyStore {
  private signer: Signer | null = null;
  private readonly pending = new NewKey();

  private constructor(
    private line: string | null,
    /** Called once, with the account, when a key is kept (at load, or after the first screen). */
    private readonly kept: (account: Uint8Array) => void,
  ) {}

  /** The key kept in this browser: its encrypted line, or null (none yet). */
  static async read(): Promise<string | null> {
    return (await readStored<string>('seed')) ?? null;
  }

  /** The keys of `line` (as read()); `kept` is called with the account at once when there is one. */
  static withLine(line: string | null, kept: (account: Uint8Array) => void): PocketKeys {
    const keys = new PocketKeys(line, kept);
    if (line !== null) kept(keys.account()!);
    return keys;
  }

  /** The account of the line kept (read from it once: the page asks at every view). */
  private parsed: { line: string; account: Uint8Array } | null = null;

  account(): Uint8Array | null {
    if (this.line === null) return null;
    if (this.parsed?.line !== this.line) this.parsed = { line: this.line, account: parseEncryptedSeed(this.line, where).account };
    return this.parsed.account;
  }

  view(): KeyView {
    const account = this.account();
    return {
      state: account === null ? 'new' : this.signer === null ? 'locked' : 'open',
      address: account === null ? null : encodeAddress(account),
      encrypted: true,
      file: `this browser’s storage for ${location.origin}`,
      keptIn: 'browser',
    };
  }

  async unlock(body: JsonObject): Promise<KeyView> {
    await this.signerFor(body);
    return this.view();
  }

  /** The key to sign with: open already, or opened now with the `passphrase` field (a few seconds: scrypt). */
  async signerFor(body: JsonObject): Promise<Signer> {
    if (this.signer !== null) return this.signer;
    if (this.line === null) fail('WALLET_LOCKED', 'this wallet has no key yet: create or restore one first');
    const passphrase = textField(body, 'passphrase', { optional: true, maxChars: 2_048 });
    if (passphrase === '') fail('PASSPHRASE_EMPTY', 'Passphrase: type this wallet’s passphrase to sign');
    this.signer = signerFromSeed(await decryptSeedWeb(this.line, passphrase, where)); // BAD_PASSPHRASE: still locked
    return this.signer;
  }

  begin(): NewWalletView {
    this.mustBeNew();
    return this.pending.begin();
  }

  async create(body: JsonObject): Promise<KeyView> {
    this.mustBeNew();
    const { seed, passphrase } = this.pending.confirmed(body, { required: true });
    await this.keep(seed, await encryptSeedWeb(seed, passphrase!));
    this.pending.forget();
    return this.view();
  }

  async restore(body: JsonObject): Promise<KeyView> {
    this.mustBeNew();
    const seed = phraseToSeed(textField(body, 'phrase', { maxChars: 2_048 }));
    const passphrase = newPassphrase(body, { required: true })!;
    await this.keep(seed, await encryptSeedWeb(seed, passphrase));
    this.pending.forget();
    return this.view();
  }

  /** A `.seed` file's text: an encrypted one is kept as it is once its passphrase opens it; a plain one is encrypted under a new passphrase. */
  async importFile(body: JsonObject): Promise<KeyView> {
    this.mustBeNew();
    const text = textField(body, 'file', { maxChars: 2_048 });
    if (isEncryptedSeedText(text)) {
      const passphrase = textField(body, 'passphrase', { optional: true, maxChars: 2_048 });
      if (passphrase === '') fail('PASSPHRASE_EMPTY', 'Passphrase: type the passphrase this key file was encrypted with');
      const line = text.endsWith('\n') ? text : `${text}\n`;
      await this.keep(await decryptSeedWeb(line, passphrase, 'The key file'), line);
    } else {
      const seed = parseSeed(text, 'The key file');
      await this.keep(seed, await encryptSeedWeb(seed, newPassphrase(body, { required: true })!));
    }
    return this.view();
  }

  /** The key as the `.seed` file to save: the encrypted line as kept. */
  async exportFile(): Promise<KeyFileView> {
    if (this.line === null) fail('WALLET_LOCKED', 'this wallet has no key yet: create or restore one first');
    return { name: 'scryp-wallet.seed', text: this.line };
  }

  async phrase(body: JsonObject): Promise<string[]> {
    if (this.line === null) fail('WALLET_LOCKED', 'this wallet has no key yet');
    const passphrase = textField(body, 'passphrase', { optional: true, maxChars: 2_048 });
    if (passphrase === '') fail('PASSPHRASE_EMPTY', 'Passphrase: type this wallet’s passphrase to see its recovery phrase');
    return seedToPhrase(await decryptSeedWeb(this.line, passphrase, where));
  }

  private mustBeNew(): void {
    if (this.line !== null) fail('SEED_EXISTS', 'this browser keeps a wallet already, and it is never overwritten: reload the page');
  }

  private async keep(seed: Uint8Array, line: string): Promise<void> {
    await writeStored('seed', line);
    this.line = line;
    this.signer = signerFromSeed(seed);
    this.kept(this.signer.publicKey);
  }
}
