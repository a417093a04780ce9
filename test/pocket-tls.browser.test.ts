// The pocket wallet behind TLS: three compiled servers whose gateways serve HTTPS with a
// self-signed certificate the test makes with openssl (Chromium told to accept it, as a
// phone is once its owner trusts the certificate), the page at GET / of one of them.
// Create, receive 100 from `scryp pay`, pay 30 back to the genesis wallet with the
// passphrase, and the exported key file opens with `scryp keygen --dir`.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { formatSeed } from '../src/seed.ts';
import { browserSkipReason } from './helpers/browser.ts';
import { killAll, runProgram } from './helpers/cli-run.ts';
import { testSeed } from './helpers/keys.ts';
import { createWallet, openPhone, type Phone, selfSigned, shoot, startWithGateways } from './helpers/pocket.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(240_000);
const skip = browserSkipReason() ?? (Bun.which('openssl') === null ? 'openssl is missing: the TLS test needs it to make a certificate' : null);

let cluster: ProcessCluster;
let phone: Phone;
let pageUrl = '';

beforeAll(async () => {
  if (skip !== null) return;
  cluster = await ProcessCluster.create({ servers: 3, periodMs: 500 });
  const gateways = await startWithGateways(cluster, selfSigned(cluster.base));
  pageUrl = `${gateways[0]}/`;
  expect(pageUrl).toStartWith('https://');
  expect(await cluster.until(async () => ((await cluster.committedOf(0)) ?? 0) > 0, 15_000)).toBe(true);
});

afterAll(async () => {
  await phone?.close().catch(() => {});
  await killAll();
  await cluster?.stop();
});

describe.skipIf(skip !== null)('the pocket wallet over HTTPS', () => {
  test('create, receive 100, pay 30 with the passphrase, export the key file', async () => {
    phone = await openPhone(pageUrl, { tls: true });
    const page = phone.page;
    await createWallet(page, 'tls passphrase here');
    await page.locator('#overview-address', { hasText: 'scryp1' }).waitFor();
    const address = (await page.locator('#overview-address').textContent())!;
    const genesis = join(cluster.base, 'genesis');
    mkdirSync(genesis, { recursive: true });
    writeFileSync(join(genesis, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
    const paid = await runProgram(['pay', '--dir', genesis, '--to', address, '--amount', '100', '--network', cluster.networkFile], { timeoutMs: 30_000 });
    expect(paid.exitCode, paid.stderr).toBe(0);
    await page.locator('#balance', { hasText: /^100$/ }).waitFor({ timeout: 30_000 });
    await page.locator('#agreement', { hasText: '3 of 3 servers agree' }).waitFor({ timeout: 10_000 }); // a draw may find one server a period behind; the next has all three
    await shoot(page, 'tls-overview');

    await page.reload(); // locked again: the passphrase signs
    await page.getByRole('tab', { name: 'Send' }).click();
    await page.getByLabel('Recipient').fill(encodeAddress(cluster.wallets[0]!.publicKey));
    await page.getByLabel('Amount', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#send-confirm').getByLabel('Passphrase').fill('tls passphrase here');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#stage-final', { hasText: 'Committed ✓' }).waitFor({ timeout: 30_000 });
    await shoot(page, 'tls-committed');

    await page.getByRole('tab', { name: 'Settings' }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export key file' }).click();
    const dir = join(cluster.base, 'exported');
    mkdirSync(dir, { recursive: true });
    await (await download).saveAs(join(dir, '.seed'));
    const shown = await runProgram(['keygen', '--dir', dir]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(address);
  });
});
