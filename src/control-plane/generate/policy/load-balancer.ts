// Applier: DestinationRule loadBalancer → cluster lb_policy and its lb config (Istio applyLoadBalancer, ApplyRingHashLoadBalancer).

import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { ConsistentHashSpec, LoadBalancerSpec } from "./istio-policy-specs.js";

/** Istio ApplyRingHashLoadBalancer: maglev, ringHash, or the deprecated form (ring of minimumRingSize, default 1024). */
function applyConsistentHash(out: EnvoyObject, ch: ConsistentHashSpec): void {
  if (ch.maglev) {
    out.lb_policy = "MAGLEV";
    if (ch.maglev.tableSize) setLbConfig(out, "maglev_lb_config", { table_size: { value: ch.maglev.tableSize } });
  } else if (ch.ringHash) {
    out.lb_policy = "RING_HASH";
    if (ch.ringHash.minimumRingSize) setLbConfig(out, "ring_hash_lb_config", { minimum_ring_size: { value: ch.ringHash.minimumRingSize } });
  } else {
    out.lb_policy = "RING_HASH";
    setLbConfig(out, "ring_hash_lb_config", { minimum_ring_size: { value: ch.minimumRingSize || 1024 } });
  }
}

/** The Cluster `lb_config` oneof: setting one member replaces whichever was set. */
const LB_CONFIG_FIELDS = ["ring_hash_lb_config", "maglev_lb_config", "original_dst_lb_config", "least_request_lb_config", "round_robin_lb_config"];

function setLbConfig(out: EnvoyObject, field: string, value: EnvoyObject): void {
  for (const f of LB_CONFIG_FIELDS) delete out[f];
  out[field] = value;
}

/**
 * Istio setWarmup / setSlowStartConfig: `warmup` (duration; aggression default 1 as a RuntimeDouble whose runtime key
 * Istio fixes to "("; minimumPercent default 10) wins over the deprecated `warmupDurationSecs` (window only).
 */
export function slowStartConfig(lb: LoadBalancerSpec | undefined): EnvoyObject | undefined {
  if (lb?.warmup) {
    const cfg: EnvoyObject = {};
    const window = lb.warmup.duration ? parseDuration(lb.warmup.duration) : undefined;
    if (window) cfg.slow_start_window = window;
    cfg.aggression = { default_value: lb.warmup.aggression ?? 1, runtime_key: "(" };
    cfg.min_weight_percent = { value: lb.warmup.minimumPercent ?? 10 };
    return cfg;
  }
  const window = lb?.warmupDurationSecs ? parseDuration(lb.warmupDurationSecs) : undefined;
  return window ? { slow_start_window: window } : undefined;
}

/** applyRoundRobinLoadBalancer / applyLeastRequestLoadBalancer: the policy plus its slow start config when warmup is set. */
function withSlowStart(out: EnvoyObject, policy: "ROUND_ROBIN" | "LEAST_REQUEST", lb: LoadBalancerSpec | undefined): void {
  out.lb_policy = policy;
  const slowStart = slowStartConfig(lb);
  if (slowStart) setLbConfig(out, policy === "ROUND_ROBIN" ? "round_robin_lb_config" : "least_request_lb_config", { slow_start_config: slowStart });
}

/**
 * Istio applyLoadBalancer for an outbound cluster: `simple` picks the policy (LEAST_CONN is LEAST_REQUEST; unset is
 * Istio's default LEAST_REQUEST, left to the caller's default and returned only with a warmup), ROUND_ROBIN and
 * LEAST_REQUEST carry the warmup as slow_start_config, a consistentHash then overrides the policy. PASSTHROUGH makes
 * the cluster ORIGINAL_DST with CLUSTER_PROVIDED balancing; the caller drops its EDS config. Weft adds
 * `original_dst_lb_config.use_http_header`: a Weft sidecar has no iptables capture, so it cannot read the original
 * destination from the socket and takes it from the `x-envoy-original-dst-host` header instead.
 */
export function loadBalancerFields(lb: LoadBalancerSpec | undefined): EnvoyObject {
  if (!lb) return {};
  const out: EnvoyObject = {};
  switch (lb.simple) {
    case "LEAST_CONN":
    case "LEAST_REQUEST":
      withSlowStart(out, "LEAST_REQUEST", lb);
      break;
    case "RANDOM":
      out.lb_policy = "RANDOM";
      break;
    case "ROUND_ROBIN":
      withSlowStart(out, "ROUND_ROBIN", lb);
      break;
    case "PASSTHROUGH":
      out.type = "ORIGINAL_DST";
      out.lb_policy = "CLUSTER_PROVIDED";
      out.original_dst_lb_config = { use_http_header: true };
      break;
    default:
      if (slowStartConfig(lb)) withSlowStart(out, "LEAST_REQUEST", lb);
  }
  // Istio applies the consistent hash after the simple policy, but an ORIGINAL_DST cluster ends CLUSTER_PROVIDED
  // whatever it says (applyTrafficPolicy), so a hash has no effect there.
  if (lb.consistentHash && out.type !== "ORIGINAL_DST") applyConsistentHash(out, lb.consistentHash);
  return out;
}

/**
 * Istio consistentHashToHashPolicy: the route hash_policy entry for a consistent hash key (header, cookie, source IP,
 * query parameter); undefined when the section names no key.
 */
export function hashPolicy(ch: ConsistentHashSpec | undefined): EnvoyObject | undefined {
  if (!ch) return undefined;
  if (ch.httpHeaderName) return { header: { header_name: ch.httpHeaderName } };
  if (ch.httpCookie) {
    const cookie: EnvoyObject = { name: ch.httpCookie.name };
    if (ch.httpCookie.path) cookie.path = ch.httpCookie.path;
    const ttl = ch.httpCookie.ttl ? parseDuration(ch.httpCookie.ttl) : undefined;
    if (ttl) cookie.ttl = ttl;
    return { cookie };
  }
  if (ch.useSourceIp) return { connection_properties: { source_ip: true } };
  if (ch.httpQueryParameterName) return { query_parameter: { name: ch.httpQueryParameterName } };
  return undefined;
}
