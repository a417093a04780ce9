// Simulated clients: wallets that pay one another at random through random servers, and
// misbehave on purpose. Each action becomes one or more PAY requests, each for one server
// at one instant; the simulator delivers them (a request to a crashed server is lost, as
// a datagram would be) and hands every answer back here and to the invariants.
//
// The kinds of payment (the double spends and the malformed ones are the point):
//   normal      a plain payment, as a wallet makes it: to the alpha of the period it stamps
//               (the next period's, in a period's last few ms)
//   spread      the same bytes to two or three servers at about the same time
//   burst       several payments from one payer in one period, together more than it holds
//   replay      the bytes of an earlier payment, sent again in a later period
//   resigned    the same body with another valid signature (same txid, other bytes)
//   overdraft   more than the payer holds (sometimes 2^32 − 1)
//   zero        amount 0
//   self        payer = payee
//   bad_sig     a bit flipped in the signature
//   stale       a timestamp two periods or more in the past
//   future      a timestamp two periods or more in the future
//   bad_payee   to a key no one can sign for: the identity 0100…00, a non-canonical
//               encoding (y = p), or 32 bytes that are not a point (y = 2)
//
// With a reference share above 0 (SimOptions.references), that share of the payments
// signed is the 148-byte form with a random reference (1 … 2^64 − 1), whatever its kind:
// both forms go through the same servers, batches and checks. At 0 nothing is drawn for
// it, so runs without references are the runs they always were.

import { balance_max, wallet_next_period_margin_ms } from '../constants.ts';
import type { Network } from '../network.ts';
import { alphaOf, endOf, periodOf, startOf, type Timing } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import { signatureOffsetOf, signPayment } from '../transaction.ts';
import type { SimCrypto } from './crypto.ts';
import type { Random } from './random.ts';

export type PaymentKind = 'normal' | 'spread' | 'burst' | 'replay' | 'resigned' | 'overdraft' | 'zero' | 'self' | 'bad_sig' | 'stale' | 'future' | 'bad_payee';

/** Kinds that no server may ever answer ACCEPTED or FORWARDED. */
export const invalid_kinds: ReadonlySet<PaymentKind> = new Set(['zero', 'self', 'bad_sig', 'stale', 'future', 'bad_payee']);

/** Payees no one can sign for (src/signature.ts keyProblem): small order, non-canonical, not a point. */
const unspendable_payees: readonly Uint8Array[] = [
  Uint8Array.of(1, ...new Uint8Array(31)),
  Uint8Array.of(0xed, ...new Uint8Array(30).fill(0xff), 0x7f),
  Uint8Array.of(2, ...new Uint8Array(31)),
];

const kind_weights: readonly (readonly [PaymentKind, number])[] = [
  ['normal', 40],
  ['spread', 10],
  ['burst', 6],
  ['replay', 6],
  ['resigned', 8],
  ['overdraft', 6],
  ['zero', 3],
  ['self', 3],
  ['bad_sig', 6],
  ['stale', 3],
  ['future', 3],
  ['bad_payee', 3],
];
const kind_weight_total = kind_weights.reduce((sum, [, weight]) => sum + weight, 0);

export interface Wallet {
  readonly label: string;
  readonly signer: Signer;
}

export interface PayRequest {
  /** Global simulated time at which the request reaches the server. */
  readonly at: number;
  readonly server: number;
  readonly tx: Uint8Array;
  readonly kind: PaymentKind;
}

export interface AcceptedPayment {
  readonly txidHex: string;
  readonly period: number;
  readonly server: number;
  readonly kind: PaymentKind;
  readonly at: number;
}

/** Wallets in the simulation; the first `funded` hold the genesis supply. */
export function simWallets(crypto: SimCrypto, count: number): Wallet[] {
  return Array.from({ length: count }, (_, i) => ({ label: `wallet ${i}`, signer: crypto.signer(`wallet ${i}`) }));
}

export class Clients {
  /** Recent well-formed payments, for replays and re-signatures. */
  private readonly recent: { tx: Uint8Array; wallet: Wallet }[] = [];
  readonly attempts = new Map<PaymentKind, number>();

  constructor(
    private readonly network: Network,
    private readonly timing: Timing,
    private readonly crypto: SimCrypto,
    readonly wallets: readonly Wallet[],
    private readonly random: Random,
    /** How far a client's clock may be off (ms). */
    private readonly clockSkewMaxMs: number,
    /** The share of payments signed with a reference (0: none, and no random draw for it). */
    private readonly referenceShare = 0,
  ) {}

  private pickKind(): PaymentKind {
    let roll = this.random.int(kind_weight_total);
    for (const [kind, weight] of kind_weights) {
      if (roll < weight) return kind;
      roll -= weight;
    }
    return 'normal';
  }

  private server(now: number): number {
    // The network file's servers (a change may move the alpha elsewhere: those payments are forwarded or refused).
    const n = this.network.servers.length;
    // Half the time the current alpha, so that payments get accepted, not just forwarded.
    return this.random.chance(0.5) ? alphaOf(n, periodOf(this.timing, now)) : this.random.int(n);
  }

  private sign(wallet: Wallet, timestamp: number, amount: number, payee: Uint8Array): Uint8Array {
    if (this.referenceShare > 0 && this.random.chance(this.referenceShare)) {
      // A u64 from two draws, never 0: the high word anything, the low word at least 1.
      const reference = (BigInt(this.random.u32()) << 32n) | BigInt(Math.max(1, this.random.u32()));
      return signPayment(wallet.signer, this.network.id, { timestamp, amount, payee, reference });
    }
    return signPayment(wallet.signer, this.network.id, { timestamp, amount, payee });
  }

  private remember(tx: Uint8Array, wallet: Wallet): void {
    this.recent.push({ tx, wallet });
    if (this.recent.length > 64) this.recent.shift();
  }

  /**
   * One client action at global time `now`: the requests it makes. `balanceOf` is what a
   * wallet believes it holds (a server's committed view, as a BALANCE query would say).
   */
  act(now: number, balanceOf: (account: Uint8Array) => number): PayRequest[] {
    const random = this.random;
    const kind = this.pickKind();
    this.attempts.set(kind, (this.attempts.get(kind) ?? 0) + 1);
    const clock = now + random.between(-this.clockSkewMaxMs, this.clockSkewMaxMs);
    const funded = this.wallets.filter((wallet) => balanceOf(wallet.signer.publicKey) > 0);
    const payer = funded.length > 0 && kind !== 'overdraft' ? random.pick(funded) : random.pick(this.wallets);
    let payee = random.pick(this.wallets);
    if (payee === payer) payee = this.wallets[(this.wallets.indexOf(payer) + 1) % this.wallets.length]!;
    const balance = balanceOf(payer.signer.publicKey);
    const usual = (): number => (balance < 2 ? 1 : random.chance(0.1) ? balance : random.between(1, Math.max(1, Math.floor(balance / 3))));
    const one = (tx: Uint8Array, delay = random.between(0, 20)): PayRequest => ({ at: now + delay, server: this.server(now + delay), tx, kind });

    switch (kind) {
      case 'normal': {
        // As a wallet pays (src/client/wallet.ts): stamped by its clock and sent straight to the
        // alpha of the period it stamps; in the period's last few ms, stamped at the next
        // period's start and sent to the next alpha, which takes it already (PROTOCOL §4).
        const period = periodOf(this.timing, clock);
        const timestamp = clock >= endOf(this.timing, period) - wallet_next_period_margin_ms ? endOf(this.timing, period) : clock;
        const tx = this.sign(payer, timestamp, usual(), payee.signer.publicKey);
        this.remember(tx, payer);
        const delay = random.between(0, 20);
        return [{ at: now + delay, server: alphaOf(this.network.servers.length, periodOf(this.timing, timestamp)), tx, kind }];
      }
      case 'spread': {
        const tx = this.sign(payer, clock, usual(), payee.signer.publicKey);
        this.remember(tx, payer);
        const servers = random.sample(
          Array.from({ length: this.network.servers.length }, (_, i) => i),
          Math.min(this.network.servers.length, random.between(2, 3)),
        );
        return servers.map((server) => ({ at: now + random.between(0, 30), server, tx, kind }));
      }
      case 'burst': {
        const count = random.between(2, 4);
        const requests: PayRequest[] = [];
        const server = this.server(now);
        for (let i = 0; i < count; i++) {
          const amount = Math.max(1, Math.floor((balance * random.between(30, 70)) / 100));
          const target = random.pick(this.wallets);
          const tx = this.sign(payer, clock + i, amount, (target === payer ? payee : target).signer.publicKey);
          this.remember(tx, payer);
          requests.push({ at: now + i * random.between(0, 5), server, tx, kind });
        }
        return requests;
      }
      case 'replay': {
        if (this.recent.length === 0) return [];
        return [one(random.pick(this.recent).tx)];
      }
      case 'resigned': {
        if (this.recent.length === 0) return [];
        const { tx, wallet } = this.recent[this.recent.length - 1 - random.int(Math.min(4, this.recent.length))]!;
        const again = this.crypto.resign(wallet.label, this.network.id, tx, random);
        return [one(again)];
      }
      case 'overdraft': {
        const amount = random.chance(0.2) ? balance_max : Math.min(balance_max, balance + random.between(1, Math.max(1, balance)));
        const tx = this.sign(payer, clock, amount, payee.signer.publicKey);
        return [one(tx)];
      }
      case 'zero':
        return [one(this.sign(payer, clock, 0, payee.signer.publicKey))];
      case 'self':
        return [one(this.sign(payer, clock, Math.max(1, usual()), payer.signer.publicKey))];
      case 'bad_sig': {
        const tx = this.sign(payer, clock, usual(), payee.signer.publicKey);
        const bit = random.int(64 * 8);
        tx[signatureOffsetOf(tx) + (bit >> 3)]! ^= 1 << (bit & 7);
        return [one(tx)];
      }
      case 'stale': {
        const period = periodOf(this.timing, now) - random.between(2, 50);
        const timestamp = startOf(this.timing, period) + random.int(this.timing.periodMs);
        return [one(this.sign(payer, timestamp, usual(), payee.signer.publicKey))];
      }
      case 'future': {
        const period = periodOf(this.timing, now) + random.between(2, 50);
        const timestamp = startOf(this.timing, period) + random.int(this.timing.periodMs);
        return [one(this.sign(payer, timestamp, usual(), payee.signer.publicKey))];
      }
      case 'bad_payee':
        return [one(this.sign(payer, clock, usual(), random.pick(unspendable_payees)))];
    }
  }
}
