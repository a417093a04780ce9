// The pocket wallet's till, from its staff link, against three compiled servers with
// --http; every browser a phone (Chromium at 390×844 with touch). The shop's owner makes a
// wallet in the page, and its Settings give the staff link (#till=ADDRESS). A second phone,
// the counter's, opens that link: the till alone, no key in that browser, nothing that
// sends. The counter takes 30 scryp; a customer's pocket wallet (funded by `scryp pay`)
// scans the QR code with its camera (a fake camera showing the code read off the till's
// screen), signs with its passphrase, and the till says Paid at a committed period no later
// than the payment's + 1. The customer saves the payment's receipt from History and
// `scryp receipt check` accepts it. Then too little: 5 of 12, and the rest.
// Screenshots go to test/artifacts/pocket-till-*.png.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkipReason, readQrImage } from './helpers/browser.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { testSeed } from './helpers/keys.ts';
import { createWallet, openPhone, type Phone, qrVideo, shoot, startWithGateways } from './helpers/pocket.ts';
import { ProcessCluster } from './helpers/processes.ts';
import { formatSeed } from '../src/seed.ts';

setDefaultTimeout(240_000);
const skip = browserSkipReason();
if (skip !== null) console.warn(skip);

let cluster: ProcessCluster;
let pageUrl = '';
let genesis = '';
const phones: Phone[] = [];
const pageErrors: string[] = [];

async function phone(url: string, options: Parameters<typeof openPhone>[1] = {}): Promise<Phone> {
  const opened = await openPhone(url, options);
  opened.page.on('pageerror', (error) => pageErrors.push(error.message));
  phones.push(opened);
  return opened;
}

beforeAll(async () => {
  if (skip !== null) return;
  cluster = await ProcessCluster.create({ servers: 3, periodMs: 500, wallets: [{ label: 'genesis', balance: 1_000_000 }] });
  const gateways = await startWithGateways(cluster);
  pageUrl = `${gateways[1]}/`; // the pocket wallet at GET / of server 1's gateway
  genesis = join(cluster.base, 'genesis');
  mkdirSync(genesis, { recursive: true });
  writeFileSync(join(genesis, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
  expect(await cluster.until(async () => ((await cluster.committedOf(0)) ?? 0) > 0, 15_000)).toBe(true);
});

afterAll(async () => {
  for (const opened of phones) await opened.close().catch(() => {});
  await killAll();
  await cluster?.stop();
});

async function genesisPays(args: string[]): Promise<void> {
  const paid = await runProgram(['pay', '--dir', genesis, '--network', cluster.networkFile, ...args], { timeoutMs: 30_000 });
  expect(paid.exitCode, show(paid)).toBe(0);
}

describe.skipIf(skip !== null)('the pocket till from its staff link, against three compiled servers', () => {
  let shopAddress = '';
  let staffLink = '';
  let counter: Phone;
  let customer: Phone;

  test('the shop’s owner makes a wallet in the page; Settings show the staff link: this page with the account’s address', async () => {
    const owner = await phone(pageUrl);
    await createWallet(owner.page, 'the bakery opens at six');
    await owner.page.locator('#overview-address', { hasText: 'scryp1' }).waitFor();
    shopAddress = (await owner.page.locator('#overview-address').textContent())!;
    await owner.page.getByRole('tab', { name: 'Settings' }).click();
    const link = owner.page.getByLabel('Staff link');
    await owner.page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { value: string } } }).document.getElementById('settings-staff-link').value !== '');
    staffLink = await link.inputValue();
    expect(staffLink).toBe(`${pageUrl}#till=${shopAddress}`);
    expect(await owner.page.locator('#settings-staff-note').textContent()).toContain('It holds no key, so it can never send.');
    await shoot(owner.page, 'till-settings-staff-link');
  });

  test('the counter’s phone opens the staff link: the till alone, no key asked for or kept, nothing that sends', async () => {
    counter = await phone(staffLink);
    const page = counter.page;
    await page.getByRole('heading', { name: 'Take a payment' }).waitFor();
    await page.locator('#till-account', { hasText: `A staff till for ${shopAddress}: it takes payments, and cannot send.` }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('heading', { name: 'Set up this wallet' }).count()).toBe(0);
    expect(await page.getByRole('tab').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Send|Sign|Close the till|Refund/ }).count()).toBe(0);
    // Nothing of a key in this browser: the page's store holds the network file, never a seed.
    const stored = await page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          type Request<T> = { result: T; onsuccess: (() => void) | null; onerror: (() => void) | null };
          type Database = { transaction(store: string): { objectStore(store: string): { getAllKeys(): Request<string[]> } } };
          const opening = (globalThis as unknown as { indexedDB: { open(name: string): Request<Database> } }).indexedDB.open('scryp-pocket');
          opening.onerror = () => reject(new Error('IndexedDB does not open'));
          opening.onsuccess = () => {
            const keys = opening.result.transaction('values').objectStore('values').getAllKeys();
            keys.onerror = () => reject(new Error('IndexedDB refused'));
            keys.onsuccess = () => resolve(keys.result);
          };
        }),
    );
    expect(stored).toContain('network');
    expect(stored).not.toContain('seed');
    await shoot(page, 'till-staff');
  });

  test('the counter takes 30 scryp; the customer scans the code with the camera and pays; the till says Paid within one period of the commit', async () => {
    const page = counter.page;
    await page.getByLabel('Amount to charge').fill('30');
    await page.getByLabel('Note for the customer (optional)').fill('Sourdough');
    await page.getByRole('button', { name: 'Show the QR code' }).click();
    await page.getByText('Waiting for payment…').waitFor({ timeout: 30_000 });
    const request = await page.getByLabel('Request text', { exact: true }).inputValue();
    const reference = /[?&]ref=(\d+)/.exec(request)![1]!;
    expect(request).toBe(`scryp:${shopAddress}?amount=30&ref=${reference}&message=Sourdough`);
    const onScreen = await readQrImage(page, '#till-qr');
    expect(onScreen).toBe(request);
    await shoot(page, 'till-waiting');

    // The customer's phone: its camera shows the code read off the counter's screen.
    customer = await phone(pageUrl, { camera: qrVideo(join(cluster.base, 'till-code.y4m'), onScreen) });
    const passphrase = 'crumbs on the counter';
    await createWallet(customer.page, passphrase);
    await customer.page.locator('#overview-address', { hasText: 'scryp1' }).waitFor();
    const customerAddress = (await customer.page.locator('#overview-address').textContent())!;
    await genesisPays(['--to', customerAddress, '--amount', '100']);
    await customer.page.locator('#balance', { hasText: /^100$/ }).waitFor({ timeout: 30_000 });
    await customer.page.getByRole('tab', { name: 'Send' }).click();
    await customer.page.getByRole('button', { name: 'Scan a QR code' }).click();
    await customer.page.locator('#send-recipient-status', { hasText: 'A valid address' }).waitFor({ timeout: 30_000 });
    expect(await customer.page.locator('#send-request-reference').textContent()).toBe(reference);
    await customer.page.getByRole('button', { name: 'Send', exact: true }).click();
    await customer.page.locator('#confirm-reference', { hasText: reference }).waitFor();
    expect(await customer.page.locator('#confirm-amount').textContent()).toBe('30');
    await shoot(customer.page, 'till-customer-confirm');
    const passphraseField = customer.page.locator('#send-confirm').getByLabel('Passphrase');
    if (await passphraseField.isVisible()) await passphraseField.fill(passphrase); // the key is open already just after it was made
    await customer.page.getByRole('button', { name: 'Sign and send' }).click();
    const committed = customer.page.getByText(/^Committed in period \d+: the payment is final\.$/);
    await committed.waitFor({ timeout: 30_000 });
    const period = Number(/period (\d+)/.exec((await committed.textContent())!)![1]);

    await page.locator('#till-result[data-state="paid"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#till-result-amount').textContent()).toBe('30');
    expect(await page.locator('#till-result-payer').textContent()).toBe(customerAddress);
    const decidedAt = Number(await page.locator('#till-result').getAttribute('data-decided-at'));
    expect(decidedAt).toBeGreaterThanOrEqual(period);
    expect(decidedAt).toBeLessThanOrEqual(period + 1);
    await shoot(page, 'till-paid');

    // The customer's receipt, from History, checked offline by the executable.
    await customer.page.getByRole('tab', { name: 'History' }).click();
    const row = customer.page.locator('#history-rows tr', { hasText: reference });
    await row.waitFor({ timeout: 30_000 });
    const download = customer.page.waitForEvent('download');
    await row.getByRole('button', { name: 'Receipt' }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toMatch(/^receipt-[0-9a-f]{64}\.json$/);
    const file = join(cluster.base, saved.suggestedFilename());
    await saved.saveAs(file);
    await customer.page.locator('#history-action-status', { hasText: `Saved ${saved.suggestedFilename()}: 30 scryp paid with reference ${reference}` }).waitFor();
    await shoot(customer.page, 'till-receipt');
    const checked = await runProgram(['receipt', 'check', file, '--network', cluster.networkFile]);
    expect(checked.exitCode, show(checked)).toBe(0);
    expect(checked.stdout).toContain(`30 scryp from ${customerAddress} to ${shopAddress} with reference ${reference}, committed in period ${period}`);
  });

  test('too little: 5 of 12 arrive with the reference; the till asks for the rest with the same reference; the rest arrives: Paid', async () => {
    const page = counter.page;
    await page.getByRole('button', { name: 'New sale' }).click();
    await page.getByLabel('Amount to charge').fill('12');
    await page.getByRole('button', { name: 'Show the QR code' }).click();
    await page.getByText('Waiting for payment…').waitFor({ timeout: 30_000 });
    const reference = /[?&]ref=(\d+)/.exec(await page.getByLabel('Request text', { exact: true }).inputValue())![1]!;
    await genesisPays(['--to', shopAddress, '--amount', '5', '--ref', reference]);
    await page.locator('#till-result[data-state="short"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#till-result-amount').textContent()).toBe('5 of 12');
    expect(await page.getByRole('button', { name: 'Refund' }).count()).toBe(0); // the staff till never sends
    const rest = await page.getByLabel('Request text for the rest').inputValue();
    expect(rest).toBe(`scryp:${shopAddress}?amount=7&ref=${reference}`);
    await shoot(page, 'till-too-little');
    await genesisPays(['--to', rest]);
    await page.locator('#till-result[data-state="paid"]').waitFor({ timeout: 30_000 });
  });

  test('no page error on any phone', () => {
    expect(pageErrors).toEqual([]);
  });
});
