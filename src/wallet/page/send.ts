// Send: Recipient (checked as the person types, the refusal in words), a contact to pick,
// Amount; then a confirmation of exactly what will be signed (a request's reference with
// it); then the payment's life, sent → accepted → committed (or void, or refused),
// followed until it ends. A refund (History's or the till's Refund) comes in at the
// confirmation, with what it pays back.
//
//   form ──Send──► confirmation ──Sign and send──► life ──New payment──► form
//                      └──Back──► form
//   Refund ───────►┘

import type { Confirmation, PaymentView, RecipientView } from '../api-types.ts';
import { ApiFailure, failureText, followUntilFinal, post } from './api.ts';
import { amountText } from '../../amount-text.ts';
import { byId, make, setText, show } from './dom.ts';

const recipientInput = () => byId<HTMLInputElement>('send-recipient');
const amountInput = () => byId<HTMLInputElement>('send-amount');

let checkSequence = 0;
/** The request text whose amount was last put in the Amount field (so a later edit of the amount stays). */
let amountFilledFrom: string | null = null;
let ticket: Confirmation | null = null;
let following: number | null = null;
/** Whether the key is open: the pocket wallet's is not until its passphrase is typed at Sign and send. */
let signerOpen = true;

export function setSignerOpen(open: boolean): void {
  signerOpen = open;
  show(byId('confirm-passphrase-field'), !open);
}

function setStatus(element: HTMLElement, text: string, kind: 'ok' | 'bad' | ''): void {
  setText(element, text);
  element.className = `status ${kind}`;
}

function showRequest(request: RecipientView['request']): void {
  show(byId('send-request'), request !== null && (request.label !== '' || request.message !== '' || request.reference !== null));
  setText(byId('send-request-label'), request?.label || '—');
  setText(byId('send-request-message'), request?.message || '—');
  setText(byId('send-request-reference'), request?.reference ?? '—');
}

/** A fact of the confirmation that only some payments have: shown with its term, or both hidden. */
function optionalFact(id: string, value: string): void {
  setText(byId(id), value);
  show(byId(id), value !== '');
  show(byId(`${id}-term`), value !== '');
}

/** Asks the wallet what the Recipient field holds; an older answer never overwrites a newer one. */
async function checkRecipient(): Promise<void> {
  const sequence = ++checkSequence;
  const text = recipientInput().value;
  const status = byId('send-recipient-status');
  if (text.trim() === '') {
    setStatus(status, '', '');
    recipientInput().removeAttribute('aria-invalid');
    showRequest(null);
    return;
  }
  try {
    const view = await post<RecipientView>('/api/recipient', { recipient: text });
    if (sequence !== checkSequence) return;
    recipientInput().setAttribute('aria-invalid', 'false');
    const who = view.contact === null ? '' : ` (${view.contact})`;
    setStatus(status, `✓ A valid address${who}: ${view.address}`, 'ok');
    showRequest(view.request);
    // A pasted request says how much: it fills the Amount (the confirmation shows it again).
    if (view.request?.amount != null && amountFilledFrom !== text) {
      amountFilledFrom = text;
      amountInput().value = String(view.request.amount);
      checkAmount();
      setStatus(byId('send-amount-status'), 'Filled in from the payment request.', 'ok');
    }
  } catch (error) {
    if (sequence !== checkSequence) return;
    recipientInput().setAttribute('aria-invalid', 'true');
    setStatus(status, `✗ ${failureText(error)}`, 'bad');
    showRequest(null);
  }
}

function checkAmount(): void {
  const text = amountInput().value.trim();
  const status = byId('send-amount-status');
  if (text === '' || /^[0-9]+$/.test(text)) {
    amountInput().removeAttribute('aria-invalid');
    setStatus(status, '', '');
  } else {
    amountInput().setAttribute('aria-invalid', 'true');
    setStatus(status, `✗ A whole number of scryp, digits only${/[.,]/.test(text) ? ' (scryp has no fractions)' : ''}.`, 'bad');
  }
}

function showError(text: string | null): void {
  const banner = byId('send-error');
  setText(banner, text ?? '');
  show(banner, text !== null);
}

async function review(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  showError(null);
  const submit = byId<HTMLButtonElement>('send-submit');
  submit.disabled = true;
  try {
    ticket = await post<Confirmation>('/api/payments/check', { recipient: recipientInput().value, amount: amountInput().value });
  } catch (error) {
    showError(failureText(error));
    if (error instanceof ApiFailure && error.code === 'WALLET_AMOUNT') amountInput().focus();
    else if (error instanceof ApiFailure && error.code !== 'WALLET_OVERDRAFT') recipientInput().focus();
    return;
  } finally {
    submit.disabled = false;
  }
  showConfirmation(ticket);
}

/** The confirmation of exactly what will be signed: a payment of the form, or a refund. */
export function showConfirmation(confirmation: Confirmation): void {
  ticket = confirmation;
  following = null;
  const refund = confirmation.refunds;
  setText(byId('send-confirm-title'), refund === null ? 'Check the payment, then sign it' : 'Check the refund, then sign it');
  setText(
    byId('confirm-intro'),
    refund === null
      ? 'This is exactly what the wallet will sign and send. Nothing has been sent yet.'
      : 'This pays the payment back to its payer: the same amount, with the same reference. This is exactly what the wallet will sign and send; nothing has been sent yet.',
  );
  setText(byId('confirm-from'), confirmation.from);
  setText(byId('confirm-to'), confirmation.to);
  setText(byId('confirm-contact'), confirmation.contact === null ? '' : `(${confirmation.contact})`);
  setText(byId('confirm-amount'), amountText(confirmation.amount));
  setText(byId('confirm-network'), `${confirmation.network} (network id ${confirmation.networkId.slice(0, 16)}…)`);
  optionalFact('confirm-reference', confirmation.reference ?? '');
  optionalFact('confirm-refunds', refund === null ? '' : `payment ${refund.txid}, received in period ${refund.period}`);
  optionalFact('confirm-label', confirmation.label);
  optionalFact('confirm-message', confirmation.message);
  show(byId('send-form'), false);
  show(byId('send-life'), false);
  show(byId('send-confirm'), true);
  byId('send-confirm-title').focus();
}

function backToForm(): void {
  ticket = null;
  show(byId('send-confirm'), false);
  show(byId('send-life'), false);
  show(byId('send-form'), true);
  recipientInput().focus();
}

function renderLife(view: PaymentView): void {
  setText(byId('life-to'), view.to);
  setText(byId('life-amount'), amountText(view.amount));
  optionalFact('life-reference', view.reference ?? '');
  setText(byId('life-txid'), view.txid ?? '—');
  setText(byId('send-life-words'), view.words);
  byId('send-life-words').className = `status-words ${view.stage === 'committed' ? 'ok' : view.final ? 'bad' : ''}`;
  const order = ['signing', 'sent', 'accepted'];
  const reached = (stage: string) => view.final || order.indexOf(view.stage) >= order.indexOf(stage);
  const mark = (id: string, label: string, state: 'done' | 'current' | 'failed' | '') => {
    const item = byId(id);
    item.className = state;
    setText(item, `${label}${state === 'done' ? ' ✓' : state === 'failed' ? ' ✗' : state === 'current' ? ' …' : ''}`);
    if (state === 'current') item.setAttribute('aria-current', 'step');
    else item.removeAttribute('aria-current');
  };
  const refusedEarly = view.stage === 'refused' && view.period === null;
  mark('stage-sent', 'Sent', view.stage === 'signing' ? 'current' : 'done');
  mark('stage-accepted', 'Accepted', refusedEarly ? '' : reached('accepted') && view.stage !== 'sent' ? 'done' : view.stage === 'sent' ? 'current' : '');
  const finalLabel = { committed: 'Committed', void: 'Void', refused: 'Refused', timeout: 'No outcome yet' }[view.stage as string] ?? 'Committed';
  mark('stage-final', finalLabel, view.stage === 'committed' ? 'done' : view.final ? 'failed' : view.stage === 'accepted' ? 'current' : '');
  byId('life-steps').replaceChildren(...view.steps.map((step) => make('li', step)));
}

async function follow(id: string): Promise<void> {
  const token = (following = Date.now());
  await followUntilFinal<PaymentView>(`/api/payments/${id}`, {
    everyMs: 50, // a local call: asking often costs nothing, and Committed shows at once
    rounds: 3000, // a payment ends within a few periods; the wallet process's own patience ends it
    wanted: () => following === token,
    render: renderLife,
    failed: (text) => setText(byId('send-life-words'), text),
  });
}

async function sign(): Promise<void> {
  if (ticket === null) return;
  const button = byId<HTMLButtonElement>('confirm-sign');
  button.disabled = true;
  const passphrase = byId<HTMLInputElement>('confirm-passphrase');
  setText(byId('confirm-status'), signerOpen ? '' : 'Opening the key (this takes a moment)…');
  try {
    const view = await post<PaymentView>('/api/payments', { ticket: ticket.ticket, ...(signerOpen ? {} : { passphrase: passphrase.value }) });
    passphrase.value = '';
    setSignerOpen(true);
    setText(byId('confirm-status'), '');
    ticket = null;
    show(byId('send-confirm'), false);
    show(byId('send-life'), true);
    renderLife(view);
    byId('send-life-title').focus();
    void follow(view.id);
  } catch (error) {
    setText(byId('confirm-status'), '');
    if (error instanceof ApiFailure && (error.code === 'BAD_PASSPHRASE' || error.code === 'PASSPHRASE_EMPTY')) {
      // The ticket stays: type the passphrase again.
      setText(byId('confirm-status'), failureText(error));
      passphrase.select();
      return;
    }
    show(byId('send-confirm'), false);
    show(byId('send-form'), true);
    showError(failureText(error));
  } finally {
    button.disabled = false;
  }
}

function newPayment(): void {
  following = null;
  recipientInput().value = '';
  amountInput().value = '';
  amountFilledFrom = null;
  void checkRecipient();
  checkAmount();
  backToForm();
}

/** Fills the Recipient field (from a contact) and checks it. */
export function fillRecipient(address: string): void {
  if (byId('send-form').hidden) newPayment();
  recipientInput().value = address;
  void checkRecipient();
}

export function setContacts(contacts: readonly { name: string; address: string }[]): void {
  const select = byId<HTMLSelectElement>('send-contact');
  const chosen = select.value;
  const options = contacts.map((contact) => make('option', `${contact.name}`, { value: contact.address }));
  select.replaceChildren(make('option', contacts.length === 0 ? '— no contacts yet —' : '— choose —', { value: '' }), ...options);
  select.value = contacts.some((contact) => contact.address === chosen) ? chosen : '';
}

export function initSend(): void {
  // A refusal of the last Send is about what was there then: an edit clears it.
  recipientInput().addEventListener('input', () => {
    showError(null);
    void checkRecipient();
  });
  amountInput().addEventListener('input', () => {
    showError(null);
    checkAmount();
  });
  byId<HTMLSelectElement>('send-contact').addEventListener('change', (event) => {
    const address = (event.target as HTMLSelectElement).value;
    if (address !== '') fillRecipient(address);
  });
  byId<HTMLFormElement>('send-form').addEventListener('submit', (event) => void review(event));
  byId('confirm-sign').addEventListener('click', () => void sign());
  byId('confirm-back').addEventListener('click', backToForm);
  byId('life-new').addEventListener('click', newPayment);
}
