// Builders of Envoy-shaped xDS objects (as the control plane sends them, decoded) for proxy tests and the benchmark.

import { HCM_TYPE, ROUTER_TYPE } from "../../xds/type-urls.js";
import type { XdsObject } from "../config/xds-fields.js";

const ADS = { ads: {}, resource_api_version: "V3" };
const ROUTER_FILTER = { name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE } };

function hcm(statPrefix: string, routes: XdsObject, httpFilters: XdsObject[] = []): XdsObject {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: { "@type": HCM_TYPE, stat_prefix: statPrefix, ...routes, http_filters: [...httpFilters, ROUTER_FILTER] },
  };
}

/** `virtualOutbound`: 0.0.0.0:15001, use_original_dst. */
export function virtualOutboundListener(): XdsObject {
  return {
    name: "virtualOutbound",
    address: { socket_address: { address: "0.0.0.0", port_value: 15001 } },
    use_original_dst: { value: true },
    traffic_direction: "OUTBOUND",
    filter_chains: [],
  };
}

/** `0.0.0.0_<port>`: bind_to_port false, HCM with RDS "<port>". */
export function outboundListener(port: number, httpFilters: XdsObject[] = []): XdsObject {
  return {
    name: `0.0.0.0_${port}`,
    address: { socket_address: { address: "0.0.0.0", port_value: port } },
    bind_to_port: { value: false },
    traffic_direction: "OUTBOUND",
    filter_chains: [{ filters: [hcm(`outbound_0.0.0.0_${port}`, { rds: { route_config_name: String(port), config_source: ADS } }, httpFilters)] }],
  };
}

/** `<ip>_<port>` inbound listener with an inline route to `inbound|<port>||` (and `httpFilters` before the router). */
export function inboundListener(ip: string, port: number, httpFilters: XdsObject[] = []): XdsObject {
  const cluster = `inbound|${port}||`;
  return {
    name: `${ip}_${port}`,
    address: { socket_address: { address: ip, port_value: port } },
    traffic_direction: "INBOUND",
    filter_chains: [{ filters: [hcm(`inbound_${ip}_${port}`, { route_config: { name: cluster, virtual_hosts: [{ name: "inbound|http|" + port, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster } }] }] } }, httpFilters)] }],
  };
}

export function routeConfig(name: string, virtualHosts: XdsObject[]): XdsObject {
  return { name, virtual_hosts: virtualHosts };
}

export function edsCluster(name: string, connectTimeoutSeconds = 10): XdsObject {
  return {
    name, type: "EDS", lb_policy: "ROUND_ROBIN", connect_timeout: { seconds: connectTimeoutSeconds },
    eds_cluster_config: { eds_config: ADS, service_name: name },
  };
}

export function staticCluster(name: string, address: string, port: number): XdsObject {
  return { name, type: "STATIC", connect_timeout: { seconds: 10 }, load_assignment: assignment(name, [[address, port]]) };
}

/** A ClusterLoadAssignment with HEALTHY endpoints (or the given health). */
export function assignment(clusterName: string, endpoints: Array<[string, number]>, health = "HEALTHY"): XdsObject {
  return {
    cluster_name: clusterName,
    endpoints: [{
      load_balancing_weight: { value: 1 },
      lb_endpoints: endpoints.map(([address, port]) => ({ endpoint: { address: { socket_address: { address, port_value: port } } }, health_status: health })),
    }],
  };
}

/** Name → object map, as the xDS client hands resources over. */
export function byName(items: XdsObject[], key = "name"): Map<string, XdsObject> {
  return new Map(items.map((i) => [String(i[key]), i]));
}
