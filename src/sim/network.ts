// The simulated network between servers: batches of messages in flight, each with its
// delivery time, in one priority queue.
//
// A batch is what the node's transport sends in one frame: the messages one core call
// put in its outbox for one peer, in order, as BYTES: encodeMessage on the way in,
// decodeMessage on the way out (and encode again, which must give the same bytes), so
// that a codec bug shows up as a failed run, not as a silent shortcut.
//
// Faults, per the current LinkConditions: a batch may be lost, delivered twice, delayed
// (sometimes by a lot), or overtake the batches sent before it (otherwise a link is
// FIFO, as a TCP connection is). Partitions cut sets of links; a batch that meets a cut
// is lost or, like a transport queue that reconnects, held until the partition heals.

import type { RawMessage } from '../peer/framing.ts';
import { quiet_links, type LinkConditions } from './faults.ts';
import { TimeQueue } from './queue.ts';
import type { Random } from './random.ts';

export interface Batch {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly sentAt: number;
  readonly id: number;
  readonly messages: readonly RawMessage[];
  readonly duplicate: boolean;
}

export type DeliveryFate = 'sent' | 'dropped' | 'held' | 'cut';

export class SimNetwork {
  private readonly inFlight = new TimeQueue<Batch>();
  private readonly held: Batch[] = [];
  /** Latest delivery time per link (from·n + to): FIFO unless a batch is allowed to overtake. */
  private readonly linkTail: number[];
  /** Group of each server; servers in different groups cannot talk. */
  private groups: number[];
  /** Directed links cut on their own (one-way failures). */
  private readonly cutLinks = new Set<number>();
  private holdsWhileCut = false;
  private nextId = 1;
  conditions: LinkConditions = quiet_links;
  sent = 0;
  dropped = 0;
  duplicated = 0;
  delivered = 0;

  constructor(
    readonly serverCount: number,
    private readonly random: Random,
  ) {
    this.linkTail = new Array(serverCount * serverCount).fill(0);
    this.groups = new Array(serverCount).fill(0);
  }

  get partitioned(): boolean {
    return this.cutLinks.size > 0 || this.groups.some((group) => group !== 0);
  }

  connected(from: number, to: number): boolean {
    return this.groups[from] === this.groups[to] && !this.cutLinks.has(from * this.serverCount + to);
  }

  /** Cuts the network into groups (group id per server) and/or directed links. */
  partition(groups: readonly number[], cut: readonly (readonly [number, number])[], holds: boolean): void {
    this.groups = groups.slice();
    this.cutLinks.clear();
    for (const [from, to] of cut) this.cutLinks.add(from * this.serverCount + to);
    this.holdsWhileCut = holds;
  }

  /** Heals every cut; held batches leave now, with a fresh delay. */
  heal(now: number): void {
    this.groups.fill(0);
    this.cutLinks.clear();
    const held = this.held.splice(0);
    for (const batch of held) this.schedule(now, batch.from, batch.to, batch.messages, false);
  }

  /** One batch from a server to another, leaving at `now`. */
  send(now: number, from: number, to: number, messages: readonly RawMessage[]): DeliveryFate {
    this.sent++;
    if (!this.connected(from, to)) return this.meetCut(now, from, to, messages);
    const conditions = this.conditions;
    if (this.random.chance(conditions.drop)) {
      this.dropped++;
      return 'dropped';
    }
    this.schedule(now, from, to, messages, false);
    if (this.random.chance(conditions.duplicate)) {
      this.duplicated++;
      this.schedule(now, from, to, messages, true);
    }
    return 'sent';
  }

  private meetCut(now: number, from: number, to: number, messages: readonly RawMessage[]): DeliveryFate {
    if (this.holdsWhileCut) {
      this.held.push({ at: now, from, to, sentAt: now, id: this.nextId++, messages, duplicate: false });
      return 'held';
    }
    this.dropped++;
    return 'cut';
  }

  private schedule(now: number, from: number, to: number, messages: readonly RawMessage[], duplicate: boolean): void {
    const conditions = this.conditions;
    let delay = this.random.between(conditions.delayMinMs, conditions.delayMaxMs);
    if (this.random.chance(conditions.longDelay)) delay += this.random.between(0, conditions.longDelayMaxMs);
    let at = now + delay;
    const link = from * this.serverCount + to;
    const overtake = duplicate || this.random.chance(conditions.reorder);
    if (!overtake) {
      at = Math.max(at, this.linkTail[link]!);
      this.linkTail[link] = at;
    }
    this.inFlight.push({ at, from, to, sentAt: now, id: this.nextId++, messages, duplicate });
  }

  /** When the next batch arrives, or +∞. */
  nextAt(): number {
    return this.inFlight.peekAt();
  }

  /**
   * The next batch that arrives, or null when it met a cut on the way (lost or held):
   * a partition that forms while a batch is in flight catches it too.
   */
  deliverNext(): { batch: Batch; fate: 'delivered' | 'dropped' | 'held' } {
    const batch = this.inFlight.pop()!;
    if (!this.connected(batch.from, batch.to)) {
      if (this.holdsWhileCut) {
        this.held.push(batch);
        return { batch, fate: 'held' };
      }
      this.dropped++;
      return { batch, fate: 'dropped' };
    }
    this.delivered++;
    return { batch, fate: 'delivered' };
  }
}
