// The page's files, all inside the executable. `bun build --compile` bundles the HTML
// import (its script and stylesheet) and embeds the output: the import then lists the
// files. Run from source (`bun run scryp wallet`), the import lists nothing, and the same
// bundle is built in memory at start (a few milliseconds). Either way the server gets a
// map from URL path to bytes and serves them itself, so every response carries the
// wallet's security headers and passes its Host check. The same map is the pocket wallet
// a node's gateway serves at GET / (with pocket-files.ts's manifest and service worker),
// and what `scryp wallet --export-static` writes.

import { basename, join } from 'node:path';
import page from './page/index.html';
import { assert } from '../errors.ts';
import { utf8 } from '../bytes.ts';
import { pocketFiles } from './pocket-files.ts';

export interface Asset {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

/** URL path ("/", "/chunk-….js") to the file served there. */
export type Assets = ReadonlyMap<string, Asset>;

export async function loadAssets(): Promise<Assets> {
  const assets = new Map<string, Asset>();
  if (page.files !== undefined && page.files.length > 0) {
    for (const file of page.files) {
      const bytes = new Uint8Array(await Bun.file(file.path).arrayBuffer());
      const path = file.loader === 'html' ? '/' : `/${basename(file.path)}`;
      assets.set(path, { bytes, contentType: file.headers['content-type'] });
    }
  } else {
    const build = await Bun.build({ entrypoints: [join(import.meta.dir, 'page', 'index.html')], target: 'browser', minify: true });
    if (!build.success) throw new Error(`the wallet page does not build:\n${build.logs.join('\n')}`);
    for (const output of build.outputs) {
      const path = output.path.endsWith('.html') ? '/' : `/${basename(output.path)}`;
      assets.set(path, { bytes: new Uint8Array(await output.arrayBuffer()), contentType: output.type });
    }
  }
  assert(assets.has('/'), 'the wallet page bundle has an index.html');
  // What makes the pocket wallet installable (the same page served by a node's gateway).
  for (const file of pocketFiles([...assets.keys()])) assets.set(file.path, { bytes: utf8(file.text), contentType: file.contentType });
  return assets;
}
