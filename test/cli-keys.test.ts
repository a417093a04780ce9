// Keys people keep, through the compiled executable (issue 11): keygen (address, key,
// --words, --encrypt), restore from a phrase (piped and on a terminal), encrypt and
// decrypt, passphrases from a file or a hidden prompt, and what a person sees for each
// kind of bad input: its own code, its exit code, one line on stderr, nothing on stdout,
// and nothing changed on disk (bytes, mtime, inode). Terminal runs go through `script`
// (util-linux) so the executable has a real tty; keys are typed only once the prompt is
// shown, and the typed secret must never come back in the output.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { type Subprocess } from 'bun';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAddress, encodeAddress } from '../src/address.ts';
import { fromHex, toHex } from '../src/bytes.ts';
import { readSeed, seedFileState } from '../src/seed.ts';
import { seedToPhrase } from '../src/recovery-phrase.ts';
import { signerFromSeed } from '../src/signature.ts';
import { binary, ensureBinary } from './helpers/processes.ts';

setDefaultTimeout(60_000);

const exit = { ok: 0, error: 1, usage: 2, refused: 3, timeout: 4 } as const;
const keysVectors = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'keys.json'), 'utf8')) as {
  phrases: { seed: string; phrase: string }[];
  encrypted_seeds: { seed: string; passphrase: string; line: string }[];
};
const sevens = keysVectors.phrases[1]!;
const sevensKey = signerFromSeed(fromHex(sevens.seed, 32, 'seed')).publicKey;
const passphrase = 'correct horse battery staple';
const hasScript = Bun.spawnSync(['script', '--version'], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0;

const dirs: string[] = [];
const children = new Set<Subprocess>();

afterEach(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await child.exited;
  }
  children.clear();
  for (const dir of dirs.splice(0)) {
    try {
      chmodSync(dir, 0o700);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `scryp-cli-keys-${label}-`));
  dirs.push(dir);
  return dir;
}

interface Run {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the executable to its end with `stdin` piped in (or nothing); killed after 20 s. */
async function run(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const started = Date.now();
  const child = Bun.spawn([binary, ...args], {
    cwd: tmpdir(),
    env: { ...process.env, ...options.env },
    stdin: options.stdin === undefined ? 'ignore' : new Blob([options.stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  children.add(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const exitCode = await child.exited;
  clearTimeout(timer);
  children.delete(child);
  return { exitCode, signal: child.signalCode === null || child.signalCode === undefined ? null : String(child.signalCode), stdout, stderr, ms: Date.now() - started };
}

const show = (r: Run) => `exit ${r.exitCode}${r.signal === null ? '' : ` (${r.signal})`} after ${r.ms} ms\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

/**
 * Runs the executable on a terminal (through `script`), answering each prompt in turn:
 * `answers` are [text the output must show, keys to type then]. Returns everything the
 * terminal showed.
 */
async function onTerminal(args: string[], answers: [string, string][]): Promise<{ exitCode: number | null; screen: string }> {
  const command = [binary, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = Bun.spawn(['script', '-qec', command, '/dev/null'], { cwd: tmpdir(), stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  children.add(child);
  let screen = '';
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) screen += decoder.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 20_000;
  let seen = 0;
  for (const [prompt, keys] of answers) {
    while (screen.indexOf(prompt, seen) < 0 && Date.now() < deadline && child.exitCode === null) await Bun.sleep(20);
    if (screen.indexOf(prompt, seen) < 0) break;
    seen = screen.indexOf(prompt, seen) + prompt.length;
    await Bun.sleep(50); // the prompt is written just before raw mode is set
    child.stdin.write(keys);
    await child.stdin.flush();
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
  const exitCode = await child.exited;
  clearTimeout(timer);
  await reading;
  child.stdin.end();
  children.delete(child);
  return { exitCode, screen: screen.replace(/\r/g, '') };
}

function snapshot(path: string): { bytes: Buffer; mtimeMs: number; ino: number } | null {
  if (!existsSync(path)) return null;
  const stat = statSync(path);
  return { bytes: readFileSync(path), mtimeMs: stat.mtimeMs, ino: stat.ino };
}

function expectUnchanged(path: string, before: ReturnType<typeof snapshot>, what: string): void {
  const after = snapshot(path);
  if (before === null) {
    expect(after, `${what}: ${path} appeared`).toBeNull();
    return;
  }
  expect(after, `${what}: ${path} vanished`).not.toBeNull();
  expect(Buffer.compare(after!.bytes, before.bytes), `${what}: bytes`).toBe(0);
  expect(after!.mtimeMs, `${what}: mtime`).toBe(before.mtimeMs);
  expect(after!.ino, `${what}: inode`).toBe(before.ino);
}

/** A refusal as a person sees it: the exit code, one line on stderr starting with the code, nothing on stdout. */
function expectRefused(r: Run, code: string, exitCode: number, what: string): void {
  expect(r.exitCode, `${what}\n${show(r)}`).toBe(exitCode);
  expect(r.stdout, `${what}: stdout`).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, `${what}: one line\n${show(r)}`).toHaveLength(1);
  expect(lines[0], what).toStartWith(`scryp: ${code}: `);
}

function passphraseFile(dir: string, content: string | Uint8Array): string {
  const path = join(dir, `passphrase-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** A wallet directory holding a known seed, plain or encrypted (through the executable). */
async function wallet(label: string, encrypted: boolean): Promise<{ dir: string; seed: Uint8Array; file: string }> {
  const base = tempDir(label);
  const dir = join(base, 'wallet');
  const file = passphraseFile(base, `${passphrase}\n`);
  const r = await run(['restore', '--dir', dir, ...(encrypted ? ['--encrypt', '--passphrase-file', file] : [])], { stdin: `${sevens.phrase}\n` });
  expect(r.exitCode, show(r)).toBe(exit.ok);
  return { dir, seed: fromHex(sevens.seed, 32, 'seed'), file };
}

// ---- keygen --------------------------------------------------------------------------------

describe('keygen', () => {
  test('prints the address (line 1) and the key as hex (line 2), the same key; --words adds the 24 words (line 3) and warns on stderr', async () => {
    ensureBinary();
    const dir = join(tempDir('keygen'), 'w');
    const first = await run(['keygen', '--dir', dir]);
    expect(first.exitCode, show(first)).toBe(exit.ok);
    const [address, hex, ...rest] = first.stdout.split('\n');
    expect(rest).toEqual(['']);
    expect(address).toMatch(/^scryp1[02-9ac-hj-np-z]{58}$/);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(decodeAddress(address!))).toBe(hex!);
    const seed = readSeed(dir);
    expect(toHex(signerFromSeed(seed).publicKey)).toBe(hex!);

    const words = await run(['keygen', '--dir', dir, '--words']);
    expect(words.exitCode, show(words)).toBe(exit.ok);
    const lines = words.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([address!, hex!]);
    expect(lines[2]).toBe(seedToPhrase(seed).join(' '));
    expect(lines[2]!.split(' ')).toHaveLength(24);
    expect(words.stderr).toContain('anyone who sees them owns its money');
    expect(words.stderr).not.toContain(lines[2]!.split(' ')[5]!.padStart(20)); // the words are on stdout only
    expect(words.stderr).not.toContain(lines[2]!);

    const json = await run(['keygen', '--dir', dir, '--words', '--json', '--log-level', 'silent']);
    expect(json.exitCode, show(json)).toBe(exit.ok);
    expect(JSON.parse(json.stdout)).toEqual({ address, key: hex, created: false, encrypted: false, phrase: lines[2] });
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('--words then restore in another directory: the same address and key', async () => {
    ensureBinary();
    const base = tempDir('roundtrip');
    const made = await run(['keygen', '--dir', join(base, 'a'), '--words', '--log-level', 'silent']);
    expect(made.exitCode, show(made)).toBe(exit.ok);
    const [address, hex, phrase] = made.stdout.split('\n');
    const restored = await run(['restore', '--dir', join(base, 'b')], { stdin: `${phrase}\n` });
    expect(restored.exitCode, show(restored)).toBe(exit.ok);
    expect(restored.stdout).toBe(`${address}\n${hex}\n`);
    expect(readFileSync(join(base, 'b', '.seed'))).toEqual(readFileSync(join(base, 'a', '.seed')));
  });

  test('--encrypt --passphrase-file: an encrypted seed; later keygen shows the address without the passphrase; --words needs it', async () => {
    ensureBinary();
    const base = tempDir('keygen-encrypt');
    const dir = join(base, 'w');
    const file = passphraseFile(base, `${passphrase}\n`);
    const made = await run(['keygen', '--dir', dir, '--encrypt', '--passphrase-file', file]);
    expect(made.exitCode, show(made)).toBe(exit.ok);
    expect(seedFileState(dir)).toBe('encrypted');
    expect(statSync(join(dir, '.seed')).mode & 0o777).toBe(0o600);
    const seedText = readFileSync(join(dir, '.seed'), 'latin1');
    expect(seedText).toStartWith('scryp-seed v1 address=');
    const [address, hex] = made.stdout.split('\n');
    expect(seedText).toContain(`address=${address} `);
    expect(toHex(signerFromSeed(readSeed(dir, passphrase)).publicKey)).toBe(hex!);

    const again = await run(['keygen', '--dir', dir]);
    expect(again.exitCode, show(again)).toBe(exit.ok);
    expect(again.stdout).toBe(made.stdout);

    const before = snapshot(join(dir, '.seed'));
    expectRefused(await run(['keygen', '--dir', dir, '--words', '--log-level', 'silent']), 'NEEDS_PASSPHRASE', exit.error, 'keygen --words, piped, no file');
    expectRefused(await run(['keygen', '--dir', dir, '--words', '--log-level', 'silent', '--passphrase-file', passphraseFile(base, 'wrong horse\n')]), 'BAD_PASSPHRASE', exit.error, 'wrong passphrase');
    const words = await run(['keygen', '--dir', dir, '--words', '--passphrase-file', file]);
    expect(words.exitCode, show(words)).toBe(exit.ok);
    expect(words.stdout.split('\n')[2]).toBe(seedToPhrase(readSeed(dir, passphrase)).join(' '));
    expectUnchanged(join(dir, '.seed'), before, 'keygen reads only');
  });

  test('refusals: --encrypt on an existing plain seed (exit 1), --passphrase-file without --encrypt for a new seed (exit 2); nothing written', async () => {
    ensureBinary();
    const base = tempDir('keygen-refusals');
    const plain = join(base, 'plain');
    expect((await run(['keygen', '--dir', plain])).exitCode).toBe(exit.ok);
    const before = snapshot(join(plain, '.seed'));
    const file = passphraseFile(base, `${passphrase}\n`);
    const r = await run(['keygen', '--dir', plain, '--encrypt', '--passphrase-file', file, '--log-level', 'silent']);
    expectRefused(r, 'SEED_NOT_ENCRYPTED', exit.error, 'keygen --encrypt on a plain seed');
    expect(r.stderr).toContain(`scryp encrypt --dir ${plain}`);
    expectUnchanged(join(plain, '.seed'), before, 'keygen --encrypt on a plain seed');

    const fresh = join(base, 'fresh');
    const usage = await run(['keygen', '--dir', fresh, '--passphrase-file', file]);
    expect(usage.exitCode, show(usage)).toBe(exit.usage);
    expect(usage.stderr).toMatch(/^scryp: --passphrase-file .*--encrypt.*\(see --help\)\n$/);
    expect(existsSync(fresh)).toBe(false);
  });
});

// ---- passphrase files ----------------------------------------------------------------------

describe('passphrase files: missing, unreadable, empty, too long, not UTF-8 — each its own code; the seed file never changes', () => {
  test('for encrypt (a new passphrase), decrypt and keygen --words (an existing one)', async () => {
    ensureBinary();
    const plain = await wallet('pp-plain', false);
    const encrypted = await wallet('pp-encrypted', true);
    const base = tempDir('pp-files');
    const cases: [string, string, string][] = [
      ['a missing file', join(base, 'no-such-file'), 'PASSPHRASE_FILE_MISSING'],
      ['a path through a file', join(passphraseFile(base, 'x'), 'below'), 'PASSPHRASE_FILE_MISSING'],
      ['a directory', base, 'PASSPHRASE_FILE_UNREADABLE'],
      ['an empty file', passphraseFile(base, ''), 'PASSPHRASE_EMPTY'],
      ['a file with only a newline', passphraseFile(base, '\n'), 'PASSPHRASE_EMPTY'],
      ['a file over 1024 bytes', passphraseFile(base, `${'x'.repeat(1025)}\n`), 'PASSPHRASE_TOO_LONG'],
      ['a file that is not UTF-8', passphraseFile(base, Uint8Array.of(0x70, 0xff, 0xfe, 0x0a)), 'PASSPHRASE_FILE_UNREADABLE'],
    ];
    if (process.getuid?.() !== 0) {
      const locked = passphraseFile(base, `${passphrase}\n`);
      chmodSync(locked, 0o000);
      cases.push(['a file without read permission', locked, 'PASSPHRASE_FILE_UNREADABLE']);
    }
    const messages = new Set<string>();
    for (const [what, path, code] of cases) {
      for (const [command, dir] of [['encrypt', plain.dir], ['decrypt', encrypted.dir], ['keygen --words', encrypted.dir]] as const) {
        const seedFile = join(dir, '.seed');
        const before = snapshot(seedFile);
        const args = command === 'keygen --words' ? ['keygen', '--words', '--dir', dir] : [command, '--dir', dir];
        const r = await run([...args, '--passphrase-file', path, '--log-level', 'silent']);
        expectRefused(r, code, exit.error, `${command} with ${what}`);
        expect(r.stderr, `${command} with ${what} names the file`).toContain(path);
        messages.add(r.stderr.replace(path, 'FILE'));
        expectUnchanged(seedFile, before, `${command} with ${what}`);
        expect(readdirSync(dir), `${command} with ${what}: no temporary file`).toEqual(['.seed']);
      }
    }
    // Each case says something different (the two ways of naming no file are one case).
    expect(messages.size).toBe(cases.length - 1);
  });

  test('one trailing newline (\\n or \\r\\n) is not part of the passphrase; anything else is', async () => {
    ensureBinary();
    const { dir } = await wallet('pp-newline', true);
    const base = tempDir('pp-newline-files');
    for (const content of [passphrase, `${passphrase}\n`, `${passphrase}\r\n`]) {
      const r = await run(['keygen', '--dir', dir, '--words', '--passphrase-file', passphraseFile(base, content), '--log-level', 'silent']);
      expect(r.exitCode, `${JSON.stringify(content)}\n${show(r)}`).toBe(exit.ok);
    }
    for (const content of [`${passphrase}\n\n`, ` ${passphrase}\n`, `${passphrase.toUpperCase()}\n`]) {
      const r = await run(['keygen', '--dir', dir, '--words', '--passphrase-file', passphraseFile(base, content), '--log-level', 'silent']);
      expectRefused(r, 'BAD_PASSPHRASE', exit.error, JSON.stringify(content));
    }
  });
});

// ---- restore -------------------------------------------------------------------------------

describe('restore', () => {
  test('a piped phrase, in upper case with extra spaces and line breaks: the vector\'s key; --encrypt writes it encrypted', async () => {
    ensureBinary();
    const base = tempDir('restore');
    const messy = `\n  ${sevens.phrase.toUpperCase().split(' ').join('   ').replace(/ {3}YEAR/g, '\nyear')}  \n\n`;
    const r = await run(['restore', '--dir', join(base, 'a')], { stdin: messy });
    expect(r.exitCode, show(r)).toBe(exit.ok);
    expect(r.stdout).toBe(`${encodeAddress(sevensKey)}\n${toHex(sevensKey)}\n`);
    expect(readFileSync(join(base, 'a', '.seed'), 'latin1')).toBe(`${sevens.seed}\n`);
    expect(statSync(join(base, 'a', '.seed')).mode & 0o777).toBe(0o600);

    const file = passphraseFile(base, `${passphrase}\n`);
    const e = await run(['restore', '--dir', join(base, 'b'), '--encrypt', '--passphrase-file', file], { stdin: sevens.phrase });
    expect(e.exitCode, show(e)).toBe(exit.ok);
    expect(e.stdout).toBe(r.stdout);
    expect(seedFileState(join(base, 'b'))).toBe('encrypted');
    expect(readSeed(join(base, 'b'), passphrase)).toEqual(fromHex(sevens.seed, 32, 'seed'));
  });

  test('never over an existing .seed (plain or encrypted): exit 1, SEED_EXISTS, the file untouched, the phrase not even read', async () => {
    ensureBinary();
    for (const encrypted of [false, true]) {
      const { dir } = await wallet(`restore-exists-${encrypted}`, encrypted);
      const before = snapshot(join(dir, '.seed'));
      const other = seedToPhrase(new Uint8Array(32)).join(' ');
      const r = await run(['restore', '--dir', dir, '--log-level', 'silent'], { stdin: other });
      expectRefused(r, 'SEED_EXISTS', exit.error, `restore over ${encrypted ? 'an encrypted' : 'a plain'} seed`);
      expectUnchanged(join(dir, '.seed'), before, 'restore over a seed');
    }
  });

  test('bad phrases: each its own code and a message naming the word or the count; no directory, no file', async () => {
    ensureBinary();
    const base = tempDir('restore-bad');
    const words = sevens.phrase.split(' ');
    const swapped = [...words];
    [swapped[0], swapped[2]] = [swapped[2]!, swapped[0]!];
    const changed = [...words];
    changed[23] = 'zoo';
    const cases: [string, string, string, string][] = [
      ['23 words', words.slice(1).join(' '), 'PHRASE_LENGTH', '23 words; a recovery phrase has 24: a word is missing'],
      ['25 words', `${sevens.phrase} zoo`, 'PHRASE_LENGTH', '25 words; a recovery phrase has 24: a word is extra'],
      ['nothing', '', 'PHRASE_LENGTH', 'empty'],
      ['a swapped word', swapped.join(' '), 'PHRASE_CHECKSUM', 'a word is wrong or two are swapped'],
      ['a checksum error', changed.join(' '), 'PHRASE_CHECKSUM', 'the checksum the last word carries does not match'],
      ['a typo', sevens.phrase.replace('sausage', 'sausgae'), 'PHRASE_UNKNOWN_WORD', 'word 6 "sausgae" is not in the BIP 39 English word list (did you mean "sausage"?)'],
      ['a Cyrillic letter', sevens.phrase.replace('thank', 'thаnk'), 'PHRASE_CHARACTER', 'word 3 ("thаnk") has "а" (U+0430), a Cyrillic letter that looks like "a"'],
      ['a full-width letter', sevens.phrase.replace('worth', 'ｗorth'), 'PHRASE_CHARACTER', 'a full-width or compatibility form of "w"'],
      ['numbered words', words.map((word, i) => `${i + 1}. ${word}`).join('\n'), 'PHRASE_CHARACTER', 'word 1 ("1.") has the digit "1"'],
      ['a megabyte of text', 'abandon '.repeat(150_000), 'PHRASE_LENGTH', 'this is not a recovery phrase'],
    ];
    for (const [what, stdin, code, message] of cases) {
      const dir = join(base, what.replace(/\W+/g, '-'));
      const r = await run(['restore', '--dir', dir, '--log-level', 'silent'], { stdin });
      expectRefused(r, code, exit.error, what);
      expect(r.stderr, what).toContain(message);
      expect(existsSync(dir), `${what}: created ${dir}`).toBe(false);
    }
  });

  test('--encrypt with the phrase on a pipe and no --passphrase-file: NEEDS_PASSPHRASE before anything is read or written', async () => {
    ensureBinary();
    const dir = join(tempDir('restore-needs'), 'w');
    const r = await run(['restore', '--dir', dir, '--encrypt', '--log-level', 'silent'], { stdin: sevens.phrase });
    expectRefused(r, 'NEEDS_PASSPHRASE', exit.error, 'restore --encrypt piped');
    expect(r.stderr).toContain('--passphrase-file');
    expect(existsSync(dir)).toBe(false);
  });
});

// ---- encrypt and decrypt -------------------------------------------------------------------

describe('encrypt and decrypt', () => {
  test('a round trip with --passphrase-file: the same seed and key; each refusal leaves the file as it was', async () => {
    ensureBinary();
    const { dir, seed, file } = await wallet('convert', false);
    const seedFile = join(dir, '.seed');
    const plainText = readFileSync(seedFile, 'latin1');
    const address = encodeAddress(sevensKey);

    const enc = await run(['encrypt', '--dir', dir, '--passphrase-file', file]);
    expect(enc.exitCode, show(enc)).toBe(exit.ok);
    expect(enc.stdout).toBe(`encrypted ${seedFile} (${address})\n`);
    expect(enc.stderr).toContain('are not erased');
    expect(seedFileState(dir)).toBe('encrypted');
    expect(readSeed(dir, passphrase)).toEqual(seed);
    expect(statSync(seedFile).mode & 0o777).toBe(0o600);

    const encrypted = snapshot(seedFile);
    expectRefused(await run(['encrypt', '--dir', dir, '--passphrase-file', file, '--log-level', 'silent']), 'SEED_ALREADY_ENCRYPTED', exit.error, 'encrypt twice');
    expectRefused(await run(['decrypt', '--dir', dir, '--passphrase-file', passphraseFile(dir, 'wrong horse\n'), '--log-level', 'silent']), 'BAD_PASSPHRASE', exit.error, 'decrypt, wrong passphrase');
    expectRefused(await run(['decrypt', '--dir', dir, '--log-level', 'silent']), 'NEEDS_PASSPHRASE', exit.error, 'decrypt, piped, no file');
    expectUnchanged(seedFile, encrypted, 'refused encrypt or decrypt');
    for (const name of readdirSync(dir)) if (name.startsWith('passphrase-')) rmSync(join(dir, name));

    const dec = await run(['decrypt', '--dir', dir, '--passphrase-file', file, '--json']);
    expect(dec.exitCode, show(dec)).toBe(exit.ok);
    expect(JSON.parse(dec.stdout)).toEqual({ encrypted: false, address, key: toHex(sevensKey) });
    expect(dec.stderr).toContain('no longer encrypted');
    expect(readFileSync(seedFile, 'latin1')).toBe(plainText);
    expect(readdirSync(dir)).toEqual(['.seed']);

    const plain = snapshot(seedFile);
    expectRefused(await run(['decrypt', '--dir', dir, '--passphrase-file', file, '--log-level', 'silent']), 'SEED_NOT_ENCRYPTED', exit.error, 'decrypt a plain seed');
    expectUnchanged(seedFile, plain, 'decrypt a plain seed');

    const none = join(tempDir('convert-none'), 'w');
    for (const command of ['encrypt', 'decrypt']) {
      expectRefused(await run([command, '--dir', none, '--passphrase-file', file, '--log-level', 'silent']), 'SEED_MISSING', exit.error, `${command} without a seed`);
    }
    expect(existsSync(none)).toBe(false);
  });

  test('a damaged seed file: BAD_SEED_FILE from every command that reads it, before any passphrase; never rewritten', async () => {
    ensureBinary();
    const base = tempDir('damaged');
    const file = passphraseFile(base, `${passphrase}\n`);
    const line = keysVectors.encrypted_seeds[0]!.line;
    const damaged = [
      ['an encrypted line cut short', line.slice(0, 200)],
      ['an encrypted line with a flipped bit', line.replace('nonce=1011', 'nonce=1013')],
      ['a plain seed cut short', `${sevens.seed.slice(0, 40)}`],
    ];
    for (const [what, content] of damaged) {
      const dir = join(base, what!.replace(/\W+/g, '-'));
      mkdirSync(dir);
      writeFileSync(join(dir, '.seed'), content!, { mode: 0o600 });
      const before = snapshot(join(dir, '.seed'));
      for (const args of [['keygen'], ['keygen', '--words', '--passphrase-file', file], ['encrypt', '--passphrase-file', file], ['decrypt', '--passphrase-file', file], ['decrypt']]) {
        const r = await run([...args, '--dir', dir, '--log-level', 'silent']);
        expectRefused(r, 'BAD_SEED_FILE', exit.error, `${args.join(' ')} on ${what}`);
        expect(r.stderr).toContain(join(dir, '.seed'));
      }
      expectUnchanged(join(dir, '.seed'), before, what!);
    }
  });

  // test/seed.test.ts kills a writer after every step; here the executable, on both sides of the rename.
  test('killed (SIGKILL) just before and just after the rename of encrypt and decrypt: .seed still opens to the same key; the next command cleans up', async () => {
    ensureBinary();
    const { dir, file } = await wallet('crash', false);
    const address = encodeAddress(sevensKey);
    for (const step of ['temp-synced', 'renamed']) {
      for (const command of ['encrypt', 'decrypt'] as const) {
        const state = seedFileState(dir);
        if ((command === 'encrypt') !== (state === 'plain')) {
          const r = await run([command === 'encrypt' ? 'decrypt' : 'encrypt', '--dir', dir, '--passphrase-file', file, '--log-level', 'silent']);
          expect(r.exitCode, show(r)).toBe(exit.ok);
        }
        const killed = await run([command, '--dir', dir, '--passphrase-file', file, '--log-level', 'silent'], { env: { SCRYP_TEST_CRASH_AFTER: step } });
        expect(killed.signal, `${command} after ${step}\n${show(killed)}`).toBe('SIGKILL');
        expect(killed.stdout).toBe('');
        const done = step === 'renamed' || step === 'dir-synced';
        expect(seedFileState(dir), `${command} after ${step}`).toBe((command === 'encrypt') === done ? 'encrypted' : 'plain');
        const words = await run(['keygen', '--dir', dir, '--words', '--passphrase-file', file, '--log-level', 'silent']);
        expect(words.exitCode, show(words)).toBe(exit.ok);
        expect(words.stdout).toBe(`${address}\n${toHex(sevensKey)}\n${sevens.phrase}\n`);
        const leftovers = readdirSync(dir).filter((name) => name.startsWith('.seed.tmp-'));
        expect(leftovers.length, `${command} after ${step}: leftovers`).toBe(done ? 0 : 1);
      }
    }
    const last = await run([seedFileState(dir) === 'plain' ? 'encrypt' : 'decrypt', '--dir', dir, '--passphrase-file', file, '--log-level', 'silent']);
    expect(last.exitCode, show(last)).toBe(exit.ok);
    expect(readdirSync(dir).sort()).toEqual(['.seed', ...readdirSync(dir).filter((name) => name.startsWith('passphrase-'))].sort());
  });
});

// ---- on a terminal -------------------------------------------------------------------------

describe.skipIf(!hasScript)('on a terminal: hidden prompts', () => {
  test('keygen --encrypt asks twice without echo; two different answers: PASSPHRASE_MISMATCH, nothing written', async () => {
    ensureBinary();
    const base = tempDir('tty-keygen');
    const secret = 'tty passphrase 1234';
    const mismatch = await onTerminal(['keygen', '--dir', join(base, 'a'), '--encrypt'], [['New passphrase', `${secret}\r`], ['again', 'something else\r']]);
    expect(mismatch.exitCode, mismatch.screen).toBe(exit.error);
    expect(mismatch.screen).toContain('PASSPHRASE_MISMATCH');
    expect(mismatch.screen).not.toContain(secret);
    expect(existsSync(join(base, 'a', '.seed'))).toBe(false);

    const made = await onTerminal(['keygen', '--dir', join(base, 'b'), '--encrypt', '--words'], [['New passphrase', `${secret}\r`], ['again', `${secret}\r`]]);
    expect(made.exitCode, made.screen).toBe(exit.ok);
    expect(made.screen).not.toContain(secret);
    expect(seedFileState(join(base, 'b'))).toBe('encrypted');
    const seed = readSeed(join(base, 'b'), secret);
    expect(made.screen).toContain(encodeAddress(signerFromSeed(seed).publicKey));
    expect(made.screen).toContain(seedToPhrase(seed).join(' '));
  });

  test('an encrypted wallet asks for its passphrase; a wrong one may be typed again, three wrong ones end with BAD_PASSPHRASE', async () => {
    ensureBinary();
    const { dir } = await wallet('tty-unlock', true);
    const opened = await onTerminal(['keygen', '--dir', dir, '--words'], [['Passphrase for', 'not it\r'], ['try again', `${passphrase}\r`]]);
    expect(opened.exitCode, opened.screen).toBe(exit.ok);
    expect(opened.screen).toContain(sevens.phrase);
    expect(opened.screen).not.toContain(passphrase);
    expect(opened.screen).not.toContain('not it');

    const before = snapshot(join(dir, '.seed'));
    const refused = await onTerminal(['decrypt', '--dir', dir], [['Passphrase for', 'one\r'], ['Passphrase for', 'two\r'], ['Passphrase for', 'three\r']]);
    expect(refused.exitCode, refused.screen).toBe(exit.error);
    expect(refused.screen).toContain('scryp: BAD_PASSPHRASE:');
    expectUnchanged(join(dir, '.seed'), before, 'three wrong passphrases');
  });

  test('restore reads the phrase without echo, across several lines (as pasted), and encrypts it when asked', async () => {
    ensureBinary();
    const base = tempDir('tty-restore');
    const words = sevens.phrase.split(' ');
    const r = await onTerminal(['restore', '--dir', join(base, 'w'), '--encrypt'], [
      ['Recovery phrase', `${words.slice(0, 12).join(' ')}\r`],
      ['12 of 24 words so far', `${words.slice(12).join(' ').toUpperCase()}\r`],
      ['New passphrase', `${passphrase}\r`],
      ['again', `${passphrase}\r`],
    ]);
    expect(r.exitCode, r.screen).toBe(exit.ok);
    expect(r.screen).not.toContain(words.slice(0, 12).join(' '));
    expect(r.screen).not.toContain(passphrase);
    expect(r.screen).toContain(encodeAddress(sevensKey));
    expect(readSeed(join(base, 'w'), passphrase)).toEqual(fromHex(sevens.seed, 32, 'seed'));
  });
});
