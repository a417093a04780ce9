// History: newest first, a page at a time, refreshed by itself when a new period commits
// (app.ts calls refreshHistory then), and exported as CSV. Each committed payment has a
// Receipt button (the receipt file of PROTOCOL §6.14, collected from a quorum of the
// servers and saved as receipt-<txid>.json); each one received, Refund (refund.ts).

import type { HistoryRow, HistoryView, ReceiptView } from '../api-types.ts';
import { failureText, get, post } from './api.ts';
import { amountText } from '../../amount-text.ts';
import { byId, localTime, make, saveFile, setText, shorten, show } from './dom.ts';
import { contactName } from './contacts.ts';
import { startRefund } from './refund.ts';

/** The cursor of each page shown, so Newest goes back and Older goes on. */
let cursor: string | null = null;
let next: string | null = null;
let loading = false;
/**
 * What to load once the load in flight is done: a page a person asked for (it wins, the last
 * one asked), or the newest page again because a period committed meanwhile. Nothing asked
 * while a page loads is dropped (a click on Older during a refresh was, now and then).
 */
let then: { kind: 'page'; before: string | null } | { kind: 'refresh' } | null = null;
/** What the table shows now: rows are drawn again only when they change (a button being pressed stays where it is). */
let shown = '';

function showError(text: string | null): void {
  setText(byId('history-error'), text ?? '');
  show(byId('history-error'), text !== null);
}

/** Asks the wallet for a payment's receipt (a few hundred ms: every server in force is asked) and saves it. */
async function saveReceipt(entry: HistoryRow, button: HTMLButtonElement): Promise<void> {
  const status = byId('history-action-status');
  showError(null);
  button.disabled = true;
  setText(status, `Asking the servers for the receipt of ${shorten(entry.txid, 10, 6)}…`);
  try {
    const receipt = await post<ReceiptView>('/api/receipt', { txid: entry.txid });
    saveFile(receipt.name, receipt.text, 'application/json');
    setText(status, `Saved ${receipt.name}: ${receipt.summary}`);
  } catch (error) {
    setText(status, '');
    showError(`No receipt: ${failureText(error)}`);
  } finally {
    button.disabled = false;
  }
}

function row(entry: HistoryRow): HTMLTableRowElement {
  const tr = make('tr');
  const cell = (label: string, text: string, attributes: Record<string, string> = {}) => {
    const td = make('td', text, { 'data-label': label, ...attributes });
    tr.append(td);
    return td;
  };
  cell('Time', localTime(entry.time)).setAttribute('title', entry.time);
  cell('Direction', entry.direction === 'in' ? 'Received' : 'Sent');
  const name = contactName(entry.counterparty) ?? entry.contact;
  const who = cell('Counterparty', name ?? shorten(entry.counterparty, 14, 8), { title: entry.counterparty });
  if (name !== null) who.append(make('br'), make('code', shorten(entry.counterparty, 14, 8), { class: 'address' }));
  const amount = cell('Amount', '', { class: `number ${entry.direction}` });
  amount.append(make('span', entry.direction === 'in' ? '+' : '−', { class: 'amount-sign', 'aria-hidden': 'true' }), document.createTextNode(`${amountText(entry.amount)} scryp`));
  cell('Status', entry.status);
  cell('Reference', entry.reference ?? '—');
  cell('Txid', '', { title: entry.txid }).append(make('code', shorten(entry.txid, 10, 6), { class: 'txid' }));
  const actions = make('td', '', { class: 'actions' });
  tr.append(actions);
  const short = shorten(entry.txid, 10, 6);
  if (entry.outcome === 'committed') {
    const receipt = make('button', 'Receipt', { type: 'button', 'aria-label': `Receipt of payment ${short}` });
    receipt.addEventListener('click', () => void saveReceipt(entry, receipt));
    actions.append(receipt);
    if (entry.direction === 'in') {
      const refund = make('button', 'Refund', { type: 'button', 'aria-label': `Refund payment ${short}`, class: 'owner-only' });
      refund.addEventListener('click', () => {
        showError(null);
        setText(byId('history-action-status'), '');
        void startRefund(entry.txid, refund, (text) => showError(`Not refunded: ${text}`));
      });
      actions.append(' ', refund);
    }
  }
  return tr;
}

async function load(before: string | null): Promise<void> {
  if (loading) {
    then = { kind: 'page', before };
    return;
  }
  loading = true;
  try {
    const view = await get<HistoryView>(`/api/history${before === null ? '' : `?before=${encodeURIComponent(before)}`}`);
    cursor = before;
    next = view.next;
    const drawn = JSON.stringify([before, view.rows]);
    if (drawn !== shown) byId('history-rows').replaceChildren(...view.rows.map(row));
    shown = drawn;
    show(byId('history-empty'), view.rows.length === 0 && before === null);
    setText(byId('history-note'), view.note);
    byId<HTMLButtonElement>('history-older').disabled = next === null;
    byId<HTMLButtonElement>('history-newest').disabled = before === null;
  } catch (error) {
    setText(byId('history-note'), failureText(error));
  } finally {
    loading = false;
  }
  const waiting = then;
  then = null;
  if (waiting?.kind === 'page') await load(waiting.before);
  else if (waiting?.kind === 'refresh' && cursor === null) await load(null);
}

/** Called when a new period commits: the newest page is reloaded; an older page stays as it is. */
export async function refreshHistory(): Promise<void> {
  if (loading) {
    then ??= { kind: 'refresh' };
    return;
  }
  if (cursor === null) await load(null);
}

async function exportCsv(): Promise<void> {
  const status = byId('history-csv-status');
  try {
    const csv = await get<string>('/api/history.csv');
    saveFile('scryp-history.csv', csv, 'text/csv');
    const count = Math.max(0, csv.trim().split('\n').length - 1);
    setText(status, `Saved scryp-history.csv (${count} payment${count === 1 ? '' : 's'}).`);
  } catch (error) {
    setText(status, failureText(error));
  }
}

export function initHistory(): void {
  byId('history-newest').addEventListener('click', () => void load(null));
  byId('history-older').addEventListener('click', () => {
    if (next !== null) void load(next);
  });
  byId('history-csv').addEventListener('click', () => void exportCsv());
}
