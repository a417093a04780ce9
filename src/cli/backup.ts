import { defineCommand } from 'citty';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail } from '../errors.ts';
import { backupInto } from '../ledger/backup.ts';
import { ledger_file_name } from '../ledger/sqlite-store.ts';
import { logger } from '../log.ts';
import { action, directoryNetwork, logArgs, print, setupLogs, UsageError } from './common.ts';
import { asidePath, placeNew, refuseExisting } from './out-file.ts';

export const backupCommand = defineCommand({
  meta: {
    name: 'backup',
    description:
      'Copy a server\'s ledger while the node runs, check the copy (SQLite integrity check; the state hash recomputed from its accounts equals its signed certificate), and only then write it as FILE. To restore: stop the node, remove DIR/ledger.sqlite and its -wal and -shm, copy FILE there as ledger.sqlite, start the node; it replays the periods since from its peers.',
  },
  args: {
    dir: { type: 'string', description: 'the server directory (as given to scryp node --dir)', valueHint: 'DIR' },
    out: { type: 'string', description: 'the backup file to write; never replaces an existing file (put the date in its name)', valueHint: 'FILE' },
    network: { type: 'string', description: 'the network file (default: the one the directory serves, which its node remembers; given, it must be that one)', valueHint: 'FILE' },
    ...logArgs,
  },
  run: ({ args }) =>
    action(() => {
      setupLogs(args);
      if (args.dir === undefined) throw new UsageError('--dir DIR is required (the server directory)');
      if (args.out === undefined) throw new UsageError('--out FILE is required (the backup file to write)');
      // The directory knows the network it serves; a --network given must be that one.
      const { network } = directoryNetwork(args.dir, args.network);
      const out = args.out;
      refuseExisting(out);
      const started = Date.now();
      // Made in a directory beside the out file, so that it is linked into place on the same file system.
      const work = asidePath(out);
      try {
        mkdirSync(work);
      } catch (error) {
        fail('OUT_UNWRITABLE', `cannot write beside ${out} (in ${dirname(out)}): ${(error as Error).message}`);
      }
      try {
        const report = backupInto(args.dir, network, work);
        placeNew(join(work, ledger_file_name), out);
        const result = { file: out, bytes: statSync(out).size, ...report, ms: Date.now() - started };
        if (args.json) print(JSON.stringify(result));
        else {
          logger('backup').info(`checked: integrity ok, state hash ${result.stateHash.slice(0, 16)}… matches the certificate of period ${result.committedPeriod}`);
          print(`${out}: committed period ${result.committedPeriod}, ${result.accounts} accounts, ${result.bytes} bytes, checked, in ${result.ms} ms`);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }),
});
