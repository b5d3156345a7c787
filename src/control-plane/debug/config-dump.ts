// configDump: renders what a proxy was sent as Envoy's admin ConfigDump JSON (envoy.admin.v3), decoding the cached Anys.

import { unpackAny } from "../../xds/any.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import type { SentConfig } from "../server/ads-server.js";

const ADMIN = "type.googleapis.com/envoy.admin.v3.";

/** Envoy's admin ConfigDump shape, `configs` in Envoy's order: listeners, clusters, routes, endpoints. */
export function configDump(sent: ReadonlyMap<string, SentConfig>): { configs: Record<string, unknown>[] } {
  const dynamic = (typeUrl: string, wrap: (resource: Record<string, unknown>, version: string, lastUpdated: string) => Record<string, unknown>) => {
    const s = sent.get(typeUrl);
    if (!s) return { version_info: "", items: [] as Record<string, unknown>[] };
    const lastUpdated = new Date(s.time).toISOString();
    const items = s.resources.map((r) => wrap({ "@type": r.any.type_url, ...unpackAny(r.any) }, s.version, lastUpdated));
    return { version_info: s.version, items };
  };
  const listeners = dynamic(LISTENER_TYPE, (listener, version_info, last_updated) => ({
    name: listener.name,
    active_state: { version_info, listener, last_updated },
  }));
  const clusters = dynamic(CLUSTER_TYPE, (cluster, version_info, last_updated) => ({ version_info, cluster, last_updated }));
  const routes = dynamic(ROUTE_TYPE, (route_config, version_info, last_updated) => ({ version_info, route_config, last_updated }));
  const endpoints = dynamic(ENDPOINT_TYPE, (endpoint_config, version_info, last_updated) => ({ version_info, endpoint_config, last_updated }));
  return {
    configs: [
      { "@type": `${ADMIN}ListenersConfigDump`, version_info: listeners.version_info, dynamic_listeners: listeners.items },
      { "@type": `${ADMIN}ClustersConfigDump`, version_info: clusters.version_info, dynamic_active_clusters: clusters.items },
      { "@type": `${ADMIN}RoutesConfigDump`, dynamic_route_configs: routes.items },
      { "@type": `${ADMIN}EndpointsConfigDump`, dynamic_endpoint_configs: endpoints.items },
    ],
  };
}
