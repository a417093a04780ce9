// Catch-up (docs/PROTOCOL.md §8.9), one owner for where it stands. A server behind the
// certificates it has seen, or out of sync with the majority, chooses a peer and asks it:
// for the periods it lacks (SYNC_REQUEST, replayed in replay.ts), or for a snapshot when the
// peer no longer holds them or our state is not the majority's (received in snapshots.ts).
// A request unanswered in time goes to another peer.
//
// Where it stands is one Stage, changed only through enter(next), which asserts that the
// move is one the machine makes and logs old → new (as TigerBeetle's sync stages):
//
//                 certificate beyond us           grace over, ask
//       idle ───────────────────────────▶ behind ────────────────▶ asking_records
//         ▲                                  ▲  ◀── answered, or timed out ──┘   │
//         └──── caught up ───────────────────┘                              "snapshot needed"
//                                                                                │
//   (any) ── our state is not the certified one ──▶ out_of_sync ◀────────────────┘
//                                                      │ ask                 ▲ refused, timed out
//                                                      ▼                     │
//                                               asking_snapshot ──header──▶ receiving_snapshot
//                                                                              │ installed
//                                                                              ▼
//                                                                        behind, or idle
//
// Two facts ride along: since when we are behind (`since`, for the grace before the first
// ask; null once a commit caught us up while a request was out), and, during a snapshot,
// whether our own state is still known wrong (`outOfSync`: a commit of our own may set it
// right while the pages come, and then only a newer snapshot is taken).

import { assert } from '../errors.ts';
import type { NodeContext } from './context.ts';
import type { SnapshotReceiving } from './snapshot-assembly.ts';

export type Stage =
  /** In step with every certificate we know. */
  | { readonly name: 'idle' }
  /** Certificates beyond our committed period (or a peer's word of them): waiting a grace for the batch, or between asks. */
  | { readonly name: 'behind'; readonly since: number }
  | { readonly name: 'asking_records'; readonly since: number | null; readonly peer: number; readonly sentAt: number; readonly after: number }
  /** Our state is not the certified one: only a snapshot repairs it. */
  | { readonly name: 'out_of_sync'; readonly since: number | null }
  | { readonly name: 'asking_snapshot'; readonly since: number | null; readonly outOfSync: boolean; readonly peer: number; readonly sentAt: number }
  | {
      readonly name: 'receiving_snapshot';
      readonly since: number | null;
      readonly outOfSync: boolean;
      readonly peer: number;
      readonly sentAt: number;
      readonly receiving: SnapshotReceiving;
    };

export type StageName = Stage['name'];

/** The moves the machine makes (a stage may always be entered again, with new fields). */
const transitions: Record<StageName, readonly StageName[]> = {
  idle: ['behind', 'out_of_sync'],
  behind: ['idle', 'asking_records', 'out_of_sync'],
  asking_records: ['idle', 'behind', 'out_of_sync'],
  out_of_sync: ['idle', 'behind', 'asking_snapshot'],
  asking_snapshot: ['idle', 'behind', 'out_of_sync', 'receiving_snapshot'],
  receiving_snapshot: ['idle', 'behind', 'out_of_sync'],
};

export function validTransition(from: StageName, to: StageName): boolean {
  return from === to || transitions[from].includes(to);
}

/** The stage with no request in flight: out of sync, behind since `since`, or idle. */
function settled(outOfSync: boolean, since: number | null): Stage {
  if (outOfSync) return { name: 'out_of_sync', since };
  return since === null ? { name: 'idle' } : { name: 'behind', since };
}

export class CatchUp {
  private current: Stage = { name: 'idle' };
  /**
   * The highest period a peer's STATUS claims committed under a configuration we cannot check
   * yet: where to ask to go, nothing more (never counted as certified, so a peer that lies
   * about it cannot keep us unavailable). Forgotten when an answer brings nothing.
   */
  aheadHint = 0;
  /** After an answer that brought nothing, the next SYNC_REQUEST waits until then. */
  quietUntil = 0;
  private rotation = 0;
  /** Peers that left a request unanswered: not asked again while another may be (reset when all have). */
  private readonly silentPeers = new Set<number>();

  constructor(private readonly context: NodeContext) {}

  get stage(): Stage {
    return this.current;
  }

  /** The one way the stage changes: the move must be one the machine makes; a change of name is logged. */
  enter(next: Stage): void {
    const from = this.current.name;
    assert(validTransition(from, next.name), `catch-up moves from ${from} to ${next.name}`);
    this.current = next;
    if (from !== next.name) this.context.log.debug(`catch-up: ${from} -> ${next.name}`);
  }

  // ---- what the stage says ---------------------------------------------------------------

  /** Our state is known not to be the certified one. */
  get outOfSync(): boolean {
    const stage = this.current;
    return stage.name === 'out_of_sync' || ((stage.name === 'asking_snapshot' || stage.name === 'receiving_snapshot') && stage.outOfSync);
  }

  /** A request (records or a snapshot) is in flight. */
  get asking(): boolean {
    const name = this.current.name;
    return name === 'asking_records' || name === 'asking_snapshot' || name === 'receiving_snapshot';
  }

  /** Since when we are behind, or null. */
  get since(): number | null {
    const stage = this.current;
    return stage.name === 'idle' ? null : stage.since;
  }

  /** The snapshot being received, if any. */
  get receiving(): SnapshotReceiving | null {
    return this.current.name === 'receiving_snapshot' ? this.current.receiving : null;
  }

  /** Accounts of a snapshot still to come (0 when none is on its way). */
  get snapshotAccountsLeft(): number {
    const receiving = this.receiving;
    return receiving === null ? 0 : receiving.accounts - receiving.received;
  }

  // ---- what moves it -----------------------------------------------------------------------

  /** A certificate beyond our committed period: we are behind from now, unless we already were. */
  behind(now: number): void {
    if (this.since !== null) return;
    const stage = this.current;
    this.enter(stage.name === 'idle' ? { name: 'behind', since: now } : { ...stage, since: now });
  }

  /** Our committed period reached every certificate we know: no longer behind (a request in flight stays). */
  caughtUp(): void {
    const stage = this.current;
    if (stage.name === 'idle' || stage.since === null) return;
    this.enter(stage.name === 'behind' ? { name: 'idle' } : { ...stage, since: null });
  }

  /** We committed a period on our own state: it is the certified one (a snapshot still on its way is taken only if newer). */
  stateHolds(): void {
    const stage = this.current;
    if (stage.name === 'out_of_sync') this.enter(settled(false, stage.since));
    else if ((stage.name === 'asking_snapshot' || stage.name === 'receiving_snapshot') && stage.outOfSync) this.enter({ ...stage, outOfSync: false });
  }

  /**
   * Our state is not the majority's (a certificate conflicts with our committed period, or
   * replaying a certified batch gives another hash): a snapshot repairs it. A snapshot on
   * its way goes on; a request for records is dropped.
   */
  markOutOfSync(now: number): void {
    const context = this.context;
    if (!this.outOfSync) context.log.warn('out of sync with the majority: fetching a snapshot');
    const stage = this.current;
    const since = this.since ?? now;
    if (stage.name === 'asking_snapshot' || stage.name === 'receiving_snapshot') this.enter({ ...stage, since, outOfSync: true });
    else this.enter({ name: 'out_of_sync', since });
  }

  /** The request in flight ended (answered, refused or timed out); `outOfSync`: our state is known wrong (again). */
  settle(outOfSync: boolean): void {
    this.enter(settled(outOfSync, this.since));
  }

  // ---- asking --------------------------------------------------------------------------------

  /** When catch-up must look again at the latest: a request to send, or one timing out (Infinity: none). */
  nextAskAt(): number {
    const context = this.context;
    const stage = this.current;
    if (stage.name === 'asking_records' || stage.name === 'asking_snapshot' || stage.name === 'receiving_snapshot') return stage.sentAt + context.syncTimeoutMs;
    if (stage.name === 'idle' || stage.since === null) return Number.POSITIVE_INFINITY;
    return Math.max(stage.since + context.syncGraceMs, this.quietUntil);
  }

  /** A peer answered (it is not silent). */
  heardFrom(peer: number): void {
    this.silentPeers.delete(peer);
  }

  private peerFor(target: number): number {
    const context = this.context;
    const candidates: number[] = [];
    const servers = context.configurations.size;
    for (let i = 0; i < servers; i++) {
      if (i !== context.self && context.peerCommitted[i]! > context.committed.period) {
        candidates.push(i);
      }
    }
    const certificate = context.certified.get(target);
    if (certificate !== undefined) for (const vote of certificate.votes) if (vote.voter !== context.self && !candidates.includes(vote.voter)) candidates.push(vote.voter);
    if (candidates.length === 0) {
      for (let i = 0; i < servers; i++) if (i !== context.self) candidates.push(i);
    }
    // The rotation runs over a list that changes between asks, so it could land on the peer
    // that just left a request unanswered (a liar, or one cut off), two periods lost each
    // time (found by the simulator's liars: sync-peer-repeated).
    let pool = candidates.filter((peer) => !this.silentPeers.has(peer));
    if (pool.length === 0) {
      this.silentPeers.clear(); // every candidate was silent once: try them all again
      pool = candidates;
    }
    this.rotation++;
    return pool[this.rotation % pool.length]!;
  }

  /**
   * The period to catch up to: the highest certified one we know. A server that no
   * configuration it knows names (one joining) cannot check the certificates of the servers
   * that replaced its configuration yet; it goes by what its peers say they committed, and
   * checks everything it then receives from the network file on (snapshots.ts).
   */
  private target(): number {
    const context = this.context;
    const certified = Math.max(context.highestCertified(), this.aheadHint);
    if (context.self >= 0) return certified;
    return Math.max(certified, ...context.peerCommitted);
  }

  /** Looks again: a request timed out goes to another peer; a server behind (after a grace) or out of sync asks one. */
  drive(now: number): void {
    const context = this.context;
    const stage = this.current;
    if (stage.name === 'asking_records' || stage.name === 'asking_snapshot' || stage.name === 'receiving_snapshot') {
      if (now - stage.sentAt < context.syncTimeoutMs) return;
      context.count('sync_timeout');
      context.log.warn(`catch-up: server ${stage.peer} did not answer in ${context.syncTimeoutMs} ms; asking another`);
      this.silentPeers.add(stage.peer);
      this.settle(stage.name !== 'asking_records'); // a snapshot timed out: keep asking for one
    }
    const outOfSync = this.outOfSync;
    const target = this.target();
    if (!outOfSync && target <= context.committed.period) return;
    this.behind(now);
    const since = this.since!;
    const gap = target - context.committed.period;
    if (!outOfSync && gap <= 1 && now - since < context.syncGraceMs) return; // the batch may still be on its way
    if (!outOfSync && now < this.quietUntil) return; // the last answer had nothing: do not ask again at once
    if (context.configurations.size <= 1 && context.self >= 0) return;
    const peer = this.peerFor(target);
    if (outOfSync) {
      this.enter({ name: 'asking_snapshot', since, outOfSync: true, peer, sentAt: now });
      context.send(peer, { type: 'snapshot_request' });
      context.log.info(`catch-up: asking server ${peer} for a snapshot`);
    } else {
      const after = context.committed.period;
      this.enter({ name: 'asking_records', since, peer, sentAt: now, after });
      context.send(peer, { type: 'sync_request', after });
      context.log.info(`catch-up: asking server ${peer} for the periods after ${after} (certified up to ${target})`);
    }
  }
}
