// Where a passphrase (and a recovery phrase) comes from on the command line: a hidden
// prompt on a terminal, or a file (--passphrase-file: systemd credentials, scripts,
// tests); never an argument, which other users see in `ps` and shells keep in history.
//
// The prompt puts the terminal in raw mode, so nothing typed is echoed; Backspace and
// Ctrl-U edit, Enter ends, Ctrl-C cancels (exit 130), Ctrl-D on an empty line cancels.

import { closeSync, openSync, readSync, constants as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { passphrase_bytes_max, recovery_phrase_chars_max, recovery_phrase_words } from '../constants.ts';
import { fail, isScrypError } from '../errors.ts';
import { logger } from '../log.ts';
import { readSeed, seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import { passphraseBytes } from '../seed-encryption.ts';
import { exit_code, PromptCancelled } from './common.ts';

export const passphraseArg = {
  'passphrase-file': {
    type: 'string',
    description: 'read the passphrase from FILE (one trailing newline is dropped); without it, you are asked on the terminal',
    valueHint: 'FILE',
  },
} as const;

/** Tries at the prompt before a wrong passphrase ends the command. */
export const passphrase_attempts = 3;
/** Shorter than this, a warning: scrypt slows each guess, it does not stop a short list of them. */
export const passphrase_chars_advised = 12;

export function hasTerminal(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * The passphrase in FILE: its text as UTF-8, without one trailing newline (\n or \r\n).
 * Missing, unreadable (a directory, no permission, not UTF-8), empty and oversized files
 * each have their own code.
 */
export function readPassphraseFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, fs.O_RDONLY | fs.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') fail('PASSPHRASE_FILE_MISSING', `--passphrase-file ${path}: no such file`);
    fail('PASSPHRASE_FILE_UNREADABLE', `--passphrase-file ${path}: cannot open it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const buffer = new Uint8Array(passphrase_bytes_max + 3); // the limit, \r\n, and one byte to see that there is more
  let length = 0;
  try {
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = readSync(fd, buffer, length, buffer.length - length, null);
  } catch (error) {
    fail('PASSPHRASE_FILE_UNREADABLE', `--passphrase-file ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    closeSync(fd);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
  } catch {
    fail('PASSPHRASE_FILE_UNREADABLE', `--passphrase-file ${path}: not UTF-8 text`);
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') fail('PASSPHRASE_EMPTY', `--passphrase-file ${path} is empty${text === '' ? '' : ' (only a newline)'}: write the passphrase in it`);
  try {
    passphraseBytes(passphrase);
  } catch (error) {
    if (isScrypError(error, 'PASSPHRASE_TOO_LONG')) fail('PASSPHRASE_TOO_LONG', `--passphrase-file ${path}: more than ${passphrase_bytes_max} bytes: is it the right file?`);
    throw error;
  }
  return passphrase;
}

/** The passphrase that opens an existing encrypted seed: from FILE, else asked once on the terminal. */
export async function unlockPassphrase(path: string | undefined, what: string): Promise<string> {
  if (path !== undefined) return readPassphraseFile(path);
  if (!hasTerminal()) fail('NEEDS_PASSPHRASE', `${what} is encrypted and there is no terminal to ask on: give --passphrase-file FILE`);
  return checkTyped(await promptHidden(`Passphrase for ${what}: `));
}

/** A new passphrase: from FILE, or typed twice on the terminal (the two must match). */
export async function newPassphrase(path: string | undefined, what: string): Promise<string> {
  const passphrase = path !== undefined ? readPassphraseFile(path) : await typedTwice(what);
  if ([...passphrase].length < passphrase_chars_advised) {
    logger('keys').warn(`a passphrase of fewer than ${passphrase_chars_advised} characters can be guessed by whoever copies ${what}; scrypt slows each guess, it does not stop a short list of them`);
  }
  return passphrase;
}

async function typedTwice(what: string): Promise<string> {
  if (!hasTerminal()) fail('NEEDS_PASSPHRASE', `a new passphrase for ${what} is needed and there is no terminal to ask on: give --passphrase-file FILE`);
  const first = checkTyped(await promptHidden(`New passphrase for ${what}: `));
  const second = await promptHidden('The same passphrase again: ');
  if (first.normalize('NFC') !== second.normalize('NFC')) fail('PASSPHRASE_MISMATCH', 'the two passphrases differ; nothing was written: run the command again');
  return first;
}

function checkTyped(passphrase: string): string {
  passphraseBytes(passphrase); // empty, too long: their own codes
  return passphrase;
}

/**
 * The seed of DIR, whichever form its file is in: a plain file is read as it is (and a
 * --passphrase-file is not needed: a warning says so); an encrypted one is checked, then
 * opened with the passphrase from FILE or the terminal, where a wrong one may be typed again.
 */
export async function openSeed(dir: string, passphraseFile: string | undefined): Promise<Uint8Array> {
  try {
    const seed = readSeed(dir);
    if (passphraseFile !== undefined) logger('keys').warn(`${seedPath(dir)} is not encrypted: --passphrase-file is not needed`);
    return seed;
  } catch (error) {
    if (!isScrypError(error, 'NEEDS_PASSPHRASE')) throw error;
  }
  if (passphraseFile !== undefined || !hasTerminal()) return readSeed(dir, await unlockPassphrase(passphraseFile, seedPath(dir)));
  for (let attempt = 1; ; attempt++) {
    try {
      return readSeed(dir, await unlockPassphrase(undefined, seedPath(dir)));
    } catch (error) {
      if (!isScrypError(error, 'BAD_PASSPHRASE') || attempt >= passphrase_attempts) throw error;
      process.stderr.write('That passphrase does not open it; try again.\n');
    }
  }
}

// ---- the terminal ------------------------------------------------------------------------

/** Asks a yes-or-no question on the terminal (the answer echoed): true only for y or yes. Ctrl-D or Ctrl-C is no. */
export async function promptYes(question: string): Promise<boolean> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const answer = await new Promise<string | null>((resolve) => {
      lines.once('close', () => resolve(null));
      lines.question(question, resolve);
    });
    return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    lines.close();
  }
}

/** Reads one line on the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  return readTerminal(question, (typed) => ({ done: true, text: typed }));
}

/**
 * Reads a recovery phrase on the terminal without echoing it. A phrase pasted on several
 * lines is one phrase: Enter ends it once 24 words are in (or on an empty line); before
 * that, the count so far is shown.
 */
export function promptPhrase(question: string): Promise<string> {
  const lines: string[] = [];
  return readTerminal(question, (typed) => {
    lines.push(typed);
    const text = lines.join(' ');
    const count = text.trim() === '' ? 0 : text.trim().split(/\s+/u).length;
    if (count >= recovery_phrase_words || typed.trim() === '') return { done: true, text };
    process.stderr.write(`\n  (${count} of ${recovery_phrase_words} words so far; go on, or press Enter on an empty line to stop) `);
    return { done: false, text };
  });
}

function readTerminal(question: string, onLine: (typed: string) => { done: boolean; text: string }): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    let total = 0;
    const finish = (outcome: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\u0003') {
          finish(() => {
            process.stderr.write('cancelled\n');
            process.exit(exit_code.interrupted);
          });
          return;
        }
        if (character === '\r' || character === '\n') {
          const line = onLine(typed);
          typed = '';
          if (line.done) {
            finish(() => resolve(line.text));
            return;
          }
          continue;
        }
        if (character === '\u0004' && typed === '') {
          finish(() => reject(new PromptCancelled()));
          return;
        }
        if (character === '\u007f' || character === '\b') typed = [...typed].slice(0, -1).join('');
        else if (character === '\u0015') typed = '';
        else if (!/^\p{C}$/u.test(character)) typed += character;
        total += character.length;
        if (total > Math.max(passphrase_bytes_max, recovery_phrase_chars_max) * 4) {
          finish(() => reject(new PromptCancelled('too much typed input')));
          return;
        }
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * The passphrase a server starts with: from FILE (a missing seed is then created
 * encrypted); else, for an encrypted seed, asked on the terminal until it opens the seed;
 * else none. Under systemd there is no terminal: --passphrase-file
 * ${CREDENTIALS_DIRECTORY}/NAME, from LoadCredentialEncrypted=.
 */
export async function serverPassphrase(dir: string, passphraseFile: string | undefined): Promise<string | undefined> {
  const state = seedFileState(dir);
  if (passphraseFile !== undefined) {
    if (state === 'plain') logger('keys').warn(`${seedPath(dir)} is not encrypted: --passphrase-file is not needed`);
    return readPassphraseFile(passphraseFile);
  }
  if (state !== 'encrypted') return undefined;
  seedFileAccount(dir); // a damaged file says so before a passphrase is asked
  if (!hasTerminal()) fail('NEEDS_PASSPHRASE', `${seedPath(dir)} is encrypted and there is no terminal to ask on: give --passphrase-file FILE (under systemd, a credential)`);
  for (let attempt = 1; ; attempt++) {
    const passphrase = await unlockPassphrase(undefined, seedPath(dir));
    try {
      readSeed(dir, passphrase);
      return passphrase;
    } catch (error) {
      if (!isScrypError(error, 'BAD_PASSPHRASE') || attempt >= passphrase_attempts) throw error;
      process.stderr.write('That passphrase does not open it; try again.\n');
    }
  }
}
