#!/usr/bin/env bun
// Writes test/vectors/golden.json: the wire bytes of scryp pinned as hex, for every
// message kind, so that an independent wallet or server can check itself against them
// and so that a change to any layout fails test/golden.test.ts at once.
//
// Run by hand:  bun test/vectors/make-golden.ts
// The test never runs this script: it only reads the file it writes.
//
// Everything is deterministic: seeds are sha256 of fixed labels, timestamps are fixed,
// and Ed25519 signatures are deterministic (RFC 8032), so running it twice writes the
// same bytes. Where a layout is simple enough, the bytes are also built here by hand,
// field by field, and compared with what the project's code gives: a disagreement stops
// the script before anything is written.

import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concat, equal, toHex, utf8, Writer } from '../../src/bytes.ts';
import { domain, sha256 } from '../../src/hash.ts';
import { pack } from '../../src/ip.ts';
import { type Network, networkToJson, parseNetwork } from '../../src/network.ts';
import { acceptingFrom, alphaOf, betaOf, checkTimestamp, endOf, forwardingUntil, periodOf, startOf, type Taker, type Timing, timingOf } from '../../src/schedule.ts';
import { formatSeed } from '../../src/seed.ts';
import { signerFromSeed, type Signer } from '../../src/signature.ts';
import { signingMessage, signPayment, timestampOf, txidOf } from '../../src/transaction.ts';
import { encodePaymentList } from '../../src/payment-list.ts';
import { checkReceipt, formatReceipt, receiptJson } from '../../src/receipt.ts';
import {
  encodeReply,
  encodeReplyUnsigned,
  encodeRequest,
  Kind,
  kindName,
  PaymentState,
  type ReplyBody,
  replySigningMessage,
  type Request,
  requestBytesFor,
  Status,
  statusName,
} from '../../src/client/codec.ts';
import { type Certificate, certificateFrom, certificateFromPrecommits, type Decision, encodeCertificate, encodeVote, genesisCertificate, signVote, type Vote, voteSigningMessage } from '../../src/consensus/vote.ts';
import { encodeMessage, messageKindName, type PeerMessage } from '../../src/peer/messages.ts';
import { type Ballot, ballotSigningMessage, encodeBallot, signBallot } from '../../src/consensus/ballot.ts';
import { encodeEvidence, type Evidence } from '../../src/consensus/evidence.ts';
import { encodeProposalHeader, proposalSigningMessage, signProposalHeader, transactionsHashOf } from '../../src/consensus/proposal.ts';
import { encodeFrame } from '../../src/peer/framing.ts';
import { emptyLeafDigest, emptyMidDigest, LedgerState } from '../../src/ledger/state.ts';
import { replayBatch } from '../../src/ledger/batch.ts';
import { devnetNetwork } from '../../src/devnet.ts';
import { addressRecordSigningMessage, encodeAddressRecord, signAddressRecord } from '../../src/address-record.ts';
import { encodeGatewayRecord, gatewayRecordSigningMessage, gatewayRecordToJson, signGatewayRecord } from '../../src/gateway-record.ts';
import { oneAnswer } from '../helpers/one-answer.ts';
import { type Change, chainDigestOf, changeBody, changeId, changeSigningMessage, checkChange, encodeChange, encodeCommittedChange, genesisConfiguration } from '../../src/consensus/configuration.ts';
import { stateHashOf } from '../../src/ledger/state.ts';
import { verify } from '../../src/signature.ts';
import { testNetwork, testSigner } from '../helpers/keys.ts';
import { describeEntry } from '../../src/client/history.ts';
import { webhookSignature } from '../../src/watch/deliver.ts';
import { watchEventOf } from '../../src/payment-event.ts';

const root = join(import.meta.dir, '..', '..');
const outputPath = join(import.meta.dir, 'golden.json');

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`make-golden: ${what}: the project's code and the hand-built bytes disagree`);
}

/** JSON form of decoded values: bytes as lowercase hex, a reference (a u64 beyond 2^53) as a decimal string, everything else as it is. */
function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, toJson(field)]));
  }
  return value;
}

// ---- keys ----------------------------------------------------------------------------

const seed_label_prefix = 'scryp golden vector seed: ';
const keys: Record<string, { label: string; seedText: string; seed: string; publicKey: string }> = {};
const signers: Record<string, Signer> = {};

function key(label: string): Signer {
  const existing = signers[label];
  if (existing !== undefined) return existing;
  const seed = sha256(utf8(seed_label_prefix + label));
  const signer = signerFromSeed(seed);
  signers[label] = signer;
  keys[label] = { label: seed_label_prefix + label, seedText: formatSeed(seed), seed: toHex(seed), publicKey: toHex(signer.publicKey) };
  return signer;
}

const server0 = key('server 0');
const server1 = key('server 1');
const server2 = key('server 2');
const alice = key('alice');
const bob = key('bob');
const carol = key('carol');
const soloServer = key('solo server');
const soloWallet = key('solo wallet');

const vectors: object[] = [];
function add(vector: object): void {
  vectors.push(vector);
}

// ---- ip ------------------------------------------------------------------------------

const ipBytes = pack('10.1.2.3', 4001);
check(toHex(ipBytes) === '0a0102030fa1', 'ip: the design fixes pack("10.1.2.3", 4001) = 0a0102030fa1');
add({ name: 'ip 10.1.2.3:4001', type: 'ip', fields: { host: '10.1.2.3', port: 4001 }, hex: toHex(ipBytes) });
const whoamiAddress = pack('203.0.113.7', 40123);
add({ name: 'ip 203.0.113.7:40123 (the WHOAMI reply below)', type: 'ip', fields: { host: '203.0.113.7', port: 40123 }, hex: toHex(whoamiAddress) });

// ---- seed file -----------------------------------------------------------------------

add({
  name: 'seed file of "server 0"',
  type: 'seed',
  fields: { label: keys['server 0']!.label, text: keys['server 0']!.seedText },
  seed: keys['server 0']!.seed,
  publicKey: keys['server 0']!.publicKey,
});

// ---- networks ------------------------------------------------------------------------

/** The network id preimage, built field by field here, independently of src/network.ts. */
function networkPreimage(network: Network): Uint8Array {
  const name = utf8(network.name);
  const parts: Uint8Array[] = [domain.network, Uint8Array.of(name.length), name];
  const times = new Writer(14).u32(network.periodMs).u32(network.blackoutMs).u32(network.skewMs).u16(network.servers.length).done();
  parts.push(times);
  for (const server of network.servers) parts.push(server.key);
  parts.push(new Writer(4).u32(network.genesis.length).done());
  const sorted = [...network.genesis].sort((a, b) => Buffer.compare(a.account, b.account));
  for (const entry of sorted) parts.push(entry.account, new Writer(4).u32(entry.balance).done());
  if (network.quorumMode === 'two-thirds') parts.push(Uint8Array.of(2)); // a majority network's id has no quorum byte
  return concat(...parts);
}

function addNetwork(name: string, json: object, network: Network, extra: object = {}): void {
  const preimage = networkPreimage(network);
  check(equal(sha256(preimage), network.id), `network id of ${network.name}`);
  add({ name, type: 'network', fields: { json }, preimage: toHex(preimage), id: toHex(network.id), majority: network.majority, ...extra });
}

const devnetFile = 'seeds/devnet/network.json';
const devnetJson = JSON.parse(readFileSync(join(root, devnetFile), 'utf8')) as object;
const devnet = parseNetwork(devnetJson);
check(equal(devnet.id, devnetNetwork.id), 'the devnet file and src/devnet.ts');
addNetwork('network id of the devnet', devnetJson, devnet, { file: devnetFile });

const soloJson = {
  name: 'solo',
  period_ms: 1000,
  blackout_ms: 100,
  skew_ms: 500,
  servers: [{ key: toHex(soloServer.publicKey), ip: '127.0.0.1:4101' }],
  genesis: [{ account: toHex(soloWallet.publicKey), balance: 1_000_000 }],
};
addNetwork('network id of a 1-server network', soloJson, parseNetwork(soloJson));

// The network every signed vector below belongs to: three servers, so that a certificate
// holds two votes (the majority of three).
const goldenJson = {
  name: 'golden',
  period_ms: 1000,
  blackout_ms: 100,
  skew_ms: 500,
  servers: [server0, server1, server2].map((signer, i) => ({ key: toHex(signer.publicKey), ip: `127.0.0.1:${5001 + i}` })),
  genesis: [{ account: toHex(alice.publicKey), balance: 1_000_000 }],
};
const golden = parseNetwork(goldenJson);
check(JSON.stringify(networkToJson(golden)) === JSON.stringify(goldenJson), 'the golden network file round-trips');
addNetwork('network id of the 3-server network of the signed vectors', goldenJson, golden);
const networkId = golden.id;

// The same servers as a two-thirds network (PROTOCOL §8.11): the ballots and the precommit
// certificate below belong to it. Three servers, so a quorum is all three (⌊2·3/3⌋ + 1).
const goldenTwoThirdsJson = { ...goldenJson, quorum: 'two-thirds' };
const goldenTwoThirds = parseNetwork(goldenTwoThirdsJson);
addNetwork('network id of the same servers with quorum "two-thirds"', goldenTwoThirdsJson, goldenTwoThirds);

// ---- time ----------------------------------------------------------------------------

const timing: Timing = timingOf(golden);
const paymentTime = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z
const period = periodOf(timing, paymentTime); // 1767225600, and 1767225600 mod 3 = 0: server 0 is its alpha
check(period === 1_767_225_600 && alphaOf(golden.servers.length, period) === 0, 'the chosen period');
add({
  name: 'schedule of the golden network at 2026-01-01T00:00:00.123Z',
  type: 'schedule',
  fields: { ...timing, serverCount: golden.servers.length, timeMs: paymentTime },
  period,
  start: startOf(timing, period),
  end: endOf(timing, period),
  acceptingFrom: acceptingFrom(timing, period),
  forwardingUntil: forwardingUntil(timing, period),
  alpha: alphaOf(golden.servers.length, period),
  betaOfNext: betaOf(golden.servers.length, period + 1),
});

// The accept rule (§4) around the end of that period: its alpha (server 0) takes payments
// stamped in it until the end; forwarders until the blackout; the next alpha (server 1)
// takes payments stamped in the next period from this one's blackout on.
{
  const end = endOf(timing, period);
  const cases: { what: string; timestamp: number; now: number; taker: Taker; verdict: string }[] = [
    { what: 'stamped and taken at once, by the alpha', timestamp: paymentTime, now: paymentTime, taker: 'alpha', verdict: 'ok' },
    { what: 'stamped in the period, reaching its alpha in the blackout', timestamp: end - 40, now: end - 30, taker: 'alpha', verdict: 'ok' },
    { what: 'stamped in the period, reaching a forwarder in the blackout', timestamp: end - 40, now: end - 30, taker: 'forwarder', verdict: 'blackout' },
    { what: 'stamped in the period, reaching its alpha after its end (sealed)', timestamp: end - 40, now: end, taker: 'alpha', verdict: 'wrong_period' },
    { what: 'stamped at the next period\'s start, reaching the next alpha in this blackout', timestamp: end, now: end - 5, taker: 'alpha', verdict: 'ok' },
    { what: 'stamped at the next period\'s start, reaching a forwarder in this blackout', timestamp: end, now: end - 5, taker: 'forwarder', verdict: 'ok' },
    { what: 'stamped at the next period\'s start, before this blackout', timestamp: end, now: forwardingUntil(timing, period) - 1, taker: 'alpha', verdict: 'wrong_period' },
    { what: 'stamped more than the skew before the clock', timestamp: paymentTime, now: paymentTime + timing.skewMs + 1, taker: 'alpha', verdict: 'skew' },
  ];
  for (const one of cases) check(checkTimestamp(timing, one.timestamp, one.now, one.taker) === one.verdict, `accept rule: ${one.what}`);
  add({ name: 'the accept rule around the end of the golden period', type: 'accept rule', fields: { ...timing, serverCount: golden.servers.length, period }, cases });
}

// ---- payments ------------------------------------------------------------------------

/** A payment, built by hand beside the code: the 140-byte form, or with a reference the 148-byte one (the reference at 76, the v2 tag). */
function addPayment(name: string, payerLabel: string, fields: { timestamp: number; amount: number; payee: Uint8Array; reference?: bigint }): Uint8Array {
  const payer = signers[payerLabel]!;
  const tx = signPayment(payer, networkId, fields);
  const reference = fields.reference === undefined ? new Uint8Array(0) : new Writer(8).u32(Number(fields.reference >> 32n)).u32(Number(fields.reference & 0xffff_ffffn)).done();
  const body = concat(new Writer(76).u64(fields.timestamp).u32(fields.amount).put(fields.payee).put(payer.publicKey).done(), reference);
  check(tx.length === body.length + 64 && equal(tx.subarray(0, body.length), body), `payment ${name}: layout`);
  const message = signingMessage(networkId, tx);
  check(equal(message, concat(utf8(fields.reference === undefined ? 'scryp/tx/v1' : 'scryp/tx/v2'), networkId, body)), `payment ${name}: signing message`);
  const txid = txidOf(tx);
  check(equal(txid, sha256(body)), `payment ${name}: txid`);
  add({
    name,
    type: 'payment',
    signer: payerLabel,
    fields: {
      timestamp: fields.timestamp,
      amount: fields.amount,
      payee: toHex(fields.payee),
      payer: toHex(payer.publicKey),
      ...(fields.reference === undefined ? {} : { reference: fields.reference.toString() }),
      signature: toHex(tx.subarray(body.length)),
    },
    networkId: toHex(networkId),
    signingMessage: toHex(message),
    txid: toHex(txid),
    hex: toHex(tx),
  });
  return tx;
}

const payment1 = addPayment('payment: alice pays bob 250', 'alice', { timestamp: paymentTime, amount: 250, payee: bob.publicKey });
const payment2 = addPayment('payment: alice pays carol 100', 'alice', { timestamp: paymentTime + 333, amount: 100, payee: carol.publicKey });
const txid1 = txidOf(payment1);
const batch = concat(payment1, payment2);

// The ledger after the period: genesis, then both payments.
const genesisState = LedgerState.fromAccounts(golden.genesis);
const replay = replayBatch(genesisState, period, timing, batch);
check(replay.appliedCount === 2, 'both payments apply');
const prepared = genesisState.prepare(replay.changes);
const afterState = LedgerState.fromAccounts([
  { account: alice.publicKey, balance: 1_000_000 - 350 },
  { account: bob.publicKey, balance: 250 },
  { account: carol.publicKey, balance: 100 },
]);
check(equal(prepared.hash, afterState.hash), 'the state after the period, two ways');
const stateHash = afterState.hash;

// ---- client requests -----------------------------------------------------------------

const serverCount = golden.servers.length;

function addRequest(name: string, request: Request): void {
  const bytes = encodeRequest(request);
  add({ name, type: 'request', serverCount, fields: toJson(request), hex: toHex(bytes) });
}

addRequest('request PAY', { kind: Kind.PAY, requestId: 0x01020304, transaction: payment1, length: requestBytesFor(Kind.PAY, serverCount) });
addRequest('request BALANCE', { kind: Kind.BALANCE, requestId: 2, account: bob.publicKey, length: requestBytesFor(Kind.BALANCE, serverCount) });
addRequest('request STATUS', { kind: Kind.STATUS, requestId: 3, txid: txid1, length: requestBytesFor(Kind.STATUS, serverCount) });
addRequest('request INFO (network of 3 servers)', { kind: Kind.INFO, requestId: 4, length: requestBytesFor(Kind.INFO, serverCount) });
addRequest('request WHOAMI', { kind: Kind.WHOAMI, requestId: 5, length: requestBytesFor(Kind.WHOAMI, serverCount) });
addRequest('request BALANCE padded only to the 128-byte minimum (answered TOO_SHORT)', { kind: Kind.BALANCE, requestId: 6, account: bob.publicKey, length: 128 });
// HISTORY (§6.8): alice's payments from the newest, then older than the oldest of them.
addRequest('request HISTORY (from the newest)', { kind: Kind.HISTORY, requestId: 9, account: alice.publicKey, beforePeriod: 0, beforeIndex: 0, length: requestBytesFor(Kind.HISTORY, serverCount) });
addRequest('request HISTORY (older than the period\'s payment 0)', { kind: Kind.HISTORY, requestId: 10, account: alice.publicKey, beforePeriod: period, beforeIndex: 0, length: requestBytesFor(Kind.HISTORY, serverCount) });
addRequest('request HISTORY padded only to the 128-byte minimum (answered TOO_SHORT)', { kind: Kind.HISTORY, requestId: 11, account: alice.publicKey, beforePeriod: 0, beforeIndex: 0, length: 128 });
{
  const hand = new Writer(requestBytesFor(Kind.HISTORY, serverCount)).u8(0x53).u8(0x43).u8(1).u8(6).u32(10).put(alice.publicKey).u64(period).u32(0);
  hand.offset = hand.bytes.length;
  check(equal(hand.done(), encodeRequest({ kind: Kind.HISTORY, requestId: 10, account: alice.publicKey, beforePeriod: period, beforeIndex: 0, length: requestBytesFor(Kind.HISTORY, serverCount) })), 'request HISTORY layout');
}

// ---- client replies ------------------------------------------------------------------

function addReply(name: string, kind: Kind, requestId: number, status: Status, body: ReplyBody): void {
  const bytes = encodeReply(kind, requestId, status, body, server0, networkId);
  const unsigned = encodeReplyUnsigned(kind, requestId, status, body);
  const message = replySigningMessage(networkId, unsigned);
  check(equal(message, concat(utf8('scryp/reply/v1'), networkId, unsigned)), `reply ${name}: signing message`);
  add({
    name,
    type: 'reply',
    signer: 'server 0',
    fields: { kind, requestId, status, body: toJson(body), serverKey: toHex(server0.publicKey), signature: toHex(bytes.subarray(bytes.length - 64)) },
    kindName: kindName[kind],
    statusName: statusName[status],
    networkId: toHex(networkId),
    signingMessage: toHex(message),
    hex: toHex(bytes),
  });
}

addReply('reply PAY ACCEPTED', Kind.PAY, 0x01020304, Status.ACCEPTED, { period, txid: txid1 });
addReply('reply PAY FORWARDED', Kind.PAY, 0x01020304, Status.FORWARDED, { period, txid: txid1 });
addReply('reply BALANCE OK', Kind.BALANCE, 2, Status.OK, { account: bob.publicKey, balance: 250, committedPeriod: period, stateHash });
addReply('reply STATUS OK (committed)', Kind.STATUS, 3, Status.OK, { txid: txid1, state: PaymentState.COMMITTED, period });
addReply('reply INFO OK', Kind.INFO, 4, Status.OK, {
  networkId,
  serverIndex: 0,
  serverCount,
  now: paymentTime + 1127, // 2026-01-01T00:00:01.250Z: the next period, whose alpha is server 1
  currentPeriod: period + 1,
  alphaIndex: alphaOf(golden.servers.length, period + 1),
  committedPeriod: period,
  stateHash,
  lastHeard: [period + 1, period + 1, period],
});
addReply('reply WHOAMI OK', Kind.WHOAMI, 5, Status.OK, { address: whoamiAddress });
addReply('reply TOO_SHORT (BALANCE asked in 128 bytes; the reply needs 181)', Kind.BALANCE, 6, Status.TOO_SHORT, { needed: 181 });
addReply('reply BAD_REQUEST (to a STATUS request)', Kind.STATUS, 7, Status.BAD_REQUEST, null);
addReply('reply UNAVAILABLE (to a PAY request)', Kind.PAY, 8, Status.UNAVAILABLE, null);
// HISTORY: both payments of the period, newest first (payment 1 then payment 0), then nothing older.
const historyBody = {
  account: alice.publicKey,
  committedPeriod: period,
  archiveFrom: 0,
  entries: [
    { period, index: 1, applied: true, transaction: payment2 },
    { period, index: 0, applied: true, transaction: payment1 },
  ],
};
{
  const hand = concat(
    alice.publicKey,
    new Writer(17).u64(period).u64(0).u8(2).done(),
    new Writer(13).u64(period).u32(1).u8(1).done(),
    payment2,
    new Writer(13).u64(period).u32(0).u8(1).done(),
    payment1,
  );
  const unsigned = encodeReplyUnsigned(Kind.HISTORY, 9, Status.OK, historyBody);
  check(equal(unsigned.subarray(9), hand), 'reply HISTORY body layout');
}
addReply('reply HISTORY OK (2 payments, newest first)', Kind.HISTORY, 9, Status.OK, historyBody);
addReply('reply HISTORY OK (nothing older)', Kind.HISTORY, 10, Status.OK, { account: alice.publicKey, committedPeriod: period, archiveFrom: 0, entries: [] });
addReply('reply TOO_SHORT (HISTORY asked in 128 bytes; one entry needs 307)', Kind.HISTORY, 11, Status.TOO_SHORT, { needed: 307 });

// ---- votes and certificates ----------------------------------------------------------

const genesis = genesisCertificate(genesisState.hash);
const decision: Decision = { period, parent: 0, parentHash: genesisState.hash, hash: stateHash };
const vote0 = signVote(server0, networkId, decision, 0, 0);
const vote1 = signVote(server1, networkId, decision, 0, 1);
const certificate = certificateFrom(decision, [vote1, vote0]);

function addVote(name: string, signerLabel: string, vote: Vote): void {
  const message = voteSigningMessage(networkId, vote, vote.prev, vote.voter);
  add({ name, type: 'vote', signer: signerLabel, fields: toJson(vote), networkId: toHex(networkId), signingMessage: toHex(message), hex: toHex(encodeVote(vote)) });
}

function addCertificate(name: string, value: Certificate): void {
  add({ name, type: 'certificate', fields: toJson(value), networkId: toHex(networkId), hex: toHex(encodeCertificate(value)) });
}

addVote('vote of server 0 for the period (parent: genesis)', 'server 0', vote0);
addVote('vote of server 1 for the period (parent: genesis)', 'server 1', vote1);
addCertificate('certificate of the genesis state (period 0, no votes)', genesis);
addCertificate('certificate of the period: votes of servers 0 and 1', certificate);

// ---- peer messages -------------------------------------------------------------------

function addMessage(name: string, message: PeerMessage): void {
  const raw = encodeMessage(message);
  add({ name, type: 'message', kind: raw.kind, kindName: messageKindName[raw.kind], fields: toJson(message), hex: toHex(raw.payload) });
}

// The beta of the period (its alpha, server 0) signs the proposal's header (consensus/proposal.ts).
const proposalFields = { period, decided: period, hash: stateHash, transactions: batch, parent: genesis, validSlot: 0, pol: [], proposer: 0 };
const proposalHeader = signProposalHeader(server0, networkId, {
  slot: period,
  decided: period,
  proposer: 0,
  parent: { period: genesis.period, parent: genesis.parent, parentHash: genesis.parentHash, hash: genesis.hash },
  hash: stateHash,
  transactionsHash: transactionsHashOf(batch),
  validSlot: 0,
});
const proposal: PeerMessage = { type: 'proposal', ...proposalFields, signature: proposalHeader.signature };
add({
  name: 'proposal header of the PROPOSAL below, signed by server 0',
  type: 'proposal header',
  signer: 'server 0',
  fields: toJson(proposalHeader),
  networkId: toHex(networkId),
  signingMessage: toHex(proposalSigningMessage(networkId, proposalHeader)),
  hex: toHex(encodeProposalHeader(proposalHeader)),
});
addMessage('message STATUS (committed certificate and last vote)', { type: 'status', committed: certificate, vote: vote0 });
addMessage('message PROPOSAL with 2 payments', proposal);
addMessage('message VOTE', { type: 'vote', vote: vote0 });
addMessage('message PROPOSAL_HEADER (the header of the PROPOSAL above, passed on)', { type: 'proposal_header', header: proposalHeader });
addMessage('message FORWARD with 1 payment', { type: 'forward', transactions: payment1 });
addMessage('message SYNC_REQUEST', { type: 'sync_request', after: 0 });
addMessage('message SYNC_RECORDS with 1 record', { type: 'sync_records', snapshotNeeded: false, records: [{ certificate, transactions: batch }] });
addMessage('message SNAPSHOT_REQUEST', { type: 'snapshot_request' });
addMessage('message SNAPSHOT_HEADER', { type: 'snapshot_header', snapshotId: 1, accounts: afterState.accountCount, mids: afterState.midDigests(), certificate });
addMessage('message SNAPSHOT_PAGE_REQUEST (from the start)', { type: 'snapshot_page_request', snapshotId: 1, after: null });
addMessage('message SNAPSHOT_PAGE_REQUEST (after an account)', { type: 'snapshot_page_request', snapshotId: 1, after: bob.publicKey });
addMessage('message SNAPSHOT_PAGE (the last, 3 accounts)', { type: 'snapshot_page', snapshotId: 1, last: true, entries: concat(...afterState.entries()) });

// ---- two-thirds: ballots, a precommit certificate, evidence ---------------------------

{
  const twoThirdsId = goldenTwoThirds.id;
  const slot = period;
  const prevotes = [server0, server1, server2].map((signer, voter) => signBallot(signer, twoThirdsId, 'prevote', slot, decision, voter));
  const precommits = [server0, server1, server2].map((signer, voter) => signBallot(signer, twoThirdsId, 'precommit', slot, decision, voter));
  const addBallot = (name: string, signerLabel: string, ballot: Ballot) =>
    add({
      name,
      type: 'ballot',
      signer: signerLabel,
      fields: toJson(ballot),
      networkId: toHex(twoThirdsId),
      signingMessage: toHex(ballotSigningMessage(twoThirdsId, ballot.step, ballot.slot, ballot, ballot.voter)),
      hex: toHex(encodeBallot(ballot)),
    });
  addBallot('PREVOTE of server 1 in the slot of the period (two-thirds network)', 'server 1', prevotes[1]!);
  addBallot('PRECOMMIT of server 2 in the slot of the period (two-thirds network)', 'server 2', precommits[2]!);
  const precommitCertificate = certificateFromPrecommits(decision, slot, precommits);
  add({ name: 'certificate of the period: precommits of servers 0, 1 and 2 (two-thirds network)', type: 'certificate', quorum: 'two-thirds', fields: toJson(precommitCertificate), networkId: toHex(twoThirdsId), hex: toHex(encodeCertificate(precommitCertificate)) });
  addMessage('message PREVOTE (two-thirds network)', { type: 'prevote', ballot: prevotes[0]! });
  addMessage('message PRECOMMIT (two-thirds network)', { type: 'precommit', ballot: precommits[0]! });
  // Server 1 prevotes a second decision in the same slot: evidence anyone can check.
  const other: Decision = { ...decision, hash: sha256(utf8('another state')) };
  const second = signBallot(server1, twoThirdsId, 'prevote', slot, other, 1);
  const evidence: Evidence = { kind: 'prevote', a: prevotes[1]!, b: second };
  add({ name: 'evidence: two PREVOTEs of server 1 in one slot (two-thirds network)', type: 'evidence', quorum: 'two-thirds', fields: toJson(evidence), networkId: toHex(twoThirdsId), hex: toHex(encodeEvidence(evidence)) });
  addMessage('message EVIDENCE (two PREVOTEs of server 1 in one slot)', { type: 'evidence', evidence });
}

// ---- EVIDENCE (§6.9): the proofs a server holds ------------------------------------------

// Server 1 of the golden network signed a second VOTE for the period, for another state,
// and servers 1 and 2 made a second certificate of it: server 0 holds two proofs, the two
// VOTEs of server 1 and the fork (the certificate of servers 0 and 1 against the one of
// servers 1 and 2), and the fork stopped it. It lists them one per request.
{
  const otherDecision: Decision = { ...decision, hash: sha256(utf8('another state')) };
  const vote1Other = signVote(server1, networkId, otherDecision, 0, 1);
  const vote2Other = signVote(server2, networkId, otherDecision, 0, 2);
  const voteEvidence: Evidence = { kind: 'vote', a: vote1, b: vote1Other };
  const forkEvidence: Evidence = { kind: 'fork', a: certificate, b: certificateFrom(otherDecision, [vote1Other, vote2Other]) };
  {
    // By hand: kind 5, then the two certificates (§7.5).
    check(equal(encodeEvidence(forkEvidence), concat(Uint8Array.of(5), encodeCertificate(certificate), encodeCertificate(forkEvidence.b))), 'evidence: fork layout');
    check(equal(encodeEvidence(voteEvidence), concat(Uint8Array.of(1), encodeVote(vote1), encodeVote(vote1Other))), 'evidence: vote layout');
  }
  add({ name: 'evidence: two VOTEs of server 1 for the period', type: 'evidence', fields: toJson(voteEvidence), networkId: toHex(networkId), hex: toHex(encodeEvidence(voteEvidence)) });
  add({ name: 'evidence: a fork of the period (certificates of servers 0, 1 and of servers 1, 2)', type: 'evidence', fields: toJson(forkEvidence), networkId: toHex(networkId), hex: toHex(encodeEvidence(forkEvidence)) });
  const held = { count: 2, stoppedBy: 2, summary: null };
  for (const [requestId, index] of [[12, 0], [13, 1], [14, 2]] as const) {
    addRequest(`request EVIDENCE (proof ${index})`, { kind: Kind.EVIDENCE, requestId, index, length: requestBytesFor(Kind.EVIDENCE, serverCount) });
  }
  {
    const hand = new Writer(requestBytesFor(Kind.EVIDENCE, serverCount)).u8(0x53).u8(0x43).u8(1).u8(7).u32(13).u16(1);
    hand.offset = hand.bytes.length;
    check(equal(hand.done(), encodeRequest({ kind: Kind.EVIDENCE, requestId: 13, index: 1, length: requestBytesFor(Kind.EVIDENCE, serverCount) })), 'request EVIDENCE layout');
    const body = encodeReplyUnsigned(Kind.EVIDENCE, 13, Status.OK, { index: 1, ...held, evidence: forkEvidence }).subarray(9);
    check(equal(body, concat(new Writer(7).u16(1).u16(2).u16(2).u8(1).done(), encodeEvidence(forkEvidence))), 'reply EVIDENCE body layout');
  }
  addReply('reply EVIDENCE OK (proof 0 of 2: two VOTEs of server 1)', Kind.EVIDENCE, 12, Status.OK, { index: 0, ...held, evidence: voteEvidence });
  addReply('reply EVIDENCE OK (proof 1 of 2: the fork, which stopped the server)', Kind.EVIDENCE, 13, Status.OK, { index: 1, ...held, evidence: forkEvidence });
  addReply('reply EVIDENCE OK (nothing at index 2 of 2)', Kind.EVIDENCE, 14, Status.OK, { index: 2, ...held, evidence: null });
}

// A fork in a network of twelve servers (the golden three, then "server 3" to "server 11"):
// two certificates of seven votes each make a proof of 1199 bytes, more than the 1120 a
// reply can carry, so the server sums it up (§6.9). Checked by test/evidence-codec.test.ts.
{
  const twelve = [server0, server1, server2, ...Array.from({ length: 9 }, (_, i) => key(`server ${i + 3}`))];
  const twelveJson = { ...goldenJson, name: 'golden twelve', servers: twelve.map((signer, i) => ({ key: toHex(signer.publicKey), ip: `127.0.0.1:${5001 + i}` })) };
  const twelveNetwork = parseNetwork(twelveJson);
  const left: Decision = { ...decision };
  const right: Decision = { ...decision, hash: sha256(utf8('another state')) };
  const votesFor = (chosen: Decision, voters: number[]) => voters.map((voter) => signVote(twelve[voter]!, twelveNetwork.id, chosen, 0, voter));
  const fork: Evidence = { kind: 'fork', a: certificateFrom(left, votesFor(left, [0, 1, 2, 3, 4, 5, 6])), b: certificateFrom(right, votesFor(right, [5, 6, 7, 8, 9, 10, 11])) };
  const whole = encodeEvidence(fork);
  check(whole.length === 1199, 'the twelve-server fork is 1199 bytes');
  const body = { index: 0, count: 1, stoppedBy: 1, evidence: null, summary: { bytes: whole.length, digest: sha256(whole), a: left, b: right } };
  const bytes = encodeReply(Kind.EVIDENCE, 15, Status.OK, body, server0, twelveNetwork.id);
  const unsigned = encodeReplyUnsigned(Kind.EVIDENCE, 15, Status.OK, body);
  const decisionBytes = (chosen: Decision) => new Writer(80).u64(chosen.period).u64(chosen.parent).put(chosen.parentHash).put(chosen.hash).done();
  check(equal(unsigned.subarray(9), concat(new Writer(7).u16(0).u16(1).u16(1).u8(2).done(), new Writer(4).u32(1199).done(), sha256(whole), decisionBytes(left), decisionBytes(right))), 'reply EVIDENCE summary layout');
  addNetwork('network id of twelve servers (the golden three, then servers 3 to 11)', twelveJson, twelveNetwork);
  add({
    name: 'reply EVIDENCE OK (a fork too large for one datagram, summed up; network of twelve servers)',
    type: 'evidence reply',
    signer: 'server 0',
    fields: { kind: Kind.EVIDENCE, requestId: 15, status: Status.OK, body: toJson(body), serverKey: toHex(server0.publicKey), signature: toHex(bytes.subarray(bytes.length - 64)) },
    networkId: toHex(twelveNetwork.id),
    evidence: toHex(whole),
    signingMessage: toHex(replySigningMessage(twelveNetwork.id, unsigned)),
    hex: toHex(bytes),
  });
}

// ---- address records (§3.10): a server that moved -----------------------------------------

// Server 1 of the golden network moved to 198.51.100.7:4002 at the time of the payment
// above, and signed a record of it; every server passes it on (ADDRESS) and lists it to
// clients (ADDRESSES).
{
  const moved = signAddressRecord(server1, networkId, { host: '198.51.100.7', port: 4002 }, paymentTime);
  const signedPart = concat(server1.publicKey, pack('198.51.100.7', 4002), new Writer(8).u64(paymentTime).done());
  const message = addressRecordSigningMessage(networkId, moved);
  check(equal(message, concat(utf8('scryp/address/v1'), networkId, signedPart)), 'address record: signing message');
  check(equal(encodeAddressRecord(moved), concat(signedPart, moved.signature)), 'address record: layout');
  add({
    name: 'address record: server 1 moved to 198.51.100.7:4002',
    type: 'address record',
    signer: 'server 1',
    fields: toJson(moved),
    networkId: toHex(networkId),
    signingMessage: toHex(message),
    hex: toHex(encodeAddressRecord(moved)),
  });
  addMessage('message ADDRESS (server 1 moved, passed on)', { type: 'address', record: moved });
  addRequest('request ADDRESSES (from server 0)', { kind: Kind.ADDRESSES, requestId: 16, from: 0, length: requestBytesFor(Kind.ADDRESSES, serverCount) });
  addRequest('request ADDRESSES (from server 2)', { kind: Kind.ADDRESSES, requestId: 17, from: 2, length: requestBytesFor(Kind.ADDRESSES, serverCount) });
  {
    const hand = new Writer(requestBytesFor(Kind.ADDRESSES, serverCount)).u8(0x53).u8(0x43).u8(1).u8(8).u32(17).u16(2);
    hand.offset = hand.bytes.length;
    check(equal(hand.done(), encodeRequest({ kind: Kind.ADDRESSES, requestId: 17, from: 2, length: requestBytesFor(Kind.ADDRESSES, serverCount) })), 'request ADDRESSES layout');
    const body = encodeReplyUnsigned(Kind.ADDRESSES, 16, Status.OK, { records: [moved] }).subarray(9);
    check(equal(body, concat(Uint8Array.of(1), encodeAddressRecord(moved))), 'reply ADDRESSES body layout');
  }
  addReply('reply ADDRESSES OK (server 1 moved)', Kind.ADDRESSES, 16, Status.OK, { records: [moved] });
  addReply('reply ADDRESSES OK (no record from server 2)', Kind.ADDRESSES, 17, Status.OK, { records: [] });
}

// ---- one batch frame -----------------------------------------------------------------

{
  const messages = [encodeMessage(proposal), encodeMessage({ type: 'vote', vote: vote0 })];
  const frame = encodeFrame(messages, networkId, server0);
  const bodyLength = frame.length - 73 - 64;
  const header = concat(Uint8Array.from([0x53, 0x43, 0x50, 0x42, 1]), networkId, server0.publicKey, new Writer(4).u32(bodyLength).done());
  check(equal(frame.subarray(0, 73), header), 'frame header');
  add({
    name: 'batch frame from server 0: PROPOSAL then VOTE',
    type: 'frame',
    signer: 'server 0',
    fields: {
      networkId: toHex(networkId),
      sender: toHex(server0.publicKey),
      messages: messages.map((message) => ({ kind: message.kind, payload: toHex(message.payload) })),
      signature: toHex(frame.subarray(frame.length - 64)),
    },
    bodyLength,
    // What is signed: the SHA-256 digest of the tag and every byte before the signature.
    signingMessage: toHex(sha256(concat(utf8('scryp/batch/v1'), frame.subarray(0, frame.length - 64)))),
    hex: toHex(frame),
  });
}

// ---- state hash ----------------------------------------------------------------------

/** An account id for the tiny ledger: two chosen leading bytes, then a filler byte. */
function account(first: number, second: number, fill: number): Uint8Array {
  const out = new Uint8Array(32).fill(fill);
  out[0] = first;
  out[1] = second;
  return out;
}

function entry(accountId: Uint8Array, balance: number): Uint8Array {
  return new Writer(36).put(accountId).u32(balance).done();
}

{
  // Two accounts share bucket 0x0001 (mid 0, leaf 1); the third is in bucket 0x0203 (mid 2, leaf 3).
  const accounts = [
    { account: account(0x00, 0x01, 0xbb), balance: 200 },
    { account: account(0x02, 0x03, 0xcc), balance: 300 },
    { account: account(0x00, 0x01, 0xaa), balance: 100 },
  ];
  const state = LedgerState.fromAccounts(accounts);

  // By hand: sorted buckets, leaves, mids, root.
  const bucket0001 = concat(entry(accounts[2]!.account, 100), entry(accounts[0]!.account, 200));
  const bucket0203 = entry(accounts[1]!.account, 300);
  const emptyLeaf = sha256(utf8('scryp/leaf/v1'));
  const leaf0001 = sha256(utf8('scryp/leaf/v1'), bucket0001);
  const leaf0203 = sha256(utf8('scryp/leaf/v1'), bucket0203);
  const midOf = (leaves: Map<number, Uint8Array>): Uint8Array => {
    const parts: Uint8Array[] = [utf8('scryp/mid/v1')];
    for (let i = 0; i < 256; i++) parts.push(leaves.get(i) ?? emptyLeaf);
    return sha256(concat(...parts));
  };
  const emptyMid = midOf(new Map());
  const mid0 = midOf(new Map([[1, leaf0001]]));
  const mid2 = midOf(new Map([[3, leaf0203]]));
  const rootOf = (mids: Map<number, Uint8Array>): Uint8Array => {
    const parts: Uint8Array[] = [utf8('scryp/state/v1')];
    for (let m = 0; m < 256; m++) parts.push(mids.get(m) ?? emptyMid);
    return sha256(concat(...parts));
  };
  const stateRoot = rootOf(new Map([[0, mid0], [2, mid2]]));
  const emptyRoot = rootOf(new Map());
  check(equal(emptyLeaf, emptyLeafDigest) && equal(emptyMid, emptyMidDigest), 'empty leaf and mid');
  check(equal(state.hash, stateRoot), 'tiny ledger state hash');
  check(equal(LedgerState.fromAccounts([]).hash, emptyRoot), 'empty ledger state hash');
  const mids = state.midDigests();
  check(equal(mids.subarray(0, 32), mid0) && equal(mids.subarray(64, 96), mid2), 'tiny ledger mids');

  add({
    name: 'state hash of a tiny ledger: 3 accounts, two in bucket 0x0001',
    type: 'state',
    fields: { accounts: accounts.map((a) => ({ account: toHex(a.account), balance: a.balance })) },
    entries: toHex(concat(bucket0001, bucket0203)),
    buckets: { '0x0001': toHex(bucket0001), '0x0203': toHex(bucket0203) },
    leaves: { empty: toHex(emptyLeaf), '0x0001': toHex(leaf0001), '0x0203': toHex(leaf0203) },
    mids: { empty: toHex(emptyMid), '0': toHex(mid0), '2': toHex(mid2) },
    hash: toHex(stateRoot),
  });
  add({ name: 'state hash of the empty ledger', type: 'state', fields: { accounts: [] }, entries: '', hash: toHex(emptyRoot) });
  add({
    name: 'state hash of the golden network after the period (alice, bob, carol)',
    type: 'state',
    fields: { accounts: [...afterState.entries()].map((e) => ({ account: toHex(e.subarray(0, 32)), balance: new DataView(e.buffer, e.byteOffset).getUint32(32) })) },
    entries: toHex(concat(...afterState.entries())),
    hash: toHex(stateHash),
  });
  add({ name: 'state hash of the golden network at genesis', type: 'state', fields: { accounts: [{ account: toHex(alice.publicKey), balance: 1_000_000 }] }, entries: toHex(concat(...genesisState.entries())), hash: toHex(genesisState.hash) });
}

// ---- configuration changes (§3.9, §6.11, §8.13, §9) --------------------------------------

// The test network of test/helpers/keys.ts (three servers) grows to five, signed by servers
// 0 and 2, carried in period 10; test/configuration.test.ts pins the same values.
{
  const test = testNetwork({ servers: 3 });
  const zero = genesisConfiguration(test.network);
  const newcomers = [testSigner('server 3'), testSigner('server 4')];
  const body = {
    replaces: 0,
    replacesHash: zero.hash,
    first: 0,
    servers: [...test.network.servers.map((server) => ({ key: server.key, address: server.address })), ...newcomers.map((signer, i) => ({ key: signer.publicKey, address: { host: '127.0.0.1', port: 5003 + i } }))],
  };
  const message = changeSigningMessage(test.network.id, body);
  check(equal(message, concat(utf8('scryp/change/v1'), test.network.id, changeBody(body))), 'change: signing message');
  const change: Change = { ...body, signatures: [0, 2].map((signer) => ({ signer, signature: test.servers[signer]!.sign(message) })) };
  const one = checkChange(test.network.id, zero, change, 10, verify);
  const digest = chainDigestOf([{ carrier: 10, change }])!;
  const genesisRoot = LedgerState.fromAccounts(test.network.genesis).hash;
  add({
    name: 'configuration change: the test network grows from 3 to 5 servers, signed by servers 0 and 2',
    type: 'configuration change',
    networkId: toHex(test.network.id),
    configuration0Hash: toHex(zero.hash),
    changeId: toHex(changeId(change)),
    carrier: 10,
    configuration1: { number: one.number, first: one.first, servers: one.servers.length, quorum: one.quorum, hash: toHex(one.hash) },
    genesisRoot: toHex(genesisRoot),
    chainDigest: toHex(digest),
    stateHashWithChain: toHex(stateHashOf(genesisRoot, digest)),
    signingMessage: toHex(message),
    hex: toHex(encodeChange(change)),
  });
  // The same change as the golden network's servers would submit and pass it on (kinds as on the wire).
  addMessage('message CHANGE (a change submitted and passed on)', { type: 'change', change });
  addRequest('request CONFIG (change 0, from its first byte)', { kind: Kind.CONFIG, requestId: 18, index: 0, offset: 0, length: requestBytesFor(Kind.CONFIG, serverCount) });
  addRequest('request CHANGE', { kind: Kind.CHANGE, requestId: 19, change: encodeChange(change), length: 10 + encodeChange(change).length });
  const committed = encodeCommittedChange({ carrier: 10, change });
  addReply('reply CONFIG OK (the first 100 bytes of change 0 of 1)', Kind.CONFIG, 18, Status.OK, {
    changes: 1,
    latest: 1,
    latestFirst: 14,
    committedPeriod: 12,
    index: 0,
    total: committed.length,
    offset: 0,
    chunk: committed.subarray(0, 100),
  });
  addReply('reply CHANGE OK (taken)', Kind.CHANGE, 19, Status.OK, { verdict: 0, latest: 0 });
}

// ---- gateway records (§3.11) and the gateway (§6.12) ------------------------------------------

// Server 2 of the golden network serves its HTTP gateway at https://pay.golden.example/ and
// signed a record of it at the time of the payment above; every server passes it on
// (GATEWAY) and lists it (GET /v1/gateways, JSON).
{
  const url = 'https://pay.golden.example/';
  const record = signGatewayRecord(server2, networkId, url, paymentTime);
  const signedPart = concat(server2.publicKey, new Writer(8).u64(paymentTime).done(), Uint8Array.of(utf8(url).length), utf8(url));
  const message = gatewayRecordSigningMessage(networkId, record);
  check(equal(message, concat(utf8('scryp/gateway/v1'), networkId, signedPart)), 'gateway record: signing message');
  check(equal(encodeGatewayRecord(record), concat(signedPart, record.signature)), 'gateway record: layout');
  add({
    name: 'gateway record: server 2 serves its gateway at https://pay.golden.example/',
    type: 'gateway record',
    signer: 'server 2',
    fields: toJson(record),
    networkId: toHex(networkId),
    signingMessage: toHex(message),
    json: gatewayRecordToJson(record),
    hex: toHex(encodeGatewayRecord(record)),
  });
  addMessage('message GATEWAY (server 2\'s gateway, passed on)', { type: 'gateway', record });
}

// The gateway answers POST /v1/request with exactly the reply the UDP port sends for the
// same bytes: the 1-server network's server, at genesis, at the time of the payment above,
// asked by 203.0.113.7:40123. Each reply is built by hand here and compared with what the
// node's own request handler answers (test/helpers/one-answer.ts).
{
  const solo = parseNetwork(soloJson);
  const source = { host: '203.0.113.7', port: 40123 };
  const exchange = (name: string, request: Request, status: Status, body: ReplyBody) => {
    const requestBytes = encodeRequest(request);
    const expected = encodeReply(request.kind, request.requestId, status, body, soloServer, solo.id);
    const answer = oneAnswer(solo, soloServer, requestBytes, source, paymentTime);
    check(answer.reply !== null && equal(answer.reply, expected), `gateway exchange ${name}: the handler's reply`);
    add({
      name: `gateway exchange: ${name}`,
      type: 'gateway exchange',
      signer: 'solo server',
      network: 'solo',
      now: paymentTime,
      source,
      request: { method: 'POST', path: '/v1/request', contentType: 'application/octet-stream', body: toHex(requestBytes) },
      response: { status: 200, contentType: 'application/octet-stream', body: toHex(expected) },
    });
  };
  const soloTiming = timingOf(solo);
  const soloPeriod = periodOf(soloTiming, paymentTime);
  exchange('BALANCE of the solo wallet', { kind: Kind.BALANCE, requestId: 0x0a0b0c0d, account: soloWallet.publicKey, length: requestBytesFor(Kind.BALANCE, 1) }, Status.OK, {
    account: soloWallet.publicKey,
    balance: 1_000_000,
    committedPeriod: 0,
    stateHash: LedgerState.fromAccounts(solo.genesis).hash,
  });
  exchange('INFO', { kind: Kind.INFO, requestId: 21, length: requestBytesFor(Kind.INFO, 1) }, Status.OK, {
    networkId: solo.id,
    serverIndex: 0,
    serverCount: 1,
    now: paymentTime,
    currentPeriod: soloPeriod,
    alphaIndex: 0,
    committedPeriod: 0,
    stateHash: LedgerState.fromAccounts(solo.genesis).hash,
    lastHeard: [soloPeriod],
  });
  exchange('WHOAMI (from 203.0.113.7:40123)', { kind: Kind.WHOAMI, requestId: 22, length: requestBytesFor(Kind.WHOAMI, 1) }, Status.OK, { address: pack(source.host, source.port) });
  exchange('BALANCE padded only to 128 bytes (TOO_SHORT, as over UDP)', { kind: Kind.BALANCE, requestId: 23, account: soloWallet.publicKey, length: 128 }, Status.TOO_SHORT, { needed: 181 });
}

// scryp watch (PROTOCOL §6.13): a committed payment as a webhook carries it to a shop
// (every server listing it), and the Scryp-Signature of that body at the payment's second
// under a secret of 64 hex characters, keyed with the secret's text. The HMAC is computed
// here with node:crypto from the recipe, and compared with what the watcher's code signs.
function addWebhookVector(name: string, shop: Signer, listed: { period: number; index: number; transaction: Uint8Array }): void {
  const entry = describeEntry(golden, shop.publicKey, { ...listed, applied: true }, [0, 1, 2]);
  const body = watchEventOf(golden, shop.publicKey, entry);
  const secret = toHex(sha256(utf8('scryp golden vector webhook secret')));
  const t = Math.floor(timestampOf(listed.transaction) / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const header = `t=${t},v1=${v1}`;
  check(webhookSignature(secret, t, body) === header, `${name}: the recipe and the watcher`);
  add({ name, type: 'webhook signature', secret, t, body, v1, header });
}
addWebhookVector('webhook signature: bob\'s shop hears that alice paid 250', bob, { period, index: 0, transaction: payment1 });

// ---- payments with a reference (v1.2, §5.1): the 148-byte form everywhere ---------------

// The next period (its alpha is server 1): Alice pays Carol 75 for Carol's invoice
// 2026000123, in the 148-byte form, and Bob pays Alice 20 without a reference. Both in one
// batch, which server 1 proposes at the start of the period after (it is that period's beta).
{
  const next = period + 1;
  check(alphaOf(golden.servers.length, next) === 1 && betaOf(golden.servers.length, next + 1) === 1, 'server 1 is the alpha of the next period and proposes it');
  const reference = 2_026_000_123n;
  const payment3 = addPayment('payment with a reference: alice pays carol 75 for invoice 2026000123 (148 bytes)', 'alice', { timestamp: startOf(timing, next) + 200, amount: 75, payee: carol.publicKey, reference });
  const payment4 = addPayment('payment: bob pays alice 20 (no reference, in the same batch)', 'bob', { timestamp: startOf(timing, next) + 450, amount: 20, payee: alice.publicKey });
  const txid3 = txidOf(payment3);
  addWebhookVector('webhook signature: carol\'s shop hears that alice paid invoice 2026000123', carol, { period: next, index: 0, transaction: payment3 });

  // The batch of both forms: the 148-byte payment after its tag 0x02, then the 140-byte one as it is.
  const mixed = encodePaymentList([payment3, payment4]);
  check(equal(mixed, concat(Uint8Array.of(0x02), payment3, payment4)), 'payment list: tag 0x02 before a 148-byte payment only');
  check(equal(encodePaymentList([payment1, payment2]), batch), 'payment list: 140-byte payments alone are their concatenation');
  add({
    name: 'payment list of both forms (the batch of the next period)',
    type: 'payment list',
    fields: { payments: [toHex(payment3), toHex(payment4)] },
    transactionsHash: toHex(transactionsHashOf(mixed)),
    hex: toHex(mixed),
  });

  // Requests and replies: PAYREF and what it hears, STATUS of the payment, and Alice's history of both forms.
  addRequest('request PAYREF (the payment with a reference)', { kind: Kind.PAYREF, requestId: 30, transaction: payment3, length: requestBytesFor(Kind.PAYREF, serverCount) });
  {
    const hand = new Writer(requestBytesFor(Kind.PAYREF, serverCount)).u8(0x53).u8(0x43).u8(1).u8(0x0b).u32(30).put(payment3).done();
    check(hand.length === 156 && equal(hand, encodeRequest({ kind: Kind.PAYREF, requestId: 30, transaction: payment3, length: 156 })), 'request PAYREF layout');
  }
  addReply('reply PAYREF ACCEPTED', Kind.PAYREF, 30, Status.ACCEPTED, { period: next, txid: txid3 });
  addRequest('request STATUS (the payment with a reference)', { kind: Kind.STATUS, requestId: 31, txid: txid3, length: requestBytesFor(Kind.STATUS, serverCount) });
  addReply('reply STATUS OK (the payment with a reference, committed)', Kind.STATUS, 31, Status.OK, { txid: txid3, state: PaymentState.COMMITTED, period: next });
  addRequest('request HISTORY (from the newest, after the next period)', { kind: Kind.HISTORY, requestId: 32, account: alice.publicKey, beforePeriod: 0, beforeIndex: 0, length: requestBytesFor(Kind.HISTORY, serverCount) });
  const mixedHistory = {
    account: alice.publicKey,
    committedPeriod: next,
    archiveFrom: 0,
    entries: [
      { period: next, index: 1, applied: true, transaction: payment4 },
      { period: next, index: 0, applied: true, transaction: payment3 },
      { period, index: 1, applied: true, transaction: payment2 },
      { period, index: 0, applied: true, transaction: payment1 },
    ],
  };
  {
    // By hand: outcome 0x03 (applied, the 148-byte form) and a 161-byte entry for payment 3; the others as before.
    const hand = concat(
      alice.publicKey,
      new Writer(17).u64(next).u64(0).u8(4).done(),
      new Writer(13).u64(next).u32(1).u8(1).done(),
      payment4,
      new Writer(13).u64(next).u32(0).u8(3).done(),
      payment3,
      new Writer(13).u64(period).u32(1).u8(1).done(),
      payment2,
      new Writer(13).u64(period).u32(0).u8(1).done(),
      payment1,
    );
    check(equal(encodeReplyUnsigned(Kind.HISTORY, 32, Status.OK, mixedHistory).subarray(9), hand), 'reply HISTORY body layout with both forms');
  }
  addReply('reply HISTORY OK (4 payments of both forms, newest first)', Kind.HISTORY, 32, Status.OK, mixedHistory);

  // The peer messages that carry payments, with both forms.
  const replayed = replayBatch(afterState, next, timing, mixed);
  check(replayed.appliedCount === 2, 'both payments of the next period apply');
  const nextState = LedgerState.fromAccounts([
    { account: alice.publicKey, balance: 1_000_000 - 350 - 75 + 20 },
    { account: bob.publicKey, balance: 250 - 20 },
    { account: carol.publicKey, balance: 100 + 75 },
  ]);
  check(equal(afterState.prepare(replayed.changes).hash, nextState.hash), 'the state after the next period, two ways');
  const nextDecision: Decision = { period: next, parent: period, parentHash: stateHash, hash: nextState.hash };
  const nextCertificate = certificateFrom(nextDecision, [signVote(server1, networkId, nextDecision, period, 1), signVote(server2, networkId, nextDecision, 0, 2)]);
  const nextFields = { period: next, decided: next, hash: nextState.hash, transactions: mixed, parent: certificate, validSlot: 0, pol: [], proposer: 1 };
  const nextHeader = signProposalHeader(server1, networkId, {
    slot: next,
    decided: next,
    proposer: 1,
    parent: { period: certificate.period, parent: certificate.parent, parentHash: certificate.parentHash, hash: certificate.hash },
    hash: nextState.hash,
    transactionsHash: transactionsHashOf(mixed),
    validSlot: 0,
  });
  addMessage('message PROPOSAL with payments of both forms (the next period, proposed by server 1)', { type: 'proposal', ...nextFields, signature: nextHeader.signature });
  addMessage('message FORWARD with payments of both forms', { type: 'forward', transactions: mixed });
  addMessage('message SYNC_RECORDS with 2 records (the period, then the next with both forms)', {
    type: 'sync_records',
    snapshotNeeded: false,
    records: [
      { certificate, transactions: batch },
      { certificate: nextCertificate, transactions: mixed },
    ],
  });
  // A receipt of alice's payment to carol (§6.14): the payment and the STATUS replies of
  // servers 0 and 1, a quorum of the golden network, each COMMITTED in the next period.
  {
    const statusBody = { txid: txid3, state: PaymentState.COMMITTED, period: next };
    const replies = [encodeReply(Kind.STATUS, 31, Status.OK, statusBody, server0, networkId), encodeReply(Kind.STATUS, 31, Status.OK, statusBody, server1, networkId)];
    const receipt = { network: networkId, tx: payment3, replies, chain: [] };
    const checked = checkReceipt(golden, receipt);
    check(checked.period === next && checked.servers.join() === '0,1' && checked.reference === reference, 'receipt: what it proves');
    check(JSON.stringify(receiptJson(receipt)) === JSON.stringify({ network: toHex(networkId), tx: toHex(payment3), replies: replies.map(toHex) }), 'receipt: the JSON of §6.14');
    add({
      name: 'receipt: alice paid carol 75 for invoice 2026000123, vouched for by servers 0 and 1',
      type: 'receipt',
      json: receiptJson(receipt),
      text: formatReceipt(receipt),
      checked: { txid: toHex(checked.txid), period: checked.period, amount: checked.amount, reference: String(checked.reference), configuration: checked.configuration.number, quorum: checked.configuration.quorum, servers: checked.servers },
    });
  }
  add({ name: 'certificate of the next period: votes of servers 1 and 2', type: 'certificate', fields: toJson(nextCertificate), networkId: toHex(networkId), hex: toHex(encodeCertificate(nextCertificate)) });
  add({
    name: 'state hash of the golden network after the next period',
    type: 'state',
    fields: { accounts: [...nextState.entries()].map((e) => ({ account: toHex(e.subarray(0, 32)), balance: new DataView(e.buffer, e.byteOffset).getUint32(32) })) },
    entries: toHex(concat(...nextState.entries())),
    hash: toHex(nextState.hash),
  });
}

const document = {
  about:
    'Golden vectors of the scryp v1 wire format. Written by `bun test/vectors/make-golden.ts`; checked by test/golden.test.ts, which never regenerates them. All hex is lowercase; integers are big-endian on the wire. Seeds are sha256(label) of the labels given under keys.',
  keys,
  vectors,
};
writeFileSync(outputPath, `${JSON.stringify(document, null, 2)}\n`);
console.log(`wrote ${outputPath}: ${vectors.length} vectors`);
