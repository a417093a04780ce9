// The till, "Take a payment": the whole screen, for a customer at the counter to see.
// The seller types the amount (and a note); the screen shows the request's QR code, large,
// with the amount in big digits and "Waiting for payment"; then Paid, or what arrived
// instead (too little, more than asked, too late), or that the request expired. The wallet
// decides (sale.ts, till.ts: a quorum of the servers list the payment); the page shows the
// sale as the wallet tells it, asking a few times a second (a local call).
//
//   amount ──Show the QR code──► waiting ──► paid | over | short | late | expired
//     ▲                             │                         │
//     └────Cancel sale, New sale────┴─────────────────────────┘   (expired: Ask again)
//
// Opened from a staff link the till is all the page shows, and it never offers Send or Refund.

import type { TillView } from '../api-types.ts';
import { till_poll_ms } from '../../constants.ts';
import { failureText, followUntilFinal, post } from './api.ts';
import { amountText } from '../../amount-text.ts';
import { byId, copyText, localTime, setText, show } from './dom.ts';
import { onRefundLeave, startRefund } from './refund.ts';

let following: number | null = null;
let current: TillView | null = null;
let staffSession = false;

const titles: Record<Exclude<TillView['state'], 'waiting'>, string> = {
  paid: 'Paid',
  over: 'More than asked',
  short: 'Too little',
  late: 'Too late',
  expired: 'Expired',
};

const scryp = amountText;

function showStep(step: 'form' | 'sale' | 'result'): void {
  show(byId('till-form'), step === 'form');
  show(byId('till-sale'), step === 'sale');
  show(byId('till-result'), step === 'result');
  document.body.dataset.till = step;
}

function showError(text: string | null): void {
  setText(byId('till-error'), text ?? '');
  show(byId('till-error'), text !== null);
}

function renderWaiting(view: TillView): void {
  setText(byId('till-sale-amount'), scryp(view.amount));
  setText(byId('till-sale-note'), view.note);
  show(byId('till-sale-note'), view.note !== '');
  const qr = byId<HTMLImageElement>('till-qr');
  if (qr.getAttribute('src') !== view.qr) qr.src = view.qr;
  setText(byId('till-words'), view.words);
  setText(byId('till-trouble'), view.trouble ?? '');
  show(byId('till-trouble'), view.trouble !== null);
  setText(byId('till-reference'), view.reference);
  const expires = byId('till-expires');
  setText(expires, `at ${new Date(view.expiresAt).toLocaleTimeString(undefined, { timeStyle: 'short' })}`);
  expires.title = view.expiresAt;
  byId<HTMLTextAreaElement>('till-uri').value = view.uri;
  showStep('sale');
}

function renderResult(view: TillView, state: Exclude<TillView['state'], 'waiting'>): void {
  const result = byId('till-result');
  const first = result.hidden || result.dataset.state !== state;
  result.className = `till-result ${state}`;
  result.dataset.state = state;
  // What a test (and a curious person) can read of when the till decided: the servers' committed period then.
  result.dataset.decidedAt = view.decidedAt === null ? '' : String(view.decidedAt);
  setText(byId('till-result-title'), titles[state]);
  // Paid and expired: the amount asked; too little: how much of it; more than asked: what came; too late: what came late.
  const late = view.payments.filter((payment) => payment.late).reduce((sum, payment) => sum + payment.amount, 0);
  const amount = { paid: scryp(view.amount), expired: scryp(view.amount), short: `${scryp(view.received)} of ${scryp(view.amount)}`, over: scryp(view.received), late: scryp(late) }[state];
  setText(byId('till-result-amount'), amount);
  setText(byId('till-result-words'), view.words);
  const payments = view.payments;
  const last = payments[payments.length - 1];
  const payers = [...new Set(payments.map((payment) => payment.payer))];
  for (const [id, value] of [
    ['till-result-payer', payers.join(', ')],
    ['till-result-time', last === undefined ? '' : localTime(last.time)],
    ['till-result-period', payments.map((payment) => String(payment.period)).join(', ')],
  ] as const) {
    setText(byId(id), value);
    show(byId(id).closest('dd') ?? byId(id), value !== '');
    show(byId(`${id}-term`), value !== '');
  }
  setText(byId('till-result-reference'), view.reference);
  show(byId('till-rest'), view.rest !== null);
  if (view.rest !== null) {
    const qr = byId<HTMLImageElement>('till-rest-qr');
    if (qr.getAttribute('src') !== view.rest.qr) qr.src = view.rest.qr;
    byId<HTMLTextAreaElement>('till-rest-uri').value = view.rest.uri;
  }
  const again = byId('till-again');
  setText(again, `Ask again for ${scryp(view.amount)} scryp`);
  show(again, state === 'expired' || (state === 'short' && view.rest === null));
  // A refund pays back the newest payment of the sale (one at a time: each has its own confirmation).
  show(byId('till-refund'), !staffSession && state !== 'paid' && state !== 'expired' && last !== undefined);
  showStep('result');
  if (first) byId('till-result-title').focus();
}

function render(view: TillView): void {
  current = view;
  if (view.state === 'waiting') renderWaiting(view);
  else renderResult(view, view.state);
}

async function follow(id: string): Promise<void> {
  const token = (following = Date.now());
  await followUntilFinal<TillView>(`/api/till/${id}`, {
    everyMs: till_poll_ms,
    rounds: 200_000, // the wallet stops following a sale at last till_late_watch_ms after it expires (final)
    wanted: () => following === token,
    render,
    failed: (text) => {
      setText(byId('till-trouble'), text);
      show(byId('till-trouble'), true);
    },
  });
}

async function startSale(amount: string, note: string): Promise<void> {
  showError(null);
  const button = byId<HTMLButtonElement>('till-show');
  button.disabled = true;
  try {
    const view = await post<TillView>('/api/till', { amount, note });
    render(view);
    byId('till-title').focus();
    void follow(view.id);
  } catch (error) {
    showStep('form');
    showError(failureText(error));
    byId('till-amount').focus();
  } finally {
    button.disabled = false;
  }
}

/** Leaves the sale on screen (if any): the wallet stops following it. */
function leaveSale(): void {
  following = null;
  if (current !== null && !current.final) void post('/api/till/cancel', { id: current.id }).catch(() => {});
  current = null;
}

function newSale(): void {
  leaveSale();
  byId<HTMLInputElement>('till-amount').value = '';
  byId<HTMLInputElement>('till-note').value = '';
  showError(null);
  showStep('form');
  byId('till-amount').focus();
}

export function openTill(): void {
  document.body.classList.add('till-open');
  show(byId('screen-till'), true);
  if (current === null) newSale();
  else byId('till-title').focus();
}

function closeTill(): void {
  leaveSale();
  document.body.classList.remove('till-open');
  show(byId('screen-till'), false);
}

/** Whose payments the till takes: the account's address, under the title. */
export function renderTillAccount(address: string): void {
  setText(byId('till-account'), staffSession ? `A staff till for ${address}: it takes payments, and cannot send.` : `Payments to ${address}`);
}

/** `staff`: the page is the till alone (a staff link): no way back to the wallet, no Refund. */
export function initTill(staff: boolean): void {
  staffSession = staff;
  byId<HTMLFormElement>('till-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void startSale(byId<HTMLInputElement>('till-amount').value, byId<HTMLInputElement>('till-note').value);
  });
  byId('till-amount').addEventListener('input', () => showError(null));
  byId('till-cancel').addEventListener('click', newSale);
  byId('till-new').addEventListener('click', newSale);
  byId('till-again').addEventListener('click', () => {
    const asked = current;
    leaveSale();
    if (asked !== null) void startSale(String(asked.amount), asked.note);
  });
  byId('till-close').addEventListener('click', closeTill);
  byId('till-copy').addEventListener('click', () => {
    const uri = byId<HTMLTextAreaElement>('till-uri');
    void copyText(uri.value, uri, byId('till-copy-status'));
  });
  byId('till-refund').addEventListener('click', () => {
    const last = current?.payments[current.payments.length - 1];
    if (last === undefined) return;
    show(byId('till-refund-error'), false);
    void startRefund(last.txid, byId<HTMLButtonElement>('till-refund'), (text) => {
      setText(byId('till-refund-error'), `Not refunded: ${text}`);
      show(byId('till-refund-error'), true);
    });
  });
  onRefundLeave(closeTill);
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.till-open')) button.addEventListener('click', openTill);
}
