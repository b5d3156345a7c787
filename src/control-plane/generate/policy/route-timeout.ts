// Applier: VirtualService timeout → route action timeout fields (Istio setTimeout).

import { parseDuration } from "../duration.js";
import { NO_TIMEOUT, type EnvoyObject } from "../envoy-objects.js";

/**
 * `timeout` (0 = none when unset or unparsable) plus what each client reads: proxyless gRPC reads only
 * `max_stream_duration.max_stream_duration` (gRFC A31), Envoy reads `timeout` and honours the grpc-timeout header up to
 * `max_grpc_timeout` (Istio still sets the deprecated field, 0 = no cap).
 */
export function routeTimeoutFields(timeout: string | undefined, proxylessGrpc: boolean): EnvoyObject {
  const t = (timeout && parseDuration(timeout)) || NO_TIMEOUT;
  return proxylessGrpc ? { timeout: t, max_stream_duration: { max_stream_duration: t } } : { timeout: t, max_grpc_timeout: t };
}
