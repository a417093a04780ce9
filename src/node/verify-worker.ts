// A signature-checking thread. It receives lists of payments of either form (payment-list.ts:
// the signing tag of each is its form's) and answers one byte per payment: 1 when the payer's signature holds, 0 when it does not. It uses the
// node's own verify (src/signature.ts: native, strict) with its own public-key cache.

import { paymentsIn } from '../payment-list.ts';
import { verify } from '../signature.ts';
import { payerOf, signatureOf, signingMessage } from '../transaction.ts';

declare const self: Worker;

export interface VerifyRequest {
  readonly id: number;
  readonly networkId: Uint8Array;
  readonly transactions: Uint8Array;
}

export interface VerifyResponse {
  readonly id: number;
  readonly valid: Uint8Array;
}

function onRequest(event: MessageEvent<VerifyRequest>): void {
  const { id, networkId, transactions } = event.data;
  const payments = paymentsIn(transactions);
  const valid = new Uint8Array(payments.length);
  payments.forEach((tx, i) => {
    valid[i] = verify(signatureOf(tx), signingMessage(networkId, tx), payerOf(tx)) ? 1 : 0;
  });
  const response: VerifyResponse = { id, valid };
  self.postMessage(response, [valid.buffer]);
}

if (!Bun.isMainThread) self.onmessage = onRequest;
