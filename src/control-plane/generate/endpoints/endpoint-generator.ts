// EDS: a ClusterLoadAssignment per outbound cluster, endpoints grouped by locality with weights.

import { jsonToStruct } from "../../../xds/discovery.js";
import type { PushContext } from "../../model/push-context.js";
import type { ServiceEndpoint } from "../../model/service.js";
import { parseSubsetKey } from "../../model/subset-key.js";
import { socketAddress, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";

function locality(l: string): EnvoyObject {
  const [region, zone, subZone] = l.split("/");
  const out: EnvoyObject = {};
  if (region) out.region = region;
  if (zone) out.zone = zone;
  if (subZone) out.sub_zone = subZone;
  return out;
}

/** Istio's `istio.workload` endpoint metadata: `<name>;<namespace>;<canonical name>;<canonical revision>;<cluster>`. */
function workloadMetadata(e: ServiceEndpoint): string {
  const canonical = e.labels["service.istio.io/canonical-name"] ?? e.labels.app ?? e.workloadName;
  const revision = e.labels["service.istio.io/canonical-revision"] ?? e.labels.version ?? "latest";
  return `${e.workloadName};${e.namespace};${canonical};${revision};Kubernetes`;
}

function lbEndpoint(e: ServiceEndpoint): EnvoyObject {
  const out: EnvoyObject = {
    endpoint: { address: socketAddress(e.address, e.port) },
    health_status: "HEALTHY",
    load_balancing_weight: { value: e.weight },
  };
  if (e.workloadName) out.metadata = { filter_metadata: { istio: jsonToStruct({ workload: workloadMetadata(e) }) } };
  return out;
}

/** Groups endpoints by locality (sorted); each group's load_balancing_weight is the sum of its endpoints' weights. */
export function localityEndpoints(endpoints: readonly ServiceEndpoint[]): EnvoyObject[] {
  const groups = new Map<string, ServiceEndpoint[]>();
  for (const e of endpoints) {
    const g = groups.get(e.locality);
    if (g) g.push(e);
    else groups.set(e.locality, [e]);
  }
  return [...groups.keys()].sort().map((l) => {
    const eps = groups.get(l)!;
    return {
      locality: locality(l),
      lb_endpoints: eps.map(lbEndpoint),
      load_balancing_weight: { value: eps.reduce((s, e) => s + e.weight, 0) },
    };
  });
}

/**
 * The assignment of one cluster for a proxy in `namespace`; empty (but present: Envoy waits for one) when the service,
 * port or subset is unknown. Shared across proxies that resolve the same DestinationRule.
 */
export function clusterLoadAssignment(name: string, namespace: string, push: PushContext): GeneratedResource | undefined {
  const key = parseSubsetKey(name);
  if (!key || key.direction !== "outbound") return undefined;
  const dr = key.subset ? push.destinationRule(namespace, key.hostname) : undefined;
  const drId = dr ? `${dr.metadata.namespace}/${dr.metadata.name}` : "-";
  return push.memo(`eds|${drId}|${name}`, () => {
    let endpoints: readonly ServiceEndpoint[] = [];
    if (push.service(key.hostname)) {
      if (!key.subset) endpoints = push.endpoints(key.hostname, key.port);
      else {
        const labels = push.subsetLabels(namespace, key.hostname, key.subset);
        if (labels) endpoints = push.endpoints(key.hostname, key.port, labels);
      }
    }
    return { name, resource: { cluster_name: name, endpoints: localityEndpoints(endpoints) } };
  });
}

/** EDS for the requested cluster names, or for `allClusters` when the request is a wildcard. */
export function generateEndpoints(
  namespace: string,
  push: PushContext,
  names: readonly string[] | undefined,
  allClusters: () => readonly string[],
): GeneratedResource[] {
  const out: GeneratedResource[] = [];
  for (const n of names ?? allClusters()) {
    const r = clusterLoadAssignment(n, namespace, push);
    if (r) out.push(r);
  }
  return out;
}
