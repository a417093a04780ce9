// EVIDENCE (kind 0x07, docs/PROTOCOL.md §6.9): the request and reply written out by hand
// from the design; which form each proof takes (whole up to 1120 bytes, a fork summed up
// beyond), checked for every size of fork there can be; a reply never longer than 1232
// bytes nor a TOO_SHORT asking for more; the hostile bodies a client refuses; round trips
// under seeded mutation; the server's pure answer (node/queries.ts evidenceAnswer); the
// summed-up fork of golden.json; and the client's account of a proof (client/evidence.ts):
// every signature laid out with the bytes it covers, checked, in words.

import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeAddress } from '../src/address.ts';
import { concat, fromHex, toHex, utf8 } from '../src/bytes.ts';
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeReplyUnsigned,
  encodeRequest,
  type EvidenceBody,
  evidence_bytes_max,
  evidence_whole_bytes_max,
  Kind,
  replyBytes,
  replySigningMessage,
  requestBytesFor,
  Status,
  successBodyBytes,
  verifyReply,
} from '../src/client/codec.ts';
import { evidenceChecker, explainEvidence, groupProofs, proofJson, type ServerEvidence, signedMessagesOf } from '../src/client/evidence.ts';
import { signBallot } from '../src/consensus/ballot.ts';
import { checkEvidence, decodeEvidence, encodeEvidence, type Evidence } from '../src/consensus/evidence.ts';
import { signProposalHeader, transactionsHashOf } from '../src/consensus/proposal.ts';
import { type Certificate, certificateFrom, type Decision, signVote } from '../src/consensus/vote.ts';
import { type ErrorCode, isScrypError } from '../src/errors.ts';
import { sha256 } from '../src/hash.ts';
import { type Network, parseNetwork } from '../src/network.ts';
import { evidenceAnswer } from '../src/node/queries.ts';
import { signerFromSeed } from '../src/signature.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';
import { mutate, Prng, seedLabel, testSeeds } from './helpers/prng.ts';

const { network, servers, wallets } = testNetwork({ servers: 3 });
const twoThirds: Network = parseNetwork({
  name: 'testnet two-thirds',
  period_ms: 1000,
  blackout_ms: 100,
  skew_ms: 500,
  servers: Array.from({ length: 4 }, (_, i) => ({ key: toHex(testSigner(`server ${i}`).publicKey), ip: `127.0.0.1:${5100 + i}` })),
  genesis: [{ account: toHex(wallets[0]!.publicKey), balance: 1_000_000 }],
  quorum: 'two-thirds',
});
const twoThirdsSigners = Array.from({ length: 4 }, (_, i) => testSigner(`server ${i}`));
const server = servers[0]!;

const u16be = (value: number) => Uint8Array.of(value >> 8, value & 0xff);
const u32be = (value: number) => Uint8Array.of(value >>> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
const u64be = (value: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return new Uint8Array(b);
};

// ---- proofs of every kind ---------------------------------------------------------------------

const period = 1_700_000_010;
const left: Decision = { period, parent: period - 1, parentHash: sha256(utf8('parent state')), hash: sha256(utf8('state a')) };
const right: Decision = { ...left, hash: sha256(utf8('state b')) };

const voteProof: Evidence = { kind: 'vote', a: signVote(servers[1]!, network.id, left, period - 1, 1), b: signVote(servers[1]!, network.id, right, period - 1, 1) };
const prevoteProof: Evidence = {
  kind: 'prevote',
  a: signBallot(twoThirdsSigners[2]!, twoThirds.id, 'prevote', period + 1, left, 2),
  b: signBallot(twoThirdsSigners[2]!, twoThirds.id, 'prevote', period + 1, right, 2),
};
const precommitProof: Evidence = {
  kind: 'precommit',
  a: signBallot(twoThirdsSigners[3]!, twoThirds.id, 'precommit', period, left, 3),
  b: signBallot(twoThirdsSigners[3]!, twoThirds.id, 'precommit', period, right, 3),
};
const header = (transactions: Uint8Array) => ({
  slot: period,
  decided: period,
  proposer: 2,
  parent: { period: period - 1, parent: period - 2, parentHash: left.parentHash, hash: left.parentHash },
  hash: left.hash,
  transactionsHash: transactionsHashOf(transactions),
  validSlot: 0,
});
const proposalProof: Evidence = {
  kind: 'proposal',
  a: signProposalHeader(servers[2]!, network.id, header(new Uint8Array(0))),
  b: signProposalHeader(servers[2]!, network.id, header(new Uint8Array(140).fill(7))),
};
const forkProof: Evidence = {
  kind: 'fork',
  a: certificateFrom(left, [0, 1].map((voter) => signVote(servers[voter]!, network.id, left, period - 1, voter))),
  b: certificateFrom(right, [1, 2].map((voter) => signVote(servers[voter]!, network.id, right, period - 1, voter))),
};
const proofs: Evidence[] = [voteProof, prevoteProof, precommitProof, proposalProof, forkProof];

/** A majority certificate of `votes` voters with signatures of zeros: only its size matters. */
function sizedCertificate(decision: Decision, votes: number): Certificate {
  return { ...decision, votes: Array.from({ length: votes }, (_, voter) => ({ voter, prev: 0, signature: new Uint8Array(64) })) };
}

const replyOf = (body: EvidenceBody, requestId = 7) => encodeReply(Kind.EVIDENCE, requestId, Status.OK, body, server, network.id);
function withBody(body: Uint8Array): Uint8Array {
  const good = replyOf({ index: 5, count: 0, stoppedBy: 0, evidence: null, summary: null });
  return concat(good.subarray(0, 9), body, good.subarray(good.length - 96));
}
const fixed = (index: number, count: number, stoppedBy: number, form: number) => concat(u16be(index), u16be(count), u16be(stoppedBy), Uint8Array.of(form));
const decisionBytes = (d: Decision) => concat(u64be(d.period), u64be(d.parent), d.parentHash, d.hash);

// ---- the request ------------------------------------------------------------------------------

describe('EVIDENCE request', () => {
  test('layout: "SC" 1 07 id || index u16 || zero padding; a client pads it to 581 bytes', () => {
    const bytes = encodeRequest({ kind: Kind.EVIDENCE, requestId: 0x01020304, index: 0x0102, length: 200 });
    const hand = new Uint8Array(200);
    hand.set([0x53, 0x43, 0x01, 0x07, 0x01, 0x02, 0x03, 0x04, 0x01, 0x02]);
    expect(toHex(bytes)).toBe(toHex(hand));
    expect(decodeRequest(bytes)).toEqual({ kind: Kind.EVIDENCE, requestId: 0x01020304, index: 0x0102, length: 200 });
    // 9 + 7 + 469 (two proposal headers, the largest proof of a fixed size) + 96.
    expect(requestBytesFor(Kind.EVIDENCE)).toBe(581);
    expect(replyBytes(successBodyBytes(Kind.EVIDENCE, 3))).toBe(581);
    expect(encodeEvidence(proposalProof).length).toBe(469);
  });

  test('an index beyond u16 is refused at encoding; padding must be zero', () => {
    expect(codeOf(() => encodeRequest({ kind: Kind.EVIDENCE, requestId: 1, index: 65_536, length: 128 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeRequest({ kind: Kind.EVIDENCE, requestId: 1, index: -1, length: 128 }))).toBe('OUT_OF_RANGE');
    const padded = encodeRequest({ kind: Kind.EVIDENCE, requestId: 1, index: 3, length: 128 });
    padded[10] = 1;
    expect(codeOf(() => decodeRequest(padded))).toBe('BAD_PADDING');
  });

  test('property: encode(decode(b)) = b for every index and length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 128, max: 1232 }), (index, length) => {
        const bytes = encodeRequest({ kind: Kind.EVIDENCE, requestId: 9, index, length });
        expect(bytes.length).toBe(length);
        expect(encodeRequest(decodeRequest(bytes) as { kind: typeof Kind.EVIDENCE; requestId: number; index: number; length: number })).toEqual(bytes);
      }),
    );
  });
});

// ---- the reply --------------------------------------------------------------------------------

describe('EVIDENCE reply', () => {
  test('layout by hand for each form: nothing (112 bytes), a proof whole, a fork summed up (308 bytes); decode gives the body back', () => {
    const none: EvidenceBody = { index: 4, count: 4, stoppedBy: 0, evidence: null, summary: null };
    expect(toHex(replyOf(none).subarray(9, -96))).toBe(toHex(fixed(4, 4, 0, 0)));
    expect(replyOf(none).length).toBe(112);
    expect(decodeReply(replyOf(none)).body).toEqual(none);
    for (const evidence of proofs) {
      const body: EvidenceBody = { index: 1, count: 3, stoppedBy: evidence.kind === 'fork' ? 2 : 0, evidence, summary: null };
      const bytes = replyOf(body);
      expect(toHex(bytes.subarray(9, -96))).toBe(toHex(concat(fixed(1, 3, body.stoppedBy, 1), encodeEvidence(evidence))));
      expect(bytes.length).toBeLessThanOrEqual(requestBytesFor(Kind.EVIDENCE));
      expect(decodeReply(bytes).body).toEqual(body);
    }
    const summary = { bytes: 1199, digest: sha256(utf8('a large fork')), a: left, b: right };
    const summed: EvidenceBody = { index: 0, count: 1, stoppedBy: 1, evidence: null, summary };
    const bytes = replyOf(summed);
    expect(toHex(bytes.subarray(9, -96))).toBe(toHex(concat(fixed(0, 1, 1, 2), u32be(1199), summary.digest, decisionBytes(left), decisionBytes(right))));
    expect(bytes.length).toBe(308);
    expect(decodeReply(bytes).body).toEqual(summed);
  });

  test('every fork there can be (0 to 64 votes in each certificate): whole exactly when it fits 1120 bytes, else summed up; the reply never exceeds 1232, and a 581-byte request hears at worst TOO_SHORT for at most 1232', () => {
    let whole = 0;
    let summed = 0;
    let largestWhole = 0;
    let smallestSummed = Number.POSITIVE_INFINITY;
    for (let a = 0; a <= 64; a++) {
      for (let b = 0; b <= 64; b++) {
        const evidence: Evidence = { kind: 'fork', a: sizedCertificate(left, a), b: sizedCertificate(right, b) };
        const size = encodeEvidence(evidence).length;
        expect(size).toBeLessThanOrEqual(evidence_bytes_max);
        const body = evidenceAnswer([evidence], true, 0);
        expect(body.stoppedBy).toBe(1);
        const length = encodeReplyUnsigned(Kind.EVIDENCE, 1, Status.OK, body).length + 96;
        expect(length).toBeLessThanOrEqual(1232);
        if (size <= evidence_whole_bytes_max) {
          expect(body.evidence).toBe(evidence);
          expect(body.summary).toBeNull();
          expect(length).toBe(9 + 7 + size + 96);
          whole++;
          largestWhole = Math.max(largestWhole, size);
        } else {
          expect(body.evidence).toBeNull();
          expect(body.summary).toEqual({ bytes: size, digest: sha256(encodeEvidence(evidence)), a: left, b: right });
          expect(length).toBe(308);
          summed++;
          smallestSummed = Math.min(smallestSummed, size);
        }
      }
    }
    expect(evidence_whole_bytes_max).toBe(1120);
    expect(evidence_bytes_max).toBe(9635);
    expect(largestWhole).toBeLessThanOrEqual(1120);
    expect(smallestSummed).toBeGreaterThan(1120);
    expect([whole, summed].every((count) => count > 0)).toBe(true);
    // Six votes against six (a majority network of up to 11 servers) travel whole; seven against six do not.
    expect(evidenceAnswer([{ kind: 'fork', a: sizedCertificate(left, 6), b: sizedCertificate(right, 6) }], false, 0).evidence).not.toBeNull();
    expect(evidenceAnswer([{ kind: 'fork', a: sizedCertificate(left, 7), b: sizedCertificate(right, 6) }], false, 0).summary).not.toBeNull();
  });

  const body = (evidence: Evidence) => encodeEvidence(evidence);
  const hostile: [string, Uint8Array, ErrorCode][] = [
    ['cut inside the fixed part', fixed(0, 1, 0, 1).subarray(0, 5), 'BAD_LENGTH'],
    ['a count beyond 4096 (evidence_kept_max)', fixed(5000, 4097, 0, 0), 'BAD_REPLY'],
    ['stopped by a proof it does not hold', fixed(3, 2, 3, 0), 'BAD_REPLY'],
    ['form 0 (nothing) for an index it holds', fixed(0, 1, 0, 0), 'BAD_REPLY'],
    ['form 1 (a proof) past the end', concat(fixed(1, 1, 0, 1), body(voteProof)), 'BAD_REPLY'],
    ['an unknown form', concat(fixed(0, 1, 0, 3), body(voteProof)), 'BAD_REPLY'],
    ['a proof of an unknown kind', concat(fixed(0, 1, 0, 1), Uint8Array.of(9), body(voteProof).subarray(1)), 'BAD_REPLY'],
    ['a proof cut short', concat(fixed(0, 1, 0, 1), body(voteProof).subarray(0, 200)), 'BAD_REPLY'],
    ['a proof with a byte after it', concat(fixed(0, 1, 0, 1), body(voteProof), Uint8Array.of(0)), 'BAD_LENGTH'],
    ['nothing, with a byte after it', concat(fixed(2, 1, 0, 0), Uint8Array.of(0)), 'BAD_LENGTH'],
    ['the proof that stopped the server is not a fork', concat(fixed(0, 1, 1, 1), body(voteProof)), 'BAD_REPLY'],
    ['a summary of a proof that would have fitted (1120 bytes)', concat(fixed(0, 1, 1, 2), u32be(1120), sha256(utf8('x')), decisionBytes(left), decisionBytes(right)), 'BAD_REPLY'],
    ['a summary of a proof larger than any (9636 bytes)', concat(fixed(0, 1, 1, 2), u32be(9636), sha256(utf8('x')), decisionBytes(left), decisionBytes(right)), 'BAD_REPLY'],
    ['a summary whose decision has its parent after its period', concat(fixed(0, 1, 1, 2), u32be(1199), sha256(utf8('x')), decisionBytes({ ...left, parent: period }), decisionBytes(right)), 'BAD_REPLY'],
    ['a summary cut short', concat(fixed(0, 1, 1, 2), u32be(1199), sha256(utf8('x')), decisionBytes(left)), 'BAD_LENGTH'],
  ];
  for (const [name, bytes, code] of hostile) {
    test(`refused: ${name} (${code})`, () => {
      expect(codeOf(() => decodeReply(withBody(bytes)))).toBe(code);
    });
  }

  for (const seed of testSeeds([0x5eed0007, 0x0e71de9c, 7])) {
    test(`seeded mutations of valid replies (${seedLabel(seed)}): refused with a code, or canonical (re-encoded to the same bytes)`, () => {
      const prng = new Prng(seed);
      const valid = [
        replyOf({ index: 2, count: 2, stoppedBy: 0, evidence: null, summary: null }),
        ...proofs.map((evidence, i) => replyOf({ index: i, count: 5, stoppedBy: 5, evidence, summary: null })),
        replyOf({ index: 0, count: 1, stoppedBy: 1, evidence: null, summary: { bytes: 1199, digest: sha256(utf8('y')), a: left, b: right } }),
      ];
      let accepted = 0;
      for (let round = 0; round < 3000; round++) {
        const base = prng.pick(valid);
        const { bytes, what } = mutate(prng, base.subarray(9, base.length - 96));
        let reply;
        try {
          reply = decodeReply(withBody(bytes));
        } catch (error) {
          expect(isScrypError(error), `${what}: ${String(error)}`).toBe(true);
          continue;
        }
        accepted++;
        expect(toHex(encodeReplyUnsigned(reply.kind, reply.requestId, reply.status, reply.body)), what).toBe(toHex(reply.signed));
      }
      expect(accepted).toBeGreaterThan(0);
    });
  }
});

// ---- the server's answer ----------------------------------------------------------------------

describe('evidenceAnswer (node/queries.ts)', () => {
  test('the count, the proof at the index (nothing past the end), and which proof stopped the server: the first fork', () => {
    const held = [voteProof, proposalProof, forkProof, precommitProof];
    expect(evidenceAnswer(held, false, 1)).toEqual({ index: 1, count: 4, stoppedBy: 0, evidence: proposalProof, summary: null });
    expect(evidenceAnswer(held, true, 0)).toEqual({ index: 0, count: 4, stoppedBy: 3, evidence: voteProof, summary: null });
    expect(evidenceAnswer(held, true, 4)).toEqual({ index: 4, count: 4, stoppedBy: 3, evidence: null, summary: null });
    expect(evidenceAnswer([], false, 0)).toEqual({ index: 0, count: 0, stoppedBy: 0, evidence: null, summary: null });
    expect(evidenceAnswer([], false, 65_535).count).toBe(0);
    // A stopped server without the fork that stopped it is a bug, not an answer.
    expect(() => evidenceAnswer([voteProof], true, 0)).toThrow(/assertion failed/);
  });
});

// ---- the summed-up fork of golden.json -------------------------------------------------------------

describe('golden.json: the fork too large for one datagram', () => {
  const golden = JSON.parse(readFileSync(join(import.meta.dir, 'vectors', 'golden.json'), 'utf8')) as {
    keys: Record<string, { seed: string }>;
    vectors: { name: string; type: string; fields: Record<string, unknown>; [extra: string]: unknown }[];
  };
  const vector = golden.vectors.find((candidate) => candidate.type === 'evidence reply')!;
  const networkVector = golden.vectors.find((candidate) => candidate.type === 'network' && (candidate.fields.json as { name: string }).name === 'golden twelve')!;

  test('the reply decodes to a summary of the whole proof kept beside it, verifies, and is what a stopped server of that network answers', () => {
    expect(vector).toBeDefined();
    const twelve = parseNetwork(networkVector.fields.json);
    expect(toHex(twelve.id)).toBe(vector.networkId as string);
    const bytes = fromHex(vector.hex as string, undefined, 'hex');
    const whole = fromHex(vector.evidence as string, undefined, 'evidence');
    const fork = decodeEvidence(whole);
    expect(fork.kind).toBe('fork');
    expect(checkEvidence(evidenceChecker(twelve), fork)).toBe(true);
    const reply = decodeReply(bytes);
    expect(verifyReply(reply, twelve.id)).toBe(true);
    expect(toHex(reply.serverKey)).toBe(toHex(twelve.servers[0]!.key));
    expect(toHex(replySigningMessage(twelve.id, reply.signed))).toBe(vector.signingMessage as string);
    const body = reply.body as EvidenceBody;
    expect(body.summary!.bytes).toBe(whole.length);
    expect(whole.length).toBeGreaterThan(evidence_whole_bytes_max);
    expect(toHex(body.summary!.digest)).toBe(toHex(sha256(whole)));
    expect(body).toEqual(evidenceAnswer([fork], true, 0));
    const signer = signerFromSeed(fromHex(golden.keys['server 0']!.seed, 32, 'seed'));
    expect(toHex(encodeReply(Kind.EVIDENCE, reply.requestId, Status.OK, body, signer, twelve.id))).toBe(vector.hex as string);
  });
});

// ---- the client's account of a proof -----------------------------------------------------------

describe('client/evidence.ts: a proof laid out so anyone can check it', () => {
  test('every signature with the exact bytes it covers, verifying with the accused key; each kind checked with the network\'s keys', () => {
    const checks: [Evidence, Network, number][] = [
      [voteProof, network, 2],
      [prevoteProof, twoThirds, 2],
      [precommitProof, twoThirds, 2],
      [proposalProof, network, 2],
      [forkProof, network, 4],
    ];
    for (const [evidence, of, count] of checks) {
      const messages = signedMessagesOf(of, evidence);
      expect(messages.length).toBe(count);
      for (const message of messages) {
        expect(message.verifies, `${evidence.kind} ${message.what}`).toBe(true);
        // The signing message starts with the domain tag and the network id.
        expect(toHex(message.signingMessage)).toContain(toHex(of.id));
        expect(message.signingMessage.length).toBeGreaterThan(message.bytes.length - 64 - (evidence.kind === 'fork' ? 200 : 0));
      }
      expect(checkEvidence(evidenceChecker(of), evidence)).toBe(true);
    }
    expect(signedMessagesOf(network, voteProof).map((message) => toHex(message.bytes))).toEqual([toHex(encodeEvidence(voteProof).subarray(1, 155)), toHex(encodeEvidence(voteProof).subarray(155))]);
  });

  test('a proof with one signature changed: that signature does not verify, and the proof is not believed', () => {
    const bytes = encodeEvidence(voteProof);
    bytes[bytes.length - 1]! ^= 1;
    const tampered = decodeEvidence(bytes);
    expect(signedMessagesOf(network, tampered).map((message) => message.verifies)).toEqual([true, false]);
    expect(checkEvidence(evidenceChecker(network), tampered)).toBe(false);
    // Two identical votes are no proof at all.
    expect(checkEvidence(evidenceChecker(network), { kind: 'vote', a: voteProof.a, b: voteProof.a })).toBe(false);
  });

  test('in words: whom it accuses (index, key, address), what each message says; a fork names the servers that signed both', () => {
    const words = explainEvidence(network, voteProof);
    expect(words).toContain(`server 1 (key ${toHex(network.servers[1]!.key)}, address ${encodeAddress(network.servers[1]!.key)})`);
    expect(words).toContain(`two different VOTEs for period ${period}`);
    expect(explainEvidence(twoThirds, prevoteProof)).toContain(`two PREVOTEs in slot ${period + 1}`);
    expect(explainEvidence(network, proposalProof)).toContain(`the beta of slot ${period}, signed two different PROPOSALs`);
    const fork = explainEvidence(network, forkProof);
    expect(fork).toContain('server 1 signed both');
    expect(fork).toContain('a majority network tolerates none');
  });

  test('the answers of several servers: each proof once, with who holds it and whom it stopped, oldest first', () => {
    const answers: ServerEvidence[] = [
      { server: 0, answered: true, count: 2, stoppedBy: 2, items: [{ evidence: voteProof, summary: null }, { evidence: forkProof, summary: null }] },
      { server: 1, answered: false, error: 'no valid reply', count: 0, stoppedBy: 0, items: [] },
      { server: 2, answered: true, count: 2, stoppedBy: 1, items: [{ evidence: forkProof, summary: null }, { evidence: proposalProof, summary: null }] },
    ];
    const grouped = groupProofs(network, answers);
    expect(grouped.map((proof) => [proof.evidence!.kind, proof.heldBy, proof.stopped, proof.valid])).toEqual([
      ['vote', [0], [], true],
      ['fork', [0, 2], [0, 2], true],
      ['proposal', [2], [], true],
    ]);
    const json = proofJson(network, grouped[0]!) as { kind: string; offender: number; offenderKey: string; offenderAddress: string; valid: boolean; messages: { verifies: boolean; signingMessage: string }[] };
    expect(json).toMatchObject({ kind: 'vote', offender: 1, offenderKey: toHex(network.servers[1]!.key), offenderAddress: encodeAddress(network.servers[1]!.key), valid: true });
    expect(json.messages.map((message) => message.verifies)).toEqual([true, true]);
    expect(proofJson(network, grouped[1]!)).toMatchObject({ kind: 'fork', offender: null });
  });
});
