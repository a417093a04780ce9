// The shapes of the wallet's local JSON API (api-routes.ts), shared by the wallet process
// (service.ts) and the page (page/*.ts). Types only: the page's bundle imports nothing from here.
//
//   GET  /api/overview                 Overview
//   POST /api/recipient {recipient}    RecipientView        (validate as the person types)
//   POST /api/payments/check {recipient, amount}  Confirmation  (what will be signed)
//   POST /api/payments {ticket}        PaymentView          (signs and sends)
//   GET  /api/payments/:id             PaymentView
//   POST /api/request {amount, label, message}    RequestView  (Receive tab)
//   GET  /api/history?before=P:I       HistoryView
//   GET  /api/history.csv              text/csv
//   GET  /api/contacts                 ContactsView
//   POST /api/contacts {name, address} ContactsView
//   POST /api/contacts/remove {name}   ContactsView
//
// The key (keys.ts), the only calls allowed before the wallet is open:
//   GET  /api/key                      KeyView              (new, locked or open)
//   POST /api/key/unlock {passphrase}  KeyView
//   POST /api/key/new                  NewWalletView        (24 words, which to type back)
//   POST /api/key/create {wordN…, passphrase, repeat}     KeyView
//   POST /api/key/restore {phrase, passphrase, repeat}    KeyView
//   POST /api/key/phrase {passphrase}  PhraseView           (Settings)
// and in the pocket wallet only (its key is kept in the browser):
//   POST /api/key/import {file, passphrase, repeat}       KeyView   (a .seed file's text)
//   GET  /api/key/export               KeyFileView          (the key as an encrypted .seed)
//
// A refusal is HTTP 4xx with ApiError; before the wallet is open, other calls are 409 WALLET_LOCKED.

export interface ApiError {
  readonly error: { readonly code: string; readonly message: string };
}

export interface ServerSaid {
  readonly server: number;
  readonly address: string;
  /** In words: "no answer", "40 scryp at period 12", "UNAVAILABLE". */
  readonly said: string;
}

export interface BalanceView {
  /** What a majority of servers agree on, or null when no majority agrees. */
  readonly balance: number | null;
  readonly committedPeriod: number | null;
  readonly agreeing: readonly number[];
  readonly others: readonly ServerSaid[];
  /** How many servers gave a valid answer at all (0: none reached; the pocket wallet then shows what it saw last). */
  readonly answered: number;
  /** One sentence: who agrees, at which period, and who does not. */
  readonly summary: string;
}

export interface Overview {
  readonly network: { readonly name: string; readonly id: string; readonly periodMs: number; readonly servers: readonly string[] };
  readonly account: { readonly address: string; readonly key: string };
  readonly balance: BalanceView;
  /** The pocket wallet, when no server is reached: this is the overview it saw last, and when, in words. */
  readonly offline?: string;
}

export interface RecipientView {
  readonly address: string;
  readonly contact: string | null;
  readonly request: { readonly amount: number | null; readonly label: string; readonly message: string } | null;
}

export interface Confirmation {
  /** Single use: POST /api/payments with it signs exactly this. */
  readonly ticket: string;
  readonly from: string;
  readonly to: string;
  readonly contact: string | null;
  readonly amount: number;
  readonly network: string;
  readonly networkId: string;
  readonly label: string;
  readonly message: string;
}

export type Stage = 'signing' | 'sent' | 'accepted' | 'committed' | 'void' | 'refused' | 'timeout';

export interface PaymentView {
  readonly id: string;
  readonly to: string;
  readonly amount: number;
  readonly stage: Stage;
  readonly final: boolean;
  readonly words: string;
  readonly txid: string | null;
  readonly period: number | null;
  /** The progress lines of the payment, oldest first. */
  readonly steps: readonly string[];
}

export interface RequestView {
  readonly uri: string;
  /** The QR code as an SVG image in a data: URL, for an <img>. */
  readonly qr: string;
}

export interface HistoryRow {
  readonly period: number;
  readonly index: number;
  /** The payment's timestamp, ISO 8601 UTC. */
  readonly time: string;
  readonly direction: 'in' | 'out';
  readonly counterparty: string;
  readonly contact: string | null;
  readonly amount: number;
  readonly txid: string;
  /** In words: committed, void, disputed, bad signature. */
  readonly status: string;
}

export interface HistoryView {
  readonly rows: readonly HistoryRow[];
  readonly next: string | null;
  readonly committedPeriod: number | null;
  readonly note: string;
}

export interface ContactsView {
  readonly contacts: readonly { readonly name: string; readonly address: string }[];
  /** Why the file could not be read (it is left as it is), or null. */
  readonly problem: string | null;
}

export interface KeyView {
  /** new: no seed yet (the first screen); locked: an encrypted seed waits for its passphrase; open. */
  readonly state: 'new' | 'locked' | 'open';
  readonly address: string | null;
  readonly encrypted: boolean;
  /** The seed file's path, so a person knows what to back up (the pocket wallet: where in the browser). */
  readonly file: string;
  /**
   * 'file': `scryp wallet`'s DIR/.seed. 'browser': the pocket wallet's, always encrypted;
   * its wallet opens while locked (all but signing needs only the address), and Sign and
   * send asks the passphrase.
   */
  readonly keptIn: 'file' | 'browser';
}

export interface KeyFileView {
  /** The file name to save it as. */
  readonly name: string;
  /** The `.seed` file's text: the encrypted line (PROTOCOL §3.6), as `scryp keygen --encrypt` writes it. */
  readonly text: string;
}

export interface NewWalletView {
  readonly words: readonly string[];
  /** The 1-based positions of the words to type back. */
  readonly ask: readonly number[];
}

export interface PhraseView {
  readonly words: readonly string[];
}
