import { defineCommand } from 'citty';
import { formatAddress, type Address } from '../ip.ts';
import { logger } from '../log.ts';
import { action, addressArg, chooseNetwork, dirArg, logArgs, networkArg, print, setupLogs } from './common.ts';
import { passphraseArg, readPassphraseFile } from './passphrase.ts';

export const walletCommand = defineCommand({
  meta: {
    name: 'wallet',
    description:
      'A web wallet for the key in DIR: prints one line, the URL to open in a browser (with its secret token), and serves the page until Ctrl-C',
  },
  args: {
    dir: { type: 'string', description: 'the wallet\'s directory (its .seed and contacts.json); without a .seed, the page creates or restores one', required: true, valueHint: 'DIR' },
    listen: { type: 'string', description: 'where the page is served (default 127.0.0.1 on a free port); anything but loopback is warned about', valueHint: 'HOST:PORT' },
    'passphrase-file': { ...passphraseArg['passphrase-file'], description: 'open an encrypted wallet at start with the passphrase in FILE; without it, the page asks for it' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const dir = dirArg(args.dir);
      const network = chooseNetwork(args.network);
      const listen: Address = args.listen === undefined ? { host: '127.0.0.1', port: 0 } : addressArg(args.listen, '--listen');
      const passphrase = args['passphrase-file'] === undefined ? undefined : readPassphraseFile(args['passphrase-file']);
      // Loaded here, not at the top: the page and its server cost nothing to the other commands.
      const { openWallet } = await import('../wallet/main.ts');
      const log = logger('wallet');
      if (!/^127\./.test(listen.host)) {
        log.warn(`listening on ${formatAddress(listen)}, not on loopback: anyone who can reach this address and learns the URL can spend from this wallet`);
      }
      const wallet = await openWallet({ dir, network, listen, log, ...(passphrase === undefined ? {} : { passphrase }) });
      const stop = () => {
        wallet.stop();
        process.exit(0);
      };
      // Before the URL is printed: whoever read it may stop us at once (a test did, and saw 143).
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      print(wallet.url);
      await new Promise<never>(() => {}); // serves until a signal
    }),
});
