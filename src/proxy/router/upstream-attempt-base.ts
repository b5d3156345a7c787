// UpstreamAttemptBase: what every upstream attempt does whatever its protocol: host pick, request stats, route timeout.

import { ResponseFlag } from "../http/stream-info.js";
import type { Cluster, Host } from "../upstream/cluster.js";
import type { ClusterAction } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { DeadlineEntry, TimeoutQueue } from "./timeout-queue.js";

/** Route timeouts of every upstream attempt in the process. */
const routeTimeouts = new TimeoutQueue();

/**
 * The HTTP/1.1 UpstreamRequest and the HTTP/2 H2UpstreamRequest extend it: pickHost() chooses the host (or fails
 * the stream with 503 UH), track() counts the request against cluster and host and arms the route timeout,
 * cleanup() undoes both exactly once. Subclasses own the wire exchange and onDeadline().
 */
export abstract class UpstreamAttemptBase extends DeadlineEntry {
  protected host: Host | undefined;
  /** performance.now() when the request was tracked (the upstream service time counts from here). */
  protected startTime = 0;
  protected done = false;

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

  /** The request goes to `host`: counts it (active until cleanup) and arms the route timeout. */
  protected track(host: Host): void {
    this.host = host;
    const stats = this.cluster.stats;
    stats.upstream_rq_total++;
    stats.upstream_rq_active++;
    host.stats.rq_total++;
    host.stats.rq_active++;
    this.startTime = performance.now();
    if (this.action.timeoutMs > 0) routeTimeouts.arm(this, this.action.timeoutMs, this.startTime);
  }

  /** Upstream service time so far, in whole milliseconds (x-envoy-upstream-service-time). */
  protected serviceTimeMs(): number {
    return Math.round(performance.now() - this.startTime);
  }

  /** Stops the route timeout (a relayed 101: it covered the handshake only). */
  protected disarmTimeout(): void {
    routeTimeouts.cancel(this);
  }

  /** Ends the attempt once: timeout disarmed, the protocol's own release (onCleanup), active counts dropped. */
  protected cleanup(): void {
    if (this.done) return;
    this.done = true;
    routeTimeouts.cancel(this);
    this.onCleanup();
    this.cluster.stats.upstream_rq_active--;
    this.host!.stats.rq_active--;
  }

  /** The protocol's part of cleanup (drop listeners, free a stream slot). */
  protected abstract onCleanup(): void;
}
