// A signature-checking thread. It receives batches of 140-byte payments and answers one
// byte per payment: 1 when the payer's signature holds, 0 when it does not. It uses the
// node's own verify (src/signature.ts: native, strict) with its own public-key cache.

import { transaction_bytes } from '../constants.ts';
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
  const count = transactions.length / transaction_bytes;
  const valid = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const tx = transactions.subarray(i * transaction_bytes, (i + 1) * transaction_bytes);
    valid[i] = verify(signatureOf(tx), signingMessage(networkId, tx), payerOf(tx)) ? 1 : 0;
  }
  const response: VerifyResponse = { id, valid };
  self.postMessage(response, [valid.buffer]);
}

if (!Bun.isMainThread) self.onmessage = onRequest;
