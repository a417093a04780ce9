// src/peer/messages.ts and src/consensus/vote.ts: the messages inside batches, votes and
// certificates. Generators produce valid messages of every type; layouts of votes and
// certificates are written out by hand; signatures are checked with noble.

import type { Change } from '../src/consensus/configuration.ts';
import { describe, expect, test } from 'bun:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { Reader } from '../src/bytes.ts';
import {
  type Certificate,
  certificateFrom,
  encodeCertificate,
  encodeVote,
  genesisCertificate,
  readCertificate,
  signVote,
  verifyCertificate,
  verifyVote,
  type Vote,
  type VoteChecker,
  voteSigningMessage,
  checkerFor,
} from '../src/consensus/vote.ts';
import { type ErrorCode, isScrypError } from '../src/errors.ts';
import type { RawMessage } from '../src/peer/framing.ts';
import { decodeMessage, encodeMessage, isKnownKind, MessageKind, type PeerMessage } from '../src/peer/messages.ts';
import { encodePaymentList } from '../src/payment-list.ts';
import { verify } from '../src/signature.ts';
import type { Ballot, BallotStep } from '../src/consensus/ballot.ts';
import type { Evidence } from '../src/consensus/evidence.ts';
import { mutate, Prng, seedLabel, testSeeds } from './helpers/prng.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';
import { codeOf } from './helpers/errors.ts';


const MAX = Number.MAX_SAFE_INTEGER;

// ---- generators of valid messages ------------------------------------------------------

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 0xffff_ffff));
const periodArbitrary = fc.oneof(fc.integer({ min: 1, max: MAX }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom(1, MAX));
/** A payment of either form, as a list holds it: a 140-byte one stamped before 2^56 ms (first byte 0), a 148-byte one with a reference ≠ 0. */
const listedPayment = fc.oneof(
  bytes(140).map((tx) => Uint8Array.of(0, ...tx.subarray(1))),
  bytes(148).map((tx) => {
    const out = tx.slice();
    out[83]! |= 1;
    return out;
  }),
);
/** A payment list (src/payment-list.ts) of min..max payments of both forms. */
const transactions = (min: number, max: number) => fc.array(listedPayment, { minLength: min, maxLength: max }).map(encodePaymentList);

function certificateWithPeriod(period: number): fc.Arbitrary<Certificate> {
  if (period === 0) {
    return fc.record({ parentHash: bytes(32), hash: bytes(32) }).map(({ parentHash, hash }) => ({ period: 0, parent: 0, parentHash, hash, votes: [] }));
  }
  return fc.oneof(voteCertificateWithPeriod(period), precommitCertificateWithPeriod(period));
}

/** A two-thirds network's certificate: precommits of one slot (≥ the period), each entry's prev 0. */
function precommitCertificateWithPeriod(period: number): fc.Arbitrary<Certificate> {
  return fc.record({
    parent: fc.integer({ min: 0, max: period - 1 }),
    parentHash: bytes(32),
    hash: bytes(32),
    slot: fc.integer({ min: period, max: MAX }),
    votes: fc
      .uniqueArray(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 })
      .chain((voters) => fc.tuple(...voters.sort((a, b) => a - b).map((voter) => fc.record({ voter: fc.constant(voter), prev: fc.constant(0), signature: bytes(64) })))),
  }).map((fields) => ({ period, ...fields }));
}

function voteCertificateWithPeriod(period: number): fc.Arbitrary<Certificate> {
  return fc.record({
    parent: fc.integer({ min: 0, max: period - 1 }),
    parentHash: bytes(32),
    hash: bytes(32),
    votes: fc
      .uniqueArray(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 })
      .chain((voters) =>
        fc.tuple(...voters.sort((a, b) => a - b).map((voter) => fc.record({ voter: fc.constant(voter), prev: fc.integer({ min: 0, max: period - 1 }), signature: bytes(64) }))),
      ),
  }).map((fields) => ({ period, ...fields }));
}

const certificateArbitrary = fc.oneof(fc.constant(0), periodArbitrary).chain(certificateWithPeriod);

const voteArbitrary: fc.Arbitrary<Vote> = periodArbitrary.chain((period) =>
  fc.record({
    period: fc.constant(period),
    parent: fc.integer({ min: 0, max: period - 1 }),
    parentHash: bytes(32),
    hash: bytes(32),
    prev: fc.integer({ min: 0, max: period - 1 }),
    voter: fc.integer({ min: 0, max: 0xffff }),
    signature: bytes(64),
  }),
);

function ballotArbitrary(step: BallotStep): fc.Arbitrary<Ballot> {
  return fc.integer({ min: 1, max: MAX }).chain((period) =>
    fc.record({
      step: fc.constant(step),
      slot: fc.integer({ min: period, max: MAX }),
      period: fc.constant(period),
      parent: fc.integer({ min: 0, max: period - 1 }),
      parentHash: bytes(32),
      hash: bytes(32),
      voter: fc.integer({ min: 0, max: 0xffff }),
      signature: bytes(64),
    }),
  );
}

/** A change of any shape the decoder takes (checkChange judges its meaning: configuration.test.ts). */
const changeArbitrary: fc.Arbitrary<Change> = fc.record({
  replaces: u32,
  replacesHash: bytes(32),
  first: fc.integer({ min: 0, max: MAX }),
  servers: fc.array(
    fc.record({ key: bytes(32), address: fc.record({ host: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.')), port: fc.integer({ min: 1, max: 65535 }) }) }),
    { minLength: 1, maxLength: 3 },
  ),
  signatures: fc.array(fc.record({ signer: fc.integer({ min: 0, max: 0xffff }), signature: bytes(64) }), { maxLength: 2 }),
});

/** The optional `change` field: absent, or a change. */
function withChange<T extends object>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.tuple(arbitrary, fc.option(changeArbitrary, { nil: undefined })).map(([value, change]) => (change === undefined ? value : { ...value, change }));
}

const arbitraries: Record<PeerMessage['type'], fc.Arbitrary<PeerMessage>> = {
  status: fc.record({ type: fc.constant('status' as const), committed: certificateArbitrary, vote: fc.option(voteArbitrary, { nil: null }) }),
  proposal: fc.integer({ min: 2, max: MAX }).chain((period) =>
    fc.integer({ min: 1, max: period }).chain((decided) =>
      fc
        .record({
          period: fc.constant(period),
          decided: fc.constant(decided),
          hash: bytes(32),
          transactions: transactions(0, 3),
          parent: fc.integer({ min: 0, max: decided - 1 }).chain(certificateWithPeriod),
          validSlot: decided < period ? fc.integer({ min: decided, max: period - 1 }) : fc.constant(0),
          polCount: decided < period ? fc.integer({ min: 1, max: 3 }) : fc.constant(0),
          proposer: fc.integer({ min: 0, max: 0xffff }),
          signature: bytes(64),
        })
        .chain(({ polCount, ...fields }) =>
          withChange(fc.array(ballotArbitrary('prevote'), { minLength: polCount, maxLength: polCount }).map((pol) => ({ type: 'proposal' as const, ...fields, pol }))),
        ),
    ),
  ),
  prevote: fc.record({ type: fc.constant('prevote' as const), ballot: ballotArbitrary('prevote') }),
  proposal_header: fc.integer({ min: 2, max: MAX }).chain((slot) =>
    fc.integer({ min: 1, max: slot }).chain((decided) =>
      fc.record({
        type: fc.constant('proposal_header' as const),
        header: fc.record({
          slot: fc.constant(slot),
          decided: fc.constant(decided),
          proposer: fc.integer({ min: 0, max: 0xffff }),
          parent: fc.record({ period: fc.integer({ min: 0, max: decided - 1 }), parent: fc.integer({ min: 0, max: MAX }), parentHash: bytes(32), hash: bytes(32) }),
          hash: bytes(32),
          transactionsHash: bytes(32),
          validSlot: fc.integer({ min: 0, max: MAX }),
          signature: bytes(64),
        }),
      }),
    ),
  ),
  precommit: fc.record({ type: fc.constant('precommit' as const), ballot: ballotArbitrary('precommit') }),
  evidence: fc.oneof(
    fc.record({ kind: fc.constant('vote' as const), a: voteArbitrary, b: voteArbitrary }),
    fc.record({ kind: fc.constant('prevote' as const), a: ballotArbitrary('prevote'), b: ballotArbitrary('prevote') }),
    fc.record({ kind: fc.constant('precommit' as const), a: ballotArbitrary('precommit'), b: ballotArbitrary('precommit') }),
    fc.record({ kind: fc.constant('fork' as const), a: certificateArbitrary, b: certificateArbitrary }),
  ).map((evidence) => ({ type: 'evidence' as const, evidence: evidence as Evidence })),
  vote: fc.record({ type: fc.constant('vote' as const), vote: voteArbitrary }),
  forward: fc.record({ type: fc.constant('forward' as const), transactions: transactions(1, 3) }),
  sync_request: fc.record({ type: fc.constant('sync_request' as const), after: fc.oneof(fc.integer({ min: 0, max: MAX }), fc.constantFrom(0, MAX)) }),
  sync_records: fc.record({
    type: fc.constant('sync_records' as const),
    snapshotNeeded: fc.boolean(),
    records: fc.uniqueArray(fc.integer({ min: 1, max: MAX }), { maxLength: 3 }).chain((periods) => {
      const sorted = periods.sort((a, b) => a - b);
      return fc.tuple(
        ...sorted.map((period, i) =>
          withChange(
            fc.record({
              certificate: (i === 0 ? fc.integer({ min: 0, max: period - 1 }) : fc.constant(sorted[i - 1]!)).chain((parent) =>
                certificateWithPeriod(period).map((certificate) => ({ ...certificate, parent })),
              ),
              transactions: transactions(0, 2),
            }),
          ),
        ),
      );
    }),
  }),
  snapshot_request: fc.constant({ type: 'snapshot_request' as const }),
  snapshot_header: fc
    .tuple(
      fc.record({ type: fc.constant('snapshot_header' as const), snapshotId: u32, accounts: u32, mids: bytes(256 * 32), certificate: certificateArbitrary }),
      fc.array(fc.record({ carrier: fc.integer({ min: 1, max: MAX }), change: changeArbitrary }), { maxLength: 2 }),
    )
    .map(([header, chain]) => (chain.length === 0 ? header : { ...header, chain })),
  change: fc.record({ type: fc.constant('change' as const), change: changeArbitrary }),
  snapshot_page_request: fc.record({ type: fc.constant('snapshot_page_request' as const), snapshotId: u32, after: fc.option(bytes(32), { nil: null }) }),
  snapshot_page: fc.record({
    type: fc.constant('snapshot_page' as const),
    snapshotId: u32,
    last: fc.boolean(),
    entries: fc.integer({ min: 0, max: 4 }).chain((n) => bytes(n * 36)),
  }),
  address: fc.record({
    type: fc.constant('address' as const),
    record: fc.record({
      key: bytes(32),
      address: fc.tuple(bytes(4), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => Uint8Array.of(...ip, port >> 8, port & 0xff)),
      sequence: fc.oneof(fc.integer({ min: 0, max: MAX }), fc.constantFrom(0, 1, MAX)),
      signature: bytes(64),
    }),
  }),
  gateway: fc.record({
    type: fc.constant('gateway' as const),
    record: fc.record({
      key: bytes(32),
      // Any URL a record may carry: http or https, a host, a port or none, a path (some of it beyond ASCII), up to 200 bytes.
      url: fc
        .tuple(fc.constantFrom('http', 'https'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.constantFrom('', '/', '/scryp/', '/café/'))
        .map(([scheme, host, port, path]) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}`)
        .filter((url) => new TextEncoder().encode(url).length <= 200),
      sequence: fc.oneof(fc.integer({ min: 0, max: MAX }), fc.constantFrom(0, 1, MAX)),
      signature: bytes(64),
    }),
  }),
};

const kindOfType: Record<PeerMessage['type'], number> = {
  status: 0x01,
  proposal: 0x02,
  vote: 0x03,
  forward: 0x04,
  sync_request: 0x05,
  sync_records: 0x06,
  snapshot_request: 0x07,
  snapshot_header: 0x08,
  snapshot_page_request: 0x09,
  snapshot_page: 0x0a,
  prevote: 0x0b,
  precommit: 0x0c,
  evidence: 0x0d,
  proposal_header: 0x0e,
  address: 0x0f,
  change: 0x10,
  gateway: 0x11,
};

// ---- hand layouts -----------------------------------------------------------------------

function u64be(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b;
}
function u16be(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

/** period u64 || parent u64 || parent hash || state hash || prev u64 || voter u16 (|| signature). */
function handVoteBody(vote: Omit<Vote, 'signature'>): Buffer {
  return Buffer.concat([u64be(vote.period), u64be(vote.parent), vote.parentHash, vote.hash, u64be(vote.prev), u16be(vote.voter)]);
}

/** period u64 || parent u64 || parent hash || state hash || m u8 || (voter u16 || prev u64 || signature) × m. */
function handCertificate(certificate: Certificate): Buffer {
  const head = [u64be(certificate.period), u64be(certificate.parent), certificate.parentHash, certificate.hash];
  if (certificate.slot !== undefined) {
    // Precommits of one slot: the count byte's high bit, the slot once, then (voter, signature).
    return Buffer.concat([...head, Buffer.from([certificate.votes.length | 0x80]), u64be(certificate.slot), ...certificate.votes.flatMap((vote) => [u16be(vote.voter), vote.signature])]);
  }
  return Buffer.concat([...head, Buffer.from([certificate.votes.length]), ...certificate.votes.flatMap((vote) => [u16be(vote.voter), u64be(vote.prev), vote.signature])]);
}

/** The PROPOSAL after its batch and parent: decided, valid slot, the proof's prevotes, proposer, signature. */
function handProposalTail(decided: number, validSlot = 0, proposer = 0): Buffer {
  return Buffer.concat([u64be(decided), u64be(validSlot), u16be(0), u16be(proposer), Buffer.alloc(64)]);
}

const raw = (kind: number, payload: Uint8Array): RawMessage => ({ kind, payload });

// ---- round trips ------------------------------------------------------------------------

describe('every message type round-trips', () => {
  for (const [type, arbitrary] of Object.entries(arbitraries) as [PeerMessage['type'], fc.Arbitrary<PeerMessage>][]) {
    test(`${type}: decode(encode(m)) = m and the kind byte is ${kindOfType[type]}`, () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const encoded = encodeMessage(message);
          expect(encoded.kind).toBe(kindOfType[type]);
          expect(isKnownKind(encoded.kind)).toBe(true);
          const decoded = decodeMessage(encoded);
          expect(decoded).toEqual(message);
          expect(encodeMessage(decoded).payload).toEqual(encoded.payload);
        }),
        { numRuns: type === 'snapshot_header' ? 30 : 120 },
      );
    });
  }

  test('vote and certificate bytes are the documented layouts', () => {
    fc.assert(
      fc.property(voteArbitrary, certificateArbitrary, (vote, certificate) => {
        const voteBytes = encodeVote(vote);
        expect(voteBytes.length).toBe(154);
        expect(voteBytes).toEqual(new Uint8Array(Buffer.concat([handVoteBody(vote), vote.signature])));
        expect(encodeMessage({ type: 'vote', vote }).payload).toEqual(voteBytes);
        const certificateBytes = encodeCertificate(certificate);
        expect(certificateBytes.length).toBe(certificate.slot === undefined ? 81 + 74 * certificate.votes.length : 81 + 8 + 66 * certificate.votes.length);
        expect(certificateBytes).toEqual(new Uint8Array(handCertificate(certificate)));
      }),
      { numRuns: 100 },
    );
  });

  test('a certificate with 64 votes decodes; 65 is BAD_CERTIFICATE', () => {
    const votes = Array.from({ length: 65 }, (_, voter) => ({ voter, prev: 4, signature: new Uint8Array(64).fill(voter) }));
    const base = { period: 5, parent: 4, parentHash: new Uint8Array(32), hash: new Uint8Array(32).fill(1) };
    const ok = handCertificate({ ...base, votes: votes.slice(0, 64) });
    const reader = new Reader(ok, 'certificate');
    expect(readCertificate(reader).votes.length).toBe(64);
    reader.end();
    expect(codeOf(() => readCertificate(new Reader(handCertificate({ ...base, votes }), 'certificate')))).toBe('BAD_CERTIFICATE');
  });
});

// ---- strictness -------------------------------------------------------------------------

describe('decode refuses truncation at every length and one trailing byte', () => {
  for (const [type, arbitrary] of Object.entries(arbitraries) as [PeerMessage['type'], fc.Arbitrary<PeerMessage>][]) {
    test(type, () => {
      const samples = fc.sample(arbitrary, { numRuns: type === 'snapshot_header' ? 1 : 6, seed: kindOfType[type] });
      for (const message of samples) {
        const { kind, payload } = encodeMessage(message);
        const accepted: number[] = [];
        for (let length = 0; length < payload.length; length++) {
          try {
            decodeMessage(raw(kind, payload.subarray(0, length)));
            accepted.push(length);
          } catch (error) {
            if (!isScrypError(error)) throw error;
          }
        }
        // A PROPOSAL's change and a SNAPSHOT_HEADER's chain are optional trailers (absent in every
        // network that never changed its servers, so older bytes stay valid): cut exactly before
        // one, the message decodes without it, and only there. (The batch signature covers the whole.)
        const trailer = message.type === 'proposal' && message.change !== undefined ? encodeMessage({ ...message, change: undefined } as PeerMessage).payload.length : message.type === 'snapshot_header' && message.chain !== undefined ? encodeMessage({ ...message, chain: undefined }).payload.length : null;
        expect(accepted).toEqual(trailer === null ? [] : [trailer]);
        for (const extra of [0x00, 0x01, 0xff]) {
          const longer = new Uint8Array(payload.length + 1);
          longer.set(payload);
          longer[payload.length] = extra;
          expect(codeOf(() => decodeMessage(raw(kind, longer)))).toBe('BAD_LENGTH');
        }
      }
    });
  }
});

describe('decode refuses out-of-range and inconsistent fields', () => {
  const certificate = (period: number, parent: number): Certificate => ({ period, parent, parentHash: new Uint8Array(32), hash: new Uint8Array(32).fill(2), votes: [] });
  const vote: Vote = { period: 5, parent: 4, parentHash: new Uint8Array(32), hash: new Uint8Array(32), prev: 3, voter: 1, signature: new Uint8Array(64) };
  const u32be = (value: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return b;
  };
  const cases: [string, number, Uint8Array, ErrorCode][] = [
    ['unknown kind 0x00', 0x00, new Uint8Array(0), 'FRAME_MESSAGE_KIND'],
    ['unknown kind 0x12', 0x12, new Uint8Array(0), 'FRAME_MESSAGE_KIND'],
    ['unknown kind 0xff', 0xff, new Uint8Array(0), 'FRAME_MESSAGE_KIND'],
    ['STATUS has_vote 2', MessageKind.STATUS, Buffer.concat([handCertificate(certificate(3, 2)), Buffer.from([2])]), 'BAD_MESSAGE'],
    ['STATUS certificate of genesis with a parent', MessageKind.STATUS, Buffer.concat([handCertificate(certificate(0, 1)), Buffer.from([0])]), 'BAD_MESSAGE'],
    ['STATUS certificate whose parent is not before it', MessageKind.STATUS, Buffer.concat([handCertificate(certificate(3, 3)), Buffer.from([0])]), 'BAD_MESSAGE'],
    [
      'STATUS certificate with voters not increasing',
      MessageKind.STATUS,
      Buffer.concat([
        handCertificate({ ...certificate(3, 2), votes: [{ voter: 2, prev: 1, signature: new Uint8Array(64) }, { voter: 2, prev: 1, signature: new Uint8Array(64) }] }),
        Buffer.from([0]),
      ]),
      'BAD_CERTIFICATE',
    ],
    [
      'STATUS certificate with voters decreasing',
      MessageKind.STATUS,
      Buffer.concat([
        handCertificate({ ...certificate(3, 2), votes: [{ voter: 2, prev: 1, signature: new Uint8Array(64) }, { voter: 1, prev: 1, signature: new Uint8Array(64) }] }),
        Buffer.from([0]),
      ]),
      'BAD_CERTIFICATE',
    ],
    ['STATUS certificate vote with prev = period', MessageKind.STATUS, Buffer.concat([handCertificate({ ...certificate(3, 2), votes: [{ voter: 0, prev: 3, signature: new Uint8Array(64) }] }), Buffer.from([0])]), 'BAD_CERTIFICATE'],
    ['STATUS with a vote whose prev is not before its period', MessageKind.STATUS, Buffer.concat([handCertificate(certificate(3, 2)), Buffer.from([1]), handVoteBody({ ...vote, prev: 5 }), new Uint8Array(64)]), 'BAD_MESSAGE'],
    ['PROPOSAL for period 0', MessageKind.PROPOSAL, Buffer.concat([u64be(0), new Uint8Array(32), u32be(0), handCertificate(certificate(0, 0)), handProposalTail(0)]), 'BAD_MESSAGE'],
    ['PROPOSAL whose parent is not before it', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(0), handCertificate(certificate(4, 3)), handProposalTail(4)]), 'BAD_MESSAGE'],
    ['PROPOSAL deciding a period after its slot', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(0), handCertificate(certificate(2, 1)), handProposalTail(5)]), 'BAD_MESSAGE'],
    ['PROPOSAL deciding its parent', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(0), handCertificate(certificate(2, 1)), handProposalTail(2)]), 'BAD_MESSAGE'],
    ['PROPOSAL with a valid slot but no prevotes', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(0), handCertificate(certificate(2, 1)), handProposalTail(3, 3)]), 'BAD_MESSAGE'],
    ['PROPOSAL unsigned (the layout before signed proposals)', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(0), handCertificate(certificate(2, 1))]), 'BAD_LENGTH'],
    ['PREVOTE of 153 bytes', MessageKind.PREVOTE, new Uint8Array(153), 'BAD_LENGTH'],
    ['PRECOMMIT whose slot is before its period', MessageKind.PRECOMMIT, Buffer.concat([u64be(3), handVoteBody({ ...vote, period: 4, parent: 3 }).subarray(0, 80), u16be(0), new Uint8Array(64)]), 'BAD_MESSAGE'],
    ['EVIDENCE of an unknown kind', MessageKind.EVIDENCE, Buffer.from([9]), 'BAD_MESSAGE'],
    ['PROPOSAL with 65537 payments declared', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(65_537)]), 'BAD_MESSAGE'],
    ['PROPOSAL with 2^32 - 1 payments declared', MessageKind.PROPOSAL, Buffer.concat([u64be(4), new Uint8Array(32), u32be(0xffff_ffff)]), 'BAD_MESSAGE'],
    ['VOTE for period 0', MessageKind.VOTE, Buffer.concat([handVoteBody({ ...vote, period: 0, parent: 0, prev: 0 }), new Uint8Array(64)]), 'BAD_MESSAGE'],
    ['ADDRESS of 109 bytes', MessageKind.ADDRESS, new Uint8Array(109), 'BAD_LENGTH'],
    ['ADDRESS of 111 bytes', MessageKind.ADDRESS, new Uint8Array(111), 'BAD_LENGTH'],
    ['ADDRESS with port 0', MessageKind.ADDRESS, Uint8Array.from({ length: 110 }, (_, i) => (i === 36 || i === 37 ? 0 : 1)), 'BAD_ADDRESS'],
    ['ADDRESS with a sequence beyond 2^53 - 1', MessageKind.ADDRESS, Uint8Array.from({ length: 110 }, (_, i) => (i >= 38 && i < 46 ? 0xff : 1)), 'OUT_OF_RANGE'],
    ['VOTE of 153 bytes', MessageKind.VOTE, new Uint8Array(153), 'BAD_LENGTH'],
    ['VOTE of 155 bytes', MessageKind.VOTE, new Uint8Array(155), 'BAD_LENGTH'],
    ['FORWARD of no payments', MessageKind.FORWARD, u16be(0), 'BAD_MESSAGE'],
    ['FORWARD of 4097 payments declared', MessageKind.FORWARD, u16be(4097), 'BAD_MESSAGE'],
    ['SYNC_REQUEST after 2^53', MessageKind.SYNC_REQUEST, u64be(2 ** 53), 'OUT_OF_RANGE'],
    ['SYNC_RECORDS snapshot_needed 2', MessageKind.SYNC_RECORDS, Buffer.from([2, 0, 0]), 'BAD_MESSAGE'],
    ['SYNC_RECORDS of 257 records declared', MessageKind.SYNC_RECORDS, Buffer.from([0, 1, 1]), 'BAD_MESSAGE'],
    ['SYNC_RECORDS with genesis as a record', MessageKind.SYNC_RECORDS, Buffer.concat([Buffer.from([0, 0, 1]), handCertificate(certificate(0, 0)), u32be(0)]), 'BAD_MESSAGE'],
    [
      'SYNC_RECORDS that do not chain',
      MessageKind.SYNC_RECORDS,
      Buffer.concat([Buffer.from([0, 0, 2]), handCertificate(certificate(3, 2)), u32be(0), handCertificate(certificate(5, 4)), u32be(0)]),
      'BAD_MESSAGE',
    ],
    ['SNAPSHOT_PAGE_REQUEST from_start 2', MessageKind.SNAPSHOT_PAGE_REQUEST, Buffer.concat([u32be(1), Buffer.from([2]), new Uint8Array(32)]), 'BAD_MESSAGE'],
    ['SNAPSHOT_PAGE_REQUEST from the start with an account', MessageKind.SNAPSHOT_PAGE_REQUEST, Buffer.concat([u32be(1), Buffer.from([1]), new Uint8Array(32).fill(1)]), 'BAD_MESSAGE'],
    ['SNAPSHOT_PAGE last 2', MessageKind.SNAPSHOT_PAGE, Buffer.concat([u32be(1), Buffer.from([2]), u32be(0)]), 'BAD_MESSAGE'],
    ['SNAPSHOT_PAGE of 65537 accounts declared', MessageKind.SNAPSHOT_PAGE, Buffer.concat([u32be(1), Buffer.from([0]), u32be(65_537)]), 'BAD_MESSAGE'],
  ];
  for (const [name, kind, payload, code] of cases) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(() => decodeMessage(raw(kind, new Uint8Array(payload))))).toBe(code);
    });
  }

  test('the chained SYNC_RECORDS that the refusal above breaks is accepted', () => {
    const payload = Buffer.concat([Buffer.from([0, 0, 2]), handCertificate(certificate(3, 2)), u32be(0), handCertificate(certificate(5, 3)), u32be(0)]);
    expect(codeOf(() => decodeMessage(raw(MessageKind.SYNC_RECORDS, new Uint8Array(payload))))).toBe('no error');
  });

  test('isKnownKind is exactly 0x01..0x11', () => {
    for (let kind = 0; kind < 256; kind++) expect([kind, isKnownKind(kind)]).toEqual([kind, kind >= 1 && kind <= 0x11]);
  });
});

// ---- votes and certificates -------------------------------------------------------------

describe('votes and certificates', () => {
  const { network, servers } = testNetwork({ servers: 5 });
  const genesisHash = new Uint8Array(32).fill(0x6e);
  const checker: VoteChecker = checkerFor(network, genesisHash, verify);
  const decision = { period: 10, parent: 9, parentHash: new Uint8Array(32).fill(9), hash: new Uint8Array(32).fill(10) };
  const votes = servers.map((signer, voter) => signVote(signer, network.id, decision, 8, voter));
  const certificate = (list: readonly Vote[]): Certificate => ({ ...decision, votes: list.map((v) => ({ voter: v.voter, prev: v.prev, signature: v.signature })) });

  test('five servers need three votes', () => {
    expect(network.majority).toBe(3);
  });

  test('signVote signs "scryp/vote/v1" || network id || the 90-byte body (checked with noble)', () => {
    for (const [i, vote] of votes.entries()) {
      const message = Buffer.concat([Buffer.from('scryp/vote/v1', 'ascii'), network.id, handVoteBody(vote)]);
      expect(voteSigningMessage(network.id, decision, 8, i)).toEqual(new Uint8Array(message));
      expect(ed25519.verify(vote.signature, message, servers[i]!.publicKey, { zip215: false })).toBe(true);
      expect(verifyVote(checker, vote)).toBe(true);
    }
  });

  test('verifyVote refuses any changed field, another network, and a voter index out of range', () => {
    const vote = votes[2]!;
    expect(verifyVote(checker, { ...vote, period: 11 })).toBe(false);
    expect(verifyVote(checker, { ...vote, parent: 8 })).toBe(false);
    expect(verifyVote(checker, { ...vote, hash: new Uint8Array(32) })).toBe(false);
    expect(verifyVote(checker, { ...vote, parentHash: new Uint8Array(32) })).toBe(false);
    expect(verifyVote(checker, { ...vote, prev: 7 })).toBe(false);
    expect(verifyVote(checker, { ...vote, voter: 3 })).toBe(false);
    expect(verifyVote({ ...checker, networkId: testNetwork({ servers: 5, name: 'other' }).network.id }, vote)).toBe(false);
    const outsider = signVote(testSigner('outsider'), network.id, decision, 8, 5);
    expect(verifyVote(checker, outsider)).toBe(false);
    expect(verifyVote(checker, { ...vote, voter: 65_535 })).toBe(false);
  });

  test('verifyCertificate accepts a majority, all votes, and votes given in any order to certificateFrom', () => {
    expect(verifyCertificate(checker, certificate(votes.slice(0, 3)))).toBe(true);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[2]!, votes[4]!]))).toBe(true);
    expect(verifyCertificate(checker, certificate(votes))).toBe(true);
    const shuffled = certificateFrom(decision, [votes[4]!, votes[1]!, votes[3]!]);
    expect(shuffled.votes.map((v) => v.voter)).toEqual([1, 3, 4]);
    expect(verifyCertificate(checker, shuffled)).toBe(true);
  });

  test('verifyCertificate refuses too few votes', () => {
    expect(verifyCertificate(checker, certificate(votes.slice(0, 2)))).toBe(false);
    expect(verifyCertificate(checker, certificate([]))).toBe(false);
  });

  test('verifyCertificate refuses a duplicate voter, even when the count reaches a majority', () => {
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[0]!, votes[1]!]))).toBe(false);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[1]!, votes[1]!, votes[2]!]))).toBe(false);
  });

  test('verifyCertificate refuses unsorted voters', () => {
    expect(verifyCertificate(checker, certificate([votes[1]!, votes[0]!, votes[2]!]))).toBe(false);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[2]!, votes[1]!, votes[3]!]))).toBe(false);
  });

  test('verifyCertificate refuses a bad signature anywhere in it', () => {
    for (let i = 0; i < 3; i++) {
      const list = votes.slice(0, 3).map((v) => ({ ...v }));
      const signature = list[i]!.signature.slice();
      signature[17]! ^= 0x20;
      list[i] = { ...list[i]!, signature };
      expect([i, verifyCertificate(checker, certificate(list))]).toEqual([i, false]);
    }
    // Signatures swapped between two voters.
    const swapped = votes.slice(0, 3).map((v) => ({ ...v }));
    swapped[0] = { ...swapped[0]!, signature: votes[1]!.signature };
    swapped[1] = { ...swapped[1]!, signature: votes[0]!.signature };
    expect(verifyCertificate(checker, certificate(swapped))).toBe(false);
  });

  test('verifyCertificate refuses a voter index out of range, even beside a valid majority', () => {
    const outsider = signVote(testSigner('outsider'), network.id, decision, 8, 5);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[1]!, outsider]))).toBe(false);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[1]!, votes[2]!, outsider]))).toBe(false);
  });

  test('verifyCertificate refuses votes for another decision or another network', () => {
    const otherDecision = { ...decision, hash: new Uint8Array(32).fill(11) };
    const stray = signVote(servers[2]!, network.id, otherDecision, 8, 2);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[1]!, stray]))).toBe(false);
    const otherNetwork = testNetwork({ servers: 5, name: 'other' }).network.id;
    const foreign = signVote(servers[2]!, otherNetwork, decision, 8, 2);
    expect(verifyCertificate(checker, certificate([votes[0]!, votes[1]!, foreign]))).toBe(false);
    // The certificate's own fields are what the votes are checked against.
    expect(verifyCertificate(checker, { ...certificate(votes.slice(0, 3)), parent: 8 })).toBe(false);
  });

  test('a certificate travels: encoded in a STATUS, decoded, it still verifies', () => {
    const cert = certificate(votes.slice(1, 4));
    const decoded = decodeMessage(encodeMessage({ type: 'status', committed: cert, vote: votes[0]! }));
    if (decoded.type !== 'status') throw new Error('not a status');
    expect(verifyCertificate(checker, decoded.committed)).toBe(true);
    expect(verifyVote(checker, decoded.vote!)).toBe(true);
  });

  describe('genesis', () => {
    test('the genesis certificate holds exactly for the genesis hash, with no votes', () => {
      const genesis = genesisCertificate(genesisHash);
      expect(genesis).toEqual({ period: 0, parent: 0, parentHash: new Uint8Array(32), hash: genesisHash, votes: [] });
      expect(verifyCertificate(checker, genesis)).toBe(true);
      expect(verifyCertificate(checker, genesisCertificate(new Uint8Array(32).fill(0x6f)))).toBe(false);
    });

    test('a genesis certificate with votes does not hold, even valid-looking ones', () => {
      const genesisDecision = { period: 0, parent: 0, parentHash: new Uint8Array(32), hash: genesisHash };
      const genesisVotes = servers.slice(0, 3).map((signer, voter) => signVote(signer, network.id, genesisDecision, 0, voter));
      expect(verifyCertificate(checker, certificateFrom(genesisDecision, genesisVotes))).toBe(false);
    });

    test('genesis round-trips through the wire, and a genesis with a parent or with votes is refused there', () => {
      const genesis = genesisCertificate(genesisHash);
      const bytes = encodeCertificate(genesis);
      expect(bytes.length).toBe(81);
      const reader = new Reader(bytes, 'certificate');
      expect(readCertificate(reader)).toEqual(genesis);
      reader.end();
      expect(codeOf(() => readCertificate(new Reader(handCertificate({ ...genesis, parent: 1 }), 'c')))).toBe('BAD_MESSAGE');
      const withVote = handCertificate({ ...genesis, votes: [{ voter: 0, prev: 0, signature: new Uint8Array(64) }] });
      expect(codeOf(() => readCertificate(new Reader(withVote, 'c')))).toBe('BAD_CERTIFICATE');
    });
  });
});

// ---- seeded mutation fuzz ---------------------------------------------------------------

describe('seeded mutation fuzz: messages', () => {
  const corpus: RawMessage[] = [];
  for (const [type, arbitrary] of Object.entries(arbitraries) as [PeerMessage['type'], fc.Arbitrary<PeerMessage>][]) {
    const count = type === 'snapshot_header' ? 2 : 8;
    for (const message of fc.sample(arbitrary, { numRuns: count, seed: 0x1000 + kindOfType[type] })) corpus.push(encodeMessage(message));
  }

  for (const seed of testSeeds([0x3e55a9e, 0xc0de])) {
    test(`12k mutated messages: only ScrypErrors, and accepted payloads re-encode exactly (${seedLabel(seed)})`, () => {
      const prng = new Prng(seed);
      let accepted = 0;
      for (let i = 0; i < 12_000; i++) {
        const source = prng.pick(corpus);
        const { bytes, what: mutation } = mutate(prng, source.payload);
        const kind = prng.nextInt(16) === 0 ? prng.nextInt(256) : source.kind;
        const where = `${seedLabel(seed)} iteration ${i} (kind ${kind}, ${mutation})`;
        let message: PeerMessage;
        try {
          message = decodeMessage(raw(kind, bytes));
        } catch (error) {
          if (!isScrypError(error)) throw new Error(`${where}: ${String(error)}`);
          continue;
        }
        accepted++;
        let again: RawMessage;
        try {
          again = encodeMessage(message);
        } catch (error) {
          throw new Error(`${where}: accepted but does not re-encode: ${String(error)}`);
        }
        if (again.kind !== kind || !Buffer.from(again.payload).equals(Buffer.from(bytes))) throw new Error(`${where}: re-encodes differently`);
      }
      expect(accepted).toBeGreaterThan(200);
    });
  }
});
