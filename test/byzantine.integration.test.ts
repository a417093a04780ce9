// A server that lies, against real servers of the compiled executable on loopback
// (issue 14). The liar is not a scryp node: it is a small peer written here with the
// project's own codec (peer/framing.ts encodeFrame and FrameDecoder, peer/messages.ts) and
// the lying server's key. It takes that server's port, is dialled by the others as they
// dial any peer, dials them in turn, and sends signed batches as a server does (connections
// are one-way, PROTOCOL §7.1: no handshake beyond the signed frame).
//
// 1. Two-thirds network of four, server 3 the liar (f = 1). When it is beta it sends one
//    batch to two servers and another to the third, prevotes and precommits for two
//    decisions (the real one to most, a made-up one to the rest), and shows one server both
//    sides of each so that it is caught; otherwise it prevotes and precommits what the
//    honest servers do. Under payment load the three honest servers keep committing one
//    history (their ledger files agree period by period), and each of them reports the
//    proofs against server 3 (`scryp evidence` against each), checked with the keys.
// 2. Majority network of three, server 2 the liar: it forks the ledger (batch X and its
//    vote to server 0, batch Y and its vote to server 1: each commits its own). Both honest
//    servers stop within two periods: UNAVAILABLE, /healthz and `scryp info` say stopped,
//    and `scryp evidence` shows the two certificates. Nothing passes silently.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Socket, TCPSocketListener } from 'bun';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { toHex, utf8 } from '../src/bytes.ts';
import { Kind, Status, statusName } from '../src/client/codec.ts';
import { type Ballot, type BallotStep, signBallot } from '../src/consensus/ballot.ts';
import { proposalSigningMessage } from '../src/consensus/proposal.ts';
import { type Certificate, certificateFrom, certificateFromPrecommits, type Decision, decisionKey, genesisCertificate, signVote, type Vote } from '../src/consensus/vote.ts';
import { sha256 } from '../src/hash.ts';
import { replayBatch } from '../src/ledger/batch.ts';
import { LedgerState } from '../src/ledger/state.ts';
import { type Network, serverIndexOf } from '../src/network.ts';
import { encodeFrame, FrameDecoder } from '../src/peer/framing.ts';
import { decodeMessage, encodeMessage, headerOfProposal, isKnownKind, type PeerMessage, type ProposalMessage } from '../src/peer/messages.ts';
import { forwardingUntil, alphaOf, periodOf, startOf, type Timing, timingOf } from '../src/schedule.ts';
import { type Signer, signerFromSeed, verify } from '../src/signature.ts';
import { signPayment, timestampOf, txidOf } from '../src/transaction.ts';
import { killAll, type Run, runProgram, show } from './helpers/cli-run.ts';
import { testSeed, testSigner } from './helpers/keys.ts';
import { checkLedger, readCertificateBytes } from './helpers/ledger-check.ts';
import { freePorts, ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(150_000);

let cluster: ProcessCluster | null = null;
let liar: LyingPeer | null = null;

afterEach(async () => {
  liar?.stop();
  liar = null;
  await killAll();
  await cluster?.stop();
  cluster = null;
});

// ---- the lying peer -------------------------------------------------------------------------

/** An outbound connection to one server: write-only, whole frames in order, redialled when it drops. */
class Link {
  private socket: Socket<undefined> | null = null;
  private connecting = false;
  private readonly queue: Uint8Array[] = [];
  private offset = 0;
  private stopped = false;

  constructor(private readonly port: number) {}

  send(frame: Uint8Array): void {
    this.queue.push(frame);
    this.pump();
  }

  private pump(): void {
    if (this.stopped) return;
    if (this.socket === null) return this.connect();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const written = this.socket.write(head, this.offset, head.length - this.offset);
      if (written < 0) return;
      this.offset += written;
      if (this.offset < head.length) return; // wait for drain
      this.queue.shift();
      this.offset = 0;
    }
  }

  private connect(): void {
    if (this.connecting || this.stopped) return;
    this.connecting = true;
    const retry = () => {
      this.connecting = false;
      if (!this.stopped) setTimeout(() => this.pump(), 100);
    };
    Bun.connect({
      hostname: '127.0.0.1',
      port: this.port,
      socket: {
        open: (socket) => {
          this.connecting = false;
          this.socket = socket;
          this.offset = 0; // a frame cut by a dropped connection goes again whole
          this.pump();
        },
        drain: () => this.pump(),
        data: () => {},
        close: (socket) => {
          if (this.socket === socket) this.socket = null;
          retry();
        },
        connectError: () => retry(),
        error: () => {},
      },
    }).catch(retry);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.end();
  }
}

type Mode = 'equivocate' | 'fork';

/**
 * A server of the network that lies, run in this process. `equivocate` (two-thirds
 * networks): conflicting proposals and ballots in its beta slots, honest ballots
 * otherwise. `fork` (majority networks): at its first beta slot on a known parent, batch X
 * and a vote for it to one server, batch Y and a vote for it to the other.
 */
class LyingPeer {
  /** What it did, for a failing test's message. */
  readonly actions: string[] = [];
  /** Slots in which it sent conflicting proposals (equivocate), or the slot it forked (fork). */
  readonly lyingSlots: number[] = [];
  /** EVIDENCE messages the honest servers sent it: they caught it. */
  evidenceReceived = 0;
  private listener: TCPSocketListener<FrameDecoder | undefined> | null = null;
  private readonly links = new Map<number, Link>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly honest: number[];
  private readonly timing: Timing;
  /** The newest certificate it knows: from STATUS, or tallied from votes and precommits. */
  private latest: Certificate;
  private lastVote: Vote | null = null;
  private readonly voteTallies = new Map<string, Map<number, Vote>>();
  private readonly precommitTallies = new Map<string, { slot: number; decision: Decision; voters: Map<number, Ballot> }>();
  private readonly lastBallotSlot: Record<BallotStep, number> = { prevote: 0, precommit: 0 };
  private readonly forwarded = new Map<number, Map<string, Uint8Array>>();
  private stopped = false;

  constructor(
    private readonly network: Network,
    private readonly self: number,
    private readonly signer: Signer,
    private readonly port: number,
    private readonly mode: Mode,
    /** For `fork`: the wallet whose payment makes batch Y (the ledger must still be at genesis). */
    private readonly forkPayer: Signer | null = null,
  ) {
    this.honest = network.servers.map((server) => server.index).filter((index) => index !== self);
    this.timing = timingOf(network);
    this.latest = genesisCertificate(LedgerState.fromAccounts(network.genesis).hash);
  }

  start(): void {
    this.listener = Bun.listen<FrameDecoder | undefined>({
      hostname: '127.0.0.1',
      port: this.port,
      data: undefined,
      socket: {
        open: (socket) => {
          socket.data = new FrameDecoder({
            networkId: this.network.id,
            senderIndex: (key) => {
              const index = serverIndexOf(this.network, key);
              return index === this.self ? -1 : index;
            },
            isKnownKind,
            verify,
          });
        },
        data: (socket, chunk) => {
          const decoder = socket.data!;
          for (const frame of decoder.push(chunk)) {
            for (const raw of frame.messages) {
              try {
                this.onMessage(frame.senderIndex, decodeMessage(raw));
              } catch (error) {
                this.actions.push(`could not decode a message from server ${frame.senderIndex}: ${(error as Error).message}`);
              }
            }
          }
          if (decoder.error !== null) socket.terminate();
        },
      },
    });
    for (const index of this.honest) this.links.set(index, new Link(this.network.servers[index]!.address.port));
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.listener?.stop(true);
    for (const link of this.links.values()) link.stop();
  }

  private send(to: readonly number[], ...messages: PeerMessage[]): void {
    const frame = encodeFrame(messages.map(encodeMessage), this.network.id, this.signer);
    for (const index of to) this.links.get(index)?.send(frame);
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = periodOf(this.timing, Date.now()) + 1;
    this.timer = setTimeout(() => {
      this.onPeriod(next);
      this.schedule();
    }, startOf(this.timing, next) - Date.now());
  }

  /** Every period: a STATUS, as a server sends; and the beta's duty for the period that just ended. */
  private onPeriod(period: number): void {
    this.send(this.honest, { type: 'status', committed: this.latest, vote: this.mode === 'fork' ? this.lastVote : null });
    const slot = period - 1;
    if (alphaOf(this.network.servers.length, slot) !== this.self) return;
    if (this.mode === 'equivocate') this.proposeTwo(slot);
    else if (this.lyingSlots.length === 0) this.fork(slot);
  }

  // ---- what it hears ----------------------------------------------------------------------

  private onMessage(from: number, message: PeerMessage): void {
    switch (message.type) {
      case 'status':
        if (message.committed.period > this.latest.period) this.latest = message.committed;
        return;
      case 'forward':
        for (let offset = 0; offset < message.transactions.length; offset += 140) {
          const tx = message.transactions.slice(offset, offset + 140);
          const period = periodOf(this.timing, timestampOf(tx));
          let batch = this.forwarded.get(period);
          if (batch === undefined) this.forwarded.set(period, (batch = new Map()));
          batch.set(toHex(txidOf(tx)), tx);
        }
        return;
      case 'vote':
        return this.onVote(message.vote);
      case 'prevote':
      case 'precommit':
        return this.onBallot(message.ballot);
      case 'evidence':
        this.evidenceReceived++;
        return;
      default:
        void from;
    }
  }

  /** Majority mode: tally certificates; vote as the honest servers do (until the fork). */
  private onVote(vote: Vote): void {
    const key = `${vote.period}:${decisionKey(vote)}`;
    let tally = this.voteTallies.get(key);
    if (tally === undefined) this.voteTallies.set(key, (tally = new Map()));
    tally.set(vote.voter, vote);
    if (tally.size >= this.network.quorum && vote.period > this.latest.period) this.latest = certificateFrom(vote, tally.values());
    if (vote.voter === this.self || this.lyingSlots.length > 0 || vote.period <= (this.lastVote?.period ?? 0)) return;
    const mine = signVote(this.signer, this.network.id, vote, this.lastVote?.period ?? 0, this.self);
    this.lastVote = mine;
    this.onVote(mine);
    this.send(this.honest, { type: 'vote', vote: mine });
  }

  /** Two-thirds mode: tally certificates; cast a ballot on the first one heard in each slot, honest or not. */
  private onBallot(ballot: Ballot): void {
    if (ballot.step === 'precommit') {
      const key = `${ballot.slot}:${decisionKey(ballot)}`;
      let tally = this.precommitTallies.get(key);
      if (tally === undefined) this.precommitTallies.set(key, (tally = { slot: ballot.slot, decision: ballot, voters: new Map() }));
      tally.voters.set(ballot.voter, ballot);
      if (tally.voters.size >= this.network.quorum && ballot.period > this.latest.period) this.latest = certificateFromPrecommits(tally.decision, tally.slot, tally.voters.values());
    }
    if (ballot.voter === this.self || ballot.slot <= this.lastBallotSlot[ballot.step]) return;
    const slot = ballot.slot;
    const lying = alphaOf(this.network.servers.length, slot) === this.self;
    const { odd, detector, detector2 } = this.roles(slot);
    // In its own slots it backs what the servers it gave batch X decide, never the odd one's.
    if (lying && ballot.voter === odd) return;
    this.lastBallotSlot[ballot.step] = slot;
    const real = signBallot(this.signer, this.network.id, ballot.step, slot, ballot, this.self);
    if (ballot.step === 'precommit') this.onBallot(real);
    if (!lying) {
      this.send(this.honest, { type: ballot.step, ballot: real });
      return;
    }
    const made: Decision = { ...ballot, hash: sha256(utf8(`a state no server computed, slot ${slot}`)) };
    const fake = signBallot(this.signer, this.network.id, ballot.step, slot, made, this.self);
    const caughtBy = ballot.step === 'prevote' ? detector : detector2;
    this.send(this.honest.filter((index) => index !== odd), { type: ballot.step, ballot: real });
    this.send([odd, caughtBy], { type: ballot.step, ballot: fake });
    this.actions.push(`slot ${slot}: ${ballot.step.toUpperCase()} for the real decision to all but server ${odd}, for a made-up one to servers ${odd} and ${caughtBy}`);
  }

  /** Who gets which side in a lying slot: two servers get batch X, the odd one Y; one of the two sees both. */
  private roles(slot: number): { odd: number; detector: number; detector2: number } {
    const turn = Math.floor(slot / this.network.servers.length) % this.honest.length;
    const odd = this.honest[turn]!;
    const others = this.honest.filter((index) => index !== odd);
    return { odd, detector: others[0]!, detector2: others[others.length - 1]! };
  }

  // ---- its lies ----------------------------------------------------------------------------

  private signedProposal(fields: Omit<ProposalMessage, 'type' | 'proposer' | 'signature'>): ProposalMessage {
    const unsigned: ProposalMessage = { ...fields, type: 'proposal', proposer: this.self, signature: new Uint8Array(64) };
    return { ...unsigned, signature: this.signer.sign(proposalSigningMessage(this.network.id, headerOfProposal(unsigned))) };
  }

  /** Two-thirds: batch X (the payments forwarded to it) to two servers, Y (half of them) to the third, and both to one. */
  private proposeTwo(slot: number): void {
    if (this.latest.period >= slot) return;
    const x = [...(this.forwarded.get(slot)?.values() ?? [])].slice(0, 4096);
    const y = x.slice(0, Math.floor(x.length / 2));
    const proposal = (batch: Uint8Array[], side: string) =>
      this.signedProposal({ period: slot, decided: slot, hash: sha256(utf8(`claimed state ${side}, slot ${slot}`)), transactions: Buffer.concat(batch), parent: this.latest, validSlot: 0, pol: [] });
    const { odd, detector } = this.roles(slot);
    this.send(this.honest.filter((index) => index !== odd), proposal(x, 'X'));
    this.send([odd, detector], proposal(y, 'Y'));
    this.lyingSlots.push(slot);
    this.actions.push(`slot ${slot}: PROPOSAL of ${x.length} payments on period ${this.latest.period} to all but server ${odd}, of ${y.length} to servers ${odd} and ${detector}`);
  }

  /** Majority: X (empty) and a vote for it to one server, Y (one payment) and a vote for it to the other. */
  private fork(slot: number): void {
    const parent = this.latest;
    const genesis = LedgerState.fromAccounts(this.network.genesis);
    if (parent.period !== slot - 1 || parent.period === 0 || toHex(parent.hash) !== toHex(genesis.hash)) {
      this.actions.push(`slot ${slot}: no fork yet (parent ${parent.period})`);
      return;
    }
    const payer = this.forkPayer!;
    const payment = signPayment(payer, this.network.id, { timestamp: startOf(this.timing, slot) + 1, amount: 5, payee: testSigner('fork payee').publicKey });
    const replay = replayBatch(genesis, slot, this.timing, payment);
    if (replay.appliedCount !== 1) throw new Error('the fork payment does not apply');
    const stateY = genesis.prepare(replay.changes).hash;
    const [first, second] = this.honest as [number, number];
    const prev = this.lastVote?.period ?? 0;
    const x: Decision = { period: slot, parent: parent.period, parentHash: parent.hash, hash: parent.hash };
    const y: Decision = { ...x, hash: stateY };
    const voteX = signVote(this.signer, this.network.id, x, prev, this.self);
    const voteY = signVote(this.signer, this.network.id, y, prev, this.self);
    this.send([first], this.signedProposal({ period: slot, decided: slot, hash: x.hash, transactions: new Uint8Array(0), parent, validSlot: 0, pol: [] }), { type: 'vote', vote: voteX });
    this.send([second], this.signedProposal({ period: slot, decided: slot, hash: y.hash, transactions: payment, parent, validSlot: 0, pol: [] }), { type: 'vote', vote: voteY });
    this.lastVote = voteX;
    this.lyingSlots.push(slot);
    this.actions.push(`slot ${slot}: forked: empty batch and its vote to server ${first}, one payment and its vote to server ${second}`);
  }
}

// ---- helpers --------------------------------------------------------------------------------

function cli(args: string[]): Promise<Run> {
  return runProgram(args, { timeoutMs: 30_000 });
}

/** period → its certificate's decision, from a server's ledger file (read only). */
function decisionsOf(dir: string): Map<number, string> {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  try {
    const rows = db.query('SELECT period, certificate FROM periods').all() as { period: number; certificate: Uint8Array }[];
    return new Map(rows.map((row) => [row.period, decisionKey(readCertificateBytes(row.certificate))]));
  } finally {
    db.close();
  }
}

interface EvidenceJson {
  servers: { server: number; answered: boolean; count: number; stopped: boolean }[];
  proofs: { kind: string; whole: boolean; valid: boolean | null; offender: number | null; heldBy: number[]; stopped: number[]; words: string; messages: { verifies: boolean; signer: number }[] }[];
}

async function evidenceOf(c: ProcessCluster, server: number): Promise<{ run: Run; json: EvidenceJson | null }> {
  const run = await cli(['evidence', '--network', c.networkFile, '--server', `127.0.0.1:${c.servers[server]!.port}`, '--json']);
  try {
    return { run, json: JSON.parse(run.stdout) as EvidenceJson };
  } catch {
    return { run, json: null };
  }
}

/** PAY from an honest wallet through each given server; the statuses heard. */
async function payThrough(c: ProcessCluster, servers: number[], payer: Signer): Promise<string[]> {
  const client = await c.udp();
  return Promise.all(
    servers.map(async (index) => {
      const server = c.network.servers[index]!;
      const tx = signPayment(payer, c.network.id, { timestamp: Date.now(), amount: 1, payee: testSigner('probe payee').publicKey });
      try {
        const reply = await client.ask(server.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: server.key, attempts: 3, timeoutMs: 150 });
        return statusName[reply.status] ?? String(reply.status);
      } catch {
        return 'none';
      }
    }),
  );
}

// ---- 1. two-thirds: one liar among four --------------------------------------------------------

describe('a two-thirds network of four with one lying server', () => {
  test('under payment load the three honest servers commit one history, and every one of them reports the proofs against the liar', async () => {
    const wallets = Array.from({ length: 6 }, (_, i) => ({ label: `byzantine payer ${i}`, balance: 1_000_000 }));
    const c = await ProcessCluster.create({ servers: 4, periodMs: 400, quorum: 'two-thirds', wallets });
    cluster = c;
    expect(c.network.quorum).toBe(3);
    expect(c.network.faulty).toBe(1);
    const [metricsPort] = await freePorts(1);
    c.start(0, ['--metrics', String(metricsPort)]);
    c.start(1);
    c.start(2);
    const peer = new LyingPeer(c.network, 3, signerFromSeed(testSeed('server 3')), c.servers[3]!.port, 'equivocate');
    liar = peer;
    peer.start();
    const committed = async () => (await Promise.all([0, 1, 2].map((i) => c.info(i)))).map((info) => info?.committedPeriod ?? 0);
    expect(await c.until(async () => (await committed()).every((period) => period > 0), 20_000), c.logs()).toBe(true);

    // Payment load: a payment every 30 ms from six wallets, each to one honest server (the
    // liar is the alpha one period in four: the others forward to it what they get then).
    const timing: Timing = timingOf(c.network);
    const client = await c.udp();
    const answers: Record<string, number> = {};
    const accepted = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    const loadStart = periodOf(timing, Date.now());
    const loadEnd = Date.now() + 16_000;
    let n = 0;
    while (Date.now() < loadEnd) {
      const now = Date.now();
      const period = periodOf(timing, now);
      if (now >= forwardingUntil(timing, period) - 40) {
        await Bun.sleep(startOf(timing, period + 1) + 5 - now);
        continue;
      }
      const payer = c.wallets[n % c.wallets.length]!;
      const target = c.network.servers[n % 3]!;
      const tx = signPayment(payer, c.network.id, { timestamp: now, amount: 1 + (n % 9), payee: testSigner(`byzantine payee ${n % 10}`).publicKey });
      n++;
      const sending = client
        .ask(target.address, { kind: Kind.PAY, transaction: tx }, { networkId: c.network.id, serverKey: target.key, attempts: 2, timeoutMs: 100 })
        .then(
          (reply) => {
            const name = statusName[reply.status] ?? String(reply.status);
            answers[name] = (answers[name] ?? 0) + 1;
            if (reply.status === Status.ACCEPTED || reply.status === Status.FORWARDED) accepted.add(toHex(txidOf(tx)));
          },
          () => {
            answers.none = (answers.none ?? 0) + 1;
          },
        );
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
      await Bun.sleep(30);
    }
    await Promise.all([...inFlight]);
    const loadLast = periodOf(timing, Date.now());
    const story = () => `answers ${JSON.stringify(answers)}\nliar: ${peer.actions.slice(-30).join('\n')}\n${c.logs(30)}`;
    expect(peer.lyingSlots.length, story()).toBeGreaterThanOrEqual(5);
    expect(accepted.size, story()).toBeGreaterThan(100);

    // Every honest server decides every period of the load, and they agree where they stand.
    const agreed = await c.until(async () => {
      const infos = await Promise.all([0, 1, 2].map((i) => c.info(i)));
      if (infos.some((info) => info === null || info.committedPeriod < loadLast)) return false;
      return new Set(infos.map((info) => `${info!.committedPeriod}:${toHex(info!.stateHash)}`)).size === 1;
    }, 30_000);
    expect(agreed, story()).toBe(true);

    // Each honest server holds proofs against server 3, checked here with the network's keys.
    const kinds = new Set<string>();
    for (const server of [0, 1, 2]) {
      let result = await evidenceOf(c, server);
      await c.until(async () => {
        result = await evidenceOf(c, server);
        return (result.json?.proofs.length ?? 0) >= 3;
      }, 10_000);
      const { run, json } = result;
      expect(run.exitCode, show(run)).toBe(3);
      expect(json, show(run)).not.toBeNull();
      expect(json!.servers).toEqual([{ server, answered: true, count: json!.proofs.length, stopped: false }]);
      expect(json!.proofs.length, show(run)).toBeGreaterThanOrEqual(3);
      for (const proof of json!.proofs) {
        expect(proof, show(run)).toMatchObject({ whole: true, valid: true, offender: 3, heldBy: [server], stopped: [] });
        expect(proof.messages.every((message) => message.verifies && message.signer === 3)).toBe(true);
        expect(proof.words).toContain('server 3 (key');
        kinds.add(proof.kind);
      }
    }
    expect([...kinds].sort(), story()).toEqual(['precommit', 'prevote', 'proposal']);

    // All servers at once (the liar does not answer UDP: it is named on stderr), as text.
    const all = await cli(['evidence', '--network', c.networkFile]);
    expect(all.exitCode, show(all)).toBe(3);
    expect(all.stdout).toContain('3 of 4 asked answered');
    expect(all.stdout).toMatch(/proof 1 of \d+ \(held by servers 0, 1, 2\): against server 3/);
    expect(all.stdout).toContain('checked here with the network\'s keys: it PROVES this');
    expect(all.stdout).toContain(`verifies with server 3's key ${c.network.servers[3]!.keyHex}`);
    expect(all.stderr).toContain(`server 3 (127.0.0.1:${c.servers[3]!.port}): no valid reply`);
    // The metric and INFO say so too; nobody stopped (no fork: one liar is within f).
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const counted = /^scryp_equivocations_total\{server="3"\} (\d+)$/m.exec(metrics);
    expect(Number(counted?.[1] ?? 0), metrics).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^scryp_equivocations_total\{server="1"\} 0$/m);
    expect(metrics).toMatch(/^scryp_stopped 0$/m);
    const info = await cli(['info', `127.0.0.1:${c.servers[1]!.port}`, '--network', c.networkFile]);
    expect(info.stdout).toMatch(/evidence: \d+ proofs of equivocation held/);
    expect(info.stdout).toContain('taking part');
    expect(peer.evidenceReceived, 'the honest servers pass every proof to every server, the liar too').toBeGreaterThan(0);

    // One history: stopped, every pair of ledgers has the same decision for every period
    // both hold, and each ledger is whole (state hash, supply, chain, no txid twice).
    peer.stop();
    for (const server of [0, 1, 2]) await c.stopServer(server);
    const ledgers = [0, 1, 2].map((server) => decisionsOf(c.servers[server]!.dir));
    let compared = 0;
    for (const [period, decision] of ledgers[0]!) {
      for (const other of ledgers.slice(1)) {
        const theirs = other.get(period);
        if (theirs === undefined) continue;
        expect(theirs, `period ${period}`).toBe(decision);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
    const reports = [0, 1, 2].map((server) => checkLedger(c.servers[server]!.dir, c.network));
    const last = Math.min(...reports.map((report) => report.committed.period));
    expect(last).toBeGreaterThanOrEqual(loadLast);
    // Liveness: most periods of the load committed (a liar's slot may be void), and most payments applied.
    const committedDuringLoad = [...ledgers[0]!.keys()].filter((period) => period >= loadStart && period <= loadLast).length;
    expect(committedDuringLoad, story()).toBeGreaterThanOrEqual(Math.floor((loadLast - loadStart + 1) * 0.6));
    const applied = [...accepted].filter((txid) => reports[0]!.appliedTxids.has(txid)).length;
    expect(applied, story()).toBeGreaterThan(accepted.size * 0.5);
    // Every server decided every period of the load: each accepted payment applied everywhere or nowhere.
    for (const txid of accepted) expect(new Set(reports.map((report) => report.appliedTxids.has(txid))).size, txid).toBe(1);
  });
});

// ---- 2. majority: a liar forks the ledger ---------------------------------------------------------

describe('a majority network of three whose third server forks the ledger', () => {
  test('both honest servers stop within two periods, say why (UNAVAILABLE, /healthz, info), and hold the two certificates', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 400 });
    cluster = c;
    const metricsPorts = await freePorts(2);
    c.start(0, ['--metrics', String(metricsPorts[0])]);
    c.start(1, ['--metrics', String(metricsPorts[1])]);
    const peer = new LyingPeer(c.network, 2, signerFromSeed(testSeed('server 2')), c.servers[2]!.port, 'fork', c.wallets[0]!);
    liar = peer;
    peer.start();
    const timing: Timing = timingOf(c.network);
    const health = async (index: number) => {
      try {
        const response = await fetch(`http://127.0.0.1:${metricsPorts[index]}/healthz`);
        return { status: response.status, text: await response.text() };
      } catch {
        return { status: 0, text: '' };
      }
    };
    const story = () => `liar: ${peer.actions.join('\n')}\n${c.logs(40)}`;
    expect(await c.until(() => peer.lyingSlots.length > 0, 20_000), story()).toBe(true);
    const slot = peer.lyingSlots[0]!;
    expect(await c.until(async () => (await Promise.all([0, 1].map(health))).every((answer) => answer.status === 503 && answer.text.startsWith('stopped: ')), 10_000), story()).toBe(true);

    // Within two periods of the fork (sent at the start of slot + 1), by the servers' own logs.
    for (const server of [0, 1]) {
      const line = /^(\S+) ERROR\s+\[consensus\] STOPPED: two certificates conflict/m.exec(c.servers[server]!.log);
      expect(line, story()).not.toBeNull();
      expect(Date.parse(line![1]!), `server ${server} stopped at ${line![1]}; the fork went out at ${new Date(startOf(timing, slot + 1)).toISOString()}`).toBeLessThan(startOf(timing, slot + 3));
      const healthz = await health(server);
      expect(healthz.text).toMatch(/^stopped: two certificates conflict \(period \d+ on parent \d+, period \d+ on parent \d+\): more servers misbehaved than the quorum tolerates; this server stopped taking part/);
    }
    // Each committed its own side: the ledger forked, and neither went on silently.
    expect(await payThrough(c, [0, 1], c.wallets[0]!)).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    for (const server of [0, 1]) {
      const info = await cli(['info', `127.0.0.1:${c.servers[server]!.port}`, '--network', c.networkFile]);
      expect(info.exitCode, show(info)).toBe(0);
      expect(info.stdout).toMatch(/\nSTOPPED: two certificates conflict .*; it answers payments UNAVAILABLE until its operator acts/);
      const { run, json } = await evidenceOf(c, server);
      expect(run.exitCode, show(run)).toBe(3);
      expect(json!.servers).toEqual([{ server, answered: true, count: json!.proofs.length, stopped: true }]);
      const fork = json!.proofs.find((proof) => proof.kind === 'fork');
      expect(fork, show(run)).toMatchObject({ whole: true, valid: true, offender: null, heldBy: [server], stopped: [server] });
      // Two certificates of two votes each, the liar's in both: four signatures, all good.
      expect(fork!.messages.length).toBe(4);
      expect(fork!.messages.every((message) => message.verifies)).toBe(true);
      expect(fork!.messages.filter((message) => message.signer === 2).length).toBe(2);
      expect(fork!.words).toContain('server 2 signed both');
    }
    const text = await cli(['evidence', '--network', c.networkFile, '--server', `127.0.0.1:${c.servers[0]!.port}`]);
    expect(text.exitCode).toBe(3);
    expect(text.stdout).toMatch(/server 0: holds \d+ proofs?; STOPPED \(it takes no payments\) because of its proof \d+, a fork/);
    expect(text.stdout).toContain('the ledger forked');
    expect(text.stdout).toMatch(/message certificate a \(229 bytes\): [0-9a-f]{458}\n/);

    // The two ledgers hold the two sides of the slot, each whole.
    peer.stop();
    for (const server of [0, 1]) await c.stopServer(server);
    const sides = [0, 1].map((server) => decisionsOf(c.servers[server]!.dir).get(slot));
    expect(sides[0]).toBeDefined();
    expect(sides[1]).toBeDefined();
    expect(sides[0]).not.toBe(sides[1]);
    for (const server of [0, 1]) checkLedger(c.servers[server]!.dir, c.network);
  });
});
