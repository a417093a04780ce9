// Snapshots (docs/PROTOCOL.md §8.9): the whole committed state of a period, for a server
// that cannot catch up by replay. Serving: a frozen copy of our state, its header (the
// certificate and the mid digests it hashes to) and then its accounts page by page, each
// page asked for by the receiver; idle copies are dropped. Receiving: the header checked
// against its certificate, each page against the order and the mids, the whole against the
// certified hash and the genesis supply, then installed in one store transaction.

import {
  hash_bytes,
  snapshot_accounts_max,
  snapshot_hold_ms,
  snapshot_page_accounts_max,
  snapshots_served_max,
  state_mid_count,
} from '../constants.ts';
import { equal } from '../bytes.ts';
import type { PeerMessage } from '../peer/messages.ts';
import { entriesAfter, entry_bytes, type FrozenState, LedgerState, midDigestOfEntries, rootDigest, emptyMidDigest, stateHashOf } from '../ledger/state.ts';
import { type Certificate, verifyCertificate } from '../consensus/vote.ts';
import { chainDigestOf, type CommittedChange } from '../consensus/configuration.ts';
import { isScrypError } from '../errors.ts';
import { Configurations } from './configurations.ts';
import type { Agreement } from './agreement.ts';
import type { CatchUp } from './catch-up.ts';
import type { NodeContext } from './context.ts';

export interface SnapshotReceiving {
  readonly snapshotId: number;
  readonly certificate: Certificate;
  /** The chain of configuration changes the snapshot's state binds (checked from the network file). */
  readonly chain: readonly CommittedChange[];
  readonly mids: Uint8Array;
  readonly accounts: number;
  /** Every entry received so far, in order, in one buffer sized by the header (pages are copied in, not kept). */
  readonly entries: Uint8Array;
  received: number;
  nextMid: number;
  /** Where the entries of the mid being received begin in `entries` (not yet checked). */
  midStart: number;
  pages: number;
}

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
    private readonly agreement: Agreement,
    private readonly catchUp: CatchUp,
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
    const sync = context.sync;
    if (sync?.mode !== 'snapshot' || sync.peer !== from || sync.receiving !== null) return context.count('snapshot_header_unexpected');
    const { certificate, mids } = message;
    const newer = certificate.period > context.committed.period || (context.outOfSync && certificate.period >= context.committed.period);
    if (!newer) {
      // We caught up some other way while asking: nothing is wrong, there is just nothing to fetch.
      context.count('snapshot_header_stale');
      context.sync = null;
      return;
    }
    const chain = message.chain ?? [];
    if (!this.headerHolds(certificate, mids, chain) || message.accounts > snapshot_accounts_max) {
      context.reject('snapshot_header_bad', `catch-up: snapshot header from server ${from} does not match its certificate`);
      context.sync = null;
      context.outOfSync = true;
      return;
    }
    sync.receiving = {
      snapshotId: message.snapshotId,
      certificate,
      chain,
      mids,
      accounts: message.accounts,
      entries: new Uint8Array(message.accounts * entry_bytes), // the OS commits its pages only as they fill
      received: 0,
      nextMid: 0,
      midStart: 0,
      pages: 0,
    };
    sync.sentAt = now;
    context.log.info(`catch-up: receiving snapshot of period ${certificate.period} (${message.accounts} accounts) from server ${from}`);
    context.send(from, { type: 'snapshot_page_request', snapshotId: message.snapshotId, after: null });
  }

  handleSnapshotPage(from: number, snapshotId: number, entries: Uint8Array, last: boolean, now: number): void {
    const context = this.context;
    const sync = context.sync;
    const receiving = sync?.mode === 'snapshot' ? sync.receiving : null;
    if (sync === null || receiving === null || sync.peer !== from || receiving.snapshotId !== snapshotId) return context.count('snapshot_page_unexpected');
    const abort = (why: string): void => {
      context.reject('snapshot_page_bad', `catch-up: snapshot from server ${from} refused: ${why}`);
      context.sync = null;
      context.outOfSync = true;
    };
    const count = entries.length / entry_bytes;
    if (receiving.received + count > receiving.accounts || (!last && count === 0)) return abort('more or fewer accounts than announced');
    const all = receiving.entries;
    const base = receiving.received * entry_bytes;
    all.set(entries, base);
    for (let offset = base; offset < base + entries.length; offset += entry_bytes) {
      if (offset > 0 && compareAccountsAt(all, offset - entry_bytes, offset) >= 0) return abort('accounts out of order');
      if (all[offset + 32] === 0 && all[offset + 33] === 0 && all[offset + 34] === 0 && all[offset + 35] === 0) return abort('a zero balance');
      // Entering a new mid: the mids before it are complete and must match the header.
      while (all[offset]! > receiving.nextMid) {
        if (!this.finishMid(receiving, offset)) return abort(`mid ${receiving.nextMid} does not match`);
      }
    }
    receiving.received += count;
    receiving.pages++;
    sync.sentAt = now;
    if (receiving.pages % 8 === 0 || last) {
      context.log.info(`catch-up: snapshot page ${receiving.pages}, ${receiving.received} of ${receiving.accounts} accounts`);
    }
    if (!last) {
      const end = receiving.received * entry_bytes;
      context.send(from, { type: 'snapshot_page_request', snapshotId, after: all.slice(end - entry_bytes, end - entry_bytes + 32) });
      return;
    }
    if (receiving.received !== receiving.accounts) return abort('fewer accounts than announced');
    while (receiving.nextMid < state_mid_count) if (!this.finishMid(receiving, all.length)) return abort(`mid ${receiving.nextMid} does not match`);
    const state = LedgerState.fromSortedEntries(all, chainDigestOf(receiving.chain));
    if (!equal(state.hash, receiving.certificate.hash)) return abort('the state hash does not match');
    if (state.supply() !== context.network.supply) return abort('the supply does not match the genesis supply');
    // We may have committed on our own while the pages came in (a peer that no longer holds
    // the periods we lack sends us here, yet the next PROPOSAL still reaches us). A snapshot
    // never takes the committed period back (found by the simulator: installed over a newer commit).
    if (receiving.certificate.period < context.committed.period || (receiving.certificate.period === context.committed.period && !context.outOfSync)) {
      context.count('snapshot_stale');
      context.log.info(`catch-up: the snapshot of period ${receiving.certificate.period} is no newer than our committed period ${context.committed.period}; dropped`);
      context.sync = null;
      this.catchUp.driveSync(now);
      return;
    }
    context.store.installSnapshot(receiving.certificate, all, receiving.chain);
    context.archiveFrom = receiving.certificate.period;
    context.state = state;
    context.committed = receiving.certificate;
    if (receiving.chain.length > 0 || context.chain.length > 0) {
      const before = context.configurations.latest.number;
      context.adoptChain(receiving.chain);
      this.agreement.growTables();
      if (context.configurations.latest.number !== before) {
        context.log.info(`catch-up: the snapshot brings configuration ${context.configurations.latest.number} (${context.configurations.latest.servers.length} servers)`);
      }
    }
    context.outOfSync = false;
    context.sync = null;
    // The alpha's batch stays: afterCommittedMoved re-applies it on the new state, as after
    // any commit. Dropping it lost payments already answered ACCEPTED, while the period was
    // still proposed with what came after (found by the simulator).
    context.log.info(`catch-up: installed the snapshot of period ${receiving.certificate.period}: ${state.describe()}`);
    this.agreement.afterCommittedMoved(now);
    this.catchUp.driveSync(now);
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
    if (chain.length === 0 && context.chain.length === 0) return this.agreement.checkCertificate(certificate);
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

  /** Checks the mid being received, whose entries end at `end`, against the certified mids. */
  private finishMid(receiving: SnapshotReceiving, end: number): boolean {
    const mid = receiving.nextMid;
    const expected = receiving.mids.subarray(mid * hash_bytes, (mid + 1) * hash_bytes);
    const digest = end === receiving.midStart ? emptyMidDigest : midDigestOfEntries(receiving.entries.subarray(receiving.midStart, end));
    receiving.midStart = end;
    receiving.nextMid++;
    return equal(digest, expected);
  }
}

/** Compares the accounts of two entries of one buffer, by offset. */
function compareAccountsAt(entries: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 32; i++) {
    const d = entries[a + i]! - entries[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}
