import { defineCommand } from 'citty';
import { lstatSync } from 'node:fs';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { recovery_phrase_chars_max } from '../constants.ts';
import { fail } from '../errors.ts';
import { logger } from '../log.ts';
import { phraseToSeed } from '../recovery-phrase.ts';
import { createSeed, seedPath } from '../seed.ts';
import { publicKeyFromSeed } from '../signature.ts';
import { action, dirArg, logArgs, print, setupLogs, UsageError } from './common.ts';
import { hasTerminal, newPassphrase, passphraseArg, promptPhrase } from './passphrase.ts';

export const restoreCommand = defineCommand({
  meta: {
    name: 'restore',
    description:
      'Write DIR/.seed from a 24-word recovery phrase read on stdin (asked without echo on a terminal; piped for scripts). Never replaces an existing .seed. Prints the address (line 1) and public key (line 2)',
  },
  args: {
    dir: { type: 'string', description: 'the new wallet directory (it must have no .seed)', required: true, valueHint: 'DIR' },
    encrypt: { type: 'boolean', description: 'encrypt the restored seed under a passphrase (asked twice, or --passphrase-file)', default: false },
    ...passphraseArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const dir = dirArg(args.dir);
      const passphraseFile = args['passphrase-file'];
      if (passphraseFile !== undefined && !args.encrypt) throw new UsageError('--passphrase-file is for --encrypt: without it the restored seed is not encrypted');
      // Refuse before anyone types 24 words for nothing (createSeed checks again, atomically).
      if (lstatSync(seedPath(dir), { throwIfNoEntry: false }) !== undefined) {
        fail('SEED_EXISTS', `${seedPath(dir)} exists and restore never replaces a seed: restore into a new directory`);
      }
      const terminal = hasTerminal();
      if (args.encrypt && passphraseFile === undefined && !terminal) {
        fail('NEEDS_PASSPHRASE', 'restore --encrypt with the phrase on a pipe has no terminal to ask the passphrase on: give --passphrase-file FILE');
      }
      const text = terminal ? await promptPhrase('Recovery phrase (24 words; not shown as you type): ') : await readStdin(recovery_phrase_chars_max + 1);
      const seed = phraseToSeed(text);
      const passphrase = args.encrypt ? await newPassphrase(passphraseFile, seedPath(dir)) : undefined;
      createSeed(dir, seed, passphrase);
      const account = publicKeyFromSeed(seed);
      logger('restore').info(`restored ${seedPath(dir)}${passphrase === undefined ? '' : ', encrypted'}`);
      if (args.json) {
        print(JSON.stringify({ address: encodeAddress(account), key: toHex(account), encrypted: passphrase !== undefined }));
        return;
      }
      print(encodeAddress(account));
      print(toHex(account));
    }),
});

/** Reads stdin to its end, keeping at most `limit` characters (the phrase check refuses more). */
async function readStdin(limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of Bun.stdin.stream()) {
    text += decoder.decode(chunk, { stream: true });
    if (text.length >= limit) return text.slice(0, limit);
  }
  return text + decoder.decode();
}
