// Snapshots (docs/PROTOCOL.md §8.9): the whole committed state of a period, for a server
// that cannot catch up by replay. Serving: a frozen copy of our state, its header (the
// certificate and the mid digests it hashes to) and then its accounts page by page, each
// page asked for by the receiver; idle copies are dropped. Receiving (catch-up's stages
// asking_snapshot and receiving_snapshot): the header checked against its certificate, the
// pages by the assembler (snapshot-assembly.ts), then installed in one store transaction.

import { snapshot_accounts_max, snapshot_hold_ms, snapshot_page_accounts_max, snapshots_served_max } from '../constants.ts';
import { equal } from '../bytes.ts';
import type { PeerMessage } from '../peer/messages.ts';
import { entriesAfter, type FrozenState, rootDigest, stateHashOf } from '../ledger/state.ts';
import { type Certificate, verifyCertificate } from '../consensus/vote.ts';
import { chainDigestOf, type CommittedChange } from '../consensus/configuration.ts';
import { isScrypError } from '../errors.ts';
import { Configurations } from './configurations.ts';
import type { CatchUp } from './catch-up.ts';
import type { Certificates } from './certificates.ts';
import type { Commits } from './commits.ts';
import type { NodeContext } from './context.ts';
import { startReceiving, takePage } from './snapshot-assembly.ts';

interface Served {
  readonly frozen: FrozenState;
  readonly certificate: Certificate;
  readonly chain: readonly CommittedChange[];
  lastUsed: number;
}

export class Snapshots {
  private readonly served = new Map<number, Served>();
  private nextSnapshotId = 1;

  constructor(
    private readonly context: NodeContext,
    private readonly catchUp: CatchUp,
    private readonly certificates: Certificates,
    private readonly commits: Commits,
  ) {}

  // ---- serving -------------------------------------------------------------------------

  /** Forgets the snapshots no one asked a page of for snapshot_hold_ms. */
  dropIdle(now: number): void {
    for (const [id, served] of this.served) if (now - served.lastUsed > snapshot_hold_ms) this.served.delete(id);
  }

  handleSnapshotRequest(from: number, now: number): void {
    const context = this.context;
    if (context.committed.period === 0) return context.count('snapshot_refused_genesis');
    this.dropIdle(now);
    if (this.served.size >= snapshots_served_max) return context.reject('snapshot_refused_busy', `snapshot for server ${from} refused: ${snapshots_served_max} already served`);
    const snapshotId = this.nextSnapshotId++;
    const frozen = context.state.freeze();
    const chain = context.chain.slice();
    this.served.set(snapshotId, { frozen, certificate: context.committed, chain, lastUsed: now });
    context.log.info(`serving snapshot ${snapshotId} of period ${context.committed.period} (${frozen.accountCount} accounts) to server ${from}`);
    const header = { type: 'snapshot_header' as const, snapshotId, accounts: frozen.accountCount, mids: frozen.mids, certificate: context.committed };
    context.send(from, chain.length === 0 ? header : { ...header, chain });
  }

  handleSnapshotPageRequest(from: number, snapshotId: number, after: Uint8Array | null, now: number): void {
    const served = this.served.get(snapshotId);
    if (served === undefined) return this.context.count('snapshot_page_unknown');
    served.lastUsed = now;
    const page = entriesAfter(served.frozen, after, snapshot_page_accounts_max);
    this.context.send(from, { type: 'snapshot_page', snapshotId, last: page.last, entries: page.entries });
    if (page.last) this.served.delete(snapshotId);
  }

  // ---- receiving -----------------------------------------------------------------------

  handleSnapshotHeader(from: number, message: Extract<PeerMessage, { type: 'snapshot_header' }>, now: number): void {
    const context = this.context;
    const catchUp = this.catchUp;
    const stage = catchUp.stage;
    if (stage.name !== 'asking_snapshot' || stage.peer !== from) return context.count('snapshot_header_unexpected');
    const { certificate, mids } = message;
    const newer = certificate.period > context.committed.period || (stage.outOfSync && certificate.period >= context.committed.period);
    if (!newer) {
      // We caught up some other way while asking: nothing is wrong, there is just nothing to fetch.
      context.count('snapshot_header_stale');
      catchUp.settle(stage.outOfSync);
      return;
    }
    const chain = message.chain ?? [];
    if (!this.headerHolds(certificate, mids, chain) || message.accounts > snapshot_accounts_max) {
      context.reject('snapshot_header_bad', `catch-up: snapshot header from server ${from} does not match its certificate`);
      catchUp.settle(true);
      return;
    }
    const receiving = startReceiving({ snapshotId: message.snapshotId, certificate, chain, mids, accounts: message.accounts });
    catchUp.enter({ name: 'receiving_snapshot', since: stage.since, outOfSync: stage.outOfSync, peer: from, sentAt: now, receiving });
    context.log.info(`catch-up: receiving snapshot of period ${certificate.period} (${message.accounts} accounts) from server ${from}`);
    context.send(from, { type: 'snapshot_page_request', snapshotId: message.snapshotId, after: null });
  }

  handleSnapshotPage(from: number, snapshotId: number, entries: Uint8Array, last: boolean, now: number): void {
    const context = this.context;
    const catchUp = this.catchUp;
    const stage = catchUp.stage;
    if (stage.name !== 'receiving_snapshot' || stage.peer !== from || stage.receiving.snapshotId !== snapshotId) return context.count('snapshot_page_unexpected');
    const receiving = stage.receiving;
    const pages = receiving.pages;
    const verdict = takePage(receiving, entries, last, context.network.supply);
    if (receiving.pages !== pages && (receiving.pages % 8 === 0 || last)) {
      context.log.info(`catch-up: snapshot page ${receiving.pages}, ${receiving.received} of ${receiving.accounts} accounts`);
    }
    if (verdict.kind === 'refused') {
      context.reject('snapshot_page_bad', `catch-up: snapshot from server ${from} refused: ${verdict.why}`);
      catchUp.settle(true);
      return;
    }
    if (verdict.kind === 'more') {
      catchUp.enter({ ...stage, sentAt: now });
      context.send(from, { type: 'snapshot_page_request', snapshotId, after: verdict.after });
      return;
    }
    const state = verdict.state;
    // We may have committed on our own while the pages came in (a peer that no longer holds
    // the periods we lack sends us here, yet the next PROPOSAL still reaches us). A snapshot
    // never takes the committed period back (found by the simulator: installed over a newer commit).
    if (receiving.certificate.period < context.committed.period || (receiving.certificate.period === context.committed.period && !stage.outOfSync)) {
      context.count('snapshot_stale');
      context.log.info(`catch-up: the snapshot of period ${receiving.certificate.period} is no newer than our committed period ${context.committed.period}; dropped`);
      catchUp.settle(stage.outOfSync);
      context.then({ kind: 'catch_up_due' });
      return;
    }
    context.store.installSnapshot(receiving.certificate, receiving.entries, receiving.chain);
    context.archiveFrom = receiving.certificate.period;
    context.state = state;
    context.committed = receiving.certificate;
    if (receiving.chain.length > 0 || context.chain.length > 0) {
      const before = context.configurations.latest.number;
      context.adoptChain(receiving.chain);
      if (context.configurations.latest.number !== before) {
        context.log.info(`catch-up: the snapshot brings configuration ${context.configurations.latest.number} (${context.configurations.latest.servers.length} servers)`);
      }
    }
    catchUp.settle(false);
    // The alpha's batch stays: afterCommittedMoved re-applies it on the new state, as after
    // any commit. Dropping it lost payments already answered ACCEPTED, while the period was
    // still proposed with what came after (found by the simulator).
    context.log.info(`catch-up: installed the snapshot of period ${receiving.certificate.period}: ${state.describe()}`);
    this.commits.afterCommittedMoved(now);
    context.then({ kind: 'catch_up_due' });
  }

  /**
   * A snapshot header holds when its chain of changes follows from the network file, its
   * certificate holds under the configuration that chain puts in force at its parent, and
   * its mids and chain hash to the certified state hash. A server that slept through
   * changes (or joins) learns them here, from genesis, before it trusts a byte.
   */
  private headerHolds(certificate: Certificate, mids: Uint8Array, chain: readonly CommittedChange[]): boolean {
    const context = this.context;
    if (!equal(stateHashOf(rootDigest(mids), chainDigestOf(chain)), certificate.hash)) return false;
    if (chain.length === 0 && context.chain.length === 0) return this.certificates.check(certificate);
    if (chain.some((entry) => entry.carrier > certificate.period)) return false;
    let configurations: Configurations;
    try {
      configurations = new Configurations(context.network, context.genesisHash, context.verifySignature, chain);
    } catch (error) {
      if (isScrypError(error)) return false;
      throw error;
    }
    return verifyCertificate(configurations.at(certificate.parent).checker, certificate);
  }
}
