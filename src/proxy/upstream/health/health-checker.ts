// HealthChecker: a cluster's active health checking, one session per host with its own timers and connection (Envoy's HealthCheckerImplBase).

import { Agent, request } from "node:http";
import { connect } from "node:net";
import { HealthFlag, type Host } from "../host.js";
import type { HealthCheckConfig, HttpCheckConfig, TcpCheckConfig } from "./health-check-config.js";
import type { HealthCheckStats } from "./health-check-stats.js";

/** What the checker tells its cluster. */
export interface HealthCheckHooks {
  /** A host's FailedActiveHc / PendingActiveHc changed: rebuild the load balancer. */
  onHealthChanged(): void;
  /** A check passed (outlier detection may end an ejection: successful_active_health_check_uneject_host). */
  onCheckPassed(host: Host): void;
  /** Whether the cluster ever opened an upstream connection (else checks run at no_traffic_interval). */
  trafficSeen(): boolean;
}

/** How a check failed: a network failure (connect, timeout, reset) or a bad answer, which may be retriable. */
const enum Failure { Network, Active, ActiveRetriable }

/**
 * Hosts the checker has not seen get FailedActiveHc (Envoy marks new hosts of a health-checked cluster unhealthy) and
 * are checked at once; the first success clears it, later it takes healthy_threshold successes in a row. A healthy
 * host is marked FailedActiveHc after unhealthy_threshold network failures or retriable statuses in a row, or at once
 * on any other unexpected status. Checks use their own connections, never the traffic pools.
 */
export class HealthChecker {
  private readonly sessions = new Map<Host, HealthCheckSession>();

  constructor(
    public config: HealthCheckConfig,
    readonly stats: HealthCheckStats,
    readonly hooks: HealthCheckHooks,
    readonly random: () => number = Math.random,
  ) {}

  /** The cluster's hosts after a rebuild; returns true when new hosts were marked FailedActiveHc. */
  setHosts(hosts: readonly Host[]): boolean {
    const current = new Set(hosts);
    for (const [host, session] of this.sessions) {
      if (current.has(host)) continue;
      session.stop();
      this.sessions.delete(host);
    }
    let marked = false;
    for (const host of hosts) {
      if (this.sessions.has(host)) continue;
      host.healthFlags |= HealthFlag.FailedActiveHc;
      marked = true;
      const session = new HealthCheckSession(this, host);
      this.sessions.set(host, session);
      session.start();
    }
    this.refreshHealthy();
    return marked;
  }

  /** Stops every session and clears the active-check flags (health_checks removed or the cluster left CDS). */
  close(): void {
    for (const [host, session] of this.sessions) {
      session.stop();
      host.healthFlags &= ~(HealthFlag.FailedActiveHc | HealthFlag.PendingActiveHc);
    }
    this.sessions.clear();
    this.refreshHealthy();
  }

  /** The delay before the next check of a host (Envoy's HealthCheckerImplBase::interval). */
  interval(unhealthy: boolean): number {
    const c = this.config;
    let ms = !this.hooks.trafficSeen() ? c.noTrafficIntervalMs : unhealthy ? c.unhealthyIntervalMs : c.intervalMs;
    const percentSpan = (c.intervalJitterPercent * ms) / 100;
    if (percentSpan >= 1) ms += Math.floor(this.random() * percentSpan);
    if (c.intervalJitterMs > 0) ms += Math.floor(this.random() * c.intervalJitterMs);
    return ms;
  }

  refreshHealthy(): void {
    let healthy = 0;
    for (const host of this.sessions.keys()) if ((host.healthFlags & HealthFlag.FailedActiveHc) === 0) healthy++;
    this.stats.healthy = healthy;
  }
}

/** One host's checks: an interval timer, a timeout timer, and (with reuse_connection) a keep-alive connection. */
class HealthCheckSession {
  private numHealthy = 0;
  private numUnhealthy = 0;
  private firstCheck = true;
  private timer: NodeJS.Timeout | undefined;
  /** The timeout of the check in flight. */
  private timeout: NodeJS.Timeout | undefined;
  /** Cancels the check in flight (destroys its socket) and reports nothing. */
  private cancel: (() => void) | undefined;
  private agent: Agent | undefined;
  private stopped = false;

  constructor(private readonly checker: HealthChecker, private readonly host: Host) {}

  start(): void {
    const jitter = this.checker.config.initialJitterMs;
    this.schedule(jitter > 0 ? Math.floor(this.checker.random() * jitter) : 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.cancel?.();
    this.cancel = undefined;
    this.agent?.destroy();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.run(), ms);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const config = this.checker.config;
    this.checker.stats.attempt++;
    let settled = false;
    this.timeout = setTimeout(() => {
      this.cancel?.();
      finish(Failure.Network);
    }, config.timeoutMs);
    this.timeout.unref();
    const finish = (failure: Failure | undefined): void => {
      if (settled || this.stopped) return;
      settled = true;
      clearTimeout(this.timeout);
      this.timeout = undefined;
      this.cancel = undefined;
      if (failure === undefined) this.onSuccess();
      else this.onFailure(failure);
    };
    this.cancel = config.check.kind === "http" ? this.httpCheck(config.check, config.reuseConnection, finish) : this.tcpCheck(config.check, finish);
  }

  private httpCheck(check: HttpCheckConfig, reuse: boolean, finish: (f: Failure | undefined) => void): () => void {
    if (reuse) this.agent ??= new Agent({ keepAlive: true, maxSockets: 1 });
    const headers: Record<string, string> = { host: check.host, "user-agent": "Envoy/HC" };
    for (let i = 0; i < check.headers.length; i += 2) headers[check.headers[i]] = check.headers[i + 1];
    const req = request({
      host: this.host.address, port: this.host.port, method: check.method, path: check.path, headers,
      agent: reuse ? this.agent : false,
    }, (res) => {
      const status = res.statusCode ?? 0;
      res.on("error", () => finish(Failure.Network));
      res.on("end", () => finish(inRanges(check.expectedStatuses, status) ? undefined
        : inRanges(check.retriableStatuses, status) ? Failure.ActiveRetriable : Failure.Active));
      res.resume();
    });
    req.on("error", () => finish(Failure.Network));
    req.end();
    return () => req.destroy();
  }

  private tcpCheck(check: TcpCheckConfig, finish: (f: Failure | undefined) => void): () => void {
    const socket = connect({ host: this.host.address, port: this.host.port });
    let received = Buffer.alloc(0);
    const done = (failure: Failure | undefined): void => {
      socket.destroy();
      finish(failure);
    };
    socket.on("error", () => done(Failure.Network));
    socket.on("close", () => done(Failure.Network));
    socket.on("connect", () => {
      if (check.send !== null) socket.write(check.send);
      if (check.receive.length === 0) done(undefined);
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (containsInOrder(received, check.receive)) done(undefined);
    });
    return () => socket.destroy();
  }

  private onSuccess(): void {
    const host = this.host;
    const checker = this.checker;
    this.numUnhealthy = 0;
    let changed = false;
    if (host.healthFlags & HealthFlag.FailedActiveHc) {
      // The first result ever moves a host to healthy at once (Envoy: faster startup for a little less certainty).
      if (this.firstCheck || ++this.numHealthy === checker.config.healthyThreshold) {
        host.healthFlags &= ~HealthFlag.FailedActiveHc;
        host.addedAt = performance.now(); // Envoy's lastHcPassTime: slow start (re)starts when the host turns healthy.
        changed = true;
      }
    }
    if (host.healthFlags & HealthFlag.PendingActiveHc) {
      host.healthFlags &= ~HealthFlag.PendingActiveHc;
      changed = true;
    }
    checker.stats.success++;
    this.firstCheck = false;
    if (changed) {
      checker.refreshHealthy();
      checker.hooks.onHealthChanged();
    }
    checker.hooks.onCheckPassed(host);
    this.schedule(checker.interval(false));
  }

  private onFailure(failure: Failure): void {
    const host = this.host;
    const checker = this.checker;
    this.numHealthy = 0;
    let changed = false;
    if ((host.healthFlags & HealthFlag.FailedActiveHc) === 0) {
      if (failure === Failure.Active || ++this.numUnhealthy === checker.config.unhealthyThreshold) {
        host.healthFlags |= HealthFlag.FailedActiveHc;
        changed = true;
      }
    }
    if (host.healthFlags & HealthFlag.PendingActiveHc) {
      host.healthFlags &= ~HealthFlag.PendingActiveHc;
      changed = true;
    }
    checker.stats.failure++;
    if (failure === Failure.Network) checker.stats.network_failure++;
    this.firstCheck = false;
    if (changed) {
      checker.refreshHealthy();
      checker.hooks.onHealthChanged();
    }
    this.schedule(checker.interval(true));
  }
}

function inRanges(ranges: ReadonlyArray<readonly [number, number]>, status: number): boolean {
  for (const [start, end] of ranges) if (status >= start && status < end) return true;
  return false;
}

/** Envoy's TcpHealthCheckMatcher::match: each block found after the previous one. */
function containsInOrder(data: Buffer, blocks: readonly Buffer[]): boolean {
  let from = 0;
  for (const block of blocks) {
    const at = data.indexOf(block, from);
    if (at < 0) return false;
    from = at + block.length;
  }
  return true;
}
