// The envoy.filters.network.tcp_proxy data path: one downstream connection piped to one upstream host, both ways.

import { connect, type Socket } from "node:net";
import { Logger } from "../../shared/logger.js";
import type { DataPlane } from "../http/data-plane.js";
import type { Cluster, Host } from "../upstream/cluster.js";
import { OutlierResult } from "../upstream/outlier/host-outlier-state.js";
import type { TcpProxyConfig } from "./tcp-proxy-config.js";

const log = new Logger("tcp-proxy");

/**
 * Runs one connection: picks a cluster (weighted) and a host (round robin), connects (up to max_connect_attempts,
 * a new host each time), then pipes bytes both ways with backpressure. A FIN in one direction is passed on and the
 * other direction keeps flowing (half-close); an error or reset on either side destroys both. When every attempt
 * fails, or the cluster is unknown or has no host, or its max_connections circuit breaker is open (Envoy counts
 * upstream_cx_overflow, flag UO), the downstream connection is closed at once. `initial` holds
 * bytes a listener filter already read (they go upstream first). The downstream socket must be paused.
 */
export function startTcpProxy(downstream: Socket, initial: Buffer | null, config: TcpProxyConfig, dataPlane: DataPlane): void {
  const cluster = dataPlane.cluster(config.pickCluster());
  if (!cluster) {
    log.debug("no cluster", { statPrefix: config.statPrefix });
    downstream.destroy();
    return;
  }
  downstream.on("error", () => { /* 'close' follows */ });
  attempt(downstream, initial, config, cluster, 1);
}

function attempt(downstream: Socket, initial: Buffer | null, config: TcpProxyConfig, cluster: Cluster, n: number): void {
  if (downstream.destroyed) return;
  const host = cluster.chooseHost(undefined);
  if (!host) {
    cluster.stats.upstream_cx_none_healthy++;
    downstream.destroy();
    return;
  }
  const stats = cluster.stats;
  const connections = cluster.state.resources.connections;
  if (!connections.canCreate()) {
    stats.upstream_cx_overflow++;
    downstream.destroy();
    return;
  }
  connections.inc();
  stats.upstream_cx_total++;
  const upstream = connect({ host: host.address, port: host.port, allowHalfOpen: true, noDelay: true });
  let timedOut = false;
  // The timeout's destroy() emits 'close' without 'error': failures are detected on 'close', like ConnectionPool does.
  const timer = setTimeout(() => { timedOut = true; upstream.destroy(); }, cluster.connectTimeoutMs);
  timer.unref();
  const onDownstreamGone = (): void => {
    clearTimeout(timer);
    upstream.off("close", onConnectFailed);
    upstream.once("close", () => connections.dec());
    upstream.destroy();
  };
  downstream.once("close", onDownstreamGone);
  const onConnectFailed = (): void => {
    clearTimeout(timer);
    connections.dec();
    downstream.off("close", onDownstreamGone);
    stats.upstream_cx_connect_fail++;
    if (timedOut) stats.upstream_cx_connect_timeout++;
    host.outlier?.putResult(timedOut ? OutlierResult.LocalOriginTimeout : OutlierResult.LocalOriginConnectFailed);
    if (n < config.maxConnectAttempts) attempt(downstream, initial, config, cluster, n + 1);
    else downstream.destroy();
  };
  upstream.on("error", () => { /* 'close' follows */ });
  upstream.once("close", onConnectFailed);
  upstream.once("connect", () => {
    clearTimeout(timer);
    upstream.off("close", onConnectFailed);
    downstream.off("close", onDownstreamGone);
    host.outlier?.putResult(OutlierResult.LocalOriginConnectSuccessFinal);
    pipeBoth(downstream, upstream, initial, config, cluster, host);
  });
}

function pipeBoth(downstream: Socket, upstream: Socket, initial: Buffer | null, config: TcpProxyConfig, cluster: Cluster, host: Host): void {
  const stats = cluster.stats;
  stats.upstream_cx_active++;
  host.stats.cx_active++;
  // A clean close (both directions ended) was already passed on as FINs by the pipes; anything else resets the peer.
  upstream.once("close", (hadError) => {
    cluster.state.resources.connections.dec();
    stats.upstream_cx_active--;
    host.stats.cx_active--;
    if (hadError || !upstream.readableEnded) downstream.destroy();
  });
  downstream.once("close", (hadError) => { if (hadError || !downstream.readableEnded) upstream.destroy(); });
  upstream.on("data", (chunk: Buffer) => { stats.upstream_cx_rx_bytes_total += chunk.length; });
  downstream.on("data", (chunk: Buffer) => { stats.upstream_cx_tx_bytes_total += chunk.length; });
  if (config.idleTimeoutMs > 0) {
    downstream.setTimeout(config.idleTimeoutMs, () => { downstream.destroy(); upstream.destroy(); });
  }
  if (initial !== null && initial.length > 0) {
    stats.upstream_cx_tx_bytes_total += initial.length;
    upstream.write(initial);
  }
  upstream.pipe(downstream);
  downstream.pipe(upstream);
}
