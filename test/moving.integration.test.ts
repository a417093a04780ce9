// Moving a server without a vote (docs/PROTOCOL.md §3.10), with the compiled executable:
// three servers on loopback under a light payment load; server 1 is killed (kill -9) and
// started again on another port with --address. Payments go on committing, the moved server
// commits new periods again (its peers dial it at its new address), `scryp info` shows the
// move, and `scryp balance` and `scryp pay` with only the genesis network file reach every
// server, the moved one included. And a forged address record inside an authenticated peer
// batch is refused while the server goes on serving.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signAddressRecord } from '../src/address-record.ts';
import { toHex } from '../src/bytes.ts';
import { Kind, Status } from '../src/client/codec.ts';
import { pay, type PaymentEnd } from '../src/client/wallet.ts';
import { networkInForce } from '../src/client/addresses.ts';
import { encodeFrame } from '../src/peer/framing.ts';
import { encodeMessage } from '../src/peer/messages.ts';
import { formatSeed } from '../src/seed.ts';
import { signerFromSeed } from '../src/signature.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { testSeed, testSigner } from './helpers/keys.ts';
import { freePorts, ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(90_000);

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await killAll();
  await cluster?.stop();
  cluster = null;
});

/** The committed period server `index` reports over UDP at `address` (null: no answer). */
async function committedAt(c: ProcessCluster, index: number, address: { host: string; port: number }): Promise<number | null> {
  const client = await c.udp();
  try {
    const reply = await client.ask(address, { kind: Kind.INFO }, { networkId: c.network.id, serverKey: c.network.servers[index]!.key, attempts: 2, timeoutMs: 100 });
    return reply.status === Status.OK && reply.body !== null && 'committedPeriod' in reply.body ? reply.body.committedPeriod : null;
  } catch {
    return null;
  }
}

/** Sends one signed batch to a server's TCP port, as a peer would, and closes. */
async function sendBatch(port: number, frame: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(socket) {
          socket.write(frame);
          socket.flush();
          setTimeout(() => {
            socket.end();
            resolve();
          }, 100);
        },
        data() {},
        error(_socket, error) {
          reject(error);
        },
        connectError(_socket, error) {
          reject(error);
        },
      },
    });
  });
}

describe('a server moves to another address without a vote', () => {
  test('kill -9, restart on a new port with --address: payments go on, it commits again, clients with the genesis file find it', async () => {
    cluster = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    const c = cluster;
    c.startAll();
    const fileAddress = (i: number) => c.network.servers[i]!.address;
    expect(await c.until(async () => (await Promise.all([0, 1, 2].map((i) => committedAt(c, i, fileAddress(i))))).every((p) => p !== null && p > 0), 10_000), c.logs()).toBe(true);

    // A light load: one payment at a time from the genesis wallet, to servers in turn, until told to stop (and at most 60 s).
    const wallet = c.wallets[0]!;
    const payee = testSigner('moving payee');
    const outcomes: { at: number; end: PaymentEnd }[] = [];
    let loading = true;
    const progress: string[] = [];
    const client = await c.udp();
    const load = (async () => {
      const deadline = Date.now() + 60_000;
      for (let k = 0; loading && Date.now() < deadline; k++) {
        // As a wallet does: where the servers are now, learnt from them with only the genesis file.
        const network = await networkInForce(client, c.network);
        const end = await pay(client, network, wallet, { to: payee.publicKey, amount: 1, server: k % 3, patiencePeriods: 6, voidResends: 1, onProgress: (line) => progress.push(line) });
        outcomes.push({ at: Date.now(), end });
        await Bun.sleep(50);
      }
    })();
    const committedSince = (t: number) => outcomes.filter((o) => o.at >= t && o.end.outcome === 'committed').length;
    expect(await c.until(() => committedSince(0) >= 3, 15_000), c.logs()).toBe(true);

    // The hostile case, on the running network: a forged record (server 0's key, a bad
    // signature) and a stranger's record, in a batch properly signed by server 2, sent to server 0.
    const forged = { ...signAddressRecord(testSigner('server 0'), c.network.id, { host: '127.0.0.1', port: 9 }, Date.now()), signature: new Uint8Array(64).fill(9) };
    const stranger = signAddressRecord(testSigner('stranger'), c.network.id, { host: '127.0.0.1', port: 9 }, Date.now());
    const byAnother = { ...signAddressRecord(testSigner('server 2'), c.network.id, { host: '127.0.0.1', port: 9 }, Date.now()), key: c.network.servers[1]!.key };
    const frame = encodeFrame(
      [forged, stranger, byAnother].map((record) => encodeMessage({ type: 'address', record })),
      c.network.id,
      signerFromSeed(testSeed('server 2')),
    );
    await sendBatch(fileAddress(0).port, frame);
    expect(await c.until(() => c.servers[0]!.log.includes('is not a server of this network'), 5_000), c.servers[0]!.log).toBe(true);
    expect(c.servers[0]!.log).toContain("server 0's record does not verify");
    expect(c.servers[0]!.log).toContain("server 1's record does not verify"); // signed by server 2, claimed for server 1
    expect(c.servers[0]!.log).not.toContain('server 0 moved');
    expect(c.servers[0]!.log).not.toContain('server 1 moved');
    const beforeForgery = (await committedAt(c, 0, fileAddress(0)))!;
    expect(await c.until(async () => ((await committedAt(c, 0, fileAddress(0))) ?? 0) >= beforeForgery + 2, 5_000), c.logs()).toBe(true);

    // kill -9 server 1, and start it again on a new port, saying so.
    await c.stopServer(1, 'SIGKILL');
    const [newPort] = await freePorts(1);
    const moved = { host: '127.0.0.1', port: newPort! };
    const movedAt = Date.now();
    const stoppedAt = Math.max(...(await Promise.all([0, 2].map((i) => committedAt(c, i, fileAddress(i))))).map((p) => p ?? 0));
    c.start(1, ['--address', `127.0.0.1:${newPort}`]);
    expect(await c.until(() => c.servers[1]!.log.includes('this server moved from'), 10_000), c.servers[1]!.log).toBe(true);
    // Its peers learn the move (from its ADDRESS at start) and dial it there.
    for (const i of [0, 2]) {
      expect(await c.until(() => c.servers[i]!.log.includes(`server 1 moved to 127.0.0.1:${newPort}`), 10_000), c.logs()).toBe(true);
    }
    // It takes part again: commits periods after the ones it missed, answering at its new address.
    expect(await c.until(async () => ((await committedAt(c, 1, moved)) ?? 0) > stoppedAt + 3, 20_000), c.logs()).toBe(true);
    // Nothing answers at the old address.
    expect(await committedAt(c, 1, fileAddress(1))).toBeNull();
    // Payments went on committing after the move.
    expect(await c.until(() => committedSince(movedAt) >= 3, 20_000), `${JSON.stringify(outcomes.slice(-8).map((o) => ({ at: o.at - movedAt, outcome: o.end.outcome, status: 'status' in o.end ? o.end.status : undefined })))}\n${progress.slice(-30).join('\n')}\n${c.logs()}`).toBe(true);
    // Its peers hear from it again (INFO's last-heard of server 1 is recent on server 0).
    const heard = await client.ask(fileAddress(0), { kind: Kind.INFO }, { networkId: c.network.id, serverKey: c.network.servers[0]!.key, attempts: 3, timeoutMs: 100 });
    const info = heard.body as { lastHeard: number[]; currentPeriod: number };
    expect(info.lastHeard[1]!, c.logs()).toBeGreaterThanOrEqual(info.currentPeriod - 2);

    // scryp info, of a server that did not move and of the moved one, shows the address in force.
    for (const target of [`127.0.0.1:${fileAddress(0).port}`, `127.0.0.1:${newPort}`]) {
      const run = await runProgram(['info', target, '--network', c.networkFile]);
      expect(run.exitCode, show(run)).toBe(0);
      expect(run.stdout).toContain(`server 1 127.0.0.1:${newPort} (MOVED, sequence `);
      expect(run.stdout).toContain(`server 0 127.0.0.1:${fileAddress(0).port} (network file)`);
    }
    const json = await runProgram(['info', `127.0.0.1:${newPort}`, '--network', c.networkFile, '--json']);
    const addresses = (JSON.parse(json.stdout) as { addresses: { server: number; address: string; sequence: number; moved: boolean }[] }).addresses;
    expect(addresses[1]).toMatchObject({ server: 1, address: `127.0.0.1:${newPort}`, moved: true });
    expect(addresses[1]!.sequence).toBeGreaterThanOrEqual(movedAt - 5_000);
    expect(addresses[2]).toMatchObject({ server: 2, moved: false, sequence: 0 });

    // A client with only the genesis network file: balance asks every server, the moved one at its new address.
    const balance = await runProgram(['balance', toHex(payee.publicKey), '--network', c.networkFile, '--json']);
    expect(balance.exitCode, show(balance)).toBe(0);
    const said = JSON.parse(balance.stdout) as { agreeing: number[]; others: { server: number }[] };
    if (!said.agreeing.includes(1)) {
      // It may be a commit behind for an instant: it still answered (it is among the others, not silent).
      const again = await runProgram(['balance', toHex(payee.publicKey), '--network', c.networkFile, '--json']);
      expect((JSON.parse(again.stdout) as { agreeing: number[] }).agreeing, show(again)).toContain(1);
    }
    // ... and pay, sent to the moved server by its new address.
    const walletDir = join(c.base, 'wallet');
    mkdirSync(walletDir);
    writeFileSync(join(walletDir, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
    const paid = await runProgram(['pay', '--network', c.networkFile, '--dir', walletDir, '--to', toHex(payee.publicKey), '--amount', '7', '--server', `127.0.0.1:${newPort}`, '--log-level', 'info'], { timeoutMs: 30_000 });
    expect(paid.exitCode, `${show(paid)}\n${c.logs()}`).toBe(0);
    expect(paid.stdout).toContain('committed: 7 scryp');
    expect(paid.stderr).toContain('server 1: '); // the moved server answered the PAY

    loading = false;
    await load;
    // Every server kept serving; the forgery changed nothing anywhere.
    for (const i of [0, 2]) expect(c.servers[i]!.log).not.toContain('internal error');
    expect(c.servers[0]!.log).not.toContain('server 0 moved');
  });
});
