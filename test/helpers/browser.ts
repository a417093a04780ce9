// A real browser for the wallet page's tests: Debian's Chromium driven by playwright-core
// (never a downloaded browser), headless, in a fresh empty profile removed afterwards.
// Where Chromium is missing the tests are skipped with a printed reason, except in CI,
// where they must run (.ci/run installs it).

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { root } from './processes.ts';

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

/** Where screenshots go for a person to look at (ignored by git). */
export function artifactPath(name: string): string {
  const dir = join(root, 'test', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
