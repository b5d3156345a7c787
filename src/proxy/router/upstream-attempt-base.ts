// UpstreamAttemptBase: what every upstream attempt does whatever its protocol: host pick, request stats, route timeout.

import { ResponseFlag } from "../http/stream-info.js";
import type { Cluster, Host } from "../upstream/cluster.js";
import type { PoolFailure } from "../upstream/host-pool.js";
import { OutlierResult } from "../upstream/outlier/host-outlier-state.js";
import type { ClusterAction } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { DeadlineEntry, TimeoutQueue } from "./timeout-queue.js";

/** Route timeouts of every upstream attempt in the process. */
const routeTimeouts = new TimeoutQueue();

export const CONNECT_FAILURE = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
/** Envoy's local reply body for a request a circuit breaker refused (StreamResetReason::Overflow). */
export const OVERFLOW = "upstream connect error or disconnect/reset before headers. reset reason: overflow";

/**
 * The HTTP/1.1 UpstreamRequest and the HTTP/2 H2UpstreamRequest extend it: pickHost() chooses the host (or fails
 * the stream with 503 UH), begin() arms the route timeout (it covers waiting in the pool), track() counts the
 * request against cluster, host and the max_requests breaker once it has a connection or stream, cleanup() undoes
 * both exactly once. Subclasses own the wire exchange and onDeadline().
 */
export abstract class UpstreamAttemptBase extends DeadlineEntry {
  protected host: Host | undefined;
  /** performance.now() when the request was tracked (the upstream service time counts from here). */
  protected startTime = 0;
  protected done = false;
  /** track() counted the request (until untrack()/cleanup()). */
  private tracked = false;

  constructor(
    protected readonly stream: UpstreamRequestStream,
    protected readonly cluster: Cluster,
    protected readonly action: ClusterAction,
    protected readonly hasBody: boolean,
  ) {
    super();
  }

  /** The stream's host choice (retry host predicates) or the cluster picker's; undefined after failing the stream (503 UH). */
  protected pickHost(): Host | undefined {
    const cluster = this.cluster;
    const host = this.stream.selectHost !== undefined ? this.stream.selectHost(cluster) : cluster.chooseHost(undefined);
    this.stream.setUpstream(cluster.name, host ? host.key : "");
    if (host === undefined) {
      cluster.stats.upstream_cx_none_healthy++;
      this.done = true;
      this.stream.upstreamFailure(503, "no healthy upstream", ResponseFlag.NoHealthyUpstream);
    }
    return host;
  }

  /** The request goes to `host`: arms the route timeout. */
  protected begin(host: Host): void {
    this.host = host;
    this.startTime = performance.now();
    if (this.action.timeoutMs > 0) routeTimeouts.arm(this, this.action.timeoutMs, this.startTime);
  }

  /** The request has its connection or stream: counts it (active, and one of max_requests) until cleanup. */
  protected track(): void {
    this.tracked = true;
    const stats = this.cluster.stats;
    stats.upstream_rq_total++;
    stats.upstream_rq_active++;
    this.cluster.state.resources.requests.inc();
    // Envoy's onPoolReady: the connection part succeeded (outlier detection's local-origin counter starts over).
    this.host!.outlier?.putResult(OutlierResult.LocalOriginConnectSuccess);
    const hs = this.host!.stats;
    hs.rq_total++;
    hs.rq_active++;
  }

  /** Undoes track() (the request gives its connection back, e.g. to wait for another). */
  protected untrack(): void {
    if (!this.tracked) return;
    this.tracked = false;
    this.cluster.stats.upstream_rq_active--;
    this.cluster.state.resources.requests.dec();
    this.host!.stats.rq_active--;
  }

  /** The pool had no connection for the request: 503 UO with x-envoy-overloaded for a breaker's overflow, else 503 UF. */
  protected failPool(reason: PoolFailure): void {
    this.cleanup();
    // A breaker's overflow says nothing about the host; a failed connection is a local-origin failure.
    if (reason !== "overflow") this.host!.outlier?.putResult(OutlierResult.LocalOriginConnectFailed);
    if (reason === "overflow") this.stream.upstreamFailure(503, OVERFLOW, ResponseFlag.UpstreamOverflow);
    else this.stream.upstreamFailure(503, CONNECT_FAILURE, ResponseFlag.UpstreamConnectionFailure);
  }

  /** Upstream service time so far, in whole milliseconds (x-envoy-upstream-service-time). */
  protected serviceTimeMs(): number {
    return Math.round(performance.now() - this.startTime);
  }

  /** Stops the route timeout (a relayed 101: it covered the handshake only). */
  protected disarmTimeout(): void {
    routeTimeouts.cancel(this);
  }

  /**
   * Ends the attempt once: timeout disarmed, active counts dropped, then the protocol's own release (onCleanup): a
   * freed HTTP/2 stream slot goes to a pending request at once, which finds this request's max_requests slot free
   * (Envoy onStreamClosed decrements before onUpstreamReady).
   */
  protected cleanup(): void {
    if (this.done) return;
    this.done = true;
    routeTimeouts.cancel(this);
    this.untrack();
    this.onCleanup();
  }

  /** The protocol's part of cleanup (drop listeners, free a stream slot). */
  protected abstract onCleanup(): void;
}
