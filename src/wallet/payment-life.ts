// A payment's life as the wallet page shows it, and every outcome in plain words.
//
//   signing ──► sent ──► accepted ──► committed
//                 │          │    └─► void      (period decided without it; the wallet
//                 │          │                   signs anew and sends again, up to 5 times)
//                 │          └──────► timeout   (no majority answered: it may still commit)
//                 └─────────────────► refused   (a server said no: nothing was paid)
//
// src/client/wallet.ts `pay` reports its progress as lines of text (the same lines
// `scryp pay` logs); `stageAfter` reads the ones that move a payment on. The words of a
// refusal say what the servers' status means (docs/PROTOCOL.md §6.4) and what to do.

import type { PaymentEnd } from '../client/wallet.ts';
import { toHex } from '../bytes.ts';
import type { Stage } from './api-types.ts';

export type { Stage };

export const final_stages: readonly Stage[] = ['committed', 'void', 'refused', 'timeout'];

export interface Progress {
  readonly stage: Stage;
  readonly txid: string | null;
  readonly period: number | null;
}

const serverAnswered = /^server (\d+): ([A-Z_]+) \(txid ([0-9a-f]{64}), period (\d+)\)$/;
const sentAgain = /^period (\d+) was decided without txid ([0-9a-f]{64}): sending the payment again$/;

/** The stage after one progress line of `pay`; lines that do not move the payment leave it as it is. */
export function stageAfter(current: Progress, line: string): Progress {
  if (final_stages.includes(current.stage)) return current;
  const answered = serverAnswered.exec(line);
  if (answered !== null) {
    const status = answered[2]!;
    const txid = answered[3]!;
    const period = Number(answered[4]);
    if (status === 'ACCEPTED' || status === 'FORWARDED' || status === 'DUPLICATE') return { stage: 'accepted', txid, period };
    return { stage: 'sent', txid, period };
  }
  if (sentAgain.test(line)) return { stage: 'sent', txid: null, period: null }; // a new signature, a new txid
  return current;
}

/** The final stage of a payment from what `pay` returned. */
export function progressOfEnd(end: PaymentEnd): Progress {
  const txid = end.txid === null ? null : toHex(end.txid);
  switch (end.outcome) {
    case 'committed':
    case 'void':
      return { stage: end.outcome, txid, period: end.period };
    case 'refused':
      return { stage: 'refused', txid, period: null };
    case 'timeout':
      return { stage: 'timeout', txid, period: end.period };
  }
}

/** What the servers' refusal of a payment means, for the person who sent it. */
export function refusalInWords(status: string): string {
  switch (status) {
    case 'INSUFFICIENT_FUNDS':
      return 'Not enough money: the servers say this wallet’s balance does not cover the amount (after its other payments in this period). Nothing was paid.';
    case 'BAD_AMOUNT':
      return 'The amount must be at least 1 scryp, and a wallet cannot pay itself. Nothing was paid.';
    case 'BAD_PAYEE':
      return 'The servers refuse this recipient: no one can sign for that key, so money sent there could never move again. Check the address with the payee. Nothing was paid.';
    case 'BAD_SIGNATURE':
      return 'The servers could not verify this wallet’s signature (is the wallet on the right network?). Nothing was paid.';
    case 'BAD_REQUEST':
      return 'The servers could not read the payment (another protocol version?). Nothing was paid.';
    case 'BAD_TIME':
      return 'This computer’s clock is too far from the servers’ clocks: set the clock right and send again. Nothing was paid.';
    case 'RATE_LIMITED':
      return 'The servers are too busy to take the payment now: wait a few seconds and send again. Nothing was paid.';
    case 'UNAVAILABLE':
      return 'No server could take the payment (they are catching up, or cannot reach each other): wait a little and send again. Nothing was paid.';
    default:
      return `The servers refused the payment (${status}). Nothing was paid.`;
  }
}

/** One sentence for each stage: the page shows it beside the stage's name, never colour alone. */
export function stageInWords(progress: Progress, refusal: string | null = null): string {
  const txid = progress.txid === null ? '' : ` (txid ${progress.txid})`;
  switch (progress.stage) {
    case 'signing':
      return 'Signing the payment and sending it to the servers…';
    case 'sent':
      return `Sent to the servers, waiting for an answer…${txid}`;
    case 'accepted':
      return `Accepted for period ${progress.period}: waiting for the servers to commit it…`;
    case 'committed':
      return `Committed in period ${progress.period}: the payment is final.`;
    case 'void':
      return `Void: period ${progress.period} was decided without this payment, several times over, so nothing was paid. Send it again later.`;
    case 'refused':
      return `Refused: ${refusalInWords(refusal ?? '')}`;
    case 'timeout':
      return `No outcome yet: no majority of servers answered in time. The payment may still commit${txid}: look for it in History in a minute before sending it again.`;
  }
}
