// Refund (History's button on a payment received, the till's on a payment that came with
// a sale's reference): the wallet decides what may be refunded (client/refund.ts: a payment
// a quorum of the servers list committed to this wallet) and what will be signed, to the
// payer, the same amount and reference; Send's confirmation shows it, and nothing is signed
// before Sign and send. A refusal (REFUND_NOT_RECEIVED, REFUND_VOID, …) is said in words
// where the button was.

import type { Confirmation } from '../api-types.ts';
import { failureText, post } from './api.ts';
import { showConfirmation } from './send.ts';
import { selectTab } from './tabs.ts';

let leaving: () => void = () => {};

/** What to close before Send shows the refund (the till's screen). */
export function onRefundLeave(close: () => void): void {
  leaving = close;
}

export async function startRefund(txid: string, button: HTMLButtonElement, refused: (text: string) => void): Promise<void> {
  button.disabled = true;
  try {
    const confirmation = await post<Confirmation>('/api/refund', { txid });
    leaving();
    selectTab('send');
    showConfirmation(confirmation);
  } catch (error) {
    refused(failureText(error));
  } finally {
    button.disabled = false;
  }
}
