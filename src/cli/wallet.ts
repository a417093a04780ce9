import { defineCommand } from 'citty';
import { existsSync } from 'node:fs';
import { formatAddress, type Address } from '../ip.ts';
import { logger } from '../log.ts';
import { action, addressArg, chooseNetwork, logArgs, networkArg, print, setupLogs, UsageError } from './common.ts';

export const walletCommand = defineCommand({
  meta: {
    name: 'wallet',
    description:
      'A web wallet for the key in DIR: prints one line, the URL to open in a browser (with its secret token), and serves the page until Ctrl-C',
  },
  args: {
    dir: { type: 'string', description: 'the wallet\'s directory (its .seed and contacts.json)', required: true, valueHint: 'DIR' },
    listen: { type: 'string', description: 'where the page is served (default 127.0.0.1 on a free port); anything but loopback is warned about', valueHint: 'HOST:PORT' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      if (!args.dir) throw new UsageError('--dir is required');
      const network = chooseNetwork(args.network);
      const listen: Address = args.listen === undefined ? { host: '127.0.0.1', port: 0 } : addressArg(args.listen, '--listen');
      const { seedPath } = await import('../seed.ts');
      if (!existsSync(seedPath(args.dir))) throw new UsageError(`no wallet in ${args.dir}: create one with scryp keygen --dir ${args.dir}`);
      // Loaded here, not at the top: the page and its server cost nothing to the other commands.
      const { openWallet } = await import('../wallet/main.ts');
      const log = logger('wallet');
      if (!/^127\./.test(listen.host)) {
        log.warn(`listening on ${formatAddress(listen)}, not on loopback: anyone who can reach this address and learns the URL can spend from this wallet`);
      }
      const wallet = await openWallet({ dir: args.dir, network, listen, log });
      print(wallet.url);
      const stop = () => {
        wallet.stop();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<never>(() => {}); // serves until a signal
    }),
});
