// History: newest first, a page at a time, refreshed by itself when a new period commits
// (app.ts calls refreshHistory then), and exported as CSV.

import type { HistoryRow, HistoryView } from '../api-types.ts';
import { failureText, get } from './api.ts';
import { byId, make, setText, shorten, show } from './dom.ts';
import { contactName } from './contacts.ts';

/** The cursor of each page shown, so Newest goes back and Older goes on. */
let cursor: string | null = null;
let next: string | null = null;
let loading = false;

/** The time in the person's own zone and language; the ISO form stays in the title. */
function localTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
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
  amount.append(make('span', entry.direction === 'in' ? '+' : '−', { class: 'amount-sign', 'aria-hidden': 'true' }), document.createTextNode(`${entry.amount.toLocaleString('en-US')} scryp`));
  cell('Status', entry.status);
  cell('Txid', '', { title: entry.txid }).append(make('code', shorten(entry.txid, 10, 6), { class: 'txid' }));
  return tr;
}

async function load(before: string | null): Promise<void> {
  if (loading) return;
  loading = true;
  try {
    const view = await get<HistoryView>(`/api/history${before === null ? '' : `?before=${encodeURIComponent(before)}`}`);
    cursor = before;
    next = view.next;
    byId('history-rows').replaceChildren(...view.rows.map(row));
    show(byId('history-empty'), view.rows.length === 0 && before === null);
    setText(byId('history-note'), view.note);
    byId<HTMLButtonElement>('history-older').disabled = next === null;
    byId<HTMLButtonElement>('history-newest').disabled = before === null;
  } catch (error) {
    setText(byId('history-note'), failureText(error));
  } finally {
    loading = false;
  }
}

/** Called when a new period commits: the newest page is reloaded; an older page stays as it is. */
export async function refreshHistory(): Promise<void> {
  if (cursor === null) await load(null);
}

async function exportCsv(): Promise<void> {
  const status = byId('history-csv-status');
  try {
    const csv = await get<string>('/api/history.csv');
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const link = make('a', '', { href: url, download: 'scryp-history.csv' });
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setText(status, `Saved scryp-history.csv (${Math.max(0, csv.trim().split('\n').length - 1)} payments).`);
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
