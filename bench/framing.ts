// Row "framing": MB/s of signed batches of 140-byte payments through the framing layer,
// end to end: encoded and signed in this process, sent over TCP loopback, decoded and
// verified in another (as between two servers), beside raw TCP loopback bytes/s with
// Bun.listen/Bun.connect between the same two processes. Also, for the record: encode +
// decode in one thread, and the bound two SHA-256 passes put on that.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transaction_bytes } from '../src/constants.ts';
import { sha256 } from '../src/hash.ts';
import { toHex, utf8 } from '../src/bytes.ts';
import { encodeFrame, FrameDecoder } from '../src/peer/framing.ts';
import { encodeMessage, isKnownKind } from '../src/peer/messages.ts';
import { signerFromSeed, verify } from '../src/signature.ts';
import { type Row } from './report.ts';

async function sendThrough(mode: 'framed' | 'raw', totalBytes: number, next: () => Uint8Array, networkId: Uint8Array, senderKey: Uint8Array): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'scryp-framing-'));
  const portFile = join(dir, 'port');
  const sink = Bun.spawn(['bun', join(import.meta.dir, 'framing-sink.ts'), portFile, mode, toHex(networkId), toHex(senderKey)], { stdout: 'pipe', stderr: 'inherit' });
  while (!existsSync(portFile) || readFileSync(portFile, 'utf8') === '') await Bun.sleep(5);
  const port = Number(readFileSync(portFile, 'utf8'));
  let sent = 0;
  let pending: Uint8Array | null = null;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const pump = (socket: { write(data: Uint8Array): number; end(): void }) => {
    for (;;) {
      if (pending === null) {
        if (sent >= totalBytes) {
          socket.end();
          done();
          return;
        }
        pending = next();
      }
      const written = socket.write(pending);
      if (written < pending.length) {
        pending = pending.subarray(Math.max(0, written));
        return; // the kernel buffer is full: wait for drain
      }
      sent += pending.length;
      pending = null;
    }
  };
  const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { drain: (s) => pump(s), data() {} } });
  pump(socket);
  await finished;
  const result = JSON.parse(await new Response(sink.stdout).text()) as { bytes: number; seconds: number };
  await sink.exited;
  rmSync(dir, { recursive: true, force: true });
  return result.bytes / result.seconds;
}

export async function framingBench(quick: boolean): Promise<Row> {
  const signer = signerFromSeed(sha256(utf8('bench framing server 0')));
  const networkId = sha256(utf8('bench framing network'));
  const paymentsPerBatch = 4096; // one FORWARD message, as forwarders send them
  // Random payment bytes, each with a timestamp's top byte of 0: the mark of the 140-byte form in a payment list.
  const transactions = new Uint8Array(randomBytes(paymentsPerBatch * transaction_bytes));
  for (let offset = 0; offset < transactions.length; offset += transaction_bytes) transactions[offset] = 0;
  const payload = encodeMessage({ type: 'forward', transactions });
  const frameSize = encodeFrame([payload], networkId, signer).length;
  const totalBytes = quick ? 128 << 20 : 1024 << 20;

  // End to end, two processes: framed (encode + sign here, decode + verify there) and raw.
  const framedRate = await sendThrough('framed', totalBytes, () => encodeFrame([payload], networkId, signer), networkId, signer.publicKey);
  const rawChunk = new Uint8Array(randomBytes(frameSize));
  const rawRate = await sendThrough('raw', totalBytes, () => rawChunk, networkId, signer.publicKey);

  // One thread, for the record: encode + decode back to back, and SHA-256's own rate.
  const decoder = new FrameDecoder({ networkId, senderIndex: () => 0, isKnownKind, verify });
  let bytes = 0;
  const start = performance.now();
  while (bytes < totalBytes / 4) {
    const frame = encodeFrame([payload], networkId, signer);
    for (let offset = 0; offset < frame.length; offset += 65536) for (const decoded of decoder.push(frame.subarray(offset, offset + 65536))) bytes += decoded.bytes;
  }
  const oneThread = bytes / ((performance.now() - start) / 1000);
  const block = new Uint8Array(frameSize);
  const hashStart = performance.now();
  for (let i = 0; i < 200; i++) Bun.CryptoHasher.hash('sha256', block);
  const shaRate = (200 * frameSize) / ((performance.now() - hashStart) / 1000);

  const ratio = framedRate / rawRate;
  const mb = (rate: number) => `${(rate / 1e6).toFixed(0)} MB/s`;
  return {
    row: 'framing',
    measured: `${mb(framedRate)} end to end (encode+sign → TCP → decode+verify), ${paymentsPerBatch}-payment batches`,
    reference: `raw TCP loopback ${mb(rawRate)}, same two processes`,
    ratio: ratio.toFixed(2),
    target: '≥ 0.5',
    met: ratio >= 0.5,
    notes: `in one thread, encode + decode back to back: ${mb(oneThread)}; SHA-256 alone runs at ${mb(shaRate)}, and a batch is hashed once to sign and once to verify, so one thread can never pass ${mb(shaRate / 2)}`,
  };
}
