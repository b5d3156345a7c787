// The envoy.filters.network.tcp_proxy network filter for one route's destinations (Istio buildOutboundNetworkFilters).

import type { RouteDestinationSpec } from "../../model/istio-specs.js";
import type { PushContext } from "../../model/push-context.js";
import { TCP_PROXY_TYPE } from "../../../xds/type-urls.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { destinationCluster } from "../routes/virtual-service-routes.js";

const TCP_PROXY_FILTER_NAME = "envoy.filters.network.tcp_proxy";

/** tcp_proxy to one cluster; stat_prefix is the cluster name, as Istio writes it. */
export function tcpProxyFilter(cluster: string): EnvoyObject {
  return { name: TCP_PROXY_FILTER_NAME, typed_config: { "@type": TCP_PROXY_TYPE, stat_prefix: cluster, cluster } };
}

/**
 * One destination → `cluster`; several → `weighted_clusters` (zero weights dropped, as Istio does) with stat_prefix
 * the first cluster's name. Destinations without weight count as 100 when alone.
 */
export function tcpProxyForRoute(route: readonly RouteDestinationSpec[], vsNamespace: string, listenPort: number, push: PushContext): EnvoyObject {
  if (route.length === 1) return tcpProxyFilter(destinationCluster(route[0]!.destination, vsNamespace, listenPort, push));
  const clusters = route
    .filter((d) => (d.weight ?? 0) > 0)
    .map((d) => ({ name: destinationCluster(d.destination, vsNamespace, listenPort, push), weight: d.weight! }));
  if (clusters.length === 1) return tcpProxyFilter(clusters[0]!.name);
  return {
    name: TCP_PROXY_FILTER_NAME,
    typed_config: { "@type": TCP_PROXY_TYPE, stat_prefix: clusters[0]!.name, weighted_clusters: { clusters } },
  };
}
