// The fault mixes of the simulator and the plan that turns one into events.
//
// A run alternates fault EPISODES (the mix below is active) with QUIET windows (no drops,
// no duplicates, no partitions, every server up, short delays, messages in order per
// link). Liveness is checked in every quiet window once it is `liveness_tail_periods`
// long, and the run always ends with such a tail. Mode `none` is one long quiet window.
//
// Each kind of fault draws from its own random stream, so a shrinker can turn one kind
// off without reshuffling the decisions of the others.

import type { Random } from './random.ts';

export type FaultMode = 'none' | 'light' | 'heavy';
export const fault_modes: readonly FaultMode[] = ['none', 'light', 'heavy'];

/** The kinds a shrinker can turn off one by one. */
export type FaultKind = 'drop' | 'duplicate' | 'reorder' | 'delay' | 'partition' | 'crash' | 'late_start' | 'skew';
export const fault_kinds: readonly FaultKind[] = ['drop', 'duplicate', 'reorder', 'delay', 'partition', 'crash', 'late_start', 'skew'];

/** Periods of calm after which every server must have caught up and agree. */
export const liveness_tail_periods = 10;

export interface LinkConditions {
  /** Probability that a batch is lost. */
  readonly drop: number;
  /** Probability that a batch is delivered twice. */
  readonly duplicate: number;
  /** Probability that a batch may overtake those sent before it on its link. */
  readonly reorder: number;
  /** Usual one-way delay, uniform in [min, max] ms. */
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** Probability of a long delay, uniform up to longDelayMaxMs. */
  readonly longDelay: number;
  readonly longDelayMaxMs: number;
}

export interface FaultMix {
  readonly mode: FaultMode;
  /** The network during fault episodes. */
  readonly links: LinkConditions;
  /** Probability, per period of an episode, that a server crashes (then restarts after a while). */
  readonly crashPerPeriod: number;
  readonly downPeriodsMax: number;
  /** Probability, per period of an episode, that a partition forms (it heals after a while). */
  readonly partitionPerPeriod: number;
  readonly partitionPeriodsMax: number;
  /** Probability that a partition holds its batches until it heals instead of losing them. */
  readonly partitionHolds: number;
  /** Each server's clock is off by up to this much (fixed for the run). */
  readonly clockSkewMaxMs: number;
  /** Probability that a server joins late, after the others committed a while without it. */
  readonly lateStart: number;
  readonly lateStartPeriodsMax: number;
  /** Episode and quiet window lengths in periods. */
  readonly episodePeriods: readonly [number, number];
  readonly quietPeriods: readonly [number, number];
  /** Mean client payment attempts per period. */
  readonly paymentsPerPeriod: number;
}

/** The network of a quiet window, and of mode `none`: nothing lost, little delay, in order. */
export const quiet_links: LinkConditions = {
  drop: 0,
  duplicate: 0,
  reorder: 0,
  delayMinMs: 1,
  delayMaxMs: 15,
  longDelay: 0,
  longDelayMaxMs: 0,
};

const mixes: Record<FaultMode, FaultMix> = {
  none: {
    mode: 'none',
    links: quiet_links,
    crashPerPeriod: 0,
    downPeriodsMax: 0,
    partitionPerPeriod: 0,
    partitionPeriodsMax: 0,
    partitionHolds: 0,
    clockSkewMaxMs: 40,
    lateStart: 0,
    lateStartPeriodsMax: 0,
    episodePeriods: [0, 0],
    quietPeriods: [1, 1],
    paymentsPerPeriod: 6,
  },
  light: {
    mode: 'light',
    links: { drop: 0.01, duplicate: 0.01, reorder: 0.05, delayMinMs: 1, delayMaxMs: 40, longDelay: 0.01, longDelayMaxMs: 600 },
    crashPerPeriod: 0.02,
    downPeriodsMax: 6,
    partitionPerPeriod: 0.02,
    partitionPeriodsMax: 4,
    partitionHolds: 0.3,
    clockSkewMaxMs: 100,
    lateStart: 0.1,
    lateStartPeriodsMax: 6,
    episodePeriods: [5, 40],
    quietPeriods: [3, 25],
    paymentsPerPeriod: 6,
  },
  heavy: {
    mode: 'heavy',
    links: { drop: 0.1, duplicate: 0.05, reorder: 0.3, delayMinMs: 1, delayMaxMs: 150, longDelay: 0.05, longDelayMaxMs: 2_500 },
    crashPerPeriod: 0.12,
    downPeriodsMax: 15,
    partitionPerPeriod: 0.1,
    partitionPeriodsMax: 8,
    partitionHolds: 0.3,
    clockSkewMaxMs: 250,
    lateStart: 0.25,
    lateStartPeriodsMax: 20,
    episodePeriods: [5, 60],
    quietPeriods: [1, 20],
    paymentsPerPeriod: 8,
  },
};

/** A mix with some kinds of fault turned off (for shrinking). */
export function faultMix(mode: FaultMode, disabled: ReadonlySet<FaultKind> = new Set()): FaultMix {
  const base = mixes[mode];
  const off = (kind: FaultKind): boolean => disabled.has(kind);
  return {
    ...base,
    links: {
      drop: off('drop') ? 0 : base.links.drop,
      duplicate: off('duplicate') ? 0 : base.links.duplicate,
      reorder: off('reorder') ? 0 : base.links.reorder,
      delayMinMs: base.links.delayMinMs,
      delayMaxMs: off('delay') ? quiet_links.delayMaxMs : base.links.delayMaxMs,
      longDelay: off('delay') ? 0 : base.links.longDelay,
      longDelayMaxMs: off('delay') ? 0 : base.links.longDelayMaxMs,
    },
    crashPerPeriod: off('crash') ? 0 : base.crashPerPeriod,
    partitionPerPeriod: off('partition') ? 0 : base.partitionPerPeriod,
    lateStart: off('late_start') ? 0 : base.lateStart,
    clockSkewMaxMs: off('skew') ? 0 : base.clockSkewMaxMs,
  };
}

export function isFaultMode(text: string): text is FaultMode {
  return (fault_modes as readonly string[]).includes(text);
}

export function isFaultKind(text: string): text is FaultKind {
  return (fault_kinds as readonly string[]).includes(text);
}

/**
 * Which periods of the run are fault episodes. Drawn lazily, period by period, from its
 * own stream: the plan of the first k periods does not depend on how long the run is.
 */
export class EpisodePlan {
  private inEpisode = false;
  private left = 0;
  private quietSince = 0;

  constructor(
    private readonly mix: FaultMix,
    private readonly random: Random,
  ) {}

  /** Advances to run period `index` (0, 1, 2, ... in order); `final` forces quiet. */
  next(index: number, final: boolean): { faulty: boolean; quietSince: number } {
    if (final || this.mix.mode === 'none') {
      if (this.inEpisode || index === 0) this.quietSince = index;
      this.inEpisode = false;
      return { faulty: false, quietSince: this.quietSince };
    }
    if (this.left === 0) {
      this.inEpisode = !this.inEpisode || index === 0;
      const [min, max] = this.inEpisode ? this.mix.episodePeriods : this.mix.quietPeriods;
      this.left = this.random.between(min, max);
      if (!this.inEpisode) this.quietSince = index;
    }
    this.left--;
    return { faulty: this.inEpisode, quietSince: this.quietSince };
  }
}
