// A wallet's view of a payment, from signing to its end: committed, void or refused.
//
//   sign (timestamp = now; in a period's last wallet_next_period_margin_ms, the next period's
//   start) -> PAY straight to the alpha of the period it is stamped in (PROTOCOL §4: it takes
//   such payments until its period's end, and the next period's from this one's blackout on),
//   resent on loss; the same bytes go to the next server when one is silent or UNAVAILABLE
//   (never a new signature: a silent server may have taken the payment and lost only its
//   reply); another server forwards it until the blackout
//     ACCEPTED / FORWARDED / DUPLICATE -> in the batch of period k: wait
//     no answer anywhere                -> it may be in: wait for its outcome before anything
//     BAD_TIME, or refused everywhere   -> sign again for the next period (a new payment)
//     BAD_AMOUNT, BAD_PAYEE, INSUFFICIENT_FUNDS, BAD_SIGNATURE, BAD_REQUEST -> refused
//   wait: right after period k's commit is due, ask every server STATUS, every few ms while it
//     is due, then less often; a majority says
//     COMMITTED -> committed; VOID -> void; UNKNOWN with a committed period >= k -> void
//     (period k was decided without it); anything else -> wait one more period.
//   void: never applied, so the wallet signs it anew and sends it again (five times at most).
//   Timeouts scale with the period, and a server that stays silent is not asked again.
//
// A payment with a reference (an invoice number the payee chose, 1 … 2^64 − 1) is signed in
// the 148-byte form and sent with PAYREF; every step after is the same. Without one it is the
// 140-byte form and PAY, as always.
//
// Before anything is signed, a payee no one can sign for (src/signature.ts keyProblem) is
// refused with UNSPENDABLE_KEY: the servers would refuse it too (BAD_PAYEE), and a wallet
// says why before it asks anyone.

import { balance_max, confirm_poll_fast_ms, confirm_poll_first_ms, confirm_poll_max_ms, key_bytes, wallet_next_period_margin_ms } from '../constants.ts';
import { toHex } from '../bytes.ts';
import type { Network } from '../network.ts';
import { acceptingFrom, alphaOf, periodOf, startOf, endOf, timingOf } from '../schedule.ts';
import { encodeAddress } from '../address.ts';
import { fail } from '../errors.ts';
import { describeKeyProblem, keyProblem, type Signer } from '../signature.ts';
import { areference, signPayment, txidOf } from '../transaction.ts';
import { Kind, PaymentState, payKindOf, Status, statusName, type StatusBody } from './codec.ts';
import { askMajority } from './majority.ts';
import { type ClientTransport, ReplyTimeout } from './transport.ts';

export type PaymentEnd =
  | { outcome: 'committed'; txid: Uint8Array; period: number }
  | { outcome: 'void'; txid: Uint8Array; period: number }
  | { outcome: 'refused'; txid: Uint8Array | null; status: string }
  | { outcome: 'timeout'; txid: Uint8Array | null; period: number | null };

export interface PayRequest {
  readonly to: Uint8Array;
  readonly amount: number;
  /** The payee's reference (1 … 2^64 − 1): the payment is then the 148-byte form, sent with PAYREF. */
  readonly reference?: bigint;
  /**
   * The server to send to first (index in the network); others are tried when it is
   * unavailable. By default the alpha of the period the payment is stamped in, which takes
   * it at once (a forwarder would have to pass it on before the blackout).
   */
  readonly server?: number;
  /** Called once the payment is signed and on its way (the CLI refreshes what it knows of the servers then, not before). */
  readonly onSent?: () => void;
  /** The network as the wallet knows it now (a refresh may move servers while it waits); by default the one given. */
  readonly networkNow?: () => Network;
  /** How many times a void payment is signed anew and sent again (default 5). */
  readonly voidResends?: number;
  /** How many periods to wait for the outcome after the payment's period. */
  readonly patiencePeriods?: number;
  readonly onProgress?: (message: string) => void;
  readonly now?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Refuses, before anything is signed, a payee no one can sign for: money sent there could never move. */
export function assertPayable(payee: Uint8Array, field: string): void {
  const problem = keyProblem(payee);
  if (problem === null) return;
  const shown = payee.length === key_bytes ? encodeAddress(payee) : `${payee.length} bytes`;
  fail('UNSPENDABLE_KEY', `${field} ${shown}: no one can sign for this key (${describeKeyProblem(problem)}); money sent there could never be spent, so nothing was signed. Check the address with the payee.`);
}

/**
 * When to stamp a payment signed at `t`: `t`, or in its period's last
 * wallet_next_period_margin_ms the next period's start (the current alpha could seal its
 * batch before the payment reaches it; the next alpha takes it already, PROTOCOL §4).
 */
export function stampFor(network: Pick<Network, 'periodMs' | 'blackoutMs' | 'skewMs'>, t: number): number {
  const timing = timingOf(network);
  const end = endOf(timing, periodOf(timing, t));
  return t >= end - Math.min(wallet_next_period_margin_ms, timing.blackoutMs) ? end : t;
}

export async function pay(client: ClientTransport, network: Network, signer: Signer, request: PayRequest): Promise<PaymentEnd> {
  const now = request.now ?? Date.now;
  const networkNow = request.networkNow ?? (() => network);
  const progress = request.onProgress ?? (() => {});
  const timing = timingOf(network);
  if (!Number.isInteger(request.amount) || request.amount < 1 || request.amount > balance_max) {
    return { outcome: 'refused', txid: null, status: 'BAD_AMOUNT' };
  }
  assertPayable(request.to, 'recipient');
  const reference = request.reference === undefined ? undefined : areference(request.reference, 'reference');
  // A server that stayed silent is not asked again for this payment: it is probably down,
  // and waiting on it would spend whole periods.
  const silent = new Set<number>();
  // Resends double the wait: t + 2t + 4t stays under half a period.
  const timeoutMs = Math.max(20, Math.min(150, Math.floor(network.periodMs / 16)));
  let preferred = request.server ?? null;
  let lastTxid: Uint8Array | null = null;
  let voidResends = 0;
  let sent = false;
  /** A period refused (BAD_TIME, or refused everywhere): the next signing stamps a later one. */
  let after = -1;
  for (let signing = 0; signing < 12; signing++) {
    const servers = networkNow().servers;
    let t = stampFor(network, now());
    if (periodOf(timing, t) <= after) {
      // Wait until the period after the refused one takes payments, and stamp it.
      await sleep(acceptingFrom(timing, after + 1) - now());
      t = Math.max(now(), startOf(timing, after + 1));
    }
    const tx = signPayment(signer, network.id, { timestamp: t, amount: request.amount, payee: request.to, ...(reference === undefined ? {} : { reference }) });
    const txid = txidOf(tx);
    lastTxid = txid;
    const period = periodOf(timing, t);
    const first = preferred ?? alphaOf(servers.length, period);
    // The same bytes go to one server after another until one gives a definite answer.
    // Signing anew is only safe once this payment can no longer be applied: a server that
    // did not answer may have taken it (only the reply was lost).
    let mayBeIn = false;
    let answer: { status: number; period: number } | null = null;
    for (let k = 0; k < servers.length && answer === null && now() < endOf(timing, period); k++) {
      const server = (first + k) % servers.length;
      if (silent.has(server)) continue;
      const target = servers[server]!;
      try {
        const asked = client.ask(target.address, { kind: payKindOf(tx), transaction: tx }, { networkId: network.id, serverKey: target.key, attempts: 3, timeoutMs });
        if (!sent) {
          sent = true;
          request.onSent?.();
        }
        const reply = await asked;
        progress(`server ${server}: ${statusName[reply.status]} (txid ${toHex(txid)}, period ${period})`);
        if (reply.status === Status.UNAVAILABLE || reply.status === Status.RATE_LIMITED) continue;
        answer = { status: reply.status, period: reply.body !== null && 'period' in reply.body ? reply.body.period : period };
        if (reply.status !== Status.BAD_TIME && request.server !== undefined) preferred = server;
      } catch (error) {
        if (!(error instanceof ReplyTimeout)) throw error;
        mayBeIn = true;
        silent.add(server);
        progress(`server ${server} did not answer; not asking it again for this payment`);
      }
    }
    if (silent.size === servers.length) silent.clear(); // everyone silent: try them all again
    const status = answer?.status ?? null;
    const inBatch = status === Status.ACCEPTED || status === Status.FORWARDED || status === Status.DUPLICATE;
    const uncertain = (status === null || status === Status.BAD_TIME) && mayBeIn;
    if (inBatch || uncertain) {
      const end = await waitForOutcome(client, networkNow, txid, answer?.period ?? period, request.patiencePeriods ?? 8, progress, now);
      // Void means it was never applied and never will be: sending it again, signed anew, is safe.
      if (end.outcome === 'void' && voidResends++ < (request.voidResends ?? 5)) {
        progress(`period ${end.period} was decided without txid ${toHex(txid)}: sending the payment again`);
        continue;
      }
      return end;
    }
    if (status === null || status === Status.BAD_TIME) {
      // Refused everywhere without a doubt (or its period ran out): sign again for a later
      // period. After BAD_TIME, start with another server: this one's clock may be wrong.
      if (status === Status.BAD_TIME && preferred !== null) preferred = (preferred + 1) % servers.length;
      after = Math.max(period, periodOf(timing, now()) - 1);
      continue;
    }
    return { outcome: 'refused', txid, status: statusName[status] ?? String(status) };
  }
  return { outcome: 'timeout', txid: lastTxid, period: null };
}

export async function waitForOutcome(
  client: ClientTransport,
  networkOf: Network | (() => Network),
  txid: Uint8Array,
  period: number,
  patiencePeriods: number,
  progress: (message: string) => void,
  now: () => number = Date.now,
): Promise<PaymentEnd> {
  const current = typeof networkOf === 'function' ? networkOf : () => networkOf;
  const network = current();
  const timing = timingOf(network);
  // Period k is proposed at the start of k + 1 and commits a few milliseconds later (votes,
  // two disk syncs). Ask from then on, soon and then less often: the person waits for this.
  await sleep(startOf(timing, period + 1) + confirm_poll_first_ms - now());
  const deadline = endOf(timing, period + patiencePeriods);
  let gap = confirm_poll_first_ms;
  while (now() < deadline) {
    const agreement = await askMajority(
      client,
      current(),
      { kind: Kind.STATUS, txid },
      (reply) => (reply.status === Status.OK && reply.body !== null && 'state' in reply.body ? (reply.body as StatusBody) : null),
      (body) => (body === null ? 'none' : body.state === PaymentState.UNKNOWN ? `unknown:${body.period >= period}` : `${body.state}:${body.period}`),
    );
    const body = agreement.value;
    if (body !== null) {
      if (body.state === PaymentState.COMMITTED) return { outcome: 'committed', txid, period: body.period };
      if (body.state === PaymentState.VOID) return { outcome: 'void', txid, period: body.period };
      if (body.state === PaymentState.UNKNOWN && body.period >= period) return { outcome: 'void', txid, period };
    }
    progress(`waiting: ${body === null ? 'no majority yet' : body.state === PaymentState.PENDING ? `pending in period ${body.period}` : `servers committed up to ${body.period}`}`);
    await sleep(gap);
    // Every few ms while a commit is due (it lands within tens of ms of the period's end),
    // then twice as long each time: a stalled network is not asked hundreds of times.
    if (now() > startOf(timing, period + 1) + confirm_poll_fast_ms) gap = Math.min(2 * gap, Math.max(confirm_poll_first_ms, Math.floor(network.periodMs / 4)), confirm_poll_max_ms);
  }
  return { outcome: 'timeout', txid, period };
}
