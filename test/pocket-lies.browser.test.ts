// The pocket wallet believes no single gateway: against three compiled servers where the
// page reaches server 2 only through a lying proxy, it shows the balance servers 0 and 1
// agree on and says, in words, that server 2's answer was refused. One proxy rewrites the
// balance in the reply (its signature then fails); the other answers with the reply a
// server of another network gives to the very same request (signed, but for that network).

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { join } from 'node:path';
import type { Server } from 'bun';
import { seedToPhrase } from '../src/recovery-phrase.ts';
import { browserSkipReason } from './helpers/browser.ts';
import { killAll } from './helpers/cli-run.ts';
import { testSeed } from './helpers/keys.ts';
import { openPhone, type Phone, serveStaticCopy, shoot, startWithGateways } from './helpers/pocket.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(180_000);
const skip = browserSkipReason();

let cluster: ProcessCluster;
let other: ProcessCluster;
let gateways: string[] = [];
let otherGateway = '';
const servers: Server<undefined>[] = [];
const phones: Phone[] = [];

const balanceKind = 0x02;

/** A proxy in front of `target`: each POST /v1/request reply passes through `lie` (with the request's bytes), everything else unchanged. */
function proxy(target: string, lie: (request: Uint8Array, reply: Uint8Array) => Promise<Uint8Array> | Uint8Array): string {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const body = request.method === 'POST' ? new Uint8Array(await request.arrayBuffer()) : undefined;
      const answer = await fetch(`${target}${path}`, { method: request.method, headers: { 'content-type': 'application/octet-stream' }, ...(body === undefined ? {} : { body }) });
      const bytes = new Uint8Array(await answer.arrayBuffer());
      const out = path === '/v1/request' && answer.status === 200 && body !== undefined ? await lie(body, bytes) : bytes;
      return new Response(out as Uint8Array<ArrayBuffer>, { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream', 'access-control-allow-origin': '*', 'access-control-allow-headers': 'Content-Type' } });
    },
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

beforeAll(async () => {
  if (skip !== null) return;
  cluster = await ProcessCluster.create({ servers: 3, periodMs: 500 });
  other = await ProcessCluster.create({ servers: 1, periodMs: 500, name: 'othernet' });
  gateways = await startWithGateways(cluster, undefined, false); // no gateway records: the page knows only the gateways it is given
  otherGateway = (await startWithGateways(other, undefined, false))[0]!;
  expect(await cluster.until(async () => ((await cluster.committedOf(0)) ?? 0) > 0, 15_000)).toBe(true);
});

afterAll(async () => {
  for (const phone of phones) await phone.close().catch(() => {});
  for (const server of servers) server.stop(true);
  await killAll();
  await cluster?.stop();
  await other?.stop();
});

/** Restores the genesis wallet (1,000,000 scryp) in a page whose third gateway is `liar`; returns the phone once the balance is drawn. */
async function genesisBehind(liar: string, name: string): Promise<Phone> {
  const copy = await serveStaticCopy(cluster, join(cluster.base, name), [gateways[0]!, gateways[1]!, liar]);
  servers.push(copy.server);
  const phone = await openPhone(copy.url);
  phones.push(phone);
  await phone.page.getByRole('button', { name: 'Restore from recovery phrase' }).click();
  await phone.page.getByLabel('Recovery phrase (24 words)').fill(seedToPhrase(testSeed('wallet genesis')).join(' '));
  await phone.page.locator('#setup-restore-form').getByLabel('Passphrase', { exact: true }).fill('genesis passphrase');
  await phone.page.locator('#setup-restore-form').getByLabel('Repeat passphrase').fill('genesis passphrase');
  if (name === 'rewrite') await shoot(phone.page, 'restore');
  await phone.page.getByRole('button', { name: 'Restore wallet' }).click();
  await phone.page.locator('#disagreeing li', { hasText: 'refused' }).waitFor({ timeout: 30_000 });
  return phone;
}

describe.skipIf(skip !== null)('a gateway that lies is refused, and the page says so', () => {
  test('a proxy that rewrites the balance in server 2’s reply: the page shows what servers 0 and 1 agree on, and refuses server 2’s', async () => {
    const rewriting = proxy(gateways[2]!, (_, reply) => {
      if (reply[3] !== (balanceKind | 0x80) || reply[8] !== 0) return reply;
      const forged = reply.slice();
      forged[9 + 32 + 3]! ^= 0x01; // the balance's last byte: 1,000,000 becomes 1,000,001
      return forged;
    });
    const phone = await genesisBehind(rewriting, 'rewrite');
    expect(await phone.page.locator('#balance').textContent()).toBe('1,000,000');
    expect(await phone.page.locator('#agreement').textContent()).toContain('2 of 3 servers agree (servers 0 and 1)');
    const said = await phone.page.locator('#disagreeing li').allTextContents();
    expect(said).toEqual([`Server 2 (${rewriting}): its answer was refused: the reply’s signature does not verify under this network’s id: it was changed on the way, or it is a reply from another network`]);
    await shoot(phone.page, 'lie-rewritten');
  });

  test('a proxy that answers with another network’s reply to the same request: refused the same way', async () => {
    const replaying = proxy(gateways[2]!, async (request, reply) => {
      if (request[3] !== balanceKind) return reply;
      const elsewhere = await fetch(`${otherGateway}/v1/request`, { method: 'POST', body: request as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } });
      return new Uint8Array(await elsewhere.arrayBuffer());
    });
    const phone = await genesisBehind(replaying, 'replay');
    expect(await phone.page.locator('#balance').textContent()).toBe('1,000,000');
    const said = await phone.page.locator('#disagreeing li').allTextContents();
    expect(said).toEqual([`Server 2 (${replaying}): its answer was refused: the reply’s signature does not verify under this network’s id: it was changed on the way, or it is a reply from another network`]);
    await shoot(phone.page, 'lie-replayed');
  });
});
