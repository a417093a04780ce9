// The golden vectors of test/vectors/golden.json, checked against the project's code in
// both directions: encoding the fields gives exactly the hex, decoding the hex gives the
// fields back, and every signature verifies. The file is data: this test only reads it.
// To change a layout on purpose, change the code, run `bun test/vectors/make-golden.ts`,
// and review the diff of golden.json (and docs/PROTOCOL.md, which quotes it).

import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concat, fromHex, Reader, toHex, utf8 } from '../src/bytes.ts';
import { domain, sha256 } from '../src/hash.ts';
import { pack, unpack } from '../src/ip.ts';
import { parseNetwork } from '../src/network.ts';
import { chainDigestOf, changeId, changeSigningMessage, checkChange, decodeChange, encodeChange, genesisConfiguration } from '../src/consensus/configuration.ts';
import { testNetwork } from './helpers/keys.ts';
import { acceptingFrom, alphaOf, betaOf, checkTimestamp, endOf, forwardingUntil, periodOf, startOf, type Taker, timingOf } from '../src/schedule.ts';
import { formatSeed, parseSeed } from '../src/seed.ts';
import { publicKeyFromSeed, signerFromSeed, verify, verifyReference } from '../src/signature.ts';
import { decodeTransaction, encodeTransaction, type Payment, signingMessage, signPayment, txidOf } from '../src/transaction.ts';
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeReplyUnsigned,
  encodeRequest,
  type Kind,
  type ReplyBody,
  replySigningMessage,
  type Request,
  requestBytesFor,
  type Status,
  Status as StatusCode,
  verifyReply,
} from '../src/client/codec.ts';
import {
  type Certificate,
  encodeCertificate,
  encodeVote,
  readCertificate,
  readVote,
  signVote,
  verifyCertificate,
  verifyVote,
  type Vote,
  type VoteChecker,
  checkerFor,
  voteSigningMessage,
} from '../src/consensus/vote.ts';
import { decodeMessage, encodeMessage, headerOfProposal, type PeerMessage, type ProposalMessage } from '../src/peer/messages.ts';
import { encodePaymentList, paymentCount, paymentsIn } from '../src/payment-list.ts';
import { checkReceipt, formatReceipt, parseReceipt } from '../src/receipt.ts';
import { type Ballot, ballotSigningMessage, encodeBallot, readBallot, signBallot, verifyBallot } from '../src/consensus/ballot.ts';
import { checkEvidence, decodeEvidence, encodeEvidence, type Evidence } from '../src/consensus/evidence.ts';
import { encodeProposalHeader, type ProposalHeader, proposalSigningMessage, readProposalHeader, transactionsHashOf } from '../src/consensus/proposal.ts';
import { encodeFrame, type Frame, FrameDecoder, type RawMessage } from '../src/peer/framing.ts';
import { isKnownKind } from '../src/peer/messages.ts';
import { emptyLeafDigest, emptyMidDigest, leafDigest, LedgerState, midDigestOfEntries, rootDigest } from '../src/ledger/state.ts';
import { replayBatch } from '../src/ledger/batch.ts';
import { devnetNetwork } from '../src/devnet.ts';
import { type AddressRecord, addressRecordSigningMessage, checkAddressRecord, decodeAddressRecord, encodeAddressRecord, signAddressRecord } from '../src/address-record.ts';
import {
  checkGatewayRecord,
  decodeGatewayRecord,
  encodeGatewayRecord,
  type GatewayRecord,
  gatewayRecordSigningMessage,
  gatewayRecordsFromJson,
  gatewayRecordToJson,
  signGatewayRecord,
} from '../src/gateway-record.ts';
import { oneAnswer } from './helpers/one-answer.ts';
import { describeEntry } from '../src/client/history.ts';
import { decodeAddress } from '../src/address.ts';
import { webhookSignature } from '../src/watch/deliver.ts';
import { watchEventOf } from '../src/payment-event.ts';

// ---- the file ------------------------------------------------------------------------

interface KeyEntry {
  label: string;
  seedText: string;
  seed: string;
  publicKey: string;
}

interface Vector {
  name: string;
  type: string;
  fields: Record<string, unknown>;
  hex?: string;
  signer?: string;
  [extra: string]: unknown;
}

const root = join(import.meta.dir, '..');
const golden = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'golden.json'), 'utf8')) as { keys: Record<string, KeyEntry>; vectors: Vector[] };
const vectors = golden.vectors;

function ofType(type: string): Vector[] {
  return vectors.filter((vector) => vector.type === type);
}

function hexOf(vector: Vector, field: string): string {
  const value = vector[field];
  if (typeof value !== 'string') throw new Error(`${vector.name}: ${field} is not a hex string`);
  return value;
}

function bytesOf(vector: Vector, field = 'hex'): Uint8Array {
  return fromHex(hexOf(vector, field), undefined, `${vector.name}.${field}`);
}

function signerOf(vector: Vector) {
  const entry = golden.keys[vector.signer ?? ''];
  if (entry === undefined) throw new Error(`${vector.name}: unknown signer ${vector.signer}`);
  return signerFromSeed(fromHex(entry.seed, 32, 'seed'));
}

/** Decoded values in the file's form: bytes as lowercase hex, a reference as a decimal string. */
function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, toJson(field)]));
  }
  return value;
}

/** The file's form back to values: every string is hex, except a message's `type`, a ballot's `step`, an evidence's `kind`, an address's `host`, a gateway's `url` and a payment's `reference` (decimal: a u64). */
function fromJson(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && key === 'reference') return BigInt(value);
  if (typeof value === 'string') return key === 'type' || key === 'step' || key === 'kind' || key === 'host' || key === 'url' ? value : fromHex(value, undefined, key);
  if (Array.isArray(value)) return value.map((item) => fromJson(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, fromJson(field, name)]));
  }
  return value;
}

// The network of the signed vectors.
const goldenNetworkVector = vectors.find((vector) => vector.type === 'network' && (vector.fields.json as { name: string }).name === 'golden');
if (goldenNetworkVector === undefined) throw new Error('golden.json has no golden network');
const goldenNetwork = parseNetwork(goldenNetworkVector.fields.json);
const networkId = goldenNetwork.id;
const genesisState = LedgerState.fromAccounts(goldenNetwork.genesis);
const checker: VoteChecker = checkerFor(goldenNetwork, genesisState.hash, verify);
// The same servers as a two-thirds network: the ballots, the precommit certificate and the evidence.
const twoThirdsVector = vectors.find((vector) => vector.type === 'network' && (vector.fields.json as { quorum?: string }).quorum === 'two-thirds');
if (twoThirdsVector === undefined) throw new Error('golden.json has no two-thirds network');
const twoThirdsNetwork = parseNetwork(twoThirdsVector.fields.json);
const twoThirdsChecker: VoteChecker = checkerFor(twoThirdsNetwork, genesisState.hash, verify);
const checkerOf = (vector: object): VoteChecker => ((vector as { quorum?: unknown }).quorum === 'two-thirds' ? twoThirdsChecker : checker);

// ---- tests ---------------------------------------------------------------------------

describe('golden.json', () => {
  test('holds every kind of vector the protocol document quotes', () => {
    const types = new Set(vectors.map((vector) => vector.type));
    for (const type of ['ip', 'seed', 'network', 'schedule', 'payment', 'request', 'reply', 'vote', 'certificate', 'message', 'frame', 'state']) {
      expect(types.has(type)).toBe(true);
    }
    const messageKinds = new Set(ofType('message').map((vector) => vector.kind));
    for (let kind = 1; kind <= 0x11; kind++) expect(messageKinds.has(kind)).toBe(true);
    for (const type of ['ballot', 'proposal header', 'evidence', 'address record', 'configuration change', 'gateway record', 'gateway exchange', 'webhook signature']) expect(types.has(type)).toBe(true);
    const requestKinds = new Set(ofType('request').map((vector) => vector.fields.kind));
    for (let kind = 1; kind <= 11; kind++) expect(requestKinds.has(kind)).toBe(true);
    expect(types.has('payment list')).toBe(true);
    expect(types.has('receipt')).toBe(true);
    // Both forms of payment, and every message that carries payments with both forms in it (PROTOCOL §12).
    expect(ofType('payment').map((vector) => bytesOf(vector).length).sort()).toContain(148);
    for (const kind of [2, 4, 6]) expect(ofType('message').some((vector) => vector.kind === kind && vector.name.includes('both forms'))).toBe(true);
  });

  test('all hex is lowercase and every key derives from its label', () => {
    expect(JSON.stringify(golden)).not.toMatch(/"[0-9a-f]*[A-F][0-9a-fA-F]*"/);
    for (const entry of Object.values(golden.keys)) {
      const seed = sha256(utf8(entry.label));
      expect(toHex(seed)).toBe(entry.seed);
      expect(formatSeed(seed)).toBe(entry.seedText);
      expect(toHex(publicKeyFromSeed(seed))).toBe(entry.publicKey);
    }
  });
});

describe('ip', () => {
  for (const vector of ofType('ip')) {
    test(vector.name, () => {
      const { host, port } = vector.fields as { host: string; port: number };
      expect(toHex(pack(host, port))).toBe(hexOf(vector, 'hex'));
      expect(unpack(bytesOf(vector))).toEqual({ host, port });
    });
  }
  test('the design fixes pack("10.1.2.3", 4001) = 0a0102030fa1', () => {
    expect(ofType('ip').some((vector) => vector.hex === '0a0102030fa1' && vector.fields.host === '10.1.2.3' && vector.fields.port === 4001)).toBe(true);
  });
});

describe('seed file', () => {
  for (const vector of ofType('seed')) {
    test(vector.name, () => {
      const text = vector.fields.text as string;
      const seed = parseSeed(text, vector.name);
      expect(toHex(seed)).toBe(hexOf(vector, 'seed'));
      expect(formatSeed(seed)).toBe(text);
      expect(toHex(publicKeyFromSeed(seed))).toBe(hexOf(vector, 'publicKey'));
      expect(toHex(sha256(utf8(vector.fields.label as string)))).toBe(hexOf(vector, 'seed'));
    });
  }
});

describe('network id', () => {
  for (const vector of ofType('network')) {
    test(vector.name, () => {
      const network = parseNetwork(vector.fields.json);
      expect(toHex(network.id)).toBe(hexOf(vector, 'id'));
      expect(network.majority).toBe(vector.majority as number);
      const preimage = bytesOf(vector, 'preimage');
      expect(toHex(preimage.subarray(0, domain.network.length))).toBe(toHex(utf8('scryp/network/v1')));
      expect(toHex(sha256(preimage))).toBe(hexOf(vector, 'id'));
    });
  }

  test('the devnet id in golden.json is the one src/devnet.ts embeds, from seeds/devnet/network.json', () => {
    const vector = ofType('network').find((candidate) => candidate.file === 'seeds/devnet/network.json');
    expect(vector).toBeDefined();
    expect(toHex(devnetNetwork.id)).toBe(hexOf(vector!, 'id'));
    expect(JSON.parse(readFileSync(join(root, 'seeds', 'devnet', 'network.json'), 'utf8'))).toEqual(vector!.fields.json);
  });
});

describe('schedule', () => {
  for (const vector of ofType('schedule')) {
    test(vector.name, () => {
      const f = vector.fields as { periodMs: number; blackoutMs: number; skewMs: number; serverCount: number; timeMs: number };
      const timing = timingOf(f);
      const period = periodOf(timing, f.timeMs);
      expect(period).toBe(vector.period as number);
      expect(startOf(timing, period)).toBe(vector.start as number);
      expect(endOf(timing, period)).toBe(vector.end as number);
      expect(acceptingFrom(timing, period)).toBe(vector.acceptingFrom as number);
      expect(forwardingUntil(timing, period)).toBe(vector.forwardingUntil as number);
      expect(alphaOf(f.serverCount, period)).toBe(vector.alpha as number);
      expect(betaOf(f.serverCount, period + 1)).toBe(vector.betaOfNext as number);
    });
  }
});

describe('accept rule', () => {
  for (const vector of ofType('accept rule')) {
    const f = vector.fields as { periodMs: number; blackoutMs: number; skewMs: number };
    for (const one of vector.cases as { what: string; timestamp: number; now: number; taker: Taker; verdict: string }[]) {
      test(`${vector.name}: ${one.what}`, () => {
        expect(checkTimestamp(timingOf(f), one.timestamp, one.now, one.taker)).toBe(one.verdict as ReturnType<typeof checkTimestamp>);
      });
    }
  }
  test('there are accept rule vectors', () => expect(ofType('accept rule').length).toBe(1));
});

describe('payment', () => {
  for (const vector of ofType('payment')) {
    test(vector.name, () => {
      const fields = fromJson(vector.fields) as Payment;
      const tx = bytesOf(vector);
      expect(vector.networkId).toBe(toHex(networkId));
      expect(toHex(encodeTransaction(fields))).toBe(hexOf(vector, 'hex'));
      expect(toJson(decodeTransaction(tx))).toEqual(vector.fields);
      const message = signingMessage(networkId, tx);
      expect(toHex(message)).toBe(hexOf(vector, 'signingMessage'));
      // The 140-byte form signs its first 76 bytes under v1; the 148-byte form its first 84 (with the reference) under v2.
      const withReference = tx.length === 148;
      expect(withReference).toBe(fields.reference !== undefined);
      expect(toHex(message)).toBe(toHex(concat(utf8(withReference ? 'scryp/tx/v2' : 'scryp/tx/v1'), networkId, tx.subarray(0, withReference ? 84 : 76))));
      expect(toHex(txidOf(tx))).toBe(toHex(sha256(tx.subarray(0, withReference ? 84 : 76))));
      expect(toHex(txidOf(tx))).toBe(hexOf(vector, 'txid'));
      expect(verify(fields.signature, message, fields.payer)).toBe(true);
      expect(verifyReference(fields.signature, message, fields.payer)).toBe(true);
      // Ed25519 is deterministic: the payer's key signs the same bytes again.
      const payer = signerOf(vector);
      expect(toHex(payer.publicKey)).toBe(toHex(fields.payer));
      expect(toHex(signPayment(payer, networkId, fields))).toBe(hexOf(vector, 'hex'));
    });
  }
});

describe('client requests', () => {
  for (const vector of ofType('request')) {
    test(vector.name, () => {
      const request = fromJson(vector.fields) as Request;
      expect(toHex(encodeRequest(request))).toBe(hexOf(vector, 'hex'));
      expect(toJson(decodeRequest(bytesOf(vector)))).toEqual(vector.fields);
      // CHANGE is as long as the change it carries; the others are padded to their reply.
      if (request.kind === 0x0a) expect(request.length).toBe(10 + request.change.length);
      else if (!vector.name.includes('minimum')) expect(request.length).toBe(requestBytesFor(request.kind, vector.serverCount as number));
      else expect(request.length).toBe(128);
    });
  }
});

describe('client replies', () => {
  for (const vector of ofType('reply')) {
    test(vector.name, () => {
      const f = vector.fields as { kind: Kind; requestId: number; status: Status; body: unknown };
      const body = fromJson(f.body) as ReplyBody;
      const signer = signerOf(vector);
      expect(toHex(encodeReply(f.kind, f.requestId, f.status, body, signer, networkId))).toBe(hexOf(vector, 'hex'));
      const bytes = bytesOf(vector);
      const reply = decodeReply(bytes);
      const { signed, ...decoded } = reply;
      expect(toJson(decoded)).toEqual(vector.fields);
      expect(toHex(signed)).toBe(toHex(encodeReplyUnsigned(f.kind, f.requestId, f.status, body)));
      expect(toHex(replySigningMessage(networkId, signed))).toBe(hexOf(vector, 'signingMessage'));
      expect(verifyReply(reply, networkId)).toBe(true);
      expect(verifyReference(reply.signature, replySigningMessage(networkId, signed), reply.serverKey)).toBe(true);
      expect(toHex(reply.serverKey)).toBe(toHex(goldenNetwork.servers[0]!.key));
      // Never longer than the request a client sends for this kind; errors fit the 128-byte minimum.
      const success = f.status === StatusCode.OK || f.status === StatusCode.ACCEPTED || f.status === StatusCode.FORWARDED;
      expect(bytes.length).toBeLessThanOrEqual(success ? requestBytesFor(f.kind, goldenNetwork.servers.length) : 128);
    });
  }

  test('each success reply is exactly as long as the request padded by requestBytesFor, or shorter', () => {
    for (const request of ofType('request')) {
      if (request.name.includes('minimum')) continue;
      const replies = ofType('reply').filter((reply) => reply.fields.requestId === request.fields.requestId && reply.fields.kind === request.fields.kind);
      expect(replies.length).toBeGreaterThan(0);
      for (const reply of replies) expect(hexOf(reply, 'hex').length).toBeLessThanOrEqual(hexOf(request, 'hex').length);
    }
  });

  test('TOO_SHORT names the length of the full reply', () => {
    const tooShort = ofType('reply').find((vector) => vector.fields.status === StatusCode.TOO_SHORT)!;
    const full = ofType('reply').find((vector) => vector.fields.kind === tooShort.fields.kind && vector.fields.status === StatusCode.OK)!;
    expect((tooShort.fields.body as { needed: number }).needed).toBe(hexOf(full, 'hex').length / 2);
  });
});

describe('votes and certificates', () => {
  for (const vector of ofType('vote')) {
    test(vector.name, () => {
      const vote = fromJson(vector.fields) as Vote;
      expect(toHex(encodeVote(vote))).toBe(hexOf(vector, 'hex'));
      const reader = new Reader(bytesOf(vector), 'vote');
      const decoded = readVote(reader);
      reader.end();
      expect(toJson(decoded)).toEqual(vector.fields);
      expect(toHex(voteSigningMessage(networkId, vote, vote.prev, vote.voter))).toBe(hexOf(vector, 'signingMessage'));
      expect(verifyVote(checker, decoded)).toBe(true);
      expect(toHex(signVote(signerOf(vector), networkId, vote, vote.prev, vote.voter).signature)).toBe(toHex(vote.signature));
    });
  }

  for (const vector of ofType('certificate')) {
    test(vector.name, () => {
      const certificate = fromJson(vector.fields) as Certificate;
      expect(toHex(encodeCertificate(certificate))).toBe(hexOf(vector, 'hex'));
      const reader = new Reader(bytesOf(vector), 'certificate');
      const decoded = readCertificate(reader);
      reader.end();
      expect(toJson(decoded)).toEqual(vector.fields);
      expect(verifyCertificate(checkerOf(vector), decoded)).toBe(true);
      // A certificate of the other kind never holds in a network of the other mode.
      if (decoded.period !== 0) expect(verifyCertificate(checkerOf(vector) === checker ? twoThirdsChecker : checker, decoded)).toBe(false);
    });
  }

  for (const vector of ofType('ballot')) {
    test(vector.name, () => {
      const ballot = fromJson(vector.fields) as Ballot;
      expect(toHex(encodeBallot(ballot))).toBe(hexOf(vector, 'hex'));
      const reader = new Reader(bytesOf(vector), 'ballot');
      const decoded = readBallot(reader, ballot.step);
      reader.end();
      expect(toJson(decoded)).toEqual(vector.fields);
      expect(toHex(ballotSigningMessage(twoThirdsNetwork.id, ballot.step, ballot.slot, ballot, ballot.voter))).toBe(hexOf(vector, 'signingMessage'));
      expect(verifyBallot(twoThirdsChecker, decoded)).toBe(true);
      expect(toHex(signBallot(signerOf(vector), twoThirdsNetwork.id, ballot.step, ballot.slot, ballot, ballot.voter).signature)).toBe(toHex(ballot.signature));
    });
  }

  for (const vector of ofType('proposal header')) {
    test(vector.name, () => {
      const header = fromJson(vector.fields) as ProposalHeader;
      expect(toHex(encodeProposalHeader(header))).toBe(hexOf(vector, 'hex'));
      const reader = new Reader(bytesOf(vector), 'proposal header');
      expect(toJson(readProposalHeader(reader))).toEqual(vector.fields);
      reader.end();
      expect(toHex(proposalSigningMessage(networkId, header))).toBe(hexOf(vector, 'signingMessage'));
      expect(verify(header.signature, proposalSigningMessage(networkId, header), signerOf(vector).publicKey)).toBe(true);
    });
  }

  for (const vector of ofType('evidence')) {
    test(vector.name, () => {
      const evidence = fromJson(vector.fields) as Evidence;
      expect(toHex(encodeEvidence(evidence))).toBe(hexOf(vector, 'hex'));
      expect(toJson(decodeEvidence(bytesOf(vector)))).toEqual(vector.fields);
      expect(checkEvidence(checkerOf(vector), evidence)).toBe(true);
    });
  }
});

/** The golden network's state after a period, by replaying the PROPOSALs of the file from genesis. */
function stateAt(period: number): LedgerState {
  if (period === 0) return genesisState;
  const proposal = ofType('message')
    .filter((vector) => vector.kind === 2)
    .map((vector) => decodeMessage({ kind: 2, payload: bytesOf(vector) }) as ProposalMessage)
    .find((message) => message.period === period);
  if (proposal === undefined) throw new Error(`golden.json has no PROPOSAL of period ${period}`);
  const base = stateAt(proposal.parent.period);
  const timing = timingOf(goldenNetwork);
  const state = LedgerState.fromSortedEntries(concat(...base.entries()));
  state.commit(state.prepare(replayBatch(state, period, timing, proposal.transactions).changes));
  return state;
}

describe('receipts (PROTOCOL §6.14)', () => {
  for (const vector of ofType('receipt')) {
    test(vector.name, () => {
      const receipt = parseReceipt(vector.json);
      expect(formatReceipt(receipt)).toBe(vector.text as string);
      expect(JSON.parse(vector.text as string)).toEqual(vector.json);
      const checked = checkReceipt(goldenNetwork, receipt);
      const expected = vector.checked as { txid: string; period: number; amount: number; reference: string; configuration: number; quorum: number; servers: number[] };
      expect({ txid: toHex(checked.txid), period: checked.period, amount: checked.amount, reference: String(checked.reference), configuration: checked.configuration.number, quorum: checked.configuration.quorum, servers: checked.servers }).toEqual(expected);
      // Every reply is a STATUS reply that golden.json's servers signed: one of them is the vector "reply STATUS OK (the payment with a reference, committed)".
      const statusVector = ofType('reply').find((reply) => reply.name === 'reply STATUS OK (the payment with a reference, committed)')!;
      expect((vector.json as { replies: string[] }).replies).toContain(hexOf(statusVector, 'hex'));
    });
  }
});

describe('payment lists (a batch, a FORWARD: PROTOCOL §7.6)', () => {
  for (const vector of ofType('payment list')) {
    test(vector.name, () => {
      const payments = (vector.fields.payments as string[]).map((hex) => fromHex(hex, undefined, 'payment'));
      const list = bytesOf(vector);
      expect(toHex(encodePaymentList(payments))).toBe(hexOf(vector, 'hex'));
      expect(paymentsIn(list).map(toHex)).toEqual(vector.fields.payments as string[]);
      // By hand: the tag 0x02 before each 148-byte payment, nothing before a 140-byte one.
      expect(toHex(list)).toBe(payments.map((tx) => (tx.length === 148 ? `02${toHex(tx)}` : toHex(tx))).join(''));
      expect(toHex(transactionsHashOf(list))).toBe(hexOf(vector, 'transactionsHash'));
    });
  }
});

describe('peer messages', () => {
  for (const vector of ofType('message')) {
    test(vector.name, () => {
      const message = fromJson(vector.fields) as PeerMessage;
      const raw = encodeMessage(message);
      expect(raw.kind).toBe(vector.kind as number);
      expect(toHex(raw.payload)).toBe(hexOf(vector, 'hex'));
      const decoded = decodeMessage({ kind: vector.kind as number, payload: bytesOf(vector) });
      expect(toJson(decoded)).toEqual(vector.fields);
      // The signatures inside verify, and the story they tell holds together.
      if (decoded.type === 'status') {
        expect(verifyCertificate(checker, decoded.committed)).toBe(true);
        expect(decoded.vote === null || verifyVote(checker, decoded.vote)).toBe(true);
      } else if (decoded.type === 'vote') {
        expect(verifyVote(checker, decoded.vote)).toBe(true);
      } else if (decoded.type === 'proposal') {
        expect(verifyCertificate(checker, decoded.parent)).toBe(true);
        expect(verify(decoded.signature, proposalSigningMessage(networkId, headerOfProposal(decoded)), goldenNetwork.servers[decoded.proposer]!.key)).toBe(true);
        const timing = timingOf(goldenNetwork);
        const base = stateAt(decoded.parent.period);
        const outcome = replayBatch(base, decoded.period, timing, decoded.transactions);
        expect(outcome.appliedCount).toBe(paymentCount(decoded.transactions));
        expect(toHex(base.prepare(outcome.changes).hash)).toBe(toHex(decoded.hash));
      } else if (decoded.type === 'sync_records') {
        for (const record of decoded.records) expect(verifyCertificate(checker, record.certificate)).toBe(true);
      } else if (decoded.type === 'snapshot_header') {
        expect(verifyCertificate(checker, decoded.certificate)).toBe(true);
        expect(toHex(rootDigest(decoded.mids))).toBe(toHex(decoded.certificate.hash));
      } else if (decoded.type === 'snapshot_page') {
        expect(LedgerState.fromSortedEntries(decoded.entries).accountCount).toBe(decoded.entries.length / 36);
      }
    });
  }
});

describe('address records', () => {
  for (const vector of ofType('address record')) {
    test(vector.name, () => {
      const record = fromJson(vector.fields) as AddressRecord;
      expect(toHex(encodeAddressRecord(record))).toBe(hexOf(vector, 'hex'));
      expect(toJson(decodeAddressRecord(bytesOf(vector)))).toEqual(vector.fields);
      const message = addressRecordSigningMessage(networkId, record);
      expect(toHex(message)).toBe(hexOf(vector, 'signingMessage'));
      expect(toHex(message)).toBe(toHex(concat(utf8('scryp/address/v1'), networkId, bytesOf(vector).subarray(0, 46))));
      expect(verify(record.signature, message, record.key)).toBe(true);
      expect(verifyReference(record.signature, message, record.key)).toBe(true);
      expect(checkAddressRecord(goldenNetwork, record, verify)).toBe(1);
      // Signing is deterministic: the same fields and key give the same bytes.
      expect(toHex(encodeAddressRecord(signAddressRecord(signerOf(vector), networkId, unpack(record.address), record.sequence)))).toBe(hexOf(vector, 'hex'));
    });
  }
});

describe('gateway records (§3.11)', () => {
  for (const vector of ofType('gateway record')) {
    test(vector.name, () => {
      const record = fromJson(vector.fields) as GatewayRecord;
      const bytes = bytesOf(vector);
      expect(toHex(encodeGatewayRecord(record))).toBe(hexOf(vector, 'hex'));
      expect(toJson(decodeGatewayRecord(bytes))).toEqual(vector.fields);
      const message = gatewayRecordSigningMessage(networkId, record);
      expect(toHex(message)).toBe(hexOf(vector, 'signingMessage'));
      expect(toHex(message)).toBe(toHex(concat(utf8('scryp/gateway/v1'), networkId, bytes.subarray(0, bytes.length - 64))));
      expect(verify(record.signature, message, record.key)).toBe(true);
      expect(verifyReference(record.signature, message, record.key)).toBe(true);
      expect(checkGatewayRecord(goldenNetwork, record, verify)).toBe(2);
      expect(gatewayRecordToJson(record)).toEqual(vector.json as ReturnType<typeof gatewayRecordToJson>);
      expect(gatewayRecordsFromJson([vector.json]).records).toEqual([record]);
      expect(toHex(encodeGatewayRecord(signGatewayRecord(signerOf(vector), networkId, record.url, record.sequence)))).toBe(hexOf(vector, 'hex'));
    });
  }
});

describe('the gateway: a request\'s bytes in, the same reply bytes out (§6.12)', () => {
  const soloVector = vectors.find((vector) => vector.type === 'network' && (vector.fields.json as { name: string }).name === 'solo');
  if (soloVector === undefined) throw new Error('golden.json has no solo network');
  const solo = parseNetwork(soloVector.fields.json);
  for (const vector of ofType('gateway exchange')) {
    test(vector.name, () => {
      const v = vector as unknown as { now: number; source: { host: string; port: number }; request: { method: string; path: string; body: string }; response: { status: number; contentType: string; body: string } };
      expect([v.request.method, v.request.path, v.response.status, v.response.contentType]).toEqual(['POST', '/v1/request', 200, 'application/octet-stream']);
      const request = fromHex(v.request.body, undefined, 'request');
      const reply = fromHex(v.response.body, undefined, 'response');
      // The node's own handler, the one both edges call, gives exactly these bytes ...
      const answer = oneAnswer(solo, signerOf(vector), request, v.source, v.now);
      expect(answer.reply === null ? null : toHex(answer.reply)).toBe(v.response.body);
      // ... a signed reply to this very request, never longer than it.
      const decoded = decodeReply(reply);
      expect(verifyReply(decoded, solo.id)).toBe(true);
      expect(decoded.requestId).toBe(decodeRequest(request).requestId);
      expect(reply.length).toBeLessThanOrEqual(request.length);
    });
  }
});

describe('configuration changes (§3.9, §9)', () => {
  for (const vector of ofType('configuration change')) {
    test(vector.name, () => {
      const v = vector as unknown as {
        networkId: string; configuration0Hash: string; changeId: string; carrier: number; configuration1: { number: number; first: number; servers: number; quorum: number; hash: string };
        genesisRoot: string; chainDigest: string; stateHashWithChain: string; signingMessage: string; hex: string;
      };
      const test = testNetwork({ servers: 3 });
      expect(toHex(test.network.id)).toBe(v.networkId);
      const zero = genesisConfiguration(test.network);
      expect(toHex(zero.hash)).toBe(v.configuration0Hash);
      const change = decodeChange(fromHex(v.hex, undefined, 'hex'));
      expect(toHex(encodeChange(change))).toBe(v.hex);
      expect(toHex(changeId(change))).toBe(v.changeId);
      expect(toHex(changeSigningMessage(test.network.id, change))).toBe(v.signingMessage);
      const one = checkChange(test.network.id, zero, change, v.carrier, verify);
      expect({ number: one.number, first: one.first, servers: one.servers.length, quorum: one.quorum, hash: toHex(one.hash) }).toEqual(v.configuration1);
      const digest = chainDigestOf([{ carrier: v.carrier, change }])!;
      expect(toHex(digest)).toBe(v.chainDigest);
      expect(toHex(LedgerState.fromAccounts(test.network.genesis).hash)).toBe(v.genesisRoot);
      expect(toHex(sha256(utf8('scryp/state/v2'), fromHex(v.genesisRoot, 32, 'root'), digest))).toBe(v.stateHashWithChain);
    });
  }
});

describe('batch frame', () => {
  for (const vector of ofType('frame')) {
    const f = vector.fields as { networkId: string; sender: string; messages: { kind: number; payload: string }[]; signature: string };
    const messages: RawMessage[] = f.messages.map((message) => ({ kind: message.kind, payload: fromHex(message.payload, undefined, 'payload') }));
    const decoderFor = () =>
      new FrameDecoder({
        networkId,
        senderIndex: (key) => goldenNetwork.servers.findIndex((server) => toHex(server.key) === toHex(key)),
        isKnownKind,
        verify,
      });
    const expectFrame = (frames: Frame[]) => {
      expect(frames.length).toBe(1);
      expect(frames[0]!.senderIndex).toBe(0);
      expect(frames[0]!.bytes).toBe(hexOf(vector, 'hex').length / 2);
      expect(frames[0]!.messages.map((message) => ({ kind: message.kind, payload: toHex(message.payload) }))).toEqual(f.messages);
    };

    test(`${vector.name}: encodes`, () => {
      expect(f.networkId).toBe(toHex(networkId));
      const signer = signerOf(vector);
      expect(toHex(signer.publicKey)).toBe(f.sender);
      expect(toHex(encodeFrame(messages, networkId, signer))).toBe(hexOf(vector, 'hex'));
    });

    test(`${vector.name}: decodes whole`, () => {
      const decoder = decoderFor();
      expectFrame(decoder.push(bytesOf(vector)));
      expect(decoder.error).toBeNull();
    });

    test(`${vector.name}: decodes one byte at a time`, () => {
      const decoder = decoderFor();
      const bytes = bytesOf(vector);
      const frames: Frame[] = [];
      for (let i = 0; i < bytes.length; i++) frames.push(...decoder.push(bytes.subarray(i, i + 1)));
      expectFrame(frames);
      expect(decoder.error).toBeNull();
    });

    test(`${vector.name}: the signature covers sha256("scryp/batch/v1" and every byte before it)`, () => {
      const bytes = bytesOf(vector);
      const signed = sha256(concat(domain.batch, bytes.subarray(0, bytes.length - 64)));
      expect(toHex(signed)).toBe(hexOf(vector, 'signingMessage'));
      expect(toHex(bytes.subarray(bytes.length - 64))).toBe(f.signature);
      expect(verifyReference(bytes.subarray(bytes.length - 64), signed, fromHex(f.sender, 32, 'sender'))).toBe(true);
      expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(69)).toBe(vector.bodyLength as number);
      // Each message decodes strictly, as a receiver decodes it before acting.
      for (const message of messages) expect(() => decodeMessage(message)).not.toThrow();
    });
  }
});

describe('state hash', () => {
  for (const vector of ofType('state')) {
    test(vector.name, () => {
      const accounts = (vector.fields.accounts as { account: string; balance: number }[]).map((entry) => ({
        account: fromHex(entry.account, 32, 'account'),
        balance: entry.balance,
      }));
      const state = LedgerState.fromAccounts(accounts);
      expect(toHex(state.hash)).toBe(hexOf(vector, 'hash'));
      expect(toHex(concat(...state.entries()))).toBe(hexOf(vector, 'entries'));
      expect(toHex(LedgerState.fromSortedEntries(bytesOf(vector, 'entries')).hash)).toBe(hexOf(vector, 'hash'));
      const buckets = vector.buckets as Record<string, string> | undefined;
      const leaves = vector.leaves as Record<string, string> | undefined;
      const mids = vector.mids as Record<string, string> | undefined;
      if (buckets !== undefined && leaves !== undefined) {
        expect(toHex(emptyLeafDigest)).toBe(leaves.empty!);
        for (const [bucket, entries] of Object.entries(buckets)) expect(toHex(leafDigest(fromHex(entries, undefined, bucket)))).toBe(leaves[bucket]!);
      }
      if (mids !== undefined) {
        expect(toHex(emptyMidDigest)).toBe(mids.empty!);
        const all = state.midDigests();
        for (let m = 0; m < 256; m++) {
          const expected = mids[String(m)] ?? mids.empty!;
          expect(toHex(all.subarray(m * 32, (m + 1) * 32))).toBe(expected);
        }
        // A snapshot receiver checks a mid from its entries alone.
        const entries = bytesOf(vector, 'entries');
        for (const [m, digest] of Object.entries(mids)) {
          if (m === 'empty') continue;
          const own: Uint8Array[] = [];
          for (let offset = 0; offset < entries.length; offset += 36) if (entries[offset] === Number(m)) own.push(entries.subarray(offset, offset + 36));
          expect(toHex(midDigestOfEntries(concat(...own)))).toBe(digest);
        }
      }
    });
  }
});

describe('scryp watch: the payment as JSON and the webhook signature (§6.13)', () => {
  const document = readFileSync(join(root, 'docs', 'PROTOCOL.md'), 'utf8');
  // The bodies as docs/PROTOCOL.md §12.12 shows them, wrapped at their commas, in the order of the vectors.
  const section = document.slice(document.indexOf('### 12.12 '), document.indexOf('### 12.13 '));
  const shown = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1]!.replaceAll('\n', ''));
  ofType('webhook signature').forEach((vector, place) => {
    test(vector.name, () => {
      const event = JSON.parse(vector.body as string);
      // The payment is a golden one; the shop is its payee; every server lists it.
      const payment = vectors.find((candidate) => candidate.type === 'payment' && candidate.txid === event.txid)!;
      expect(payment).toBeDefined();
      const shop = decodeAddress(event.account);
      const entry = describeEntry(goldenNetwork, shop, { period: event.period, index: event.index, applied: true, transaction: bytesOf(payment) }, [0, 1, 2]);
      expect(watchEventOf(goldenNetwork, shop, entry)).toBe(vector.body as string);
      expect(Object.keys(event)).toEqual(['period', 'index', 'outcome', 'txid', 'time', 'payer', 'payee', 'amount', 'reference', 'tx', 'account', 'direction', 'network']);
      const fields = payment.fields as { amount: number; reference?: string };
      expect([event.tx, event.amount, event.reference, event.payee, event.direction, event.network]).toEqual([payment.hex, fields.amount, fields.reference ?? null, event.account, 'in', toHex(networkId)]);
      // The recipe, from the document: HMAC-SHA256 keyed with the secret's 64 characters as text, over "<t>.<body>".
      const v1 = createHmac('sha256', vector.secret as string).update(`${vector.t}.${vector.body}`).digest('hex');
      expect(v1).toBe(vector.v1 as string);
      expect(vector.header).toBe(`t=${vector.t},v1=${v1}`);
      expect(webhookSignature(vector.secret as string, vector.t as number, vector.body as string)).toBe(vector.header as string);
      expect(shown[place]).toBe(vector.body as string);
      expect(section).toContain(`\`${vector.secret}\``);
    });
  });
});

describe('docs/PROTOCOL.md quotes golden.json exactly', () => {
  const document = readFileSync(join(root, 'docs', 'PROTOCOL.md'), 'utf8');
  const blocks = [...document.matchAll(/<!-- golden: (.+?) -->\n```text\n([\s\S]*?)```/g)];

  test('the document quotes vectors', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(30);
  });

  test('every 32-byte hex value in the document (keys, seeds, hashes) is one of golden.json', () => {
    const data = JSON.stringify(golden);
    const values = document.match(/(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g) ?? [];
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(data.includes(value)).toBe(true);
  });

  for (const [, reference, body] of blocks) {
    test(reference!, () => {
      const [name, path] = reference!.split('#') as [string, string | undefined];
      const vector = vectors.find((candidate) => candidate.name === name);
      expect(vector).toBeDefined();
      let expected: unknown = vector;
      for (const step of (path ?? 'hex').split('.')) expected = (expected as Record<string, unknown>)[step];
      const hex = body!
        .split('\n')
        .map((line) => line.replace(/#.*$/, '').replace(/\s+/g, ''))
        .join('')
        .replace(/([0-9a-f]{2})×(\d+)/g, (_, byte: string, count: string) => byte.repeat(Number(count)));
      expect(hex).toBe(expected as string);
    });
  }
});
