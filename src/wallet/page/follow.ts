// Following something until it ends (a payment from Sign and send to Committed, a sale at
// the till): ask, show the answer, wait, ask again. The wait ends early when the wallet
// says something changed (Changes): the pocket wallet runs in the page, so it knows the
// moment a payment moves a step, and the screen shows it then rather than at the next turn
// of a timer. No DOM here: the screens render, api.ts asks.

/** Wakes whoever waits for the next change (a payment's step). */
export class Changes {
  private waiting: (() => void)[] = [];

  happened(): void {
    const woken = this.waiting;
    this.waiting = [];
    for (const wake of woken) wake();
  }

  /** Settles at the next change, or after `ms` at most. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const woken = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((wake) => wake !== woken);
        resolve();
      }, ms);
      this.waiting.push(woken);
    });
  }
}

export interface Following<T> {
  /** The longest wait between two answers. */
  readonly everyMs: number;
  /** At most this many asks: the caller's bound on how long the thing can last. */
  readonly rounds: number;
  /** False once the screen moved on: nothing more is asked or shown. */
  wanted(): boolean;
  render(view: T): void;
  failed(error: unknown): void;
  /** Waits `ms`, or less when something changed (Changes.next), or exactly `ms`. */
  wait(ms: number): Promise<void>;
}

/**
 * Asks and renders each answer until one is final, or until `wanted()` says the screen
 * moved on; a failed ask is shown and asked again within a second.
 */
export async function follow<T extends { readonly final: boolean }>(ask: () => Promise<T>, options: Following<T>): Promise<void> {
  for (let round = 0; round < options.rounds && options.wanted(); round++) {
    let view: T;
    try {
      view = await ask();
    } catch (error) {
      if (!options.wanted()) return;
      options.failed(error);
      await options.wait(1000);
      continue;
    }
    if (!options.wanted()) return;
    options.render(view);
    if (view.final) return;
    await options.wait(options.everyMs);
  }
}
