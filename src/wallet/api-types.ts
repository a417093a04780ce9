// The shapes of the wallet's local JSON API, shared by the wallet process (service.ts)
// and the page (page/*.ts). Types only: the page's bundle imports nothing from here.
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
// A refusal is HTTP 4xx with ApiError.

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
  /** One sentence: who agrees, at which period, and who does not. */
  readonly summary: string;
}

export interface Overview {
  readonly network: { readonly name: string; readonly id: string; readonly periodMs: number; readonly servers: readonly string[] };
  readonly account: { readonly address: string; readonly key: string };
  readonly balance: BalanceView;
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
