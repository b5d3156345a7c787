// Applier: DestinationRule loadBalancer → cluster lb_policy and its lb config (Istio applyLoadBalancer, ApplyRingHashLoadBalancer).

import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { ConsistentHashSpec, LoadBalancerSpec } from "./istio-policy-specs.js";

const SIMPLE_POLICY: Record<string, string> = {
  ROUND_ROBIN: "ROUND_ROBIN",
  LEAST_REQUEST: "LEAST_REQUEST",
  LEAST_CONN: "LEAST_REQUEST",
  RANDOM: "RANDOM",
};

/** Istio ApplyRingHashLoadBalancer: maglev, ringHash, or the deprecated form (ring of minimumRingSize, default 1024). */
function consistentHashFields(ch: ConsistentHashSpec): EnvoyObject {
  if (ch.maglev) return ch.maglev.tableSize ? { lb_policy: "MAGLEV", maglev_lb_config: { table_size: { value: ch.maglev.tableSize } } } : { lb_policy: "MAGLEV" };
  if (ch.ringHash) {
    const size = ch.ringHash.minimumRingSize;
    return size ? { lb_policy: "RING_HASH", ring_hash_lb_config: { minimum_ring_size: { value: size } } } : { lb_policy: "RING_HASH" };
  }
  return { lb_policy: "RING_HASH", ring_hash_lb_config: { minimum_ring_size: { value: ch.minimumRingSize || 1024 } } };
}

/**
 * The cluster fields a loadBalancer section sets; empty when it sets nothing the cluster's default (ROUND_ROBIN in
 * Weft) would not already give. `simple` picks the policy (LEAST_CONN is LEAST_REQUEST), a consistentHash overrides it.
 * PASSTHROUGH (ORIGINAL_DST clusters) is not supported and leaves the cluster unchanged.
 */
export function loadBalancerFields(lb: LoadBalancerSpec | undefined): EnvoyObject {
  if (!lb) return {};
  if (lb.consistentHash) return consistentHashFields(lb.consistentHash);
  const policy = lb.simple ? SIMPLE_POLICY[lb.simple] : undefined;
  return policy ? { lb_policy: policy } : {};
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
