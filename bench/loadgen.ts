// A load generator in its own process: sends pre-signed PAY requests (PAYREF for a payment
// with a reference) over UDP with a bounded number in flight, resends what gets no answer,
// and reports what it saw.
// Usage: bun bench/loadgen.ts HOST PORT NETWORK_ID_HEX PAYMENTS_FILE WINDOW
// The payments file is a payment list (src/payment-list.ts): 140-byte payments one after
// the other, a 148-byte one after the tag 0x02.
// Prints one JSON line: { sent, accepted, refused, lost, seconds, statuses }.

import { fromHex } from '../src/bytes.ts';
import { encodeRequest, payKindOf, requestBytesFor, Status } from '../src/client/codec.ts';
import { paymentsIn } from '../src/payment-list.ts';

const [host, portText, , file, windowText] = process.argv.slice(2);
const port = Number(portText);
const window = Number(windowText ?? 256);
const payments = paymentsIn(new Uint8Array(await Bun.file(file!).arrayBuffer()));
const count = payments.length;
const requests: Uint8Array[] = payments.map((transaction, i) => {
  const kind = payKindOf(transaction);
  return encodeRequest({ kind, requestId: i, transaction, length: requestBytesFor(kind) });
});
void fromHex;

const state = new Uint8Array(count); // 0 waiting, 1 in flight, 2 done
const sentAt = new Float64Array(count);
const attempts = new Uint8Array(count);
const statuses = new Map<number, number>();
let next = 0;
let inFlight = 0;
let done = 0;
let accepted = 0;
let lost = 0;
let sends = 0;
let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => (finish = resolve));

const socket = await Bun.udpSocket({
  binaryType: 'uint8array',
  socket: {
    data(_s, data) {
      if (data.length < 9) return;
      const id = new DataView(data.buffer, data.byteOffset).getUint32(4);
      if (id >= count || state[id] !== 1) return;
      const status = data[8]!;
      // Karn's rule: only answers to a first attempt say how long an answer takes.
      if (attempts[id] === 1) observe(performance.now() - sentAt[id]!);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      state[id] = 2;
      inFlight--;
      done++;
      if (status === Status.ACCEPTED || status === Status.DUPLICATE) accepted++;
      fill();
      if (done === count) finish();
    },
    error() {},
  },
});

// The resend timeout adapts to the answers' delay as TCP's does (RFC 6298: smoothed delay
// plus four deviations, at least 100 ms, doubled per attempt): a fixed 100 ms made the
// node do a payment's work twice whenever a full window queued for longer than that.
let srtt = 0;
let rttvar = 0;
const rto_min_ms = 100; // the resend timeout never goes below this
const attempts_max = 6; // sends of one payment before it counts as lost
const sweep_ms = 20; // how often unanswered payments are looked at
let rto = rto_min_ms;
function observe(ms: number): void {
  if (srtt === 0) {
    srtt = ms;
    rttvar = ms / 2;
  } else {
    rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - ms);
    srtt = 0.875 * srtt + 0.125 * ms;
  }
  rto = Math.max(rto_min_ms, srtt + 4 * rttvar);
}

function send(id: number): void {
  state[id] = 1;
  sentAt[id] = performance.now();
  attempts[id]!++;
  sends++;
  try {
    socket.send(requests[id]!, port, host!);
  } catch {
    // resent by the sweep
  }
}

function fill(): void {
  while (inFlight < window && next < count) {
    send(next++);
    inFlight++;
  }
}

const start = performance.now();
fill();
// Requests still waiting are the ones between `oldest` and `next`: sweep only those.
let oldest = 0;
const sweep = setInterval(() => {
  const now = performance.now();
  while (oldest < next && state[oldest] === 2) oldest++;
  for (let id = oldest; id < next; id++) {
    if (state[id] !== 1 || now - sentAt[id]! < rto * 2 ** (attempts[id]! - 1)) continue;
    if (attempts[id]! >= attempts_max) {
      state[id] = 2;
      inFlight--;
      done++;
      lost++;
      continue;
    }
    send(id);
  }
  fill();
  if (done === count) finish();
}, sweep_ms);
await finished;
clearInterval(sweep);
const seconds = (performance.now() - start) / 1000;
socket.close();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ payments: count, sends, accepted, lost, seconds, cpuMs: (cpu.user + cpu.system) / 1000, statuses: Object.fromEntries(statuses) })}\n`);
