// Debouncer: merges bursts of change events into one push (istiod's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX).

export interface DebounceOptions {
  /** Quiet period after the last event before pushing (istiod default 100 ms). */
  afterMs: number;
  /** Longest delay from the first event of a burst to its push, however busy (istiod default 10 s). */
  maxMs: number;
}

/** What one merged push answers. `firstEventAt` is performance.now() of the burst's first event. */
export interface DebouncedBurst {
  firstEventAt: number;
  events: number;
  reasons: ReadonlySet<string>;
}

/**
 * Calls `push` once per burst, never concurrently: events that arrive while a push runs start the next burst,
 * which is pushed after the running one settles (istio pilot/pkg/xds/discovery.go `debounce`).
 */
export class Debouncer {
  private firstEventAt = 0;
  private lastEventAt = 0;
  private events = 0;
  private reasons = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly opts: DebounceOptions,
    private readonly push: (burst: DebouncedBurst) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Records one event (`reason` is a push-trigger label such as "config" or "proxy"). */
  trigger(reason: string): void {
    if (this.stopped) return;
    const now = performance.now();
    if (this.events === 0) this.firstEventAt = now;
    this.lastEventAt = now;
    this.events++;
    this.reasons.add(reason);
    if (!this.timer && !this.running) this.schedule(this.opts.afterMs);
  }

  /** Resolves when no push is running and none is waiting. */
  async idle(): Promise<void> {
    while (this.running || this.timer) await (this.running ?? new Promise((r) => setTimeout(r, this.opts.afterMs)));
  }

  /** Cancels a waiting push and waits for a running one. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(0, ms));
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    const now = performance.now();
    const quiet = now - this.lastEventAt;
    const sinceFirst = now - this.firstEventAt;
    if (quiet < this.opts.afterMs && sinceFirst < this.opts.maxMs) {
      this.schedule(Math.min(this.opts.afterMs - quiet, this.opts.maxMs - sinceFirst));
      return;
    }
    const burst: DebouncedBurst = { firstEventAt: this.firstEventAt, events: this.events, reasons: this.reasons };
    this.events = 0;
    this.reasons = new Set();
    this.running = this.push(burst)
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.events > 0 && !this.stopped) this.schedule(this.opts.afterMs - (performance.now() - this.lastEventAt));
      });
  }
}
