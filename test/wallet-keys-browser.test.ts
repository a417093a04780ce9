// The wallet's first screens in Chromium (issue 11 §3), against a real server of the
// compiled executable: create a wallet (24 words, three typed back, a passphrase), restore
// the same key in a second directory from the words, restart the first and unlock it (the
// wrong passphrase refused, the file untouched), and show the phrase again in Settings.
// Screenshots at desktop and phone size go to test/artifacts/.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { encodeAddress } from '../src/address.ts';
import { phraseToSeed } from '../src/recovery-phrase.ts';
import { seedFileState, seedPath } from '../src/seed.ts';
import { publicKeyFromSeed } from '../src/signature.ts';
import { artifactPath, browserSkipReason, desktop, launchBrowser, phone, startWallet, type TestBrowser, type WalletProcess } from './helpers/browser.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(30_000);

const skipReason = browserSkipReason();
if (skipReason !== null) console.log(`wallet-keys-browser: skipped: ${skipReason}`);

const passphrase = 'correct horse battery staple';
let cluster: ProcessCluster;
let browser: TestBrowser;
const wallets: WalletProcess[] = [];
const base = mkdtempSync(join(tmpdir(), 'scryp-wallet-keys-browser-'));
const first = join(base, 'first');
const second = join(base, 'second');
let words: string[] = [];
let address = '';

async function open(dir: string, extra: string[] = []): Promise<{ wallet: WalletProcess; page: Page }> {
  const wallet = await startWallet(['--dir', dir, '--network', cluster.networkFile, ...extra]);
  wallets.push(wallet);
  const page = await browser.newPage();
  page.on('dialog', (dialog) => void dialog.dismiss());
  await page.goto(wallet.url);
  return { wallet, page };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: artifactPath(`wallet-${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(phone);
  await page.screenshot({ path: artifactPath(`wallet-${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktop);
}

describe.skipIf(skipReason !== null)('creating, restoring and unlocking a wallet in Chromium', () => {
  beforeAll(async () => {
    cluster = await ProcessCluster.create({ servers: 1, periodMs: 300, wallets: [{ label: 'unrelated', balance: 1000 }] });
    cluster.startAll();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    for (const wallet of wallets) await wallet.stop();
    await cluster?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  test('create: the 24 words, three typed back (a wrong one refused), a passphrase; the wallet opens', async () => {
    const { page } = await open(first);
    await page.getByRole('heading', { name: 'Set up this wallet' }).waitFor();
    expect(await page.locator('#screen-wallet').isVisible()).toBe(false);
    await shoot(page, 'setup');
    await page.getByRole('button', { name: 'Create a new wallet' }).click();
    await page.getByRole('heading', { name: 'Your recovery phrase' }).waitFor();
    words = await page.locator('#setup-word-list li').allTextContents();
    expect(words).toHaveLength(24);
    expect(words.every((word) => /^[a-z]{3,8}$/.test(word))).toBe(true);
    await shoot(page, 'setup-words');
    await page.getByRole('button', { name: 'I have written them down' }).click();
    expect(await page.locator('#setup-word-list li').count()).toBe(0); // off the screen: typed from the paper

    const labels = await page.locator('#setup-confirm-fields label').allTextContents();
    expect(labels).toHaveLength(3);
    const positions = labels.map((label) => Number(/^Word (\d+)$/.exec(label)![1]));
    const form = page.locator('#setup-confirm'); // the restore form has fields of the same names
    for (const [i, position] of positions.entries()) await form.getByLabel(`Word ${position}`, { exact: true }).fill(i === 1 ? 'zoo' : words[position - 1]!);
    await form.getByLabel('Passphrase (optional)').fill(passphrase);
    await form.getByLabel('Repeat passphrase').fill(passphrase);
    await page.getByRole('button', { name: 'Create wallet' }).click();
    await page.getByRole('alert').filter({ hasText: `Word ${positions[1]} is not the word shown at that place` }).waitFor();
    expect(seedFileState(first)).toBe('missing');
    await shoot(page, 'setup-confirm');

    await form.getByLabel(`Word ${positions[1]}`, { exact: true }).fill(words[positions[1]! - 1]!.toUpperCase());
    await form.getByLabel('Repeat passphrase').fill(`${passphrase}!`);
    await page.getByRole('button', { name: 'Create wallet' }).click();
    await page.getByRole('alert').filter({ hasText: 'the two passphrases differ' }).waitFor();
    await form.getByLabel('Repeat passphrase').fill(passphrase);
    await page.getByRole('button', { name: 'Create wallet' }).click();

    address = encodeAddress(publicKeyFromSeed(phraseToSeed(words.join(' '))));
    await page.locator('#overview-address', { hasText: address }).waitFor();
    expect(await page.locator('#screen-setup').isVisible()).toBe(false);
    expect(seedFileState(first)).toBe('encrypted');
    await page.locator('#balance', { hasText: /^0$/ }).waitFor();
  });

  test('restore: the same words in a second directory give the same key (a bad phrase refused in words)', async () => {
    const { page } = await open(second);
    await page.getByRole('button', { name: 'Restore from recovery phrase' }).click();
    const swapped = [words[1], words[0], ...words.slice(2)].join(' ');
    await page.getByLabel('Recovery phrase (24 words)').fill(swapped);
    await page.getByRole('button', { name: 'Restore wallet' }).click();
    await page.getByRole('alert').filter({ hasText: /checksum .* does not match.*\(PHRASE_CHECKSUM\)/ }).waitFor();
    await page.getByLabel('Recovery phrase (24 words)').fill(words.slice(0, 23).join(' '));
    await page.getByRole('button', { name: 'Restore wallet' }).click();
    await page.getByRole('alert').filter({ hasText: '(PHRASE_LENGTH)' }).waitFor();
    expect(seedFileState(second)).toBe('missing');
    await shoot(page, 'setup-restore');
    await page.getByLabel('Recovery phrase (24 words)').fill(`  ${words.join('\n').toUpperCase()}  `);
    await page.getByRole('button', { name: 'Restore wallet' }).click();
    await page.locator('#overview-address', { hasText: address }).waitFor();
    expect(seedFileState(second)).toBe('plain');
  });

  test('unlock: an encrypted wallet opens on the unlock screen; the wrong passphrase is refused, the file untouched', async () => {
    await wallets.shift()!.stop(); // the first wallet's process: started again below
    const bytes = readFileSync(seedPath(first));
    const { page } = await open(first);
    await page.getByRole('heading', { name: 'Unlock this wallet' }).waitFor();
    expect(await page.locator('#unlock-address').textContent()).toBe(address);
    const unlock = page.locator('#unlock-form'); // Settings has a Passphrase field too
    await unlock.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: '(BAD_PASSPHRASE)' }).waitFor();
    expect(readFileSync(seedPath(first))).toEqual(bytes);
    expect(await page.locator('#screen-wallet').isVisible()).toBe(false);
    await shoot(page, 'unlock');
    await unlock.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await unlock.getByLabel('Passphrase', { exact: true }).press('Enter');
    await page.locator('#overview-address', { hasText: address }).waitFor();
    expect(readFileSync(seedPath(first))).toEqual(bytes);

    // Settings: the phrase again, after the passphrase; gone when the tab is left.
    await page.getByRole('tab', { name: 'Settings' }).click();
    expect(await page.locator('#settings-encrypted').textContent()).toStartWith('Encrypted under a passphrase');
    const settings = page.locator('#settings-phrase-form');
    await settings.getByLabel('Passphrase', { exact: true }).fill('wrong again');
    await page.getByRole('button', { name: 'Show recovery phrase' }).click();
    await page.getByRole('alert').filter({ hasText: '(BAD_PASSPHRASE)' }).waitFor();
    expect(await page.locator('#settings-word-list li').count()).toBe(0);
    await settings.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByRole('button', { name: 'Show recovery phrase' }).click();
    await page.locator('#settings-word-list li').first().waitFor();
    expect(await page.locator('#settings-word-list li').allTextContents()).toEqual(words);
    await shoot(page, 'settings');
    await page.getByRole('tab', { name: 'Overview' }).click();
    expect(await page.locator('#settings-word-list li').count()).toBe(0);
  });
});
