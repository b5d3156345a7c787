// Applier: DestinationRule connectionPool → cluster circuit_breakers and connect_timeout (Istio applyConnectionPool).

import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { ConnectionPoolSpec } from "./istio-policy-specs.js";

const MAX_UINT32 = 0xffffffff;

/**
 * The cluster fields a connectionPool section sets. Istio starts from "no limit" (every threshold MaxUint32, Envoy's
 * defaults of 1024 being too low for a mesh) and lowers what the section names: http2MaxRequests → max_requests,
 * http1MaxPendingRequests → max_pending_requests, maxRetries → max_retries, tcp.maxConnections → max_connections.
 * Zero means unset (Istio cannot tell them apart). tcp.tcpKeepalive → upstream_connection_options.tcp_keepalive. HTTP
 * protocol options (idle timeout, per-connection limits) are not produced here.
 */
export function connectionPoolFields(cp: ConnectionPoolSpec | undefined): EnvoyObject {
  const t: EnvoyObject = {
    priority: "DEFAULT",
    max_connections: { value: MAX_UINT32 },
    max_pending_requests: { value: MAX_UINT32 },
    max_requests: { value: MAX_UINT32 },
    max_retries: { value: MAX_UINT32 },
    track_remaining: true,
  };
  const h = cp?.http;
  if (h?.http2MaxRequests && h.http2MaxRequests > 0) t.max_requests = { value: h.http2MaxRequests };
  if (h?.http1MaxPendingRequests && h.http1MaxPendingRequests > 0) t.max_pending_requests = { value: h.http1MaxPendingRequests };
  if (h?.maxRetries && h.maxRetries > 0) t.max_retries = { value: h.maxRetries };
  if (cp?.tcp?.maxConnections && cp.tcp.maxConnections > 0) t.max_connections = { value: cp.tcp.maxConnections };
  const out: EnvoyObject = { circuit_breakers: { thresholds: [t] } };
  const connectTimeout = cp?.tcp?.connectTimeout ? parseDuration(cp.tcp.connectTimeout) : undefined;
  if (connectTimeout) out.connect_timeout = connectTimeout;
  const keepalive = tcpKeepalive(cp?.tcp?.tcpKeepalive);
  if (keepalive) out.upstream_connection_options = { tcp_keepalive: keepalive };
  return out;
}

/**
 * Istio applyTCPKeepalive (setKeepAliveSettings; Weft has no mesh-wide tcpKeepalive): a tcpKeepalive section turns
 * SO_KEEPALIVE on (empty TcpKeepalive = OS defaults) and overrides probes (> 0), time and interval (whole seconds).
 */
function tcpKeepalive(k: NonNullable<NonNullable<ConnectionPoolSpec["tcp"]>["tcpKeepalive"]> | undefined): EnvoyObject | undefined {
  if (!k) return undefined;
  const out: EnvoyObject = {};
  if (k.probes && k.probes > 0) out.keepalive_probes = { value: k.probes };
  const time = k.time ? parseDuration(k.time) : undefined;
  if (time) out.keepalive_time = { value: time.seconds };
  const interval = k.interval ? parseDuration(k.interval) : undefined;
  if (interval) out.keepalive_interval = { value: interval.seconds };
  return out;
}
