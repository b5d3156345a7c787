// DestinationRule trafficPolicy rules (validateTrafficPolicy and its parts in istio/istio pkg/config/validation).

import type { FieldPath } from "./field-path.js";
import type { Issues } from "./issues.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { validateDuration, validateIntPercent } from "./value-rules.js";

export function validateTrafficPolicy(policy: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!policy) return;
  const sections = ["outlierDetection", "connectionPool", "loadBalancer", "tls", "portLevelSettings", "tunnel", "proxyProtocol"];
  if (!sections.some((s) => policy[s] !== undefined)) return out.error(path, "traffic policy must have at least one field");
  if (policy.tunnel !== undefined && policy.proxyProtocol !== undefined) {
    return out.error(path, "tunnel and proxyProtocol must not be set together");
  }
  validateOutlierDetection(obj(policy.outlierDetection), [...path, "outlierDetection"], out);
  validateConnectionPool(obj(policy.connectionPool), [...path, "connectionPool"], out);
  validateLoadBalancer(obj(policy.loadBalancer), obj(policy.outlierDetection), [...path, "loadBalancer"], out);
  validateClientTLS(obj(policy.tls), [...path, "tls"], out);
  arr(policy.portLevelSettings).forEach((s, i) => {
    const p = [...path, "portLevelSettings", i];
    const pl = obj(s);
    if (!pl) return out.error(p, "traffic policy may not be null");
    if (!obj(pl.port)) out.error([...p, "port"], "portTrafficPolicy must have valid port");
    if (!["outlierDetection", "connectionPool", "loadBalancer", "tls"].some((k) => pl[k] !== undefined)) {
      return out.error(p, "port traffic policy must have at least one field");
    }
    validateOutlierDetection(obj(pl.outlierDetection), [...p, "outlierDetection"], out);
    validateConnectionPool(obj(pl.connectionPool), [...p, "connectionPool"], out);
    validateLoadBalancer(obj(pl.loadBalancer), obj(pl.outlierDetection), [...p, "loadBalancer"], out);
    validateClientTLS(obj(pl.tls), [...p, "tls"], out);
  });
  const pp = obj(policy.proxyProtocol);
  if (pp && pp.version !== undefined && !["V1", "V2"].includes(str(pp.version))) {
    out.error([...path, "proxyProtocol", "version"], `proxy protocol version is invalid: ${String(pp.version)}`);
  }
  const tunnel = obj(policy.tunnel);
  if (tunnel) {
    const protocol = str(tunnel.protocol);
    if (protocol && protocol !== "CONNECT" && protocol !== "POST") out.error([...path, "tunnel", "protocol"], `tunnel protocol must be "CONNECT" or "POST"`);
  }
}

export function validateOutlierDetection(od: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!od) return;
  for (const f of ["baseEjectionTime", "interval"] as const) {
    if (od[f] !== undefined) out.error([...path, f], validateDuration(od[f]));
  }
  if (od.consecutiveErrors !== undefined && od.consecutiveErrors !== 0) {
    out.warn([...path, "consecutiveErrors"], "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
  }
  if (!od.splitExternalLocalOriginErrors && num(od.consecutiveLocalOriginFailures) > 0) {
    out.error([...path, "consecutiveLocalOriginFailures"], "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false");
  }
  out.error([...path, "maxEjectionPercent"], validateIntPercent(od.maxEjectionPercent));
  out.error([...path, "minHealthPercent"], validateIntPercent(od.minHealthPercent));
}

export function validateConnectionPool(cp: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!cp) return;
  const http = obj(cp.http);
  const tcp = obj(cp.tcp);
  if (!http && !tcp) return out.error(path, "connection pool must have at least one field");
  const nonNegative = (o: Obj, field: string, p: FieldPath, what: string) => {
    if (num(o[field]) < 0) out.error([...p, field], `${what} must be non-negative`);
  };
  if (http) {
    const p = [...path, "http"];
    nonNegative(http, "http1MaxPendingRequests", p, "http1 max pending requests");
    nonNegative(http, "http2MaxRequests", p, "http2 max requests");
    nonNegative(http, "maxRequestsPerConnection", p, "max requests per connection");
    nonNegative(http, "maxRetries", p, "max retries");
    nonNegative(http, "maxConcurrentStreams", p, "max concurrent streams");
    if (http.idleTimeout !== undefined) out.error([...p, "idleTimeout"], validateDuration(http.idleTimeout));
    if (str(http.h2UpgradePolicy) === "UPGRADE" && http.useClientProtocol === true) {
      out.error([...p, "useClientProtocol"], "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
    }
  }
  if (tcp) {
    const p = [...path, "tcp"];
    nonNegative(tcp, "maxConnections", p, "max connections");
    for (const f of ["connectTimeout", "maxConnectionDuration", "idleTimeout"] as const) {
      if (tcp[f] !== undefined) out.error([...p, f], validateDuration(tcp[f]));
    }
    const ka = obj(tcp.tcpKeepalive);
    if (ka) {
      for (const f of ["time", "interval"] as const) {
        if (ka[f] !== undefined) out.error([...p, "tcpKeepalive", f], validateDuration(ka[f]));
      }
    }
  }
}

const HASH_KEYS = ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"];

export function validateLoadBalancer(lb: Obj | undefined, outlier: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!lb) return;
  if (lb.simple !== undefined && lb.consistentHash !== undefined) {
    out.error(path, "only one of simple or consistentHash may be set");
  }
  const ch = obj(lb.consistentHash);
  if (ch) {
    const p = [...path, "consistentHash"];
    const keys = HASH_KEYS.filter((k) => ch[k] !== undefined);
    if (keys.length > 1) out.error(p, `only one hash key may be set, found: ${keys.join(", ")}`);
    const cookie = obj(ch.httpCookie);
    if (cookie && !str(cookie.name)) out.error([...p, "httpCookie", "name"], "name required for HttpCookie");
    if (cookie?.ttl !== undefined && cookie.ttl !== "0s") {
      const err = validateDuration(cookie.ttl);
      if (err && err !== "duration must be greater than 1ms") out.error([...p, "httpCookie", "ttl"], err);
    }
    if (num(ch.minimumRingSize) !== 0) {
      out.warn([...p, "minimumRingSize"], "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
      if (ch.ringHash !== undefined || ch.maglev !== undefined) out.error(p, "only one of MinimumRingSize or Maglev/Ringhash can be specified");
    }
    const ml = obj(ch.maglev);
    if (ml) {
      const size = num(ml.tableSize);
      if (size === 0) out.error([...p, "maglev", "tableSize"], "tableSize must be set for maglev");
      if (size >= 5000011) out.error([...p, "maglev", "tableSize"], "tableSize must be less than 5000011 for maglev");
      if (!isPrime(size)) out.error([...p, "maglev", "tableSize"], "tableSize must be a prime number for maglev");
    }
  }
  validateLocalityLbSetting(obj(lb.localityLbSetting), outlier, [...path, "localityLbSetting"], out);
  if (lb.warmupDurationSecs !== undefined) out.error([...path, "warmupDurationSecs"], validateDuration(lb.warmupDurationSecs));
  validateWarmup(lb.warmup, [...path, "warmup"], out);
}

/** WarmupConfiguration: duration required (a valid duration), minimumPercent in [0, 100], aggression at least 1. */
function validateWarmup(value: unknown, path: FieldPath, out: Issues): void {
  if (value === undefined) return;
  const w = obj(value);
  if (!w) return out.error(path, "warmup must be an object with a duration");
  if (w.duration === undefined) out.error([...path, "duration"], "warmup duration is required");
  else out.error([...path, "duration"], validateDuration(w.duration));
  if (w.minimumPercent !== undefined && (typeof w.minimumPercent !== "number" || w.minimumPercent < 0 || w.minimumPercent > 100)) {
    out.error([...path, "minimumPercent"], `warmup minimumPercent ${String(w.minimumPercent)} must be in range [0, 100]`);
  }
  if (w.aggression !== undefined && (typeof w.aggression !== "number" || w.aggression < 1)) {
    out.error([...path, "aggression"], `warmup aggression ${String(w.aggression)} must be at least 1.0`);
  }
}

/** Envoy's isPrime (source/common/common/utility.cc), which Istio copies. */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

function validateLocalityLbSetting(lb: Obj | undefined, outlier: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!lb) return;
  const distribute = arr(lb.distribute);
  const failover = arr(lb.failover);
  if (distribute.length > 0 && failover.length > 0) {
    return out.error(path, "can not simultaneously specify 'distribute' and 'failover'");
  }
  if ((failover.length > 0 || arr(lb.failoverPriority).length > 0) && !outlier) {
    out.warn(path, "outlier detection policy must be provided for failover");
  }
  if (failover.length > 0) {
    arr(lb.failoverPriority).forEach((l, i) => {
      if (TOPOLOGY_LABELS.includes(str(l))) {
        out.error([...path, "failoverPriority", i], `can not simultaneously set 'failover' and topology label '${str(l)}' in 'failover_priority'`);
      }
    });
  }
  const froms = new Set<string>();
  distribute.forEach((d, i) => {
    const p = [...path, "distribute", i];
    const entry = obj(d) ?? {};
    const from = str(entry.from);
    if (froms.has(from)) out.error([...p, "from"], `locality ${from} overlap with previous specified ones`);
    froms.add(from);
    out.error([...p, "from"], localityWildcardError(from));
    let total = 0;
    for (const [loc, w] of Object.entries(obj(entry.to) ?? {})) {
      const weight = num(w);
      if (weight <= 0 || weight > 100) out.error([...p, "to", loc], `locality weight ${String(w)} must be in range [1, 100]`);
      out.error([...p, "to", loc], localityWildcardError(loc));
      total += weight;
    }
    if (total !== 100) out.error([...p, "to"], `total locality weight ${total} != 100`);
  });
  failover.forEach((f, i) => {
    const p = [...path, "failover", i];
    const entry = obj(f) ?? {};
    const from = str(entry.from);
    const to = str(entry.to);
    if (from === to) out.error(p, "locality lb failover settings must specify different regions");
    if (from.includes("/") || to.includes("/")) out.error(p, "locality lb failover only specify region");
    if (from.includes("*") || to.includes("*")) out.error(p, "locality lb failover region should not contain '*' wildcard");
  });
}

/** The locality labels failoverPriority may not name together with `failover` (Istio's validateLocalityLbSetting). */
const TOPOLOGY_LABELS = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

/** Istio validateLocalities: a `*` only as the last character. */
function localityWildcardError(locality: string): string | undefined {
  const stars = locality.split("*").length - 1;
  if (stars === 0 || (stars === 1 && locality.endsWith("*"))) return undefined;
  return `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`;
}

/** Client-side TLS settings (agent.ValidateTLS). */
export function validateClientTLS(tls: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!tls) return;
  const mode = str(tls.mode);
  if (mode === "MUTUAL" && !str(tls.credentialName)) {
    if (!str(tls.clientCertificate)) out.error([...path, "clientCertificate"], "client certificate required for mutual tls");
    if (!str(tls.privateKey)) out.error([...path, "privateKey"], "private key required for mutual tls");
  }
  if (tls.insecureSkipVerify === true && (mode === "SIMPLE" || mode === "MUTUAL")) {
    if (arr(tls.subjectAltNames).length > 0) out.error([...path, "subjectAltNames"], "cannot specify SubjectAltNames when InsecureSkipVerify is set");
    if (str(tls.caCertificates)) out.error([...path, "caCertificates"], "cannot specify CaCertificates when InsecureSkipVerify is set");
  }
}
