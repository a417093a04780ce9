// A shop with `scryp wallet` in a real browser (Chromium at a phone's 390×844), against
// three compiled servers on loopback: the shop's wallet (started with --staff and a till
// request that lives 10 s) and a customer's (Alice's). Everything is driven by the pages'
// labels, as a person does it; the customer also pays from the command line where the
// case needs an exact amount or a late payment.
//
//   1. References, receipts, refunds: the shop's Receive builds a request with a reference;
//      Alice's Send shows it before signing; both histories show it (and the CSV's column);
//      the shop saves the payment's receipt and `scryp receipt check` accepts it; the shop
//      refunds it (a confirmation with the payer, the amount, the reference).
//   2. The till: the shop takes 12 scryp; the QR code on the screen reads as the request
//      (decoded from its pixels); Alice pastes it and pays; the till says Paid, and it said
//      so at a committed period no later than the payment's period + 1 (the page's state:
//      the servers' committed period at the check that turned it, data-decided-at).
//   3. Too little (5 of 20), then the rest by the till's second code: Paid.
//   4. Expired, then a payment with the reference: too late; refunded from the till.
//   5. The staff link (printed by --staff, shown in Settings): the till alone; a sale paid;
//      every call that sends, shows the key, contacts, history or settings refused.
// Screenshots of every new screen go to test/artifacts/till-*.png.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { encodeAddress } from '../src/address.ts';
import { history_csv_header } from '../src/client/history.ts';
import type { Confirmation } from '../src/wallet/api-types.ts';
import { artifactPath, browserSkipReason, desktop, openWatchedPage, type PageTrouble, launchBrowser, readQrImage, startWallet, type TestBrowser, type WalletProcess } from './helpers/browser.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { seededWalletDir, testSigner } from './helpers/keys.ts';
import { phone_size } from './helpers/pocket.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(60_000);

const skipReason = browserSkipReason();
if (skipReason !== null) console.log(`till.browser: skipped: ${skipReason}`);

const aliceAddress = encodeAddress(testSigner('wallet alice').publicKey);
const shopAddress = encodeAddress(testSigner('wallet shop').publicKey);

let cluster: ProcessCluster;
let browser: TestBrowser;
let shop: WalletProcess;
let alice: WalletProcess;
let shopPage: Page;
let alicePage: Page;
let aliceDir = '';
const trouble: PageTrouble = { dialogs: [], pageErrors: [] };
const base = mkdtempSync(join(tmpdir(), 'scryp-till-browser-'));

const walletDir = (label: string) => seededWalletDir(join(base, label), `wallet ${label}`);
const openPage = (url: string) => openWatchedPage(browser, url, trouble, phone_size);

async function shoot(page: Page, name: string, sizes: 'phone' | 'both' = 'phone'): Promise<void> {
  await page.screenshot({ path: artifactPath(`till-${name}.png`), fullPage: true });
  if (sizes === 'phone') return;
  await page.setViewportSize(desktop); // the till on a laptop at the counter
  await page.screenshot({ path: artifactPath(`till-${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(phone_size);
}

/** Alice pays from the command line (`scryp pay`): an exact amount and reference, as a wallet that did not scan the code would. */
async function cliPay(args: string[]): Promise<void> {
  const paid = await runProgram(['pay', '--dir', aliceDir, '--network', cluster.networkFile, ...args], { timeoutMs: 30_000 });
  expect(paid.exitCode, show(paid)).toBe(0);
}

/** A call to a wallet's API as another program on the machine would make it (the page's own Origin). */
async function api(wallet: WalletProcess, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const response = await fetch(new URL(path, wallet.base), {
    method,
    headers: { authorization: `Bearer ${token}`, origin: wallet.base.replace(/\/$/, ''), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as never };
}

const tillResult = (page: Page) => page.locator('#till-result');

/** Waits (bounded) for the till to show `state`; if it does not, says what it shows instead and what the shop's wallet logged. */
async function tillState(page: Page, state: string, timeout = 20_000): Promise<void> {
  try {
    await page.locator(`#till-result[data-state="${state}"]:visible`).waitFor({ timeout });
  } catch (error) {
    const shown = await page.evaluate(() => {
      const text = (id: string) => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null; hidden: boolean } | null } }).document.getElementById(id);
      return ['till-words', 'till-trouble', 'till-result-title', 'till-result-words'].map((id) => `${id}${text(id)?.hidden ? ' (hidden)' : ''}: ${text(id)?.textContent ?? ''}`);
    });
    throw new Error(`the till did not turn ${state}: ${(error as Error).message}\n${shown.join('\n')}\n--- the shop's wallet\n${shop.stderr().slice(-3000)}`);
  }
}

/** Starts a sale on `page`'s till and returns its request text and reference. */
async function takePayment(page: Page, amount: string, note = ''): Promise<{ request: string; reference: string }> {
  await page.getByLabel('Amount to charge').fill(amount);
  await page.getByLabel('Note for the customer (optional)').fill(note);
  await page.getByRole('button', { name: 'Show the QR code' }).click();
  await page.getByText('Waiting for payment…').waitFor();
  const request = await page.getByLabel('Request text', { exact: true }).inputValue();
  const reference = /[?&]ref=(\d+)/.exec(request)?.[1] ?? '';
  expect(await page.locator('#till-reference').textContent()).toBe(reference);
  return { request, reference };
}

describe.skipIf(skipReason !== null)('a shop with scryp wallet, in Chromium at a phone’s size', () => {
  beforeAll(async () => {
    cluster = await ProcessCluster.create({ periodMs: 400, wallets: [{ label: 'alice', balance: 1000 }] });
    cluster.startAll();
    aliceDir = walletDir('alice');
    [shop, alice, browser] = await Promise.all([
      startWallet(['--dir', walletDir('shop'), '--network', cluster.networkFile, '--staff', '--till-expiry', '10']),
      startWallet(['--dir', aliceDir, '--network', cluster.networkFile]),
      launchBrowser(),
    ]);
    [shopPage, alicePage] = await Promise.all([openPage(shop.url), openPage(alice.url)]);
    await alicePage.locator('#balance', { hasText: /^1,000$/ }).waitFor({ timeout: 20_000 });
  });

  afterAll(async () => {
    await killAll();
    await browser?.close();
    await shop?.stop();
    await alice?.stop();
    await cluster?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  test('Receive with a reference → Send shows it → both histories and the CSV show it → a receipt saved and checked → a refund', async () => {
    await shopPage.getByRole('tab', { name: 'Receive' }).click();
    await shopPage.getByLabel('Amount (optional)').fill('25');
    await shopPage.getByLabel('Reference (order number, optional)').fill('1x');
    await shopPage.getByRole('alert').filter({ hasText: 'is not an order number: use digits only (1 to 18446744073709551615) (WALLET_REFERENCE)' }).waitFor();
    expect(await shopPage.getByLabel('Reference (order number, optional)').getAttribute('aria-invalid')).toBe('true');
    await shopPage.getByLabel('Reference (order number, optional)').fill('1042');
    await shopPage.getByLabel('Label (your name or shop, optional)').fill('Bakery');
    const uri = shopPage.getByLabel('Payment request');
    await shopPage.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { value: string } } }).document.getElementById('receive-uri').value.includes('ref=1042'));
    const request = await uri.inputValue();
    expect(request).toBe(`scryp:${shopAddress}?amount=25&ref=1042&label=Bakery`);
    expect(await readQrImage(shopPage, '#receive-qr')).toBe(request);
    await shoot(shopPage, 'receive-reference');

    await alicePage.getByRole('tab', { name: 'Send' }).click();
    await alicePage.getByLabel('Recipient').fill(request);
    await alicePage.locator('#send-request-reference', { hasText: '1042' }).waitFor();
    await alicePage.getByRole('button', { name: 'Send', exact: true }).click();
    await alicePage.getByRole('heading', { name: 'Check the payment, then sign it' }).waitFor();
    expect(await alicePage.locator('#confirm-reference').textContent()).toBe('1042');
    expect(await alicePage.locator('#confirm-reference').isVisible()).toBe(true);
    await shoot(alicePage, 'send-confirm-reference');
    await alicePage.getByRole('button', { name: 'Sign and send' }).click();
    await alicePage.getByText(/^Committed in period \d+: the payment is final\.$/).waitFor({ timeout: 20_000 });
    expect(await alicePage.locator('#life-reference').textContent()).toBe('1042');
    const txid = (await alicePage.locator('#life-txid').textContent())!;

    await shopPage.getByRole('tab', { name: 'History' }).click();
    const row = shopPage.locator('#history-rows tr', { has: shopPage.locator(`td[title="${txid}"]`) });
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('td[data-label="Reference"]').textContent()).toBe('1042');
    expect(await row.locator('td[data-label="Direction"]').textContent()).toBe('Received');
    await alicePage.getByRole('tab', { name: 'History' }).click();
    const sent = alicePage.locator('#history-rows tr', { has: alicePage.locator(`td[title="${txid}"]`) });
    await sent.waitFor({ timeout: 20_000 });
    expect(await sent.locator('td[data-label="Reference"]').textContent()).toBe('1042');
    expect(await sent.getByRole('button', { name: 'Refund' }).count()).toBe(0); // a payment made is never refunded by its payer

    const csvDownload = shopPage.waitForEvent('download');
    await shopPage.getByRole('button', { name: 'Export CSV' }).click();
    const csv = readFileSync(await (await csvDownload).path(), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toBe(history_csv_header);
    expect(csv.find((line) => line.includes(txid))?.split(',').at(-1)).toBe('1042');

    // The receipt: saved from the row, checked offline by the executable.
    const download = shopPage.waitForEvent('download');
    await row.getByRole('button', { name: 'Receipt' }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe(`receipt-${txid}.json`);
    const file = join(base, saved.suggestedFilename());
    await saved.saveAs(file);
    await shopPage.getByText(new RegExp(`^Saved receipt-${txid}\\.json: 25 scryp received with reference 1042, committed in period \\d+: vouched for by servers 0, 1 and 2 \\(a quorum is 2 of 3\\)\\.$`)).waitFor();
    await shoot(shopPage, 'receipt-saved');
    const checked = await runProgram(['receipt', 'check', file, '--network', cluster.networkFile]);
    expect(checked.exitCode, show(checked)).toBe(0);
    expect(checked.stdout).toStartWith(`valid receipt: 25 scryp from ${aliceAddress} to ${shopAddress} with reference 1042, committed in period `);

    // The refund: what it pays, confirmed, then signed.
    await row.getByRole('button', { name: 'Refund' }).click();
    await shopPage.getByRole('heading', { name: 'Check the refund, then sign it' }).waitFor();
    expect(await shopPage.locator('#confirm-to').textContent()).toBe(aliceAddress);
    expect(await shopPage.locator('#confirm-amount').textContent()).toBe('25');
    expect(await shopPage.locator('#confirm-reference').textContent()).toBe('1042');
    expect(await shopPage.locator('#confirm-refunds').textContent()).toStartWith(`payment ${txid}, received in period `);
    await shoot(shopPage, 'refund-confirm');
    await shopPage.getByRole('button', { name: 'Sign and send' }).click();
    await shopPage.getByText(/^Committed in period \d+: the payment is final\.$/).waitFor({ timeout: 20_000 });
    const refundTxid = (await shopPage.locator('#life-txid').textContent())!;
    await alicePage.getByRole('tab', { name: 'History' }).click();
    const back = alicePage.locator('#history-rows tr', { has: alicePage.locator(`td[title="${refundTxid}"]`) });
    await back.waitFor({ timeout: 20_000 });
    expect(await back.locator('td').allTextContents()).toEqual(expect.arrayContaining(['Received', '+25 scryp', 'Committed', '1042']));

    // Refused in words: a payment the shop made (the refund) is not one it received; an unknown txid is not its payment.
    const made = await api(shop, shop.token, 'POST', '/api/refund', { txid: refundTxid });
    expect([made.status, made.json.error?.code]).toEqual([400, 'REFUND_NOT_RECEIVED']);
    expect(made.json.error?.message).toContain('was paid by this wallet, not to it: only a payment received can be refunded');
    const unknown = await api(shop, shop.token, 'POST', '/api/refund', { txid: 'ab'.repeat(32) });
    expect([unknown.status, unknown.json.error?.code]).toEqual([400, 'REFUND_NOT_FOUND']);
  });

  test('the till: a large QR code of a request with a fresh reference; Alice pastes it and pays; Paid within one period of the commit', async () => {
    await shopPage.getByRole('tab', { name: 'Overview' }).click();
    await shopPage.getByRole('button', { name: 'Take a payment' }).click();
    await shopPage.getByRole('heading', { name: 'Take a payment' }).waitFor();
    expect(await shopPage.getByRole('tab').count()).toBe(0); // the whole screen is the till's
    await shopPage.getByLabel('Amount to charge').fill('2.5');
    await shopPage.getByRole('button', { name: 'Show the QR code' }).click();
    await shopPage.getByRole('alert').filter({ hasText: 'Amount to charge: "2.5" is not a whole number of scryp (scryp has no fractions) (WALLET_AMOUNT)' }).waitFor();
    await shopPage.getByLabel('Amount to charge').fill('');
    await shoot(shopPage, 'amount');

    const { request, reference } = await takePayment(shopPage, '12', '2 loaves');
    expect(request).toBe(`scryp:${shopAddress}?amount=12&ref=${reference}&message=2%20loaves`);
    expect(BigInt(reference)).toBeGreaterThan(0n);
    expect(await readQrImage(shopPage, '#till-qr')).toBe(request); // what a customer's camera reads off the screen
    const qrBox = await shopPage.locator('#till-qr').boundingBox();
    expect(qrBox!.width).toBeGreaterThan(0.8 * phone_size.width); // large: most of a phone's width
    expect(await shopPage.locator('#till-sale-amount').textContent()).toBe('12');
    await shoot(shopPage, 'waiting', 'both');

    await alicePage.getByRole('tab', { name: 'Send' }).click();
    const newPayment = alicePage.getByRole('button', { name: 'New payment' });
    if (await newPayment.isVisible()) await newPayment.click();
    await alicePage.getByLabel('Recipient').fill(request);
    await alicePage.locator('#send-request-reference', { hasText: reference }).waitFor();
    expect(await alicePage.getByLabel('Amount', { exact: true }).inputValue()).toBe('12');
    await alicePage.getByRole('button', { name: 'Send', exact: true }).click();
    await alicePage.locator('#confirm-reference', { hasText: reference }).waitFor();
    expect(await alicePage.locator('#confirm-message').textContent()).toBe('2 loaves');
    await alicePage.getByRole('button', { name: 'Sign and send' }).click();
    const committed = alicePage.getByText(/^Committed in period \d+: the payment is final\.$/);
    await committed.waitFor({ timeout: 20_000 });
    const period = Number(/period (\d+)/.exec((await committed.textContent())!)![1]);

    await tillState(shopPage, 'paid');
    expect(await shopPage.locator('#till-result-title').textContent()).toBe('Paid');
    expect(await shopPage.locator('#till-result-amount').textContent()).toBe('12');
    expect(await shopPage.locator('#till-result-payer').textContent()).toBe(aliceAddress);
    expect(await shopPage.locator('#till-result-reference').textContent()).toBe(reference);
    expect(await shopPage.locator('#till-result-period').textContent()).toBe(String(period));
    // The till turned at a check that found the servers committed at most one period past the payment's.
    const decidedAt = Number(await tillResult(shopPage).getAttribute('data-decided-at'));
    expect(decidedAt).toBeGreaterThanOrEqual(period);
    expect(decidedAt).toBeLessThanOrEqual(period + 1);
    await shoot(shopPage, 'paid', 'both');
  });

  test('too little (5 of 20): the till says so and shows a code for the rest, with the same reference; the rest paid: Paid', async () => {
    await shopPage.getByRole('button', { name: 'New sale' }).click();
    const { reference } = await takePayment(shopPage, '20');
    await cliPay(['--to', shopAddress, '--amount', '5', '--ref', reference]);
    await tillState(shopPage, 'short');
    expect(await shopPage.locator('#till-result-title').textContent()).toBe('Too little');
    expect(await shopPage.locator('#till-result-amount').textContent()).toBe('5 of 20');
    expect(await shopPage.locator('#till-result-words').textContent()).toBe('Too little: 5 scryp of 20 scryp arrived with this reference. Ask for the rest (15 scryp: the code below asks for it), or refund.');
    const rest = await shopPage.getByLabel('Request text for the rest').inputValue();
    expect(rest).toBe(`scryp:${shopAddress}?amount=15&ref=${reference}`);
    expect(await readQrImage(shopPage, '#till-rest-qr')).toBe(rest);
    expect(await shopPage.getByRole('button', { name: 'Refund' }).isVisible()).toBe(true);
    await shoot(shopPage, 'too-little');
    await cliPay(['--to', rest]);
    await tillState(shopPage, 'paid');
    expect(await shopPage.locator('#till-result-words').textContent()).toStartWith('Paid in full: 20 scryp in 2 payments with this reference');
  });

  test('expired: the till gives up after its time (10 s here) and offers a new request; a payment after that is too late, and refunded from the till', async () => {
    await shopPage.getByRole('button', { name: 'New sale' }).click();
    const { reference } = await takePayment(shopPage, '7', 'one croissant');
    await tillState(shopPage, 'expired', 30_000);
    expect(await shopPage.locator('#till-result-words').textContent()).toBe('Expired: no payment arrived within 10 seconds. Start a new sale if the customer still wants to pay.');
    expect(await shopPage.getByRole('button', { name: 'Ask again for 7 scryp' }).isVisible()).toBe(true);
    await shoot(shopPage, 'expired');

    await cliPay(['--to', shopAddress, '--amount', '7', '--ref', reference]);
    await tillState(shopPage, 'late');
    expect(await shopPage.locator('#till-result-title').textContent()).toBe('Too late');
    expect(await shopPage.locator('#till-result-amount').textContent()).toBe('7');
    expect(await shopPage.locator('#till-result-words').textContent()).toBe('Too late: 7 scryp arrived with this reference after the request expired. Refund it, or take it as paid.');
    await shoot(shopPage, 'too-late');
    await shopPage.getByRole('button', { name: 'Refund' }).click();
    await shopPage.getByRole('heading', { name: 'Check the refund, then sign it' }).waitFor();
    expect([await shopPage.locator('#confirm-to').textContent(), await shopPage.locator('#confirm-amount').textContent(), await shopPage.locator('#confirm-reference').textContent()]).toEqual([aliceAddress, '7', reference]);
    await shopPage.getByRole('button', { name: 'Sign and send' }).click();
    await shopPage.getByText(/^Committed in period \d+: the payment is final\.$/).waitFor({ timeout: 20_000 });
  });

  test('the staff link: printed by --staff and shown in Settings; it opens the till alone, which takes a payment; every other call is refused', async () => {
    const lines = shop.stdout().trimEnd().split('\n');
    expect(lines.length).toBe(2);
    const staffUrl = lines[1]!;
    expect(staffUrl).toMatch(new RegExp(`^${shop.base.replace(/[.]/g, '\\.')}#staff=[A-Za-z0-9_-]{43}$`));
    const staffToken = staffUrl.split('#staff=')[1]!;
    expect(staffToken).not.toBe(shop.token);
    await shopPage.getByRole('tab', { name: 'Settings' }).click();
    expect(await shopPage.getByLabel('Staff link').inputValue()).toBe(staffUrl);

    const staff = await openPage(staffUrl);
    try {
      await staff.getByRole('heading', { name: 'Take a payment' }).waitFor();
      await staff.locator('#till-account', { hasText: shopAddress }).waitFor({ timeout: 20_000 });
      expect(await staff.getByRole('tab').count()).toBe(0);
      expect(await staff.getByRole('button', { name: 'Close the till' }).count()).toBe(0);
      expect(await staff.getByRole('button', { name: /Send|Sign/ }).count()).toBe(0);
      await shoot(staff, 'staff-amount');
      const { reference } = await takePayment(staff, '9');
      await cliPay(['--to', shopAddress, '--amount', '9', '--ref', reference]);
      await tillState(staff, 'paid');
      expect(await staff.getByRole('button', { name: 'Refund' }).count()).toBe(0);
      await shoot(staff, 'staff-paid');
    } finally {
      await staff.close();
    }

    // The staff token opens the till's calls only: each other is 403 WALLET_STAFF, and nothing is done.
    expect((await api(shop, staffToken, 'GET', '/api/overview')).status).toBe(200);
    const ticket = (await api(shop, shop.token, 'POST', '/api/payments/check', { recipient: aliceAddress, amount: '1' })).json as unknown as Confirmation;
    const refused: [string, string, unknown?][] = [
      ['POST', '/api/payments/check', { recipient: aliceAddress, amount: '1' }],
      ['POST', '/api/payments', { ticket: ticket.ticket }],
      ['POST', '/api/refund', { txid: 'ab'.repeat(32) }],
      ['POST', '/api/recipient', { recipient: aliceAddress }],
      ['GET', '/api/key'],
      ['POST', '/api/key/unlock', { passphrase: 'x' }],
      ['POST', '/api/key/phrase', { passphrase: '' }],
      ['POST', '/api/key/new', {}],
      ['GET', '/api/contacts'],
      ['POST', '/api/contacts', { name: 'Mallory', address: aliceAddress }],
      ['POST', '/api/contacts/remove', { name: 'Mallory' }],
      ['GET', '/api/history'],
      ['GET', '/api/history.csv'],
      ['POST', '/api/receipt', { txid: 'ab'.repeat(32) }],
      ['POST', '/api/request', { amount: '1' }],
      ['GET', '/api/staff'],
      ['GET', `/api/payments/${'00'.repeat(16)}`],
    ];
    for (const [method, path, body] of refused) {
      const answer = await api(shop, staffToken, method, path, body);
      expect([method, path, answer.status, answer.json.error?.code]).toEqual([method, path, 403, 'WALLET_STAFF']);
    }
    // The ticket the staff token tried to use is still the owner's to sign: nothing was sent.
    const owner = await api(shop, shop.token, 'GET', '/api/overview');
    expect(owner.status).toBe(200);
  });

  test('nothing typed or sent by the network ran as script: no dialog, no page error', () => {
    expect(trouble.dialogs).toEqual([]);
    expect(trouble.pageErrors).toEqual([]);
  });
});
