// The page's bundle as a browser gets it (the pocket wallet runs the wallet in it): built
// the way assets.ts builds it, it holds the browser's SHA-2 and Ed25519 (noble, package.json
// "imports"), and nothing of node:crypto (whose browser stand-in would be 900 KB of
// crypto-browserify), of node:fs, or of the native platform modules.

import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { root } from './helpers/processes.ts';

describe('the wallet page bundle', () => {
  test('holds the browser platform and no Node or Bun module', async () => {
    const build = await Bun.build({ entrypoints: [join(root, 'src', 'wallet', 'page', 'index.html')], target: 'browser', minify: false });
    expect(build.success).toBe(true);
    const script = (await Promise.all(build.outputs.filter((output) => output.path.endsWith('.js')).map((output) => output.text()))).join('\n');
    // Bun marks each module it bundles with a "// path" line; a Node built-in's browser stand-in as "// node:crypto".
    const modules = [...script.matchAll(/^\/\/ ((?:src\/|node_modules\/|node:|bun:)\S+)$/gm)].map((match) => match[1]!);
    expect(modules).toContain('src/platform/hash-browser.ts');
    expect(modules).toContain('src/platform/ed25519-browser.ts');
    expect(modules).toContain('src/wallet/service.ts');
    const foreign = modules.filter((path) => /^(node|bun):|platform\/(hash|ed25519)-native|browserify/.test(path));
    expect(foreign).toEqual([]);
    expect(script).not.toMatch(/require\(["'](node:)?(crypto|fs|path|os)["']\)|from ["']node:|Bun\.(CryptoHasher|udpSocket|file)/);
  });
});
