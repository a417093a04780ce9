// The server's protocol logic, sans IO: schedule, payments, proposals, votes, commits,
// void periods, certificates and catch-up. Time comes in as an argument, messages come in
// decoded and go out through `outbox`, storage is the Store interface, and signatures
// go through injected functions. The node (node/server.ts) wires it to sockets, timers
// and SQLite; the simulator (src/sim) wires the very same code to a simulated network,
// clock and memory store.
//
// ServerCore builds the concerns, routes messages (onMessage) and time (tick, nextWakeAt,
// startPeriod) to them, and drains the one queue of steps they write to (steps.ts): no
// concern calls another's handler. docs/ARCHITECTURE.md draws the rooms; in short:
//   context.ts        what they share: the network, this server, the store, the log, the
//                     counters, the outbox and the queue, and where this server stands
//   availability.ts   whether it answers clients, and why not
//   alpha.ts          the alpha's batch and the pay rules; forwarding to the alpha
//   proposals.ts      pending proposals, the beta's batch, the checks of every PROPOSAL
//   majority.ts       votes and locks (majority networks); two-thirds.ts ballots (two-thirds)
//   commits.ts        certificates taken: commit, keep, out of sync, fork
//   changes.ts        configuration changes; evidence.ts the evidence held
//   heartbeat.ts      STATUS; vote-memory.ts the votes that free a locked peer
//   catch-up.ts       catch-up's stage and its asks; replay.ts records; snapshots.ts snapshots
//   queries.ts        BALANCE, STATUS of a payment, HISTORY and INFO
//   addresses.ts      where each server is now: signed address records (ADDRESS, ADDRESSES)
//   gateways.ts       where each server's HTTP gateway answers: signed gateway records (GATEWAY)

import { assert } from '../errors.ts';
import type { ConfigBody, HistoryBody, InfoBody, PaymentState, Status } from '../client/codec.ts';
import type { Network } from '../network.ts';
import type { PeerMessage } from '../peer/messages.ts';
import { periodOf, startOf, type Timing } from '../schedule.ts';
import { LedgerState } from '../ledger/state.ts';
import { type Certificate, genesisCertificate } from '../consensus/vote.ts';
import type { Evidence } from '../consensus/evidence.ts';
import { type Change, type CommittedChange, encodeCommittedChange } from '../consensus/configuration.ts';
import type { ScrypError } from '../errors.ts';
import type { AddressRecord } from '../address-record.ts';
import type { Address } from '../ip.ts';
import { Addresses } from './addresses.ts';
import { Gateways } from './gateways.ts';
import type { GatewayRecord } from '../gateway-record.ts';
import { Alpha, type PayResult } from './alpha.ts';
import { type Availability, availabilityOf, standingOf } from './availability.ts';
import { CatchUp } from './catch-up.ts';
import { Certificates } from './certificates.ts';
import { Changes } from './changes.ts';
import { Commits } from './commits.ts';
import type { Configurations, Membership } from './configurations.ts';
import { type CoreOptions, NodeContext } from './context.ts';
import { EvidenceKept } from './evidence.ts';
import { Heartbeat } from './heartbeat.ts';
import { MajorityAgreement } from './majority.ts';
import type { Addressees, Outgoing } from './outbox.ts';
import { Proposals } from './proposals.ts';
import { Queries } from './queries.ts';
import { Replay } from './replay.ts';
import { Snapshots } from './snapshots.ts';
import type { Step } from './steps.ts';
import { TwoThirdsAgreement } from './two-thirds.ts';
import { VoteMemory } from './vote-memory.ts';

export type { CoreLog, CoreOptions, Verify } from './context.ts';
export type { Outgoing } from './outbox.ts';
export type { PayResult } from './alpha.ts';

export class ServerCore {
  readonly network: Network;
  readonly timing: Timing;
  readonly outbox: Outgoing[];
  readonly counters: Map<string, number>;

  private readonly context: NodeContext;
  private readonly catchUp_: CatchUp;
  private readonly alpha: Alpha;
  private readonly changes: Changes;
  private readonly evidenceKept: EvidenceKept;
  private readonly certificates: Certificates;
  private readonly proposals: Proposals;
  private readonly agreement: MajorityAgreement | TwoThirdsAgreement;
  private readonly commits: Commits;
  private readonly heartbeat: Heartbeat;
  private readonly replay: Replay;
  private readonly snapshots: Snapshots;
  private readonly queries: Queries;
  private readonly addresses: Addresses;
  private readonly gateways: Gateways;
  private lastTickPeriod: number;

  constructor(options: CoreOptions) {
    const network = options.network;
    const stored = options.store.load();
    const context = new NodeContext(options, stored);
    // The directory id the caller found from the network file must be the one the chain gives
    // (a server the file does not name passes -1: it is joining, and learns its id by catching up).
    assert(options.selfIndex === context.self || (options.selfIndex === -1 && context.self >= network.servers.length), 'the signer is this server');
    this.context = context;
    this.network = context.network;
    this.timing = context.timing;
    this.outbox = context.outbox;
    this.counters = context.counters;
    const catchUp = new CatchUp(context);
    this.catchUp_ = catchUp;
    const isAvailable = (now: number): boolean => availabilityOf(standingOf(context, catchUp, now)).available;
    this.alpha = new Alpha(context, isAvailable);
    this.changes = new Changes(context);
    this.evidenceKept = new EvidenceKept(context, stored);
    this.certificates = new Certificates(context);
    this.proposals = new Proposals(context, this.alpha, this.changes, this.evidenceKept);
    const memory = new VoteMemory(context, stored);
    this.agreement =
      network.quorumMode === 'two-thirds'
        ? new TwoThirdsAgreement(context, this.proposals, this.certificates, this.evidenceKept, stored)
        : new MajorityAgreement(context, this.proposals, this.certificates, memory, this.evidenceKept, stored);
    this.commits = new Commits(context, catchUp, this.certificates, this.proposals, this.changes, this.evidenceKept, this.alpha, this.agreement);
    this.heartbeat = new Heartbeat(context, this.certificates, memory, catchUp);
    this.replay = new Replay(context, catchUp, this.certificates, this.proposals, this.commits);
    this.snapshots = new Snapshots(context, catchUp, this.certificates, this.commits);
    this.queries = new Queries(context, this.alpha, this.proposals, isAvailable);
    this.addresses = new Addresses(context);
    this.gateways = new Gateways(context);
    this.lastTickPeriod = periodOf(this.timing, options.now);
    const membership = context.membership();
    context.log.info(
      context.self < 0
        ? `joining network ${network.name}: no configuration this server knows names its key yet; it catches up from its peers and takes part once a committed change names it`
        : `server ${this.self} of ${membership.ids.length} on network ${network.name} (configuration ${membership.configuration.number}): committed period ${this.committed.period}, ${context.state.describe()}`,
    );
    context.checkRemoved();
    // Our stored vote counts in our own tally, as it did before the restart: the others'
    // STATUS brings theirs back, and without ours a majority that includes us never forms
    // (found by the simulator: three of four votes for a period, each server seeing two).
    if (context.lastVote !== null && context.lastVote.period > this.committed.period) this.run({ kind: 'vote', vote: context.lastVote }, options.now);
    // The same for our ballots in a two-thirds network.
    if (this.agreement instanceof TwoThirdsAgreement) {
      for (const ballot of this.agreement.storedBallots) if (ballot.slot > this.committed.period) this.run({ kind: 'ballot', ballot }, options.now);
    }
  }

  // ---- what the outside may read -------------------------------------------------------

  get committed(): Certificate {
    return this.context.committed;
  }

  /** This server's directory id (the index in the network file unless a change brought it), or -1 while joining. */
  get self(): number {
    return this.context.self;
  }

  /** Why a committed change removed this server, or null. */
  get removed(): string | null {
    return this.context.removed;
  }

  /** The configurations this server knows and the directory of server ids (node/configurations.ts). */
  get configurations(): Configurations {
    return this.context.configurations;
  }

  /**
   * The servers in force: the configuration that decides the next period built on our
   * committed one (its members by directory id, in rotation order, and its quorum). The one
   * answer to "who are the servers now" that availability, the metrics and the rules read.
   */
  get membership(): Membership {
    return this.context.membership();
  }

  /** Who the outbox's messages go to (outbox.ts routeOutbox): every server of the directory, and this one's id. */
  get addressees(): Addressees {
    return { size: this.context.configurations.size, self: this.context.self };
  }

  /** The committed configuration changes, oldest first. */
  get chain(): readonly CommittedChange[] {
    return this.context.chain;
  }

  /** A change a client submits (§8.13): null when taken (and passed on for a beta to carry), else why it is refused. */
  submitChange(change: Change, now: number): ScrypError | null {
    return this.changes.submit(change, 'client', now);
  }

  /**
   * The CONFIG answer (PROTOCOL §6.11): how many changes the chain holds, the newest
   * configuration, and bytes [offset, offset + room) of committed change `index`.
   */
  configPiece(index: number, offset: number, room: number): ConfigBody {
    const context = this.context;
    const latest = context.configurations.latest;
    const entry = context.chain[index];
    const bytes = entry === undefined ? new Uint8Array(0) : encodeCommittedChange(entry);
    const from = Math.min(offset, bytes.length);
    return {
      changes: context.chain.length,
      latest: latest.number,
      latestFirst: latest.first,
      committedPeriod: context.committed.period,
      index,
      total: bytes.length,
      offset: from,
      chunk: bytes.subarray(from, Math.min(bytes.length, from + Math.max(0, room))),
    };
  }

  get stateHash(): Uint8Array {
    return this.context.state.hash;
  }

  get ledger(): LedgerState {
    return this.context.state;
  }

  get lastVotePeriod(): number | null {
    return this.context.lastVote?.period ?? null;
  }

  /** Evidence of equivocation this server holds, oldest first (consensus/evidence.ts). */
  get evidence(): readonly Evidence[] {
    return this.context.evidence;
  }

  /** Why this server stopped taking part (it holds a fork), or null. */
  get halted(): string | null {
    return this.context.halted;
  }

  /** For operators (metrics): the accounts of a snapshot still to come, and the period after which the archive is whole (it moves when a snapshot is installed). */
  get catchUp(): { readonly snapshotAccountsLeft: number; readonly archiveFrom: number } {
    return { snapshotAccountsLeft: this.catchUp_.snapshotAccountsLeft, archiveFrom: this.context.archiveFrom };
  }

  /** Catch-up's stage (catch-up.ts), for tests and operators. */
  get catchUpStage(): CatchUp['stage'] {
    return this.catchUp_.stage;
  }

  /** Whether this server answers clients, and why not: what every client request, /healthz and the metrics read (availability.ts). */
  availability(now: number): Availability {
    return availabilityOf(standingOf(this.context, this.catchUp_, now));
  }

  /** In consensus: in sync with the servers in force and hearing a quorum of them. Otherwise: UNAVAILABLE. */
  isAvailable(now: number): boolean {
    return this.availability(now).available;
  }

  /** When the node should call tick() next, at the latest. */
  nextWakeAt(now: number): number {
    if (this.proposals.ownWaiting) return now + 1;
    let at = startOf(this.timing, periodOf(this.timing, now) + 1);
    at = Math.min(at, this.agreement.nextVotableAt(now));
    const flushAt = this.alpha.forwardFlushAt();
    if (flushAt !== null) at = Math.min(at, flushAt);
    at = Math.min(at, this.catchUp_.nextAskAt());
    return Math.max(at, now + 1);
  }

  // ---- time ----------------------------------------------------------------------------

  /** Called at every period boundary and whenever nextWakeAt says. */
  tick(now: number): void {
    // Our own PROPOSAL, sent at the last turn: we take it as the others do.
    const own = this.proposals.takeOwn();
    if (own !== null) this.run({ kind: 'proposal', from: this.self, message: own }, now);
    const current = periodOf(this.timing, now);
    if (current > this.lastTickPeriod) {
      this.lastTickPeriod = current;
      this.startPeriod(current, now);
    }
    this.alpha.flushForwardsIfDue(now, current);
    this.run({ kind: 'vote_due' }, now); // a proposal that came early may be votable now
    this.run({ kind: 'catch_up_due' }, now);
    this.snapshots.dropIdle(now);
  }

  /** The first heartbeat after a (re)start, so that peers learn at once where we stand. */
  announce(): void {
    this.heartbeat.announce();
  }

  private startPeriod(current: number, now: number): void {
    const ended = current - 1;
    // The beta of this period is the alpha of the one that just ended: it proposes it.
    // Its rotation is the one of the configuration that decides on our committed period; a
    // period we already hold decided (a certificate came before our own clock's turn) is not proposed again.
    if (ended > this.committed.period && this.context.configurations.alphaOf(ended, this.committed.period) === this.self && this.context.witnessed(ended)) this.agreement.propose(ended);
    this.alpha.dropBatchesUpTo(ended);
    this.announce();
    this.addresses.onPeriod(current);
    this.gateways.onPeriod(current);
    void now;
  }

  // ---- where servers are (addresses.ts) --------------------------------------------------

  /** The address in force for a server: its newest signed record's, or the network file's. */
  addressOf(server: number): Address {
    return this.addresses.addressOf(server);
  }

  /** A server's newest address record, or null while the network file's address is in force. */
  addressRecordOf(server: number): AddressRecord | null {
    return this.addresses.recordOf(server);
  }

  /** Servers whose address in force changed since the node last looked: it redials them (drain it). */
  get movedServers(): { server: number; address: Address }[] {
    return this.addresses.moved;
  }

  /** This server is at `address` now: a new signed record when it differs from the one in force (null when not). */
  moveTo(address: Address, now: number): AddressRecord | null {
    return this.addresses.moveTo(address, now);
  }

  /** At start: our own signed records to every peer: the address record if we ever moved, the gateway record if we have one. */
  announceAddress(): void {
    this.addresses.announce();
    this.gateways.announce();
  }

  /** The body of an ADDRESSES reply: records with sequence > 0 by server index from `from`, at most `max`. */
  addressRecords(from: number, max: number): { records: AddressRecord[]; more: boolean } {
    return this.addresses.list(from, max);
  }

  // ---- where gateways are (gateways.ts) ----------------------------------------------------

  /** This server's gateway answers at `url`: a new signed record when it differs from our newest (null when not). */
  publishGateway(url: string, now: number): GatewayRecord | null {
    return this.gateways.publish(url, now);
  }

  /** The newest gateway record of each server in force that has one (GET /v1/gateways). */
  gatewayRecords(): GatewayRecord[] {
    return this.gateways.inForce();
  }

  // ---- payments from clients (alpha.ts) ------------------------------------------------

  verifyPayment(tx: Uint8Array): boolean {
    return this.alpha.verifyPayment(tx);
  }

  /** Rules 1 to 6 of docs/PROTOCOL.md §5.4: the alpha takes the payment, any other server forwards it (Alpha.handlePay). */
  handlePay(tx: Uint8Array, now: number, signature: 'check' | 'valid' | 'invalid' = 'check'): PayResult {
    return this.alpha.handlePay(tx, now, signature);
  }

  /** The final answer without the signature, or null when only the signature remains (Alpha.precheckPay). */
  precheckPay(tx: Uint8Array, now: number): PayResult | null {
    return this.alpha.precheckPay(tx, now);
  }

  // ---- queries (queries.ts) ------------------------------------------------------------

  balance(account: Uint8Array, now: number): { status: Status; balance: number } {
    return this.queries.balance(account, now);
  }

  paymentStatus(txid: Uint8Array, now: number): { status: Status; state: PaymentState; period: number } {
    return this.queries.paymentStatus(txid, now);
  }

  history(account: Uint8Array, beforePeriod: number, beforeIndex: number, maxEntries: number, now: number): { status: Status; body: HistoryBody | null } {
    return this.queries.history(account, beforePeriod, beforeIndex, maxEntries, now);
  }

  info(now: number): InfoBody {
    return this.queries.info(now);
  }

  // ---- peers ---------------------------------------------------------------------------

  /** One decoded message from server `from` (the batch it came in was authenticated). */
  onMessage(from: number, message: PeerMessage, now: number): void {
    this.run({ kind: 'message', from, message }, now);
  }

  // ---- the queue of steps (steps.ts) ---------------------------------------------------------

  /**
   * Runs a step and everything it leads to: what a step queues runs next, in the order
   * queued, before anything queued earlier (a stack of what is left to do, the newest on top).
   */
  private run(first: Step, now: number): void {
    const context = this.context;
    assert(context.takeQueued().length === 0, 'steps are queued only while the core runs one');
    const left: Step[] = [first];
    for (let step = left.pop(); step !== undefined; step = left.pop()) {
      this.take(step, now);
      const queued = context.takeQueued();
      for (let i = queued.length - 1; i >= 0; i--) left.push(queued[i]!);
    }
  }

  /** One step, to the concern that owns it. */
  private take(step: Step, now: number): void {
    const agreement = this.agreement;
    switch (step.kind) {
      case 'message':
        return this.takeMessage(step.from, step.message, now);
      case 'proposal':
        return agreement.handleProposal(step.from, step.message);
      case 'vote':
        return agreement.handleVote(step.vote);
      case 'vote_counted':
        assert(agreement instanceof MajorityAgreement, 'votes are counted in a majority network');
        return agreement.voteCounted(step.tallied);
      case 'vote_due':
        return agreement.tryVote(now);
      case 'ballot':
        assert(agreement instanceof TwoThirdsAgreement, 'ballots are cast in a two-thirds network');
        return agreement.handleBallot(step.ballot);
      case 'polka':
        assert(agreement instanceof TwoThirdsAgreement, 'polkas are of a two-thirds network');
        return agreement.notePolka(step.polka, step.retried);
      case 'polkas_retried':
        assert(agreement instanceof TwoThirdsAgreement, 'polkas are of a two-thirds network');
        return agreement.retryPolkas();
      case 'prevote_resumed':
        assert(agreement instanceof TwoThirdsAgreement, 'prevotes are cast in a two-thirds network');
        return agreement.prevoteFrom(step.candidates, step.index, step.decision, step.lastSlot, now);
      case 'certificate':
        return this.commits.take(step.certificate, now);
      case 'certificate_waiting':
        return this.commits.takeWaiting(step.period, now);
      case 'certificate_next':
        return this.commits.takeNext(now);
      case 'status_rest':
        return this.heartbeat.rest(step.from, step.committed, step.vote, now);
      case 'records_replayed':
        return this.replay.replay(step, now);
      case 'catch_up_due':
        return this.catchUp_.drive(now);
    }
  }

  private takeMessage(from: number, message: PeerMessage, now: number): void {
    this.context.lastHeard[from] = periodOf(this.timing, now);
    this.context.count(`message_${message.type}`);
    switch (message.type) {
      case 'status':
        return this.heartbeat.handle(from, message.committed, message.vote);
      case 'proposal':
        return this.agreement.handleProposal(from, message);
      case 'vote':
        // A vote proves what it says whoever passes it on: its voter signed it. Servers pass
        // on the votes that free a peer locked on a dead period (VoteMemory.sendSkipProof).
        if (message.vote.voter !== from) this.context.count('vote_relayed');
        return this.agreement.handleVote(message.vote);
      case 'forward':
        return this.alpha.handleForward(from, message.transactions, now);
      case 'sync_request':
        return this.replay.handleSyncRequest(from, message.after);
      case 'sync_records':
        return this.replay.handleSyncRecords(from, message.records, message.snapshotNeeded);
      case 'snapshot_request':
        return this.snapshots.handleSnapshotRequest(from, now);
      case 'snapshot_header':
        return this.snapshots.handleSnapshotHeader(from, message, now);
      case 'snapshot_page_request':
        return this.snapshots.handleSnapshotPageRequest(from, message.snapshotId, message.after, now);
      case 'snapshot_page':
        return this.snapshots.handleSnapshotPage(from, message.snapshotId, message.entries, message.last, now);
      case 'prevote':
      case 'precommit':
        if (!(this.agreement instanceof TwoThirdsAgreement)) return this.context.reject('ballot_in_majority_network', `${message.type.toUpperCase()} from server ${from}: this network decides by VOTE`);
        if (message.ballot.voter !== from) this.context.count('ballot_relayed');
        return this.agreement.handleBallot(message.ballot);
      case 'evidence':
        return this.evidenceKept.handle(from, message.evidence);
      case 'change':
        this.changes.submit(message.change, from, now);
        return;
      case 'proposal_header':
        return this.proposals.handleHeader(from, message.header);
      case 'address':
        return this.addresses.handle(from, message.record);
      case 'gateway':
        return this.gateways.handle(from, message.record);
    }
  }

  // ---- invariants, for tests and the simulator ------------------------------------------

  /** The genesis certificate of this network (period 0). */
  static genesisFor(network: Network): Certificate {
    return genesisCertificate(LedgerState.fromAccounts(network.genesis).hash);
  }
}
