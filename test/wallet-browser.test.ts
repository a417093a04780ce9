// The wallet page in a real browser (Debian's Chromium through playwright-core), against
// three real servers of the compiled executable on loopback and two `scryp wallet`
// processes, Alice's and Bob's. Everything is done as a person does it: fields found by
// their labels, buttons by their names, Enter to submit, the arrow keys between tabs.
// Screenshots of every screen, desktop and phone size, go to test/artifacts/.
//
// The tests run in order and share the two wallets: Bob asks for 25 with a request whose
// label and message are HTML, Alice pastes it and pays; then she types Bob's address and
// pays 10; a typo and an overdraft are refused in words; both histories show both
// payments (Bob's without a reload); the CSV has the rows; contacts are saved and picked.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { encodeAddress } from '../src/address.ts';
import { history_csv_header } from '../src/client/history.ts';
import { pay } from '../src/client/wallet.ts';
import { artifactPath, browserSkipReason, openWatchedPage, type PageTrouble, desktop, launchBrowser, phone, startWallet, type TestBrowser, type WalletProcess } from './helpers/browser.ts';
import { seededWalletDir, testSigner } from './helpers/keys.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(30_000);

const skipReason = browserSkipReason();
if (skipReason !== null) console.log(`wallet-browser: skipped: ${skipReason}`);

const hostile = '<img src=x onerror=alert(1)>';
const hostileMessage = '<script>alert(2)</script> & "bread"';
const aliceAddress = encodeAddress(testSigner('wallet alice').publicKey);
const bobAddress = encodeAddress(testSigner('wallet bob').publicKey);

let cluster: ProcessCluster;
let browser: TestBrowser;
let alice: WalletProcess;
let bob: WalletProcess;
let alicePage: Page;
let bobPage: Page;
const trouble: PageTrouble = { dialogs: [], pageErrors: [] };
const base = mkdtempSync(join(tmpdir(), 'scryp-wallet-browser-'));

const walletDir = (label: string) => seededWalletDir(join(base, label), `wallet ${label}`);
const openPage = (wallet: WalletProcess) => openWatchedPage(browser, wallet.url, trouble);

/** A screenshot at desktop size and at phone size (360×740), for a person to look at. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: artifactPath(`wallet-${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(phone);
  await page.screenshot({ path: artifactPath(`wallet-${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktop);
}

/** Waits (bounded) until the balance shown is exactly `text`: the page refreshes by itself. */
async function balanceShown(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.locator('#balance', { hasText: new RegExp(`^${text}$`) }).waitFor({ state: 'attached', timeout }); // its tab may be closed
}

/** Polls `check` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const historyRows = (page: Page) => page.locator('#history-rows tr');

async function payThroughForm(page: Page, recipient: string, amount: string | null, options: { enter?: boolean } = {}): Promise<void> {
  await page.getByRole('tab', { name: 'Send' }).click();
  await page.getByLabel('Recipient').fill(recipient);
  if (amount !== null) await page.getByLabel('Amount', { exact: true }).fill(amount);
  if (options.enter === true) await page.getByLabel('Amount', { exact: true }).press('Enter');
  else await page.getByRole('button', { name: 'Send', exact: true }).click();
}

describe.skipIf(skipReason !== null)('the wallet page in Chromium', () => {
  beforeAll(async () => {
    cluster = await ProcessCluster.create({ periodMs: 300, wallets: [{ label: 'alice', balance: 1000 }] });
    cluster.startAll();
    [alice, bob, browser] = await Promise.all([
      startWallet(['--dir', walletDir('alice'), '--network', cluster.networkFile]),
      startWallet(['--dir', walletDir('bob'), '--network', cluster.networkFile]),
      launchBrowser(),
    ]);
    [alicePage, bobPage] = await Promise.all([openPage(alice), openPage(bob)]);
  });

  afterAll(async () => {
    await browser?.close();
    await alice?.stop();
    await bob?.stop();
    await cluster?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  test('overview: the balance a majority agrees on, at which period, and the address with Copy', async () => {
    await balanceShown(alicePage, '1,000');
    // Servers commit a few ms apart: a draw may find one a period behind ("2 of 3 agree"); the next draw, a period later, has all three.
    await alicePage.locator('#agreement', { hasText: /^3 of 3 servers agree \(servers 0, 1 and 2\) at committed period \d+\.$/ }).waitFor({ timeout: 10_000 });
    expect(await alicePage.locator('#overview-address').textContent()).toBe(aliceAddress);
    expect(await alicePage.locator('#network-line').textContent()).toBe('Network testnet · 3\u00a0servers · period 300\u00a0ms');
    await alicePage.getByRole('button', { name: 'Copy address' }).click();
    await alicePage.getByText(/Copied\.|Selected: press Ctrl\+C/).waitFor();
    await balanceShown(bobPage, '0');
    expect(await bobPage.locator('#agreement').textContent()).toBe('3 of 3 servers agree (servers 0, 1 and 2): nothing has been paid to this address yet.');
    await shoot(alicePage, 'overview');
  });

  test('tabs work from the keyboard: arrow keys move between them, the panel follows', async () => {
    await alicePage.getByRole('tab', { name: 'Overview' }).focus();
    await alicePage.keyboard.press('ArrowRight');
    expect(await alicePage.getByRole('tab', { name: 'Send' }).getAttribute('aria-selected')).toBe('true');
    expect(await alicePage.locator('#panel-send').isVisible()).toBe(true);
    await alicePage.keyboard.press('End');
    expect(await alicePage.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
    await alicePage.keyboard.press('ArrowRight'); // round to the first
    expect(await alicePage.getByRole('tab', { name: 'Overview' }).getAttribute('aria-selected')).toBe('true');
    await alicePage.keyboard.press('ArrowLeft');
    expect(await alicePage.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
    await alicePage.keyboard.press('Home');
    expect(await alicePage.locator('#panel-overview').isVisible()).toBe(true);
  });

  test('receive: a request with amount, label and message, as a URI and a QR image; HTML stays text', async () => {
    await bobPage.getByRole('tab', { name: 'Receive' }).click();
    await bobPage.getByLabel('Amount (optional)').fill('25');
    await bobPage.getByLabel('Label (your name or shop, optional)').fill(hostile);
    await bobPage.getByLabel('Message (what it is for, optional)').fill(hostileMessage);
    const uri = bobPage.getByLabel('Payment request');
    await until('the request to show its message', async () => (await uri.inputValue()).includes('message='));
    const text = await uri.inputValue();
    expect(text).toStartWith(`scryp:${bobAddress}?amount=25&label=`);
    expect(decodeURIComponent(text.split('label=')[1]!.split('&')[0]!)).toBe(hostile);
    const qr = bobPage.getByRole('img', { name: 'QR code of the payment request below' });
    expect(await qr.getAttribute('src')).toStartWith('data:image/svg+xml;base64,');
    expect(await qr.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100); // the SVG decoded
    expect(await bobPage.locator('img[src="x"]').count()).toBe(0);
    await shoot(bobPage, 'receive');
  });

  test('send: a pasted request fills the amount and shows label and message as text; confirm; sent → accepted → committed', async () => {
    await bobPage.getByRole('tab', { name: 'History' }).click(); // open before the payment: it must update by itself
    const request = await bobPage.getByLabel('Payment request').inputValue();
    await alicePage.getByRole('tab', { name: 'Send' }).click();
    await alicePage.getByLabel('Recipient').fill(request);
    await alicePage.getByText(`✓ A valid address: ${bobAddress}`).waitFor();
    expect(await alicePage.getByLabel('Amount', { exact: true }).inputValue()).toBe('25');
    expect(await alicePage.locator('#send-request-label').textContent()).toBe(hostile);
    expect(await alicePage.locator('#send-request-message').textContent()).toBe(hostileMessage);
    expect(await alicePage.locator('#send-request-label').evaluate((element) => element.children.length)).toBe(0);
    await shoot(alicePage, 'send-request');

    await alicePage.getByRole('button', { name: 'Send', exact: true }).click();
    const confirm = alicePage.locator('#send-confirm');
    await confirm.waitFor();
    expect(await alicePage.locator('#confirm-to').textContent()).toBe(bobAddress);
    expect(await alicePage.locator('#confirm-from').textContent()).toBe(aliceAddress);
    expect(await alicePage.locator('#confirm-amount').textContent()).toBe('25');
    expect(await alicePage.locator('#confirm-network').textContent()).toStartWith('testnet (network id ');
    expect(await alicePage.locator('#confirm-label').textContent()).toBe(hostile);
    expect(await alicePage.locator('#confirm-message').textContent()).toBe(hostileMessage);
    expect(await alicePage.locator('#send-confirm-title').evaluate((title) => title === title.ownerDocument.activeElement)).toBe(true); // focus moves to the step
    await shoot(alicePage, 'send-confirm');

    await alicePage.getByRole('button', { name: 'Sign and send' }).click();
    await alicePage.locator('#send-life').waitFor();
    await alicePage.getByText(/^Committed in period \d+: the payment is final\.$/).waitFor({ timeout: 15_000 });
    expect(await alicePage.locator('#stage-sent').textContent()).toBe('Sent ✓');
    expect(await alicePage.locator('#stage-accepted').textContent()).toBe('Accepted ✓');
    expect(await alicePage.locator('#stage-final').textContent()).toBe('Committed ✓');
    expect(await alicePage.locator('#life-txid').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await shoot(alicePage, 'send-committed');
    expect(await alicePage.locator('img[src="x"]').count()).toBe(0);
  });

  test('the payee’s page updates by itself: balance and history, no reload', async () => {
    await balanceShown(bobPage, '25');
    await bobPage.locator('#history-rows tr').first().waitFor({ timeout: 10_000 });
    const cells = await bobPage.locator('#history-rows tr').first().locator('td').allTextContents();
    expect(cells[1]).toBe('Received');
    expect(cells[3]).toBe('+25 scryp');
    expect(cells[4]).toBe('Committed');
  });

  test('send by typing the address, Enter submits; the stages in words', async () => {
    await alicePage.getByRole('button', { name: 'New payment' }).click();
    expect(await alicePage.getByLabel('Recipient').inputValue()).toBe('');
    await payThroughForm(alicePage, bobAddress, '10', { enter: true });
    await alicePage.getByRole('button', { name: 'Sign and send' }).click();
    await alicePage.getByText(/^Committed in period \d+/).waitFor({ timeout: 15_000 });
    await balanceShown(alicePage, '965');
  });

  test('a mistyped address is refused in words as you type, and Send signs nothing', async () => {
    await alicePage.getByRole('button', { name: 'New payment' }).click();
    const typo = bobAddress.slice(0, 30) + (bobAddress[30] === 'q' ? 'p' : 'q') + bobAddress.slice(31);
    await payThroughForm(alicePage, typo, '5');
    await alicePage.getByText('✗ Recipient: the checksum does not match: a character is mistyped; copy the address again (ADDRESS_CHECKSUM)').waitFor();
    expect(await alicePage.getByLabel('Recipient').getAttribute('aria-invalid')).toBe('true');
    const banner = alicePage.getByRole('alert').filter({ hasText: 'checksum' });
    await banner.waitFor();
    expect(await alicePage.locator('#send-confirm').isVisible()).toBe(false);
    await alicePage.getByLabel('Recipient').fill('scryp1');
    await alicePage.getByText(/✗ Recipient: .*(ADDRESS_LENGTH)/).waitFor();
    await shoot(alicePage, 'send-bad-address');
  });

  test('an overdraft is refused with the balance in words, before anything is signed', async () => {
    await payThroughForm(alicePage, bobAddress, '100000');
    await alicePage.getByRole('alert').filter({ hasText: 'is more than this wallet’s balance, 965 scryp; nothing was signed (WALLET_OVERDRAFT)' }).waitFor();
    expect(await alicePage.locator('#send-confirm').isVisible()).toBe(false);
    await alicePage.getByLabel('Amount', { exact: true }).fill('2.5');
    await alicePage.getByText('✗ A whole number of scryp, digits only (scryp has no fractions).').waitFor();
    await shoot(alicePage, 'send-overdraft');
  });

  test('history: both payments on both sides, newest first; CSV export has the rows', async () => {
    await alicePage.getByRole('tab', { name: 'History' }).click();
    await until('two rows in Alice’s history', async () => (await historyRows(alicePage).count()) === 2);
    const rows = await alicePage.locator('#history-rows tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((cells) => [cells[1], cells[3], cells[4]])).toEqual([
      ['Sent', '−10 scryp', 'Committed'],
      ['Sent', '−25 scryp', 'Committed'],
    ]);
    await until('two rows in Bob’s history', async () => (await historyRows(bobPage).count()) === 2);

    const download = alicePage.waitForEvent('download');
    await alicePage.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe(history_csv_header);
    expect(lines.slice(1).map((line) => line.split(',').slice(2, 5).concat(line.split(',')[6]!))).toEqual([
      ['out', bobAddress, '-10', 'committed'],
      ['out', bobAddress, '-25', 'committed'],
    ]);
    await alicePage.getByText('Saved scryp-history.csv (2 payments).').waitFor();
    await shoot(alicePage, 'history');
    await shoot(bobPage, 'history-payee');
  });

  test('contacts: a name saved once (shown as text), picked when sending, named in the history', async () => {
    const name = `Bob ${hostile}`;
    await alicePage.getByRole('tab', { name: 'Contacts' }).click();
    await alicePage.getByLabel('Name', { exact: true }).fill(name);
    await alicePage.getByLabel('Address', { exact: true }).fill(bobAddress);
    await alicePage.getByRole('button', { name: 'Add contact' }).click();
    await alicePage.getByText(`Saved ${name}.`).waitFor();
    expect(await alicePage.locator('#contacts-list .name').allTextContents()).toEqual([name]);
    expect(await alicePage.locator('img[src="x"]').count()).toBe(0);
    // the same name again is refused in words
    await alicePage.getByLabel('Name', { exact: true }).fill('bob <img src=x onerror=alert(1)>');
    await alicePage.getByLabel('Address', { exact: true }).fill(aliceAddress);
    await alicePage.getByRole('button', { name: 'Add contact' }).click();
    await alicePage.getByRole('alert').filter({ hasText: 'is already a contact' }).waitFor();
    await shoot(alicePage, 'contacts');

    await alicePage.getByRole('tab', { name: 'Send' }).click();
    const newPayment = alicePage.getByRole('button', { name: 'New payment' });
    if (await newPayment.isVisible()) await newPayment.click(); // the form may already be open
    await alicePage.getByLabel('Pick a contact').selectOption({ label: name });
    expect(await alicePage.getByLabel('Recipient').inputValue()).toBe(bobAddress);
    await alicePage.getByText(`✓ A valid address (${name}): ${bobAddress}`).waitFor();

    await alicePage.getByRole('tab', { name: 'History' }).click();
    await alicePage.locator('#history-rows tr td[data-label="Counterparty"]').first().filter({ hasText: name }).waitFor();
  });

  test('history pages: 25 more payments to Bob, 20 on the first page, Older shows the rest, Newest comes back', async () => {
    const client = await cluster.udp();
    const ends = await Promise.all(
      Array.from({ length: 25 }, (_, i) => pay(client, cluster.network, cluster.wallets[0]!, { to: testSigner('wallet bob').publicKey, amount: i + 1, server: 0 })),
    );
    expect(ends.map((end) => end.outcome)).toEqual(Array(25).fill('committed'));
    await bobPage.getByRole('tab', { name: 'History' }).click();
    await until('a full first page in Bob’s history', async () => (await historyRows(bobPage).count()) === 20);
    expect(await bobPage.getByRole('button', { name: 'Older' }).isEnabled()).toBe(true);
    const first = await historyRows(bobPage).locator('td[data-label="Txid"]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('title')));
    await bobPage.getByRole('button', { name: 'Older' }).click();
    await until('the second page (5 of Alice’s batch, her 2 earlier payments)', async () => (await historyRows(bobPage).count()) === 7);
    const second = await historyRows(bobPage).locator('td[data-label="Txid"]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('title')));
    expect(new Set([...first, ...second]).size).toBe(27); // no payment twice, none missing
    expect(await bobPage.getByRole('button', { name: 'Older' }).isEnabled()).toBe(false);
    expect((await historyRows(bobPage).last().locator('td').allTextContents())[3]).toBe('+25 scryp'); // the oldest: the request Bob made
    await shoot(bobPage, 'history-older');
    await bobPage.getByRole('button', { name: 'Newest' }).click();
    await until('the first page again', async () => (await historyRows(bobPage).count()) === 20);

    // Older clicked while the page reloads its newest page after a commit is not dropped (it
    // was, now and then): the history's answers are held back 400 ms, and Older is clicked
    // while such a reload is in flight.
    const history = '**/api/history*';
    await bobPage.route(history, async (route) => {
      await Bun.sleep(400);
      await route.continue().catch(() => {}); // unrouted meanwhile: the page got its answer another way or no longer waits
    });
    try {
      await bobPage.waitForRequest((request) => request.url().includes('/api/history') && !request.url().includes('before='), { timeout: 10_000 });
      await bobPage.getByRole('button', { name: 'Older' }).click();
      await until('the second page, asked for during a reload', async () => (await historyRows(bobPage).count()) === 7);
    } finally {
      // A reload still held back may answer after this: its route is dropped quietly.
      await bobPage.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });

  test('a page opened without its token says what to do, and asks nothing', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(alice.base);
      await page.getByRole('alert').filter({ hasText: 'This page needs its token' }).waitFor();
      expect(await page.locator('#balance').textContent()).toBe('…');
    } finally {
      await page.close();
    }
  });

  test('nothing typed or sent by the network ran as script: no dialog, no page error', () => {
    expect(trouble.dialogs).toEqual([]);
    expect(trouble.pageErrors).toEqual([]);
  });
});
