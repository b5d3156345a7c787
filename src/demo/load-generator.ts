// LoadGenerator: an outside client sending a steady rate of GET /productpage to productpage's sidecar, tallying reviews versions.

import http from "node:http";
import { VersionTally } from "./version-tally.js";
import { parseHostPort } from "./mesh-client.js";

export interface LoadGeneratorOptions {
  /** Where to connect: productpage's sidecar inbound listener, e.g. "127.0.0.10:9080". */
  target: string;
  /** Host header (default "productpage:9080"). */
  hostHeader?: string;
  /** Request path (default "/productpage"). */
  path?: string;
  /** Requests per second, paced open-loop (a slow answer does not slow the sending). */
  rate: number;
  /** Fraction of requests that carry `end-user: jason` (default 0.1), spread evenly. */
  jasonShare?: number;
  /** Requests allowed in flight; a request due while this many are out is skipped and counted in `skipped`. Default 256. */
  maxInFlight?: number;
  /** Per-request timeout in ms (default 5000). */
  timeoutMs?: number;
}

/** One interval's tallies: requests without `end-user`, and requests as jason. */
export interface IntervalTally {
  anonymous: VersionTally;
  jason: VersionTally;
  /** Requests not sent because `maxInFlight` were outstanding. */
  skipped: number;
}

const TICK_MS = 10;

/**
 * Drives load until stopped. Caller: `start()`, then `takeInterval()` every few seconds (each call returns the
 * counts since the previous call and starts new ones), then `stop()`. A request counts in the interval in which
 * its answer (or failure) arrived.
 */
export class LoadGenerator {
  private readonly target: { host: string; port: number };
  private readonly hostHeader: string;
  private readonly path: string;
  private readonly rate: number;
  private readonly jasonShare: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly agent: http.Agent;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private sent = 0;
  private inFlight = 0;
  private current: IntervalTally = newInterval();
  private drained: (() => void) | undefined;

  constructor(opts: LoadGeneratorOptions) {
    this.target = parseHostPort(opts.target);
    this.hostHeader = opts.hostHeader ?? "productpage:9080";
    this.path = opts.path ?? "/productpage";
    this.rate = opts.rate;
    this.jasonShare = opts.jasonShare ?? 0.1;
    this.maxInFlight = opts.maxInFlight ?? 256;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.maxInFlight });
  }

  start(): void {
    if (this.timer) return;
    this.startedAt = performance.now();
    this.sent = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Returns the tallies since the last call and starts new ones. */
  takeInterval(): IntervalTally {
    const done = this.current;
    this.current = newInterval();
    return done;
  }

  /** Stops sending, waits (up to the request timeout) for requests in flight, and closes connections. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const giveUp = setTimeout(resolve, this.timeoutMs);
        this.drained = () => {
          clearTimeout(giveUp);
          resolve();
        };
      });
    }
    this.agent.destroy();
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * this.rate) / 1000);
    while (this.sent < due) {
      this.sent++;
      // Integer products, not a running float sum (ten 0.1s add up to 0.9999999999999999).
      const asJason = Math.floor(this.sent * this.jasonShare) > Math.floor((this.sent - 1) * this.jasonShare);
      if (this.inFlight >= this.maxInFlight) {
        this.current.skipped++;
        continue;
      }
      this.send(asJason);
    }
  }

  private send(asJason: boolean): void {
    this.inFlight++;
    const headers: Record<string, string> = { host: this.hostHeader };
    if (asJason) headers["end-user"] = "jason";
    let settled = false;
    const settle = (version: string | undefined, error: string | undefined): void => {
      if (settled) return;
      settled = true;
      const tally = asJason ? this.current.jason : this.current.anonymous;
      if (version !== undefined) tally.recordVersion(version);
      else tally.recordError(error ?? "unknown error");
      if (--this.inFlight === 0) this.drained?.();
    };
    const req = http.request(
      { host: this.target.host, port: this.target.port, path: this.path, method: "GET", headers, agent: this.agent, timeout: this.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => settle(undefined, err.message));
        res.on("end", () => {
          const outcome = reviewsVersionOf(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"));
          settle(outcome.version, outcome.error);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
    req.on("error", (err) => settle(undefined, err.message));
    req.end();
  }
}

function newInterval(): IntervalTally {
  return { anonymous: new VersionTally(), jason: new VersionTally(), skipped: 0 };
}

/** Reads productpage's answer: `{version}` from `reviews.version`, or `{error}` saying why there is none. */
export function reviewsVersionOf(status: number, body: string): { version?: string; error?: string } {
  if (status !== 200) return { error: `productpage answered ${status}${body ? `: ${body.slice(0, 100)}` : ""}` };
  let parsed: { reviews?: { version?: unknown; error?: unknown } };
  try {
    parsed = JSON.parse(body);
  } catch {
    return { error: `productpage answered non-JSON: ${body.slice(0, 100)}` };
  }
  const version = parsed.reviews?.version;
  if (typeof version === "string") return { version };
  return { error: typeof parsed.reviews?.error === "string" ? parsed.reviews.error : "no reviews in productpage's answer" };
}
