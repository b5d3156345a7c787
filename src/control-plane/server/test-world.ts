// world: small synthetic snapshots (clusters, endpoints, one listener and route) for the xDS server's tests.

import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import { Snapshot } from "../cache/snapshot.js";

/**
 * A world of `n` clusters named c0..c(n-1); `tag` changes every resource's content; `endpointTags` overrides the
 * tag of single ClusterLoadAssignments (to change one endpoint set only).
 */
export function world(n: number, tag = "t", triggeredAt?: number, endpointTags: Record<string, string> = {}): Snapshot {
  const names = Array.from({ length: n }, (_, i) => `c${i}`);
  return Snapshot.builder(triggeredAt)
    .add(CLUSTER_TYPE, names.map((name) => ({ name, resource: { name, type: "EDS", alt_stat_name: tag, eds_cluster_config: { service_name: name } } })))
    .add(ENDPOINT_TYPE, names.map((name) => ({ name, resource: { cluster_name: name, endpoints: [{ locality: { zone: endpointTags[name] ?? tag } }] } })))
    .add(LISTENER_TYPE, [{ name: "l", resource: { name: "l", stat_prefix: tag } }])
    .add(ROUTE_TYPE, [{ name: "80", resource: { name: "80", internal_only_headers: [tag] } }])
    .build();
}
