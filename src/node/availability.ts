// Whether this server answers clients, and why not: the one answer that every edge reads
// (the UDP requests, the gateway through the same handler, /healthz and the metrics).
// A server serves only in consensus: taking part, in sync with the servers in force,
// caught up with every certificate it has seen, and hearing a quorum of them. Anything
// else is UNAVAILABLE to a client, and /healthz says which of these it is, in the order
// below (the first that holds is the reason).

import type { QuorumMode } from '../network.ts';
import { periodOf } from '../schedule.ts';
import type { CatchUp } from './catch-up.ts';
import type { NodeContext } from './context.ts';

export interface Availability {
  /** What clients hear: OK (and the answer) when true, UNAVAILABLE when false. */
  readonly available: boolean;
  /** One line for a person: where the server stands, or why it does not serve. */
  readonly reason: string;
}

/** What availability weighs, as the core knows it at one instant. */
export interface Standing {
  /** Why it stopped taking part (it holds a fork), or null. */
  readonly halted: string | null;
  /** Why it no longer takes part (a committed change removed it), or null. */
  readonly removed: string | null;
  /** No configuration it knows names its key yet. */
  readonly joining: boolean;
  /** Its state is not the certified one: it waits for a snapshot. */
  readonly outOfSync: boolean;
  /** A catch-up request (records or a snapshot) is in flight. */
  readonly catchingUp: boolean;
  readonly committed: number;
  /** The highest period it holds a certificate of (its committed period when none is beyond it). */
  readonly certified: number;
  /** Accounts of a snapshot still to come (0 when none is on its way). */
  readonly snapshotAccountsLeft: number;
  /** The servers in force (the configuration that decides the next period) and how many of them it heard lately, itself included when it is one. */
  readonly heard: number;
  readonly servers: number;
  readonly quorum: number;
  readonly member: boolean;
  readonly mode: QuorumMode;
}

export function availabilityOf(standing: Standing): Availability {
  const { committed } = standing;
  if (standing.halted !== null) return { available: false, reason: `stopped: ${standing.halted}` };
  if (standing.removed !== null) return { available: false, reason: `removed: ${standing.removed}` };
  if (standing.joining) {
    return { available: false, reason: `joining: no configuration this server knows names its key yet; it follows the network (committed period ${committed}) and takes part once a committed change names it` };
  }
  if (standing.outOfSync) return { available: false, reason: `out of sync: our state differs from the majority's; fetching a snapshot (committed period ${committed})` };
  if (standing.catchingUp || standing.certified > committed) {
    const left = standing.snapshotAccountsLeft > 0 ? `, ${standing.snapshotAccountsLeft} accounts of a snapshot still to come` : '';
    return { available: false, reason: `catching up: the majority has committed past our period ${committed}${left}` };
  }
  if (standing.heard < standing.quorum) {
    const what = standing.mode === 'majority' ? 'majority' : 'quorum';
    return {
      available: false,
      reason: `no ${what} heard: ${standing.heard} of ${standing.servers} servers${standing.member ? ' (this one included)' : ''} heard in the last period, ${standing.quorum} needed`,
    };
  }
  return { available: true, reason: `available: committed period ${committed}` };
}

/** Where this server stands now, as the core knows it: what availabilityOf weighs. */
export function standingOf(context: NodeContext, catchUp: CatchUp, now: number): Standing {
  const membership = context.membership();
  const member = membership.members.has(context.self);
  const current = periodOf(context.timing, now);
  let heard = member ? 1 : 0;
  for (const id of membership.ids) if (id !== context.self && context.lastHeard[id]! >= current - 1) heard++;
  return {
    halted: context.halted,
    removed: context.removed,
    joining: context.self < 0,
    outOfSync: catchUp.outOfSync,
    catchingUp: catchUp.asking,
    committed: context.committed.period,
    certified: context.highestCertified(),
    snapshotAccountsLeft: catchUp.snapshotAccountsLeft,
    heard,
    servers: membership.ids.length,
    quorum: membership.quorum,
    member,
    mode: context.network.quorumMode,
  };
}
