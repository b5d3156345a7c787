// ConnectionOptions: how a cluster's upstream connections live (keepalive, idle timeout, max duration, requests per connection, HTTP/2 streams).

import { durationMs, invalid, objectField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { httpProtocolOptions } from "./cluster-config.js";

export interface ConnectionOptions {
  /** common_http_protocol_options.idle_timeout in ms (Envoy default 1 h; 0 disables). */
  idleTimeoutMs: number;
  /** common_http_protocol_options.max_connection_duration in ms (0: unlimited). */
  maxConnectionDurationMs: number;
  /** common_http_protocol_options.max_requests_per_connection (0: unlimited). */
  maxRequestsPerConnection: number;
  /** http2_protocol_options.max_concurrent_streams: streams this proxy opens per HTTP/2 connection (Envoy default 2^31-1). */
  maxConcurrentStreams: number;
  /** upstream_connection_options.tcp_keepalive.keepalive_time in ms; -1 when TCP keepalive is off. */
  keepaliveTimeMs: number;
}

/** Envoy's defaults: 1 h idle timeout, nothing else limited, no TCP keepalive. */
export const DEFAULT_CONNECTION_OPTIONS: Readonly<ConnectionOptions> = Object.freeze({
  idleTimeoutMs: 3_600_000, maxConnectionDurationMs: 0, maxRequestsPerConnection: 0, maxConcurrentStreams: 2_147_483_647, keepaliveTimeMs: -1,
});

/**
 * Reads Cluster.upstream_connection_options.tcp_keepalive and the HttpProtocolOptions connection limits
 * (typed_extension_protocol_options "envoy.extensions.upstreams.http.v3.HttpProtocolOptions":
 * common_http_protocol_options and the http2_protocol_options of explicit_http_config or use_downstream_protocol_config).
 * Node sets only the keepalive idle time on a socket: keepalive_probes and keepalive_interval keep the OS defaults.
 */
export function parseConnectionOptions(name: string, c: XdsObject): ConnectionOptions {
  const out: ConnectionOptions = { ...DEFAULT_CONNECTION_OPTIONS };
  const uco = objectField(name, c, "upstream_connection_options");
  const ka = uco === undefined ? undefined : objectField(name, uco, "tcp_keepalive");
  // An empty tcp_keepalive enables keepalive with the OS's time (Envoy only sets SO_KEEPALIVE then).
  if (ka !== undefined) out.keepaliveTimeMs = count(name, ka, "keepalive_time", 0) * 1000;
  const options = httpProtocolOptions(name, c);
  if (options === undefined) return out;
  const common = objectField(name, options, "common_http_protocol_options");
  if (common !== undefined) {
    out.idleTimeoutMs = durationMs(name, common, "idle_timeout", out.idleTimeoutMs);
    out.maxConnectionDurationMs = durationMs(name, common, "max_connection_duration", 0);
    out.maxRequestsPerConnection = count(name, common, "max_requests_per_connection", 0);
  }
  const protocol = objectField(name, options, "explicit_http_config") ?? objectField(name, options, "use_downstream_protocol_config");
  const h2 = protocol === undefined ? undefined : objectField(name, protocol, "http2_protocol_options");
  if (h2 !== undefined) {
    const streams = count(name, h2, "max_concurrent_streams", out.maxConcurrentStreams);
    if (streams < 1) invalid(name, "http2_protocol_options.max_concurrent_streams must be at least 1");
    out.maxConcurrentStreams = streams;
  }
  return out;
}

/** A UInt32Value field: a non-negative integer. */
function count(name: string, o: XdsObject, key: string, fallback: number): number {
  const v = wrapped(o, key, fallback);
  if (!Number.isInteger(v) || v < 0) invalid(name, `${key} must be a non-negative integer, got ${String(v)}`);
  return v;
}
