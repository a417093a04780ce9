// Time in scryp: periods of period_ms aligned to the epoch, a rotating alpha that
// accepts payments for one period, and the beta that broadcasts that period's batch at
// the start of the next. Pure functions of time: tests drive them with plain numbers.
//
//   period k:         [start(k) ................................ end(k)) = [k·p, (k+1)·p)
//   alpha(k):   |blackout| takes payments stamped in k, straight from wallets, until end(k)
//   forwarders:           pass payments stamped in k on ............| blackout |
//   beta(k+1):                                                        PROPOSAL(k) at start(k+1)
//
// alpha(k) = servers[k mod n]; beta(k) = alpha(k − 1): the server whose alpha period just
// ended proposes it, so the batch never has to change hands before it is broadcast. The
// servers are those in force, which server-set changes move (PROTOCOL §8.13): the node
// asks its configurations (node/configurations.ts), a client the configuration it learnt.
// So the timing of a network holds its clock only, never a count of servers.

import type { Network } from './network.ts';

export interface Timing {
  readonly periodMs: number;
  readonly blackoutMs: number;
  readonly skewMs: number;
}

/** A network's clock: its period, blackout and skew (the same in every configuration). */
export function timingOf(network: Pick<Network, 'periodMs' | 'blackoutMs' | 'skewMs'>): Timing {
  return { periodMs: network.periodMs, blackoutMs: network.blackoutMs, skewMs: network.skewMs };
}

export function periodOf(timing: Timing, timeMs: number): number {
  return Math.floor(timeMs / timing.periodMs);
}

export function startOf(timing: Timing, period: number): number {
  return period * timing.periodMs;
}

export function endOf(timing: Timing, period: number): number {
  return (period + 1) * timing.periodMs;
}

/** The position in the rotation of `servers` servers whose alpha period `period` is. */
export function alphaOf(servers: number, period: number): number {
  return period % servers;
}

/** The position of the beta of `period` (the alpha of the period before, which it proposes). */
export function betaOf(servers: number, period: number): number {
  // alpha(k - 1) taken modulo n into [0, n): JS `%` keeps the sign, so period 0 would give -1 (or -0).
  return (period + servers - 1) % servers;
}

/**
 * The first instant at which the alpha of `period` takes payments stamped in it: `blackout_ms`
 * before the period starts, so that a wallet whose own period is about to end can stamp the
 * next one and be taken at once (docs/PROTOCOL.md §4).
 */
export function acceptingFrom(timing: Timing, period: number): number {
  return startOf(timing, period) - timing.blackoutMs;
}

/**
 * The last instant (exclusive) at which a server that is not the alpha of `period` passes a
 * payment stamped in it on (forwards it): the blackout is the time a forwarded payment has to
 * reach the alpha before it seals its batch at the period's end.
 */
export function forwardingUntil(timing: Timing, period: number): number {
  return endOf(timing, period) - timing.blackoutMs;
}

/** Who applies the accept rule to a payment: the alpha of the period it is stamped in, or any other server (which forwards it). */
export type Taker = 'alpha' | 'forwarder';

export type TimeVerdict = 'ok' | 'wrong_period' | 'blackout' | 'skew';

/**
 * Rule 2 of payment acceptance (PROTOCOL §4), on the taker's clock: the payment's period k
 * (of its timestamp) takes payments now, from acceptingFrom(k) until its end for its alpha
 * (which seals its batch then), until forwardingUntil(k) for a forwarder; and the timestamp
 * is within skew_ms of now. A timestamp lies in exactly one period, and only that period's
 * batch can apply it (every server re-validates period(timestamp) = k): the windows of two
 * periods may overlap, a payment's never.
 */
export function checkTimestamp(timing: Timing, timestampMs: number, nowMs: number, taker: Taker): TimeVerdict {
  const period = periodOf(timing, timestampMs);
  if (nowMs < acceptingFrom(timing, period) || nowMs >= endOf(timing, period)) return 'wrong_period';
  if (taker === 'forwarder' && nowMs >= forwardingUntil(timing, period)) return 'blackout';
  if (Math.abs(timestampMs - nowMs) > timing.skewMs) return 'skew';
  return 'ok';
}
