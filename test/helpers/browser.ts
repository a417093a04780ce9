// A real browser for the wallet page's tests: Debian's Chromium driven by playwright-core
// (never a downloaded browser), headless, in a fresh empty profile removed afterwards.
// Where Chromium is missing the tests are skipped with a printed reason, except in CI,
// where they must run (.ci/run installs it).

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subprocess } from 'bun';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { binary, root } from './processes.ts';

export const chromium_path = '/usr/bin/chromium';

export const chromium_args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const desktop = { width: 1280, height: 860 } as const;
export const phone = { width: 360, height: 740 } as const;

/** Why the browser tests cannot run here, or null when they can (and must). */
export function browserSkipReason(): string | null {
  if (existsSync(chromium_path)) return null;
  if (process.env.CI) throw new Error(`${chromium_path} is missing, and CI is set: the browser tests must run (.ci/run installs chromium)`);
  return `${chromium_path} is missing (apt-get install chromium); the wallet page's browser tests are skipped`;
}

export interface TestBrowser {
  readonly context: BrowserContext;
  newPage(size?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'scryp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromium_path,
    headless: true,
    args: chromium_args,
    viewport: desktop,
    acceptDownloads: true,
    timeout: 20_000,
  });
  return {
    context,
    async newPage(size = desktop) {
      const page = await context.newPage();
      await page.setViewportSize(size);
      page.setDefaultTimeout(10_000);
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Every dialog and page error a page raised: a test of hostile input asserts there were none. */
export interface PageTrouble {
  readonly dialogs: string[];
  readonly pageErrors: string[];
}

/** A new page of `size` at `url`, its dialogs (dismissed) and page errors written into `trouble`. */
export async function openWatchedPage(browser: TestBrowser, url: string, trouble: PageTrouble, size: { width: number; height: number } = desktop): Promise<Page> {
  const page = await browser.newPage(size);
  page.on('dialog', (dialog) => {
    trouble.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => trouble.pageErrors.push(error.message));
  await page.goto(url);
  return page;
}

/** Where screenshots go for a person to look at (ignored by git). */
export function artifactPath(name: string): string {
  const dir = join(root, 'test', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

// ---- the wallet process ---------------------------------------------------------------

export interface WalletProcess {
  /** The one line `scryp wallet` printed: the URL with its token. */
  readonly url: string;
  /** The URL without the fragment, ending in "/". */
  readonly base: string;
  readonly token: string;
  readonly child: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything on stdout so far (it must stay that one line). */
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `dist/scryp wallet ARGS` and waits (bounded) for the URL on stdout. */
export async function startWallet(args: string[], timeoutMs = 10_000): Promise<WalletProcess> {
  const child = Bun.spawn([binary, 'wallet', ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let out = '';
  let err = '';
  void collectText(child.stdout, (text) => (out += text));
  void collectText(child.stderr, (text) => (err += text));
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('\n') && child.exitCode === null && Date.now() < deadline) await Bun.sleep(10);
  if (!out.includes('\n')) {
    child.kill('SIGKILL');
    await child.exited;
    throw new Error(`scryp wallet printed no URL (exit ${child.exitCode}):\n${err}`);
  }
  const url = out.split('\n')[0]!;
  const match = /^(http:\/\/[^/]+\/)#token=([A-Za-z0-9_-]+)$/.exec(url);
  if (match === null) throw new Error(`scryp wallet printed an unexpected line: ${url}`);
  return {
    url,
    base: match[1]!,
    token: match[2]!,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await child.exited;
      }
    },
  };
}

async function collectText(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
}

/**
 * The text of the QR code an <img> on the page shows, read from its pixels as drawn in the
 * browser (a canvas) and decoded here with the decoder the page's camera uses: what a
 * customer's phone would read off the screen. Throws when no code can be read.
 */
export async function readQrImage(page: Page, selector: string): Promise<string> {
  // Run in the page (the tests have no DOM types: the few calls it makes are named here).
  interface Context2d {
    fillStyle: string;
    fillRect(x: number, y: number, w: number, h: number): void;
    drawImage(image: unknown, x: number, y: number, w: number, h: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  }
  const { width, height, pixels } = await page.locator(selector).evaluate((image) => {
    const size = 480; // the code drawn large, on white, with its quiet zone
    const page = globalThis as unknown as { document: { createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d'): Context2d } } };
    const canvas = page.document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, size, size);
    context.drawImage(image, 0, 0, size, size);
    return { width: size, height: size, pixels: Array.from(context.getImageData(0, 0, size, size).data) };
  });
  const { default: decodeQR } = await import('qr/decode.js');
  return decodeQR({ width, height, data: Uint8Array.from(pixels) });
}
