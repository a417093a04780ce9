// Row "framing": MB/s of encode + decode of signed batches of 140-byte payments through
// the framing layer (src/peer/framing.ts), beside raw TCP loopback bytes/s measured with
// Bun.listen/Bun.connect in the same run.

import { randomBytes } from 'node:crypto';
import { transaction_bytes } from '../src/constants.ts';
import { sha256 } from '../src/hash.ts';
import { utf8 } from '../src/bytes.ts';
import { encodeFrame, FrameDecoder } from '../src/peer/framing.ts';
import { encodeMessage, isKnownKind } from '../src/peer/messages.ts';
import { signerFromSeed, verify } from '../src/signature.ts';
import { formatRate, type Row } from './report.ts';

export async function rawTcpRate(totalBytes: number): Promise<number> {
  const chunk = new Uint8Array(1 << 20);
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const server = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      data(_socket, data) {
        received += data.length;
        if (received >= totalBytes) done();
      },
    },
  });
  let sent = 0;
  const pump = (socket: { write(data: Uint8Array): number }) => {
    while (sent < totalBytes) {
      const n = socket.write(chunk);
      if (n > 0) sent += n;
      if (n < chunk.length) return;
    }
  };
  const start = performance.now();
  const client = await Bun.connect({ hostname: '127.0.0.1', port: server.port, socket: { drain: (socket) => pump(socket), data() {} } });
  pump(client);
  await finished;
  const seconds = (performance.now() - start) / 1000;
  client.end();
  server.stop(true);
  return received / seconds;
}

export async function framingBench(quick: boolean): Promise<Row> {
  const signer = signerFromSeed(sha256(utf8('bench framing server 0')));
  const other = signerFromSeed(sha256(utf8('bench framing server 1')));
  const networkId = sha256(utf8('bench framing network'));
  const paymentsPerBatch = 4096; // one FORWARD message, as forwarders send them
  const payload = encodeMessage({ type: 'forward', transactions: new Uint8Array(randomBytes(paymentsPerBatch * transaction_bytes)) });
  const decoder = () =>
    new FrameDecoder({
      networkId,
      senderIndex: (key) => (key[0] === signer.publicKey[0] && key[1] === signer.publicKey[1] ? 0 : -1),
      isKnownKind,
      verify,
    });
  void other;
  const totalBytes = quick ? 64 << 20 : 512 << 20;
  let bytes = 0;
  let stream = decoder();
  const start = performance.now();
  while (bytes < totalBytes) {
    const frame = encodeFrame([payload], networkId, signer);
    // Fed in 64 KiB chunks, as a socket delivers them.
    for (let offset = 0; offset < frame.length; offset += 65536) {
      const frames = stream.push(frame.subarray(offset, Math.min(frame.length, offset + 65536)));
      if (stream.error !== null) throw stream.error;
      for (const decoded of frames) bytes += decoded.bytes;
    }
    if (bytes > 0 && bytes % (64 << 20) < frame.length) stream = decoder();
  }
  const framingRate = bytes / ((performance.now() - start) / 1000);
  const tcpRate = await rawTcpRate(quick ? 128 << 20 : 1024 << 20);
  const ratio = framingRate / tcpRate;
  return {
    row: 'framing',
    measured: `${formatRate(framingRate / 1e6, 'MB/s').replace('kMB', 'GB')} encode+sign+decode+verify, ${paymentsPerBatch}-payment batches`,
    reference: `raw TCP loopback ${(tcpRate / 1e6).toFixed(0)} MB/s`,
    ratio: ratio.toFixed(2),
    target: '≥ 0.5',
    met: ratio >= 0.5,
  };
}
