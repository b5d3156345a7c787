// EDS: a ClusterLoadAssignment per outbound cluster, endpoints grouped by locality with weights and per-proxy locality priorities.

import { jsonToStruct } from "../../../xds/discovery.js";
import type { DestinationRuleSpec } from "../../model/istio-specs.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { ServiceEndpoint } from "../../model/service.js";
import { parseSubsetKey, type SubsetKey } from "../../model/subset-key.js";
import { socketAddress, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { clusterTrafficPolicy } from "../policy/traffic-policy.js";
import { applyLocalityLb, localityLbKey, localityLbPlan, type LocalityGroup, type LocalityLbPlan } from "./locality-lb.js";

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

/** Groups endpoints by locality (sorted); each group's weight is the sum of its endpoints' weights. */
function localityGroups(endpoints: readonly ServiceEndpoint[]): LocalityGroup[] {
  const groups = new Map<string, ServiceEndpoint[]>();
  for (const e of endpoints) {
    const g = groups.get(e.locality);
    if (g) g.push(e);
    else groups.set(e.locality, [e]);
  }
  return [...groups.keys()].sort().map((l) => {
    const eps = groups.get(l)!;
    return { locality: l, endpoints: eps, lbEndpoints: eps.map(lbEndpoint), weight: eps.reduce((s, e) => s + e.weight, 0), priority: 0 };
  });
}

function localityLbEndpoints(groups: readonly LocalityGroup[]): EnvoyObject[] {
  return groups.map((g) => {
    const out: EnvoyObject = { locality: locality(g.locality), lb_endpoints: g.lbEndpoints, load_balancing_weight: { value: g.weight } };
    if (g.priority > 0) out.priority = g.priority;
    return out;
  });
}

/** Groups endpoints by locality (sorted); each group's load_balancing_weight is the sum of its endpoints' weights. */
export function localityEndpoints(endpoints: readonly ServiceEndpoint[]): EnvoyObject[] {
  return localityLbEndpoints(localityGroups(endpoints));
}

/**
 * The assignment of one cluster for a proxy in `namespace`; empty (but present: Envoy waits for one) when the service,
 * port or subset is unknown. Shared across proxies that resolve the same DestinationRule, except when the rule's
 * locality load balancing makes it depend on the proxy (Istio's EDS cache key: locality and failoverPriority labels):
 * then shared by proxies with the same locality (and label values).
 */
export function clusterLoadAssignment(name: string, namespace: string, push: PushContext, proxy?: Proxy): GeneratedResource | undefined {
  const key = parseSubsetKey(name);
  if (!key || key.direction !== "outbound") return undefined;
  const dr = push.destinationRule(namespace, key.hostname);
  const drId = dr ? `${dr.metadata.namespace}/${dr.metadata.name}` : "-";
  const plan = localityPlan(push, drId, name, dr?.spec, key.subset, key.port);
  // Default clusters do not depend on the rule (no subset labels): one object for every namespace.
  const baseId = key.subset ? drId : "-";
  if (!plan) return push.memo(`eds|${baseId}|${name}`, () => ({ name, resource: { cluster_name: name, endpoints: localityEndpoints(clusterEndpoints(push, namespace, key)) } }));
  // Keys end with the host: the push context drops `eds|…|<host>` entries when that host's endpoints change.
  return push.memo(`eds|${drId}|${localityLbKey(plan, proxy)}|${name}`, () => {
    const groups = applyLocalityLb(localityGroups(clusterEndpoints(push, namespace, key)), plan, proxy);
    return { name, resource: { cluster_name: name, endpoints: localityLbEndpoints(groups) } };
  });
}

/** The endpoints of a cluster: the service port's, narrowed to the subset's labels; none for an unknown service or subset. */
function clusterEndpoints(push: PushContext, namespace: string, key: SubsetKey): readonly ServiceEndpoint[] {
  if (!push.service(key.hostname)) return [];
  if (!key.subset) return push.endpoints(key.hostname, key.port);
  const labels = push.subsetLabels(namespace, key.hostname, key.subset);
  return labels ? push.endpoints(key.hostname, key.port, labels) : [];
}

/** The locality LB plan of one cluster under its DestinationRule (memoised per rule and cluster). */
function localityPlan(push: PushContext, drId: string, name: string, dr: DestinationRuleSpec | undefined, subset: string, port: number): LocalityLbPlan | undefined {
  if (!dr) return undefined;
  return push.memo(`eds-plan|${drId}|${name}`, () => localityLbPlan(clusterTrafficPolicy(dr, subset, port), true));
}

/** Whether any of these clusters' assignments depends on the proxy (then wildcard EDS cannot be shared per scope). */
export function localityDependence(namespace: string, push: PushContext, clusters: readonly string[]): { dependent: boolean; labels: readonly string[] } {
  let dependent = false;
  const labels = new Set<string>();
  for (const n of clusters) {
    const key = parseSubsetKey(n);
    if (!key || key.direction !== "outbound") continue;
    const dr = push.destinationRule(namespace, key.hostname);
    if (!dr) continue;
    const plan = localityPlan(push, `${dr.metadata.namespace}/${dr.metadata.name}`, n, dr.spec, key.subset, key.port);
    if (!plan) continue;
    dependent = true;
    for (const l of plan.keyLabels) labels.add(l);
  }
  return { dependent, labels: [...labels].sort() };
}

/** EDS for the requested cluster names, or for `allClusters` when the request is a wildcard. */
export function generateEndpoints(
  namespace: string,
  push: PushContext,
  names: readonly string[] | undefined,
  allClusters: () => readonly string[],
  proxy?: Proxy,
): GeneratedResource[] {
  const out: GeneratedResource[] = [];
  for (const n of names ?? allClusters()) {
    const r = clusterLoadAssignment(n, namespace, push, proxy);
    if (r) out.push(r);
  }
  return out;
}
