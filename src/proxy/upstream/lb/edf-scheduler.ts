// EdfScheduler: Envoy's earliest-deadline-first scheduler over a fixed set of weighted entries, as a binary heap of indices.

/**
 * Each entry i has a deadline; pick() returns the entry with the earliest deadline (ties: the earlier inserted) and
 * re-inserts it with deadline + 1 / weight(i), the weight being read at that moment (Envoy's pickAndAdd with a
 * weight callback: least-request and slow-start weights change between picks). O(log n) per pick, no allocation.
 */
export class EdfScheduler {
  private readonly heap: Int32Array;
  private readonly deadline: Float64Array;
  private readonly order: Float64Array;
  private seq = 0;

  /** `weight(i)` must be > 0 for every i in [0, size). The first round is pre-advanced by a random number of picks. */
  constructor(private readonly size: number, private readonly weight: (i: number) => number) {
    this.heap = new Int32Array(size);
    this.deadline = new Float64Array(size);
    this.order = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      this.heap[i] = i;
      this.deadline[i] = 1 / safeWeight(weight(i));
      this.order[i] = this.seq++;
    }
    for (let i = (size >> 1) - 1; i >= 0; i--) this.siftDown(i);
    // Envoy (EdfScheduler::createWithPicks) starts at a random point so that proxies do not all begin on the same host.
    for (let n = Math.floor(Math.random() * size); n > 0; n--) this.pick();
  }

  /** The entry with the earliest deadline, re-inserted one period (1 / its current weight) later; -1 when empty. */
  pick(): number {
    if (this.size === 0) return -1;
    const top = this.heap[0];
    this.deadline[top] += 1 / safeWeight(this.weight(top));
    this.order[top] = this.seq++;
    this.siftDown(0);
    return top;
  }

  private less(a: number, b: number): boolean {
    const da = this.deadline[a], db = this.deadline[b];
    return da < db || (da === db && this.order[a] < this.order[b]);
  }

  private siftDown(pos: number): void {
    const heap = this.heap, n = this.size;
    const item = heap[pos];
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(heap[child + 1], heap[child])) child++;
      if (!this.less(heap[child], item)) break;
      heap[pos] = heap[child];
      pos = child;
    }
    heap[pos] = item;
  }
}

/** A weight the scheduler can divide by (a non-positive or NaN weight becomes a tiny one). */
function safeWeight(w: number): number {
  return w > 1e-9 ? w : 1e-9;
}
