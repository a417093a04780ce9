// A load generator for whole periods, in its own process: sends pre-signed payments at
// their own timestamps to the server given for each (the alpha of its period), resends
// what gets no answer while the period still accepts, and reports what it saw.
// Usage: bun bench/period-loadgen.ts PLAN_FILE
// The plan file: JSON { ports: number[], periodMs, blackoutMs, file } where `file` holds
// records of 140-byte payment || target u8 (141 bytes), in the order to send them.
// Prints one JSON line: { payments, accepted, lost, statuses }.

import { transaction_bytes } from '../src/constants.ts';
import { encodeRequest, Kind, requestBytesFor, Status } from '../src/client/codec.ts';
import { timestampOf } from '../src/transaction.ts';

const plan = JSON.parse(await Bun.file(process.argv[2]!).text()) as { ports: number[]; periodMs: number; blackoutMs: number; file: string };
const records = new Uint8Array(await Bun.file(plan.file).arrayBuffer());
const record_bytes = transaction_bytes + 1;
const count = records.length / record_bytes;
const length = requestBytesFor(Kind.PAY);
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

const request = (id: number) =>
  encodeRequest({ kind: Kind.PAY, requestId: id, transaction: records.subarray(id * record_bytes, id * record_bytes + transaction_bytes), length });
const targetOf = (id: number) => plan.ports[records[id * record_bytes + transaction_bytes]!]!;
const timestampAt = (id: number) => timestampOf(records.subarray(id * record_bytes, id * record_bytes + transaction_bytes));

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
  // Resend what got no answer, while its period still accepts; give up after that.
  const perf = performance.now();
  while (oldest < next && state[oldest] === 2) oldest++;
  for (let id = oldest; id < next; id++) {
    if (state[id] !== 1) continue;
    const ts = timestampAt(id);
    const closes = (Math.floor(ts / plan.periodMs) + 1) * plan.periodMs - plan.blackoutMs;
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
