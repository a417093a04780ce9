// Payment signatures are the node's heaviest work (about 60 µs each, against a few µs for
// everything else a payment costs). The verifier checks them in worker threads, one per
// spare core, so the thread that owns the sockets keeps reading datagrams. Payments are
// batched: whatever arrives while the pool is busy goes in the next batch, so the cost
// of a message between threads is shared by many payments. Batches stay small (64): with
// 512 the two threads took turns, one answering a whole batch while the other waited for
// the next, and a payment cost more wall time than either thread's work (docs/BENCHMARKS.md).
//
// With no spare core (or workers: 0) it verifies inline, synchronously: the same answers.

import { availableParallelism } from 'node:os';
import { verify_batch_max, verify_pending_max } from '../constants.ts';
import { encodePaymentList, paymentsIn } from '../payment-list.ts';
import { verify } from '../signature.ts';
import { payerOf, signatureOf, signingMessage } from '../transaction.ts';
import type { VerifyRequest, VerifyResponse } from './verify-worker.ts';

type Done = (valid: boolean) => void;

interface Pool {
  readonly worker: Worker;
  inFlight: number;
  alive: boolean;
}

export function defaultVerifyWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}

/**
 * What a worker thread runs: the program's own entry when that is scryp (src/main.ts, or
 * the single executable, whose bundled paths differ from the source tree), else the
 * worker module itself (the verifier used as a library, in benchmarks).
 */
function workerEntry(): string {
  const main = Bun.main;
  if (main.startsWith('/$bunfs/') || main.endsWith('/src/main.ts')) return main;
  return new URL('./verify-worker.ts', import.meta.url).href;
}

export class Verifier {
  private readonly pools: Pool[] = [];
  private readonly waiting = new Map<number, { pool: Pool; transactions: Uint8Array; callbacks: Done[] }>();
  private pending: { tx: Uint8Array; done: Done }[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly networkId: Uint8Array,
    workers = defaultVerifyWorkers(),
    private readonly onWorkerError: (message: string) => void = () => {},
  ) {
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(workerEntry());
      const pool: Pool = { worker, inFlight: 0, alive: true };
      worker.onmessage = (event: MessageEvent<VerifyResponse>) => this.onResults(pool, event.data);
      worker.onerror = (event) => this.onPoolFailed(pool, event.message);
      worker.unref();
      this.pools.push(pool);
    }
  }

  get workers(): number {
    return this.pools.filter((pool) => pool.alive).length;
  }

  private verifyInline(tx: Uint8Array): boolean {
    return verify(signatureOf(tx), signingMessage(this.networkId, tx), payerOf(tx));
  }

  /**
   * A worker died: say so once, stop using it, and check its unanswered payments here.
   * A payment is never left without an answer because a thread failed.
   */
  private onPoolFailed(pool: Pool, message: string): void {
    if (!pool.alive) return;
    pool.alive = false;
    this.onWorkerError(`a signature thread failed (${message}); checking its payments inline`);
    for (const [id, entry] of this.waiting) {
      if (entry.pool !== pool) continue;
      this.waiting.delete(id);
      const payments = paymentsIn(entry.transactions);
      entry.callbacks.forEach((done, i) => done(this.verifyInline(payments[i]!)));
    }
  }

  /** Payments handed in whose answer has not come back yet. */
  private outstanding = 0;

  /**
   * Whether another payment may be handed in: the queue is bounded, since a payment with a
   * funded payer's key and a garbage signature passes every cheap check, and a flood of
   * them from many sources (each within its own rate) must not grow memory without end.
   */
  get hasRoom(): boolean {
    return this.outstanding < verify_pending_max;
  }

  get pendingPayments(): number {
    return this.outstanding;
  }

  /** Checks a payment's signature; `done` runs later (or at once, without workers). */
  verifyPayment(tx: Uint8Array, done: Done): void {
    this.outstanding++;
    const inner = done;
    done = (valid) => {
      this.outstanding--;
      inner(valid);
    };
    if (!this.pools.some((pool) => pool.alive)) {
      done(this.verifyInline(tx));
      return;
    }
    this.pending.push({ tx, done });
    if (this.pending.length >= verify_batch_max) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = [];
    const transactions = encodePaymentList(batch.map((item) => item.tx)); // either form: 140 or 148 bytes each
    const alive = this.pools.filter((pool) => pool.alive);
    if (alive.length === 0) {
      batch.forEach((item) => item.done(this.verifyInline(item.tx)));
      return;
    }
    let pool = alive[0]!;
    for (const candidate of alive) if (candidate.inFlight < pool.inFlight) pool = candidate;
    const id = this.nextId++;
    // The batch is kept (not transferred) so that a failed worker's payments can be checked here.
    this.waiting.set(id, { pool, transactions, callbacks: batch.map((item) => item.done) });
    pool.inFlight++;
    const request: VerifyRequest = { id, networkId: this.networkId, transactions };
    pool.worker.postMessage(request);
  }

  private onResults(pool: Pool, response: VerifyResponse): void {
    pool.inFlight--;
    const entry = this.waiting.get(response.id);
    this.waiting.delete(response.id);
    if (entry === undefined) return;
    entry.callbacks.forEach((done, i) => done(response.valid[i] === 1));
  }

  close(): void {
    this.closed = true;
    for (const pool of this.pools) pool.worker.terminate();
  }
}
