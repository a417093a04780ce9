// The receiving end of the framing benchmark, in its own process: accepts one TCP
// connection and either decodes signed batches through the framing layer (checking
// every signature) or just counts raw bytes. Prints JSON { bytes, seconds } when the
// sender closes. Usage: bun bench/framing-sink.ts PORT_FILE framed|raw NETWORK_ID_HEX SENDER_KEY_HEX

import { writeFileSync } from 'node:fs';
import { equal, fromHex } from '../src/bytes.ts';
import { FrameDecoder } from '../src/peer/framing.ts';
import { isKnownKind } from '../src/peer/messages.ts';
import { verify } from '../src/signature.ts';

const [portFile, mode, networkHex, senderHex] = process.argv.slice(2);
const networkId = fromHex(networkHex, 32, 'network');
const sender = fromHex(senderHex, 32, 'sender');
const decoder = new FrameDecoder({ networkId, senderIndex: (key) => (equal(key, sender) ? 0 : -1), isKnownKind, verify });
let bytes = 0;
let first = 0;
let last = 0;
const server = Bun.listen({
  hostname: '127.0.0.1',
  port: 0,
  socket: {
    data(_socket, chunk) {
      if (first === 0) first = performance.now();
      if (mode === 'framed') {
        for (const frame of decoder.push(chunk)) bytes += frame.bytes;
        if (decoder.error !== null) throw decoder.error;
      } else {
        bytes += chunk.length;
      }
      last = performance.now();
    },
    close() {
      process.stdout.write(`${JSON.stringify({ bytes, seconds: (last - first) / 1000 })}\n`);
      server.stop(true);
      process.exit(0);
    },
  },
});
writeFileSync(portFile!, String(server.port));
