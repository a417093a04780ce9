// Fault: a peer that sends a valid batch and then garbage on the same TCP connection. The
// network file lists a fourth server, a ghost that never runs and whose key the test holds;
// the test plays it. Three servers on loopback, 400 ms periods, a steady payment load
// (the ghost's alpha periods are void, as with any server that is down).
//
// For each kind of garbage the test dials one server (chosen at random), writes a valid
// batch signed with the ghost's key (a STATUS at genesis) followed by the garbage, and
// checks that the valid batch was acted on (INFO: the server last heard the ghost in the
// current period), that the server closed the connection, and, at the end, that its
// counters (the `counters` line it logs on SIGTERM) hold one refusal with the expected code
// per kind. The server keeps committing in step with the others throughout.
//
//   SCRYP_FAULTS=1 bun test --timeout 1800000 test/faults/garbage-peer.test.ts   (SCRYP_FAULTS_SEED=S repeats the choices)

import { expect, test } from 'bun:test';
import { isScrypError } from '../../src/errors.ts';
import { encodeFrame, type RawMessage } from '../../src/peer/framing.ts';
import { decodeMessage, encodeMessage, MessageKind } from '../../src/peer/messages.ts';
import { ServerCore } from '../../src/node/core.ts';
import { FaultCluster } from './cluster.ts';
import { report, scenarioDir } from './run.ts';
import { type ClusterHolder, faultTests, scenarioPrng, startUnderLoad, settleAndCheck } from './scenario.ts';

const period_ms = 400;

interface Garbage {
  readonly name: string;
  /** The refusal code the server must count. */
  readonly code: string;
  /** Bytes written after the valid batch; `separately` writes them 100 ms later. */
  readonly bytes: Uint8Array;
  readonly separately: boolean;
}

/** Connects, writes `first`, then `then` (at once or 100 ms later), and waits for the server to close. */
async function playPeer(host: string, port: number, first: Uint8Array, then: Uint8Array, separately: boolean): Promise<{ closedAfterMs: number | null }> {
  let closedAt: number | null = null;
  let onClose: () => void = () => {};
  const closed = new Promise<void>((resolve) => (onClose = resolve));
  const socket = await Bun.connect({
    hostname: host,
    port,
    socket: {
      data() {},
      close() {
        closedAt = Date.now();
        onClose();
      },
      error() {},
    },
  });
  socket.write(first);
  if (separately) await Bun.sleep(100);
  const sentAt = Date.now();
  socket.write(then);
  await Promise.race([closed, Bun.sleep(3_000)]);
  if (closedAt === null) socket.terminate();
  return { closedAfterMs: closedAt === null ? null : closedAt - sentAt };
}

const holder: ClusterHolder = { cluster: null };

faultTests('garbage from a peer', holder, () => {
  test(
    'a peer sends a valid batch then garbage on one connection: the batch is acted on, the connection closed, the refusal counted, the node goes on',
    async () => {
      const prng = scenarioPrng('garbage-peer');
      const c = await FaultCluster.create({
        name: 'faults-garbage-peer',
        servers: 3,
        ghosts: 1,
        periodMs: period_ms,
        wallets: [1, 2, 3].map((i) => ({ label: `garbage ${i}`, balance: 1_000_000 })),
        baseDir: scenarioDir('garbage-peer'),
      });
      const { watch, load } = await startUnderLoad(holder, c, prng, 30);

      const ghost = 3;
      const ghostSigner = c.signerOf(ghost);
      const networkId = c.network.id;
      const status = encodeMessage({ type: 'status', committed: ServerCore.genesisFor(c.network), vote: null });
      const validBatch = () => encodeFrame([status], networkId, ghostSigner);
      const signed = (messages: RawMessage[]) => encodeFrame(messages, networkId, ghostSigner);
      const withByte = (bytes: Uint8Array, at: number, value: number) => {
        const out = bytes.slice();
        out[at] = value;
        return out;
      };
      const truncatedStatus: RawMessage = { kind: MessageKind.STATUS, payload: status.payload.subarray(0, status.payload.length - 1) };
      let truncatedCode = '';
      try {
        decodeMessage(truncatedStatus);
      } catch (error) {
        if (isScrypError(error)) truncatedCode = error.code;
      }
      expect(truncatedCode, 'a truncated STATUS does not decode').not.toBe('');
      const random = crypto.getRandomValues(new Uint8Array(300));
      random.set([0x00, 0x01, 0x02, 0x03]); // never "SCPB"
      const oversized = validBatch().subarray(0, 73);
      new DataView(oversized.buffer, oversized.byteOffset).setUint32(69, 13 * 1024 * 1024);
      const foreign = encodeFrame([status], crypto.getRandomValues(new Uint8Array(32)), ghostSigner);
      const garbage: Garbage[] = [
        { name: 'random bytes in the same write', code: 'FRAME_MAGIC', bytes: random, separately: false },
        { name: 'random bytes 100 ms later', code: 'FRAME_MAGIC', bytes: random, separately: true },
        { name: 'a frame of version 2', code: 'FRAME_VERSION', bytes: withByte(validBatch(), 4, 2), separately: false },
        { name: 'a frame of another network', code: 'FRAME_NETWORK', bytes: foreign, separately: true },
        { name: 'a frame declaring 13 MiB', code: 'FRAME_TOO_LARGE', bytes: oversized, separately: false },
        { name: 'a frame with one body bit flipped', code: 'FRAME_SIGNATURE', bytes: withByte(validBatch(), 80, validBatch()[80]! ^ 1), separately: false },
        { name: 'a signed frame with an unknown message kind', code: 'FRAME_MESSAGE_KIND', bytes: signed([{ kind: 0x7f, payload: new Uint8Array(4) }]), separately: true },
        { name: 'a signed frame holding a truncated STATUS', code: truncatedCode, bytes: signed([truncatedStatus]), separately: false },
      ];
      const target = prng.nextInt(3);
      const address = c.clientAddress(target);
      expect((await c.info(target))?.lastHeard[ghost], 'the ghost was never heard before the test played it').toBe(0);
      const results: { name: string; code: string; heardInPeriod: boolean; closedAfterMs: number | null }[] = [];
      for (const kind of garbage) {
        // Early in a period, so that "heard in the current period" is this batch's doing.
        const now = Date.now();
        const periodStart = Math.floor(now / period_ms) * period_ms;
        await Bun.sleep(periodStart + period_ms + 60 - now);
        const { closedAfterMs } = await playPeer(address.host, address.port, validBatch(), kind.bytes, kind.separately);
        const info = await c.info(target);
        results.push({ name: kind.name, code: kind.code, heardInPeriod: info !== null && info.lastHeard[ghost] === info.currentPeriod, closedAfterMs });
      }
      // The node keeps committing, in step with the others.
      await watch.pollInfo();
      const committedAfterGarbage = watch.committedOf(target);
      // In step within two periods of the last garbage (as after every fault) ...
      const synced = await watch.inStep(c.indexes, Date.now(), committedAfterGarbage, 2 * period_ms);
      // ... and it goes on committing with the others.
      const step = await watch.inStep(c.indexes, Date.now(), committedAfterGarbage + 3, 10 * period_ms);
      await Bun.sleep(2 * period_ms);
      const settled = await settleAndCheck(c, watch, load);
      const counters = c.counters(target) ?? {};
      const refusals = Object.fromEntries(Object.entries(counters).filter(([name]) => name.startsWith('tcp_in_refused_')));
      report('garbage-peer', {
        target,
        kinds: results,
        refusals,
        tcpInConnections: counters.tcp_in_connections,
        inStepMs: synced.ms,
        committedAfter: step.ms === null ? null : 'in step, 3 periods later',
        payments: load.payments.length,
        committed: settled.accounting.committed,
        void: settled.accounting.void,
        errorLines: settled.errorLines,
      });
      for (const result of results) {
        expect(result.heardInPeriod, `${result.name}: the valid batch before it was acted on (INFO last-heard)`).toBe(true);
        expect(result.closedAfterMs, `${result.name}: the server closed the connection`).not.toBeNull();
      }
      const expected = new Map<string, number>();
      for (const kind of garbage) expected.set(kind.code, (expected.get(kind.code) ?? 0) + 1);
      for (const [code, times] of expected) expect(refusals[`tcp_in_refused_${code.toLowerCase()}`] ?? 0, `counter tcp_in_refused_${code.toLowerCase()}`).toBe(times);
      expect(synced.ms, `in step within two periods of the last garbage: ${synced.lastSeen}`).not.toBeNull();
      expect(step.ms, `the node keeps committing in step: ${step.lastSeen}`).not.toBeNull();
    },
    240_000,
  );
});
