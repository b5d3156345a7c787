// HealthCheckConfig: a cluster's active health_checks read from CDS (HTTP and TCP checks, Envoy's core.v3.HealthCheck).

import { arrayField, durationMs, invalid, objectField, stringField, type XdsObject } from "../../config/xds-fields.js";
import { positiveDurationMs, wrapperValue } from "./config-values.js";

/** HTTP check: GET `path` on a connection of its own; healthy when the status is in `expectedStatuses`. */
export interface HttpCheckConfig {
  kind: "http";
  path: string;
  /** Host header (default: the cluster name, as Envoy sends). */
  host: string;
  method: string;
  /** Half-open [start, end) ranges; Envoy's default is 200 only. */
  expectedStatuses: ReadonlyArray<readonly [number, number]>;
  /** Statuses that count as a failure only after unhealthy_threshold of them (retriable_statuses). */
  retriableStatuses: ReadonlyArray<readonly [number, number]>;
  /** request_headers_to_add as flat [name, value, ...]. */
  headers: readonly string[];
}

/** TCP check: connect, optionally send bytes and expect every `receive` block, in order, in what comes back. */
export interface TcpCheckConfig {
  kind: "tcp";
  send: Buffer | null;
  receive: readonly Buffer[];
}

export interface HealthCheckConfig {
  timeoutMs: number;
  /** interval in ms while the cluster has had traffic. */
  intervalMs: number;
  /** no_traffic_interval (default 60 s): the interval until the cluster opened its first upstream connection. */
  noTrafficIntervalMs: number;
  /** unhealthy_interval (default: interval): the interval for hosts marked unhealthy. */
  unhealthyIntervalMs: number;
  /** interval_jitter in ms and interval_jitter_percent: random extra time per interval. */
  intervalJitterMs: number;
  intervalJitterPercent: number;
  /** initial_jitter: random delay before a host's first check. */
  initialJitterMs: number;
  /** Network failures (connect failure, timeout, reset) in a row before a healthy host is marked unhealthy. */
  unhealthyThreshold: number;
  /** Successes in a row before an unhealthy host is healthy again (the very first check needs one). */
  healthyThreshold: number;
  /** reuse_connection (default true): keep the check connection open between checks. */
  reuseConnection: boolean;
  check: HttpCheckConfig | TcpCheckConfig;
}

const DEFAULT_EXPECTED: ReadonlyArray<readonly [number, number]> = [[200, 201]];

/** At most one health check per cluster (Envoy's classic limit); gRPC and custom checks are refused as unsupported. */
export function parseHealthChecks(name: string, c: XdsObject): HealthCheckConfig[] {
  const list = arrayField(name, c, "health_checks");
  if (list.length === 0) return [];
  if (list.length > 1) invalid(name, "multiple health_checks are not supported");
  return [parseHealthCheck(name, list[0])];
}

function parseHealthCheck(cluster: string, hc: XdsObject): HealthCheckConfig {
  const where = `${cluster}: health_checks[0]`;
  const intervalMs = required(where, hc, "interval");
  const http = objectField(where, hc, "http_health_check");
  const tcp = objectField(where, hc, "tcp_health_check");
  let check: HttpCheckConfig | TcpCheckConfig;
  if (http) check = httpCheck(cluster, `${where}.http_health_check`, http);
  else if (tcp) check = tcpCheck(`${where}.tcp_health_check`, tcp);
  else if (hc.grpc_health_check || hc.custom_health_check) invalid(where, "only http_health_check and tcp_health_check are supported");
  else invalid(where, "one of http_health_check or tcp_health_check is required");
  return {
    timeoutMs: required(where, hc, "timeout"),
    intervalMs,
    noTrafficIntervalMs: positiveDurationMs(where, hc, "no_traffic_interval", 60_000),
    unhealthyIntervalMs: positiveDurationMs(where, hc, "unhealthy_interval", intervalMs),
    intervalJitterMs: durationMs(where, hc, "interval_jitter", 0),
    intervalJitterPercent: wrapperValue(where, hc, "interval_jitter_percent") ?? 0,
    initialJitterMs: durationMs(where, hc, "initial_jitter", 0),
    unhealthyThreshold: threshold(where, hc, "unhealthy_threshold"),
    healthyThreshold: threshold(where, hc, "healthy_threshold"),
    reuseConnection: wrapperValue(where, hc, "reuse_connection") !== 0,
    check,
  };
}

function httpCheck(cluster: string, where: string, http: XdsObject): HttpCheckConfig {
  const path = stringField(where, http, "path") ?? "";
  if (path === "" || !path.startsWith("/")) invalid(where, "path must be a non-empty absolute path");
  const method = typeof http.method === "string" && http.method !== "METHOD_UNSPECIFIED" ? http.method : "GET";
  if (method === "CONNECT") invalid(where, "method CONNECT is not allowed");
  const headers: string[] = [];
  for (const option of arrayField(where, http, "request_headers_to_add")) {
    const header = objectField(where, option, "header");
    if (header && typeof header.key === "string") headers.push(header.key.toLowerCase(), typeof header.value === "string" ? header.value : "");
  }
  return {
    kind: "http",
    path,
    host: stringField(where, http, "host") || cluster,
    method,
    expectedStatuses: statusRanges(where, http, "expected_statuses", DEFAULT_EXPECTED),
    retriableStatuses: statusRanges(where, http, "retriable_statuses", []),
    headers,
  };
}

function tcpCheck(where: string, tcp: XdsObject): TcpCheckConfig {
  const send = objectField(where, tcp, "send");
  return {
    kind: "tcp",
    send: send ? payload(where, send) : null,
    receive: arrayField(where, tcp, "receive").map((p) => payload(where, p)),
  };
}

/** A HealthCheck.Payload: `text` is hex, `binary` is bytes (base64 once decoded to plain objects). */
function payload(where: string, p: XdsObject): Buffer {
  if (typeof p.text === "string") {
    if (!/^([0-9a-fA-F]{2})+$/.test(p.text)) invalid(where, `payload text must be hex, got ${p.text}`);
    return Buffer.from(p.text, "hex");
  }
  if (typeof p.binary === "string") return Buffer.from(p.binary, "base64");
  return invalid(where, "payload needs text or binary");
}

function statusRanges(where: string, http: XdsObject, key: string, fallback: ReadonlyArray<readonly [number, number]>): ReadonlyArray<readonly [number, number]> {
  const list = arrayField(where, http, key);
  if (list.length === 0) return fallback;
  return list.map((r) => {
    const start = Number(r.start ?? 0);
    const end = Number(r.end ?? 0);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 100 || end > 600 || start >= end) {
      invalid(where, `${key} range [${String(r.start)}, ${String(r.end)}) is not within [100, 600)`);
    }
    return [start, end] as const;
  });
}

function required(where: string, o: XdsObject, key: string): number {
  if (objectField(where, o, key) === undefined) invalid(where, `${key} is required`);
  return positiveDurationMs(where, o, key, 0);
}

function threshold(where: string, o: XdsObject, key: string): number {
  const n = wrapperValue(where, o, key);
  if (n === undefined) invalid(where, `${key} is required`);
  return Math.max(1, n);
}
