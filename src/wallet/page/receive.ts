// Receive: the address, and a payment request (amount, reference, label, message) built as the
// person types, shown as a URI to copy and as a QR code. The QR code is an SVG the
// wallet process renders; the page puts it in an <img> as a data: URL, never as markup.

import type { RequestView } from '../api-types.ts';
import { ApiFailure, failureText, post } from './api.ts';
import { byId, copyText, setText, show } from './dom.ts';

let address = '';
let sequence = 0;
let timer: number | null = null;

async function build(): Promise<void> {
  const mine = ++sequence;
  const error = byId('receive-error');
  try {
    const view = await post<RequestView>('/api/request', {
      amount: byId<HTMLInputElement>('receive-amount').value,
      reference: byId<HTMLInputElement>('receive-reference').value,
      label: byId<HTMLInputElement>('receive-label').value,
      message: byId<HTMLInputElement>('receive-message').value,
    });
    if (mine !== sequence) return;
    byId<HTMLTextAreaElement>('receive-uri').value = view.uri;
    const image = byId<HTMLImageElement>('receive-qr');
    image.src = view.qr;
    show(image, true);
    show(error, false);
    for (const id of ['receive-amount', 'receive-reference']) byId(id).removeAttribute('aria-invalid');
  } catch (failure) {
    if (mine !== sequence) return;
    setText(error, failureText(failure));
    show(error, true);
    byId(failure instanceof ApiFailure && failure.code === 'WALLET_REFERENCE' ? 'receive-reference' : 'receive-amount').setAttribute('aria-invalid', 'true');
  }
}

function rebuildSoon(): void {
  if (timer !== null) window.clearTimeout(timer);
  timer = window.setTimeout(() => void build(), 120);
}

export function renderReceive(newAddress: string): void {
  if (newAddress === address) return;
  address = newAddress;
  setText(byId('receive-address'), address);
  // Once the frame in hand is drawn: the QR code costs a phone-speed page 50 to 100 ms
  // (uqr), and it comes with the first overview, whose balance is what is on the screen.
  requestAnimationFrame(() => setTimeout(() => void build(), 0));
}

export function initReceive(): void {
  show(byId('receive-qr'), false);
  for (const id of ['receive-amount', 'receive-reference', 'receive-label', 'receive-message']) byId(id).addEventListener('input', rebuildSoon);
  byId<HTMLFormElement>('receive-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void build();
  });
  byId('receive-copy-address').addEventListener('click', () => void copyText(address, byId('receive-address'), byId('receive-copy-address-status')));
  byId('receive-copy-uri').addEventListener('click', () => {
    const uri = byId<HTMLTextAreaElement>('receive-uri');
    void copyText(uri.value, uri, byId('receive-copy-uri-status'));
  });
}
