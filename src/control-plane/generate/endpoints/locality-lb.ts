// Istio's locality load balancing on a ClusterLoadAssignment, per proxy: priorities by proximity, failover, failoverPriority, distribute.

import type { Proxy } from "../../model/proxy.js";
import type { ServiceEndpoint } from "../../model/service.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { LocalityLbSettingSpec, TrafficPolicySpec } from "../policy/istio-policy-specs.js";

/** A proxy's locality as Envoy's core.Locality parts ("" when unset). */
export interface LocalityParts {
  region: string;
  zone: string;
  subZone: string;
}

/** Istio's mesh default (MeshConfig.localityLbSetting unset → `{enabled: true}`): Weft has no MeshConfig. */
const MESH_DEFAULT: LocalityLbSettingSpec = Object.freeze({ enabled: true });

/** The label Istio's AugmentLabels gives every proxy and endpoint for its locality and cluster (failoverPriority matches them). */
export const LABEL_REGION = "topology.kubernetes.io/region";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_SUBZONE = "topology.istio.io/subzone";
export const LABEL_CLUSTER = "topology.istio.io/cluster";
export const LABEL_NETWORK = "topology.istio.io/network";
const CLUSTER_ID = "Kubernetes";

/** Istio SplitLocality: "a/b/c" → parts, missing ones "". */
export function splitLocality(l: string): LocalityParts {
  const [region = "", zone = "", subZone = ""] = l.split("/");
  return { region, zone, subZone };
}

/** The proxy's node.locality as parts (all "" without one). */
function proxyLocality(proxy: Proxy | undefined): LocalityParts {
  const l = proxy?.locality;
  return { region: l?.region ?? "", zone: l?.zone ?? "", subZone: l?.subZone ?? "" };
}

/**
 * Istio GetLocalityLbSetting: the DestinationRule's localityLbSetting when it has one (undefined when it says
 * `enabled: false`), else the mesh default, which is enabled.
 */
export function effectiveLocalityLbSetting(policy: TrafficPolicySpec | undefined): LocalityLbSettingSpec | undefined {
  const dr = policy?.loadBalancer?.localityLbSetting;
  if (dr) return dr.enabled === false ? undefined : dr;
  return MESH_DEFAULT;
}

/** What locality LB does to one cluster's assignment: nothing, or something that depends on the proxy. */
export interface LocalityLbPlan {
  setting: LocalityLbSettingSpec;
  /** Failover needs outlier detection (Envoy never leaves a priority otherwise): Istio enables it only then. */
  enableFailover: boolean;
  /** The failoverPriority label names whose proxy values shape the assignment (none with `distribute` or no failover). */
  keyLabels: readonly string[];
}

/**
 * The plan for a cluster with merged policy `policy`; undefined when the assignment is the same for every proxy
 * (locality LB off, or neither `distribute` nor failover applies), so it can stay shared.
 */
export function localityLbPlan(policy: TrafficPolicySpec | undefined, hasDestinationRule: boolean): LocalityLbPlan | undefined {
  if (!hasDestinationRule) return undefined; // Istio: no rule → no outlier detection and the mesh default has no distribute
  const setting = effectiveLocalityLbSetting(policy);
  if (!setting) return undefined;
  const enableFailover = policy?.outlierDetection !== undefined;
  if (!setting.distribute?.length && !enableFailover) return undefined;
  const keyLabels = enableFailover && !setting.distribute?.length ? (setting.failoverPriority ?? []).map((e) => e.split("=")[0]!) : [];
  return { setting, enableFailover, keyLabels };
}

/** Istio AugmentLabels: region/zone/subzone, cluster and network pseudo-labels over the workload's own. */
function augmented(labels: Readonly<Record<string, string>>, locality: LocalityParts, network: string): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  if (locality.region) out[LABEL_REGION] = locality.region;
  if (locality.zone) out[LABEL_ZONE] = locality.zone;
  if (locality.subZone) out[LABEL_SUBZONE] = locality.subZone;
  out[LABEL_CLUSTER] = CLUSTER_ID;
  if (network) out[LABEL_NETWORK] = network;
  return out;
}

/** Per proxy (immutable for its stream): its augmented labels and its locality key part, computed once, not per cluster. */
const priorityLabelsByProxy = new WeakMap<Proxy, Readonly<Record<string, string>>>();
const localityKeyByProxy = new WeakMap<Proxy, string>();

/** The proxy's labels as Istio sees them for failoverPriority (its LABELS plus locality and NETWORK pseudo-labels). */
function proxyPriorityLabels(proxy: Proxy | undefined): Readonly<Record<string, string>> {
  let labels = proxy && priorityLabelsByProxy.get(proxy);
  if (labels) return labels;
  const network = proxy?.metadata.NETWORK;
  labels = augmented(proxy?.labels ?? {}, proxyLocality(proxy), typeof network === "string" ? network : "");
  if (proxy) priorityLabelsByProxy.set(proxy, labels);
  return labels;
}

/** The locality part of a proxy's memo keys: each part escaped on its own, joined by "," (which escaping never leaves). */
function localityKey(proxy: Proxy | undefined): string {
  let key = proxy && localityKeyByProxy.get(proxy);
  if (key !== undefined) return key;
  const l = proxyLocality(proxy);
  key = `${encodeURIComponent(l.region)},${encodeURIComponent(l.zone)},${encodeURIComponent(l.subZone)}`;
  if (proxy) localityKeyByProxy.set(proxy, key);
  return key;
}

/**
 * The memo key part that tells proxies apart (Istio's EDS cache key): their locality and the values of the given
 * failoverPriority labels. Contains no `|`.
 */
export function proxyLocalityKey(proxy: Proxy | undefined, labelNames: readonly string[]): string {
  const base = localityKey(proxy);
  if (labelNames.length === 0) return base;
  const labels = proxyPriorityLabels(proxy);
  let key = base;
  for (const name of labelNames) key += `,${encodeURIComponent(labels[name] ?? "")}`;
  return key;
}

/** The memo key part that tells proxies apart for one cluster's plan. */
export function localityLbKey(plan: LocalityLbPlan, proxy: Proxy | undefined): string {
  return proxyLocalityKey(proxy, plan.keyLabels);
}

/** One LocalityLbEndpoints being rewritten, with the endpoints it was built from (failoverPriority reads their labels). */
export interface LocalityGroup {
  locality: string;
  endpoints: ServiceEndpoint[];
  lbEndpoints: EnvoyObject[];
  weight: number;
  priority: number;
}

/** Istio LocalityMatch: a rule locality ("region[/zone[/subzone]]", `*` wildcards, missing parts match all) against one. */
export function localityMatch(l: LocalityParts | undefined, rule: string): boolean {
  const r = splitLocality(rule);
  const region = l?.region ?? "";
  const zone = l?.zone ?? "";
  const subZone = l?.subZone ?? "";
  return (r.region === "*" || region === r.region) &&
    (r.zone === "*" || r.zone === "" || zone === r.zone) &&
    (r.subZone === "*" || r.subZone === "" || subZone === r.subZone);
}

/** Istio LbPriority: 0 same region/zone/subzone, 1 same region/zone, 2 same region, 3 otherwise. */
function lbPriority(proxy: LocalityParts, ep: LocalityParts): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subZone === ep.subZone ? 0 : 1;
}

/** Renumbers priorities to 0..N-1 without gaps, keeping their order (Envoy rejects skipped priorities). */
function compactPriorities(groups: readonly LocalityGroup[]): void {
  const used = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  const rank = new Map(used.map((p, i) => [p, i]));
  for (const g of groups) g.priority = rank.get(g.priority)!;
}

/**
 * Istio applyLocalityWeights: the first `distribute` entry whose `from` matches the proxy rewrites the locality
 * weights: each `to` locality (wildcards allowed) shares its weight between the groups it matches in proportion to
 * their own weight (rounded up); groups no `to` matches lose their endpoints.
 */
function applyLocalityWeights(proxy: LocalityParts, groups: LocalityGroup[], distribute: NonNullable<LocalityLbSettingSpec["distribute"]>): void {
  for (const d of distribute) {
    if (!localityMatch(proxy, d.from ?? "")) continue;
    const unmatched = new Set(groups.map((_, i) => i));
    for (const [to, weight] of Object.entries(d.to ?? {})) {
      const matched: number[] = [];
      let total = 0;
      for (const i of unmatched) {
        const g = groups[i]!;
        if (!localityMatch(g.locality === "" ? undefined : splitLocality(g.locality), to)) continue;
        matched.push(i);
        total += g.weight;
      }
      for (const i of matched) {
        unmatched.delete(i);
        const w = (groups[i]!.weight * weight) / total;
        if (w > 0) groups[i]!.weight = Math.ceil(w);
      }
    }
    for (const i of unmatched) {
      groups[i]!.lbEndpoints = [];
      groups[i]!.endpoints = [];
    }
    return;
  }
}

/**
 * Istio applyLocalityFailover: priority by proximity (0–3); with `failover` entries, a group outside the proxy's
 * region that is not in the `to` region of the entry for the proxy's region drops to 4. Combined with priorities
 * already given by failoverPriority (×5), then compacted.
 */
function applyLocalityFailover(proxy: LocalityParts, groups: LocalityGroup[], failover: NonNullable<LocalityLbSettingSpec["failover"]>): void {
  for (const g of groups) {
    const ep = splitLocality(g.locality);
    let p = lbPriority(proxy, ep);
    if (p === 3) {
      const f = failover.find((x) => x.from === proxy.region);
      if (f && (g.locality === "" || ep.region !== f.to)) p = 4;
    }
    g.priority = g.priority * 5 + p;
  }
  compactPriorities(groups);
}

/**
 * Istio applyFailoverPriorities: each locality group splits by how many leading failoverPriority labels its endpoints
 * share with the proxy (`label=value` compares to the given value instead of the proxy's); priority 0 matches all.
 * Nothing happens for a proxy without labels.
 */
function applyFailoverPriorities(groups: LocalityGroup[], proxyLabels: Readonly<Record<string, string>>, priorities: readonly string[]): LocalityGroup[] {
  if (Object.keys(proxyLabels).length === 0 || groups.length === 0) return groups;
  const names: string[] = [];
  const overrides = new Map<string, string>();
  for (const p of priorities) {
    const parts = p.split("=");
    names.push(parts[0]!);
    if (parts.length === 2) overrides.set(parts[0]!, parts[1]!);
  }
  const lowest = names.length;
  const out: LocalityGroup[] = [];
  for (const g of groups) {
    const byPriority = new Map<number, number[]>();
    const epLocality = splitLocality(g.locality);
    g.endpoints.forEach((e, i) => {
      const labels = augmented(e.labels, epLocality, e.network);
      let priority = 0;
      for (let j = 0; j < names.length; j++) {
        const name = names[j]!;
        const want = overrides.get(name) ?? proxyLabels[name] ?? "";
        if (want !== (labels[name] ?? "")) { priority = lowest - j; break; }
      }
      const list = byPriority.get(priority);
      if (list) list.push(i);
      else byPriority.set(priority, [i]);
    });
    for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
      const idx = byPriority.get(priority)!;
      out.push({
        locality: g.locality,
        endpoints: idx.map((i) => g.endpoints[i]!),
        lbEndpoints: idx.map((i) => g.lbEndpoints[i]!),
        weight: idx.reduce((s, i) => s + g.endpoints[i]!.weight, 0),
        priority,
      });
    }
  }
  compactPriorities(out);
  return out;
}

/**
 * Istio ApplyLocalityLoadBalancer for one proxy: `distribute` (weights) when set, else — only with outlier detection —
 * failoverPriority (then `failover` too when given) or proximity failover. Returns the rewritten groups.
 */
export function applyLocalityLb(groups: LocalityGroup[], plan: LocalityLbPlan, proxy: Proxy | undefined): LocalityGroup[] {
  const l = proxyLocality(proxy);
  const s = plan.setting;
  if (s.distribute?.length) {
    applyLocalityWeights(l, groups, s.distribute);
    return groups;
  }
  if (!plan.enableFailover) return groups;
  if (s.failoverPriority?.length) {
    const out = applyFailoverPriorities(groups, proxyPriorityLabels(proxy), s.failoverPriority);
    if (s.failover?.length) applyLocalityFailover(l, out, s.failover);
    return out;
  }
  applyLocalityFailover(l, groups, s.failover ?? []);
  return groups;
}

/**
 * Istio applyLocalityLoadBalancer on the cluster: `common_lb_config.locality_weighted_lb_config` when `distribute` is
 * set, or failover/failoverPriority is with outlier detection (otherwise it would change LEAST_REQUEST's behaviour).
 */
export function needsLocalityWeightedLb(policy: TrafficPolicySpec | undefined): boolean {
  const s = effectiveLocalityLbSetting(policy);
  if (!s) return false;
  if (s.distribute?.length) return true;
  return policy?.outlierDetection !== undefined && ((s.failover?.length ?? 0) > 0 || (s.failoverPriority?.length ?? 0) > 0);
}
