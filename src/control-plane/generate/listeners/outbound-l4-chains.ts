// Filter chains of an outbound port for TCP and TLS services (Istio tcp.go/tls.go buildSidecarOutboundTCP/TLSFilterChainOpts).

import { isTLSProtocol } from "../../config/protocol.js";
import type { L4MatchSpec, L4RouteSpec } from "../../model/istio-specs.js";
import { selectorMatches } from "../../model/labels.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { Service } from "../../model/service.js";
import type { SidecarScope } from "../../model/sidecar-scope.js";
import { buildSubsetKey } from "../../model/subset-key.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { tcpProxyFilter, tcpProxyForRoute } from "./tcp-proxy-filter.js";

/**
 * The match a filter chain is selected by, before it becomes a FilterChainMatch. `key` identifies the match: Envoy
 * rejects a listener with two chains matching the same way, so the first chain with a key wins (Istio matchHasBeenHandled).
 */
interface ChainMatch {
  cidrs: readonly string[];
  sniHosts: readonly string[];
}

function matchKey(m: ChainMatch): string {
  return `${[...m.cidrs].sort().join(",")}|${[...m.sniHosts].sort().join(",")}`;
}

/** "10.0.0.0/8" or a bare address ("10.1.2.3" → /32, IPv6 → /128) as a CidrRange. */
function cidrRange(cidr: string): EnvoyObject {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const len = slash < 0 ? (address.includes(":") ? 128 : 32) : Number(cidr.slice(slash + 1));
  return { address_prefix: address, prefix_len: { value: len } };
}

function filterChainMatch(m: ChainMatch): EnvoyObject | undefined {
  const out: EnvoyObject = {};
  if (m.cidrs.length > 0) out.prefix_ranges = m.cidrs.map(cidrRange);
  if (m.sniHosts.length > 0) {
    out.server_names = [...m.sniHosts];
    out.transport_protocol = "tls";
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Istio matchTCP / matchTLS without sniHosts: gateways include mesh, source labels and namespace, port. */
function matchApplies(m: L4MatchSpec, listenPort: number, proxy: Proxy): boolean {
  if (m.gateways && m.gateways.length > 0 && !m.gateways.includes("mesh")) return false;
  if (m.sourceLabels && !selectorMatches(m.sourceLabels, proxy.labels)) return false;
  if (m.sourceNamespace && m.sourceNamespace !== proxy.namespace) return false;
  return !m.port || m.port === listenPort;
}

/** Builds the chains of one port in order; duplicates of an earlier match are dropped. */
class ChainSet {
  readonly chains: EnvoyObject[] = [];
  private readonly seen = new Set<string>();

  constructor(wildcardTaken: boolean) {
    if (wildcardTaken) this.seen.add(matchKey({ cidrs: [], sniHosts: [] }));
  }

  has(m: ChainMatch): boolean {
    return this.seen.has(matchKey(m));
  }

  add(m: ChainMatch, name: string, filter: EnvoyObject): void {
    const key = matchKey(m);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const fcm = filterChainMatch(m);
    this.chains.push(fcm ? { name, filter_chain_match: fcm, filters: [filter] } : { name, filters: [filter] });
  }
}

/** TLS routes of a TLS/HTTPS service; true when some match produced a chain (Istio hasTLSMatch). */
function addTlsChains(set: ChainSet, routes: readonly L4RouteSpec[], vsNs: string, serviceCidrs: readonly string[], port: number, proxy: Proxy, push: PushContext): boolean {
  let matched = false;
  for (const r of routes) {
    if (!r.route || r.route.length === 0) continue;
    for (const m of r.match ?? []) {
      if (!matchApplies(m, port, proxy)) continue;
      const cm = { cidrs: m.destinationSubnets?.length ? m.destinationSubnets : serviceCidrs, sniHosts: m.sniHosts ?? [] };
      if (!set.has(cm)) set.add(cm, `tls|${(m.sniHosts ?? []).join(",")}`, tcpProxyForRoute(r.route, vsNs, port, push));
      matched = true;
    }
  }
  return matched;
}

/** TCP routes: the first match without destinationSubnets (or a route without matches) is the service's catch-all. */
function addTcpChains(set: ChainSet, routes: readonly L4RouteSpec[], vsNs: string, serviceCidrs: readonly string[], port: number, proxy: Proxy, push: PushContext): boolean {
  for (const r of routes) {
    if (!r.route || r.route.length === 0) continue;
    const filter = (): EnvoyObject => tcpProxyForRoute(r.route!, vsNs, port, push);
    if (!r.match || r.match.length === 0) {
      set.add({ cidrs: serviceCidrs, sniHosts: [] }, "tcp", filter());
      return true;
    }
    for (const m of r.match) {
      if (!matchApplies(m, port, proxy)) continue;
      if (!m.destinationSubnets || m.destinationSubnets.length === 0) {
        set.add({ cidrs: serviceCidrs, sniHosts: [] }, "tcp", filter());
        return true;
      }
      set.add({ cidrs: m.destinationSubnets, sniHosts: [] }, `tcp|${m.destinationSubnets.join(",")}`, filter());
    }
  }
  return false;
}

/**
 * The TCP/TLS filter chains of outbound port `port` for `services` (those whose port `port` is not HTTP), in
 * hostname order. Weft merges every service of a port number into the one `0.0.0.0_<port>` listener:
 * - A service with a VIP (its first address) matches on `prefix_ranges: [VIP/32]`; one without matches any destination.
 * - TLS/HTTPS ports: each TLS route match → `server_names` (+ `transport_protocol: tls`) and its destinationSubnets
 *   or the VIP; without a matching TLS route, the service's hostname as SNI (Istio's default passthrough chain).
 * - TCP routes: each match with destinationSubnets → a chain on those subnets; the first match without (or a route
 *   without matches) is the service's catch-all; without one, a catch-all to `outbound|<port>||<host>` — except on
 *   TLS ports, which then keep only their SNI chains.
 * - Conflicts: the first chain with a given match wins. `httpClaimsWildcard` (an HTTP service on the same port
 *   without VIP) takes the catch-all first, so TCP services without VIP on an HTTP port get only their subnet/SNI chains.
 */
export function outboundL4Chains(proxy: Proxy, push: PushContext, scope: SidecarScope, port: number, services: readonly Service[], httpClaimsWildcard: boolean): EnvoyObject[] {
  const set = new ChainSet(httpClaimsWildcard);
  for (const svc of services) {
    const p = svc.ports.find((x) => x.number === port);
    if (!p) continue;
    const vip = svc.addresses[0];
    const serviceCidrs = vip ? [vip] : [];
    const vs = push.virtualServiceFor(scope, svc.hostname);
    const vsNs = vs?.metadata.namespace ?? svc.namespace;
    const isTls = isTLSProtocol(p.protocol); // Istio protocol.IsTLS: TLS and HTTPS ports get SNI chains
    if (isTls && !addTlsChains(set, vs?.spec.tls ?? [], vsNs, serviceCidrs, port, proxy, push)) {
      const cluster = buildSubsetKey("outbound", "", svc.hostname, port);
      set.add({ cidrs: serviceCidrs, sniHosts: vip ? [] : [svc.hostname] }, cluster, tcpProxyFilter(cluster));
    }
    if (!addTcpChains(set, vs?.spec.tcp ?? [], vsNs, serviceCidrs, port, proxy, push) && !isTls) {
      const cluster = buildSubsetKey("outbound", "", svc.hostname, port);
      set.add({ cidrs: serviceCidrs, sniHosts: [] }, cluster, tcpProxyFilter(cluster));
    }
  }
  return set.chains;
}

/** True when some chain selects on what tls_inspector reads (SNI, transport protocol, ALPN). */
export function needsTlsInspector(chains: readonly EnvoyObject[]): boolean {
  return chains.some((c) => {
    const m = c.filter_chain_match as EnvoyObject | undefined;
    return m !== undefined && (m.server_names !== undefined || m.transport_protocol !== undefined || m.application_protocols !== undefined);
  });
}
