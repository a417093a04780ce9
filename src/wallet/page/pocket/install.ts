// Installable on a phone: the web app manifest and a plain service worker (the server
// serves both beside the page: src/wallet/pocket-files.ts). The worker keeps the page's
// own files for a start without the network; the servers' answers are never kept by it
// (backend.ts keeps the last overview and history, marked as such when shown).

export function installable(): void {
  const manifest = document.createElement('link');
  manifest.rel = 'manifest';
  manifest.href = 'manifest.webmanifest';
  document.head.append(manifest);
  // A page not served over HTTPS (or from localhost) has no service worker: it still works, online.
  navigator.serviceWorker?.register('sw.js', { scope: './' }).catch(() => {});
}
