// Evidence: proof, checkable by anyone with the network's keys, that a server signed two
// things an honest server never signs (PROTOCOL §8.12). Honest servers keep their votes on
// disk before they leave, so they never produce any of these, even across crashes.
//
//   vote        two VOTEs of one server (majority mode) for one period that differ
//   prevote     two PREVOTEs of one server in one slot for different decisions
//   precommit   two PRECOMMITs of one server in one slot for different decisions
//   proposal    two signed PROPOSAL headers of one beta for one slot that differ
//   fork        two certificates that conflict (one period decided twice, or a period
//               committed and skipped): more servers misbehaved than the quorum tolerates
//
// Layout: kind u8 || a || b, where a and b are the two signed messages in their wire form
// (vote 154, ballot 154, proposal header 234, certificate as in §7.5).

import { fail } from '../errors.ts';
import { concat, equal, Reader, toHex } from '../bytes.ts';
import { type Ballot, type BallotChecker, encodeBallot, readBallot, verifyBallot } from './ballot.ts';
import { encodeProposalHeader, headersDiffer, type ProposalHeader, proposalSigningMessage, readProposalHeader } from './proposal.ts';
import { type Certificate, decisionKey, encodeCertificate, encodeVote, readCertificate, readVote, sameDecision, verifyCertificate, verifyVote, type Vote, type VoteChecker } from './vote.ts';

export type Evidence =
  | { readonly kind: 'vote'; readonly a: Vote; readonly b: Vote }
  | { readonly kind: 'prevote' | 'precommit'; readonly a: Ballot; readonly b: Ballot }
  | { readonly kind: 'proposal'; readonly a: ProposalHeader; readonly b: ProposalHeader }
  | { readonly kind: 'fork'; readonly a: Certificate; readonly b: Certificate };

export type EvidenceKind = Evidence['kind'];
const kindCodes: Record<EvidenceKind, number> = { vote: 1, prevote: 2, precommit: 3, proposal: 4, fork: 5 };
const kindOfCode = new Map<number, EvidenceKind>(Object.entries(kindCodes).map(([kind, code]) => [code, kind as EvidenceKind]));

/** The server the evidence is against (a fork names no single server: -1). */
export function offenderOf(evidence: Evidence): number {
  switch (evidence.kind) {
    case 'vote':
    case 'prevote':
    case 'precommit':
      return evidence.a.voter;
    case 'proposal':
      return evidence.a.proposer;
    case 'fork':
      return -1;
  }
}

/** The period (or slot) the evidence is about. */
export function periodOfEvidence(evidence: Evidence): number {
  switch (evidence.kind) {
    case 'vote':
      return evidence.a.period;
    case 'prevote':
    case 'precommit':
      return evidence.a.slot;
    case 'proposal':
      return evidence.a.slot;
    case 'fork':
      return Math.min(evidence.a.period, evidence.b.period);
  }
}

/** One key per distinct offence: evidence is kept once per (kind, server, period). */
export function evidenceKey(evidence: Evidence): string {
  return `${evidence.kind}:${offenderOf(evidence)}:${periodOfEvidence(evidence)}`;
}

export function encodeEvidence(evidence: Evidence): Uint8Array {
  const code = Uint8Array.of(kindCodes[evidence.kind]);
  switch (evidence.kind) {
    case 'vote':
      return concat(code, encodeVote(evidence.a), encodeVote(evidence.b));
    case 'prevote':
    case 'precommit':
      return concat(code, encodeBallot(evidence.a), encodeBallot(evidence.b));
    case 'proposal':
      return concat(code, encodeProposalHeader(evidence.a), encodeProposalHeader(evidence.b));
    case 'fork':
      return concat(code, encodeCertificate(evidence.a), encodeCertificate(evidence.b));
  }
}

/** Strict structural decode (reader.end() is the caller's); whether it proves anything: checkEvidence. */
export function readEvidence(reader: Reader): Evidence {
  const code = reader.u8('evidence kind');
  const kind = kindOfCode.get(code);
  if (kind === undefined) fail('BAD_MESSAGE', `evidence: unknown kind ${code}`);
  switch (kind) {
    case 'vote':
      return { kind, a: readVote(reader), b: readVote(reader) };
    case 'prevote':
    case 'precommit':
      return { kind, a: readBallot(reader, kind), b: readBallot(reader, kind) };
    case 'proposal':
      return { kind, a: readProposalHeader(reader), b: readProposalHeader(reader) };
    case 'fork':
      return { kind, a: readCertificate(reader), b: readCertificate(reader) };
  }
}

export function decodeEvidence(bytes: Uint8Array): Evidence {
  const reader = new Reader(bytes, 'evidence');
  const evidence = readEvidence(reader);
  reader.end();
  return evidence;
}

/**
 * Two votes of one server for one period that differ: no honest server signs both. (A vote
 * whose `prev` skips an earlier vote of the same server is not counted: a server whose disk
 * was lost forgets its last vote honestly, and the vote floor keeps it from voting twice.)
 */
export function votesConflict(a: Vote, b: Vote): boolean {
  return a.voter === b.voter && a.period === b.period && !(sameDecision(a, b) && a.prev === b.prev);
}

/**
 * Two certificates that cannot both hold on one chain: one period decided twice, a period
 * committed and skipped, or a period built on another decision of a committed period.
 */
export function certificatesConflict(a: Certificate, b: Certificate): boolean {
  if (a.period === b.period) return !sameDecision(a, b);
  const [early, late] = a.period < b.period ? [a, b] : [b, a];
  if (late.parent === early.period) return !equal(late.parentHash, early.hash);
  return late.parent < early.period && early.period !== 0; // the later one skipped a committed period
}

export interface EvidenceChecker extends VoteChecker, BallotChecker {}

/**
 * Whether the evidence proves what it claims: both messages signed by the named server (or
 * both certificates valid for this network), and the two cannot both come from an honest one.
 */
export function checkEvidence(checker: EvidenceChecker, evidence: Evidence): boolean {
  switch (evidence.kind) {
    case 'vote':
      return votesConflict(evidence.a, evidence.b) && verifyVote(checker, evidence.a) && verifyVote(checker, evidence.b);
    case 'prevote':
    case 'precommit': {
      const { a, b } = evidence;
      if (a.voter !== b.voter || a.slot !== b.slot || decisionKey(a) === decisionKey(b)) return false;
      return a.step === evidence.kind && b.step === evidence.kind && verifyBallot(checker, a) && verifyBallot(checker, b);
    }
    case 'proposal': {
      const { a, b } = evidence;
      if (a.proposer !== b.proposer || a.slot !== b.slot || !headersDiffer(a, b)) return false;
      const key = checker.serverKeys[a.proposer];
      if (key === undefined) return false;
      return checker.verify(a.signature, proposalSigningMessage(checker.networkId, a), key) && checker.verify(b.signature, proposalSigningMessage(checker.networkId, b), key);
    }
    case 'fork':
      return certificatesConflict(evidence.a, evidence.b) && verifyCertificate(checker, evidence.a) && verifyCertificate(checker, evidence.b);
  }
}

/** One line for logs and the CLI. */
export function describeEvidence(evidence: Evidence): string {
  switch (evidence.kind) {
    case 'vote':
      return `server ${evidence.a.voter} signed two different VOTEs for period ${evidence.a.period}`;
    case 'prevote':
    case 'precommit':
      return `server ${evidence.a.voter} signed two ${evidence.kind.toUpperCase()}s in slot ${evidence.a.slot}, for ${shortDecision(evidence.a)} and ${shortDecision(evidence.b)}`;
    case 'proposal':
      return `server ${evidence.a.proposer} signed two different PROPOSALs for slot ${evidence.a.slot}`;
    case 'fork':
      return `two certificates conflict (period ${evidence.a.period} on parent ${evidence.a.parent}, period ${evidence.b.period} on parent ${evidence.b.parent}): more servers misbehaved than the quorum tolerates`;
  }
}

function shortDecision(decision: Ballot): string {
  return `period ${decision.period} on ${decision.parent}, hash ${toHex(decision.hash).slice(0, 12)}`;
}

export function sameEvidence(a: Evidence, b: Evidence): boolean {
  return equal(encodeEvidence(a), encodeEvidence(b));
}
