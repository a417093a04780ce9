// The shapes of the wallet's local JSON API (api-routes.ts), shared by the wallet process
// (service.ts) and the page (page/*.ts). Types only: the page's bundle imports nothing from here.
//
//   GET  /api/overview                 Overview
//   POST /api/recipient {recipient}    RecipientView        (validate as the person types)
//   POST /api/payments/check {recipient, amount}  Confirmation  (what will be signed)
//   POST /api/payments {ticket}        PaymentView          (signs and sends)
//   GET  /api/payments/:id             PaymentView
//   POST /api/request {amount, reference, label, message}  RequestView  (Receive tab)
//   GET  /api/history?before=P:I       HistoryView
//   GET  /api/history.csv              text/csv
//   POST /api/receipt {txid}           ReceiptView          (a receipt file of a committed payment)
//   POST /api/refund {txid}            Confirmation         (paying a received payment back: what will be signed)
//   POST /api/till {amount, note}      TillView             (Take a payment: a new sale)
//   GET  /api/till/:id                 TillView
//   POST /api/till/cancel {id}         {}                   (New sale, Cancel: the sale is no longer followed)
//   GET  /api/staff                    StaffView            (Settings: the link that opens the till alone)
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
// A staff session (the staff link: the till alone) may call GET /api/overview and the till's
// three calls, nothing else: the others are 403 WALLET_STAFF (api-routes.ts).

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
  readonly request: RequestFields | null;
}

/** What a pasted payment request asks for; `reference` is decimal text (a u64 does not fit a JSON number), null without one. */
export interface RequestFields {
  readonly amount: number | null;
  readonly reference: string | null;
  readonly label: string;
  readonly message: string;
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
  /** The payee's reference the payment will carry (signed: the 148-byte form), decimal; null without one. */
  readonly reference: string | null;
  /** A refund: the txid of the payment it pays back, and the period it was received in; null for any other payment. */
  readonly refunds: { readonly txid: string; readonly period: number } | null;
}

export type Stage = 'signing' | 'sent' | 'accepted' | 'committed' | 'void' | 'refused' | 'timeout';

export interface PaymentView {
  readonly id: string;
  readonly to: string;
  readonly amount: number;
  readonly reference: string | null;
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
  /** The reference the request asks the payer to sign, decimal; null without one. */
  readonly reference: string | null;
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
  /** The payee's reference the payment carries, decimal; null without one. */
  readonly reference: string | null;
  /** committed (a majority lists it applied: a receipt can be saved; received, it can be refunded), void, or disputed. */
  readonly outcome: 'committed' | 'void' | 'disputed';
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

export interface ReceiptView {
  /** The file name to save it as: receipt-<txid>.json. */
  readonly name: string;
  /** The receipt file's text (PROTOCOL §6.14), checked as anyone would check it before it was handed back. */
  readonly text: string;
  /** One sentence: which servers vouch for it. */
  readonly summary: string;
}

export interface TillPaymentView {
  readonly txid: string;
  readonly payer: string;
  readonly amount: number;
  readonly period: number;
  readonly index: number;
  /** The payment's timestamp, ISO 8601 UTC. */
  readonly time: string;
  /** Made after the period the request expired in. */
  readonly late: boolean;
}

/** A sale at the till (sale.ts, till.ts). */
export interface TillView {
  readonly id: string;
  readonly amount: number;
  readonly note: string;
  /** The sale's reference, decimal (a random u64). */
  readonly reference: string;
  /** The payment request (`scryp:ADDRESS?amount=N&ref=R&message=NOTE`) and its QR code (an SVG in a data: URL). */
  readonly uri: string;
  readonly qr: string;
  readonly startedAt: string;
  readonly expiresAt: string;
  readonly state: 'waiting' | 'paid' | 'short' | 'over' | 'expired' | 'late';
  /** The till no longer asks about it (paid, over, cancelled, or long expired). */
  readonly final: boolean;
  /** One sentence: what came of the sale and what to do. */
  readonly words: string;
  /** The sum of the payments in time. */
  readonly received: number;
  readonly payments: readonly TillPaymentView[];
  /** Too little, still in time: a request for the rest, with the same reference. */
  readonly rest: { readonly amount: number; readonly uri: string; readonly qr: string } | null;
  /** The majority's committed period at the till's last check (null: none yet). */
  readonly committedPeriod: number | null;
  /** The majority's committed period at the check that gave the sale its state (null: still waiting). */
  readonly decidedAt: number | null;
  /** Why the last check could not decide, in words, or null. */
  readonly trouble: string | null;
}

export interface StaffView {
  /** The link that opens the till alone: `scryp wallet`'s with its staff token, the pocket wallet's with the account's address. */
  readonly link: string;
  /** What the link can and cannot do, in words. */
  readonly note: string;
}
