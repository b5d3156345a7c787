// LDS for sidecars: virtualOutbound, one `0.0.0.0_<port>` outbound listener per service port, and inbound `<ip>_<port>`.

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { OutboundTrafficPolicyMode, SidecarScope } from "../../model/sidecar-scope.js";
import { buildInboundKey } from "../../model/subset-key.js";
import { isHttpPort, type Service } from "../../model/service.js";
import { TLS_INSPECTOR_TYPE } from "../../../xds/type-urls.js";
import { adsConfigSource, httpConnectionManagerFilter, NO_TIMEOUT, socketAddress, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { inboundPorts, type InboundPort } from "../inbound-ports.js";
import { inboundSecurityFilters } from "../security/inbound-security-filters.js";
import { SIDECAR_HTTP_FILTERS } from "./http-filters.js";
import { needsTlsInspector, outboundL4Chains } from "./outbound-l4-chains.js";
import { tcpProxyFilter } from "./tcp-proxy-filter.js";

export const VIRTUAL_OUTBOUND = "virtualOutbound";
export const VIRTUAL_OUTBOUND_PORT = 15001;
export const BLACKHOLE_CLUSTER = "BlackHoleCluster";
export const PASSTHROUGH_CLUSTER = "PassthroughCluster";

/** Istio puts a websocket upgrade on every sidecar HttpConnectionManager (inbound and outbound). */
const UPGRADE_CONFIGS = Object.freeze([Object.freeze({ upgrade_type: "websocket" })]);

/** Istio's TLS inspector: reads SNI/ALPN for filter chain matching; a timeout continues with what is known. */
const TLS_INSPECTOR = Object.freeze({ name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": TLS_INSPECTOR_TYPE } });

/**
 * Istio's virtualOutbound: 0.0.0.0:15001 with use_original_dst, handing connections to the listener of their original
 * port. What matches none goes to BlackHoleCluster (REGISTRY_ONLY), or with a Sidecar's ALLOW_ANY to the
 * `PassthroughFilterChain` default chain (PassthroughCluster; Weft's data path does not forward it). Without a
 * Sidecar policy: Weft's shape from before Sidecar support (one BlackHoleCluster chain).
 */
function virtualOutbound(mode: OutboundTrafficPolicyMode | undefined): EnvoyObject {
  const base = { name: VIRTUAL_OUTBOUND, address: socketAddress("0.0.0.0", VIRTUAL_OUTBOUND_PORT), use_original_dst: { value: true }, traffic_direction: "OUTBOUND" };
  if (mode === undefined) return { ...base, filter_chains: [{ name: BLACKHOLE_CLUSTER, filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)] }] };
  return {
    ...base,
    filter_chains: [
      { name: "virtualOutbound-blackhole", filter_chain_match: { destination_port: { value: VIRTUAL_OUTBOUND_PORT } }, filters: [tcpProxyFilter(BLACKHOLE_CLUSTER)] },
    ],
    default_filter_chain: {
      name: "PassthroughFilterChain",
      filters: [tcpProxyFilter(mode === "ALLOW_ANY" ? PASSTHROUGH_CLUSTER : BLACKHOLE_CLUSTER)],
    },
  };
}

/**
 * `0.0.0.0_<port>`: an HCM chain (RDS "<port>") when some service has an HTTP port `port` — it is then the catch-all —
 * plus the TCP/TLS chains of the services whose port `port` is not HTTP (see outboundL4Chains); tls_inspector
 * when a chain matches on SNI.
 */
function outboundListener(proxy: Proxy, push: PushContext, scope: SidecarScope, port: number, http: boolean, l4: readonly Service[]): EnvoyObject {
  const name = `0.0.0.0_${port}`;
  const chains: EnvoyObject[] = [];
  if (http) {
    chains.push({
      filters: [
        httpConnectionManagerFilter({
          stat_prefix: `outbound_0.0.0.0_${port}`,
          rds: { route_config_name: String(port), config_source: adsConfigSource() },
          http_filters: SIDECAR_HTTP_FILTERS,
          upgrade_configs: UPGRADE_CONFIGS,
        }),
      ],
    });
  }
  if (l4.length > 0) chains.push(...outboundL4Chains(proxy, push, scope, port, l4, http));
  const out: EnvoyObject = { name, address: socketAddress("0.0.0.0", port), bind_to_port: { value: false }, traffic_direction: "OUTBOUND", filter_chains: chains };
  if (needsTlsInspector(chains)) {
    out.listener_filters = [TLS_INSPECTOR];
    out.continue_on_listener_filters_timeout = true;
  }
  return out;
}

/** The outbound ports of a scope, ascending, each with whether an HTTP service has it and its non-HTTP services. */
interface OutboundPlan {
  readonly ports: readonly { readonly port: number; readonly http: boolean; readonly l4: readonly Service[] }[];
  /** Some TCP/TLS route of a VirtualService the scope sees matches on sourceLabels/sourceNamespace. */
  readonly sourceScoped: boolean;
}

/** Built once per scope and push (hostname order of services kept). */
function outboundPlan(push: PushContext, scope: SidecarScope): OutboundPlan {
  const l4 = new Map<number, Service[]>();
  for (const s of scope.services) {
    for (const p of s.ports) {
      if (isHttpPort(p)) continue;
      const list = l4.get(p.number);
      if (list) list.push(s);
      else l4.set(p.number, [s]);
    }
  }
  const httpPorts = new Set(scope.httpPorts());
  const ports = [...new Set([...httpPorts, ...l4.keys()])].sort((a, b) => a - b).map((port) => ({ port, http: httpPorts.has(port), l4: l4.get(port) ?? [] }));
  return { ports, sourceScoped: hasSourceScopedL4Routes(push, scope, new Set([...l4.values()].flat())) };
}

/** True when a TCP/TLS route of some VirtualService the scope sees matches on sourceLabels/sourceNamespace. */
function hasSourceScopedL4Routes(push: PushContext, scope: SidecarScope, services: Iterable<Service>): boolean {
  for (const s of services) {
    const spec = push.virtualServiceFor(scope, s.hostname)?.spec;
    for (const routes of [spec?.tcp, spec?.tls]) {
      if (routes?.some((r) => (r.match ?? []).some((m) => m.sourceLabels !== undefined || m.sourceNamespace !== undefined))) return true;
    }
  }
  return false;
}

/**
 * `<ip>_<port>` bound on the proxy's IP: an HCM whose inline route sends everything to `inbound|<port>||`, or for a
 * TCP port a tcp_proxy to that cluster. The HCM's http_filters start with the workload's authentication and
 * authorization filters when a RequestAuthentication / AuthorizationPolicy selects it (`security`).
 */
function inboundListener(proxy: Proxy, ip: InboundPort, security: readonly EnvoyObject[]): EnvoyObject {
  const cluster = buildInboundKey(ip.port);
  const base = { name: `${proxy.ip}_${ip.port}`, address: socketAddress(proxy.ip, ip.port), traffic_direction: "INBOUND" };
  if (ip.tcp) return { ...base, filter_chains: [{ filters: [tcpProxyFilter(cluster)] }] };
  return {
    ...base,
    filter_chains: [
      {
        filters: [
          httpConnectionManagerFilter({
            stat_prefix: `inbound_0.0.0.0_${ip.port}`,
            route_config: {
              name: cluster,
              virtual_hosts: [
                {
                  name: `inbound|http|${ip.port}`,
                  domains: ["*"],
                  routes: [{ name: "default", match: { prefix: "/" }, route: { cluster, timeout: NO_TIMEOUT } }],
                },
              ],
            },
            http_filters: security.length === 0 ? SIDECAR_HTTP_FILTERS : [...security, ...SIDECAR_HTTP_FILTERS],
            upgrade_configs: UPGRADE_CONFIGS,
          }),
        ],
      },
    ],
  };
}

/**
 * Every listener of a sidecar, in a stable order: virtualOutbound, outbound by port (the scope's ports), inbound by
 * port. Outbound listeners are shared by the proxies of a scope, except when an L4 route matches on the source.
 */
export function generateSidecarListeners(proxy: Proxy, push: PushContext, scope: SidecarScope): GeneratedResource[] {
  const mode = scope.outboundTrafficPolicy;
  const out: GeneratedResource[] = [{ name: VIRTUAL_OUTBOUND, resource: push.memo(`lds|virtualOutbound|${mode ?? ""}`, () => virtualOutbound(mode)) }];
  const plan = push.memo(`lds|plan|${scope.key}`, () => outboundPlan(push, scope));
  const owner = plan.sourceScoped ? `${proxy.namespace}|${JSON.stringify(proxy.labels)}` : "";
  for (const { port, http, l4 } of plan.ports) {
    const build = (): EnvoyObject => outboundListener(proxy, push, scope, port, http, l4);
    const key = l4.length === 0 ? `lds|outbound|${port}` : `lds|outbound|${scope.key}|${owner}|${port}`;
    out.push({ name: `0.0.0.0_${port}`, resource: push.memo(key, build) });
  }
  const ports = inboundPorts(proxy, push);
  const security = ports.some((p) => !p.tcp) ? inboundSecurityFilters(proxy, push) : [];
  for (const ip of ports) {
    const l = inboundListener(proxy, ip, security);
    out.push({ name: l.name as string, resource: l });
  }
  return out;
}
