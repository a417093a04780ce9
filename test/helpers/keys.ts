// Deterministic test keys and networks.

import { sha256 } from '../../src/hash.ts';
import { toHex, utf8 } from '../../src/bytes.ts';
import { parseNetwork, type Network } from '../../src/network.ts';
import { signerFromSeed, type Signer } from '../../src/signature.ts';

export function testSeed(label: string): Uint8Array {
  return sha256(utf8(`scryp test seed: ${label}`));
}

export function testSigner(label: string): Signer {
  return signerFromSeed(testSeed(label));
}

export interface TestNetworkOptions {
  servers?: number;
  periodMs?: number;
  blackoutMs?: number;
  skewMs?: number;
  basePort?: number;
  wallets?: { label: string; balance: number }[];
  name?: string;
}

export function testNetwork(options: TestNetworkOptions = {}): { network: Network; servers: Signer[]; wallets: Signer[] } {
  const count = options.servers ?? 3;
  const servers = Array.from({ length: count }, (_, i) => testSigner(`server ${i}`));
  const walletSpecs = options.wallets ?? [{ label: 'genesis', balance: 1_000_000 }];
  const wallets = walletSpecs.map((spec) => testSigner(`wallet ${spec.label}`));
  const periodMs = options.periodMs ?? 1000;
  const network = parseNetwork({
    name: options.name ?? 'testnet',
    period_ms: periodMs,
    blackout_ms: options.blackoutMs ?? Math.floor(periodMs / 10),
    skew_ms: options.skewMs ?? Math.floor(periodMs / 2),
    servers: servers.map((signer, i) => ({ key: toHex(signer.publicKey), ip: `127.0.0.1:${(options.basePort ?? 5000) + i}` })),
    genesis: wallets.map((signer, i) => ({ account: toHex(signer.publicKey), balance: walletSpecs[i]!.balance })),
  });
  return { network, servers, wallets };
}
