// The pocket wallet end to end, as a person with a phone uses it: three compiled servers
// with --http, Chromium at 390×844 with touch. Bob creates a wallet and shows a payment
// request for 30; Alice (her phone's clock two minutes slow) creates hers, receives 100 from
// the genesis wallet (the CLI's `scryp pay`), scans Bob's QR code with the camera, signs
// with her passphrase, and both histories update by themselves; she exports her key file
// and `scryp keygen --dir` opens it; offline, her page shows what it saw last, marked as
// such, and signs nothing. Not one request either page made carries a key, a word or a
// passphrase. Screenshots of every screen go to test/artifacts/pocket-*.png.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex, utf8 } from '../src/bytes.ts';
import { phraseToSeed } from '../src/recovery-phrase.ts';
import { formatSeed } from '../src/seed.ts';
import { browserSkipReason } from './helpers/browser.ts';
import { killAll, runProgram } from './helpers/cli-run.ts';
import { testSeed } from './helpers/keys.ts';
import { createWallet, openPhone, type Phone, qrVideo, shoot, startWithGateways } from './helpers/pocket.ts';
import { ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(240_000);
const skip = browserSkipReason();
if (skip !== null) console.warn(skip);

let cluster: ProcessCluster;
let pageUrl = '';
const phones: Phone[] = [];

beforeAll(async () => {
  if (skip !== null) return;
  cluster = await ProcessCluster.create({ servers: 3, periodMs: 500, wallets: [{ label: 'genesis', balance: 1_000_000 }] });
  const gateways = await startWithGateways(cluster);
  pageUrl = `${gateways[0]}/`; // the pocket wallet at GET / of server 0's gateway
  expect(await cluster.until(async () => ((await cluster.committedOf(0)) ?? 0) > 0, 15_000)).toBe(true);
});

afterAll(async () => {
  for (const phone of phones) await phone.close().catch(() => {});
  await killAll();
  await cluster?.stop();
});

const balanceOf = (phone: Phone) => phone.page.locator('#balance');

/** Waits (bounded) until the page's balance reads `amount` by itself. */
async function balanceReads(phone: Phone, amount: string): Promise<void> {
  await phone.page.getByRole('tab', { name: 'Overview' }).click();
  await phone.page.locator('#balance', { hasText: new RegExp(`^${amount}$`) }).waitFor({ timeout: 30_000 });
}

describe.skipIf(skip !== null)('the pocket wallet on a phone, against three compiled servers', () => {
  const alicePassphrase = 'alice rides the morning tram';
  const bobPassphrase = 'bob bakes bread at dawn';
  let alice: Phone;
  let bob: Phone;
  let aliceWords: string[] = [];
  let bobWords: string[] = [];
  let aliceAddress = '';
  let request = '';

  test('Bob creates a wallet in the page and shows a payment request for 30 as a QR code', async () => {
    bob = await openPhone(pageUrl);
    phones.push(bob);
    await bob.page.getByRole('heading', { name: 'Set up this wallet' }).waitFor();
    await shoot(bob.page, 'setup');
    bobWords = await createWallet(bob.page, bobPassphrase, 'setup');
    await bob.page.locator('#agreement', { hasText: 'servers agree' }).waitFor();
    expect(await balanceOf(bob).textContent()).toBe('0');
    await shoot(bob.page, 'overview-new');
    await bob.page.getByRole('tab', { name: 'Receive' }).click();
    await bob.page.getByLabel('Amount (optional)').fill('30');
    await bob.page.getByLabel('Label (your name or shop, optional)').fill('Bob’s bakery');
    // A function, not a string: the page's policy allows no eval.
    await bob.page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { value: string } } }).document.getElementById('receive-uri').value.includes('amount=30'));
    request = await bob.page.getByLabel('Payment request').inputValue();
    expect(request).toStartWith('scryp:scryp1');
    await bob.page.getByRole('img', { name: 'QR code of the payment request below' }).waitFor();
    await shoot(bob.page, 'receive');
    await bob.page.getByRole('tab', { name: 'History' }).click(); // open before the payment: it must update by itself
  });

  test('Alice, her clock two minutes slow, creates hers and receives 100 from the genesis wallet (scryp pay): the page shows it by itself', async () => {
    const camera = qrVideo(join(cluster.base, 'bob-request.y4m'), request);
    alice = await openPhone(pageUrl, { camera, clockOffsetMs: -120_000 });
    phones.push(alice);
    aliceWords = await createWallet(alice.page, alicePassphrase);
    await alice.page.locator('#overview-address', { hasText: 'scryp1' }).waitFor();
    aliceAddress = (await alice.page.locator('#overview-address').textContent())!;
    expect(aliceAddress).toStartWith('scryp1');
    const genesis = join(cluster.base, 'genesis');
    mkdirSync(genesis, { recursive: true });
    writeFileSync(join(genesis, '.seed'), formatSeed(testSeed('wallet genesis')), { mode: 0o600 });
    const paid = await runProgram(['pay', '--dir', genesis, '--to', aliceAddress, '--amount', '100', '--network', cluster.networkFile], { timeoutMs: 30_000 });
    expect(paid.exitCode, paid.stderr).toBe(0);
    await balanceReads(alice, '100');
    expect(await alice.page.locator('#agreement').textContent()).toContain('of 3 servers agree');
    await shoot(alice.page, 'overview-100');
  });

  test('Alice scans Bob’s QR code with the camera, checks, types her passphrase, signs: committed, though her clock is off', async () => {
    const page = alice.page;
    // Opened again later, as a person opens the app: the key is locked until the passphrase is typed.
    await page.reload();
    await balanceReads(alice, '100');
    await page.getByRole('tab', { name: 'Send' }).click();
    await page.getByRole('button', { name: 'Scan a QR code' }).click();
    await shoot(page, 'camera');
    await page.locator('#send-recipient-status', { hasText: 'A valid address' }).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Recipient').inputValue()).toBe(request);
    expect(await page.getByLabel('Amount', { exact: true }).inputValue()).toBe('30');
    await shoot(page, 'send-scanned');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('heading', { name: 'Check the payment, then sign it' }).waitFor();
    await page.locator('#send-confirm').getByLabel('Passphrase').fill('not my passphrase');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#confirm-status', { hasText: 'BAD_PASSPHRASE' }).waitFor({ timeout: 30_000 });
    await shoot(page, 'confirm-wrong-passphrase');
    await page.locator('#send-confirm').getByLabel('Passphrase').fill(alicePassphrase);
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#stage-final', { hasText: 'Committed ✓' }).waitFor({ timeout: 30_000 });
    await shoot(page, 'send-committed');
    await balanceReads(alice, '70');
  });

  test('both histories update by themselves: Bob received 30, Alice received 100 and sent 30', async () => {
    await bob.page.locator('#history-rows tr').first().waitFor({ timeout: 30_000 });
    const bobRow = await bob.page.locator('#history-rows tr').first().locator('td').allTextContents();
    expect(bobRow[1]).toBe('Received');
    expect(bobRow[3]).toContain('30 scryp');
    expect(bobRow[4]).toBe('Committed');
    await shoot(bob.page, 'history-bob');
    await balanceReads(bob, '30');
    await alice.page.getByRole('tab', { name: 'History' }).click();
    await alice.page.locator('#history-rows tr').nth(1).waitFor({ timeout: 30_000 });
    const rows = await alice.page.locator('#history-rows tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.map((row) => [row[1], row[3]?.replace(/[^0-9]/g, '')])).toEqual([
      ['Sent', '30'],
      ['Received', '100'],
    ]);
    await shoot(alice.page, 'history-alice');
  });

  test('Alice exports her key file; scryp keygen --dir opens it (the same address)', async () => {
    const page = alice.page;
    await page.getByRole('tab', { name: 'Settings' }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export key file' }).click();
    const file = await download;
    const dir = join(cluster.base, 'alice-exported');
    mkdirSync(dir, { recursive: true });
    await file.saveAs(join(dir, '.seed'));
    await shoot(page, 'settings');
    const text = readFileSync(join(dir, '.seed'), 'utf8');
    expect(text).toStartWith(`scryp-seed v1 address=${aliceAddress} scrypt ln=17 r=8 p=1 `);
    const shown = await runProgram(['keygen', '--dir', dir]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(aliceAddress);
    const passphraseFile = join(cluster.base, 'alice-passphrase');
    writeFileSync(passphraseFile, `${alicePassphrase}\n`, { mode: 0o600 });
    const words = await runProgram(['keygen', '--dir', dir, '--words', '--passphrase-file', passphraseFile]);
    expect(words.exitCode, words.stderr).toBe(0);
    expect(words.stdout.trim().split('\n').pop()).toBe(aliceWords.join(' '));
  });

  test('offline, the page opens from its service worker, shows the last balance and history marked as such, and signs nothing', async () => {
    const page = alice.page;
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await alice.context.setOffline(true);
    await page.reload();
    await page.getByRole('tab', { name: 'Overview' }).waitFor();
    const banner = page.locator('#offline');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toContain('Offline');
    expect(await balanceOf(alice).textContent()).toBe('70');
    await shoot(page, 'offline');
    await page.getByRole('tab', { name: 'History' }).click();
    await page.locator('#history-note', { hasText: 'Offline' }).waitFor();
    expect(await page.locator('#history-rows tr').count()).toBe(2);
    await page.getByRole('tab', { name: 'Send' }).click();
    await page.getByLabel('Recipient').fill(encodeAddress(cluster.wallets[0]!.publicKey));
    await page.getByLabel('Amount', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'POCKET_OFFLINE' }).waitFor();
    await shoot(page, 'offline-send');
    await alice.context.setOffline(false);
  });

  test('a key file made by scryp keygen --encrypt opens in the page (Import a key file), and a contact is kept beside it', async () => {
    const dir = join(cluster.base, 'keygen-encrypted');
    const passphraseFile = join(cluster.base, 'carol-passphrase');
    writeFileSync(passphraseFile, 'carol keeps goats\n', { mode: 0o600 });
    const made = await runProgram(['keygen', '--dir', dir, '--encrypt', '--passphrase-file', passphraseFile]);
    expect(made.exitCode, made.stderr).toBe(0);
    const address = made.stdout.split('\n')[0]!;
    const carol = await openPhone(pageUrl);
    phones.push(carol);
    const page = carol.page;
    await page.getByRole('button', { name: 'Import a key file (.seed)' }).click();
    await page.getByLabel('Key file (.seed)').setInputFiles(join(dir, '.seed'));
    await page.locator('#setup-import-form').getByLabel('Passphrase', { exact: true }).fill('not carol’s');
    await page.getByRole('button', { name: 'Import key' }).click();
    await page.getByRole('alert').filter({ hasText: 'BAD_PASSPHRASE' }).waitFor({ timeout: 30_000 });
    await page.locator('#setup-import-form').getByLabel('Passphrase', { exact: true }).fill('carol keeps goats');
    await shoot(page, 'import');
    await page.getByRole('button', { name: 'Import key' }).click();
    await page.locator('#overview-address', { hasText: address }).waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: 'Contacts' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Alice');
    await page.getByLabel('Address', { exact: true }).fill(aliceAddress);
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.locator('#contacts-list li', { hasText: 'Alice' }).waitFor();
    await page.reload(); // kept in this browser
    await page.getByRole('tab', { name: 'Contacts' }).click();
    await page.locator('#contacts-list li', { hasText: 'Alice' }).waitFor();
    await shoot(page, 'contacts');
  });

  test('no request either page made carries a seed, a recovery word or a passphrase', () => {
    const secrets: [string, Uint8Array][] = [];
    for (const [who, words, passphrase] of [['alice', aliceWords, alicePassphrase], ['bob', bobWords, bobPassphrase]] as const) {
      const seed = phraseToSeed(words.join(' '));
      secrets.push([`${who}'s seed`, seed], [`${who}'s seed in hex`, utf8(toHex(seed))], [`${who}'s passphrase`, utf8(passphrase)], [`${who}'s words`, utf8(words.slice(0, 3).join(' '))]);
      for (const word of words.filter((w) => w.length >= 5)) secrets.push([`${who}'s word ${word}`, utf8(word)]);
    }
    const found: string[] = [];
    const requests = [...alice.requests, ...bob.requests];
    expect(requests.filter((request) => request.method === 'POST').length).toBeGreaterThan(10);
    for (const request of requests) {
      // The page's own fixed paths are not what it says: "chunk" and "network" are recovery
      // words too (a wallet whose 48 words hold one would fail here 1 run in 20).
      const url = new URL(request.url);
      const said = own_paths.test(url.pathname) ? `${url.origin}${url.search}` : request.url;
      const haystacks = [utf8(decodeURIComponent(said)), request.body ?? new Uint8Array(0)];
      for (const [name, secret] of secrets) {
        if (haystacks.some((bytes) => indexOf(bytes, secret) >= 0)) found.push(`${name} in ${request.method} ${request.url}`);
      }
    }
    expect(found).toEqual([]);
  });
});

/** The paths a pocket page asks whatever its wallet: the gateway's and the page's own files. */
const own_paths = /^\/(v1\/(network|request|gateways)|network\.json|gateways\.json|chunk-[a-z0-9]+\.(js|css)|sw\.js|manifest\.webmanifest|icon\.svg|index\.html)?$/;

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
