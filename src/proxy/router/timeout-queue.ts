// TimeoutQueue: per-request deadlines (route timeouts) on one lazily re-armed timer instead of a setTimeout per request.

/**
 * Something with a deadline: extended by the object that wants `onDeadline()` (the UpstreamRequest), so
 * arming and cancelling allocate nothing. The fields are the queue's; only the queue touches them.
 */
export abstract class DeadlineEntry {
  /** performance.now() at which onDeadline() is due; the queue's list it is linked in, or null. */
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;

  /** Called once, from the queue's timer, when the deadline passed while the entry was still armed. */
  abstract onDeadline(): void;
}

/** Entries with one timeout value, in arming order, which is also deadline order (the clock is monotonic). */
class DeadlineList {
  head: DeadlineEntry | null = null;
  tail: DeadlineEntry | null = null;
}

/**
 * Why not setTimeout per request: Node keeps one list per duration too, but a ref'd Timeout per request
 * allocates a Timeout and a closure, and each time the last in-flight request clears its timer Node deletes
 * the list, unrefs the loop timer and re-creates both for the next request (several native calls per request
 * at low concurrency). Here arming and cancelling are pointer updates; the single timer is re-armed only
 * when it would fire too late, and when everything was cancelled it is left to fire once and find nothing.
 * The timer is unref'd: pending deadlines never keep the process alive.
 */
export class TimeoutQueue {
  private readonly lists = new Map<number, DeadlineList>();
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() at which the timer fires (Infinity when not armed). */
  private firesAt = Infinity;
  private readonly fire = (): void => this.onTimer();

  /** Arms `entry` to fire `timeoutMs` after `now` (performance.now()); the entry must not be armed already. */
  arm(entry: DeadlineEntry, timeoutMs: number, now: number): void {
    let list = this.lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList();
      this.lists.set(timeoutMs, list);
    }
    const at = now + timeoutMs;
    entry.deadlineAt = at;
    entry.deadlineList = list;
    entry.deadlinePrev = list.tail;
    entry.deadlineNext = null;
    if (list.tail === null) list.head = entry;
    else list.tail.deadlineNext = entry;
    list.tail = entry;
    if (at < this.firesAt) this.schedule(at, now);
  }

  /** Disarms `entry`; a no-op when it is not armed (already fired or cancelled). */
  cancel(entry: DeadlineEntry): void {
    const list = entry.deadlineList;
    if (list === null) return;
    const prev = entry.deadlinePrev;
    const next = entry.deadlineNext;
    if (prev === null) list.head = next;
    else prev.deadlineNext = next;
    if (next === null) list.tail = prev;
    else next.deadlinePrev = prev;
    entry.deadlineList = null;
    entry.deadlinePrev = null;
    entry.deadlineNext = null;
  }

  private schedule(at: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.firesAt = at;
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - now)));
    this.timer.unref();
  }

  /** Fires every due entry, earliest deadline first across the lists (as Node orders timers), then re-arms. */
  private onTimer(): void {
    this.timer = undefined;
    this.firesAt = Infinity;
    for (;;) {
      let first: DeadlineEntry | null = null;
      for (const list of this.lists.values()) {
        const head = list.head;
        if (head !== null && (first === null || head.deadlineAt < first.deadlineAt)) first = head;
      }
      if (first === null) return;
      const now = performance.now();
      if (first.deadlineAt > now) {
        if (first.deadlineAt < this.firesAt) this.schedule(first.deadlineAt, now);
        return;
      }
      this.cancel(first);
      first.onDeadline();
    }
  }
}
