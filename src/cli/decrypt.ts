import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { fail, isScrypError } from '../errors.ts';
import { logger } from '../log.ts';
import { decryptSeedFile, readSeed, seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import { action, dirArg, logArgs, print, setupLogs } from './common.ts';
import { hasTerminal, passphrase_attempts, passphraseArg, unlockPassphrase } from './passphrase.ts';

export const decryptCommand = defineCommand({
  meta: {
    name: 'decrypt',
    description:
      'Replace an encrypted DIR/.seed by the plain form (64 hex characters), in one atomic step, after its passphrase (asked, or --passphrase-file) opens it',
  },
  args: {
    dir: { type: 'string', description: 'the server or wallet directory', required: true, valueHint: 'DIR' },
    ...passphraseArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const dir = dirArg(args.dir);
      const path = seedPath(dir);
      const passphraseFile = args['passphrase-file'];
      const state = seedFileState(dir);
      if (state !== 'encrypted') {
        readSeed(dir); // missing or damaged: SEED_MISSING, BAD_SEED_FILE
        fail('SEED_NOT_ENCRYPTED', `${path} is not encrypted: there is nothing to decrypt`);
      }
      seedFileAccount(dir); // a damaged file says so before a passphrase is asked
      // On a terminal a mistyped passphrase may be typed again; from a file, once.
      const attempts = passphraseFile === undefined && hasTerminal() ? passphrase_attempts : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          decryptSeedFile(dir, await unlockPassphrase(passphraseFile, path));
          break;
        } catch (error) {
          if (!isScrypError(error, 'BAD_PASSPHRASE') || attempt >= attempts) throw error;
          process.stderr.write('That passphrase does not open it; try again.\n');
        }
      }
      const account = seedFileAccount(dir);
      logger('decrypt').warn(`${path} is no longer encrypted: anyone who can read the file can spend from ${encodeAddress(account)}`);
      if (args.json) print(JSON.stringify({ encrypted: false, address: encodeAddress(account), key: toHex(account) }));
      else print(`decrypted ${path} (${encodeAddress(account)})`);
    }),
});
