// `scryp wallet`: the key of DIR (keys.ts), a client of the network, and the page's
// server, put together. The one line a person needs, the URL with the token in its fragment, is
// returned for the CLI to print on stdout; beside it, the staff link (the till alone, with a
// token of its own), which the owner's Settings shows and `--staff` prints.

import { addressLocator } from '../client/addresses.ts';
import { UdpClient } from '../client/udp-client.ts';
import { fail } from '../errors.ts';
import { type Address, formatAddress } from '../ip.ts';
import type { Logger } from '../log.ts';
import type { Network } from '../network.ts';
import { signerFromSeed } from '../signature.ts';
import { loadAssets } from './assets.ts';
import { contactsFile } from './contacts-file.ts';
import { WalletKeys } from './keys.ts';
import { newToken } from './security.ts';
import { startWalletServer } from './server.ts';
import { WalletService } from './service.ts';

export interface OpenedWallet {
  readonly url: string;
  /** The staff link: the till alone, for a session that can take payments and never send. */
  readonly staffUrl: string;
  readonly listen: Address;
  readonly keys: WalletKeys;
  /** The open wallet, once its key is (at start, or after the first or the unlock screen). */
  service(): WalletService | null;
  stop(): void;
}

/**
 * Serves the wallet of DIR. A plain seed opens at once; an encrypted one opens with
 * `passphrase` (BAD_PASSPHRASE: nothing starts) or later on the page's unlock screen; a
 * DIR without a seed gets the page's first screen (create or restore).
 */
export async function openWallet(options: { dir: string; network: Network; listen: Address; log: Logger; passphrase?: string; tillSaleMs?: number }): Promise<OpenedWallet> {
  const { dir, network, log } = options;
  const [assets, client] = await Promise.all([loadAssets(), UdpClient.open()]);
  let service: WalletService | null = null;
  const keys = new WalletKeys(dir, (seed) => {
    const signer = signerFromSeed(seed);
    service = new WalletService({
      network,
      account: signer.publicKey,
      signer: () => signer,
      client,
      contacts: contactsFile(dir),
      locate: addressLocator(client),
      log,
      ...(options.tillSaleMs === undefined ? {} : { tillSaleMs: options.tillSaleMs }),
    });
    log.info(`wallet of ${service.address} open on network ${network.name}`);
  });
  let server;
  try {
    keys.openAtStart(options.passphrase); // a damaged seed file: BAD_SEED_FILE, and it is left as it is
    const token = newToken();
    const staffToken = newToken();
    // The Host check needs the real port: with port 0 the kernel picks it, so it is learnt after binding.
    const listen = { ...options.listen };
    const staffUrl = () => `http://${formatAddress(listen)}/#staff=${staffToken}`;
    const staff = () => ({
      link: staffUrl(),
      note: 'Opens the till alone, for whoever works the counter: it takes payments into this wallet and can never send, refund, or see the key, the contacts or the history. It works while this wallet runs; a restart makes a new one.',
    });
    server = startWalletServer({ listen, token, staffToken, staff, assets, keys, service: () => service, log });
    listen.port = server.port!;
    const url = `http://${formatAddress(listen)}/#token=${token}`;
    const state = keys.view().state;
    const waiting = state === 'new' ? ` (no key in ${dir} yet: the page creates or restores one)` : state === 'locked' ? ' (encrypted: the page asks for its passphrase)' : '';
    log.info(`serving the wallet page at http://${formatAddress(listen)}/${waiting}; open the URL printed on stdout`);
    const running = server;
    return {
      url,
      staffUrl: staffUrl(),
      listen,
      keys,
      service: () => service,
      stop() {
        running.stop(true);
        client.close();
      },
    };
  } catch (error) {
    client.close();
    const code = (error as { code?: string }).code ?? '';
    if (code === 'EADDRINUSE') fail('BAD_ADDRESS', `--listen ${formatAddress(options.listen)}: the port is taken; pick another or leave --listen out`);
    if (/^E[A-Z]+$/.test(code)) fail('BAD_ADDRESS', `--listen ${formatAddress(options.listen)}: cannot listen there (${code}: is it an address of this machine?)`);
    throw error;
  }
}
