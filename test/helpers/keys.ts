// Deterministic test keys and networks.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { signingMessage } from '../../src/transaction.ts';
import { sha256 } from '../../src/hash.ts';
import { toHex, utf8 } from '../../src/bytes.ts';
import { parseNetwork, type Network } from '../../src/network.ts';
import { formatSeed } from '../../src/seed.ts';
import { signerFromSeed, type Signer } from '../../src/signature.ts';

export function testSeed(label: string): Uint8Array {
  return sha256(utf8(`scryp test seed: ${label}`));
}

export function testSigner(label: string): Signer {
  return signerFromSeed(testSeed(label));
}

/** `dir` (made if missing) with a `.seed` of testSeed(label), mode 0600: a wallet to run the executable on. */
export function seededWalletDir(dir: string, label: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.seed'), formatSeed(testSeed(label)), { mode: 0o600 });
  return dir;
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

/**
 * A second valid signature of the same payment body: Ed25519 with a random nonce instead
 * of RFC 8032's deterministic one. Same txid (the body), different signature bytes: the
 * double spend that a nonce-less design must still refuse.
 */
export function resignWithRandomNonce(seed: Uint8Array, networkId: Uint8Array, tx: Uint8Array): Uint8Array {
  const L = ed25519.Point.Fn.ORDER;
  const le = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);
  const toLe = (value: bigint): Uint8Array => Uint8Array.from(Buffer.from(value.toString(16).padStart(64, '0'), 'hex').reverse());
  const sha512 = (...parts: Uint8Array[]): Uint8Array => {
    const hash = createHash('sha512');
    for (const part of parts) hash.update(part);
    return new Uint8Array(hash.digest());
  };
  const expanded = sha512(seed);
  const head = expanded.slice(0, 32);
  head[0]! &= 248;
  head[31]! &= 127;
  head[31]! |= 64;
  const a = le(head) % L;
  const publicKey = ed25519.getPublicKey(seed);
  const message = signingMessage(networkId, tx);
  const r = le(sha512(new Uint8Array(randomBytes(64)))) % L;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const k = le(sha512(R, publicKey, message)) % L;
  const S = (r + k * a) % L;
  const out = tx.slice();
  out.set(R, 76);
  out.set(toLe(S), 108);
  return out;
}
