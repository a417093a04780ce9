// Ballots: the two signed steps of agreement in a `two-thirds` network (PROTOCOL §8.11).
//
// A PREVOTE says "in slot s, the decision I will back is D"; a PRECOMMIT says "in slot s I
// saw a quorum prevote D, I lock on it and commit to it". A quorum of PRECOMMITs for one
// (slot, decision) is a certificate. Each server casts at most one prevote and one
// precommit per slot, keeps them on disk before they leave, and never casts one in a slot
// earlier than one it already cast in.
//
// Layout (154 bytes, the size of a majority-mode vote):
//   slot u64 || decided period u64 || parent u64 || parent hash (32) || state hash (32) ||
//   voter u16 || signature (64)
// signed over  "scryp/prevote/v1" (or "scryp/precommit/v1") || network id || all before the signature.

import { hash_bytes, signature_bytes } from '../constants.ts';
import { concat, Reader, toHex, Writer } from '../bytes.ts';
import { fail } from '../errors.ts';
import { domain } from '../hash.ts';
import type { Signer } from '../signature.ts';
import type { Decision } from './vote.ts';

export type BallotStep = 'prevote' | 'precommit';

export interface Ballot extends Decision {
  readonly step: BallotStep;
  /** The slot: the period whose beta proposed what this ballot is about (≥ the decided period). */
  readonly slot: number;
  readonly voter: number;
  readonly signature: Uint8Array;
}

export const ballot_signed_bytes = 8 + 8 + 8 + hash_bytes + hash_bytes + 2;
export const ballot_bytes = ballot_signed_bytes + signature_bytes;

function signedBody(slot: number, decision: Decision, voter: number): Uint8Array {
  return new Writer(ballot_signed_bytes).u64(slot).u64(decision.period).u64(decision.parent).put(decision.parentHash).put(decision.hash).u16(voter).done();
}

export function ballotSigningMessage(networkId: Uint8Array, step: BallotStep, slot: number, decision: Decision, voter: number): Uint8Array {
  return concat(step === 'prevote' ? domain.prevote : domain.precommit, networkId, signedBody(slot, decision, voter));
}

export function signBallot(signer: Signer, networkId: Uint8Array, step: BallotStep, slot: number, decision: Decision, voter: number): Ballot {
  const signature = signer.sign(ballotSigningMessage(networkId, step, slot, decision, voter));
  return { step, slot, period: decision.period, parent: decision.parent, parentHash: decision.parentHash, hash: decision.hash, voter, signature };
}

export function encodeBallot(ballot: Ballot): Uint8Array {
  return concat(signedBody(ballot.slot, ballot, ballot.voter), ballot.signature);
}

/** Strict structural decode; the step comes from the message kind. Signatures: verifyBallot. */
export function readBallot(reader: Reader, step: BallotStep): Ballot {
  const slot = reader.u64('slot');
  const period = reader.u64('period');
  const parent = reader.u64('parent');
  const parentHash = reader.take(hash_bytes, 'parentHash');
  const hash = reader.take(hash_bytes, 'hash');
  const voter = reader.u16('voter');
  const signature = reader.take(signature_bytes, 'signature');
  if (period === 0 || parent >= period) fail('BAD_MESSAGE', `${step}: decided period ${period} is not after its parent ${parent}`);
  if (slot < period) fail('BAD_MESSAGE', `${step}: slot ${slot} is before the decided period ${period}`);
  return { step, slot, period, parent, parentHash, hash, voter, signature };
}

/** The (step, slot, decision) of a ballot: ballots with the same key add up to a quorum. */
export function ballotKey(ballot: { step: BallotStep; slot: number } & Decision): string {
  return `${ballot.step}:${ballot.slot}:${ballot.period}:${ballot.parent}:${toHex(ballot.parentHash)}:${toHex(ballot.hash)}`;
}

export interface BallotChecker {
  readonly networkId: Uint8Array;
  readonly serverKeys: readonly Uint8Array[];
  verify(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean;
}

export function verifyBallot(checker: BallotChecker, ballot: Ballot): boolean {
  const key = checker.serverKeys[ballot.voter];
  if (key === undefined) return false;
  return checker.verify(ballot.signature, ballotSigningMessage(checker.networkId, ballot.step, ballot.slot, ballot, ballot.voter), key);
}
