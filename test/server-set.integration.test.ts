// Changing the server set of a running network (issue 13, PROTOCOL §3.9, §8.13), with the
// compiled executable on loopback: three servers named by the network file and three
// spares that start from that same file, under a light payment load from a wallet that
// holds only the genesis network file. The operators' commands, as a person runs them:
//   grow 3 → 5   (network change --add ×2, two of three sign, submit; kill -9 of a server
//                 while it is carried), then the two new servers make the quorum with a
//                 third while two of the first are stopped;
//   shrink to 3  (network show --out, change --chain --remove ×2, three of five sign,
//                 submit; kill -9 again): the removed servers say so and answer UNAVAILABLE;
//   replace a key with a fresh directory (change --replace).
// No committed payment is lost or applied twice: the payer's and the payee's balances, as a
// majority of the servers in force reports them, add up to what the wallet saw committed.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { join } from 'node:path';
import { toHex } from '../src/bytes.ts';
import { Kind, Status } from '../src/client/codec.ts';
import { learnChain } from '../src/client/chain.ts';
import { networkInForce } from '../src/client/addresses.ts';
import { askMajority } from '../src/client/majority.ts';
import { pay, type PaymentEnd } from '../src/client/wallet.ts';
import type { Network } from '../src/network.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { testSigner } from './helpers/keys.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(180_000);

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await killAll();
  await cluster?.stop();
  cluster = null;
});


async function allCommitBeyond(c: ProcessCluster, indexes: readonly number[], period: number, timeoutMs: number): Promise<boolean> {
  return c.until(async () => (await Promise.all(indexes.map((i) => c.committedOf(i)))).every((p) => p !== null && p > period), timeoutMs, 100);
}

/**
 * kill -9 of server `victim` once one of the others logged that it took the change (`what`,
 * as "change to configuration N"), and its start again once another has committed a period
 * since: each wait bounded.
 */
async function killWhileCarried(c: ProcessCluster, victim: number, what: string): Promise<void> {
  const taken = (server: { log: string }) => server.log.split('\n').some((line) => line.includes(what) && line.includes('taken from'));
  expect(await c.until(() => c.servers.some((server) => server.index !== victim && taken(server)), 10_000), c.logs()).toBe(true);
  await c.stopServer(victim, 'SIGKILL');
  const witness = c.servers.find((server) => server.index !== victim && server.process !== null)!.index;
  const before = (await c.committedOf(witness)) ?? 0;
  expect(await c.until(async () => ((await c.committedOf(witness)) ?? 0) > before, 10_000, 50), c.logs()).toBe(true);
  c.start(victim);
}

/** `scryp` with the cluster's network file. */
function scryp(c: ProcessCluster, args: string[], timeoutMs = 60_000) {
  return runProgram([...args, '--network', c.networkFile], { cwd: c.base, timeoutMs });
}

function serverFlag(c: ProcessCluster, index: number): string {
  return `${toHex(c.keyOf(index))}@127.0.0.1:${c.servers[index]!.port}`;
}

/** The balance of `account` as a majority of the servers in force reports it. */
async function balanceOf(c: ProcessCluster, network: Network, account: Uint8Array): Promise<number | null> {
  const client = await c.udp();
  const agreement = await askMajority(
    client,
    network,
    { kind: Kind.BALANCE, account },
    (reply) => (reply.status === Status.OK && reply.body !== null && 'balance' in reply.body ? reply.body.balance : -1),
    (value) => String(value),
  );
  return agreement.value === null || agreement.value === -1 ? null : agreement.value;
}

describe('changing the server set of a running network', () => {
  test('grow 3 → 5, shrink to 3, replace a key; kill -9 during each change; payments neither lost nor doubled', async () => {
    cluster = await ProcessCluster.create({ servers: 3, spares: 3, periodMs: 300 });
    const c = cluster;
    c.startAll();
    expect(await allCommitBeyond(c, [0, 1, 2], 0, 15_000), c.logs()).toBe(true);
    // The spares start from the genesis file too, and follow as the network lets them.
    for (const spare of [3, 4, 5]) c.start(spare);

    // A light load from a wallet that holds only the genesis network file: before each
    // payment it learns the servers in force from the servers (checked from the file).
    const wallet = c.wallets[0]!;
    const payee = testSigner('server-set payee');
    const ends: PaymentEnd[] = [];
    let loading = true;
    const client = await c.udp();
    const load = (async () => {
      const deadline = Date.now() + 150_000;
      for (let k = 0; loading && Date.now() < deadline; k++) {
        const network = await networkInForce(client, c.network);
        ends.push(await pay(client, network, wallet, { to: payee.publicKey, amount: 1 + (k % 3), server: k % network.servers.length, patiencePeriods: 8, voidResends: 1 }));
        await Bun.sleep(100);
      }
    })();
    const committedCount = () => ends.filter((end) => end.outcome === 'committed').length;
    expect(await c.until(() => committedCount() >= 2, 20_000), c.logs()).toBe(true);

    // ---- grow 3 → 5 --------------------------------------------------------------------
    const grow = join(c.base, 'grow.json');
    const made = await scryp(c, ['network', 'change', '--add', serverFlag(c, 3), '--add', serverFlag(c, 4), '--out', grow]);
    expect(made.exitCode, show(made)).toBe(0);
    expect(made.stdout).toContain('added');
    for (const signer of [0, 1]) {
      const signed = await scryp(c, ['network', 'sign', grow, '--dir', c.servers[signer]!.dir]);
      expect(signed.exitCode, show(signed)).toBe(0);
    }
    const submitting = scryp(c, ['network', 'submit', grow]);
    // kill -9 one of the three while the change is carried (once a server took it), and start
    // it again once the others have committed a period without it.
    await killWhileCarried(c, 2, 'change to configuration 1');
    const submitted = await submitting;
    expect(submitted.exitCode, `${show(submitted)}\n${c.logs()}`).toBe(0);
    const grown = /configuration 1 \(5 servers, quorum 3\) takes effect at period (\d+)/.exec(submitted.stdout);
    expect(grown, show(submitted)).not.toBeNull();
    const first1 = Number(grown![1]);
    expect(await allCommitBeyond(c, [0, 1, 2, 3, 4], first1 + 2, 20_000), c.logs()).toBe(true);
    for (const spare of [3, 4]) expect(c.servers[spare]!.log).toContain('configuration 1 names this server');
    // scryp info names an added server by its id after the file's, and says when one is still joining.
    const info3 = await scryp(c, ['info', `127.0.0.1:${c.servers[3]!.port}`]);
    expect(info3.exitCode, show(info3)).toBe(0);
    expect(info3.stdout).toContain('server 3 of 5');
    const info5 = await scryp(c, ['info', `127.0.0.1:${c.servers[5]!.port}`]);
    expect(info5.exitCode, show(info5)).toBe(0);
    expect(info5.stdout).toContain('a server joining the network');
    // The new servers vote: with servers 0 and 1 stopped, 2, 3 and 4 are a quorum of five.
    await c.stopServer(0, 'SIGTERM');
    await c.stopServer(1, 'SIGTERM');
    const without = (await c.committedOf(2)) ?? 0;
    expect(await allCommitBeyond(c, [2, 3, 4], without + 3, 15_000), c.logs()).toBe(true);
    c.start(0);
    c.start(1);
    const shown = await scryp(c, ['network', 'show']);
    expect(shown.exitCode, show(shown)).toBe(0);
    expect(shown.stdout).toContain('configuration 1, in force from period');
    expect(shown.stdout).toContain('5 servers, quorum 3');

    // ---- shrink to 3 (remove the first two), from the chain the servers report ----------
    const chain = join(c.base, 'chain1.json');
    const written = await scryp(c, ['network', 'show', '--out', chain]);
    expect(written.exitCode, show(written)).toBe(0);
    const shrink = join(c.base, 'shrink.json');
    const changed = await scryp(c, ['network', 'change', '--chain', chain, '--remove', toHex(c.keyOf(0)), '--remove', toHex(c.keyOf(1)), '--out', shrink]);
    expect(changed.exitCode, show(changed)).toBe(0);
    for (const signer of [2, 3]) expect((await scryp(c, ['network', 'sign', shrink, '--dir', c.servers[signer]!.dir, '--chain', chain])).exitCode).toBe(0);
    // Two of five is not a quorum: refused before anything is sent.
    const early = await scryp(c, ['network', 'submit', shrink]);
    expect(early.exitCode, show(early)).toBe(1);
    expect(early.stderr).toContain('CHANGE_SIGNATURES');
    expect((await scryp(c, ['network', 'sign', shrink, '--dir', c.servers[4]!.dir, '--chain', chain])).exitCode).toBe(0);
    const submitting2 = scryp(c, ['network', 'submit', shrink]);
    await killWhileCarried(c, 3, 'change to configuration 2');
    const submitted2 = await submitting2;
    expect(submitted2.exitCode, `${show(submitted2)}\n${c.logs()}`).toBe(0);
    const shrunk = /configuration 2 \(3 servers, quorum 2\) takes effect at period (\d+)/.exec(submitted2.stdout);
    expect(shrunk, show(submitted2)).not.toBeNull();
    const first2 = Number(shrunk![1]);
    expect(await allCommitBeyond(c, [2, 3, 4], first2 + 2, 20_000), c.logs()).toBe(true);
    for (const removed of [0, 1]) {
      expect(await c.until(() => c.servers[removed]!.log.includes('REMOVED: configuration 2'), 10_000), c.servers[removed]!.log.slice(-3000)).toBe(true);
    }
    // A stale change (of configuration 0) is refused with its code.
    const stale = await scryp(c, ['network', 'submit', grow]);
    expect(stale.exitCode, show(stale)).toBe(1);
    expect(stale.stderr).toContain('CHANGE_NOT_CURRENT');

    // ---- a server's directory knows its network and the changes it committed --------------
    // backup, network change and sign with --dir alone: no --network, no --chain (issue 19).
    const backedUp = await runProgram(['backup', '--dir', c.servers[3]!.dir, '--out', join(c.base, 'server3.sqlite'), '--json'], { cwd: c.base, timeoutMs: 60_000 });
    expect(backedUp.exitCode, show(backedUp)).toBe(0);
    expect(JSON.parse(backedUp.stdout).committedPeriod).toBeGreaterThan(first2);

    // ---- replace server 2's key by a fresh directory's (server 5) ---------------------
    const replace = join(c.base, 'replace.json');
    const replaced = await runProgram(['network', 'change', '--dir', c.servers[3]!.dir, '--replace', `${toHex(c.keyOf(2))}=${serverFlag(c, 5)}`, '--out', replace], { cwd: c.base, timeoutMs: 60_000 });
    expect(replaced.exitCode, show(replaced)).toBe(0);
    expect(replaced.stdout).toContain('replacing configuration 2');
    for (const signer of [3, 4]) {
      const signed = await runProgram(['network', 'sign', replace, '--dir', c.servers[signer]!.dir], { cwd: c.base, timeoutMs: 60_000 });
      expect(signed.exitCode, show(signed)).toBe(0);
    }
    const submitted3 = await scryp(c, ['network', 'submit', replace]);
    expect(submitted3.exitCode, `${show(submitted3)}\n${c.logs()}`).toBe(0);
    const first3 = Number(/takes effect at period (\d+)/.exec(submitted3.stdout)![1]);
    expect(await allCommitBeyond(c, [5, 3, 4], first3 + 2, 20_000), c.logs()).toBe(true);
    expect(c.servers[5]!.log).toContain('configuration 3 names this server');

    // ---- the ledger: nothing lost, nothing twice ------------------------------------------
    const before = committedCount();
    expect(await c.until(() => committedCount() >= before + 2, 20_000), c.logs()).toBe(true);
    loading = false;
    await load;
    const network = await networkInForce(client, c.network);
    expect(network.servers.map((server) => toHex(server.key)).sort()).toEqual([5, 3, 4].map((i) => toHex(c.keyOf(i))).sort());
    const learned = await learnChain(client, c.network);
    expect(learned!.chain.length).toBe(3);
    const paid = ends.flatMap((end, k) => (end.outcome === 'committed' ? [1 + (k % 3)] : [])).reduce((a, b) => a + b, 0);
    // Settle: the last commit reaches every server in force.
    const final = Math.max(...(await Promise.all([3, 4, 5].map((i) => c.committedOf(i)))).map((p) => p ?? 0));
    expect(await allCommitBeyond(c, [3, 4, 5], final, 10_000)).toBe(true);
    expect(await balanceOf(c, network, payee.publicKey)).toBe(paid);
    expect(await balanceOf(c, network, wallet.publicKey)).toBe(1_000_000 - paid);
  });
});

describe('changing the server set of a two-thirds network', () => {
  test('grow 4 → 5: the fifth server is in the quorum (4 of 5) that keeps committing while one of the first four is stopped', async () => {
    cluster = await ProcessCluster.create({ servers: 4, spares: 1, periodMs: 300, quorum: 'two-thirds' });
    const c = cluster;
    c.startAll();
    expect(await allCommitBeyond(c, [0, 1, 2, 3], 0, 15_000), c.logs()).toBe(true);
    c.start(4);
    const grow = join(c.base, 'grow.json');
    expect((await scryp(c, ['network', 'change', '--add', serverFlag(c, 4), '--out', grow])).exitCode).toBe(0);
    // The quorum of four in a two-thirds network is three.
    for (const signer of [0, 1, 2]) expect((await scryp(c, ['network', 'sign', grow, '--dir', c.servers[signer]!.dir])).exitCode).toBe(0);
    const submitted = await scryp(c, ['network', 'submit', grow]);
    expect(submitted.exitCode, `${show(submitted)}\n${c.logs()}`).toBe(0);
    const grown = /configuration 1 \(5 servers, quorum 4\) takes effect at period (\d+)/.exec(submitted.stdout);
    expect(grown, show(submitted)).not.toBeNull();
    expect(await allCommitBeyond(c, [0, 1, 2, 3, 4], Number(grown![1]) + 2, 20_000), c.logs()).toBe(true);
    // Four of five precommit without server 0: the new server's ballots count.
    await c.stopServer(0, 'SIGTERM');
    const now = (await c.committedOf(1)) ?? 0;
    expect(await allCommitBeyond(c, [1, 2, 3, 4], now + 3, 15_000), c.logs()).toBe(true);
  });
});
