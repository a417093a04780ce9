// The client protocol over UDP, byte-exact (docs/PROTOCOL.md §6).
//
// Request: "SC" || version 1 || kind || request id u32 || body || zero padding
//          (at least 128 bytes, at most 1232)
// Reply:   "SC" || version 1 || kind|0x80 || request id u32 || status u8 || body ||
//          server key (32) || signature (64) over "scryp/reply/v1" || network_id || all before the key
//
// A server never sends a reply longer than the request that caused it: when the full
// reply would be longer, it answers TOO_SHORT with the length needed (u16).
//
// EVIDENCE (0x07) lists the proofs of equivocation a server holds, one per request
// (docs/PROTOCOL.md §6.9): request body index u16; reply body index u16 || count u16 ||
// stopped_by u16 || form u8 || [the evidence whole (form 1), or a summary of a fork too
// large for one datagram (form 2)].
//
// ADDRESSES (0x08) lists the signed address records of servers that moved (§6.10): request
// body from u16 (a server index); reply body count u8 || count × record (110), by server
// index from `from`, as many as fit the request.
//
// PAYREF (0x0b) is PAY for the 148-byte payment with a reference (§5.1, §6.1): the same
// replies, statuses and STATUS.
//
// CONFIG (0x09) gives the chain of committed configuration changes a piece at a time, for a
// wallet holding only the network file to learn the servers in force, checked from genesis
// (§6.11); CHANGE (0x0a) submits a signed change (`scryp network submit`).

import {
  address_bytes,
  address_record_bytes,
  addresses_per_reply_max,
  datagram_bytes_max,
  hash_bytes,
  history_entries_max,
  key_bytes,
  reply_header_bytes,
  reply_trailer_bytes,
  request_bytes_min,
  request_header_bytes,
  servers_max,
  evidence_kept_max,
  period_transactions_max,
  signature_bytes,
  referenced_transaction_bytes,
  transaction_bytes,
  u64_safe_max,
} from '../constants.ts';
import { abytes, aint, concat, Reader, view, Writer } from '../bytes.ts';
import { type AddressRecord, encodeAddressRecord, readAddressRecord } from '../address-record.ts';
import { fail, isScrypError } from '../errors.ts';
import { domain } from '../hash.ts';
import { encodeEvidence, type Evidence, readEvidence } from '../consensus/evidence.ts';
import { proposal_header_bytes } from '../consensus/proposal.ts';
import { certificate_fixed_bytes, certificate_vote_bytes, type Decision } from '../consensus/vote.ts';
import type { Signer } from '../signature.ts';
import { verify } from '../signature.ts';
import { hasReference, isPaymentLength, referenceOf } from '../transaction.ts';

export const magic = [0x53, 0x43] as const; // "SC"
export const protocol_version = 1;

/** INFO's server index of a server that no configuration it knows names yet: it is joining (§8.13). */
export const joining_server_index = 0xffff;

export const Kind = { PAY: 0x01, BALANCE: 0x02, STATUS: 0x03, INFO: 0x04, WHOAMI: 0x05, HISTORY: 0x06, EVIDENCE: 0x07, ADDRESSES: 0x08, CONFIG: 0x09, CHANGE: 0x0a, PAYREF: 0x0b } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export const kindName: Record<number, string> = { 1: 'PAY', 2: 'BALANCE', 3: 'STATUS', 4: 'INFO', 5: 'WHOAMI', 6: 'HISTORY', 7: 'EVIDENCE', 8: 'ADDRESSES', 9: 'CONFIG', 10: 'CHANGE', 11: 'PAYREF' };

/** The kind that carries a payment of this form: PAY for 140 bytes, PAYREF for 148. */
export function payKindOf(tx: Uint8Array): typeof Kind.PAY | typeof Kind.PAYREF {
  return hasReference(tx) ? Kind.PAYREF : Kind.PAY;
}

export const Status = {
  OK: 0x00,
  ACCEPTED: 0x01,
  FORWARDED: 0x02,
  BAD_REQUEST: 0x10,
  BAD_SIGNATURE: 0x11,
  BAD_TIME: 0x12,
  DUPLICATE: 0x13,
  INSUFFICIENT_FUNDS: 0x14,
  BAD_AMOUNT: 0x15,
  NOT_FOUND: 0x16,
  RATE_LIMITED: 0x17,
  UNAVAILABLE: 0x18,
  TOO_SHORT: 0x19,
  BAD_PAYEE: 0x1a,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
export const statusName: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, name]));

/** STATUS reply states of a payment. */
export const PaymentState = { UNKNOWN: 0, PENDING: 1, COMMITTED: 2, VOID: 3 } as const;
export type PaymentState = (typeof PaymentState)[keyof typeof PaymentState];

// ---- requests -------------------------------------------------------------------------

export type Request =
  | { kind: typeof Kind.PAY | typeof Kind.PAYREF; requestId: number; transaction: Uint8Array; length: number }
  | { kind: typeof Kind.BALANCE; requestId: number; account: Uint8Array; length: number }
  | { kind: typeof Kind.STATUS; requestId: number; txid: Uint8Array; length: number }
  | { kind: typeof Kind.INFO; requestId: number; length: number }
  | { kind: typeof Kind.WHOAMI; requestId: number; length: number }
  | { kind: typeof Kind.HISTORY; requestId: number; account: Uint8Array; beforePeriod: number; beforeIndex: number; length: number }
  | { kind: typeof Kind.EVIDENCE; requestId: number; index: number; length: number }
  | { kind: typeof Kind.ADDRESSES; requestId: number; from: number; length: number }
  | { kind: typeof Kind.CONFIG; requestId: number; index: number; offset: number; length: number }
  | { kind: typeof Kind.CHANGE; requestId: number; change: Uint8Array; length: number };

const requestBodyBytes: Record<number, number> = {
  [Kind.PAY]: transaction_bytes,
  [Kind.BALANCE]: key_bytes,
  [Kind.STATUS]: hash_bytes,
  [Kind.INFO]: 0,
  [Kind.WHOAMI]: 0,
  [Kind.HISTORY]: key_bytes + 8 + 4, // account || before_period u64 || before_index u32
  [Kind.EVIDENCE]: 2, // index u16
  [Kind.ADDRESSES]: 2, // from u16
  [Kind.CONFIG]: 4, // index u16 || offset u16
  [Kind.CHANGE]: 2, // length u16, then that many bytes of change (a variable body)
  [Kind.PAYREF]: referenced_transaction_bytes,
};

// ---- CONFIG and CHANGE (docs/PROTOCOL.md §6.11) ---------------------------------------

/**
 * changes u16 || latest u32 || latest_first u64 || committed u64 || index u16 || total u16 ||
 * offset u16 || n u16, before the n bytes of chunk: the server's chain of committed changes
 * and a piece of change number `index` (carrier u64 ‖ change, as the chain file holds it).
 */
export const config_body_fixed_bytes = 2 + 4 + 8 + 8 + 2 + 2 + 2 + 2;

/** What a server answers to CHANGE: taken (passed on for a beta to carry), or why not. */
/** (6 and 7 are not used.) */
export const ChangeVerdict = { TAKEN: 0, NOT_CURRENT: 1, SIGNATURES: 2, BAD_SIGNATURE: 3, TOO_LATE: 4, BAD_LIST: 5, MALFORMED: 8 } as const;
export type ChangeVerdict = (typeof ChangeVerdict)[keyof typeof ChangeVerdict];
export const changeVerdictName: Record<number, string> = Object.fromEntries(Object.entries(ChangeVerdict).map(([name, code]) => [code, name]));

/** The largest change one CHANGE request carries: the rest of a 1232-byte datagram (about 15 servers and 8 signatures). */
export const change_request_bytes_max = datagram_bytes_max - request_header_bytes - 2;

export interface ConfigBody {
  /** Committed changes the server holds (configuration `latest` is the last one's). */
  changes: number;
  latest: number;
  latestFirst: number;
  committedPeriod: number;
  index: number;
  /** Bytes of committed change `index` (0 when index ≥ changes). */
  total: number;
  offset: number;
  chunk: Uint8Array;
}

export interface ChangeBody {
  verdict: ChangeVerdict;
  /** The newest configuration the server knows. */
  latest: number;
}

/** How many bytes of chunk a CONFIG reply to a request of `requestLength` bytes may carry. */
export function configChunkThatFits(requestLength: number): number {
  return Math.max(0, requestLength - replyBytes(config_body_fixed_bytes));
}

// ---- ADDRESSES (docs/PROTOCOL.md §6.10) -----------------------------------------------

/** The ADDRESSES reply body with `records` records. */
export function addressesBodyBytes(records: number): number {
  return 1 + address_record_bytes * records;
}

/**
 * How many records an ADDRESSES reply to a request of `requestLength` bytes may list: as
 * many as fit (never longer than the request), at most addresses_per_reply_max.
 */
export function addressRecordsThatFit(requestLength: number): number {
  const room = requestLength - replyBytes(addressesBodyBytes(0));
  return Math.max(0, Math.min(addresses_per_reply_max, Math.floor(room / address_record_bytes)));
}

// ---- HISTORY (docs/PROTOCOL.md §6.8) --------------------------------------------------

/** One listed payment: period u64 || index u32 || outcome u8 || payment (140). */
export const history_entry_bytes = 8 + 4 + 1 + transaction_bytes;
/** The same with a payment of the 148-byte form (outcome bit 0x02 says so). */
export const history_entry_with_reference_bytes = 8 + 4 + 1 + referenced_transaction_bytes;
/** Outcome bits of a HISTORY entry: applied (else void), and the payment's form. */
export const history_outcome_applied = 0x01;
export const history_outcome_reference = 0x02;
/** account || committed period u64 || archive_from u64 || count u8, before the entries. */
export const history_body_fixed_bytes = key_bytes + 8 + 8 + 1;

/** The HISTORY reply body with `entries` payments listed. */
export function historyBodyBytes(entries: number): number {
  return history_body_fixed_bytes + history_entry_bytes * entries;
}

/** Bytes one entry takes in a HISTORY body: 153, or 161 for a payment with a reference. */
export function historyEntryBytesOf(transaction: Uint8Array): number {
  return hasReference(transaction) ? history_entry_with_reference_bytes : history_entry_bytes;
}

/**
 * How many payments a HISTORY reply to a request of `requestLength` bytes may list at most:
 * as many 153-byte entries as fit (a reply is never longer than its request), at most
 * history_entries_max. 0 when not even one fits: the server then answers TOO_SHORT (unless
 * it has nothing to list). Entries with a reference are longer: historyPageThatFits.
 */
export function historyEntriesThatFit(requestLength: number): number {
  const room = requestLength - replyBytes(history_body_fixed_bytes);
  return Math.max(0, Math.min(history_entries_max, Math.floor(room / history_entry_bytes)));
}

/**
 * The first entries of a page, newest first, as many as fit a reply to a request of
 * `requestLength` bytes, and at least one when there is one (a reply it does not fit is
 * then TOO_SHORT, with the length it needs).
 */
export function historyPageThatFits<T extends { transaction: Uint8Array }>(entries: readonly T[], requestLength: number): T[] {
  let room = requestLength - replyBytes(history_body_fixed_bytes);
  let count = 0;
  for (const entry of entries) {
    if (count === history_entries_max) break;
    room -= historyEntryBytesOf(entry.transaction);
    if (room < 0 && count > 0) break;
    count++;
  }
  return entries.slice(0, count);
}

// ---- EVIDENCE (docs/PROTOCOL.md §6.9) -------------------------------------------------

/** index u16 || count u16 || stopped_by u16 || form u8, before the evidence or its summary. */
export const evidence_reply_fixed_bytes = 2 + 2 + 2 + 1;
/** The largest evidence that travels whole: the rest of a 1232-byte reply (1120). */
export const evidence_whole_bytes_max = datagram_bytes_max - reply_header_bytes - evidence_reply_fixed_bytes - reply_trailer_bytes;
/** The largest evidence there is: a fork of two certificates of 64 votes each (9635). */
export const evidence_bytes_max = 1 + 2 * (certificate_fixed_bytes + certificate_vote_bytes * servers_max);
/** The largest evidence of a fixed size: two signed PROPOSAL headers (469); only a fork can be larger. */
export const evidence_fixed_bytes_max = 1 + 2 * proposal_header_bytes;
/** A fork too large for one datagram, summed up: size u32 || sha256 (32) || two decisions (80 each). */
export const fork_summary_bytes = 4 + hash_bytes + 2 * (8 + 8 + hash_bytes + hash_bytes);

/** What follows the fixed part of an EVIDENCE reply. */
export const EvidenceForm = { NONE: 0, WHOLE: 1, FORK_SUMMARY: 2 } as const;

/**
 * A fork whose two certificates do not fit in one datagram (a network of more than about
 * ten servers): what they decide, and the size and SHA-256 of the whole evidence, which
 * the server keeps in its ledger. It cannot be checked from here; it says what to look for.
 */
export interface ForkSummary {
  /** Size of the whole evidence encoding (more than evidence_whole_bytes_max). */
  readonly bytes: number;
  /** sha256 of the whole evidence encoding. */
  readonly digest: Uint8Array;
  /** The decisions of the two certificates, in the evidence's order. */
  readonly a: Decision;
  readonly b: Decision;
}

export interface EvidenceBody {
  /** The index asked (0: the oldest the server holds). */
  index: number;
  /** Pieces of evidence the server holds (at most evidence_kept_max). */
  count: number;
  /** 0: the server takes part; k ≥ 1: it stopped, because of evidence k − 1 (a fork). */
  stoppedBy: number;
  /** Evidence number `index`, whole; null when it is summed up or when index ≥ count. */
  evidence: Evidence | null;
  /** A fork too large for one datagram, summed up instead; null otherwise. */
  summary: ForkSummary | null;
}

/** Reply body sizes on success; INFO grows with the number of servers. */
export function successBodyBytes(kind: Kind, serverCount: number): number {
  switch (kind) {
    case Kind.PAY:
    case Kind.PAYREF:
      return 8 + hash_bytes;
    case Kind.BALANCE:
      return key_bytes + 4 + 8 + hash_bytes;
    case Kind.STATUS:
      return hash_bytes + 1 + 8;
    case Kind.INFO:
      return hash_bytes + 2 + 2 + 8 + 8 + 2 + 8 + hash_bytes + 8 * serverCount;
    case Kind.WHOAMI:
      return address_bytes;
    case Kind.HISTORY:
      return historyBodyBytes(history_entries_max); // a full page; a reply lists fewer when fewer fit or exist
    case Kind.EVIDENCE:
      return evidence_reply_fixed_bytes + evidence_fixed_bytes_max; // any evidence but a fork of a larger network; that one hears TOO_SHORT
    case Kind.ADDRESSES:
      return addressesBodyBytes(Math.min(addresses_per_reply_max, serverCount)); // every server moved, or a full reply; more are asked from the next index
    case Kind.CONFIG:
      return datagram_bytes_max - reply_header_bytes - reply_trailer_bytes; // as large a chunk as a datagram holds
    case Kind.CHANGE:
      return 1 + 4;
  }
}

export function replyBytes(bodyBytes: number): number {
  return reply_header_bytes + bodyBytes + reply_trailer_bytes;
}

/**
 * The request length a client should send so that the success reply fits: the padded
 * minimum, or longer where the reply is longer. INFO assumes the largest network unless
 * told the number of servers.
 */
export function requestBytesFor(kind: Kind, serverCount = servers_max): number {
  const body = requestBodyBytes[kind]!;
  return Math.max(request_bytes_min, request_header_bytes + body, replyBytes(successBodyBytes(kind, serverCount)));
}

export function encodeRequest(request: Request): Uint8Array {
  const kind = request.kind;
  const body = requestBodyBytes[kind];
  if (body === undefined) fail('UNKNOWN_KIND', `request kind ${String(kind)}`);
  const length = aint(request.length, Math.max(request_bytes_min, request_header_bytes + body), datagram_bytes_max, 'request.length');
  const writer = new Writer(length).u8(magic[0]).u8(magic[1]).u8(protocol_version).u8(kind).u32(aint(request.requestId, 0, 0xffff_ffff, 'requestId'));
  if (request.kind === Kind.PAY) writer.put(abytes(request.transaction, transaction_bytes, 'transaction'));
  else if (request.kind === Kind.PAYREF) writer.put(abytes(request.transaction, referenced_transaction_bytes, 'transaction'));
  else if (request.kind === Kind.BALANCE) writer.put(abytes(request.account, key_bytes, 'account'));
  else if (request.kind === Kind.STATUS) writer.put(abytes(request.txid, hash_bytes, 'txid'));
  else if (request.kind === Kind.HISTORY) {
    const beforePeriod = aint(request.beforePeriod, 0, u64_safe_max, 'beforePeriod');
    const beforeIndex = aint(request.beforeIndex, 0, beforePeriod === 0 ? 0 : 0xffff_ffff, 'beforeIndex');
    writer.put(abytes(request.account, key_bytes, 'account')).u64(beforePeriod).u32(beforeIndex);
  } else if (request.kind === Kind.EVIDENCE) writer.u16(aint(request.index, 0, 0xffff, 'index'));
  else if (request.kind === Kind.ADDRESSES) writer.u16(aint(request.from, 0, 0xffff, 'from'));
  else if (request.kind === Kind.CONFIG) writer.u16(aint(request.index, 0, 0xffff, 'index')).u16(aint(request.offset, 0, 0xffff, 'offset'));
  else if (request.kind === Kind.CHANGE) {
    const change = abytes(request.change, undefined, 'change');
    if (change.length < 1 || request_header_bytes + 2 + change.length > length) fail('OUT_OF_RANGE', `change: ${change.length} bytes do not fit a ${length}-byte request (at most ${change_request_bytes_max})`);
    writer.u16(change.length).put(change);
  }
  writer.offset = length; // the rest stays zero: the padding
  return writer.done();
}

/** The header of a datagram, if it is long enough and says "SC" v1; else the reason. */
export function peekRequest(bytes: Uint8Array): { kind: number; requestId: number } {
  abytes(bytes, undefined, 'request');
  if (bytes.length < request_bytes_min) fail('REQUEST_TOO_SHORT', `request: ${bytes.length} bytes, at least ${request_bytes_min} required`);
  if (bytes.length > datagram_bytes_max) fail('REQUEST_TOO_LONG', `request: ${bytes.length} bytes, at most ${datagram_bytes_max} allowed`);
  if (bytes[0] !== magic[0] || bytes[1] !== magic[1]) fail('BAD_MAGIC', 'request: magic is not "SC"');
  if (bytes[2] !== protocol_version) fail('BAD_VERSION', `request: version ${bytes[2]}, expected ${protocol_version}`);
  return requestHeaderOf(bytes);
}

/** Kind and request id of bytes at least a request header long, whatever their magic and version (a BAD_REQUEST reply names them). */
export function requestHeaderOf(bytes: Uint8Array): { kind: number; requestId: number } {
  if (bytes.length < request_header_bytes) fail('REQUEST_TOO_SHORT', `request: ${bytes.length} bytes, shorter than a header`);
  return { kind: bytes[3]!, requestId: view(bytes).getUint32(4) };
}

/**
 * Strict decode: known kind, exact body, zero padding. Fields are views into `bytes`;
 * copy them to keep them past the datagram's handler. `header` is peekRequest's answer,
 * when the caller has it already.
 */
export function decodeRequest(bytes: Uint8Array, header: { kind: number; requestId: number } = peekRequest(bytes)): Request {
  const { kind, requestId } = header;
  const bodyBytes = requestBodyBytes[kind];
  if (bodyBytes === undefined) fail('UNKNOWN_KIND', `request: kind 0x${kind.toString(16).padStart(2, '0')}`);
  let bodyEnd = request_header_bytes + bodyBytes;
  // CHANGE carries a change of any size that fits: its length comes first.
  if (kind === Kind.CHANGE && bytes.length >= bodyEnd) bodyEnd += view(bytes).getUint16(request_header_bytes);
  // Padding to 128 bytes does not make room for a PAY's 140-byte body: a shorter datagram
  // would otherwise yield a truncated transaction (and could not be re-encoded).
  if (bytes.length < bodyEnd) fail('REQUEST_TOO_SHORT', `request: ${kindName[kind]} needs ${bodyEnd} bytes, got ${bytes.length}`);
  for (let i = bodyEnd; i < bytes.length; i++) {
    if (bytes[i] !== 0) fail('BAD_PADDING', `request: padding byte ${i} is not zero`);
  }
  const body = bytes.subarray(request_header_bytes, bodyEnd);
  const length = bytes.length;
  switch (kind) {
    case Kind.PAY:
      return { kind, requestId, transaction: body, length };
    case Kind.PAYREF:
      // Reference 0 is the 140-byte form: one payment, one encoding.
      if (referenceOf(body) === 0n) fail('OUT_OF_RANGE', 'request: PAYREF with reference 0: a payment without a reference is sent with PAY');
      return { kind, requestId, transaction: body, length };
    case Kind.BALANCE:
      return { kind, requestId, account: body, length };
    case Kind.STATUS:
      return { kind, requestId, txid: body, length };
    case Kind.INFO:
      return { kind, requestId, length };
    case Kind.HISTORY: {
      const reader = new Reader(body, 'HISTORY request');
      const account = reader.bytesView(key_bytes, 'account');
      const beforePeriod = reader.u64('before_period');
      const beforeIndex = reader.u32('before_index');
      // "From the newest" has one encoding: a cursor index without a cursor period is refused.
      if (beforePeriod === 0 && beforeIndex !== 0) fail('OUT_OF_RANGE', `request: HISTORY before_index ${beforeIndex} with before_period 0 (from the newest): it must be 0`);
      return { kind, requestId, account, beforePeriod, beforeIndex, length };
    }
    case Kind.EVIDENCE:
      return { kind, requestId, index: view(body).getUint16(0), length };
    case Kind.ADDRESSES:
      return { kind, requestId, from: view(body).getUint16(0), length };
    case Kind.CONFIG:
      return { kind, requestId, index: view(body).getUint16(0), offset: view(body).getUint16(2), length };
    case Kind.CHANGE:
      if (body.length === 2) fail('REQUEST_TOO_SHORT', 'request: CHANGE carries no change');
      return { kind, requestId, change: body.subarray(2), length };
    default:
      return { kind: Kind.WHOAMI, requestId, length };
  }
}

// ---- replies --------------------------------------------------------------------------

export interface PayBody {
  period: number;
  txid: Uint8Array;
}
export interface BalanceBody {
  account: Uint8Array;
  balance: number;
  committedPeriod: number;
  stateHash: Uint8Array;
}
export interface StatusBody {
  txid: Uint8Array;
  state: PaymentState;
  period: number;
}
export interface InfoBody {
  networkId: Uint8Array;
  serverIndex: number;
  serverCount: number;
  now: number;
  currentPeriod: number;
  alphaIndex: number;
  committedPeriod: number;
  stateHash: Uint8Array;
  lastHeard: number[];
}
export interface WhoamiBody {
  address: Uint8Array;
}
export interface TooShortBody {
  needed: number;
}
/** A payment as a HISTORY reply lists it: where it is in the archive, and whether it applied. */
export interface ListedPayment {
  period: number;
  /** Its position in its period's batch. */
  index: number;
  /** Outcome bit 0x01: applied; clear: skipped at re-validation (void). */
  applied: boolean;
  /** 140 bytes, or 148 with a reference (outcome bit 0x02). */
  transaction: Uint8Array;
}
export interface HistoryBody {
  account: Uint8Array;
  committedPeriod: number;
  /** The server holds every committed period after this one (0: since genesis). */
  archiveFrom: number;
  /** Newest first, strictly decreasing in (period, index). */
  entries: ListedPayment[];
}

/** Signed address records of servers that moved, by server index (the client checks each signature). */
export interface AddressesBody {
  records: AddressRecord[];
}

export type ReplyBody = PayBody | BalanceBody | StatusBody | InfoBody | WhoamiBody | TooShortBody | HistoryBody | EvidenceBody | AddressesBody | ConfigBody | ChangeBody | null;

export interface Reply {
  kind: Kind;
  requestId: number;
  status: Status;
  body: ReplyBody;
  serverKey: Uint8Array;
  signature: Uint8Array;
  /** The signed bytes (everything before the server key), for verification. */
  signed: Uint8Array;
}

function isSuccess(kind: number, status: number): boolean {
  return kind === Kind.PAY || kind === Kind.PAYREF ? status === Status.ACCEPTED || status === Status.FORWARDED : status === Status.OK;
}

export function encodeReplyBody(kind: Kind, status: Status, body: ReplyBody): Uint8Array {
  if (status === Status.TOO_SHORT) return new Writer(2).u16((body as TooShortBody).needed).done();
  if (!isSuccess(kind, status)) return new Uint8Array(0);
  switch (kind) {
    case Kind.PAY:
    case Kind.PAYREF: {
      const b = body as PayBody;
      return new Writer(successBodyBytes(kind, 0)).u64(b.period).put(abytes(b.txid, hash_bytes, 'txid')).done();
    }
    case Kind.BALANCE: {
      const b = body as BalanceBody;
      return new Writer(successBodyBytes(kind, 0))
        .put(abytes(b.account, key_bytes, 'account'))
        .u32(b.balance)
        .u64(b.committedPeriod)
        .put(abytes(b.stateHash, hash_bytes, 'stateHash'))
        .done();
    }
    case Kind.STATUS: {
      const b = body as StatusBody;
      return new Writer(successBodyBytes(kind, 0)).put(abytes(b.txid, hash_bytes, 'txid')).u8(b.state).u64(b.period).done();
    }
    case Kind.INFO: {
      const b = body as InfoBody;
      const writer = new Writer(successBodyBytes(kind, b.lastHeard.length))
        .put(abytes(b.networkId, hash_bytes, 'networkId'))
        .u16(b.serverIndex)
        .u16(b.serverCount)
        .u64(b.now)
        .u64(b.currentPeriod)
        .u16(b.alphaIndex)
        .u64(b.committedPeriod)
        .put(abytes(b.stateHash, hash_bytes, 'stateHash'));
      for (const period of b.lastHeard) writer.u64(period);
      return writer.done();
    }
    case Kind.WHOAMI:
      return abytes((body as WhoamiBody).address, address_bytes, 'address').slice();
    case Kind.HISTORY: {
      const b = body as HistoryBody;
      aint(b.entries.length, 0, history_entries_max, 'entries.length');
      let size = history_body_fixed_bytes;
      for (const entry of b.entries) {
        if (!isPaymentLength(abytes(entry.transaction, undefined, 'transaction').length)) fail('BAD_LENGTH', `transaction: ${entry.transaction.length} bytes, expected ${transaction_bytes} or ${referenced_transaction_bytes}`);
        size += historyEntryBytesOf(entry.transaction);
      }
      const writer = new Writer(size)
        .put(abytes(b.account, key_bytes, 'account'))
        .u64(b.committedPeriod)
        .u64(b.archiveFrom)
        .u8(b.entries.length);
      for (const entry of b.entries) {
        const outcome = (entry.applied ? history_outcome_applied : 0) | (hasReference(entry.transaction) ? history_outcome_reference : 0);
        writer.u64(entry.period).u32(entry.index).u8(outcome).put(entry.transaction);
      }
      return writer.done();
    }
    case Kind.EVIDENCE:
      return encodeEvidenceBody(body as EvidenceBody);
    case Kind.ADDRESSES: {
      const records = (body as AddressesBody).records;
      aint(records.length, 0, addresses_per_reply_max, 'records.length');
      return concat(Uint8Array.of(records.length), ...records.map(encodeAddressRecord));
    }
    case Kind.CONFIG: {
      const b = body as ConfigBody;
      return new Writer(config_body_fixed_bytes + b.chunk.length)
        .u16(aint(b.changes, 0, 0xffff, 'changes'))
        .u32(aint(b.latest, 0, 0xffff_ffff, 'latest'))
        .u64(b.latestFirst)
        .u64(b.committedPeriod)
        .u16(aint(b.index, 0, 0xffff, 'index'))
        .u16(aint(b.total, 0, 0xffff, 'total'))
        .u16(aint(b.offset, 0, 0xffff, 'offset'))
        .u16(b.chunk.length)
        .put(b.chunk)
        .done();
    }
    case Kind.CHANGE: {
      const b = body as ChangeBody;
      return new Writer(5).u8(aint(b.verdict, 0, 0xff, 'verdict')).u32(aint(b.latest, 0, 0xffff_ffff, 'latest')).done();
    }
  }
}

function writeDecision(writer: Writer, decision: Decision): Writer {
  return writer.u64(decision.period).u64(decision.parent).put(abytes(decision.parentHash, hash_bytes, 'parentHash')).put(abytes(decision.hash, hash_bytes, 'hash'));
}

function encodeEvidenceBody(b: EvidenceBody): Uint8Array {
  const index = aint(b.index, 0, 0xffff, 'index');
  const count = aint(b.count, 0, evidence_kept_max, 'count');
  const stoppedBy = aint(b.stoppedBy, 0, count, 'stoppedBy');
  const fixed = (form: number, extra: number) => new Writer(evidence_reply_fixed_bytes + extra).u16(index).u16(count).u16(stoppedBy).u8(form);
  if (b.evidence !== null) {
    const evidence = encodeEvidence(b.evidence);
    if (index >= count || b.summary !== null || evidence.length > evidence_whole_bytes_max) throw new Error('assertion failed: whole evidence that fits, at an index the server holds');
    return fixed(EvidenceForm.WHOLE, evidence.length).put(evidence).done();
  }
  if (b.summary !== null) {
    const summary = b.summary;
    if (index >= count || summary.bytes <= evidence_whole_bytes_max) throw new Error('assertion failed: a summary only for a fork too large for a datagram');
    const writer = fixed(EvidenceForm.FORK_SUMMARY, fork_summary_bytes).u32(aint(summary.bytes, 0, evidence_bytes_max, 'summary.bytes')).put(abytes(summary.digest, hash_bytes, 'digest'));
    return writeDecision(writeDecision(writer, summary.a), summary.b).done();
  }
  if (index < count) throw new Error('assertion failed: evidence at an index the server holds');
  return fixed(EvidenceForm.NONE, 0).done();
}

/** Everything before the server key: what the signature covers, after the domain and network id. */
export function encodeReplyUnsigned(kind: Kind, requestId: number, status: Status, body: ReplyBody): Uint8Array {
  const bodyBytes = encodeReplyBody(kind, status, body);
  return new Writer(reply_header_bytes + bodyBytes.length)
    .u8(magic[0])
    .u8(magic[1])
    .u8(protocol_version)
    .u8(kind | 0x80)
    .u32(requestId)
    .u8(status)
    .put(bodyBytes)
    .done();
}

export function replySigningMessage(networkId: Uint8Array, unsigned: Uint8Array): Uint8Array {
  return concat(domain.reply, networkId, unsigned);
}

export function encodeReply(
  kind: Kind,
  requestId: number,
  status: Status,
  body: ReplyBody,
  signer: Signer,
  networkId: Uint8Array,
): Uint8Array {
  const unsigned = encodeReplyUnsigned(kind, requestId, status, body);
  return concat(unsigned, signer.publicKey, signer.sign(replySigningMessage(networkId, unsigned)));
}

/** Strict decode of a reply's structure. The signature is checked by verifyReply. */
export function decodeReply(bytes: Uint8Array): Reply {
  abytes(bytes, undefined, 'reply');
  if (bytes.length < reply_header_bytes + reply_trailer_bytes) fail('BAD_REPLY', `reply: ${bytes.length} bytes is too short`);
  if (bytes.length > datagram_bytes_max) fail('BAD_REPLY', `reply: ${bytes.length} bytes is too long`);
  const reader = new Reader(bytes, 'reply');
  if (reader.u8('magic') !== magic[0] || reader.u8('magic') !== magic[1]) fail('BAD_REPLY', 'reply: magic is not "SC"');
  if (reader.u8('version') !== protocol_version) fail('BAD_REPLY', 'reply: unknown version');
  const kindByte = reader.u8('kind');
  const kind = (kindByte & 0x7f) as Kind;
  if ((kindByte & 0x80) === 0 || requestBodyBytes[kind] === undefined) fail('BAD_REPLY', `reply: kind 0x${kindByte.toString(16)}`);
  const requestId = reader.u32('requestId');
  const status = reader.u8('status') as Status;
  if (statusName[status] === undefined) fail('BAD_REPLY', `reply: unknown status 0x${status.toString(16)}`);
  const bodyLength = bytes.length - reply_header_bytes - reply_trailer_bytes;
  const bodyReader = new Reader(reader.bytesView(bodyLength, 'body'), `reply body`);
  let body: ReplyBody = null;
  if (status === Status.TOO_SHORT) {
    body = { needed: bodyReader.u16('needed') };
  } else if (isSuccess(kind, status)) {
    switch (kind) {
      case Kind.PAY:
      case Kind.PAYREF:
        body = { period: bodyReader.u64('period'), txid: bodyReader.take(hash_bytes, 'txid') };
        break;
      case Kind.BALANCE:
        body = {
          account: bodyReader.take(key_bytes, 'account'),
          balance: bodyReader.u32('balance'),
          committedPeriod: bodyReader.u64('committedPeriod'),
          stateHash: bodyReader.take(hash_bytes, 'stateHash'),
        };
        break;
      case Kind.STATUS: {
        const txid = bodyReader.take(hash_bytes, 'txid');
        const state = bodyReader.u8('state');
        if (state > PaymentState.VOID) fail('BAD_REPLY', `reply: payment state ${state}`);
        body = { txid, state: state as PaymentState, period: bodyReader.u64('period') };
        break;
      }
      case Kind.INFO: {
        const fixed = {
          networkId: bodyReader.take(hash_bytes, 'networkId'),
          serverIndex: bodyReader.u16('serverIndex'),
          serverCount: bodyReader.u16('serverCount'),
          now: bodyReader.u64('now'),
          currentPeriod: bodyReader.u64('currentPeriod'),
          alphaIndex: bodyReader.u16('alphaIndex'),
          committedPeriod: bodyReader.u64('committedPeriod'),
          stateHash: bodyReader.take(hash_bytes, 'stateHash'),
        };
        if (fixed.serverCount < 1 || fixed.serverCount > servers_max || (fixed.serverIndex >= fixed.serverCount && fixed.serverIndex !== joining_server_index)) {
          fail('BAD_REPLY', `reply: server ${fixed.serverIndex} of ${fixed.serverCount}`);
        }
        const lastHeard: number[] = [];
        for (let i = 0; i < fixed.serverCount; i++) lastHeard.push(bodyReader.u64(`lastHeard[${i}]`));
        body = { ...fixed, lastHeard };
        break;
      }
      case Kind.WHOAMI:
        body = { address: bodyReader.take(address_bytes, 'address') };
        break;
      case Kind.HISTORY:
        body = readHistoryBody(bodyReader);
        break;
      case Kind.EVIDENCE:
        body = readEvidenceBody(bodyReader);
        break;
      case Kind.ADDRESSES:
        body = readAddressesBody(bodyReader);
        break;
      case Kind.CONFIG: {
        const fixed = {
          changes: bodyReader.u16('changes'),
          latest: bodyReader.u32('latest'),
          latestFirst: bodyReader.u64('latestFirst'),
          committedPeriod: bodyReader.u64('committedPeriod'),
          index: bodyReader.u16('index'),
          total: bodyReader.u16('total'),
          offset: bodyReader.u16('offset'),
        };
        const chunk = bodyReader.take(bodyReader.u16('chunk.length'), 'chunk');
        if (fixed.offset + chunk.length > fixed.total || (fixed.index >= fixed.changes && fixed.total !== 0)) {
          fail('BAD_REPLY', `reply: CONFIG bytes ${fixed.offset}..${fixed.offset + chunk.length} of change ${fixed.index} are beyond its ${fixed.total} bytes`);
        }
        body = { ...fixed, chunk };
        break;
      }
      case Kind.CHANGE: {
        const verdict = bodyReader.u8('verdict');
        if (changeVerdictName[verdict] === undefined) fail('BAD_REPLY', `reply: CHANGE verdict ${verdict}`);
        body = { verdict: verdict as ChangeVerdict, latest: bodyReader.u32('latest') };
        break;
      }
    }
  }
  bodyReader.end();
  const serverKey = reader.take(key_bytes, 'serverKey');
  const signature = reader.take(signature_bytes, 'signature');
  reader.end();
  return { kind, requestId, status, body, serverKey, signature, signed: bytes.subarray(0, bytes.length - reply_trailer_bytes) };
}

/**
 * A HISTORY body, strictly: at most history_entries_max entries filling the body exactly,
 * outcomes of bits 0x01 (applied) and 0x02 (the 148-byte form) only, no reference 0,
 * indexes within a batch, newest first with no repeat, and every entry a committed period
 * this server holds (archive_from < period ≤ committed period).
 */
function readHistoryBody(reader: Reader): HistoryBody {
  const account = reader.take(key_bytes, 'account');
  const committedPeriod = reader.u64('committedPeriod');
  const archiveFrom = reader.u64('archiveFrom');
  if (archiveFrom > committedPeriod) fail('BAD_REPLY', `reply: HISTORY archive_from ${archiveFrom} is after the committed period ${committedPeriod}`);
  const count = reader.u8('count');
  if (count > history_entries_max) fail('BAD_REPLY', `reply: HISTORY lists ${count} payments, at most ${history_entries_max}`);
  const entries: ListedPayment[] = [];
  for (let i = 0; i < count; i++) {
    if (reader.remaining < history_entry_bytes) fail('BAD_REPLY', `reply: HISTORY count ${count}, but the body ends inside entry ${i}`);
    const period = reader.u64(`entries[${i}].period`);
    const index = reader.u32(`entries[${i}].index`);
    const outcome = reader.u8(`entries[${i}].outcome`);
    if ((outcome & ~(history_outcome_applied | history_outcome_reference)) !== 0) fail('BAD_REPLY', `reply: HISTORY entry ${i} has outcome 0x${outcome.toString(16)}, only bits 0x01 and 0x02 are defined`);
    const length = (outcome & history_outcome_reference) === 0 ? transaction_bytes : referenced_transaction_bytes;
    if (reader.remaining < length) fail('BAD_REPLY', `reply: HISTORY count ${count}, but the body ends inside entry ${i}'s payment`);
    const transaction = reader.take(length, `entries[${i}].payment`);
    if (referenceOf(transaction) === 0n) fail('BAD_REPLY', `reply: HISTORY entry ${i} has reference 0 (that payment has a 140-byte form)`);
    if (index >= period_transactions_max) fail('BAD_REPLY', `reply: HISTORY entry ${i} has index ${index}, a batch holds at most ${period_transactions_max}`);
    if (period <= archiveFrom || period > committedPeriod) {
      fail('BAD_REPLY', `reply: HISTORY entry ${i} is in period ${period}, outside what the server holds (${archiveFrom}, ${committedPeriod}]`);
    }
    const previous = entries[i - 1];
    if (previous !== undefined && (period > previous.period || (period === previous.period && index >= previous.index))) {
      fail('BAD_REPLY', `reply: HISTORY entry ${i} (${period}, ${index}) is not older than the one before (${previous.period}, ${previous.index})`);
    }
    entries.push({ period, index, applied: (outcome & history_outcome_applied) !== 0, transaction });
  }
  if (reader.remaining !== 0) fail('BAD_REPLY', `reply: HISTORY count ${count}, but ${reader.remaining} bytes follow the last entry`);
  return { account, committedPeriod, archiveFrom, entries };
}

/** An ADDRESSES body, strictly: at most addresses_per_reply_max records filling the body exactly, each decoding strictly. */
function readAddressesBody(reader: Reader): AddressesBody {
  const count = reader.u8('count');
  if (count > addresses_per_reply_max) fail('BAD_REPLY', `reply: ADDRESSES lists ${count} records, at most ${addresses_per_reply_max}`);
  if (reader.remaining !== address_record_bytes * count) fail('BAD_REPLY', `reply: ADDRESSES count ${count} needs ${address_record_bytes * count} bytes of records, the body has ${reader.remaining}`);
  const records: AddressRecord[] = [];
  for (let i = 0; i < count; i++) {
    try {
      records.push(readAddressRecord(reader));
    } catch (error) {
      if (!isScrypError(error)) throw error;
      fail('BAD_REPLY', `reply: ADDRESSES record ${i}: ${error.message}`);
    }
  }
  return { records };
}

function readDecision(reader: Reader, what: string): Decision {
  const period = reader.u64(`${what}.period`);
  const parent = reader.u64(`${what}.parent`);
  const parentHash = reader.take(hash_bytes, `${what}.parentHash`);
  const hash = reader.take(hash_bytes, `${what}.hash`);
  if (period === 0 ? parent !== 0 : parent >= period) fail('BAD_REPLY', `reply: EVIDENCE ${what}: parent ${parent} is not before period ${period}`);
  return { period, parent, parentHash, hash };
}

/**
 * An EVIDENCE body, strictly: at most evidence_kept_max held, stopped_by within them, the
 * form that the index and the evidence's size call for (none past the end; whole when it
 * fits a datagram; a summary only for a fork that does not), the evidence decoded strictly
 * and filling the body, and the evidence that stopped the server a fork. Whether the
 * evidence proves anything is for the client to check (consensus/evidence.ts checkEvidence).
 */
function readEvidenceBody(reader: Reader): EvidenceBody {
  const index = reader.u16('index');
  const count = reader.u16('count');
  const stoppedBy = reader.u16('stoppedBy');
  const form = reader.u8('form');
  if (count > evidence_kept_max) fail('BAD_REPLY', `reply: EVIDENCE count ${count}, a server keeps at most ${evidence_kept_max}`);
  if (stoppedBy > count) fail('BAD_REPLY', `reply: EVIDENCE stopped by evidence ${stoppedBy - 1}, but it holds ${count}`);
  const expected = index >= count ? [EvidenceForm.NONE] : [EvidenceForm.WHOLE, EvidenceForm.FORK_SUMMARY];
  if (!(expected as number[]).includes(form)) fail('BAD_REPLY', `reply: EVIDENCE form ${form} for index ${index} of ${count}`);
  let evidence: Evidence | null = null;
  let summary: ForkSummary | null = null;
  if (form === EvidenceForm.WHOLE) {
    try {
      evidence = readEvidence(reader);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      fail('BAD_REPLY', `reply: EVIDENCE ${index}: ${error.message}`);
    }
    if (index === stoppedBy - 1 && evidence.kind !== 'fork') fail('BAD_REPLY', `reply: EVIDENCE ${index} stopped the server but is not a fork (${evidence.kind})`);
  } else if (form === EvidenceForm.FORK_SUMMARY) {
    const bytes = reader.u32('bytes');
    if (bytes <= evidence_whole_bytes_max || bytes > evidence_bytes_max) {
      fail('BAD_REPLY', `reply: EVIDENCE summary of ${bytes} bytes: only a fork of ${evidence_whole_bytes_max + 1}..${evidence_bytes_max} bytes is summed up`);
    }
    summary = { bytes, digest: reader.take(hash_bytes, 'digest'), a: readDecision(reader, 'a'), b: readDecision(reader, 'b') };
  }
  return { index, count, stoppedBy, evidence, summary };
}

export function verifyReply(reply: Reply, networkId: Uint8Array): boolean {
  return verify(reply.signature, replySigningMessage(networkId, reply.signed), reply.serverKey);
}
