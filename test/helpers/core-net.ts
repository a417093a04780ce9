// A few real ServerCores wired together in a test: a manual clock, an in-test message
// pump that carries each core's outbox to the others through the real codec
// (encodeMessage/decodeMessage, as src/sim/simulator.ts does), and a hook that may drop
// or rewrite any message in flight. No timers, no sockets: every step is explicit.
//
// Cores are built as the simulator builds them: a MemoryStore seeded with the genesis
// accounts, a signer per server, the simulator's fast deterministic signatures.

import { type Change, changeSigningMessage, type ConfigServer } from '../../src/consensus/configuration.ts';
import { proposalSigningMessage } from '../../src/consensus/proposal.ts';
import { certificateFrom, type Decision, signVote } from '../../src/consensus/vote.ts';
import { headerOfProposal, type ProposalMessage } from '../../src/peer/messages.ts';
import { toHex } from '../../src/bytes.ts';
import { LedgerState } from '../../src/ledger/state.ts';
import { MemoryStore } from '../../src/ledger/store.ts';
import { type Network, parseNetwork } from '../../src/network.ts';
import { type CoreLog, ServerCore } from '../../src/node/core.ts';
import { routeOutbox } from '../../src/node/outbox.ts';
import { decodeMessage, encodeMessage, type PeerMessage, type PeriodRecord } from '../../src/peer/messages.ts';
import type { RawMessage } from '../../src/peer/framing.ts';
import { startOf, type Timing, timingOf } from '../../src/schedule.ts';
import type { Signer } from '../../src/signature.ts';
import { signPayment } from '../../src/transaction.ts';
import { simCrypto } from '../../src/sim/crypto.ts';

export const net_period_ms = 1_000;
export const net_blackout_ms = 100;
export const net_skew_ms = 400;
/** A realistic period number (November 2023), divisible by 3 so that alpha(first) = server 0. */
export const first_period = 1_700_000_001;

/** What the pump does with one message in flight: deliver it (maybe rewritten), or drop it (null). */
export type Intercept = (from: number, to: number, message: PeerMessage) => PeerMessage | null;

export interface Sent {
  readonly from: number;
  readonly to: number;
  readonly message: PeerMessage;
  readonly at: number;
}

export interface NetServer {
  readonly index: number;
  readonly signer: Signer;
  store: MemoryStore;
  core: ServerCore | null;
  readonly logs: string[];
}

export class CoreNet {
  readonly crypto = simCrypto('fast');
  readonly network: Network;
  readonly timing: Timing;
  readonly wallets: Signer[];
  readonly servers: NetServer[];
  readonly genesisState: LedgerState;
  now: number;
  /** Every message offered to a peer, before the intercept decided its fate. */
  readonly sent: Sent[] = [];
  intercept: Intercept | null = null;
  private readonly queue: { from: number; to: number; raw: RawMessage }[] = [];

  constructor(serverCount = 3, walletCount = 4) {
    const serverSigners = Array.from({ length: serverCount }, (_, i) => this.crypto.signer(`core-net server ${i}`));
    this.wallets = Array.from({ length: walletCount }, (_, i) => this.crypto.signer(`core-net wallet ${i}`));
    this.network = parseNetwork({
      name: 'core-net',
      period_ms: net_period_ms,
      blackout_ms: net_blackout_ms,
      skew_ms: net_skew_ms,
      servers: serverSigners.map((signer, i) => ({ key: toHex(signer.publicKey), ip: `10.0.0.${i + 1}:4001` })),
      genesis: this.wallets.map((wallet, i) => ({ account: toHex(wallet.publicKey), balance: (i + 1) * 1_000 })),
    });
    this.timing = timingOf(this.network);
    this.genesisState = LedgerState.fromAccounts(this.network.genesis);
    this.now = startOf(this.timing, first_period) - 500;
    this.servers = serverSigners.map((signer, index) => ({ index, signer, store: this.freshStore(), core: null, logs: [] }));
  }

  /** A store as a new server has it: the genesis certificate and accounts, nothing else. */
  freshStore(): MemoryStore {
    const store = new MemoryStore(ServerCore.genesisFor(this.network));
    store.seedGenesis(this.genesisState.entries());
    return store;
  }

  core(index: number): ServerCore {
    const core = this.servers[index]!.core;
    if (core === null) throw new Error(`server ${index} is down`);
    return core;
  }

  logOf(index: number): string {
    return this.servers[index]!.logs.join('\n');
  }

  private logFor(index: number): CoreLog {
    const logs = this.servers[index]!.logs;
    return {
      debug: () => {},
      info: (message) => logs.push(`info ${message}`),
      warn: (message) => logs.push(`warn ${message}`),
      error: (message) => logs.push(`error ${message}`),
    };
  }

  /** (Re)starts server `index` from its store (or `store`, which becomes its store), at the current time. */
  start(index: number, store?: MemoryStore): ServerCore {
    const server = this.servers[index]!;
    if (store !== undefined) server.store = store;
    const core = new ServerCore({
      network: this.network,
      selfIndex: index,
      signer: server.signer,
      store: server.store,
      verify: this.crypto.verify,
      log: this.logFor(index),
      now: this.now,
    });
    server.core = core;
    core.announce();
    this.collect(index);
    this.pump();
    return core;
  }

  startAll(): void {
    for (let i = 0; i < this.servers.length; i++) this.start(i);
  }

  /** A PROPOSAL changed in transit, signed again by its proposer: what a beta that equivocates sends. */
  resignProposal(message: ProposalMessage): ProposalMessage {
    const signer = this.servers[message.proposer]!.signer;
    return { ...message, signature: signer.sign(proposalSigningMessage(this.network.id, headerOfProposal(message))) };
  }

  /**
   * A change of the newest configuration server `via` knows, to `servers` (indexes of the
   * network file, or entries of servers no core here runs), signed by the servers `signers`
   * (network file indexes), each under its place in the configuration replaced.
   */
  changeTo(via: number, servers: readonly (number | ConfigServer)[], signers: readonly number[], first = 0): Change {
    const latest = this.core(via).configurations.latest;
    const list: ConfigServer[] = servers.map((server) => (typeof server === 'number' ? { key: this.network.servers[server]!.key, address: this.network.servers[server]!.address } : server));
    const body = { replaces: latest.number, replacesHash: latest.hash, first, servers: list };
    const message = changeSigningMessage(this.network.id, body);
    const signatures = signers
      .map((i) => ({ signer: latest.servers.findIndex((server) => toHex(server.key) === toHex(this.network.servers[i]!.key)), key: i }))
      .sort((a, b) => a.signer - b.signer)
      .map(({ signer, key }) => ({ signer, signature: this.servers[key]!.signer.sign(message) }));
    return { ...body, signatures };
  }

  /**
   * A fork shown to server `to`: a certificate of period `period`, signed by servers 0 and 1,
   * built on the committed period P+1 of server 0's store, so that it skips what `to` committed
   * since; brought by a STATUS from server 0. Both certificates hold: `to` stops (§8.12).
   */
  showFork(to: number, period: number): void {
    const records = this.servers[0]!.store.records(first_period + 1, 1, 1 << 20) as PeriodRecord[];
    const parent = records[0]!.certificate;
    const decision: Decision = { period, parent: parent.period, parentHash: parent.hash, hash: new Uint8Array(32).fill(9) };
    const conflicting = certificateFrom(decision, [0, 1].map((voter) => signVote(this.servers[voter]!.signer, this.network.id, decision, parent.period, voter)));
    this.inject(0, to, { type: 'status', committed: conflicting, vote: null });
  }

  /** Server `index` down from `from` to `to` (periods, each at 500 ms), then started again from its store. */
  sleepThrough(index: number, from: number, to: number): ServerCore {
    this.advanceToPeriod(from, 500);
    this.crash(index);
    this.advanceToPeriod(to, 500);
    return this.start(index);
  }

  /** Drops server `index`'s core (kill -9): its store stays, messages to it are lost. */
  crash(index: number): void {
    this.servers[index]!.core = null;
  }

  /** Moves a core's outbox into the network as the node sends it (node/outbox.ts): one batch per addressee, as bytes. */
  private collect(index: number): void {
    const core = this.servers[index]!.core;
    if (core === null) return;
    for (const [to, batch] of routeOutbox(core.outbox.splice(0), core.addressees, encodeMessage)) for (const raw of batch) this.queue.push({ from: index, to, raw });
  }

  /** Delivers every message in flight, and what they cause, until the network is quiet. */
  pump(): void {
    let steps = 0;
    while (this.queue.length > 0) {
      if (++steps > 100_000) throw new Error('the message pump does not settle');
      const { from, to, raw } = this.queue.shift()!;
      let message: PeerMessage | null = decodeMessage(raw);
      this.sent.push({ from, to, message, at: this.now });
      if (this.intercept !== null) message = this.intercept(from, to, message);
      if (message === null) continue;
      // A rewritten message still crosses the wire: it must encode and decode strictly.
      message = decodeMessage(encodeMessage(message));
      // A server this net does not run (one a configuration change named): the message is lost.
      const core = this.servers[to]?.core ?? null;
      if (core === null) continue;
      core.onMessage(from, message, this.now);
      this.collect(to);
    }
  }

  /**
   * One step of time: the earliest timer of any live core, if it is due by `limit`; the
   * cores due then tick, and what they send is delivered. False when nothing is due.
   */
  step(limit: number): boolean {
    let next = Number.POSITIVE_INFINITY;
    const due: number[] = [];
    for (const server of this.servers) {
      if (server.core === null) continue;
      const at = server.core.nextWakeAt(this.now);
      if (at < next) {
        next = at;
        due.length = 0;
      }
      if (at === next) due.push(server.index);
    }
    if (next > limit) return false;
    this.now = next;
    for (const index of due) {
      this.servers[index]!.core?.tick(this.now);
      this.collect(index);
    }
    this.pump();
    return true;
  }

  /** Runs every core's timers up to `target` (inclusive), delivering messages as they go. */
  advanceTo(target: number): void {
    for (let steps = 0; this.step(target); steps++) if (steps > 100_000) throw new Error('advanceTo does not progress');
    this.now = target;
  }

  /**
   * Steps until `done()` holds (checked after every step, so the state it sees is the one
   * right after the step that made it true, before any later timer runs). Throws if it does
   * not hold by `limit`.
   */
  advanceUntil(done: () => boolean, limit: number, what = 'the condition'): void {
    for (let steps = 0; !done(); steps++) {
      if (steps > 100_000 || !this.step(limit)) throw new Error(`${what} did not happen by ${limit} (now ${this.now})`);
    }
  }

  /** To `offset` ms into `period`. */
  advanceToPeriod(period: number, offset = 0): void {
    this.advanceTo(startOf(this.timing, period) + offset);
  }

  /** A signed payment, stamped now. */
  payment(payer: number, payee: number, amount: number, timestamp = this.now): Uint8Array {
    return signPayment(this.wallets[payer]!, this.network.id, { timestamp, amount, payee: this.wallets[payee]!.publicKey });
  }

  /** A client's PAY reaching server `index` now; what the server then sends goes out. */
  pay(index: number, tx: Uint8Array): ReturnType<ServerCore['handlePay']> {
    const result = this.core(index).handlePay(tx, this.now);
    this.collect(index);
    this.pump();
    return result;
  }

  /** Delivers `message` to server `to` as if `from` had sent it now (through the codec). */
  inject(from: number, to: number, message: PeerMessage): void {
    this.queue.push({ from, to, raw: encodeMessage(message) });
    this.pump();
  }

  /** The balances of every wallet on server `index`'s committed ledger. */
  balances(index: number): number[] {
    const ledger = this.core(index).ledger;
    return this.wallets.map((wallet) => ledger.balanceOf(wallet.publicKey));
  }

  hashHex(index: number): string {
    return toHex(this.core(index).stateHash);
  }
}
