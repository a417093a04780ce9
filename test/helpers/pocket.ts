// The pocket wallet in a real browser, phone-sized: compiled servers with --http, the page
// (served by a gateway at GET /, or as the static copy `scryp wallet --export-static`
// writes, served here), Chromium at 390×844 with touch, and the steps a person takes,
// driven by the page's labels. A fake camera (Chromium's --use-file-for-fake-video-capture)
// is fed a Y4M video of a real QR code drawn from uqr's matrix.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'bun';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { encode } from 'uqr';
import { artifactPath, chromium_args, chromium_path } from './browser.ts';
import { runProgram } from './cli-run.ts';
import { freePorts, type ProcessCluster } from './processes.ts';

export const phone_size = { width: 390, height: 844 } as const;

/** A self-signed certificate for 127.0.0.1, made with openssl in `dir`. */
export function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'gateway-cert.pem');
  const key = join(dir, 'gateway-key.pem');
  const made = Bun.spawnSync(
    ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  return { cert, key };
}

/**
 * Starts every server of the cluster with a gateway; returns each gateway's base URL (no
 * trailing slash). Each server signs its gateway record unless `publish` is false (then a
 * page knows only the gateways it is given).
 */
export async function startWithGateways(cluster: ProcessCluster, tls?: { cert: string; key: string }, publish = true): Promise<string[]> {
  const ports = await freePorts(cluster.network.servers.length);
  const scheme = tls === undefined ? 'http' : 'https';
  const urls = ports.map((port) => `${scheme}://127.0.0.1:${port}`);
  cluster.network.servers.forEach((_, index) => {
    // Each server signs where its gateway is (a gateway record): a page served by one finds the others.
    const extra = ['--http', `127.0.0.1:${ports[index]}`, ...(publish ? ['--http-public', `${urls[index]}/`] : []), ...(tls === undefined ? [] : ['--http-tls-cert', tls.cert, '--http-tls-key', tls.key])];
    cluster.start(index, extra);
  });
  for (const [index] of urls.entries()) {
    if (!(await cluster.until(() => cluster.servers[index]!.log.includes('gateway on '), 15_000))) throw new Error(`server ${index}: no gateway\n${cluster.logs()}`);
  }
  return urls;
}

/** `scryp wallet --export-static` into `dir`, served by a static web server here (HTTPS with `tls`); returns the page's URL. */
export async function serveStaticCopy(cluster: ProcessCluster, dir: string, gateways: readonly string[], tls?: { cert: string; key: string }): Promise<{ url: string; server: Server<undefined> }> {
  const exported = await runProgram(['wallet', '--export-static', dir, '--gateway', gateways.join(','), '--network', cluster.networkFile]);
  if (exported.exitCode !== 0) throw new Error(`export-static failed: ${exported.stderr}`);
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    ...(tls === undefined ? {} : { tls: { cert: Bun.file(tls.cert), key: Bun.file(tls.key) } }),
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const file = Bun.file(join(dir, path === '/' ? 'index.html' : path.slice(1)));
      return (await file.exists()) ? new Response(file) : new Response('not found', { status: 404 });
    },
  });
  return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${server.port}/`, server };
}

/** A Y4M video (4:2:0, 8 frames) of the QR code of `text`: black modules on white, centered. */
export function qrVideo(path: string, text: string): string {
  const qr = encode(text, { ecc: 'M', border: 4 });
  const width = 640;
  const height = 480;
  const module = Math.floor(440 / qr.size);
  const left = Math.floor((width - qr.size * module) / 2);
  const top = Math.floor((height - qr.size * module) / 2);
  const luma = new Uint8Array(width * height).fill(235);
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (!qr.data[y]![x]) continue;
      for (let dy = 0; dy < module; dy++) luma.fill(16, (top + y * module + dy) * width + left + x * module, (top + y * module + dy) * width + left + (x + 1) * module);
    }
  }
  const chroma = new Uint8Array((width / 2) * (height / 2) * 2).fill(128);
  const header = new TextEncoder().encode(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = new TextEncoder().encode('FRAME\n');
  const frames = 8;
  const out = new Uint8Array(header.length + frames * (frame.length + luma.length + chroma.length));
  let offset = 0;
  for (const part of [header, ...Array.from({ length: frames }, () => [frame, luma, chroma]).flat()]) {
    out.set(part, offset);
    offset += part.length;
  }
  writeFileSync(path, out);
  return path;
}

export interface Phone {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request the page made: method, URL and body, to prove what never leaves it. */
  readonly requests: { method: string; url: string; body: Uint8Array | null }[];
  close(): Promise<void>;
}

/** A phone: Chromium at 390×844 with touch; a fake camera showing `camera` (a Y4M file); a clock `clockOffsetMs` off. */
export async function openPhone(url: string, options: { camera?: string; clockOffsetMs?: number; tls?: boolean } = {}): Promise<Phone> {
  const browser = await chromium.launch({
    executablePath: chromium_path,
    headless: true,
    args: [
      ...chromium_args,
      ...(options.camera === undefined ? [] : ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${options.camera}`]),
      ...(options.tls === true ? ['--ignore-certificate-errors'] : []),
    ],
    timeout: 20_000,
  });
  const context = await browser.newContext({ viewport: phone_size, isMobile: true, hasTouch: true, acceptDownloads: true, ignoreHTTPSErrors: options.tls === true });
  if (options.camera !== undefined) await context.grantPermissions(['camera'], { origin: new URL(url).origin });
  if (options.clockOffsetMs !== undefined) {
    // The phone's clock is off: every Date the page reads is, as a wrong clock would be.
    await context.addInitScript(`{
      const offset = ${options.clockOffsetMs};
      const RealDate = Date;
      const now = () => RealDate.now() + offset;
      class ShiftedDate extends RealDate { constructor(...args) { super(...(args.length === 0 ? [now()] : args)); } static now() { return now(); } }
      globalThis.Date = ShiftedDate;
    }`);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const requests: Phone['requests'] = [];
  context.on('request', (request) => requests.push({ method: request.method(), url: request.url(), body: request.postDataBuffer() === null ? null : new Uint8Array(request.postDataBuffer()!) }));
  await page.goto(url);
  return {
    browser,
    context,
    page,
    requests,
    async close() {
      await browser.close();
    },
  };
}

/** Creates a wallet on the first screen: the words shown, three typed back, the passphrase twice. Returns the 24 words. */
export async function createWallet(page: Page, passphrase: string, shots?: string): Promise<string[]> {
  await page.getByRole('button', { name: 'Create a new wallet' }).click();
  const words = await page.locator('#setup-word-list li').allTextContents();
  if (shots !== undefined) await shoot(page, `${shots}-words`);
  await page.getByRole('button', { name: 'I have written them down' }).click();
  for (const input of await page.locator('#setup-confirm-fields input').all()) {
    const label = (await page.locator(`label[for="${await input.getAttribute('id')}"]`).textContent())!;
    await input.fill(words[Number(label.replace('Word ', '')) - 1]!);
  }
  const form = page.locator('#setup-confirm');
  await form.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await form.getByLabel('Repeat passphrase').fill(passphrase);
  if (shots !== undefined) await shoot(page, `${shots}-confirm`);
  await page.getByRole('button', { name: 'Create wallet' }).click();
  await page.getByRole('tab', { name: 'Overview' }).waitFor({ timeout: 60_000 });
  return words;
}

export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactPath(''), { recursive: true });
  await page.screenshot({ path: artifactPath(`pocket-${name}.png`), fullPage: true });
}
