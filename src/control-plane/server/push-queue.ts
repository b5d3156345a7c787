// PushQueue: pushes to streams with a concurrency limit (istiod's PILOT_PUSH_THROTTLE), one queue entry per stream.

import { availableParallelism } from "node:os";
import { Logger } from "../../shared/logger.js";

const log = new Logger("push-queue");

/** istiod's default PILOT_PUSH_THROTTLE: min(15 + 5 × cores, 100) concurrent pushes. */
export function defaultPushThrottle(): number {
  return Math.min(15 + 5 * availableParallelism(), 100);
}

/**
 * One stream's push. `push` sends what changed since the stream's last push and resolves once the client has
 * answered (ACK or NACK) every response it sent, or at once when nothing had to be sent; it must not reject.
 */
export interface PushTarget {
  push(): Promise<void>;
}

export interface PushQueueOptions {
  /** Pushes in flight at once (at least 1). */
  concurrency: number;
  /** A push whose responses are not answered within this time stops holding its slot. */
  timeoutMs: number;
}

/**
 * FIFO of streams waiting to push (istio pilot/pkg/xds/pushqueue.go). A stream enqueued while it waits is not
 * queued twice (its changes merge: the push sends the latest state); one enqueued while its push runs is queued
 * again when that push completes. `onDequeue` gets the seconds each entry waited (pilot_proxy_queue_time).
 */
export class PushQueue {
  private readonly waiting = new Map<PushTarget, number>();
  private readonly running = new Set<PushTarget>();
  private readonly again = new Set<PushTarget>();
  private readonly concurrency: number;

  constructor(private readonly opts: PushQueueOptions, private readonly onDequeue: (seconds: number) => void) {
    this.concurrency = Math.max(1, Math.floor(opts.concurrency));
  }

  /** Schedules a push for `target`; it starts synchronously when a slot is free and nobody waits. */
  enqueue(target: PushTarget): void {
    if (this.running.has(target)) {
      this.again.add(target);
      return;
    }
    if (this.waiting.has(target)) return;
    this.waiting.set(target, performance.now());
    this.drain();
  }

  /** Forgets a target that will not push any more (a closed stream); a running push ends through its own promise. */
  remove(target: PushTarget): void {
    this.waiting.delete(target);
    this.again.delete(target);
  }

  /** Pushes in flight. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Targets waiting for a slot. */
  get queued(): number {
    return this.waiting.size;
  }

  private drain(): void {
    while (this.running.size < this.concurrency && this.waiting.size > 0) {
      const [target, since] = this.waiting.entries().next().value as [PushTarget, number];
      this.waiting.delete(target);
      this.onDequeue((performance.now() - since) / 1000);
      this.start(target);
    }
  }

  private start(target: PushTarget): void {
    this.running.add(target);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.opts.timeoutMs);
      timer.unref();
    });
    let done: Promise<void>;
    try {
      done = target.push();
    } catch (err) {
      done = Promise.reject(err);
    }
    void Promise.race([done, timeout])
      .catch((err: unknown) => log.error("push failed", { error: err }))
      .finally(() => {
        clearTimeout(timer);
        this.running.delete(target);
        if (this.again.delete(target)) this.waiting.set(target, performance.now());
        this.drain();
      });
  }
}
