// `bun run release [--target NAME,NAME] [--out DIR]`: one executable per kind of machine
// the volunteers have (a PC or server, a Raspberry Pi, a Mac, Windows), cross-compiled by
// `bun build --compile --target=bun-…` with the same flags as `bun run build`, and
// SHA256SUMS beside them (`sha256sum -c SHA256SUMS` checks a download).
//
// Bun cross-compiles by fetching the runtime of each target (an npm package such as
// @oven/bun-linux-aarch64, cached in ~/.bun/install/cache): the first release needs the
// network, later ones do not.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../package.json';

export interface ReleaseTarget {
  /** Our name for it, in file names and --target. */
  readonly name: string;
  /** Bun's --target. */
  readonly bun: string;
  /** Who has it. */
  readonly for: string;
}

export const release_targets: readonly ReleaseTarget[] = [
  // Baseline: without AVX2, so that it runs on the old PCs volunteers often have (signatures are checked natively either way).
  { name: 'linux-x64', bun: 'bun-linux-x64-baseline', for: 'PCs and servers with 64-bit Linux, old ones included' },
  { name: 'linux-arm64', bun: 'bun-linux-arm64', for: 'Raspberry Pi 3, 4 and 5 with a 64-bit OS, and ARM servers' },
  { name: 'darwin-arm64', bun: 'bun-darwin-arm64', for: 'Macs with Apple silicon' },
  { name: 'windows-x64', bun: 'bun-windows-x64-baseline', for: 'Windows 10 and 11 PCs' },
];

const root = join(import.meta.dir, '..');

/**
 * The flags of `bun run build` that shape the executable (bytecode, never reading .env or
 * bunfig.toml where it starts, ...): a release is built alike. Everything but the entry,
 * --compile and --outfile, read from package.json so that the two cannot drift apart.
 */
export function buildFlags(script = packageJson.scripts.build): string[] {
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'bun' || words[1] !== 'build') throw new Error(`the build script is not a bun build: ${script}`);
  const flags: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--outfile') i++;
    else if (word.startsWith('--outfile=') || word === '--compile' || word.startsWith('--target') || !word.startsWith('-')) continue;
    else flags.push(word);
  }
  return flags;
}

export function fileNameOf(target: ReleaseTarget, version = packageJson.version): string {
  return `scryp-${version}-${target.name}${target.name.startsWith('windows') ? '.exe' : ''}`;
}

/** `sha256sum` lines, sorted by file name. */
export function sha256sums(dir: string, files: readonly string[]): string {
  return [...files]
    .sort()
    .map((file) => `${createHash('sha256').update(readFileSync(join(dir, file))).digest('hex')}  ${file}\n`)
    .join('');
}

export async function release(options: { targets?: readonly string[]; out?: string; log?: (line: string) => void } = {}): Promise<{ dir: string; files: string[] }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = options.out ?? join(root, 'dist', 'release');
  const wanted = options.targets ?? release_targets.map((target) => target.name);
  const unknown = wanted.filter((name) => !release_targets.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')} (known: ${release_targets.map((target) => target.name).join(', ')})`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const target of release_targets.filter((target) => wanted.includes(target.name))) {
    const file = fileNameOf(target);
    const started = performance.now();
    const build = Bun.spawnSync(['bun', 'build', join(root, 'src', 'main.ts'), '--compile', `--target=${target.bun}`, ...buildFlags(), '--outfile', join(dir, file)], {
      cwd: root,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    if (build.exitCode !== 0) {
      const output = `${build.stdout.toString()}${build.stderr.toString()}`.trim();
      const offline = /download|fetch|network|ENOTFOUND|ECONNREFUSED|ConnectionRefused/i.test(output);
      throw new Error(
        `bun build --target=${target.bun} failed${offline ? ' (Bun fetches each target\'s runtime from the npm registry the first time: this needs the network once)' : ''}:\n${output}`,
      );
    }
    files.push(file);
    log(`${file}  ${(statSync(join(dir, file)).size / 2 ** 20).toFixed(0)} MiB  ${((performance.now() - started) / 1000).toFixed(1)} s  (${target.for})`);
  }
  writeFileSync(join(dir, 'SHA256SUMS'), sha256sums(dir, files));
  log(`${dir}/SHA256SUMS: check a download with \`sha256sum -c SHA256SUMS --ignore-missing\``);
  return { dir, files };
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index < 0 ? undefined : argv[index + 1];
  };
  try {
    const targets = value('--target')?.split(',');
    const out = value('--out');
    await release({ ...(targets === undefined ? {} : { targets }), ...(out === undefined ? {} : { out }) });
  } catch (error) {
    process.stderr.write(`release: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
