// The till: the sales a wallet is taking now (sale.ts says what counts), and the asking
// that decides them. One check reads the account's newest payments from every server
// (HISTORY, believed where a majority lists the same bytes: client/history.ts) and judges
// every open sale at once; checks come right after each period's commit is due
// (sale.ts nextCheck), while someone looks at a sale's screen. A sale whose screen no one
// has asked about for till_unwatched_ms stops the asking (a closed tab); a look starts it
// again. Paid and over are final; any other sale is followed until till_late_watch_ms
// after it expired (to say that a payment came too late), then left as it is.
//
// The same code runs in the `scryp wallet` process and in the pocket wallet's page: the
// servers are asked through the `read` the wallet service gives.

import type { HistoryEntry } from '../client/history.ts';
import { confirm_poll_first_ms, till_late_watch_ms, till_sales_max, till_unwatched_ms } from '../constants.ts';
import { fail } from '../errors.ts';
import type { Timing } from '../schedule.ts';
import type { TillView } from './api-types.ts';
import { final_sale_states, judgeSale, nextCheck, type SaleTerms, saleInWords, type SaleVerdict, saleTerms } from './sale.ts';

/** What one check read: the account's payments from `since` on, and the majority's committed period (null: no majority answered). */
export interface TillRead {
  readonly entries: readonly HistoryEntry[];
  readonly committedPeriod: number | null;
}

export interface TillOptions {
  /** The account the till takes payments into. */
  readonly account: Uint8Array;
  readonly timing: () => Timing;
  readonly quorum: () => number;
  readonly now: () => number;
  readonly lifetimeMs: number;
  /** The account's payments in periods `since` and later (and the majority's committed period). */
  readonly read: (since: number) => Promise<TillRead>;
  /** The payment request of a sale (text and QR code), for the amount still asked. */
  readonly request: (amount: number, reference: bigint, note: string) => { uri: string; qr: string };
  readonly newId: () => string;
  readonly newReference: () => bigint;
  readonly log: { error(message: string): void };
}

interface Sale {
  readonly id: string;
  readonly terms: SaleTerms;
  readonly note: string;
  readonly startedAt: number;
  readonly request: { uri: string; qr: string };
  verdict: SaleVerdict;
  /** The majority's committed period at the check that gave the verdict its state (null: still waiting). */
  decidedAt: number | null;
  cancelled: boolean;
  viewedAt: number;
}

const waiting: SaleVerdict = { state: 'waiting', received: 0, payments: [], closed: false };

export class Till {
  private readonly sales = new Map<string, Sale>();
  private committedPeriod: number | null = null;
  private nextAt = 0;
  private gapMs = confirm_poll_first_ms;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reading: Promise<void> | null = null;
  /** Why the last check could not decide (no majority answered), or null. */
  private trouble: string | null = null;

  constructor(private readonly options: TillOptions) {}

  /** A new sale of `amount` scryp with a fresh reference; `note` goes to the payer in the request. */
  start(amount: number, note: string): TillView {
    const now = this.options.now();
    if (this.sales.size >= till_sales_max) {
      // The oldest sale no one follows any more makes room; if every one is open, the oldest goes.
      const old = [...this.sales.values()].find((sale) => !this.watching(sale, now)) ?? this.sales.values().next().value!;
      this.sales.delete(old.id);
    }
    const reference = this.options.newReference();
    const sale: Sale = {
      id: this.options.newId(),
      terms: saleTerms(this.options.timing(), this.options.account, reference, amount, now, this.options.lifetimeMs),
      note,
      startedAt: now,
      request: this.options.request(amount, reference, note),
      verdict: waiting,
      decidedAt: null,
      cancelled: false,
      viewedAt: now,
    };
    this.sales.set(sale.id, sale);
    this.schedule();
    return this.view(sale.id);
  }

  /** The sale as the screen shows it; looking at it keeps it followed. */
  view(id: string): TillView {
    const sale = this.sales.get(id);
    if (sale === undefined) fail('WALLET_REQUEST', `sale ${id.slice(0, 40)}: not a sale of this till (it was cancelled, or the wallet restarted): start a new sale`);
    sale.viewedAt = this.options.now();
    this.schedule();
    return this.describe(sale);
  }

  /** The seller left the sale (New sale, Cancel): it is no longer followed. */
  cancel(id: string): void {
    const sale = this.sales.get(id);
    if (sale !== undefined) sale.cancelled = true;
  }

  private watching(sale: Sale, now: number): boolean {
    if (sale.cancelled || final_sale_states.includes(sale.verdict.state)) return false;
    return now < sale.startedAt + this.options.lifetimeMs + till_late_watch_ms;
  }

  private active(now: number): Sale[] {
    return [...this.sales.values()].filter((sale) => this.watching(sale, now) && now - sale.viewedAt < till_unwatched_ms);
  }

  /** Asks again at the next check's time while some open sale is looked at; one check at a time. */
  private schedule(): void {
    if (this.timer !== null || this.reading !== null) return;
    const now = this.options.now();
    if (this.active(now).length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.reading = this.check().finally(() => {
          this.reading = null;
          this.schedule();
        });
      },
      Math.max(0, this.nextAt - now),
    );
  }

  private async check(): Promise<void> {
    const open = this.active(this.options.now());
    if (open.length === 0) return;
    let read: TillRead | null = null;
    try {
      read = await this.options.read(Math.min(...open.map((sale) => sale.terms.firstPeriod)));
    } catch (error) {
      this.options.log.error(`till: asking the servers failed: ${(error as Error).stack ?? String(error)}`);
    }
    const checkedAt = this.options.now();
    const committed = read?.committedPeriod ?? null;
    this.trouble = committed === null ? 'No majority of the servers answers now: the till keeps asking.' : null;
    if (read !== null && committed !== null && (this.committedPeriod === null || committed >= this.committedPeriod)) {
      this.committedPeriod = committed;
      for (const sale of open) {
        const verdict = judgeSale(sale.terms, read.entries, committed, this.options.quorum());
        if (verdict.state !== sale.verdict.state) sale.decidedAt = committed;
        sale.verdict = verdict;
      }
    }
    const next = nextCheck(this.options.timing(), checkedAt, committed, this.gapMs);
    this.nextAt = next.at;
    this.gapMs = next.gapMs;
  }

  private describe(sale: Sale): TillView {
    const { terms, verdict } = sale;
    const rest = verdict.state === 'short' && !verdict.closed ? this.options.request(terms.amount - verdict.received, terms.reference, sale.note) : null;
    return {
      id: sale.id,
      amount: terms.amount,
      note: sale.note,
      reference: terms.reference.toString(),
      uri: sale.request.uri,
      qr: sale.request.qr,
      startedAt: new Date(sale.startedAt).toISOString(),
      expiresAt: new Date(sale.startedAt + this.options.lifetimeMs).toISOString(),
      state: verdict.state,
      final: !this.watching(sale, this.options.now()),
      words: saleInWords(terms, verdict, this.options.lifetimeMs),
      received: verdict.received,
      payments: verdict.payments.map((payment) => ({ ...payment, time: new Date(payment.timestamp).toISOString() })),
      rest: rest === null ? null : { amount: terms.amount - verdict.received, ...rest },
      committedPeriod: this.committedPeriod,
      decidedAt: sale.decidedAt,
      trouble: this.trouble,
    };
  }
}
