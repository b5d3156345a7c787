// Applier: a cluster's upstream HTTP protocol (HTTP/2 ports, h2UpgradePolicy, useClientProtocol) → HttpProtocolOptions.

import { TYPE_PREFIX } from "../../../xds/type-urls.js";
import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { ConnectionPoolSpec } from "../policy/istio-policy-specs.js";

/** The typed_extension_protocol_options key (and message) Envoy reads upstream HTTP options from. */
export const HTTP_PROTOCOL_OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
export const HTTP_PROTOCOL_OPTIONS_TYPE = TYPE_PREFIX + HTTP_PROTOCOL_OPTIONS_KEY;

/** Istio protocol.IsHTTP2: HTTP2, GRPC and GRPC-Web ports speak HTTP/2 to the upstream. */
function isHttp2Protocol(protocol: string): boolean {
  const p = protocol.toUpperCase();
  return p === "HTTP2" || p === "GRPC" || p === "GRPC-WEB";
}

/**
 * Istio shouldH2Upgrade (outbound only): useClientProtocol wins, then the DestinationRule's h2UpgradePolicy; DEFAULT
 * falls back to the mesh's policy, which is DO_NOT_UPGRADE (Weft has no MeshConfig h2UpgradePolicy).
 */
function shouldH2Upgrade(cp: ConnectionPoolSpec | undefined): boolean {
  const http = cp?.http;
  return http?.useClientProtocol !== true && http?.h2UpgradePolicy === "UPGRADE";
}

/**
 * The `typed_extension_protocol_options` of a cluster for a service port, or undefined when Envoy's defaults
 * (HTTP/1.1, no options) apply. Follows Istio's ClusterBuilder: setUpstreamProtocol (HTTP/2 ports get
 * explicit_http_config.http2_protocol_options; ports of unknown protocol use the downstream protocol), then for
 * outbound clusters applyH2Upgrade, then applyConnectionPool (idleTimeout, maxRequestsPerConnection,
 * maxConnectionDuration, maxConcurrentStreams on HTTP/2 clusters, and useClientProtocol, which replaces the protocol).
 */
export function httpProtocolOptions(protocol: string, outbound: boolean, cp: ConnectionPoolSpec | undefined): EnvoyObject | undefined {
  let http2: EnvoyObject | undefined;
  let useDownstream = false;
  if (isHttp2Protocol(protocol)) http2 = {};
  else if (protocol === "") useDownstream = true;
  if (outbound && shouldH2Upgrade(cp)) { http2 ??= {}; useDownstream = false; }

  const common: EnvoyObject = {};
  const idleTimeout = parseDuration(cp?.http?.idleTimeout ?? cp?.tcp?.idleTimeout ?? "");
  const maxConnectionDuration = parseDuration(cp?.tcp?.maxConnectionDuration ?? "");
  const maxRequests = cp?.http?.maxRequestsPerConnection ?? 0;
  const maxStreams = cp?.http?.maxConcurrentStreams ?? 0;
  if (idleTimeout) common.idle_timeout = idleTimeout;
  if (maxRequests > 0) common.max_requests_per_connection = { value: maxRequests };
  if (maxConnectionDuration) common.max_connection_duration = maxConnectionDuration;
  // Istio adds common_http_protocol_options (possibly empty) whenever one of the four is set.
  const hasCommon = idleTimeout !== undefined || maxConnectionDuration !== undefined || maxRequests > 0 || maxStreams > 0;
  if (http2 !== undefined && maxStreams > 0) http2.max_concurrent_streams = { value: maxStreams };
  if (cp?.http?.useClientProtocol === true) useDownstream = true;
  if (http2 === undefined && !useDownstream && !hasCommon) return undefined;

  const options: EnvoyObject = { "@type": HTTP_PROTOCOL_OPTIONS_TYPE };
  if (hasCommon) options.common_http_protocol_options = common;
  if (useDownstream) options.use_downstream_protocol_config = { http_protocol_options: {}, http2_protocol_options: {} };
  else if (http2 !== undefined) options.explicit_http_config = { http2_protocol_options: http2 };
  else options.explicit_http_config = { http_protocol_options: {} };
  return { [HTTP_PROTOCOL_OPTIONS_KEY]: options };
}
