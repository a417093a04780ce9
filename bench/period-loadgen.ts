// A load generator for whole periods, in its own process: sends pre-signed payments at
// their own timestamps to the server given for each (the alpha of its period), resends
// what gets no answer while the period still accepts, and reports what it saw.
// Usage: bun bench/period-loadgen.ts PLAN_FILE
// The plan file: JSON { ports: number[], periodMs, blackoutMs, file } where `file` holds
// records of target u8 || a payment as a payment list holds it (src/payment-list.ts: 140
// bytes, or the tag 0x02 and 148 bytes with a reference), in the order to send them; a
// payment with a reference goes as PAYREF.
// Prints one JSON line: { payments, accepted, lost, statuses }.

import { encodeRequest, payKindOf, requestBytesFor, Status } from '../src/client/codec.ts';
import { paymentsIn } from '../src/payment-list.ts';
import { timestampOf } from '../src/transaction.ts';

const plan = JSON.parse(await Bun.file(process.argv[2]!).text()) as { ports: number[]; periodMs: number; blackoutMs: number; file: string };
const records = new Uint8Array(await Bun.file(plan.file).arrayBuffer());
const targets: number[] = [];
const payments: Uint8Array[] = [];
for (let offset = 0; offset < records.length; ) {
  targets.push(records[offset]!);
  const tx = paymentsIn(records.subarray(offset + 1, offset + 1 + (records[offset + 1] === 0x02 ? 149 : 140)))[0]!;
  payments.push(tx);
  offset += 1 + (tx.length === 148 ? 149 : 140);
}
const count = payments.length;
const state = new Uint8Array(count); // 0 not sent, 1 in flight, 2 done
const sentAt = new Float64Array(count);
const statuses = new Map<number, number>();
let accepted = 0;
let lost = 0;
let done = 0;
let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => (finish = resolve));

const socket = await Bun.udpSocket({
  binaryType: 'uint8array',
  socket: {
    data(_s, data) {
      if (data.length < 9) return;
      const id = new DataView(data.buffer, data.byteOffset).getUint32(4);
      if (id >= count || state[id] !== 1) return;
      state[id] = 2;
      done++;
      const status = data[8]!;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === Status.ACCEPTED || status === Status.DUPLICATE) accepted++;
      if (done === count) finish();
    },
    error() {},
  },
});

const request = (id: number) => {
  const kind = payKindOf(payments[id]!);
  return encodeRequest({ kind, requestId: id, transaction: payments[id]!, length: requestBytesFor(kind) });
};
const targetOf = (id: number) => plan.ports[targets[id]!]!;
const timestampAt = (id: number) => timestampOf(payments[id]!);

function send(id: number): void {
  state[id] = 1;
  sentAt[id] = performance.now();
  try {
    socket.send(request(id), targetOf(id), '127.0.0.1');
  } catch {
    // resent below
  }
}

let next = 0;
let oldest = 0;
const timer = setInterval(() => {
  const now = Date.now();
  // Send everything whose time has come.
  while (next < count && timestampAt(next) <= now) send(next++);
  // Resend what got no answer, while its alpha still takes it; give up after that.
  const perf = performance.now();
  while (oldest < next && state[oldest] === 2) oldest++;
  for (let id = oldest; id < next; id++) {
    if (state[id] !== 1) continue;
    const ts = timestampAt(id);
    // Sent straight to the period's alpha, which takes it until the period's end (PROTOCOL §4).
    const closes = (Math.floor(ts / plan.periodMs) + 1) * plan.periodMs;
    if (now >= closes) {
      state[id] = 2;
      done++;
      lost++;
    } else if (perf - sentAt[id]! > 150) {
      send(id);
    }
  }
  if (done === count) finish();
}, 2);
await finished;
clearInterval(timer);
socket.close();
process.stdout.write(`${JSON.stringify({ payments: count, accepted, lost, statuses: Object.fromEntries(statuses) })}\n`);
