// The pocket page checks signatures with the browser's WebCrypto ahead of the strict
// reference (platform/ed25519-browser.ts verifyAhead): in Debian's Chromium, over every
// conformance case the project pins the strict rule with (speccheck's 12, C2SP/CCTV's 914,
// Wycheproof's), and fresh signatures, its verdicts are exactly the reference's, and the
// WebCrypto path is really in use (Chromium refuses the two cofactored-only cases).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Server } from 'bun';
import { chromium, type Browser, type Page } from 'playwright-core';
import { toHex } from '../src/bytes.ts';
import { signerFromSeed } from '../src/signature.ts';
import { browserSkipReason, chromium_args, chromium_path } from './helpers/browser.ts';
import { loadCctv, loadSpeccheck } from './helpers/ed25519-suites.ts';
import type { HexCase } from './helpers/webcrypto-verify-page.ts';
import { loadWycheproofEd25519 } from './helpers/wycheproof.ts';

const skip = browserSkipReason();
let server: Server<undefined>;
let browser: Browser;
let page: Page;

const hexCase = (c: { signature: Uint8Array; message: Uint8Array; publicKey: Uint8Array }): HexCase => ({ signature: toHex(c.signature), message: toHex(c.message), publicKey: toHex(c.publicKey) });

async function verdicts(cases: readonly HexCase[]): Promise<{ native: boolean; verdicts: [boolean, boolean][] }> {
  return page.evaluate((given) => (globalThis as unknown as { scrypVerdicts(cases: HexCase[]): Promise<{ native: boolean; verdicts: [boolean, boolean][] }> }).scrypVerdicts(given), [...cases]);
}

describe.skipIf(skip !== null)('WebCrypto ahead of the strict reference, in Chromium', () => {
  beforeAll(async () => {
    const build = await Bun.build({ entrypoints: [join(import.meta.dir, 'helpers', 'webcrypto-verify-page.ts')], target: 'browser' });
    if (!build.success) throw new Error(build.logs.join('\n'));
    const script = await build.outputs[0]!.text();
    // Served from 127.0.0.1: a secure context, where WebCrypto is.
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (request) =>
        new URL(request.url).pathname === '/verify.js'
          ? new Response(script, { headers: { 'content-type': 'text/javascript' } })
          : new Response('<!doctype html><script type="module" src="/verify.js"></script>', { headers: { 'content-type': 'text/html' } }),
    });
    browser = await chromium.launch({ executablePath: chromium_path, headless: true, args: chromium_args, timeout: 20_000 });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForFunction(() => 'scrypVerdicts' in globalThis);
  });

  afterAll(async () => {
    await browser?.close();
    server?.stop(true);
  });

  test('the WebCrypto path is in use here (Chromium has Ed25519 and refuses the cofactored-only cases)', async () => {
    expect((await verdicts([])).native).toBe(true);
  });

  for (const [suite, cases] of [
    ['ed25519-speccheck', () => loadSpeccheck().map(hexCase)],
    ['C2SP/CCTV', () => loadCctv().map(hexCase)],
    ['Wycheproof', () => loadWycheproofEd25519().cases.map(hexCase)],
  ] as const) {
    test(`${suite}: every verdict is the reference's`, async () => {
      const given = cases();
      const result = await verdicts(given);
      const differ = result.verdicts.flatMap(([ahead, reference], index) => (ahead === reference ? [] : [{ index, ahead, reference }]));
      expect(differ).toEqual([]);
      expect(result.verdicts.some(([, reference]) => reference)).toBe(true);
      expect(result.verdicts.some(([, reference]) => !reference)).toBe(true);
    });
  }

  test('fresh signatures are accepted, and the same signature on another message or key refused', async () => {
    const cases: HexCase[] = [];
    for (let i = 0; i < 20; i++) {
      const signer = signerFromSeed(crypto.getRandomValues(new Uint8Array(32)));
      const message = crypto.getRandomValues(new Uint8Array(1 + i * 37));
      const signature = signer.sign(message);
      const other = signerFromSeed(crypto.getRandomValues(new Uint8Array(32)));
      const changed = Uint8Array.from(message);
      changed[0]! ^= 1;
      cases.push(hexCase({ signature, message, publicKey: signer.publicKey }), hexCase({ signature, message: changed, publicKey: signer.publicKey }), hexCase({ signature, message, publicKey: other.publicKey }));
    }
    const result = await verdicts(cases);
    expect(result.verdicts.map(([ahead]) => ahead)).toEqual(cases.map((_, index) => index % 3 === 0));
    expect(result.verdicts.map(([, reference]) => reference)).toEqual(cases.map((_, index) => index % 3 === 0));
  });
});
