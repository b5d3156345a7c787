// LDS for sidecars: virtualOutbound, one `0.0.0.0_<port>` outbound listener per HTTP port, and inbound `<ip>_<port>`.

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { OutboundTrafficPolicyMode, SidecarScope } from "../../model/sidecar-scope.js";
import { buildInboundKey } from "../../model/subset-key.js";
import { TCP_PROXY_TYPE } from "../../../xds/type-urls.js";
import { adsConfigSource, httpConnectionManagerFilter, NO_TIMEOUT, socketAddress, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { inboundPorts, type InboundPort } from "../inbound-ports.js";

export const VIRTUAL_OUTBOUND = "virtualOutbound";
export const VIRTUAL_OUTBOUND_PORT = 15001;
export const BLACKHOLE_CLUSTER = "BlackHoleCluster";
export const PASSTHROUGH_CLUSTER = "PassthroughCluster";

function tcpProxyTo(cluster: string): EnvoyObject {
  return { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": TCP_PROXY_TYPE, stat_prefix: cluster, cluster } };
}

/**
 * Istio's virtualOutbound: 0.0.0.0:15001 with use_original_dst, handing connections to the listener of their original
 * port. What matches none goes to BlackHoleCluster (REGISTRY_ONLY), or with a Sidecar's ALLOW_ANY to the
 * `PassthroughFilterChain` default chain (PassthroughCluster; Weft's data path does not forward it). Without a
 * Sidecar policy: Weft's shape from before Sidecar support (one BlackHoleCluster chain).
 */
function virtualOutbound(mode: OutboundTrafficPolicyMode | undefined): EnvoyObject {
  const base = { name: VIRTUAL_OUTBOUND, address: socketAddress("0.0.0.0", VIRTUAL_OUTBOUND_PORT), use_original_dst: { value: true }, traffic_direction: "OUTBOUND" };
  if (mode === undefined) return { ...base, filter_chains: [{ name: BLACKHOLE_CLUSTER, filters: [tcpProxyTo(BLACKHOLE_CLUSTER)] }] };
  return {
    ...base,
    filter_chains: [
      { name: "virtualOutbound-blackhole", filter_chain_match: { destination_port: { value: VIRTUAL_OUTBOUND_PORT } }, filters: [tcpProxyTo(BLACKHOLE_CLUSTER)] },
    ],
    default_filter_chain: {
      name: "PassthroughFilterChain",
      filters: [tcpProxyTo(mode === "ALLOW_ANY" ? PASSTHROUGH_CLUSTER : BLACKHOLE_CLUSTER)],
    },
  };
}

function outboundListener(port: number): EnvoyObject {
  const name = `0.0.0.0_${port}`;
  return {
    name,
    address: socketAddress("0.0.0.0", port),
    bind_to_port: { value: false },
    traffic_direction: "OUTBOUND",
    filter_chains: [
      {
        filters: [
          httpConnectionManagerFilter({
            stat_prefix: `outbound_0.0.0.0_${port}`,
            rds: { route_config_name: String(port), config_source: adsConfigSource() },
          }),
        ],
      },
    ],
  };
}

/** `<ip>_<port>` bound on the proxy's IP; an inline route sends everything to `inbound|<port>||`. */
function inboundListener(proxy: Proxy, ip: InboundPort): EnvoyObject {
  const cluster = buildInboundKey(ip.port);
  return {
    name: `${proxy.ip}_${ip.port}`,
    address: socketAddress(proxy.ip, ip.port),
    traffic_direction: "INBOUND",
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
          }),
        ],
      },
    ],
  };
}

/** Every listener of a sidecar, in a stable order: virtualOutbound, outbound by port (the scope's HTTP ports), inbound by port. */
export function generateSidecarListeners(proxy: Proxy, push: PushContext, scope: SidecarScope): GeneratedResource[] {
  const mode = scope.outboundTrafficPolicy;
  const out: GeneratedResource[] = [{ name: VIRTUAL_OUTBOUND, resource: push.memo(`lds|virtualOutbound|${mode ?? ""}`, () => virtualOutbound(mode)) }];
  for (const port of scope.httpPorts()) {
    out.push({ name: `0.0.0.0_${port}`, resource: push.memo(`lds|outbound|${port}`, () => outboundListener(port)) });
  }
  for (const ip of inboundPorts(proxy, push)) {
    const l = inboundListener(proxy, ip);
    out.push({ name: l.name as string, resource: l });
  }
  return out;
}
