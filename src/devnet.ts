// The embedded default network: the three-server devnet of seeds/devnet, with its test
// keys. They are public, for trying scryp on one machine; never use them for value.
// Embedded so that `scryp node --port 4002` and `scryp devnet` work from the single
// executable anywhere, with no files beside it.

import devnetJson from '../seeds/devnet/network.json';
import server0Seed from '../seeds/devnet/server0/.seed' with { type: 'text' };
import server1Seed from '../seeds/devnet/server1/.seed' with { type: 'text' };
import server2Seed from '../seeds/devnet/server2/.seed' with { type: 'text' };
import walletSeed from '../seeds/devnet/wallet/.seed' with { type: 'text' };
import { join } from 'node:path';
import { parseNetwork, type Network } from './network.ts';
import { parseSeed } from './seed.ts';

export const devnetNetwork: Network = parseNetwork(devnetJson);

// Servers are numbered from 0 everywhere a person reads them (logs, INFO, scryp info, the
// wallet page, metrics), as in the protocol: the devnet's directories and tags too.
const seeds = [server0Seed, server1Seed, server2Seed];

/** Where devnet server i keeps its state when no --dir is given: ./seeds/devnet/server<i>. */
export function devnetServerDir(index: number, base = process.cwd()): string {
  return join(base, 'seeds', 'devnet', `server${index}`);
}

export function devnetWalletDir(base = process.cwd()): string {
  return join(base, 'seeds', 'devnet', 'wallet');
}

export function devnetServerSeed(index: number): Uint8Array {
  const text = seeds[index];
  if (text === undefined) throw new Error(`devnet has servers 0..${seeds.length - 1}, not ${index}`);
  return parseSeed(text, `devnet server${index} seed`);
}

export const devnetWalletSeed: Uint8Array = parseSeed(walletSeed, 'devnet wallet seed');

/** The index of the devnet server listening on `port`, or null. */
export function devnetServerForPort(port: number): number | null {
  const index = devnetNetwork.servers.findIndex((server) => server.address.port === port);
  return index < 0 ? null : index;
}

/** Where devnet server i serves its HTTP gateway with `scryp devnet --http`: 127.0.0.1:8001, 8002, 8003. */
export function devnetGatewayPort(index: number): number {
  return 8001 + index;
}

/** The arguments `scryp devnet` gives devnet server i's `scryp node`; with `http`, its gateway too, public at its loopback URL. */
export function devnetNodeArgs(index: number, options: { http: boolean; logLevel: string; json: boolean }): string[] {
  const server = devnetNetwork.servers[index];
  if (server === undefined) throw new Error(`devnet has servers 0..${devnetNetwork.servers.length - 1}, not ${index}`);
  const gateway = `127.0.0.1:${devnetGatewayPort(index)}`;
  return [
    'node',
    '--port',
    String(server.address.port),
    ...(options.http ? ['--http', gateway, '--http-public', `http://${gateway}/`] : []),
    '--log-level',
    options.logLevel,
    ...(options.json ? ['--json'] : []),
  ];
}
