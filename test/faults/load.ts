// A steady payment load, as wallets make it: each payment stamped with the sender's clock
// outside the blackout, signed, sent as a PAY to one server chosen at random (one in ten
// also to a second server, the same bytes: a double submission that must still apply at
// most once). Every payment and every answer is kept, for the accounting at the end.
//
// Sends do not wait for one another: a server that is down (kill -9, a cut link) costs its
// timeouts but does not slow the load down.

import { toHex } from '../../src/bytes.ts';
import { Kind, Status, statusName } from '../../src/client/codec.ts';
import { forwardingUntil, periodOf, startOf, timingOf } from '../../src/schedule.ts';
import type { Signer } from '../../src/signature.ts';
import { signPayment, txidOf } from '../../src/transaction.ts';
import { testSigner } from '../helpers/keys.ts';
import type { Prng } from '../helpers/prng.ts';
import type { FaultCluster } from './cluster.ts';

export interface Answer {
  readonly server: number;
  /** A status code, or null when the server did not answer. */
  readonly status: number | null;
  /** When the request left, and when the answer came (or the client gave up). */
  readonly sentAt: number;
  readonly at: number;
}

export interface Payment {
  readonly txid: string;
  readonly tx: Uint8Array;
  /** period(timestamp): the only period the payment can ever apply in. */
  readonly period: number;
  readonly amount: number;
  readonly answers: Answer[];
}

export interface LoadOptions {
  /** Milliseconds between two payments. */
  readonly everyMs: number;
  /** The servers to send to at this moment (default: all). */
  readonly targets?: () => readonly number[];
  /** Fraction of payments also sent to a second server. */
  readonly doubleSend?: number;
}

export class PaymentLoad {
  readonly payments: Payment[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly payees: Signer[];
  private counter = 0;

  constructor(
    private readonly cluster: FaultCluster,
    private readonly prng: Prng,
    private readonly options: LoadOptions,
  ) {
    this.payees = Array.from({ length: 12 }, (_, i) => testSigner(`fault payee ${i}`));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops sending and waits for every answer (or timeout) still due. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const timing = timingOf(this.cluster.network);
    const margin = Math.max(25, Math.floor(timing.periodMs / 10));
    while (this.running) {
      const now = Date.now();
      const period = periodOf(timing, now);
      // A wallet does not stamp a payment it cannot get to the alpha before the blackout.
      if (now >= forwardingUntil(timing, period) - margin) {
        await Bun.sleep(startOf(timing, period + 1) + 5 - now);
        continue;
      }
      const sending = this.sendOne(now);
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
      await Bun.sleep(this.options.everyMs);
    }
  }

  private newPayment(now: number): Payment {
    const n = this.counter++;
    const payer = this.cluster.wallets[n % this.cluster.wallets.length]!;
    const payee = this.payees[this.prng.nextInt(this.payees.length)]!;
    const amount = 1 + this.prng.nextInt(9);
    const tx = signPayment(payer, this.cluster.network.id, { timestamp: now, amount, payee: payee.publicKey });
    const payment: Payment = { txid: toHex(txidOf(tx)), tx, period: periodOf(timingOf(this.cluster.network), now), amount, answers: [] };
    this.payments.push(payment);
    return payment;
  }

  private async send(payment: Payment, server: number): Promise<Answer> {
    const sentAt = Date.now();
    const reply = await this.cluster.ask(server, { kind: Kind.PAY, transaction: payment.tx }, 2, 60);
    const answer = { server, status: reply?.status ?? null, sentAt, at: Date.now() };
    payment.answers.push(answer);
    return answer;
  }

  private async sendOne(now: number): Promise<void> {
    const targets = this.options.targets?.() ?? this.cluster.indexes;
    if (targets.length === 0) return;
    const payment = this.newPayment(now);
    const first = targets[this.prng.nextInt(targets.length)]!;
    const servers = [first];
    if (targets.length > 1 && this.prng.nextFloat() < (this.options.doubleSend ?? 0.1)) {
      const others = targets.filter((server) => server !== first);
      servers.push(others[this.prng.nextInt(others.length)]!);
    }
    await Promise.all(servers.map((server) => this.send(payment, server)));
  }

  /** One more payment, now, to one given server; it is accounted for like the others. */
  async probe(server: number): Promise<Answer> {
    return this.send(this.newPayment(Date.now()), server);
  }

  /** How many payments got each answer, e.g. { ACCEPTED: 120, FORWARDED: 200, none: 3 }. */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const payment of this.payments) {
      for (const answer of payment.answers) {
        const name = answer.status === null ? 'none' : (statusName[answer.status] ?? String(answer.status));
        out[name] = (out[name] ?? 0) + 1;
      }
    }
    return out;
  }

  /** Answers of one server to requests sent between two instants. */
  answersOf(server: number, from: number, to: number): Answer[] {
    return this.payments.flatMap((payment) => payment.answers.filter((answer) => answer.server === server && answer.sentAt >= from && answer.sentAt <= to));
  }

  accepted(): Payment[] {
    return this.payments.filter((payment) => payment.answers.some((answer) => answer.status === Status.ACCEPTED));
  }
}
