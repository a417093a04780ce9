// Signatures for the simulator. By default a fast deterministic stand-in, so that millions
// of periods are affordable; `--real-crypto` switches to the node's Ed25519.
//
// The stand-in (NOT a signature scheme: anyone who knows the public key can forge):
//
//   signature = nonce (32) || sha256("scryp/sim/signature/v1" || public key || nonce || message)
//
// Its public keys are real Ed25519 keys (of a seed derived from the label), and it refuses
// a payer key no one could sign for, as the strict rule does (src/signature.ts): where the
// stand-in decides acceptance, it decides as the node would. The payee rule is the
// ledger's own (src/ledger/batch.ts), the same in both modes.
//
// Verification recomputes the second half from the first. The nonce is zero for a first
// signature; a re-signature of the same body picks another nonce, so that, as with
// Ed25519, one body has many valid signatures (the double spend a txid over the body
// alone must refuse). A flipped bit anywhere in the signature, the key or the message
// fails verification, which is all the protocol logic can tell apart.

import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash } from 'node:crypto';
import { key_bytes, signature_bytes } from '../constants.ts';
import { utf8 } from '../bytes.ts';
import type { Verify } from '../node/core.ts';
import { sha256 } from '../hash.ts';
import { isPayableKey, type Signer, signerFromSeed, verify as verifyEd25519 } from '../signature.ts';
import { signatureOffsetOf, signingMessage } from '../transaction.ts';
import type { Random } from './random.ts';

export type CryptoMode = 'fast' | 'real';

export interface SimCrypto {
  readonly mode: CryptoMode;
  /** The signer of a named party ("server 2", "wallet 7"): the same label, the same key. */
  signer(label: string): Signer;
  readonly verify: Verify;
  /** Another valid signature of the same payment body (same txid, other signature bytes). */
  resign(label: string, networkId: Uint8Array, tx: Uint8Array, random: Random): Uint8Array;
}

const fastTag = utf8('scryp/sim/signature/v1');
/** A stand-in signature is a nonce and a MAC, each half of the 64 bytes (as R and S of Ed25519). */
const half_signature_bytes = signature_bytes / 2;
const zeroNonce = new Uint8Array(half_signature_bytes);
const hasher = new Bun.CryptoHasher('sha256');

function fastMac(publicKey: Uint8Array, nonce: Uint8Array, message: Uint8Array): Uint8Array {
  hasher.update(fastTag);
  hasher.update(publicKey);
  hasher.update(nonce);
  hasher.update(message);
  const digest = hasher.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

function fastSign(publicKey: Uint8Array, nonce: Uint8Array, message: Uint8Array): Uint8Array {
  const signature = new Uint8Array(signature_bytes);
  signature.set(nonce, 0);
  signature.set(fastMac(publicKey, nonce, message), half_signature_bytes);
  return signature;
}

function fastVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== signature_bytes || publicKey.length !== key_bytes) return false;
  if (!isPayableKey(publicKey)) return false;
  const mac = fastMac(publicKey, signature.subarray(0, half_signature_bytes), message);
  for (let i = 0; i < half_signature_bytes; i++) if (mac[i] !== signature[half_signature_bytes + i]) return false;
  return true;
}

const fastKeys = new Map<string, Uint8Array>();

/** The stand-in's public key of a label: a real Ed25519 key, computed once. */
function fastPublicKey(label: string): Uint8Array {
  let publicKey = fastKeys.get(label);
  if (publicKey === undefined) fastKeys.set(label, (publicKey = ed25519.getPublicKey(sha256(utf8(`scryp/sim/key/v1 ${label}`)))));
  return publicKey;
}

const fastCrypto: SimCrypto = {
  mode: 'fast',
  signer(label: string): Signer {
    const publicKey = fastPublicKey(label);
    return { publicKey, sign: (message) => fastSign(publicKey, zeroNonce, message) };
  },
  verify: fastVerify,
  resign(label, networkId, tx, random) {
    const publicKey = fastPublicKey(label);
    let nonce = random.bytes(half_signature_bytes);
    if (nonce.every((byte) => byte === 0)) nonce = Uint8Array.of(1, ...nonce.subarray(1));
    const out = tx.slice();
    out.set(fastSign(publicKey, nonce, signingMessage(networkId, tx)), signatureOffsetOf(tx));
    return out;
  },
};

const realSigners = new Map<string, Signer>();

function realSeed(label: string): Uint8Array {
  return sha256(utf8(`scryp/sim/seed/v1 ${label}`));
}

const realCrypto: SimCrypto = {
  mode: 'real',
  signer(label: string): Signer {
    let signer = realSigners.get(label);
    if (signer === undefined) realSigners.set(label, (signer = signerFromSeed(realSeed(label))));
    return signer;
  },
  verify: verifyEd25519,
  resign(label, networkId, tx, random) {
    // Ed25519 with a random nonce r instead of RFC 8032's deterministic one: R = rB,
    // S = r + H(R || A || M)·a. A valid, different signature of the same message.
    const L = ed25519.Point.Fn.ORDER;
    const seed = realSeed(label);
    const sha512 = (...parts: Uint8Array[]): Uint8Array => {
      const hash = createHash('sha512');
      for (const part of parts) hash.update(part);
      return new Uint8Array(hash.digest());
    };
    const littleEndian = (bytes: Uint8Array): bigint => {
      let value = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
      return value;
    };
    const toLittleEndian = (value: bigint): Uint8Array => {
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++, value >>= 8n) out[i] = Number(value & 0xffn);
      return out;
    };
    const head = sha512(seed).slice(0, 32);
    head[0]! &= 248;
    head[31]! &= 127;
    head[31]! |= 64;
    const a = littleEndian(head) % L;
    const publicKey = ed25519.getPublicKey(seed);
    const message = signingMessage(networkId, tx);
    const r = (littleEndian(sha512(random.bytes(64))) % (L - 1n)) + 1n;
    const R = ed25519.Point.BASE.multiply(r).toBytes();
    const k = littleEndian(sha512(R, publicKey, message)) % L;
    const S = (r + k * a) % L;
    const out = tx.slice();
    out.set(R, signatureOffsetOf(tx));
    out.set(toLittleEndian(S), signatureOffsetOf(tx) + half_signature_bytes);
    return out;
  },
};

export function simCrypto(mode: CryptoMode): SimCrypto {
  return mode === 'real' ? realCrypto : fastCrypto;
}
