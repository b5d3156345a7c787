// configDump: renders the proxy's applied xDS state in the shape of Envoy's admin /config_dump.

import type { TypeSubscription } from "../xds-client/type-subscription.js";
import { structToJson, type XdsNode } from "../../xds/discovery.js";
import { toProtoJson } from "../../xds/proto-json.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";

const ADMIN = "type.googleapis.com/envoy.admin.v3.";

/** One held resource for the dump: name, resource, last_updated, and its own version (delta's per-resource version). */
type Item = [string, Record<string, unknown>, string, string];

function typed(typeUrl: string, resource: Record<string, unknown>): Record<string, unknown> {
  return { "@type": typeUrl, ...toProtoJson(typeUrl, resource) };
}

/**
 * Envoy's ConfigDump: BootstrapConfigDump, ClustersConfigDump, ListenersConfigDump, RoutesConfigDump and,
 * with `includeEds` (Envoy's `?include_eds`), EndpointsConfigDump. Resources carry their "@type" and are
 * rendered in proto3 JSON (Durations as "10s", wrappers as bare values), as Envoy prints them.
 */
export function configDump(
  node: XdsNode,
  subs: ReadonlyMap<string, TypeSubscription>,
  opts: { includeEds: boolean },
): { configs: Record<string, unknown>[] } {
  const entries = (typeUrl: string) => {
    const sub = subs.get(typeUrl);
    if (!sub) return { version: "", items: [] as Item[] };
    const items = [...sub.resources.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, r]): Item => [name, r, (sub.updatedAt.get(name) ?? new Date(0)).toISOString(), sub.versions.get(name) ?? sub.acceptedVersion]);
    return { version: sub.acceptedVersion, items };
  };
  const clusters = entries(CLUSTER_TYPE);
  const listeners = entries(LISTENER_TYPE);
  const routes = entries(ROUTE_TYPE);
  const configs: Record<string, unknown>[] = [
    { "@type": `${ADMIN}BootstrapConfigDump`, bootstrap: { node: { ...node, metadata: structToJson(node.metadata) } } },
    {
      "@type": `${ADMIN}ClustersConfigDump`,
      version_info: clusters.version,
      dynamic_active_clusters: clusters.items.map(([, c, at, version]) => ({
        version_info: version,
        cluster: typed(CLUSTER_TYPE, c),
        last_updated: at,
      })),
    },
    {
      "@type": `${ADMIN}ListenersConfigDump`,
      version_info: listeners.version,
      dynamic_listeners: listeners.items.map(([name, l, at, version]) => ({
        name,
        active_state: { version_info: version, listener: typed(LISTENER_TYPE, l), last_updated: at },
      })),
    },
    {
      "@type": `${ADMIN}RoutesConfigDump`,
      dynamic_route_configs: routes.items.map(([, r, at, version]) => ({
        version_info: version,
        route_config: typed(ROUTE_TYPE, r),
        last_updated: at,
      })),
    },
  ];
  if (opts.includeEds) {
    const eds = entries(ENDPOINT_TYPE);
    configs.push({
      "@type": `${ADMIN}EndpointsConfigDump`,
      dynamic_endpoint_configs: eds.items.map(([, e, at, version]) => ({
        version_info: version,
        endpoint_config: typed(ENDPOINT_TYPE, e),
        last_updated: at,
      })),
    });
  }
  return { configs };
}
