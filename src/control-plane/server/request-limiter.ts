// RequestLimiter: a token bucket admitting new xDS streams at a steady rate (istiod's PILOT_MAX_REQUESTS_PER_SECOND).

/**
 * `perSecond` tokens are added per second, up to a burst of `perSecond` (at least 1); 0 admits everything.
 * Callers over the limit wait in FIFO order; nobody is refused.
 */
export class RequestLimiter {
  private tokens: number;
  private last = performance.now();
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly burst: number;

  constructor(private readonly perSecond: number) {
    this.burst = Math.max(1, perSecond);
    this.tokens = this.burst;
  }

  /** Takes a token: undefined when one was available now, else a promise resolving when it is the caller's turn. */
  admit(): Promise<void> | undefined {
    if (this.perSecond <= 0) return undefined;
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens--;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  /** Admits every waiter now (shutdown). */
  release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(1, ((1 - this.tokens) / this.perSecond) * 1000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens--;
        this.waiters.shift()!();
      }
      if (this.waiters.length > 0) this.schedule();
    }, wait);
  }
}
