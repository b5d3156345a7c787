// generate: the pure entry point (type URL, proxy, push context, requested names) → xDS resources.

import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import type { Proxy } from "../model/proxy.js";
import type { PushContext } from "../model/push-context.js";
import type { SidecarScope } from "../model/sidecar-scope.js";
import { generateSidecarClusters, outboundClusters } from "./clusters/cluster-generator.js";
import { generateEndpoints, localityDependence } from "./endpoints/endpoint-generator.js";
import { proxyLocalityKey } from "./endpoints/locality-lb.js";
import type { GeneratedResource } from "./generated-resource.js";
import { generateGrpcClusters } from "./grpc/grpc-clusters.js";
import { generateGrpcListeners } from "./grpc/grpc-listeners.js";
import { generateGrpcRoutes } from "./grpc/grpc-routes.js";
import { generateSidecarListeners } from "./listeners/listener-generator.js";
import { generateSidecarRoutes } from "./routes/route-generator.js";

export type { GeneratedResource } from "./generated-resource.js";

const log = new Logger("generate");

function byName(all: readonly GeneratedResource[], names: readonly string[] | undefined): GeneratedResource[] {
  if (!names) return [...all];
  const wanted = new Set(names);
  return all.filter((r) => wanted.has(r.name));
}

function outboundClusterNames(scope: SidecarScope, push: PushContext): readonly string[] {
  return push.memo(`cds-names|${scope.key}`, () => outboundClusters(push, scope).map((c) => c.name));
}

/** Sidecars: everything is limited to the proxy's SidecarScope (its Sidecar resource, else every exported service). */
function generateSidecar(typeUrl: string, proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  const scope = push.sidecarScope(proxy);
  switch (typeUrl) {
    case LISTENER_TYPE:
      return byName(generateSidecarListeners(proxy, push, scope), names);
    case ROUTE_TYPE:
      // One array per scope when routes do not depend on the proxy's labels: the snapshot layer then shares one
      // encoded, versioned set between every proxy of the scope.
      if (names === undefined && !push.hasSourceScopedRoutes) return push.memo(`rds-all|${scope.key}`, () => generateSidecarRoutes(proxy, push, scope));
      return generateSidecarRoutes(proxy, push, scope, names);
    case CLUSTER_TYPE:
      return byName(generateSidecarClusters(proxy, push, scope), names);
    case ENDPOINT_TYPE:
      if (names === undefined) {
        // Shared per scope unless a DestinationRule's locality LB makes assignments depend on the proxy: then per
        // scope and locality (and failoverPriority label values), so proxies without locality LB still share one.
        const all = (): readonly string[] => outboundClusterNames(scope, push);
        const dep = push.memo(`eds-dep|${scope.key}`, () => localityDependence(scope.namespace, push, all()));
        const key = dep.dependent ? `eds-all|${scope.key}|${proxyLocalityKey(proxy, dep.labels)}` : `eds-all|${scope.key}`;
        return push.memo(key, () => generateEndpoints(scope.namespace, push, undefined, all, proxy));
      }
      return generateEndpoints(proxy.namespace, push, names, () => outboundClusterNames(scope, push), proxy);
    default:
      return [];
  }
}

/** Proxyless gRPC (Istio grpcgen): api_listeners by `host:port`, per-service route configs, outbound clusters with policy. */
function generateGrpc(typeUrl: string, proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  switch (typeUrl) {
    case LISTENER_TYPE:
      return generateGrpcListeners(proxy, push, names);
    case ROUTE_TYPE:
      return generateGrpcRoutes(proxy, push, names);
    case CLUSTER_TYPE:
      return generateGrpcClusters(proxy, push, names);
    case ENDPOINT_TYPE:
      return generateEndpoints(proxy.namespace, push, names, () => outboundClusterNames(push.defaultScope(proxy.namespace), push), proxy);
    default:
      return [];
  }
}

/**
 * Pure: the resources of one type for one proxy. `names` restricts to requested names (RDS, EDS, and LDS/CDS when the
 * client asked by name; undefined = wildcard/all). Never throws for bad config: skips what can't be built and logs
 * once per push. Returned objects, and the returned arrays, are shared between proxies and must not be mutated.
 */
export function generate(typeUrl: string, proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  try {
    return proxy.type === "grpc" ? generateGrpc(typeUrl, proxy, push, names) : generateSidecar(typeUrl, proxy, push, names);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    push.memo(`generate-error|${shortTypeName(typeUrl)}|${reason}`, () => {
      log.error("generation failed; sending nothing for this type", { type: shortTypeName(typeUrl), proxy: proxy.id, reason });
      return true;
    });
    return [];
  }
}
