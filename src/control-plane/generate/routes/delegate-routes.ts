// Delegate VirtualServices: a root rule with `delegate` is replaced by the delegate's rules merged into it (Istio mergeHTTPRoutes).

import type { ConfigSnapshot } from "../../config/config-resource.js";
import type { HTTPMatchRequestSpec, HTTPRouteSpec, StringMatchSpec, VirtualServiceSpec } from "../../model/istio-specs.js";

/** One HTTP rule to translate, with the namespace its destination hosts resolve in (the delegate's for merged rules). */
export interface ExpandedRule {
  readonly rule: HTTPRouteSpec;
  readonly namespace: string;
}

/**
 * The http rules of a root VirtualService with every delegate rule expanded (Istio mergeVirtualServicesIfNeeded): the
 * delegate (by name, namespace defaulting to the root's) must exist, have no hosts and be exported to the root's
 * namespace, else the rule is dropped. Delegation is one level deep: a delegate's own delegate rules are dropped, so
 * generation never loops whatever the config says.
 */
export function expandDelegates(spec: VirtualServiceSpec, namespace: string, config: ConfigSnapshot): ExpandedRule[] {
  const out: ExpandedRule[] = [];
  for (const rule of spec.http ?? []) {
    if (!rule.delegate) {
      out.push({ rule, namespace });
      continue;
    }
    const ns = rule.delegate.namespace || namespace;
    const name = rule.delegate.name ?? "";
    const d = config.get<VirtualServiceSpec>({ kind: "VirtualService", namespace: ns, name });
    if (!d || (d.spec.hosts ?? []).length > 0 || !exportedTo(d.spec.exportTo, ns, namespace)) continue;
    for (const sub of d.spec.http ?? []) {
      if (sub.delegate) continue;
      const merged = mergeHTTPRoute(rule, sub);
      if (merged) out.push({ rule: merged, namespace: ns });
    }
  }
  return out;
}

function exportedTo(exportTo: readonly string[] | undefined, own: string, target: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === "*" || e === target || (e === "." && own === target));
}

/** Istio mergeHTTPRoute: the delegate rule with matches intersected with the root's and the root's fields as defaults. */
function mergeHTTPRoute(root: HTTPRouteSpec, delegate: HTTPRouteSpec): HTTPRouteSpec | undefined {
  const match = mergeMatches(root.match ?? [], delegate.match ?? []);
  if (match === undefined) return undefined;
  const out: HTTPRouteSpec = { ...delegate, match };
  if (match.length === 0) delete out.match;
  out.name = !delegate.name ? root.name : root.name ? `${root.name}-${delegate.name}` : delegate.name;
  if (!out.name) delete out.name;
  out.rewrite ??= root.rewrite;
  out.directResponse ??= root.directResponse;
  out.timeout ??= root.timeout;
  out.retries ??= root.retries;
  out.fault ??= root.fault;
  out.mirror ??= root.mirror;
  out.mirrorPercent ??= root.mirrorPercent;
  out.mirrorPercentage ??= root.mirrorPercentage;
  out.corsPolicy ??= root.corsPolicy;
  out.mirrors ??= root.mirrors;
  out.headers ??= root.headers;
  for (const k of Object.keys(out) as (keyof HTTPRouteSpec)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Istio mergeHTTPMatchRequests; undefined on conflict (some delegate match is outside every root match). */
function mergeMatches(root: readonly HTTPMatchRequestSpec[], delegate: readonly HTTPMatchRequestSpec[]): HTTPMatchRequestSpec[] | undefined {
  if (root.length === 0) return [...delegate];
  if (delegate.length === 0) return [...root];
  const out: HTTPMatchRequestSpec[] = [];
  for (const sub of delegate) {
    let found = false;
    for (const r of root) {
      if (hasConflict(r, sub)) continue;
      out.push(mergeMatch(r, sub));
      found = true;
    }
    if (!found) return undefined;
  }
  return out.length === 0 ? undefined : out;
}

function mergeMatch(root: HTTPMatchRequestSpec, d: HTTPMatchRequestSpec): HTTPMatchRequestSpec {
  const out: HTTPMatchRequestSpec = { ...d };
  out.name = !d.name ? root.name : root.name ? `${root.name}-${d.name}` : d.name;
  out.uri ??= root.uri;
  out.scheme ??= root.scheme;
  out.method ??= root.method;
  out.authority ??= root.authority;
  if (root.headers || d.headers) out.headers = { ...root.headers, ...d.headers };
  if (root.withoutHeaders || d.withoutHeaders) out.withoutHeaders = { ...root.withoutHeaders, ...d.withoutHeaders };
  if (root.queryParams || d.queryParams) out.queryParams = { ...root.queryParams, ...d.queryParams };
  if (!out.port) out.port = root.port;
  if (root.sourceLabels || d.sourceLabels) out.sourceLabels = { ...root.sourceLabels, ...d.sourceLabels };
  out.sourceNamespace ||= root.sourceNamespace;
  if (!out.gateways || out.gateways.length === 0) out.gateways = root.gateways;
  for (const k of Object.keys(out) as (keyof HTTPMatchRequestSpec)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Istio hasConflict: the delegate match must narrow the root match. */
function hasConflict(root: HTTPMatchRequestSpec, leaf: HTTPMatchRequestSpec): boolean {
  const pairs: [StringMatchSpec | undefined, StringMatchSpec | undefined][] = [
    [root.uri, leaf.uri], [root.scheme, leaf.scheme], [root.method, leaf.method], [root.authority, leaf.authority],
  ];
  for (const [r, l] of pairs) if (stringMatchConflict(r, l)) return true;
  for (const [k, v] of Object.entries(leaf.headers ?? {})) if (stringMatchConflict(root.headers?.[k], v)) return true;
  for (const [k, v] of Object.entries(leaf.withoutHeaders ?? {})) if (stringMatchConflict(root.withoutHeaders?.[k], v)) return true;
  for (const [k, v] of Object.entries(leaf.queryParams ?? {})) if (stringMatchConflict(root.queryParams?.[k], v)) return true;
  if (!!root.ignoreUriCase !== !!leaf.ignoreUriCase) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {})) {
    const rv = root.sourceLabels?.[k];
    if (rv !== undefined && rv !== v) return true;
  }
  if (root.gateways?.length && leaf.gateways?.length) {
    if (root.gateways.length < leaf.gateways.length) return true;
    if (leaf.gateways.some((g) => !root.gateways!.includes(g))) return true;
  }
  return false;
}

function stringMatchConflict(root: StringMatchSpec | undefined, leaf: StringMatchSpec | undefined): boolean {
  if (!root || !leaf) return false;
  if (root.regex || leaf.regex) return true;
  if (root.exact) return !!leaf.prefix || leaf.exact !== root.exact;
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}

/**
 * The resolved hosts of the root VirtualServices (in any of `configs`) that delegate to `namespace/name`: a change to
 * a delegate concerns the proxies routing those hosts.
 */
export function delegatingRootHosts(configs: readonly ConfigSnapshot[], namespace: string, name: string, resolve: (host: string, ns: string) => string): string[] {
  const out = new Set<string>();
  for (const config of configs) {
    for (const vs of config.list<VirtualServiceSpec>("VirtualService")) {
      const ns = vs.metadata.namespace;
      if (!(vs.spec.http ?? []).some((r) => r.delegate && r.delegate.name === name && (r.delegate.namespace || ns) === namespace)) continue;
      for (const h of vs.spec.hosts ?? []) out.add(resolve(h, ns));
    }
  }
  return [...out];
}
