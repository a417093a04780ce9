// The pocket wallet as a node's gateway serves it at GET / (src/node/gateway.ts `pages`)
// and as `scryp wallet --export-static DIR` writes it for any web host: the page's bundle
// with its manifest and service worker (assets.ts), plus, for a static copy, the network
// file and the gateways to ask first (the page reads ./network.json and ./gateways.json
// beside itself; served by a gateway, it asks that gateway instead).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNew } from '../cli/out-file.ts';
import { checkGatewayUrl } from '../gateway-record.ts';
import { type Network, networkToJson } from '../network.ts';
import type { Assets } from './assets.ts';

/**
 * The pocket page's own policy: its scripts and styles only from itself, but its calls to
 * any server's gateway (they are public, and every answer is checked against the network's
 * keys), a service worker and a manifest of its own, and the camera's stream for scanning.
 */
export const pocket_content_security_policy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' https: http:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const pocket_page_headers: Readonly<Record<string, string>> = {
  'content-security-policy': pocket_content_security_policy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache', // asked again each time (a new build is seen at once); the service worker keeps a copy for offline
};

/** The gateway's page handler: a response for a path of the page, or null (the gateway then answers 404). */
export function pocketPages(assets: Assets): (path: string, request: Request) => Response | null {
  return (path, request) => {
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset === undefined) return null;
    return new Response(request.method === 'HEAD' ? null : (asset.bytes as Uint8Array<ArrayBuffer>), { headers: { ...pocket_page_headers, 'content-type': asset.contentType } });
  };
}

/** Writes the page, network.json and gateways.json into `dir` (made if missing); refuses to replace any file (OUT_EXISTS). */
export function exportStatic(dir: string, assets: Assets, network: Network, gateways: readonly string[]): string[] {
  for (const url of gateways) checkGatewayUrl(url, '--gateway');
  mkdirSync(dir, { recursive: true });
  const files: [string, string | Uint8Array][] = [...assets].map(([path, asset]) => [path === '/' ? 'index.html' : path.slice(1), asset.bytes]);
  files.push(['network.json', `${JSON.stringify(networkToJson(network), null, 2)}\n`], ['gateways.json', `${JSON.stringify(gateways, null, 2)}\n`]);
  const written: string[] = [];
  for (const [name, data] of files) {
    writeNew(join(dir, name), data);
    written.push(name);
  }
  return written;
}
