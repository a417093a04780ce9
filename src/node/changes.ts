// Configuration changes (docs/PROTOCOL.md §8.13): a change a client submits, or a peer passes
// on, is checked against the newest configuration and kept as this server's one candidate
// for a beta to carry; the beta carries it if it may still be carried by its period; every
// voter checks a carried change again (changeProblem) on its committed state; and a
// committed period that carried one extends the chain, and with it what every server knows.

import { compare, equal } from '../bytes.ts';
import { isScrypError, type ScrypError } from '../errors.ts';
import { periodOf } from '../schedule.ts';
import { type Change, change_lead_periods, checkChange, type CommittedChange, encodeChange } from '../consensus/configuration.ts';
import type { NodeContext } from './context.ts';

export class Changes {
  /** A change a client or a peer submitted, checked against the newest configuration, for a beta to carry (§8.13). */
  private candidate: Change | null = null;

  constructor(private readonly context: NodeContext) {}

  /**
   * Why a change may not be carried by period `carrier` on our committed state, or null:
   * the newest configuration must be the one in force (one change at a time), and the
   * change must meet every rule of checkChange. Deterministic: every server decides alike.
   */
  problemWith(change: Change, carrier: number): string | null {
    const context = this.context;
    const latest = context.configurations.latest;
    if (context.configurations.at(context.committed.period).configuration.number !== latest.number) {
      return `configuration ${latest.number} is committed and starts at period ${latest.first}: one change at a time`;
    }
    try {
      checkChange(context.network.id, latest, change, carrier, context.verifySignature);
      return null;
    } catch (error) {
      if (isScrypError(error)) return error.message;
      throw error;
    }
  }

  /** The change the beta of `period` carries: the candidate, if it may be carried now (a stale one is dropped). */
  toCarry(period: number): Change | null {
    const context = this.context;
    const candidate = this.candidate;
    if (candidate === null) return null;
    const problem = this.problemWith(candidate, period);
    if (problem === null) return candidate;
    if (candidate.replaces < context.configurations.latest.number || (candidate.first !== 0 && candidate.first < period + change_lead_periods)) {
      context.log.warn(`the submitted change to configuration ${candidate.replaces + 1} can no longer be carried: ${problem}`);
      this.candidate = null;
    }
    return null;
  }

  /**
   * A change submitted by a client (queries) or passed on by a peer: checked against the
   * newest configuration (signatures, list, the one it replaces), kept as the candidate a
   * beta carries, and passed on to the other servers once. Returns the refusal, or null.
   */
  submit(change: Change, from: number | 'client', now: number): ScrypError | null {
    const context = this.context;
    const latest = context.configurations.latest;
    const known = this.candidate;
    const bytes = encodeChange(change);
    const knownBytes = known === null ? null : encodeChange(known);
    // The same change again (every server passes it on once): nothing to check twice.
    if (knownBytes !== null && equal(knownBytes, bytes)) return null;
    let problem: ScrypError | null = null;
    try {
      // Carried at the earliest in the current period: a first period too close is refused now.
      checkChange(context.network.id, latest, change, Math.max(context.committed.period + 1, periodOf(context.timing, now)), context.verifySignature);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      problem = error;
    }
    if (problem !== null) {
      if (from !== 'client') context.reject('change_refused', `CHANGE from server ${from} refused: ${problem.message}`);
      return problem;
    }
    // Two different changes of one configuration (or one change with two sets of signatures):
    // every server keeps the same one, the lower in byte order, and passes on only a change it
    // takes. Otherwise servers swapped candidates and passed each on again, forever (found by
    // the simulator: a storm of CHANGE messages in one instant).
    if (known !== null && knownBytes !== null && known.replaces === latest.number && equal(known.replacesHash, latest.hash) && compare(knownBytes, bytes) < 0) {
      context.count('change_not_preferred');
      return null;
    }
    this.candidate = change;
    context.count('change_submitted');
    context.log.info(`change to configuration ${latest.number + 1} (${change.servers.length} servers) taken ${from === 'client' ? 'from a client' : `from server ${from}`}: the next beta carries it`);
    context.send('others', { type: 'change', change });
    return null;
  }

  /** A committed period carried a change: the chain grows, and with it what every server knows of the servers. */
  adopt(entry: CommittedChange): void {
    const context = this.context;
    const previous = context.configurations.latest;
    try {
      context.adoptChain([...context.chain, entry]);
    } catch (error) {
      // A certified change that does not follow from the chain: more servers lied than any quorum tolerates.
      if (!isScrypError(error)) throw error;
      context.halted = `period ${entry.carrier} was certified with a change we cannot accept (${error.message}); this server stopped taking part`;
      context.log.error(`STOPPED: ${context.halted}`);
      return;
    }
    const next = context.configurations.latest;
    if (this.candidate !== null && this.candidate.replaces <= previous.number) this.candidate = null;
    context.count('configuration_changes');
    context.log.info(
      `configuration ${next.number} committed in period ${entry.carrier}: ${next.servers.length} servers, quorum ${next.quorum}, from period ${next.first} (configuration ${previous.number} had ${previous.servers.length})`,
    );
  }
}
