// SendBudget: bounds the response bytes written to xDS streams but not yet flushed to their sockets, across all streams.

/**
 * Flow control for the push path: a response takes its size from the budget before it is written and gives it
 * back when the transport has flushed it (the write callback, which waits for HTTP/2 flow control, i.e. for the
 * client to read). When the budget is spent, streams wait in FIFO order instead of buffering responses in memory:
 * 2000 proxies syncing at once cost at most the budget in buffers, not 2000 full configurations. A response larger
 * than the whole budget is let through when nothing else is in flight, so nothing waits forever.
 */
export class SendBudget {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  /** True while a woken waiter runs: its tryTake goes ahead of the others still queued. */
  private waking = false;

  constructor(private readonly maxBytes: number) {}

  /** Bytes written and not yet flushed. */
  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** Streams waiting for budget. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes `bytes` if they fit now (and nobody waits before us); false means: call `wait` and try again when woken. */
  tryTake(bytes: number): boolean {
    if (this.maxBytes <= 0) return true;
    if ((this.waiters.length > 0 && !this.waking) || (this.inFlight > 0 && this.inFlight + bytes > this.maxBytes)) return false;
    this.inFlight += bytes;
    return true;
  }

  /** Runs `wake` (once) when budget is released; the woken caller then calls `tryTake` again. */
  wait(wake: () => void): void {
    // A stream woken but refused again keeps its place at the head of the queue.
    if (this.waking) this.waiters.unshift(wake);
    else this.waiters.push(wake);
  }

  /** Returns bytes taken by `tryTake`, waking waiters while there is room. */
  release(bytes: number): void {
    if (this.maxBytes <= 0) return;
    this.inFlight = Math.max(0, this.inFlight - bytes);
    // Wake in order while room remains; each woken stream takes its share through tryTake, ahead of the queue.
    // One that finds no room waits again at the head, and waking stops until the next release.
    while (this.waiters.length > 0 && this.inFlight < this.maxBytes) {
      const wake = this.waiters.shift()!;
      const before = this.inFlight;
      const queued = this.waiters.length;
      this.waking = true;
      try {
        wake();
      } finally {
        this.waking = false;
      }
      if (this.inFlight === before && this.waiters.length > queued) break;
    }
  }
}
