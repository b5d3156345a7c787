// CDS: outbound EDS clusters per service port and DestinationRule subset, inbound STATIC clusters, BlackHoleCluster.

import type { ConfigResource } from "../../config/config-resource.js";
import type { DestinationRuleSpec } from "../../model/istio-specs.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { SidecarScope } from "../../model/sidecar-scope.js";
import { shortName, type Service, type ServicePort } from "../../model/service.js";
import { buildInboundKey, buildSubsetKey } from "../../model/subset-key.js";
import { adsConfigSource, configPath, CONNECT_TIMEOUT, istioMetadata, socketAddress, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { inboundPorts, type InboundPort } from "../inbound-ports.js";
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER } from "../listeners/listener-generator.js";
import { connectionPoolFields } from "../policy/connection-pool.js";
import type { ConnectionPoolSpec, TrafficPolicySpec } from "../policy/istio-policy-specs.js";
import { clusterTrafficPolicy } from "../policy/traffic-policy.js";
import { clusterPolicyFields } from "./cluster-traffic-policy.js";
import { httpProtocolOptions } from "./http-protocol-options.js";

function servicesMetadata(services: readonly Service[]): { host: string; name: string; namespace: string }[] {
  return services.map((s) => ({ host: s.hostname, name: shortName(s.hostname), namespace: s.namespace }));
}

/** The cluster fields a merged traffic policy gives: sidecars (Envoy) and proxyless gRPC clients differ. */
export type ClusterPolicyFields = (policy: TrafficPolicySpec | undefined) => EnvoyObject;

function edsCluster(name: string, svc: Service, port: ServicePort, dr: ConfigResource<DestinationRuleSpec> | undefined, subset: string, policyFields: ClusterPolicyFields): EnvoyObject {
  const md: Record<string, unknown> = { services: servicesMetadata([svc]) };
  if (dr) md.config = configPath("destination-rule", dr.metadata.namespace, dr.metadata.name);
  if (subset) md.subset = subset;
  const policy = clusterTrafficPolicy(dr?.spec, subset, port.number);
  const cluster: EnvoyObject = {
    name,
    type: "EDS",
    eds_cluster_config: { eds_config: adsConfigSource(), service_name: name },
    connect_timeout: CONNECT_TIMEOUT,
    ...policyFields(policy),
    metadata: istioMetadata(md),
  };
  // loadBalancer PASSTHROUGH: Istio makes the cluster ORIGINAL_DST, which has no endpoints to discover.
  if (cluster.type === "ORIGINAL_DST") delete cluster.eds_cluster_config;
  const protocolOptions = httpProtocolOptions(port.protocol, true, policy?.connectionPool);
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
  return cluster;
}

/**
 * The outbound clusters of a scope: `outbound|<port>||<fqdn>` for every port of every service in it, plus
 * `outbound|<port>|<subset>|<fqdn>` for each subset of the DestinationRule its namespace uses for the host.
 * A namespace stands for its default scope (every exported service). Shared by every proxy of the scope. `flavor`
 * names the policy translation (its memo keys): the sidecar's by default, or a proxyless gRPC client's.
 */
export function outboundClusters(
  push: PushContext,
  scopeOrNamespace: SidecarScope | string,
  flavor: { name: string; fields: ClusterPolicyFields } = SIDECAR_POLICY,
): readonly GeneratedResource[] {
  const scope = typeof scopeOrNamespace === "string" ? push.defaultScope(scopeOrNamespace) : scopeOrNamespace;
  const namespace = scope.namespace;
  const { name: kind, fields } = flavor;
  return push.memo(`cds|${kind}|${scope.key}`, () => {
    const out: GeneratedResource[] = [];
    for (const svc of scope.services) {
      const dr = push.destinationRule(namespace, svc.hostname);
      // One object per (DestinationRule, cluster): proxies of every namespace that resolve the same rule share it.
      const drId = dr ? `${dr.metadata.namespace}/${dr.metadata.name}` : "-";
      for (const p of svc.ports) {
        const name = buildSubsetKey("outbound", "", svc.hostname, p.number);
        out.push({ name, resource: push.memo(`cluster|${kind}|${drId}|${name}`, () => edsCluster(name, svc, p, dr, "", fields)) });
        for (const s of dr?.spec.subsets ?? []) {
          const sname = buildSubsetKey("outbound", s.name, svc.hostname, p.number);
          out.push({ name: sname, resource: push.memo(`cluster|${kind}|${drId}|${sname}`, () => edsCluster(sname, svc, p, dr, s.name, fields)) });
        }
      }
    }
    return out;
  });
}

const SIDECAR_POLICY = { name: "sidecar", fields: clusterPolicyFields };

/**
 * Istio SidecarScope.InboundConnectionPoolForPort: the proxy's Sidecar ingress listener for the port's connectionPool,
 * else its inboundConnectionPool; either replaces the DestinationRule's connection pool on the inbound cluster.
 */
function inboundConnectionPool(push: PushContext, proxy: Proxy, port: number): ConnectionPoolSpec | undefined {
  const sc = push.sidecarScope(proxy).sidecar?.spec as { ingress?: { port?: { number?: number }; connectionPool?: ConnectionPoolSpec }[]; inboundConnectionPool?: ConnectionPoolSpec } | undefined;
  if (!sc) return undefined;
  for (const i of sc.ingress ?? []) if (i.port?.number === port && i.connectionPool) return i.connectionPool;
  return sc.inboundConnectionPool;
}

/**
 * `inbound|<port>||`: STATIC to the app at APP_ADDRESS (default 127.0.0.1) : APP_PORT (default the inbound port).
 * Its upstream protocol follows the first service's port (Istio builds it from the first ServiceTarget), with the
 * connectionPool of that service's DestinationRule (port level applied) unless the Sidecar sets one for inbound.
 */
function inboundCluster(proxy: Proxy, push: PushContext, ip: InboundPort): GeneratedResource {
  const name = buildInboundKey(ip.port);
  const svc = ip.services[0]!;
  const protocol = svc.ports.find((p) => p.number === ip.servicePort)?.protocol ?? "";
  const dr = push.destinationRule(proxy.namespace, svc.hostname);
  const connectionPool = inboundConnectionPool(push, proxy, ip.port) ?? clusterTrafficPolicy(dr?.spec, "", ip.servicePort)?.connectionPool;
  const protocolOptions = httpProtocolOptions(protocol, false, connectionPool);
  return {
    name,
    resource: {
      name,
      ...(protocolOptions ? { typed_extension_protocol_options: protocolOptions } : {}),
      type: "STATIC",
      connect_timeout: CONNECT_TIMEOUT,
      // Istio applyTrafficPolicy on inbound clusters: only the connection pool (circuit breakers, connect timeout, keepalive).
      ...connectionPoolFields(connectionPool),
      lb_policy: "ROUND_ROBIN",
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(proxy.appAddress ?? "127.0.0.1", proxy.appPort ?? ip.port) } }] }],
      },
      metadata: istioMetadata({ services: servicesMetadata(ip.services) }),
    },
  };
}

/** Istio's BlackHoleCluster: STATIC with no endpoints; virtualOutbound's fallback chain points at it. */
function blackHoleCluster(): EnvoyObject {
  return { name: BLACKHOLE_CLUSTER, type: "STATIC", connect_timeout: CONNECT_TIMEOUT, lb_policy: "ROUND_ROBIN" };
}

/** Istio's PassthroughCluster (ALLOW_ANY): ORIGINAL_DST, the connection's own destination (Weft's data path has no hosts for it). */
function passthroughCluster(): EnvoyObject {
  return { name: PASSTHROUGH_CLUSTER, type: "ORIGINAL_DST", connect_timeout: CONNECT_TIMEOUT, lb_policy: "CLUSTER_PROVIDED" };
}

/** Every cluster of a sidecar: BlackHoleCluster, PassthroughCluster (ALLOW_ANY only), outbound (by service, port, subset), inbound by port. */
export function generateSidecarClusters(proxy: Proxy, push: PushContext, scope: SidecarScope): GeneratedResource[] {
  const out: GeneratedResource[] = [{ name: BLACKHOLE_CLUSTER, resource: push.memo("cds|blackhole", blackHoleCluster) }];
  if (scope.outboundTrafficPolicy === "ALLOW_ANY") out.push({ name: PASSTHROUGH_CLUSTER, resource: push.memo("cds|passthrough", passthroughCluster) });
  out.push(...outboundClusters(push, scope));
  for (const ip of inboundPorts(proxy, push)) out.push(inboundCluster(proxy, push, ip));
  return out;
}
