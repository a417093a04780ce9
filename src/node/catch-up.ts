// Catch-up (docs/PROTOCOL.md §8.9): a server behind the certificates it has seen, or out of
// sync with the majority (NodeContext.markOutOfSync), chooses a peer and asks it: for the
// periods it lacks (SYNC_REQUEST), replayed one by one against their certificates
// (SYNC_RECORDS), or for a snapshot when the peer no longer holds them or our state is
// not the majority's (received in snapshots.ts). A request unanswered in time goes to
// another peer. This side also answers the peers' SYNC_REQUESTs from the store.

import { sync_records_per_reply_max, sync_reply_bytes_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import type { PeriodRecord } from '../peer/messages.ts';
import type { Agreement, Proposal } from './agreement.ts';
import type { NodeContext } from './context.ts';
import type { SnapshotReceiving } from './snapshots.ts';

export type Sync =
  | { mode: 'records'; peer: number; sentAt: number; after: number }
  | { mode: 'snapshot'; peer: number; sentAt: number; receiving: SnapshotReceiving | null };

export class CatchUp {
  /** After an answer that brought nothing, the next SYNC_REQUEST waits until then. */
  private syncQuietUntil = 0;
  private syncRotation = 0;
  /** Peers that left a request unanswered: not asked again while another may be (reset when all have). */
  private readonly silentPeers = new Set<number>();

  constructor(
    private readonly context: NodeContext,
    private readonly agreement: Agreement,
  ) {}

  /** When catch-up must look again at the latest: a request to send, or one timing out (Infinity: none). */
  nextAskAt(): number {
    const context = this.context;
    let at = Number.POSITIVE_INFINITY;
    if (context.behindSince !== null && context.sync === null) at = Math.min(at, Math.max(context.behindSince + context.syncGraceMs, this.syncQuietUntil));
    if (context.sync !== null) at = Math.min(at, context.sync.sentAt + context.syncTimeoutMs);
    return at;
  }

  private syncPeer(target: number): number {
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
    this.syncRotation++;
    return pool[this.syncRotation % pool.length]!;
  }

  /**
   * The period to catch up to: the highest certified one we know. A server that no
   * configuration it knows names (one joining) cannot check the certificates of the servers
   * that replaced its configuration yet; it goes by what its peers say they committed, and
   * checks everything it then receives from the network file on (snapshots.ts).
   */
  private target(): number {
    const context = this.context;
    const certified = Math.max(context.highestCertified(), context.aheadHint);
    if (context.self >= 0) return certified;
    return Math.max(certified, ...context.peerCommitted);
  }

  driveSync(now: number): void {
    const context = this.context;
    if (context.sync !== null) {
      if (now - context.sync.sentAt < context.syncTimeoutMs) return;
      context.count('sync_timeout');
      context.log.warn(`catch-up: server ${context.sync.peer} did not answer in ${context.syncTimeoutMs} ms; asking another`);
      this.silentPeers.add(context.sync.peer);
      const snapshot = context.sync.mode === 'snapshot';
      context.sync = null;
      if (snapshot) context.outOfSync = true; // keep asking for a snapshot
    }
    const target = this.target();
    if (!context.outOfSync && target <= context.committed.period) return;
    if (context.behindSince === null) context.behindSince = now;
    const gap = target - context.committed.period;
    if (!context.outOfSync && gap <= 1 && now - context.behindSince < context.syncGraceMs) return; // the batch may still be on its way
    if (!context.outOfSync && now < this.syncQuietUntil) return; // the last answer had nothing: do not ask again at once
    if (context.configurations.size <= 1 && context.self >= 0) return;
    const peer = this.syncPeer(target);
    if (context.outOfSync) {
      context.sync = { mode: 'snapshot', peer, sentAt: now, receiving: null };
      context.send(peer, { type: 'snapshot_request' });
      context.log.info(`catch-up: asking server ${peer} for a snapshot`);
    } else {
      context.sync = { mode: 'records', peer, sentAt: now, after: context.committed.period };
      context.send(peer, { type: 'sync_request', after: context.committed.period });
      context.log.info(`catch-up: asking server ${peer} for the periods after ${context.committed.period} (certified up to ${target})`);
    }
  }

  handleSyncRequest(from: number, after: number): void {
    const context = this.context;
    // A server with an empty ledger needs no history: a snapshot costs O(accounts), not O(periods).
    if (after === 0 && context.committed.period > 0) {
      context.send(from, { type: 'sync_records', snapshotNeeded: true, records: [] });
      return;
    }
    const records = context.store.records(after, sync_records_per_reply_max, sync_reply_bytes_max);
    if (records === 'snapshot_needed') {
      context.send(from, { type: 'sync_records', snapshotNeeded: true, records: [] });
    } else {
      context.send(from, { type: 'sync_records', snapshotNeeded: false, records });
    }
  }

  handleSyncRecords(from: number, records: PeriodRecord[], snapshotNeeded: boolean, now: number): void {
    const context = this.context;
    this.silentPeers.delete(from); // it answers again
    // The answer to the request we wait for, about where we stand now? Records are checked
    // one by one and kept whatever their age; but a late "snapshot needed" (an answer to a
    // request that timed out, sent before we caught up another way) says nothing about our
    // committed period now. Found by the simulator: a stale one sent a server that was in
    // sync after a needless snapshot.
    const awaited = context.sync?.mode === 'records' && context.sync.peer === from && context.sync.after === context.committed.period;
    let applied = 0;
    for (const record of records) {
      const certificate = record.certificate;
      if (certificate.period <= context.committed.period) continue;
      if (certificate.parent !== context.committed.period || !equal(certificate.parentHash, context.committed.hash)) {
        context.reject('sync_record_unchained', `catch-up: server ${from} sent period ${certificate.period} on parent ${certificate.parent}, we hold ${context.committed.period}`);
        break;
      }
      // (Checked again under its parent's configuration, now known exactly: the cache may hold a check made under a guess.)
      if (!this.agreement.checkCertificate(certificate) || !this.agreement.holdsInItsConfiguration(certificate)) {
        context.reject('bad_certificate', `catch-up: server ${from} sent period ${certificate.period} with a certificate that does not verify`);
        break;
      }
      const base: Proposal = { period: certificate.period, decided: certificate.period, hash: certificate.hash, transactions: record.transactions, parent: context.committed, outcome: null, txids: null, message: null };
      const proposal: Proposal = record.change === undefined ? base : { ...base, change: record.change };
      const outcome = this.agreement.outcomeOf(proposal);
      if (!equal(outcome.prepared.hash, certificate.hash)) {
        context.count('state_differs');
        context.log.error(`catch-up: replaying period ${certificate.period} gives another hash than the certificate: we are out of sync`);
        context.markOutOfSync(now);
        return;
      }
      this.agreement.commit(certificate, record.transactions, outcome, now, record.change);
      applied++;
    }
    if (context.sync?.mode === 'records' && context.sync.peer === from) context.sync = null;
    // Nothing new (the peer has not committed what we lack either): ask again after a grace,
    // not at once. Found by the simulator: servers behind the same certificate asked one
    // another every round trip, forever.
    if (applied === 0 && !snapshotNeeded) {
      this.syncQuietUntil = now + context.syncGraceMs;
      context.aheadHint = 0; // whoever claimed more, this peer had nothing beyond our period: ask again only if told again
    }
    if (applied > 0) context.log.info(`catch-up: replayed ${applied} periods from server ${from}, now at period ${context.committed.period}`);
    if (snapshotNeeded && !awaited) {
      context.count('sync_snapshot_needed_stale');
      snapshotNeeded = false;
    }
    if (snapshotNeeded) {
      context.log.info(`catch-up: server ${from} answers that a snapshot is needed (${context.committed.period === 0 ? 'we start from genesis' : `it no longer has the periods after ${context.committed.period}`}); fetching a snapshot`);
      context.outOfSync = true;
    }
    if (applied > 0 && context.highestCertified() > context.committed.period) this.driveSync(now);
    else if (snapshotNeeded) this.driveSync(now);
  }
}
