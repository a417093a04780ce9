// The embedded default network: the three-server devnet of seeds/devnet, with its test
// keys. They are public, for trying scryp on one machine; never use them for value.
// Embedded so that `scryp node --port 4002` and `scryp devnet` work from the single
// executable anywhere, with no files beside it.

import devnetJson from '../seeds/devnet/network.json';
import server1Seed from '../seeds/devnet/server1/.seed' with { type: 'text' };
import server2Seed from '../seeds/devnet/server2/.seed' with { type: 'text' };
import server3Seed from '../seeds/devnet/server3/.seed' with { type: 'text' };
import walletSeed from '../seeds/devnet/wallet/.seed' with { type: 'text' };
import { join } from 'node:path';
import { parseNetwork, type Network } from './network.ts';
import { parseSeed } from './seed.ts';

export const devnetNetwork: Network = parseNetwork(devnetJson);

const seeds = [server1Seed, server2Seed, server3Seed];

/** Where devnet server i (1-based) keeps its state when no --dir is given: ./seeds/devnet/server<i>. */
export function devnetServerDir(number: number, base = process.cwd()): string {
  return join(base, 'seeds', 'devnet', `server${number}`);
}

export function devnetWalletDir(base = process.cwd()): string {
  return join(base, 'seeds', 'devnet', 'wallet');
}

export function devnetServerSeed(number: number): Uint8Array {
  const text = seeds[number - 1];
  if (text === undefined) throw new Error(`devnet has servers 1..${seeds.length}, not ${number}`);
  return parseSeed(text, `devnet server${number} seed`);
}

export const devnetWalletSeed: Uint8Array = parseSeed(walletSeed, 'devnet wallet seed');

/** The devnet server (1-based) listening on `port`, or null. */
export function devnetServerForPort(port: number): number | null {
  const index = devnetNetwork.servers.findIndex((server) => server.address.port === port);
  return index < 0 ? null : index + 1;
}
