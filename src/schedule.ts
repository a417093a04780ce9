// Time in scryp: periods of period_ms aligned to the epoch, a rotating alpha that
// accepts payments for one period, and the beta that broadcasts that period's batch at
// the start of the next. Pure functions of time: tests drive them with plain numbers.
//
//   period k:   [start(k) ................................ end(k)) = [k·p, (k+1)·p)
//   alpha(k):    accepts payments stamped in k ....| blackout |
//   beta(k+1):                                                 PROPOSAL(k) at start(k+1)
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

/** The last instant (exclusive) at which the alpha of `period` accepts payments. */
export function acceptingUntil(timing: Timing, period: number): number {
  return endOf(timing, period) - timing.blackoutMs;
}

export type TimeVerdict = 'ok' | 'wrong_period' | 'blackout' | 'skew';

/**
 * Rule 2 of payment acceptance: the timestamp falls in the current period, the period is
 * not in its blackout, and the timestamp is within skew_ms of now.
 */
export function checkTimestamp(timing: Timing, timestampMs: number, nowMs: number): TimeVerdict {
  const current = periodOf(timing, nowMs);
  if (periodOf(timing, timestampMs) !== current) return 'wrong_period';
  if (nowMs >= acceptingUntil(timing, current)) return 'blackout';
  if (Math.abs(timestampMs - nowMs) > timing.skewMs) return 'skew';
  return 'ok';
}
