import { defineCommand } from 'citty';
import { randomBytes } from 'node:crypto';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { seed_bytes } from '../constants.ts';
import { fail, isScrypError } from '../errors.ts';
import { logger } from '../log.ts';
import { seedToPhrase } from '../recovery-phrase.ts';
import { createSeed, seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import { action, dirArg, logArgs, print, setupLogs, UsageError } from './common.ts';
import { newPassphrase, openSeed, passphraseArg } from './passphrase.ts';

export const words_warning =
  'these 24 words ARE the wallet: anyone who sees them owns its money. Write them on paper, keep it safe, and never type them into a website or a chat.';

export const keygenCommand = defineCommand({
  meta: {
    name: 'keygen',
    description:
      'Create DIR/.seed (mode 0600) if it is missing; print its address (line 1) and public key as 64 hex characters (line 2), and with --words its 24-word recovery phrase (line 3)',
  },
  args: {
    dir: { type: 'string', description: 'the server or wallet directory', required: true, valueHint: 'DIR' },
    words: { type: 'boolean', description: 'also print the recovery phrase (stdout only; a warning goes to stderr)', default: false },
    encrypt: { type: 'boolean', description: 'encrypt the new seed under a passphrase (asked twice, or --passphrase-file)', default: false },
    ...passphraseArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const dir = dirArg(args.dir);
      const passphraseFile = args['passphrase-file'];
      const log = logger('keygen');
      const state = seedFileState(dir);
      let seed: Uint8Array | null = null;
      let created = false;
      if (state === 'missing') {
        if (passphraseFile !== undefined && !args.encrypt) throw new UsageError('--passphrase-file makes sense for a new seed only with --encrypt (or to open an encrypted one)');
        const passphrase = args.encrypt ? await newPassphrase(passphraseFile, seedPath(dir)) : undefined;
        const fresh = new Uint8Array(randomBytes(seed_bytes));
        try {
          createSeed(dir, fresh, passphrase);
          seed = fresh;
          created = true;
          log.info(`created ${seedPath(dir)}${passphrase === undefined ? '' : ', encrypted'}`);
        } catch (error) {
          if (!isScrypError(error, 'SEED_EXISTS')) throw error;
          log.info(`${seedPath(dir)} appeared meanwhile; kept it`); // another keygen won the race
        }
      } else {
        if (args.encrypt && state === 'plain') {
          fail('SEED_NOT_ENCRYPTED', `${seedPath(dir)} exists and is not encrypted; keygen --encrypt only creates a seed: to encrypt this one, run scryp encrypt --dir ${dir}`);
        }
        log.info(`${seedPath(dir)} exists; kept it`);
      }
      const account = seedFileAccount(dir); // an encrypted file names its address: no passphrase needed
      let phrase: string[] | null = null;
      if (args.words) {
        phrase = seedToPhrase(seed ?? (await openSeed(dir, passphraseFile)));
        log.warn(words_warning);
      }
      const encrypted = seedFileState(dir) === 'encrypted';
      if (args.json) {
        print(JSON.stringify({ address: encodeAddress(account), key: toHex(account), created, encrypted, ...(phrase === null ? {} : { phrase: phrase.join(' ') }) }));
        return;
      }
      print(encodeAddress(account));
      print(toHex(account));
      if (phrase !== null) print(phrase.join(' '));
    }),
});
