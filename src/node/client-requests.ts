// One client request, whichever transport carried it (docs/PROTOCOL.md §6): the request's
// bytes, where it came from and the time in; the exact signed reply out, or no reply and
// why. The UDP edge (server.ts) and the HTTP gateway (gateway.ts) both hand their bytes
// here, so the same bytes get the same answer over either: the edges add framing, limits
// and CORS, never rules.
//
//   rate limit (per source host, shared by both edges)  over: RATE_LIMITED once a second, else nothing
//   header: length, magic, version                     a foreign or short datagram: nothing;
//                                                      another version: BAD_REQUEST
//   strict decode of kind, body and padding            malformed: BAD_REQUEST
//   the answer (core queries, PAY through the verifier thread, asynchronously)
//
// Every request ends in exactly one outcome, counted per edge (`udp`, `http`):
// <edge>_in = Σ <edge>_dropped_<why> + Σ <edge>_answered_<status> once nothing is in flight.

import { reply_trailer_bytes } from '../constants.ts';
import { type ErrorCode, isScrypError, type ScrypError } from '../errors.ts';
import {
  addressRecordsThatFit,
  ChangeVerdict,
  configChunkThatFits,
  decodeRequest,
  encodeReplyUnsigned,
  historyEntriesThatFit,
  historyPageThatFits,
  Kind,
  kindName,
  peekRequest,
  replySigningMessage,
  type ReplyBody,
  type Request,
  requestHeaderOf,
  Status,
  statusName,
} from '../client/codec.ts';
import { decodeChange } from '../consensus/configuration.ts';
import { pack } from '../ip.ts';
import { LogLimiter, type Logger } from '../log.ts';
import type { Signer } from '../signature.ts';
import { timestampOf } from '../transaction.ts';
import type { ServerCore } from './core.ts';
import { evidenceAnswer } from './queries.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { Verifier } from './verifier.ts';

/** The transport a request came by: the prefix of its counters. */
export type Edge = 'udp' | 'http';

/** Where a request came from: the host is what the rate limit counts by, both are what WHOAMI says. */
export interface Source {
  readonly host: string;
  readonly port: number;
}

/** The end of one request: the signed reply to send, or none and why (the counter's suffix). */
export type Answer = { readonly reply: Uint8Array; readonly status: Status } | { readonly reply: null; readonly dropped: string };

export interface ClientRequestsOptions {
  readonly core: ServerCore;
  readonly verifier: Verifier;
  readonly signer: Signer;
  readonly networkId: Uint8Array;
  /** Shared by every edge: a source is one budget whichever transport it uses. */
  readonly rateLimiter: RateLimiter;
  /** At most one RATE_LIMITED reply per source per this long; the rest are dropped unanswered. */
  readonly rateNotices: LogLimiter;
  /** Repeated bad input from one source is logged once per this limiter's period. */
  readonly badInputLogs: LogLimiter;
  readonly log: Logger;
  /** The node's clock: a PAY's rules are applied again when its signature check returns. */
  now(): number;
  count(name: string, by?: number): void;
  /** Runs core work as the node runs all of it: errors handled once, the outbox sent after. */
  run(work: () => void): void;
}

/** One request being answered: what its reply needs besides status and body. */
interface Asked {
  readonly edge: Edge;
  readonly kind: number;
  readonly requestId: number;
  /** A reply is never longer than its request. */
  readonly length: number;
  readonly deliver: (answer: Answer) => void;
}

/** The CHANGE verdict a client hears for a refusal's code. */
function changeVerdictOf(code: ErrorCode): ChangeVerdict {
  switch (code) {
    case 'CHANGE_NOT_CURRENT':
      return ChangeVerdict.NOT_CURRENT;
    case 'CHANGE_SIGNATURES':
      return ChangeVerdict.SIGNATURES;
    case 'CHANGE_BAD_SIGNATURE':
      return ChangeVerdict.BAD_SIGNATURE;
    case 'CHANGE_TOO_LATE':
      return ChangeVerdict.TOO_LATE;
    default:
      return ChangeVerdict.BAD_LIST;
  }
}

export class ClientRequests {
  private readonly core: ServerCore;

  constructor(private readonly options: ClientRequestsOptions) {
    this.core = options.core;
  }

  /**
   * Answers one request. `deliver` is called exactly once: at once for every kind but PAY
   * (whose signature is checked in a worker thread first), or when that check returns.
   * `data` is read only during this call (PAY copies its payment).
   */
  handle(edge: Edge, data: Uint8Array, source: Source, now: number, deliver: (answer: Answer) => void): void {
    const options = this.options;
    options.count(`${edge}_in`);
    const drop = (why: string) => {
      options.count(`${edge}_dropped_${why}`);
      deliver({ reply: null, dropped: why });
    };
    if (!options.rateLimiter.take(source.host, now)) {
      // Said once a second per source, and only to something that is a request at all.
      const header = options.rateNotices.allow(source.host, now) ? headerIfRequest(data) : null;
      if (header === null) return drop('rate_limited');
      return this.reply({ edge, ...header, length: data.length, deliver }, Status.RATE_LIMITED, null);
    }
    let header: { kind: number; requestId: number };
    try {
      header = peekRequest(data);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      this.badInput(edge, error, source.host, now);
      // A well-formed header of another version may hear BAD_REQUEST; anything shorter or foreign hears nothing.
      if (error.code === 'BAD_VERSION') return this.reply({ edge, ...requestHeaderOf(data), length: data.length, deliver }, Status.BAD_REQUEST, null);
      return drop(error.code.toLowerCase());
    }
    let request: Request;
    try {
      request = decodeRequest(data, header);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      this.badInput(edge, error, source.host, now);
      return this.reply({ edge, ...header, length: data.length, deliver }, Status.BAD_REQUEST, null);
    }
    const asked: Asked = { edge, kind: request.kind, requestId: request.requestId, length: data.length, deliver };
    options.run(() => this.withOutcome(asked, () => this.answer(asked, request, source, now)));
  }

  /** Takes one request's worth of a source's rate for something that is not a request (an event stream opened): false when it is spent. */
  admit(source: Source, now: number): boolean {
    return this.options.rateLimiter.take(source.host, now);
  }

  /** Work that ends a request: if it fails on bad input, the request's outcome is <edge>_dropped_error. */
  private withOutcome(asked: Asked, work: () => void): void {
    try {
      work();
    } catch (error) {
      if (isScrypError(error)) {
        this.options.count(`${asked.edge}_dropped_error`);
        asked.deliver({ reply: null, dropped: 'error' });
      }
      throw error;
    }
  }

  private badInput(edge: Edge, error: ScrypError, host: string, now: number): void {
    this.options.count(`${edge}_bad_${error.code.toLowerCase()}`);
    if (this.options.badInputLogs.allow(`${host}:${error.code}`, now)) this.options.log.warn(`bad request from ${host}: ${error.message}`);
  }

  private answer(asked: Asked, request: Request, source: Source, now: number): void {
    const core = this.core;
    const reply = (status: Status, body: ReplyBody) => this.reply(asked, status, body);
    switch (request.kind) {
      case Kind.PAY:
      case Kind.PAYREF: {
        // Either form of payment (140 or 148 bytes): cheap rules here; the signature in a worker thread; then the rules again and the decision.
        const refused = core.precheckPay(request.transaction, now);
        if (refused !== null) {
          this.options.log.debug(`PAY refused at precheck: ${statusName[refused.status]} (timestamp ${timestampOf(request.transaction)}, now ${now})`);
          return reply(refused.status, null);
        }
        const verifier = this.options.verifier;
        if (!verifier.hasRoom) {
          // More payments wait for a signature check than the node holds: refuse, cheaply.
          this.options.count('pay_refused_verify_queue_full');
          return reply(Status.RATE_LIMITED, null);
        }
        const tx = request.transaction.slice(); // the request's buffer is not ours after this call
        verifier.verifyPayment(tx, (valid) =>
          this.options.run(() =>
            this.withOutcome(asked, () => {
              const result = core.handlePay(tx, this.options.now(), valid ? 'valid' : 'invalid');
              const ok = result.status === Status.ACCEPTED || result.status === Status.FORWARDED;
              reply(result.status, ok ? { period: result.period, txid: result.txid } : null);
            }),
          ),
        );
        return;
      }
      case Kind.BALANCE: {
        const result = core.balance(request.account, now);
        return reply(result.status, { account: request.account, balance: result.balance, committedPeriod: core.committed.period, stateHash: core.stateHash });
      }
      case Kind.STATUS: {
        const result = core.paymentStatus(request.txid, now);
        return reply(result.status, { txid: request.txid, state: result.state, period: result.period });
      }
      case Kind.HISTORY: {
        // As many entries as fit the request; asked for one even when none fits, so that
        // the reply says TOO_SHORT with the length one entry needs (307), or, for an account
        // with nothing to list, fits in 154 bytes.
        // Entries with a reference are longer (161 bytes): the page keeps as many as fit.
        const fit = Math.max(1, historyEntriesThatFit(asked.length));
        const result = core.history(request.account, request.beforePeriod, request.beforeIndex, fit, now);
        return reply(result.status, result.body === null ? null : { ...result.body, entries: historyPageThatFits(result.body.entries, asked.length) });
      }
      case Kind.INFO:
        return reply(Status.OK, core.info(now));
      case Kind.EVIDENCE:
        // Answered even while stopped or out of sync: it says why.
        return reply(Status.OK, evidenceAnswer(core.evidence, core.halted !== null, request.index));
      case Kind.WHOAMI:
        return reply(Status.OK, { address: pack(source.host, source.port) });
      case Kind.ADDRESSES: {
        // As many records as fit the request; asked for one at least, so that a request too
        // short for the one it has hears TOO_SHORT with the length one record needs (216).
        const fit = Math.max(1, addressRecordsThatFit(asked.length));
        return reply(Status.OK, { records: core.addressRecords(request.from, fit).records });
      }
      case Kind.CONFIG:
        // As much of the change as fits the request (at least a byte, or TOO_SHORT says how long to ask).
        return reply(Status.OK, core.configPiece(request.index, request.offset, Math.max(1, configChunkThatFits(asked.length))));
      case Kind.CHANGE: {
        let verdict: ChangeVerdict = ChangeVerdict.TAKEN;
        try {
          const refused = core.submitChange(decodeChange(request.change), now);
          if (refused !== null) {
            verdict = changeVerdictOf(refused.code);
            this.badInput(asked.edge, refused, source.host, now); // counted, said once a minute per source and code
          }
        } catch (error) {
          if (!isScrypError(error)) throw error;
          verdict = ChangeVerdict.MALFORMED;
          this.badInput(asked.edge, error, source.host, now);
        }
        return reply(Status.OK, { verdict, latest: core.configurations.latest.number });
      }
    }
  }

  /** Signs a reply, never longer than the request (TOO_SHORT when it would be), and delivers it. */
  private reply(asked: Asked, status: Status, body: ReplyBody): void {
    const signer = this.options.signer;
    let unsigned = encodeReplyUnsigned(asked.kind as Kind, asked.requestId, status, body);
    if (unsigned.length + reply_trailer_bytes > asked.length) {
      unsigned = encodeReplyUnsigned(asked.kind as Kind, asked.requestId, Status.TOO_SHORT, { needed: unsigned.length + reply_trailer_bytes });
      status = Status.TOO_SHORT;
    }
    const bytes = new Uint8Array(unsigned.length + reply_trailer_bytes);
    bytes.set(unsigned);
    bytes.set(signer.publicKey, unsigned.length);
    bytes.set(signer.sign(replySigningMessage(this.options.networkId, unsigned)), unsigned.length + signer.publicKey.length);
    if (bytes.length > asked.length) throw new Error('assertion failed: a reply is never longer than its request');
    const edge = asked.edge;
    const statusWord = statusName[status]?.toLowerCase();
    this.options.count(`${edge}_answered_${statusWord}`);
    this.options.count(`${edge}_reply_${kindName[asked.kind]?.toLowerCase() ?? 'unknown'}_${statusWord}`);
    asked.deliver({ reply: bytes, status });
  }
}

/** The header of something that is a request at all (length, magic, version), or null. */
function headerIfRequest(data: Uint8Array): { kind: number; requestId: number } | null {
  try {
    return peekRequest(data);
  } catch (error) {
    if (!isScrypError(error)) throw error;
    return null;
  }
}
