// The simulated disk of one server: the real MemoryStore, with every write reported to the
// invariants as it happens. A crash drops the ServerCore and keeps this object, so what
// was committed or voted survives and nothing else does, as with SQLite after kill -9.

import type { CommittedChange } from '../consensus/configuration.ts';
import { toHex } from '../bytes.ts';
import type { Certificate, Vote } from '../consensus/vote.ts';
import { type BallotState, type CommitInput, MemoryStore, type VotedProposal } from '../ledger/store.ts';
import type { StoreView } from './invariants.ts';
import { supplyOfEntries } from './invariants.ts';

/** Thrown out of a store write to kill its server at that instant (kill -9 mid-handler). */
export class CrashSignal extends Error {
  constructor(readonly server: number) {
    super(`server ${server} crashed at a store write`);
    this.name = 'CrashSignal';
  }
}

export interface StoreObserver {
  onCommit(server: number, input: CommitInput): void;
  onSnapshot(server: number, certificate: Certificate, entries: Uint8Array): void;
  onVote(server: number, vote: Vote): void;
}

export class RecordingStore extends MemoryStore implements StoreView {
  committedPeriod = 0;
  committedHashHex: string;
  commits = 0;
  snapshots = 0;
  votes = 0;
  /**
   * Armed by a fault: the next write kills the server, just before it (nothing of it is
   * stored) or just after it (stored, but nothing the handler would have done next, such
   * as sending the vote it just stored, ever happens). Every write is atomic, so these are
   * the only two places a kill -9 can fall relative to it.
   */
  armed: 'before' | 'after' | null = null;

  private tripwire(when: 'before' | 'after'): void {
    if (this.armed !== when) return;
    this.armed = null;
    throw new CrashSignal(this.server);
  }

  constructor(
    readonly server: number,
    genesis: Certificate,
    private readonly observer: StoreObserver,
    private readonly genesisSupply: number,
  ) {
    super(genesis);
    this.committedHashHex = toHex(genesis.hash);
  }

  override commit(input: CommitInput): void {
    this.tripwire('before');
    super.commit(input);
    this.commits++;
    this.committedPeriod = input.record.certificate.period;
    this.committedHashHex = toHex(input.record.certificate.hash);
    this.observer.onCommit(this.server, input);
    this.tripwire('after');
  }

  override recordVote(vote: Vote, proposal: VotedProposal | null): void {
    this.tripwire('before');
    super.recordVote(vote, proposal);
    this.votes++;
    this.observer.onVote(this.server, vote);
    this.tripwire('after');
  }

  override recordBallots(state: BallotState): void {
    this.tripwire('before');
    super.recordBallots(state);
    this.votes++;
    this.tripwire('after');
  }

  override installSnapshot(certificate: Certificate, entries: Uint8Array, chain: readonly CommittedChange[] = []): void {
    this.tripwire('before');
    super.installSnapshot(certificate, entries, chain);
    this.snapshots++;
    this.committedPeriod = certificate.period;
    this.committedHashHex = toHex(certificate.hash);
    this.observer.onSnapshot(this.server, certificate, entries);
    this.tripwire('after');
  }

  supply(): number {
    const stored = this.load();
    return stored.entries === null ? this.genesisSupply : supplyOfEntries(stored.entries);
  }
}
