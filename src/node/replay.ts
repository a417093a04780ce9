// Catch-up by replay (docs/PROTOCOL.md §8.9): SYNC_REQUEST answered from the store, and the
// SYNC_RECORDS a peer sends replayed one by one against their certificates: each record must
// build on our committed period, its certificate must hold under its parent's configuration,
// and replaying its batch on our state must give the certified hash (or we are out of sync).
// Each record committed is one step (steps.ts): what its commit queues is done before the next.

import { sync_records_per_reply_max, sync_reply_bytes_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import type { PeriodRecord } from '../peer/messages.ts';
import type { CatchUp } from './catch-up.ts';
import type { Certificates } from './certificates.ts';
import type { Commits } from './commits.ts';
import type { NodeContext } from './context.ts';
import type { Proposal } from './pending.ts';
import type { Proposals } from './proposals.ts';

export class Replay {
  constructor(
    private readonly context: NodeContext,
    private readonly catchUp: CatchUp,
    private readonly certificates: Certificates,
    private readonly proposals: Proposals,
    private readonly commits: Commits,
  ) {}

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

  /** SYNC_RECORDS from `from`: the replay starts (records_replayed). */
  handleSyncRecords(from: number, records: readonly PeriodRecord[], snapshotNeeded: boolean): void {
    const context = this.context;
    this.catchUp.heardFrom(from); // it answers again
    // The answer to the request we wait for, about where we stand now? Records are checked
    // one by one and kept whatever their age; but a late "snapshot needed" (an answer to a
    // request that timed out, sent before we caught up another way) says nothing about our
    // committed period now. Found by the simulator: a stale one sent a server that was in
    // sync after a needless snapshot.
    const stage = this.catchUp.stage;
    const awaited = stage.name === 'asking_records' && stage.peer === from && stage.after === context.committed.period;
    context.then({ kind: 'records_replayed', from, records, index: 0, applied: 0, snapshotNeeded, awaited });
  }

  /** Replays record `index` (and queues the next), or ends the replay. */
  replay(step: { from: number; records: readonly PeriodRecord[]; index: number; applied: number; snapshotNeeded: boolean; awaited: boolean }, now: number): void {
    const context = this.context;
    const { from, records } = step;
    for (let index = step.index; index < records.length; index++) {
      const record = records[index]!;
      const certificate = record.certificate;
      if (certificate.period <= context.committed.period) continue;
      if (certificate.parent !== context.committed.period || !equal(certificate.parentHash, context.committed.hash)) {
        context.reject('sync_record_unchained', `catch-up: server ${from} sent period ${certificate.period} on parent ${certificate.parent}, we hold ${context.committed.period}`);
        break;
      }
      // (Checked again under its parent's configuration, now known exactly: the cache may hold a check made under a guess.)
      if (!this.certificates.check(certificate) || !this.certificates.holdsInItsConfiguration(certificate)) {
        context.reject('bad_certificate', `catch-up: server ${from} sent period ${certificate.period} with a certificate that does not verify`);
        break;
      }
      const base: Proposal = { period: certificate.period, decided: certificate.period, hash: certificate.hash, transactions: record.transactions, parent: context.committed, outcome: null, txids: null, message: null };
      const proposal: Proposal = record.change === undefined ? base : { ...base, change: record.change };
      const outcome = this.proposals.outcomeOf(proposal);
      if (!equal(outcome.prepared.hash, certificate.hash)) {
        context.count('state_differs');
        context.log.error(`catch-up: replaying period ${certificate.period} gives another hash than the certificate: we are out of sync`);
        this.catchUp.markOutOfSync(now);
        return;
      }
      this.commits.commit(certificate, record.transactions, outcome, now, record.change);
      // What the commit queued is done first; then the next record.
      context.then({ ...step, kind: 'records_replayed', index: index + 1, applied: step.applied + 1 });
      return;
    }
    this.finish(from, step.applied, step.snapshotNeeded, step.awaited, now);
  }

  private finish(from: number, applied: number, answerSaysSnapshot: boolean, awaited: boolean, now: number): void {
    const context = this.context;
    const catchUp = this.catchUp;
    const stage = catchUp.stage;
    if (stage.name === 'asking_records' && stage.peer === from) catchUp.settle(false);
    // Nothing new (the peer has not committed what we lack either): ask again after a grace,
    // not at once. Found by the simulator: servers behind the same certificate asked one
    // another every round trip, forever.
    if (applied === 0 && !answerSaysSnapshot) {
      catchUp.quietUntil = now + context.syncGraceMs;
      catchUp.aheadHint = 0; // whoever claimed more, this peer had nothing beyond our period: ask again only if told again
    }
    if (applied > 0) context.log.info(`catch-up: replayed ${applied} periods from server ${from}, now at period ${context.committed.period}`);
    let snapshotNeeded = answerSaysSnapshot;
    if (snapshotNeeded && !awaited) {
      context.count('sync_snapshot_needed_stale');
      snapshotNeeded = false;
    }
    if (snapshotNeeded) {
      context.log.info(`catch-up: server ${from} answers that a snapshot is needed (${context.committed.period === 0 ? 'we start from genesis' : `it no longer has the periods after ${context.committed.period}`}); fetching a snapshot`);
      catchUp.settle(true);
    }
    if ((applied > 0 && context.highestCertified() > context.committed.period) || snapshotNeeded) context.then({ kind: 'catch_up_due' });
  }
}
