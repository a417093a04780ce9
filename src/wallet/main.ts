// `scryp wallet`: the key of DIR, a client of the network, and the page's server, put
// together. The one line a person needs, the URL with the token in its fragment, is
// returned for the CLI to print on stdout.

import { UdpClient } from '../client/udp-client.ts';
import { fail } from '../errors.ts';
import { type Address, formatAddress } from '../ip.ts';
import type { Logger } from '../log.ts';
import type { Network } from '../network.ts';
import { readSeed } from '../seed.ts';
import { signerFromSeed } from '../signature.ts';
import { loadAssets } from './assets.ts';
import { newToken } from './security.ts';
import { startWalletServer } from './server.ts';
import { WalletService } from './service.ts';

export interface OpenedWallet {
  readonly url: string;
  readonly listen: Address;
  readonly service: WalletService;
  stop(): void;
}

export async function openWallet(options: { dir: string; network: Network; listen: Address; log: Logger }): Promise<OpenedWallet> {
  const { dir, network, log } = options;
  const signer = signerFromSeed(readSeed(dir));
  const [assets, client] = await Promise.all([loadAssets(), UdpClient.open()]);
  const service = new WalletService({ network, signer, dir, client, log });
  const token = newToken();
  let server;
  try {
    // The Host check needs the real port: with port 0 the kernel picks it, so it is learnt after binding.
    const listen = { ...options.listen };
    server = startWalletServer({ listen, token, assets, service, log });
    listen.port = server.port!;
    const url = `http://${formatAddress(listen)}/#token=${token}`;
    log.info(`wallet of ${service.address} on network ${network.name}, serving at http://${formatAddress(listen)}/ (open the URL printed on stdout)`);
    const running = server;
    return {
      url,
      listen,
      service,
      stop() {
        running.stop(true);
        client.close();
      },
    };
  } catch (error) {
    client.close();
    const code = (error as { code?: string }).code ?? '';
    if (code === 'EADDRINUSE') fail('BAD_ADDRESS', `--listen ${formatAddress(options.listen)}: the port is taken; pick another or leave --listen out`);
    if (code.startsWith('E')) fail('BAD_ADDRESS', `--listen ${formatAddress(options.listen)}: cannot listen there (${code}: is it an address of this machine?)`);
    throw error;
  }
}
