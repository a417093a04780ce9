// The files that make the pocket wallet installable, served beside the page's bundle
// (assets.ts): the web app manifest, its icon, and the service worker. The worker is
// plain JavaScript written here with the list of the bundle's files (their names change
// with every build, and so does the worker's cache name): it keeps them at install, serves
// the page's own files network first and from its copy when offline, and never touches
// the servers' answers (/v1/…) or another origin.

import { toHex, utf8 } from '../bytes.ts';
import { sha256 } from '../hash.ts';

export interface PocketFile {
  readonly path: string;
  readonly text: string;
  readonly contentType: string;
}

const icon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="96" fill="#1f4f8a"/><text x="256" y="340" font-family="system-ui,sans-serif" font-size="300" font-weight="700" text-anchor="middle" fill="#fff">s</text></svg>
`;

function manifest(): string {
  return `${JSON.stringify(
    {
      name: 'scryp pocket wallet',
      short_name: 'scryp',
      description: 'Pay and get paid in scryp; every answer checked against the network’s keys.',
      start_url: './',
      scope: './',
      display: 'standalone',
      background_color: '#ffffff',
      theme_color: '#1f4f8a',
      icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
    },
    null,
    2,
  )}\n`;
}

function serviceWorker(shell: readonly string[]): string {
  const version = toHex(sha256(utf8(shell.join('\n')))).slice(0, 16);
  return `// scryp pocket wallet: a plain service worker (src/wallet/pocket-files.ts writes it).
const cacheName = 'scryp-pocket-${version}';
const shell = ${JSON.stringify(shell)};

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(cacheName).then((cache) => cache.addAll(shell)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('scryp-pocket-') && name !== cacheName).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  // Payments and the servers' answers go to the network only; so does anything of another origin.
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.includes('/v1/')) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(cacheName).then((cache) => cache.put(event.request, copy)));
        }
        return response;
      })
      // Offline: the copy; a page asked for by a path not kept is the app itself; anything else fails as offline.
      .catch(() => caches.match(event.request, { ignoreSearch: true }).then((kept) => kept ?? (event.request.mode === 'navigate' ? caches.match('./') : Response.error()))),
  );
});
`;
}

/** The manifest, the icon and the worker, for a page whose bundle is `bundlePaths` ("/", "/chunk-….js", …). */
export function pocketFiles(bundlePaths: readonly string[]): PocketFile[] {
  const files = [
    { path: '/manifest.webmanifest', text: manifest(), contentType: 'application/manifest+json; charset=utf-8' },
    { path: '/icon.svg', text: icon, contentType: 'image/svg+xml' },
  ];
  const shell = [...bundlePaths, ...files.map((file) => file.path)].map((path) => `.${path}`).sort();
  return [...files, { path: '/sw.js', text: serviceWorker(shell), contentType: 'text/javascript; charset=utf-8' }];
}
