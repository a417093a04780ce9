// Row "verify": Ed25519 verifies per second on the node's path (src/signature.ts `verify`,
// native with cached public keys), beside the raw native call and the pure-JS reference.

import crypto from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { verify, verifyReference, signerFromSeed } from '../src/signature.ts';
import { signingMessage, signPayment } from '../src/transaction.ts';
import { sha256 } from '../src/hash.ts';
import { utf8 } from '../src/bytes.ts';
import { formatRate, percentile, rate, type Row } from './report.ts';

export function verifyBench(quick: boolean): { row: Row; nativeRate: number; measureNative: (ms: number) => number } {
  const ms = quick ? 300 : 2000;
  const networkId = sha256(utf8('bench network'));
  // A realistic mix: payments from 1,000 payers, as an alpha sees them.
  const payers = Array.from({ length: quick ? 100 : 1000 }, (_, i) => signerFromSeed(sha256(utf8(`bench payer ${i}`))));
  const payee = payers[0]!.publicKey;
  const txs = payers.map((payer, i) => signPayment(payer, networkId, { timestamp: 1_700_000_000_000 + i, amount: 1 + i, payee }));
  const messages = txs.map((tx) => signingMessage(networkId, tx));
  const spki = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
  const keys = payers.map((payer) => crypto.createPublicKey({ key: Buffer.concat([spki, payer.publicKey]), format: 'der', type: 'spki' }));
  let i = 0;
  const next = () => (i = (i + 1) % txs.length);
  const native = () => {
    const k = next();
    if (!crypto.verify(null, messages[k]!, keys[k]!, txs[k]!.subarray(76))) throw new Error('bench: native verify failed');
  };
  const node = () => {
    const k = next();
    if (!verify(txs[k]!.subarray(76), messages[k]!, payers[k]!.publicKey)) throw new Error('bench: node verify failed');
  };
  // Side by side in short alternating slices (A B B A ...), so that a neighbour's load or a
  // change of clock speed falls on both alike; each rate is the mean over its slices.
  const rounds = quick ? 4 : 16;
  const nativeRates: number[] = [];
  const nodeRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const slice = ms / rounds;
    if (round % 2 === 0) {
      nativeRates.push(rate(slice, native, 20));
      nodeRates.push(rate(slice, node, 20));
    } else {
      nodeRates.push(rate(slice, node, 20));
      nativeRates.push(rate(slice, native, 20));
    }
  }
  const nativeRate = nativeRates.reduce((a, b) => a + b, 0) / rounds;
  const nodeRate = nodeRates.reduce((a, b) => a + b, 0) / rounds;
  // The ratio is the median of each round's pair: a burst of a neighbour's load spoils one pair, not the figure.
  const pairRatio = percentile(nodeRates.map((r, i) => r / nativeRates[i]!), 50);
  const nobleRate = rate(quick ? 200 : 1000, () => {
    const k = next();
    if (!verifyReference(txs[k]!.subarray(76), messages[k]!, payers[k]!.publicKey)) throw new Error('bench: noble verify failed');
  }, 5);
  void ed25519;
  // Native is the fastest correct path by far (noble is the reference, ~8x slower).
  const ratio = nativeRate >= nobleRate ? pairRatio : nodeRate / nobleRate;
  return {
    nativeRate,
    measureNative: (slice) => rate(slice, native, 20),
    row: {
      row: 'verify',
      measured: `${formatRate(nodeRate, 'verify/s')} (node path, 1 core)`,
      reference: `native ${formatRate(nativeRate, '/s')}; noble strict ${formatRate(nobleRate, '/s')}`,
      ratio: `${ratio.toFixed(2)} of fastest`,
      target: '≥ 0.95',
      met: ratio >= 0.95,
    },
  };
}
