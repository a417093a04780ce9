import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { fail } from '../errors.ts';
import { logger } from '../log.ts';
import { encryptSeedFile, readSeed, seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import { action, dirArg, logArgs, print, setupLogs } from './common.ts';
import { newPassphrase, passphraseArg } from './passphrase.ts';

export const encryptCommand = defineCommand({
  meta: {
    name: 'encrypt',
    description:
      'Encrypt DIR/.seed under a passphrase (asked twice, or --passphrase-file), replacing the plain file in one atomic step; every command then asks for the passphrase',
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
      // Everything that can be refused is refused before a passphrase is asked.
      const state = seedFileState(dir);
      if (state === 'encrypted') {
        seedFileAccount(dir); // a damaged file says so
        fail('SEED_ALREADY_ENCRYPTED', `${path} is already encrypted; to change its passphrase, run scryp decrypt --dir ${dir}, then scryp encrypt --dir ${dir}`);
      }
      readSeed(dir); // missing or damaged: SEED_MISSING, BAD_SEED_FILE
      const passphrase = await newPassphrase(args['passphrase-file'], path);
      encryptSeedFile(dir, passphrase);
      const account = seedFileAccount(dir);
      const log = logger('encrypt');
      log.info(`${path} is encrypted; every command that uses it now needs the passphrase`);
      log.warn('copies of the plain file made before (backups, and the disk itself until it reuses the space) are not erased by this');
      if (args.json) print(JSON.stringify({ encrypted: true, address: encodeAddress(account), key: toHex(account) }));
      else print(`encrypted ${path} (${encodeAddress(account)})`);
    }),
});
