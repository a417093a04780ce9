// The evidence this server holds (consensus/evidence.ts says what proves what): found here
// (two votes, ballots or proposal headers of one server that conflict, two certificates
// that cannot both hold) or given by a peer and checked. Each piece is kept on disk once,
// logged once, counted against its offender and passed on to every other server; a fork
// stops this server (it answers UNAVAILABLE until an operator acts), at start too.

import { evidence_kept_max } from '../constants.ts';
import { checkEvidence, decodeEvidence, describeEvidence, encodeEvidence, type Evidence, evidenceKey, offenderOf } from '../consensus/evidence.ts';
import type { StoredState } from '../ledger/store.ts';
import type { NodeContext } from './context.ts';

export class EvidenceKept {
  private readonly keys = new Set<string>();

  /** `stored` is what the store loaded at start: the evidence comes back, and a fork among it stops us again. */
  constructor(
    private readonly context: NodeContext,
    stored: StoredState,
  ) {
    for (const bytes of stored.evidence) {
      const evidence = decodeEvidence(bytes);
      this.keys.add(evidenceKey(evidence));
      context.evidence.push(evidence);
      if (evidence.kind === 'fork') this.halt(evidence);
    }
  }

  /** A verified EVIDENCE message from a peer. */
  handle(from: number, evidence: Evidence): void {
    if (this.keys.has(evidenceKey(evidence))) return;
    if (!checkEvidence(this.context.membership().checker, evidence)) return this.context.reject('bad_evidence', `EVIDENCE from server ${from} does not prove what it says: ${describeEvidence(evidence)}`);
    this.note(evidence);
  }

  /**
   * Evidence this server found or was given: kept on disk once, logged once at error,
   * counted, passed on to every other server; a fork stops this server.
   */
  note(evidence: Evidence): void {
    const context = this.context;
    const key = evidenceKey(evidence);
    if (this.keys.has(key)) return;
    // A fork is always kept and always stops us; only proofs against one server are capped
    // (a liar could otherwise fill the store first and fork after, unnoticed).
    if (evidence.kind !== 'fork' && this.keys.size >= evidence_kept_max) return context.count('evidence_dropped');
    this.keys.add(key);
    context.store.recordEvidence(key, encodeEvidence(evidence));
    context.evidence.push(evidence);
    const offender = offenderOf(evidence);
    context.count('equivocations');
    if (offender >= 0) context.count(`equivocations_server_${offender}`);
    context.log.error(`EVIDENCE: ${describeEvidence(evidence)}; kept on disk and passed to the other servers (scryp evidence prints it)`);
    context.send('others', { type: 'evidence', evidence });
    if (evidence.kind === 'fork') this.halt(evidence);
  }

  private halt(evidence: Extract<Evidence, { kind: 'fork' }>): void {
    const context = this.context;
    if (context.halted !== null) return;
    context.halted = `${describeEvidence(evidence)}; this server stopped taking part and answers UNAVAILABLE until an operator acts (docs/OPERATIONS.md)`;
    context.count('halted');
    context.log.error(`STOPPED: ${context.halted}`);
  }
}
