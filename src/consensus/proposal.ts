// The beta's signature on its PROPOSAL (PROTOCOL §7.6). A batch frame is signed by its
// sender already, but a frame holds many messages and up to 12 MiB; the proposal's own
// signature covers a 234-byte header that names everything the proposal decides, so two
// headers of one proposer for one slot that differ are a small, self-contained proof of
// equivocation (consensus/evidence.ts).
//
// Header (signed part, 170 bytes):
//   slot u64 || decided period u64 || proposer u16 || parent decision (period u64 ||
//   parent u64 || parent hash (32) || hash (32)) || state hash (32) ||
//   sha256(transactions) (32) || valid slot u64
// signed over "scryp/proposal/v1" || network id || header.
//
// `slot` is the period whose beta sends it; `decided` is the period whose batch it carries:
// the same, except in a two-thirds network when the beta proposes again a batch a quorum
// prevoted in `valid slot` (0: none).

import { hash_bytes, signature_bytes } from '../constants.ts';
import { concat, equal, Reader, Writer } from '../bytes.ts';
import { domain, sha256 } from '../hash.ts';
import type { Signer } from '../signature.ts';
import type { Decision } from './vote.ts';

export interface ProposalHeader {
  readonly slot: number;
  readonly decided: number;
  readonly proposer: number;
  readonly parent: Decision;
  readonly hash: Uint8Array;
  readonly transactionsHash: Uint8Array;
  readonly validSlot: number;
  readonly signature: Uint8Array;
}

export const proposal_header_signed_bytes = 8 + 8 + 2 + 8 + 8 + hash_bytes + hash_bytes + hash_bytes + hash_bytes + 8;
export const proposal_header_bytes = proposal_header_signed_bytes + signature_bytes;

function signedBody(header: Omit<ProposalHeader, 'signature'>): Uint8Array {
  return new Writer(proposal_header_signed_bytes)
    .u64(header.slot)
    .u64(header.decided)
    .u16(header.proposer)
    .u64(header.parent.period)
    .u64(header.parent.parent)
    .put(header.parent.parentHash)
    .put(header.parent.hash)
    .put(header.hash)
    .put(header.transactionsHash)
    .u64(header.validSlot)
    .done();
}

export function proposalSigningMessage(networkId: Uint8Array, header: Omit<ProposalHeader, 'signature'>): Uint8Array {
  return concat(domain.proposal, networkId, signedBody(header));
}

export function transactionsHashOf(transactions: Uint8Array): Uint8Array {
  return sha256(transactions);
}

export function signProposalHeader(signer: Signer, networkId: Uint8Array, header: Omit<ProposalHeader, 'signature'>): ProposalHeader {
  return { ...header, signature: signer.sign(proposalSigningMessage(networkId, header)) };
}

export function encodeProposalHeader(header: ProposalHeader): Uint8Array {
  return concat(signedBody(header), header.signature);
}

export function readProposalHeader(reader: Reader): ProposalHeader {
  const slot = reader.u64('slot');
  const decided = reader.u64('decided');
  const proposer = reader.u16('proposer');
  const parent = { period: reader.u64('parent.period'), parent: reader.u64('parent.parent'), parentHash: reader.take(hash_bytes, 'parent.parentHash'), hash: reader.take(hash_bytes, 'parent.hash') };
  const hash = reader.take(hash_bytes, 'hash');
  const transactionsHash = reader.take(hash_bytes, 'transactionsHash');
  const validSlot = reader.u64('validSlot');
  const signature = reader.take(signature_bytes, 'signature');
  return { slot, decided, proposer, parent, hash, transactionsHash, validSlot, signature };
}

/** Whether two headers say different things (a signature alone differing is not a second proposal). */
export function headersDiffer(a: ProposalHeader, b: ProposalHeader): boolean {
  return !equal(signedBody(a), signedBody(b));
}
