import { defineCommand } from 'citty';
import { formatAddress, type Address } from '../ip.ts';
import { logger } from '../log.ts';
import { till_sale_ms_max, till_sale_ms_min } from '../constants.ts';
import { action, addressArg, chooseNetwork, dirArg, integerArg, logArgs, networkArg, print, setupLogs, UsageError } from './common.ts';
import { passphraseArg, readPassphraseFile } from './passphrase.ts';

export const walletCommand = defineCommand({
  meta: {
    name: 'wallet',
    description:
      'A web wallet for the key in DIR: prints one line, the URL to open in a browser (with its secret token), and serves the page until Ctrl-C; with --staff, a second line: the staff link, which opens the till alone (takes payments, never sends). With --export-static DIR: writes the pocket wallet (the phone wallet that keeps its key in the browser) as static files for any web host, and exits',
  },
  args: {
    dir: { type: 'string', description: 'the wallet\'s directory (its .seed and contacts.json); without a .seed, the page creates or restores one', valueHint: 'DIR' },
    'export-static': { type: 'string', description: 'write the pocket wallet\'s files here (the page, its service worker, network.json, gateways.json) instead of serving a wallet; never replaces a file', valueHint: 'DIR' },
    gateway: { type: 'string', description: 'with --export-static: the gateway URLs the page asks first, comma-separated (https://host:port of servers started with --http); it learns the others from them', valueHint: 'URL[,URL…]' },
    listen: { type: 'string', description: 'where the page is served (default 127.0.0.1 on a free port); anything but loopback is warned about', valueHint: 'HOST:PORT' },
    'passphrase-file': { ...passphraseArg['passphrase-file'], description: 'open an encrypted wallet at start with the passphrase in FILE; without it, the page asks for it' },
    staff: { type: 'boolean', description: 'print a second line: the staff link, which opens the till alone for whoever works the counter (it takes payments, and can never send or see the key); Settings shows it too', default: false },
    'till-expiry': { type: 'string', description: `how long a till's request lives, in seconds (${till_sale_ms_min / 1000}..${till_sale_ms_max / 1000}, default 600): then the till says it expired, and a payment after it is too late`, valueHint: 'SECONDS' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const network = chooseNetwork(args.network);
      if (args['export-static'] !== undefined) {
        if (args.dir !== undefined) throw new UsageError('--export-static writes a page whose key is made in the browser: give no --dir');
        if (args.staff || args['till-expiry'] !== undefined) throw new UsageError('--staff and --till-expiry go with a wallet served from --dir (the pocket wallet\'s staff link is in its Settings)');
        const gateways = (args.gateway ?? '').split(',').map((url) => url.trim()).filter((url) => url !== '');
        if (gateways.length === 0) throw new UsageError('--export-static needs --gateway URL: where the page finds the servers (a server started with --http)');
        const [{ exportStatic }, { loadAssets }] = await Promise.all([import('../wallet/pocket-pages.ts'), import('../wallet/assets.ts')]);
        const into = dirArg(args['export-static']);
        const written = exportStatic(into, await loadAssets(), network, gateways);
        logger('wallet').info(`wrote the pocket wallet for network ${network.name} into ${into}: ${written.join(', ')}`);
        print(into);
        return;
      }
      if (args.gateway !== undefined) throw new UsageError('--gateway goes with --export-static DIR');
      const tillSaleMs = args['till-expiry'] === undefined ? undefined : 1000 * integerArg(args['till-expiry'], '--till-expiry', till_sale_ms_min / 1000, till_sale_ms_max / 1000);
      const dir = dirArg(args.dir);
      const listen: Address = args.listen === undefined ? { host: '127.0.0.1', port: 0 } : addressArg(args.listen, '--listen');
      const passphrase = args['passphrase-file'] === undefined ? undefined : readPassphraseFile(args['passphrase-file']);
      // Loaded here, not at the top: the page and its server cost nothing to the other commands.
      const { openWallet } = await import('../wallet/main.ts');
      const log = logger('wallet');
      if (!/^127\./.test(listen.host)) {
        log.warn(`listening on ${formatAddress(listen)}, not on loopback: anyone who can reach this address and learns the URL can spend from this wallet`);
      }
      const wallet = await openWallet({ dir, network, listen, log, ...(passphrase === undefined ? {} : { passphrase }), ...(tillSaleMs === undefined ? {} : { tillSaleMs }) });
      const stop = () => {
        wallet.stop();
        process.exit(0);
      };
      // Before the URL is printed: whoever read it may stop us at once (a test did, and saw 143).
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      print(wallet.url);
      if (args.staff) print(wallet.staffUrl);
      await new Promise<never>(() => {}); // serves until a signal
    }),
});
