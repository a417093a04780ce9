// When `scryp watch` acts (pure: time and randomness are arguments).
//
//   - A HISTORY round a quarter period into each period (watch_poll_phase_fraction): the
//     period before has just committed (tens of ms after its end on a LAN).
//   - A backlog being walked (follow.ts opened a lower window, or closed one with progress): the next round at once.
//   - No quorum answers: rounds one period apart, doubling up to
//     watch_unreachable_backoff_ms_max, until a quorum answers again.
//   - A delivery that failed (a webhook not 2xx, a command not exit 0): again after
//     watch_delivery_retry_first_ms, doubling up to watch_delivery_retry_max_ms, with
//     "equal jitter" (a random half of each delay) so that many watchers retrying one
//     receiver do not come back in step. There is no last attempt: a payment is never dropped.

import { watch_delivery_retry_first_ms, watch_delivery_retry_max_ms, watch_poll_phase_fraction, watch_unreachable_backoff_ms_max } from '../constants.ts';

/** The next round's time after `now`: at the poll phase of the next period, or at once (`again`: a backlog is being walked). */
export function nextRoundAt(periodMs: number, now: number, again: boolean): number {
  if (again) return now;
  const phase = Math.floor(periodMs * watch_poll_phase_fraction);
  return (Math.floor((now - phase) / periodMs) + 1) * periodMs + phase;
}

/** The wait before round `failures` + 1 when the last `failures` rounds heard no quorum (failures ≥ 1). */
export function unreachableDelayMs(periodMs: number, failures: number): number {
  return Math.min(periodMs * 2 ** Math.min(failures - 1, 30), watch_unreachable_backoff_ms_max);
}

/** The wait after the `failures`-th failed attempt of one delivery (failures ≥ 1); `random` in [0, 1). */
export function deliveryRetryDelayMs(failures: number, random: number): number {
  const cap = Math.min(watch_delivery_retry_first_ms * 2 ** Math.min(failures - 1, 30), watch_delivery_retry_max_ms);
  return Math.round(cap / 2 + (cap / 2) * random);
}
