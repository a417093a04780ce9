// Byzantine servers in the simulator (issue 14): an adversary that runs in place of one or
// more servers, signs with their keys, and lies to the honest servers in every way the
// issue lists, choosing what to send to whom from the seed.
//
// Each adversary server keeps an honest ServerCore, its SHADOW: it hears every message
// sent to that server, keeps the committed state, and builds valid-looking proposals,
// votes and ballots. What the shadow sends never leaves as it is: `rewrite` decides, per
// message and per recipient, to pass it on, withhold it, replace it with another one
// signed with the server's key, or add more. The shadow itself never learns of the lies
// (it signs honestly, so its own store, answers and commits mean nothing: the simulator
// leaves adversary servers out of every invariant).
//
// What it does, each choice drawn from its own Random fork (so honest runs, which never
// build an Adversary, draw exactly what they drew before):
//
//   campaign       as beta: one batch X to a group of honest servers and another batch Y
//                  (a subset of X or an empty one, with another state hash) to the rest,
//                  and from EVERY adversary server a vote (majority) or a prevote and a
//                  precommit (two-thirds) for X to the first group and for Y to the
//                  second. In a majority network of three with one adversary this is a
//                  real fork: each honest server commits its own batch. In a two-thirds
//                  network with more than f adversaries it is a real split.
//   double         two different signed messages of one kind for one period or slot to
//                  the same honest server (direct evidence)
//   wrong_hash     a vote or ballot for a made-up state hash, to some servers
//   withhold       a message kept from some servers, or from all
//   stale_polka    (two-thirds) as beta: the oldest batch a quorum prevoted at this
//                  height, proposed again with its proof, though newer ones exist
//   fake_proof     (two-thirds) as beta: a re-proposal whose proof is not a quorum
//   censor         (two-thirds) as beta: an honest beta's batch of an earlier period at
//                  this height, some of its payments left out, proposed without proof
//   stale, future  ballots or votes for slots or periods 1–3 behind or ahead
//   replay         a message the adversary sent or heard before, sent again
//   relay_some     an honest server's vote or ballot, passed on to some servers only
//   twins          (only when asked: the `twins` option, sim --twins) a campaign whose batch Y holds
//                  X's payments in another order, the same state: honest servers then
//                  commit two different batches under one certificate (docs/RELIABILITY.md,
//                  the known issue "batch not certified")
//
// `EvidenceWatch` is the other half: it follows, for each honest core, the signed
// messages of adversary servers it is given, mirroring what the core remembers, and
// names the evidence the core must then hold (checked by the simulator after each batch).

import { hash_bytes, pending_proposals_max, votes_remembered_per_server } from '../constants.ts';
import { encodePaymentList, paymentsIn } from '../payment-list.ts';
import { toHex } from '../bytes.ts';
import { type Ballot, ballotKey, type BallotStep, signBallot } from '../consensus/ballot.ts';
import { proposalSigningMessage } from '../consensus/proposal.ts';
import { type Decision, decisionKey, signVote, type Vote } from '../consensus/vote.ts';
import { replayBatch } from '../ledger/batch.ts';
import type { Network } from '../network.ts';
import type { Outgoing, ServerCore } from '../node/core.ts';
import { recipientsOf } from '../node/outbox.ts';
import { headerOfProposal, type PeerMessage, type ProposalMessage } from '../peer/messages.ts';
import { periodOf } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import type { Random } from './random.ts';

// ---- how often the adversary does what ----------------------------------------------------

type ProposalTactic = 'honest' | 'campaign' | 'double' | 'withhold_some' | 'withhold_all' | 'stale_polka' | 'fake_proof' | 'censor';
type BallotTactic = 'honest' | 'double' | 'wrong_hash' | 'withhold_some' | 'withhold_all';
type PlainTactic = 'honest' | 'withhold_some' | 'withhold_all' | 'replay';

/** Weights per kind of message: every tactic is tried often within a few dozen periods. */
const proposal_tactics: readonly (readonly [ProposalTactic, number])[] = [
  ['honest', 2],
  ['campaign', 5],
  ['double', 2],
  ['withhold_some', 1],
  ['withhold_all', 1],
  ['stale_polka', 2],
  ['fake_proof', 1],
  ['censor', 2],
];
const ballot_tactics: readonly (readonly [BallotTactic, number])[] = [
  ['honest', 4],
  ['double', 2],
  ['wrong_hash', 2],
  ['withhold_some', 2],
  ['withhold_all', 1],
];
const status_tactics: readonly (readonly [PlainTactic, number])[] = [
  ['honest', 5],
  ['withhold_some', 1],
  ['withhold_all', 1],
  ['replay', 1],
];
/** FORWARD, catch-up and snapshots: passed on or withheld (the content is checked by its receiver). */
const other_tactics: readonly (readonly [PlainTactic, number])[] = [
  ['honest', 6],
  ['withhold_some', 1],
  ['withhold_all', 1],
];
/** Evidence against itself is what an adversary most wants kept quiet. */
const evidence_withheld_chance = 0.75;

/** Per call of `rewrite`, the chance of each extra message. */
const replay_chance = 0.08;
const relay_some_chance = 0.1;
const stale_chance = 0.04;
const future_chance = 0.04;
/** Stale and future slots or periods are this many away, at most. */
const far_periods_max = 3;
/** Messages remembered for replays, per adversary server; honest ballots and votes for relays. */
const replay_memory = 32;
const relay_memory = 32;

// ---- what the run reports -----------------------------------------------------------------

export interface ByzantineStats {
  /** The adversary servers (indexes). */
  servers: number[];
  /** Messages the shadows sent, and how many of them went out as they were. */
  shadowMessages: number;
  passedOn: number;
  /** Per tactic: how many times it was used. */
  tactics: Record<string, number>;
  /** Conflicting pairs of signed messages given to one honest server (the core must then hold evidence). */
  evidenceExpected: number;
  /** Pieces of evidence honest servers hold at the end, and how many of them are forks. */
  evidenceHeld: number;
  forkEvidenceHeld: number;
  /** Conflicting commits among honest servers (majority mode), and honest servers stopped at the end. */
  forksDetected: number;
  haltedServers: number;
  /** At the liveness checks of the calm: how far behind the current period the last honest server's commit was, at most. */
  commitLagMax: number;
}

// ---- the adversary ------------------------------------------------------------------------

/** A batch told to some honest servers and another batch to the others, in one slot. */
interface Campaign {
  readonly slot: number;
  /** Honest servers of group 'b'; every other server is told the shadow's own (group 'a'). */
  readonly groupB: ReadonlySet<number>;
  readonly a: Decision;
  readonly b: Decision;
  /** What each adversary server signed for it, addressed per group: signed once, sent again as it is. */
  readonly ballots: Map<number, { to: number; message: PeerMessage }[]>;
}

export class Adversary {
  readonly stats: ByzantineStats;
  private readonly controlled: ReadonlySet<number>;
  private readonly campaigns = new Map<number, Campaign>();
  /** Messages to send from an adversary server at its next turn (ballots of a campaign another one started). */
  private readonly pending = new Map<number, { to: number; message: PeerMessage }[]>();
  private readonly sentBefore = new Map<number, PeerMessage[]>();
  private readonly heardHonest: PeerMessage[] = [];
  /** Proposals heard, by slot (for stale re-proposals), and prevotes heard, by (slot, decision). */
  private readonly proposalsHeard = new Map<number, ProposalMessage>();
  private readonly prevotesHeard = new Map<string, { slot: number; decision: Decision; ballots: Map<number, Ballot> }>();
  /** Per "liar:honest": catch-up requests of the honest server to the liar in a row, none answered. */
  private readonly unansweredAsks = new Map<string, number>();

  constructor(
    private readonly network: Network,
    /** The signer of every server; only the adversaries' are used. */
    private readonly signers: readonly Signer[],
    indexes: readonly number[],
    private readonly random: Random,
    /** The shadow core of a server, or null when it is down. */
    private readonly coreOf: (index: number) => ServerCore | null,
    /**
     * The simulated server that a core's directory id names (node/configurations.ts): the
     * liars address whom their shadows' configurations name, as honest cores do, so that
     * they lie across server-set changes too.
     */
    private readonly simIndexOf: (core: ServerCore, id: number) => number,
    private readonly options: { readonly twins?: boolean } = {},
  ) {
    // A liar is a server of the network file: its directory id is its index in every core.
    for (const index of indexes) if (index >= network.servers.length) throw new Error(`a liar is a server of the network file, not ${index}`);
    this.controlled = new Set(indexes);
    this.stats = {
      servers: [...indexes].sort((a, b) => a - b),
      shadowMessages: 0,
      passedOn: 0,
      tactics: {},
      evidenceExpected: 0,
      evidenceHeld: 0,
      forkEvidenceHeld: 0,
      forksDetected: 0,
      haltedServers: 0,
      commitLagMax: 0,
    };
  }

  /** Picks `count` adversary servers from the seed. */
  static choose(servers: number, count: number, random: Random): number[] {
    if (!Number.isInteger(count) || count < 0 || count >= servers) throw new Error(`--byzantine: expected 0..${servers - 1} adversary servers, got ${count}`);
    return random.sample(Array.from({ length: servers }, (_, i) => i), count).sort((a, b) => a - b);
  }

  controls(index: number): boolean {
    return this.controlled.has(index);
  }

  get indexes(): readonly number[] {
    return this.stats.servers;
  }

  private isHonest(index: number): boolean {
    return !this.controlled.has(index);
  }

  private use(tactic: string): void {
    this.stats.tactics[tactic] = (this.stats.tactics[tactic] ?? 0) + 1;
  }

  private pick<T extends string>(table: readonly (readonly [T, number])[]): T {
    let roll = this.random.int(table.reduce((sum, [, weight]) => sum + weight, 0));
    for (const [tactic, weight] of table) {
      if (roll < weight) return tactic;
      roll -= weight;
    }
    return table[0]![0];
  }

  /** A random non-empty proper subset of `items` (or all of one item). */
  private some(items: readonly number[]): Set<number> {
    if (items.length <= 1) return new Set(items);
    return new Set(this.random.sample(items, this.random.between(1, items.length - 1)));
  }

  // ---- what the adversary hears ------------------------------------------------------------

  /** A message delivered to adversary server `to` from `from`: remembered for relays and re-proposals. */
  observe(to: number, from: number, message: PeerMessage): void {
    if (this.controls(from)) return;
    switch (message.type) {
      case 'sync_request':
      case 'snapshot_request': {
        const key = `${to}:${from}`;
        this.unansweredAsks.set(key, (this.unansweredAsks.get(key) ?? 0) + 1);
        return;
      }
      case 'vote':
      case 'prevote':
      case 'precommit':
      case 'evidence':
        this.heardHonest.push(message);
        if (this.heardHonest.length > relay_memory) this.heardHonest.shift();
        if (message.type === 'prevote') this.notePrevote(message.ballot);
        return;
      case 'proposal':
        this.proposalsHeard.set(message.period, message);
        while (this.proposalsHeard.size > 2 * pending_proposals_max) this.proposalsHeard.delete(Math.min(...this.proposalsHeard.keys()));
        return;
      default:
        return;
    }
  }

  private notePrevote(ballot: Ballot): void {
    const key = ballotKey(ballot);
    let polka = this.prevotesHeard.get(key);
    if (polka === undefined) this.prevotesHeard.set(key, (polka = { slot: ballot.slot, decision: ballot, ballots: new Map() }));
    polka.ballots.set(ballot.voter, ballot);
    while (this.prevotesHeard.size > 8 * pending_proposals_max) this.prevotesHeard.delete(this.prevotesHeard.keys().next().value!);
  }

  // ---- what the adversary sends ------------------------------------------------------------

  /**
   * What adversary server `from` sends, in place of its shadow's outbox: per recipient, the
   * messages in order. `now` is the server's own clock.
   */
  rewrite(from: number, core: ServerCore, outbox: readonly Outgoing[], now: number): Map<number, PeerMessage[]> {
    const out = new Map<number, PeerMessage[]>();
    const send = (to: number, message: PeerMessage): void => {
      if (to === from) return;
      let list = out.get(to);
      if (list === undefined) out.set(to, (list = []));
      list.push(message);
      if (!this.controls(to)) this.remember(from, message);
      if (message.type === 'sync_records' || message.type === 'snapshot_header') this.unansweredAsks.delete(`${from}:${to}`);
    };
    for (const { to, message } of this.pending.get(from)?.splice(0) ?? []) send(to, message);
    // As the node routes its outbox (node/outbox.ts), to whom its shadow's directory names.
    const everyone = recipientsOf('others', core.addressees).map((id) => this.simIndexOf(core, id));
    for (const { to, message } of outbox) {
      this.stats.shadowMessages++;
      const recipients = to === 'others' ? everyone : [this.simIndexOf(core, to)];
      this.route(from, core, message, recipients, send, now);
    }
    this.extras(from, core, everyone, send, now);
    return out;
  }

  /**
   * Honest servers that asked one liar for catch-up twice or more in a row without an answer:
   * CatchUp says it asks another peer after a timeout, but its rotation over a list of
   * candidates that changes between asks can land on the same one (KNOWN ISSUE
   * sync-peer-repeated, src/node/catch-up.ts syncPeer).
   */
  askedAgainAfterSilence(): { liar: number; server: number }[] {
    const found: { liar: number; server: number }[] = [];
    for (const [key, count] of this.unansweredAsks) {
      if (count < 2) continue;
      const [liar, server] = key.split(':').map(Number) as [number, number];
      found.push({ liar, server });
    }
    return found;
  }

  private remember(from: number, message: PeerMessage): void {
    if (message.type === 'snapshot_page' || message.type === 'sync_records' || message.type === 'snapshot_header') return; // large, and answers to requests
    let list = this.sentBefore.get(from);
    if (list === undefined) this.sentBefore.set(from, (list = []));
    if (list.includes(message)) return;
    list.push(message);
    if (list.length > replay_memory) list.shift();
  }

  /** The tactics that only choose who hears the message as it is: true when `tactic` was one. */
  private deliverPlain(tactic: string, recipients: readonly number[], honest: readonly number[], passOn: (to: number) => void): boolean {
    switch (tactic) {
      case 'honest':
        for (const to of recipients) passOn(to);
        return true;
      case 'withhold_all':
        for (const to of recipients) if (!this.isHonest(to)) passOn(to);
        return true;
      case 'withhold_some': {
        const kept = this.some(honest);
        for (const to of recipients) if (!kept.has(to)) passOn(to);
        return true;
      }
      default:
        return false;
    }
  }

  private route(from: number, core: ServerCore, message: PeerMessage, recipients: readonly number[], send: (to: number, message: PeerMessage) => void, now: number): void {
    const honest = recipients.filter((i) => this.isHonest(i));
    const passOn = (to: number): void => {
      this.stats.passedOn++;
      send(to, message);
    };
    switch (message.type) {
      case 'proposal':
        return this.routeProposal(from, core, message, recipients, honest, send, passOn);
      case 'vote': {
        const campaign = this.campaigns.get(message.vote.period);
        if (campaign !== undefined) return this.followCampaign(from, campaign, message, recipients, send);
        return this.routeSigned(from, message, recipients, honest, send, passOn, now);
      }
      case 'prevote':
      case 'precommit': {
        if (message.type === 'prevote') this.notePrevote(message.ballot);
        const campaign = this.campaigns.get(message.ballot.slot);
        if (campaign !== undefined) return this.followCampaign(from, campaign, message, recipients, send);
        return this.routeSigned(from, message, recipients, honest, send, passOn, now);
      }
      case 'evidence':
        if (this.random.chance(evidence_withheld_chance)) {
          this.use('withhold_evidence');
          return;
        }
        for (const to of recipients) passOn(to);
        return;
      case 'status':
        return this.routePlain(from, message, recipients, honest, status_tactics, send, passOn);
      default:
        return this.routePlain(from, message, recipients, honest, other_tactics, send, passOn);
    }
  }

  private routePlain(
    from: number,
    message: PeerMessage,
    recipients: readonly number[],
    honest: readonly number[],
    table: readonly (readonly [PlainTactic, number])[],
    send: (to: number, message: PeerMessage) => void,
    passOn: (to: number) => void,
  ): void {
    const tactic = honest.length === 0 ? 'honest' : this.pick(table);
    if (tactic !== 'honest') this.use(`${tactic}_${message.type}`);
    if (this.deliverPlain(tactic, recipients, honest, passOn)) return;
    // replay: everyone hears it, and one honest server hears an older message of the liar's again
    for (const to of recipients) passOn(to);
    const old = this.sentBefore.get(from);
    if (old !== undefined && old.length > 0) send(this.random.pick(honest), this.random.pick(old));
  }

  /** Votes and ballots outside a campaign. */
  private routeSigned(
    from: number,
    message: Extract<PeerMessage, { type: 'vote' | 'prevote' | 'precommit' }>,
    recipients: readonly number[],
    honest: readonly number[],
    send: (to: number, message: PeerMessage) => void,
    passOn: (to: number) => void,
    now: number,
  ): void {
    void now;
    const tactic = honest.length === 0 ? 'honest' : this.pick(ballot_tactics);
    if (tactic !== 'honest') this.use(`${tactic}_${message.type}`);
    const decision: Decision = message.type === 'vote' ? message.vote : message.ballot;
    const other = (): PeerMessage => this.signedLike(from, message, { ...decision, hash: this.random.bytes(hash_bytes) });
    if (this.deliverPlain(tactic, recipients, honest, passOn)) return;
    switch (tactic) {
      case 'wrong_hash': {
        const lied = this.some(honest);
        const lie = other();
        for (const to of recipients) {
          if (lied.has(to)) send(to, lie);
          else passOn(to);
        }
        return;
      }
      case 'double': {
        const told = this.some(honest);
        const lie = other();
        for (const to of recipients) {
          if (!told.has(to)) {
            passOn(to);
            continue;
          }
          // Both, in a random order: the honest server must keep the proof whichever came first.
          if (this.random.chance(0.5)) {
            passOn(to);
            send(to, lie);
          } else {
            send(to, lie);
            passOn(to);
          }
        }
        return;
      }
    }
  }

  /** The same kind of signed message as `message`, from adversary `from`, for another decision. */
  private signedLike(from: number, message: Extract<PeerMessage, { type: 'vote' | 'prevote' | 'precommit' }>, decision: Decision): PeerMessage {
    const signer = this.signers[from]!;
    if (message.type === 'vote') return { type: 'vote', vote: signVote(signer, this.network.id, decision, message.vote.prev, from) };
    return { type: message.type, ballot: signBallot(signer, this.network.id, message.type, message.ballot.slot, decision, from) };
  }

  // ---- proposals ---------------------------------------------------------------------------

  private routeProposal(
    from: number,
    core: ServerCore,
    message: ProposalMessage,
    recipients: readonly number[],
    honest: readonly number[],
    send: (to: number, message: PeerMessage) => void,
    passOn: (to: number) => void,
  ): void {
    const twoThirds = this.network.quorumMode === 'two-thirds';
    let tactic = honest.length === 0 ? 'honest' : this.pick(proposal_tactics);
    if (!twoThirds && (tactic === 'stale_polka' || tactic === 'fake_proof' || tactic === 'censor')) tactic = 'campaign';
    if (tactic === 'campaign' && honest.length < 2) tactic = 'double';
    let replacement: ProposalMessage | null = null;
    if (tactic === 'campaign' || tactic === 'double') {
      replacement = this.alternative(from, core, message);
      if (replacement === null) tactic = 'withhold_some';
    } else if (tactic === 'stale_polka') {
      replacement = this.stalePolka(from, core, message);
      if (replacement === null) tactic = 'fake_proof';
    } else if (tactic === 'censor') {
      replacement = this.censored(from, core, message);
      if (replacement === null) tactic = 'fake_proof';
    }
    if (tactic === 'fake_proof') {
      replacement = this.fakeProof(from, core, message);
      if (replacement === null) tactic = 'honest';
    }
    this.use(`${tactic}_proposal`);

    if (this.deliverPlain(tactic, recipients, honest, passOn)) return;
    switch (tactic) {
      case 'campaign':
        return this.startCampaign(from, core, message, replacement!, recipients, honest, send, passOn);
      case 'double': {
        const told = this.some(honest);
        for (const to of recipients) {
          passOn(to);
          if (told.has(to)) send(to, replacement!);
        }
        return;
      }
      case 'stale_polka':
      case 'censor':
      case 'fake_proof': {
        const told = this.random.chance(0.5) ? new Set(honest) : this.some(honest);
        for (const to of recipients) {
          if (told.has(to)) send(to, replacement!);
          else passOn(to);
        }
        return;
      }
    }
  }

  /** A PROPOSAL with these fields, signed by adversary server `from`. */
  private signedProposal(from: number, fields: Omit<ProposalMessage, 'type' | 'proposer' | 'signature'>): ProposalMessage {
    const unsigned: ProposalMessage = { ...fields, type: 'proposal', proposer: from, signature: new Uint8Array(64) };
    return { ...unsigned, signature: this.signers[from]!.sign(proposalSigningMessage(this.network.id, headerOfProposal(unsigned))) };
  }

  /** The decision a batch gives on the shadow's committed state. */
  private decisionOf(core: ServerCore, decided: number, transactions: Uint8Array): Decision {
    const replay = replayBatch(core.ledger, decided, core.timing, transactions);
    const committed = core.committed;
    return { period: decided, parent: committed.period, parentHash: committed.hash, hash: core.ledger.prepare(replay.changes).hash };
  }

  /**
   * Batch Y for batch X: a fresh proposal of the slot's own period with a random part of X's
   * payments (at least one applied payment left out) or none, whose state hash differs from
   * X's. Null when no such batch exists (X applies nothing) or X is not on the shadow's
   * committed state.
   */
  private alternative(from: number, core: ServerCore, message: ProposalMessage): ProposalMessage | null {
    const committed = core.committed;
    if (message.parent.period !== committed.period) return null;
    const slot = message.period;
    const own = this.decisionOf(core, message.decided, message.transactions);
    const payments = paymentsIn(message.transactions);
    const count = payments.length;
    // A re-proposal's batch is of an earlier period: Y is then the slot's own period, empty.
    if (this.options.twins === true) return this.twin(from, core, message, own);
    const candidates: Uint8Array[] = [];
    if (message.decided === slot && count > 0) {
      const keep = new Uint8Array(count);
      for (let i = 0; i < count; i++) keep[i] = this.random.chance(0.5) ? 1 : 0;
      candidates.push(encodePaymentList(payments.filter((_, i) => keep[i] === 1)));
    }
    candidates.push(new Uint8Array(0));
    for (const transactions of candidates) {
      const decision = this.decisionOf(core, slot, transactions);
      if (decisionKey(decision) === decisionKey(own)) continue; // the same state: not a batch that can split anyone
      return this.signedProposal(from, { period: slot, decided: slot, hash: decision.hash, transactions, parent: committed, validSlot: 0, pol: [] });
    }
    return null;
  }

  /** X's payments with the last one first: another batch for the same state (when they all apply), or null. */
  private twin(from: number, core: ServerCore, message: ProposalMessage, own: Decision): ProposalMessage | null {
    const payments = paymentsIn(message.transactions);
    const count = payments.length;
    if (message.decided !== message.period || count < 2) return null;
    const transactions = encodePaymentList([payments[count - 1]!, ...payments.slice(0, count - 1)]);
    if (decisionKey(this.decisionOf(core, message.decided, transactions)) !== decisionKey(own)) return null;
    return this.signedProposal(from, { period: message.period, decided: message.decided, hash: own.hash, transactions, parent: core.committed, validSlot: 0, pol: [] });
  }

  /**
   * The campaign: X (the shadow's) to group A, Y to group B, and from every adversary server
   * a vote, or a prevote and a precommit, for each batch to its group.
   */
  private startCampaign(
    from: number,
    core: ServerCore,
    message: ProposalMessage,
    replacement: ProposalMessage,
    recipients: readonly number[],
    honest: readonly number[],
    send: (to: number, message: PeerMessage) => void,
    passOn: (to: number) => void,
  ): void {
    const groupB = this.some(honest);
    const campaign: Campaign = {
      slot: message.period,
      groupB,
      a: this.decisionOf(core, message.decided, message.transactions),
      b: this.decisionOf(core, replacement.decided, replacement.transactions),
      ballots: new Map(),
    };
    this.campaigns.set(campaign.slot, campaign);
    while (this.campaigns.size > 2 * pending_proposals_max) this.campaigns.delete(Math.min(...this.campaigns.keys()));
    for (const to of recipients) {
      if (groupB.has(to)) send(to, replacement);
      else passOn(to);
    }
    for (const adversary of this.indexes) {
      const shadow = adversary === from ? core : this.coreOf(adversary);
      if (shadow === null) continue;
      const messages = this.campaignBallots(adversary, shadow, campaign);
      campaign.ballots.set(adversary, messages);
      if (adversary === from) {
        for (const { to, message: ballot } of messages) send(to, ballot);
      } else {
        let queue = this.pending.get(adversary);
        if (queue === undefined) this.pending.set(adversary, (queue = []));
        queue.push(...messages);
      }
    }
  }

  /** What adversary server `voter` signs in a campaign, addressed per group. */
  private campaignBallots(voter: number, shadow: ServerCore, campaign: Campaign): { to: number; message: PeerMessage }[] {
    const signer = this.signers[voter]!;
    const id = this.network.id;
    const messages: { to: number; message: PeerMessage }[] = [];
    const forGroup = (decision: Decision): PeerMessage[] => {
      if (this.network.quorumMode === 'majority') {
        const prev = Math.min(shadow.lastVotePeriod ?? 0, decision.period - 1);
        return [{ type: 'vote', vote: signVote(signer, id, decision, prev, voter) }];
      }
      return (['prevote', 'precommit'] as const).map((step) => ({ type: step, ballot: signBallot(signer, id, step, campaign.slot, decision, voter) }));
    };
    const toA = forGroup(campaign.a);
    const toB = forGroup(campaign.b);
    for (const to of recipientsOf('others', shadow.addressees).map((id) => this.simIndexOf(shadow, id))) {
      if (!this.isHonest(to)) continue;
      for (const message of campaign.groupB.has(to) ? toB : toA) messages.push({ to, message });
    }
    return messages;
  }

  /** A shadow's vote or ballot in a campaign's slot: each group gets the campaign's decision for it. */
  private followCampaign(from: number, campaign: Campaign, original: PeerMessage, recipients: readonly number[], send: (to: number, message: PeerMessage) => void): void {
    this.use('campaign_ballot');
    for (const to of recipients) if (!this.isHonest(to)) send(to, original); // the other shadows hear the truth
    for (const { to, message } of campaign.ballots.get(from) ?? []) if (recipients.includes(to)) send(to, message);
  }

  /** The oldest decision a quorum prevoted at this height (with its batch), proposed again now. */
  private stalePolka(from: number, core: ServerCore, message: ProposalMessage): ProposalMessage | null {
    const committed = core.committed;
    let oldest: { slot: number; decision: Decision; ballots: Map<number, Ballot> } | null = null;
    for (const polka of this.prevotesHeard.values()) {
      if (polka.ballots.size < core.membership.quorum || polka.slot >= message.period) continue;
      if (polka.decision.parent !== committed.period || toHex(polka.decision.parentHash) !== toHex(committed.hash)) continue;
      if (oldest === null || polka.slot < oldest.slot) oldest = polka;
    }
    if (oldest === null) return null;
    const decision = oldest.decision;
    for (const heard of this.proposalsHeard.values()) {
      if (heard.decided !== decision.period || heard.parent.period !== committed.period) continue;
      if (decisionKey(this.decisionOf(core, heard.decided, heard.transactions)) !== decisionKey(decision)) continue;
      const pol = [...oldest.ballots.values()].slice(0, core.membership.quorum);
      return this.signedProposal(from, { period: message.period, decided: decision.period, hash: decision.hash, transactions: heard.transactions, parent: committed, validSlot: oldest.slot, pol });
    }
    return null;
  }

  /**
   * An honest beta's batch of an earlier period at this height, with some of its payments
   * left out, proposed again without proof: were it backed, that period would commit without
   * payments its alpha answered ACCEPTED.
   */
  private censored(from: number, core: ServerCore, message: ProposalMessage): ProposalMessage | null {
    const committed = core.committed;
    for (const heard of this.proposalsHeard.values()) {
      if (heard.decided !== heard.period || heard.validSlot !== 0 || heard.decided >= message.period || heard.parent.period !== committed.period) continue;
      const payments = paymentsIn(heard.transactions);
      const count = payments.length;
      if (count === 0 || this.controls(heard.proposer)) continue;
      const left = this.random.int(count);
      const transactions = encodePaymentList(payments.filter((_, i) => i !== left));
      const decision = this.decisionOf(core, heard.decided, transactions);
      return this.signedProposal(from, { period: message.period, decided: heard.decided, hash: decision.hash, transactions, parent: committed, validSlot: 0, pol: [] });
    }
    return null;
  }

  /** A re-proposal whose "proof" is one prevote of this server: never a quorum. */
  private fakeProof(from: number, core: ServerCore, message: ProposalMessage): ProposalMessage | null {
    const committed = core.committed;
    const slot = message.period;
    const decided = slot - 1;
    if (decided <= committed.period) return null;
    const decision = this.decisionOf(core, decided, message.transactions);
    const prevote = signBallot(this.signers[from]!, this.network.id, 'prevote', decided, decision, from);
    return this.signedProposal(from, { period: slot, decided, hash: decision.hash, transactions: message.transactions, parent: committed, validSlot: decided, pol: [prevote] });
  }

  // ---- messages of its own -----------------------------------------------------------------

  private extras(from: number, core: ServerCore, everyone: readonly number[], send: (to: number, message: PeerMessage) => void, now: number): void {
    const honest = everyone.filter((i) => this.isHonest(i));
    if (honest.length === 0) return;
    const random = this.random;
    if (random.chance(replay_chance)) {
      const old = this.sentBefore.get(from);
      if (old !== undefined && old.length > 0) {
        this.use('replay');
        send(random.pick(honest), random.pick(old));
      }
    }
    if (random.chance(relay_some_chance) && this.heardHonest.length > 0) {
      this.use('relay_some');
      const message = random.pick(this.heardHonest);
      for (const to of this.some(honest)) send(to, message);
    }
    const current = periodOf(core.timing, now);
    for (const [chance, sign, tactic] of [
      [stale_chance, -1, 'stale'],
      [future_chance, 1, 'future'],
    ] as const) {
      if (!random.chance(chance)) continue;
      const far = this.farMessage(from, core, current + sign * random.between(1, far_periods_max));
      if (far === null) continue;
      this.use(tactic);
      for (const to of this.some(honest)) send(to, far);
    }
  }

  /** A vote (majority) or ballot (two-thirds) of `from` for slot or period `at`, for a made-up state hash. */
  private farMessage(from: number, core: ServerCore, at: number): PeerMessage | null {
    const committed = core.committed;
    if (at < 1) return null;
    const parent = committed.period < at ? committed.period : at - 1;
    const parentHash = committed.period < at ? committed.hash : this.random.bytes(hash_bytes);
    const decision: Decision = { period: at, parent, parentHash, hash: this.random.bytes(hash_bytes) };
    const signer = this.signers[from]!;
    if (this.network.quorumMode === 'majority') {
      const prev = Math.min(core.lastVotePeriod ?? 0, at - 1);
      return { type: 'vote', vote: signVote(signer, this.network.id, decision, prev, from) };
    }
    const step: BallotStep = this.random.chance(0.5) ? 'prevote' : 'precommit';
    return { type: step, ballot: signBallot(signer, this.network.id, step, at, decision, from) };
  }
}

// ---- the evidence an honest core must hold ---------------------------------------------------

/** A conflicting ballot is expected to be caught when the first one came at most this many periods before (the core's memory of first ballots is bounded by count). */
const ballot_memory_periods = 3;

interface Heard {
  readonly content: string;
  readonly at: number;
}

/** What one honest core remembers of adversaries' signed messages, as the core itself does. */
interface CoreMemory {
  /** proposer:slot → the first header accepted. */
  readonly proposals: Map<string, Heard>;
  /** voter → period → the first vote remembered (the core keeps the newest votes_remembered_per_server periods per voter). */
  readonly votes: Map<number, Map<number, Heard>>;
  /** step:slot:voter → the first ballot. */
  readonly ballots: Map<string, Heard>;
}

/**
 * Follows the signed messages of adversary servers that reach each honest core and says
 * which evidence the core must hold once it has taken them. It mirrors what the core
 * remembers (node/proposals.ts, vote-memory.ts, two-thirds.ts): the first proposal header of a slot it accepted (slots after
 * its committed period), the first vote of each of a voter's newest 16 periods (majority
 * networks), the first ballot of each (step, slot, voter) (two-thirds networks; that
 * memory is bounded by count, so only pairs that came within a few periods are counted).
 */
export class EvidenceWatch {
  private readonly memories = new WeakMap<ServerCore, CoreMemory>();

  constructor(
    private readonly network: Network,
    private readonly adversaries: ReadonlySet<number>,
  ) {}

  private memoryOf(core: ServerCore): CoreMemory {
    let memory = this.memories.get(core);
    if (memory === undefined) this.memories.set(core, (memory = { proposals: new Map(), votes: new Map(), ballots: new Map() }));
    return memory;
  }

  /**
   * `message` from `from` is about to be handed to honest `core` at global time `at`:
   * the evidence key (consensus/evidence.ts evidenceKey) the core must hold once it took
   * it, or null.
   */
  before(core: ServerCore, from: number, message: PeerMessage, at: number): string | null {
    const memory = this.memoryOf(core);
    const majority = this.network.quorumMode === 'majority';
    switch (message.type) {
      case 'proposal': {
        if (!this.adversaries.has(message.proposer) || message.proposer !== from) return null;
        // Not this slot's beta in the core's configurations (a change moved the rotation): refused before its header is kept.
        if (core.configurations.alphaOf(message.period, message.parent.period) !== message.proposer) return null;
        if (message.period <= core.committed.period) return null; // stale: dropped before its header is looked at
        if (majority && (message.decided !== message.period || message.validSlot !== 0)) return null; // malformed in a majority network
        const key = `${message.proposer}:${message.period}`;
        const content = toHex(proposalSigningMessage(this.network.id, headerOfProposal(message)));
        const first = memory.proposals.get(key);
        if (first === undefined) {
          memory.proposals.set(key, { content, at });
          return null;
        }
        return first.content !== content ? `proposal:${message.proposer}:${message.period}` : null;
      }
      case 'status':
        if (!majority || message.vote === null || message.vote.voter !== from) return null;
        return this.vote(core, memory, message.vote, at);
      case 'vote':
        if (!majority) return null;
        return this.vote(core, memory, message.vote, at);
      case 'prevote':
      case 'precommit': {
        if (majority || !this.adversaries.has(message.ballot.voter)) return null;
        const ballot = message.ballot;
        if (!this.signsAt(core, ballot.voter, ballot.parent)) return null; // a liar a change removed: its ballots do not verify
        const key = `${ballot.step}:${ballot.slot}:${ballot.voter}`;
        const content = decisionKey(ballot);
        const first = memory.ballots.get(key);
        if (first === undefined) {
          memory.ballots.set(key, { content, at });
          if (memory.ballots.size > 4096) memory.ballots.delete(memory.ballots.keys().next().value!);
          return null;
        }
        if (first.content === content || at - first.at > ballot_memory_periods * this.network.periodMs) return null;
        return `${ballot.step}:${ballot.voter}:${ballot.slot}`;
      }
      default:
        return null;
    }
  }

  /** Whether `voter` is one of the servers whose votes a core checks at parent `parent` (a change may have removed it). */
  private signsAt(core: ServerCore, voter: number, parent: number): boolean {
    return core.configurations.at(parent).members.has(voter);
  }

  /** As MajorityAgreement.handleVote and VoteMemory.remember: the first vote of each of the voter's newest periods. */
  private vote(core: ServerCore, memory: CoreMemory, vote: Vote, at: number): string | null {
    if (!this.adversaries.has(vote.voter) || !this.signsAt(core, vote.voter, vote.parent)) return null;
    let periods = memory.votes.get(vote.voter);
    if (periods === undefined) memory.votes.set(vote.voter, (periods = new Map()));
    const content = `${decisionKey(vote)}:${vote.prev}`;
    const first = periods.get(vote.period);
    if (first !== undefined) return first.content !== content ? `vote:${vote.voter}:${vote.period}` : null;
    periods.set(vote.period, { content, at });
    if (periods.size > votes_remembered_per_server) periods.delete(Math.min(...periods.keys()));
    return null;
  }
}
