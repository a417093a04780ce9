// The messages servers exchange inside signed batches (framing.ts). Each decoder is
// strict: exact lengths, counts that match, no trailing bytes, so encode(decode(b)) = b.
//
//   kind  name                   payload
//   0x01  STATUS                 certificate of the sender's last committed period ||
//                                has_vote u8 || [vote]            (the heartbeat, every period)
//   0x02  PROPOSAL               slot u64 || state hash (32) || n u32 || a list of n payments (payment-list.ts) ||
//                                certificate of the parent || decided u64 || valid slot u64 ||
//                                p u16 || p × PREVOTE (the proof of a re-proposal) ||
//                                proposer u16 || signature (64) over the header (consensus/proposal.ts)
//   0x03  VOTE                   vote (154)
//   0x04  FORWARD                n u16 || a list of n payments    (to the current alpha)
//   0x05  SYNC_REQUEST           after u64                        (committed periods after this one)
//   0x06  SYNC_RECORDS           snapshot_needed u8 || r u16 || r × (certificate || n u32 || a list of n payments)
//   0x07  SNAPSHOT_REQUEST       (empty)                          (the sender's last committed state)
//   0x08  SNAPSHOT_HEADER        snapshot id u32 || accounts u32 || 256 mid hashes || certificate
//   0x09  SNAPSHOT_PAGE_REQUEST  snapshot id u32 || from_start u8 || after account (32)
//   0x0a  SNAPSHOT_PAGE          snapshot id u32 || last u8 || n u32 || n × (account (32) || balance u32)
//   0x0b  PREVOTE                ballot (154)                     (two-thirds networks: consensus/ballot.ts)
//   0x0c  PRECOMMIT              ballot (154)
//   0x0d  EVIDENCE               evidence (consensus/evidence.ts): two signed messages no honest server signs
//   0x0e  PROPOSAL_HEADER        proposal header (234, consensus/proposal.ts): passed on by every server that took the PROPOSAL
//   0x0f  ADDRESS                address record (110, address-record.ts): a server's signed new address, passed on once
//   0x10  CHANGE                 a signed change of the server set (consensus/configuration.ts)
//   0x11  GATEWAY                gateway record (105..305, gateway-record.ts): where a server's HTTP gateway answers, passed on once

import {
  type Change,
  type CommittedChange,
  encodeChange,
  encodeCommittedChange,
  readChange,
  readCommittedChange,
} from '../consensus/configuration.ts';
import {
  forward_transactions_max,
  hash_bytes,
  key_bytes,
  period_transactions_max,
  servers_max,
  signature_bytes,
  snapshot_page_accounts_max,
  state_mid_count,
  sync_records_per_reply_max,
} from '../constants.ts';
import { paymentCount, readPaymentList } from '../payment-list.ts';
import { concat, describe, Reader, Writer } from '../bytes.ts';
import { fail } from '../errors.ts';
import {
  type Certificate,
  certificateBytes,
  encodeCertificate,
  encodeVote,
  readCertificate,
  readVote,
  type Vote,
  vote_bytes,
} from '../consensus/vote.ts';
import { ballot_bytes, type Ballot, encodeBallot, readBallot } from '../consensus/ballot.ts';
import { encodeEvidence, type Evidence, readEvidence } from '../consensus/evidence.ts';
import { encodeProposalHeader, type ProposalHeader, readProposalHeader, transactionsHashOf } from '../consensus/proposal.ts';
import { type AddressRecord, encodeAddressRecord, readAddressRecord } from '../address-record.ts';
import { address_record_bytes } from '../constants.ts';
import { encodeGatewayRecord, type GatewayRecord, readGatewayRecord } from '../gateway-record.ts';
import type { RawMessage } from './framing.ts';

export const MessageKind = {
  STATUS: 0x01,
  PROPOSAL: 0x02,
  VOTE: 0x03,
  FORWARD: 0x04,
  SYNC_REQUEST: 0x05,
  SYNC_RECORDS: 0x06,
  SNAPSHOT_REQUEST: 0x07,
  SNAPSHOT_HEADER: 0x08,
  SNAPSHOT_PAGE_REQUEST: 0x09,
  SNAPSHOT_PAGE: 0x0a,
  PREVOTE: 0x0b,
  PRECOMMIT: 0x0c,
  EVIDENCE: 0x0d,
  PROPOSAL_HEADER: 0x0e,
  ADDRESS: 0x0f,
  CHANGE: 0x10,
  GATEWAY: 0x11,
} as const;

export const messageKindName: Record<number, string> = Object.fromEntries(Object.entries(MessageKind).map(([name, kind]) => [kind, name]));

export function isKnownKind(kind: number): boolean {
  // Own properties only, and numbers only: '__proto__' or 'constructor' must not look like kinds.
  return typeof kind === 'number' && Object.hasOwn(messageKindName, kind);
}

export const account_entry_bytes = key_bytes + 4;

/** A committed period as kept in the archive and sent in catch-up. */
export interface PeriodRecord {
  readonly certificate: Certificate;
  /** The batch as proposed (a payment list, payment-list.ts), including payments that re-validation skipped. */
  readonly transactions: Uint8Array;
  /** The configuration change this period carried, if any (consensus/configuration.ts). */
  readonly change?: Change;
}

export type PeerMessage =
  | { type: 'status'; committed: Certificate; vote: Vote | null }
  | ProposalMessage
  | { type: 'vote'; vote: Vote }
  | { type: 'forward'; transactions: Uint8Array }
  | { type: 'sync_request'; after: number }
  | { type: 'sync_records'; snapshotNeeded: boolean; records: PeriodRecord[] }
  | { type: 'snapshot_request' }
  | { type: 'snapshot_header'; snapshotId: number; accounts: number; mids: Uint8Array; certificate: Certificate; chain?: readonly CommittedChange[] }
  | { type: 'snapshot_page_request'; snapshotId: number; after: Uint8Array | null }
  | { type: 'snapshot_page'; snapshotId: number; last: boolean; entries: Uint8Array }
  | { type: 'prevote'; ballot: Ballot }
  | { type: 'precommit'; ballot: Ballot }
  | { type: 'evidence'; evidence: Evidence }
  | { type: 'proposal_header'; header: ProposalHeader }
  | { type: 'address'; record: AddressRecord }
  | { type: 'change'; change: Change }
  | { type: 'gateway'; record: GatewayRecord };

/**
 * The beta's PROPOSAL for a slot: the batch of period `decided` (the slot itself, or in a
 * two-thirds network a batch a quorum prevoted in `validSlot`, proved by `pol`), on `parent`,
 * signed by `proposer` over its header (consensus/proposal.ts).
 */
export interface ProposalMessage {
  readonly type: 'proposal';
  /** The slot: the period whose beta sends this. */
  readonly period: number;
  readonly decided: number;
  readonly hash: Uint8Array;
  readonly transactions: Uint8Array;
  readonly parent: Certificate;
  /** 0, or the slot in which a quorum prevoted this batch (two-thirds networks). */
  readonly validSlot: number;
  readonly pol: readonly Ballot[];
  readonly proposer: number;
  readonly signature: Uint8Array;
  /** A configuration change the period carries (§8.13): after the signature, bound by the state hash. */
  readonly change?: Change;
}

/** The signed header of a proposal, as evidence carries it. */
export function headerOfProposal(message: ProposalMessage): ProposalHeader {
  return {
    slot: message.period,
    decided: message.decided,
    proposer: message.proposer,
    parent: { period: message.parent.period, parent: message.parent.parent, parentHash: message.parent.parentHash, hash: message.parent.hash },
    hash: message.hash,
    transactionsHash: transactionsHashOf(message.transactions),
    validSlot: message.validSlot,
    signature: message.signature,
  };
}

/** Payments in a list this server holds (built by it, or decoded strictly): a malformed one is a bug. */
function transactionCount(transactions: Uint8Array): number {
  try {
    return paymentCount(transactions);
  } catch (error) {
    throw new Error(`assertion failed: a batch is a list of payments (${(error as Error).message})`);
  }
}

/** In SYNC_RECORDS, the high bit of a record's payment count says a configuration change follows its payments. */
export const record_change_flag = 0x8000_0000;

function withLength(bytes: Uint8Array): Uint8Array {
  return concat(new Writer(2).u16(bytes.length).done(), bytes);
}

/** A change as PROPOSAL and SYNC_RECORDS carry it: length u16 ‖ change. */
function changeWithLength(change: Change): Uint8Array {
  return withLength(encodeChange(change));
}

function readChangeWithLength(reader: Reader): Change {
  const length = reader.u16('change.length');
  const inner = new Reader(reader.bytesView(length, 'change'), 'change');
  const change = readChange(inner);
  inner.end();
  return change;
}

export function encodeMessage(message: PeerMessage): RawMessage {
  switch (message.type) {
    case 'status': {
      const vote = message.vote === null ? new Uint8Array(0) : encodeVote(message.vote);
      return { kind: MessageKind.STATUS, payload: concat(encodeCertificate(message.committed), Uint8Array.of(message.vote === null ? 0 : 1), vote) };
    }
    case 'proposal': {
      const head = new Writer(8 + hash_bytes + 4).u64(message.period).put(message.hash).u32(transactionCount(message.transactions)).done();
      const middle = new Writer(8 + 8 + 2).u64(message.decided).u64(message.validSlot).u16(message.pol.length).done();
      const tail = new Writer(2 + signature_bytes).u16(message.proposer).put(message.signature).done();
      const change = message.change === undefined ? [] : [changeWithLength(message.change)];
      return { kind: MessageKind.PROPOSAL, payload: concat(head, message.transactions, encodeCertificate(message.parent), middle, ...message.pol.map(encodeBallot), tail, ...change) };
    }
    case 'prevote':
      return { kind: MessageKind.PREVOTE, payload: encodeBallot(message.ballot) };
    case 'precommit':
      return { kind: MessageKind.PRECOMMIT, payload: encodeBallot(message.ballot) };
    case 'evidence':
      return { kind: MessageKind.EVIDENCE, payload: encodeEvidence(message.evidence) };
    case 'proposal_header':
      return { kind: MessageKind.PROPOSAL_HEADER, payload: encodeProposalHeader(message.header) };
    case 'address':
      return { kind: MessageKind.ADDRESS, payload: encodeAddressRecord(message.record) };
    case 'change':
      return { kind: MessageKind.CHANGE, payload: encodeChange(message.change) };
    case 'gateway':
      return { kind: MessageKind.GATEWAY, payload: encodeGatewayRecord(message.record) };
    case 'vote':
      return { kind: MessageKind.VOTE, payload: encodeVote(message.vote) };
    case 'forward':
      return { kind: MessageKind.FORWARD, payload: concat(new Writer(2).u16(transactionCount(message.transactions)).done(), message.transactions) };
    case 'sync_request':
      return { kind: MessageKind.SYNC_REQUEST, payload: new Writer(8).u64(message.after).done() };
    case 'sync_records': {
      let size = 3;
      const changes = message.records.map((record) => (record.change === undefined ? null : changeWithLength(record.change)));
      for (const [i, record] of message.records.entries()) size += certificateBytes(record.certificate) + 4 + record.transactions.length + (changes[i]?.length ?? 0);
      const writer = new Writer(size).u8(message.snapshotNeeded ? 1 : 0).u16(message.records.length);
      for (const [i, record] of message.records.entries()) {
        const change = changes[i]!;
        writer.put(encodeCertificate(record.certificate)).u32(transactionCount(record.transactions) | (change === null ? 0 : record_change_flag)).put(record.transactions);
        if (change !== null) writer.put(change);
      }
      return { kind: MessageKind.SYNC_RECORDS, payload: writer.done() };
    }
    case 'snapshot_request':
      return { kind: MessageKind.SNAPSHOT_REQUEST, payload: new Uint8Array(0) };
    case 'snapshot_header': {
      const head = new Writer(8).u32(message.snapshotId).u32(message.accounts).done();
      const chain = message.chain ?? [];
      const tail = chain.length === 0 ? [] : [new Writer(2).u16(chain.length).done(), ...chain.map((entry) => withLength(encodeCommittedChange(entry)))];
      return { kind: MessageKind.SNAPSHOT_HEADER, payload: concat(head, message.mids, encodeCertificate(message.certificate), ...tail) };
    }
    case 'snapshot_page_request': {
      const writer = new Writer(4 + 1 + key_bytes).u32(message.snapshotId).u8(message.after === null ? 1 : 0);
      writer.put(message.after ?? new Uint8Array(key_bytes));
      return { kind: MessageKind.SNAPSHOT_PAGE_REQUEST, payload: writer.done() };
    }
    case 'snapshot_page': {
      if (message.entries.length % account_entry_bytes !== 0) throw new Error('assertion failed: whole account entries');
      const head = new Writer(9).u32(message.snapshotId).u8(message.last ? 1 : 0).u32(message.entries.length / account_entry_bytes).done();
      return { kind: MessageKind.SNAPSHOT_PAGE, payload: concat(head, message.entries) };
    }
  }
}

/**
 * A PROPOSAL in the layout before proposals were signed (slot || hash || n || payments ||
 * parent), as a ledger file of that version keeps the batch it voted for: read once at
 * start (sqlite-store.ts), never accepted from a peer.
 */
export function decodeUnsignedProposal(payload: Uint8Array, proposer: number): ProposalMessage {
  const reader = new Reader(payload, 'PROPOSAL (unsigned)');
  const period = reader.u64('period');
  const hash = reader.take(hash_bytes, 'hash');
  const transactions = readPaymentList(reader, reader.u32('count'), period_transactions_max, 'transactions');
  const parent = readCertificate(reader);
  reader.end();
  if (period === 0 || parent.period >= period) fail('BAD_MESSAGE', `PROPOSAL: parent ${parent.period} is not before period ${period}`);
  return { type: 'proposal', period, decided: period, hash, transactions, parent, validSlot: 0, pol: [], proposer, signature: new Uint8Array(signature_bytes) };
}

/** Strict decode of one message; throws ScrypError (BAD_MESSAGE, BAD_LENGTH, BAD_CERTIFICATE ...). */
export function decodeMessage(raw: RawMessage): PeerMessage {
  if (typeof raw !== 'object' || raw === null) fail('BAD_TYPE', `message: expected { kind, payload }, got ${describe(raw)}`);
  if (!isKnownKind(raw.kind)) {
    fail('FRAME_MESSAGE_KIND', `message kind ${typeof raw.kind === 'number' ? `0x${raw.kind.toString(16)}` : describe(raw.kind)}`);
  }
  const name = messageKindName[raw.kind]!;
  const reader = new Reader(raw.payload, name); // refuses a payload that is not a Uint8Array (BAD_TYPE)
  let message: PeerMessage;
  switch (raw.kind) {
    case MessageKind.STATUS: {
      const committed = readCertificate(reader);
      const hasVote = reader.u8('has_vote');
      if (hasVote > 1) fail('BAD_MESSAGE', 'STATUS.has_vote: expected 0 or 1');
      message = { type: 'status', committed, vote: hasVote === 1 ? readVote(reader) : null };
      break;
    }
    case MessageKind.PROPOSAL: {
      const period = reader.u64('period');
      const hash = reader.take(hash_bytes, 'hash');
      const transactions = readPaymentList(reader, reader.u32('count'), period_transactions_max, 'transactions');
      const parent = readCertificate(reader);
      const decided = reader.u64('decided');
      const validSlot = reader.u64('validSlot');
      const polCount = reader.u16('pol');
      if (polCount > servers_max) fail('BAD_MESSAGE', `PROPOSAL: ${polCount} prevotes, at most ${servers_max}`);
      const pol: Ballot[] = [];
      for (let i = 0; i < polCount; i++) pol.push(readBallot(reader, 'prevote'));
      const proposer = reader.u16('proposer');
      const signature = reader.take(signature_bytes, 'signature');
      const change = reader.remaining > 0 ? readChangeWithLength(reader) : undefined;
      if (period === 0 || decided === 0 || parent.period >= decided || decided > period) {
        fail('BAD_MESSAGE', `PROPOSAL: slot ${period} decides period ${decided} on parent ${parent.period}: expected parent < decided ≤ slot`);
      }
      if (validSlot !== 0 && (validSlot >= period || validSlot < decided)) fail('BAD_MESSAGE', `PROPOSAL: valid slot ${validSlot} is not in [decided ${decided}, slot ${period})`);
      if ((validSlot === 0) !== (polCount === 0)) fail('BAD_MESSAGE', 'PROPOSAL: a valid slot comes with its prevotes, and only then');
      message = change === undefined ? { type: 'proposal', period, decided, hash, transactions, parent, validSlot, pol, proposer, signature } : { type: 'proposal', period, decided, hash, transactions, parent, validSlot, pol, proposer, signature, change };
      break;
    }
    case MessageKind.PREVOTE:
      if (raw.payload.length !== ballot_bytes) fail('BAD_LENGTH', `PREVOTE: ${raw.payload.length} bytes, expected ${ballot_bytes}`);
      message = { type: 'prevote', ballot: readBallot(reader, 'prevote') };
      break;
    case MessageKind.PRECOMMIT:
      if (raw.payload.length !== ballot_bytes) fail('BAD_LENGTH', `PRECOMMIT: ${raw.payload.length} bytes, expected ${ballot_bytes}`);
      message = { type: 'precommit', ballot: readBallot(reader, 'precommit') };
      break;
    case MessageKind.EVIDENCE:
      message = { type: 'evidence', evidence: readEvidence(reader) };
      break;
    case MessageKind.PROPOSAL_HEADER: {
      const header = readProposalHeader(reader);
      if (header.slot === 0 || header.decided === 0 || header.parent.period >= header.decided || header.decided > header.slot) {
        fail('BAD_MESSAGE', `PROPOSAL_HEADER: slot ${header.slot} decides period ${header.decided} on parent ${header.parent.period}: expected parent < decided ≤ slot`);
      }
      message = { type: 'proposal_header', header };
      break;
    }
    case MessageKind.CHANGE:
      message = { type: 'change', change: readChange(reader) };
      break;
    case MessageKind.GATEWAY:
      message = { type: 'gateway', record: readGatewayRecord(reader) };
      break;
    case MessageKind.ADDRESS:
      if (raw.payload.length !== address_record_bytes) fail('BAD_LENGTH', `ADDRESS: ${raw.payload.length} bytes, expected ${address_record_bytes}`);
      message = { type: 'address', record: readAddressRecord(reader) };
      break;
    case MessageKind.VOTE:
      if (raw.payload.length !== vote_bytes) fail('BAD_LENGTH', `VOTE: ${raw.payload.length} bytes, expected ${vote_bytes}`);
      message = { type: 'vote', vote: readVote(reader) };
      if (message.vote.period === 0) fail('BAD_MESSAGE', 'VOTE: nobody votes for genesis');
      break;
    case MessageKind.FORWARD: {
      const count = reader.u16('count');
      if (count === 0) fail('BAD_MESSAGE', 'FORWARD: no payments');
      message = { type: 'forward', transactions: readPaymentList(reader, count, forward_transactions_max, 'transactions') };
      break;
    }
    case MessageKind.SYNC_REQUEST:
      message = { type: 'sync_request', after: reader.u64('after') };
      break;
    case MessageKind.SYNC_RECORDS: {
      const snapshotNeeded = reader.u8('snapshot_needed');
      if (snapshotNeeded > 1) fail('BAD_MESSAGE', 'SYNC_RECORDS.snapshot_needed: expected 0 or 1');
      const count = reader.u16('count');
      if (count > sync_records_per_reply_max) fail('BAD_MESSAGE', `SYNC_RECORDS: ${count} records, at most ${sync_records_per_reply_max}`);
      const records: PeriodRecord[] = [];
      for (let i = 0; i < count; i++) {
        const certificate = readCertificate(reader);
        if (certificate.period === 0) fail('BAD_MESSAGE', 'SYNC_RECORDS: genesis is not a record');
        if (i > 0 && certificate.parent !== records[i - 1]!.certificate.period) fail('BAD_MESSAGE', 'SYNC_RECORDS: records do not chain');
        const count = reader.u32('count');
        const transactions = readPaymentList(reader, count & ~record_change_flag, period_transactions_max, 'transactions');
        records.push((count & record_change_flag) === 0 ? { certificate, transactions } : { certificate, transactions, change: readChangeWithLength(reader) });
      }
      message = { type: 'sync_records', snapshotNeeded: snapshotNeeded === 1, records };
      break;
    }
    case MessageKind.SNAPSHOT_REQUEST:
      message = { type: 'snapshot_request' };
      break;
    case MessageKind.SNAPSHOT_HEADER: {
      const snapshotId = reader.u32('snapshot_id');
      const accounts = reader.u32('accounts');
      const mids = reader.take(state_mid_count * hash_bytes, 'mids');
      const certificate = readCertificate(reader);
      const chain: CommittedChange[] = [];
      if (reader.remaining > 0) {
        const links = reader.u16('changes');
        if (links === 0) fail('BAD_MESSAGE', 'SNAPSHOT_HEADER: a chain of changes, when present, has at least one');
        for (let i = 0; i < links; i++) {
          const inner = new Reader(reader.bytesView(reader.u16(`changes[${i}].length`), `changes[${i}]`), `SNAPSHOT_HEADER.changes[${i}]`);
          chain.push(readCommittedChange(inner));
          inner.end();
        }
      }
      message = chain.length === 0 ? { type: 'snapshot_header', snapshotId, accounts, mids, certificate } : { type: 'snapshot_header', snapshotId, accounts, mids, certificate, chain };
      break;
    }
    case MessageKind.SNAPSHOT_PAGE_REQUEST: {
      const snapshotId = reader.u32('snapshot_id');
      const fromStart = reader.u8('from_start');
      if (fromStart > 1) fail('BAD_MESSAGE', 'SNAPSHOT_PAGE_REQUEST.from_start: expected 0 or 1');
      const after = reader.take(key_bytes, 'after');
      if (fromStart === 1 && after.some((byte) => byte !== 0)) fail('BAD_MESSAGE', 'SNAPSHOT_PAGE_REQUEST: after must be zero from the start');
      message = { type: 'snapshot_page_request', snapshotId, after: fromStart === 1 ? null : after };
      break;
    }
    case MessageKind.SNAPSHOT_PAGE: {
      const snapshotId = reader.u32('snapshot_id');
      const last = reader.u8('last');
      if (last > 1) fail('BAD_MESSAGE', 'SNAPSHOT_PAGE.last: expected 0 or 1');
      const count = reader.u32('count');
      if (count > snapshot_page_accounts_max) fail('BAD_MESSAGE', `SNAPSHOT_PAGE: ${count} accounts, at most ${snapshot_page_accounts_max}`);
      message = { type: 'snapshot_page', snapshotId, last: last === 1, entries: reader.take(count * account_entry_bytes, 'entries') };
      break;
    }
    default:
      fail('FRAME_MESSAGE_KIND', `message kind 0x${raw.kind.toString(16)}`);
  }
  reader.end();
  return message;
}
