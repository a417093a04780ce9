import { defineCommand } from 'citty';
import { toHex } from '../bytes.ts';
import { logger } from '../log.ts';
import { loadOrCreateSeed } from '../seed.ts';
import { publicKeyFromSeed } from '../signature.ts';
import { action, logArgs, print, setupLogs, UsageError } from './common.ts';

export const keygenCommand = defineCommand({
  meta: {
    name: 'keygen',
    description: 'Create DIR/.seed (mode 0600) if it is missing, and print its public key as 64 hex characters',
  },
  args: {
    dir: { type: 'string', description: 'the server or wallet directory', required: true, valueHint: 'DIR' },
    ...logArgs,
  },
  run: ({ args }) =>
    action(() => {
      setupLogs(args);
      if (!args.dir) throw new UsageError('--dir is required');
      const { seed, created } = loadOrCreateSeed(args.dir);
      logger('keygen').info(created ? `created ${args.dir}/.seed` : `${args.dir}/.seed exists; kept it`);
      print(toHex(publicKeyFromSeed(seed)));
    }),
});
