// ReconnectBackoff: full-jitter exponential backoff for re-establishing the ADS stream.

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  initialMs: number;
  /** Largest ceiling the delays grow to. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 15_000 };

/**
 * Delay n (from 0) is uniform in [0, min(maxMs, initialMs·2ⁿ)) ("full jitter"), so that many proxies
 * losing the same control plane don't reconnect in lockstep. `reset()` starts over at the first delay.
 */
export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay in ms; each call doubles the ceiling until maxMs. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
