// Votes and certificates.
//
// A VOTE says: "applying the batch of `period` to the committed state of `parent`
// (whose hash is `parentHash`) gives `hash`; before this, my last vote was for `prev`."
// It is signed on its own, so that more than half of the servers' votes for the same
// (period, parent, parentHash, hash) form a CERTIFICATE that any server can check and
// pass on. `prev` makes each vote a link in its voter's chain of votes; it is what lets a
// server prove that a period can never be certified (see consensus/rules.ts).
//
// Vote layout (154 bytes):
//   period u64 || parent u64 || parent hash (32) || state hash (32) || prev u64 ||
//   voter u16 || signature (64) over "scryp/vote/v1" || network id || the 90 bytes before it
//
// Certificate layout (81 + 74·m bytes):
//   period u64 || parent u64 || parent hash (32) || state hash (32) || m u8 ||
//   (voter u16 || prev u64 || signature 64) × m, voters strictly increasing
//
// The genesis state is "period 0": its certificate has no votes and its hash is the
// genesis state hash, which every server computes from the network file.

import { hash_bytes, servers_max, signature_bytes } from '../constants.ts';
import { concat, equal, Reader, toHex, Writer } from '../bytes.ts';
import { fail } from '../errors.ts';
import { domain } from '../hash.ts';
import type { Network, QuorumMode } from '../network.ts';
import type { Signer } from '../signature.ts';
import { ballotSigningMessage } from './ballot.ts';

export interface Decision {
  readonly period: number;
  readonly parent: number;
  readonly parentHash: Uint8Array;
  readonly hash: Uint8Array;
}

export interface Vote extends Decision {
  readonly prev: number;
  readonly voter: number;
  readonly signature: Uint8Array;
}

export interface CertificateVote {
  readonly voter: number;
  readonly prev: number;
  readonly signature: Uint8Array;
}

/**
 * A quorum of signatures for one decision. In a majority network they are VOTEs, each with
 * its own `prev`; in a two-thirds network they are PRECOMMITs (consensus/ballot.ts) of one
 * `slot`, and each entry's `prev` is 0 (the layout marks the kind: PROTOCOL §7.5).
 */
export interface Certificate extends Decision {
  readonly votes: readonly CertificateVote[];
  /** Present for a certificate of PRECOMMITs: the slot they were cast in. */
  readonly slot?: number;
}

/** The high bit of a certificate's count byte: the entries are precommits of one slot. */
export const certificate_precommits_flag = 0x80;

export const vote_bytes = 8 + 8 + hash_bytes + hash_bytes + 8 + 2 + signature_bytes;
const vote_signed_bytes = vote_bytes - signature_bytes;
export const certificate_fixed_bytes = 8 + 8 + hash_bytes + hash_bytes + 1;
export const certificate_vote_bytes = 2 + 8 + signature_bytes;

export function certificateBytes(certificate: Certificate): number {
  if (certificate.slot !== undefined) return certificate_fixed_bytes + 8 + (2 + signature_bytes) * certificate.votes.length;
  return certificate_fixed_bytes + certificate_vote_bytes * certificate.votes.length;
}

/** The same (period, parent, parentHash, hash): votes that can add up to one certificate. */
export function decisionKey(decision: Decision): string {
  return `${decision.period}:${decision.parent}:${toHex(decision.parentHash)}:${toHex(decision.hash)}`;
}

export function sameDecision(a: Decision, b: Decision): boolean {
  return a.period === b.period && a.parent === b.parent && equal(a.parentHash, b.parentHash) && equal(a.hash, b.hash);
}

function voteSignedBody(decision: Decision, prev: number, voter: number): Uint8Array {
  return new Writer(vote_signed_bytes)
    .u64(decision.period)
    .u64(decision.parent)
    .put(decision.parentHash)
    .put(decision.hash)
    .u64(prev)
    .u16(voter)
    .done();
}

export function voteSigningMessage(networkId: Uint8Array, decision: Decision, prev: number, voter: number): Uint8Array {
  return concat(domain.vote, networkId, voteSignedBody(decision, prev, voter));
}

export function signVote(signer: Signer, networkId: Uint8Array, decision: Decision, prev: number, voter: number): Vote {
  const signature = signer.sign(voteSigningMessage(networkId, decision, prev, voter));
  return { period: decision.period, parent: decision.parent, parentHash: decision.parentHash, hash: decision.hash, prev, voter, signature };
}

export function encodeVote(vote: Vote): Uint8Array {
  return concat(voteSignedBody(vote, vote.prev, vote.voter), vote.signature);
}

export function readVote(reader: Reader): Vote {
  const period = reader.u64('period');
  const parent = reader.u64('parent');
  const parentHash = reader.take(hash_bytes, 'parentHash');
  const hash = reader.take(hash_bytes, 'hash');
  const prev = reader.u64('prev');
  const voter = reader.u16('voter');
  const signature = reader.take(signature_bytes, 'signature');
  checkDecisionShape({ period, parent }, 'vote');
  if (prev >= period) fail('BAD_MESSAGE', `vote: prev ${prev} is not before period ${period}`);
  return { period, parent, parentHash, hash, prev, voter, signature };
}

function checkDecisionShape(decision: { period: number; parent: number }, what: string): void {
  if (decision.period === 0 && decision.parent !== 0) fail('BAD_MESSAGE', `${what}: genesis has no parent`);
  if (decision.period !== 0 && decision.parent >= decision.period) {
    fail('BAD_MESSAGE', `${what}: parent ${decision.parent} is not before period ${decision.period}`);
  }
}

export function encodeCertificate(certificate: Certificate): Uint8Array {
  const writer = new Writer(certificateBytes(certificate)).u64(certificate.period).u64(certificate.parent).put(certificate.parentHash).put(certificate.hash);
  if (certificate.slot !== undefined) {
    writer.u8(certificate.votes.length | certificate_precommits_flag).u64(certificate.slot);
    for (const vote of certificate.votes) writer.u16(vote.voter).put(vote.signature);
  } else {
    writer.u8(certificate.votes.length);
    for (const vote of certificate.votes) writer.u16(vote.voter).u64(vote.prev).put(vote.signature);
  }
  return writer.done();
}

/** Structural decode: strictly increasing voters, prev before the period. Signatures: verifyCertificate. */
export function readCertificate(reader: Reader): Certificate {
  const period = reader.u64('period');
  const parent = reader.u64('parent');
  const parentHash = reader.take(hash_bytes, 'parentHash');
  const hash = reader.take(hash_bytes, 'hash');
  checkDecisionShape({ period, parent }, 'certificate');
  const countByte = reader.u8('votes');
  const precommits = (countByte & certificate_precommits_flag) !== 0;
  const count = countByte & ~certificate_precommits_flag;
  if (count > servers_max) fail('BAD_CERTIFICATE', `certificate: ${count} votes, at most ${servers_max}`);
  const slot = precommits ? reader.u64('slot') : undefined;
  if (slot !== undefined && (period === 0 || slot < period)) fail('BAD_CERTIFICATE', `certificate: slot ${slot} is before the decided period ${period}`);
  const votes: CertificateVote[] = [];
  for (let i = 0; i < count; i++) {
    const voter = reader.u16('voter');
    const prev = precommits ? 0 : reader.u64('prev');
    const signature = reader.take(signature_bytes, 'signature');
    if (i > 0 && voter <= votes[i - 1]!.voter) fail('BAD_CERTIFICATE', 'certificate: voters are not strictly increasing');
    if (prev >= period) fail('BAD_CERTIFICATE', `certificate: prev ${prev} is not before period ${period}`);
    votes.push({ voter, prev, signature });
  }
  return slot === undefined ? { period, parent, parentHash, hash, votes } : { period, parent, parentHash, hash, votes, slot };
}

export function genesisCertificate(genesisHash: Uint8Array): Certificate {
  return { period: 0, parent: 0, parentHash: new Uint8Array(hash_bytes), hash: genesisHash, votes: [] };
}

/** Builds a certificate from votes for one decision (sorted by voter, as the layout requires). */
export function certificateFrom(decision: Decision, votes: Iterable<Vote>): Certificate {
  const list = [...votes].map((vote) => ({ voter: vote.voter, prev: vote.prev, signature: vote.signature }));
  list.sort((a, b) => a.voter - b.voter);
  return { period: decision.period, parent: decision.parent, parentHash: decision.parentHash, hash: decision.hash, votes: list };
}

/** Builds a certificate from PRECOMMITs of one slot for one decision. */
export function certificateFromPrecommits(decision: Decision, slot: number, voters: Iterable<{ voter: number; signature: Uint8Array }>): Certificate {
  const list = [...voters].map((ballot) => ({ voter: ballot.voter, prev: 0, signature: ballot.signature }));
  list.sort((a, b) => a.voter - b.voter);
  return { period: decision.period, parent: decision.parent, parentHash: decision.parentHash, hash: decision.hash, votes: list, slot };
}

export interface VoteChecker {
  readonly networkId: Uint8Array;
  readonly serverKeys: readonly Uint8Array[];
  /** Signatures that make a certificate (network.quorum). */
  readonly quorum: number;
  /** Which kind of certificate the network makes: VOTEs (majority) or PRECOMMITs (two-thirds). */
  readonly mode: QuorumMode;
  readonly genesisHash: Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean;
}

/** The checker of a network's certificates. */
export function checkerFor(network: Network, genesisHash: Uint8Array, verify: VoteChecker['verify']): VoteChecker {
  return { networkId: network.id, serverKeys: network.servers.map((server) => server.key), quorum: network.quorum, mode: network.quorumMode, genesisHash, verify };
}

export function verifyVote(checker: VoteChecker, vote: Vote): boolean {
  const key = checker.serverKeys[vote.voter];
  if (key === undefined) return false;
  return checker.verify(vote.signature, voteSigningMessage(checker.networkId, vote, vote.prev, vote.voter), key);
}

/**
 * A certificate holds when it is genesis, or a quorum of the servers signed it: VOTEs in a
 * majority network, PRECOMMITs of one slot in a two-thirds network (never the other kind).
 */
export function verifyCertificate(checker: VoteChecker, certificate: Certificate): boolean {
  if (certificate.period === 0) return certificate.votes.length === 0 && certificate.slot === undefined && equal(certificate.hash, checker.genesisHash);
  if (certificate.votes.length < checker.quorum) return false;
  if ((certificate.slot !== undefined) !== (checker.mode === 'two-thirds')) return false;
  let previousVoter = -1;
  for (const vote of certificate.votes) {
    if (vote.voter <= previousVoter) return false;
    previousVoter = vote.voter;
    const key = checker.serverKeys[vote.voter];
    if (key === undefined) return false;
    const message =
      certificate.slot === undefined
        ? voteSigningMessage(checker.networkId, certificate, vote.prev, vote.voter)
        : ballotSigningMessage(checker.networkId, 'precommit', certificate.slot, certificate, vote.voter);
    if (!checker.verify(vote.signature, message, key)) return false;
  }
  return true;
}
