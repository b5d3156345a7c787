// ClusterConfig: everything the data path reads from one CDS Cluster, parsed once per CDS update.

import { durationMs, invalid, objectField, stringField, type XdsObject } from "../config/xds-fields.js";
import { parseCircuitBreakers, type CircuitBreakerThresholds } from "./circuit-breakers.js";
import { parseConnectionOptions, type ConnectionOptions } from "./connection-options.js";
import { parseHealthChecks, type HealthCheckConfig } from "./health/health-check-config.js";
import { parseLbConfig, type LbConfig } from "./lb/lb-config.js";
import { parseOutlierConfig, type OutlierConfig } from "./outlier/outlier-config.js";

/**
 * The upstream HTTP protocol from the cluster's HttpProtocolOptions: explicit HTTP/1.1 (the default), explicit
 * HTTP/2, or the downstream request's protocol (use_downstream_protocol_config).
 */
export type UpstreamProtocol = "http1" | "http2" | "downstream";

/** Cluster types served from an inline load_assignment (DNS types connect by hostname). */
const INLINE_TYPES = new Set(["STATIC", "STRICT_DNS", "LOGICAL_DNS"]);

export interface ClusterConfig {
  name: string;
  type: string;
  connectTimeoutMs: number;
  /** EDS service name for EDS clusters, "" otherwise. */
  edsServiceName: string;
  /** load_assignment of STATIC / DNS clusters. */
  inline: XdsObject | undefined;
  protocol: UpstreamProtocol;
  lb: LbConfig;
  circuitBreakers: CircuitBreakerThresholds;
  connection: ConnectionOptions;
  outlier: OutlierConfig | undefined;
  healthChecks: readonly HealthCheckConfig[];
}

/** Parses a CDS Cluster; throws PROXY_CONFIG_INVALID ("<cluster>: <reason>") so the update is NACKed. */
export function parseClusterConfig(name: string, c: XdsObject): ClusterConfig {
  if (c.name !== name) invalid(name, `cluster name ${String(c.name)} does not match resource name`);
  const type = typeof c.type === "string" ? c.type : "STATIC";
  let edsServiceName = "";
  let inline: XdsObject | undefined;
  if (type === "EDS") {
    const eds = objectField(name, c, "eds_cluster_config") ?? invalid(name, "EDS cluster without eds_cluster_config");
    edsServiceName = stringField(name, eds, "service_name") || name;
  } else if (INLINE_TYPES.has(type)) {
    inline = objectField(name, c, "load_assignment");
  } else if (type !== "ORIGINAL_DST") {
    invalid(name, `unsupported cluster type ${type}`);
  }
  return {
    name,
    type,
    connectTimeoutMs: durationMs(name, c, "connect_timeout", 5000),
    edsServiceName,
    inline,
    protocol: upstreamProtocol(name, c),
    lb: parseLbConfig(name, c),
    circuitBreakers: parseCircuitBreakers(name, c),
    connection: parseConnectionOptions(name, c),
    outlier: parseOutlierConfig(name, c),
    healthChecks: parseHealthChecks(name, c),
  };
}

/** A STATIC cluster's config with Envoy's defaults, for tests and built-in clusters. */
export function staticClusterConfig(name: string, overrides: Partial<ClusterConfig> = {}): ClusterConfig {
  return { ...parseClusterConfig(name, { name, type: "STATIC" }), ...overrides };
}

const HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/** The cluster's HttpProtocolOptions (typed_extension_protocol_options), or undefined. */
export function httpProtocolOptions(name: string, c: XdsObject): XdsObject | undefined {
  const all = objectField(name, c, "typed_extension_protocol_options");
  return all === undefined ? undefined : objectField(name, all, HTTP_PROTOCOL_OPTIONS);
}

/**
 * The cluster's upstream protocol from HttpProtocolOptions: explicit_http_config with http2_protocol_options → HTTP/2,
 * use_downstream_protocol_config → the downstream's, otherwise HTTP/1.1. auto_config (ALPN) needs TLS, which Weft's
 * upstreams do not speak: it is refused like Envoy refuses it without TLS.
 */
function upstreamProtocol(name: string, c: XdsObject): UpstreamProtocol {
  const options = httpProtocolOptions(name, c);
  if (options === undefined) return "http1";
  if (objectField(name, options, "use_downstream_protocol_config") !== undefined) return "downstream";
  if (objectField(name, options, "auto_config") !== undefined) invalid(name, "HttpProtocolOptions.auto_config requires an upstream TLS transport socket");
  const explicit = objectField(name, options, "explicit_http_config");
  return explicit !== undefined && objectField(name, explicit, "http2_protocol_options") !== undefined ? "http2" : "http1";
}
