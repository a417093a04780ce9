// src/wallet/payment-life.ts: a payment's stages from the progress lines of
// src/client/wallet.ts `pay`, and the words a person reads for each outcome. The lines
// here are the ones `pay` writes (its format is checked end to end by the browser test,
// where the page must pass through Accepted to Committed).

import { describe, expect, test } from 'bun:test';
import { Status, statusName } from '../src/client/codec.ts';
import { final_stages, progressOfEnd, type Progress, refusalInWords, stageAfter, stageInWords } from '../src/wallet/payment-life.ts';

const txid = 'ab'.repeat(32);
const other = 'cd'.repeat(32);
const start: Progress = { stage: 'signing', txid: null, period: null };

describe('stages', () => {
  test('signing → sent on a refusal that is retried, → accepted on ACCEPTED, FORWARDED or DUPLICATE', () => {
    expect(stageAfter(start, `server 1: BAD_TIME (txid ${txid}, period 17)`)).toEqual({ stage: 'sent', txid, period: 17 });
    for (const status of ['ACCEPTED', 'FORWARDED', 'DUPLICATE']) {
      expect(stageAfter(start, `server 0: ${status} (txid ${txid}, period 17)`)).toEqual({ stage: 'accepted', txid, period: 17 });
    }
  });

  test('lines that do not move the payment leave it where it is', () => {
    const accepted: Progress = { stage: 'accepted', txid, period: 17 };
    for (const line of ['server 2 did not answer; not asking it again for this payment', 'waiting: pending in period 17', 'waiting: no majority yet', 'anything else']) {
      expect(stageAfter(accepted, line)).toEqual(accepted);
    }
  });

  test('a void period sends it again: back to sent, and the new txid replaces the old', () => {
    const accepted: Progress = { stage: 'accepted', txid, period: 17 };
    const again = stageAfter(accepted, `period 17 was decided without txid ${txid}: sending the payment again`);
    expect(again).toEqual({ stage: 'sent', txid: null, period: null });
    expect(stageAfter(again, `server 0: ACCEPTED (txid ${other}, period 19)`)).toEqual({ stage: 'accepted', txid: other, period: 19 });
  });

  test('a final stage never moves again', () => {
    for (const stage of final_stages) {
      const end: Progress = { stage, txid, period: 17 };
      expect(stageAfter(end, `server 0: ACCEPTED (txid ${other}, period 19)`)).toEqual(end);
    }
  });

  test('the end of pay() gives the final stage', () => {
    const bytes = new Uint8Array(32).fill(0xab);
    expect(progressOfEnd({ outcome: 'committed', txid: bytes, period: 18 })).toEqual({ stage: 'committed', txid, period: 18 });
    expect(progressOfEnd({ outcome: 'void', txid: bytes, period: 18 })).toEqual({ stage: 'void', txid, period: 18 });
    expect(progressOfEnd({ outcome: 'refused', txid: null, status: 'INSUFFICIENT_FUNDS' })).toEqual({ stage: 'refused', txid: null, period: null });
    expect(progressOfEnd({ outcome: 'timeout', txid: bytes, period: null })).toEqual({ stage: 'timeout', txid, period: null });
  });
});

describe('words', () => {
  test('every refusal pay() can end with has its own sentence, and each says nothing was paid', () => {
    const refusals = ['INSUFFICIENT_FUNDS', 'BAD_AMOUNT', 'BAD_PAYEE', 'BAD_SIGNATURE', 'BAD_REQUEST', 'BAD_TIME', 'RATE_LIMITED', 'UNAVAILABLE'];
    const sentences = new Set<string>();
    for (const status of refusals) {
      expect(Object.values(statusName)).toContain(status); // still a status of the protocol
      const words = refusalInWords(status);
      expect(words).not.toContain(status); // words, not the code
      expect(words).toContain('Nothing was paid.');
      sentences.add(words);
    }
    expect(sentences.size).toBe(refusals.length);
    expect(refusalInWords('SOMETHING_NEW')).toBe('The servers refused the payment (SOMETHING_NEW). Nothing was paid.');
    expect(statusName[Status.INSUFFICIENT_FUNDS]).toBe('INSUFFICIENT_FUNDS');
  });

  test('each stage in words: the period, the txid where it helps, and what to do', () => {
    expect(stageInWords({ stage: 'committed', txid, period: 18 })).toBe('Committed in period 18: the payment is final.');
    expect(stageInWords({ stage: 'accepted', txid, period: 17 })).toContain('period 17');
    expect(stageInWords({ stage: 'void', txid, period: 17 })).toContain('nothing was paid');
    expect(stageInWords({ stage: 'timeout', txid, period: null })).toContain(txid);
    expect(stageInWords({ stage: 'refused', txid: null, period: null }, 'INSUFFICIENT_FUNDS')).toBe(`Refused: ${refusalInWords('INSUFFICIENT_FUNDS')}`);
  });
});
