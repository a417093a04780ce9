// A binary min-heap of timed items, ordered by (time, insertion number): two items due at
// the same instant come out in the order they went in, so a run never depends on how the
// heap happens to break ties.

export interface Timed {
  readonly at: number;
}

interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

export class TimeQueue<T extends Timed> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    const heap = this.heap;
    const entry: Entry<T> = { at: item.at, seq: this.seq++, item };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The time of the next item, or +∞. */
  peekAt(): number {
    return this.heap.length === 0 ? Number.POSITIVE_INFINITY : this.heap[0]!.at;
  }

  pop(): T | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const count = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= count) break;
        const right = left + 1;
        const child = right < count && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top.item;
  }

  /** Removes every item for which `keep` is false, and returns them (rare: a partition heals). */
  filter(keep: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: Entry<T>[] = [];
    for (const entry of this.heap) {
      if (keep(entry.item)) kept.push(entry);
      else removed.push(entry.item);
    }
    if (removed.length === 0) return removed;
    kept.sort((a, b) => (before(a, b) ? -1 : 1));
    this.heap.length = 0;
    for (const entry of kept) this.heap.push(entry); // a sorted array is a heap
    return removed;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
