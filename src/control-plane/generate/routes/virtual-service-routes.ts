// Translates a mesh VirtualService's http rules into Envoy routes for one listener port (pilot route.go translateRoute).

import type { ConfigResource } from "../../config/config-resource.js";
import { resolveHost } from "../../model/host-name.js";
import type { DestinationSpec, HTTPMatchRequestSpec, HTTPRouteSpec, VirtualServiceSpec } from "../../model/istio-specs.js";
import { selectorMatches } from "../../model/labels.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { buildSubsetKey, parseSubsetKey } from "../../model/subset-key.js";
import { configPath, istioMetadata, type EnvoyObject } from "../envoy-objects.js";
import { FAULT_FILTER_NAME, httpFault } from "../policy/fault.js";
import { hashPolicy } from "../policy/load-balancer.js";
import { routeTimeoutFields } from "../policy/route-timeout.js";
import { destinationConsistentHash } from "../policy/traffic-policy.js";
import { expandDelegates } from "./delegate-routes.js";
import {
  applyHeaders, applyRewrite, authorityOf, CORS_FILTER_NAME, corsPolicy, directResponseAction, mirrorFraction, mirrorPolicy,
  mirrorPolicyFraction, redirectAction, retryPolicy,
} from "./route-actions.js";
import { isCatchAllMatch, translateRouteMatch } from "./route-match.js";

/**
 * The cluster a destination names (Istio GetDestinationCluster): port = destination.port.number, else the
 * destination service's single port, else the listener port.
 */
export function destinationCluster(dest: DestinationSpec, vsNamespace: string, listenPort: number, push: PushContext): string {
  const host = resolveHost(dest.host, vsNamespace, push.domain);
  let port = listenPort;
  if (dest.port?.number) port = dest.port.number;
  else {
    const svc = push.service(host);
    if (svc && svc.ports.length === 1) port = svc.ports[0]!.number;
  }
  return buildSubsetKey("outbound", dest.subset ?? "", host, port);
}

/** Whether a match block can apply to this proxy's traffic on `listenPort` (Istio: port, then sourceMatchHTTP). */
export function matchApplies(m: HTTPMatchRequestSpec | undefined, listenPort: number, proxy: Proxy): boolean {
  if (!m) return true;
  if (m.port && m.port !== listenPort) return false;
  if (m.gateways && m.gateways.length > 0) return m.gateways.includes("mesh");
  if (!selectorMatches(m.sourceLabels, proxy.labels)) return false;
  return !m.sourceNamespace || m.sourceNamespace === proxy.namespace;
}

/** The route hash_policy of a destination's DestinationRule consistentHash, if any. */
function destinationHash(d: DestinationSpec, ns: string, proxy: Proxy, push: PushContext): EnvoyObject | undefined {
  const host = resolveHost(d.host, ns, push.domain);
  return hashPolicy(destinationConsistentHash(push.destinationRule(proxy.namespace, host)?.spec, d.subset ?? "", d.port?.number));
}

/** Istio applyHTTPRouteDestination for a sidecar. */
function routeAction(out: EnvoyObject, rule: HTTPRouteSpec, ns: string, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject {
  const action: EnvoyObject = {};
  const dests = rule.route!;
  // Istio keeps one `cluster` for a single destination; with several, weight-0 destinations are left out.
  let consistentHash = false;
  const hashes: EnvoyObject[] = [];
  if (dests.length === 1) {
    const d = dests[0]!;
    action.cluster = destinationCluster(d.destination, ns, listenPort, push);
    applyHeaders(out, d.headers);
    const h = destinationHash(d.destination, ns, proxy, push);
    if (h) { hashes.push(h); consistentHash = true; }
  } else {
    action.weighted_clusters = {
      clusters: dests.filter((d) => (d.weight ?? 0) > 0).map((d) => {
        const cw: EnvoyObject = { name: destinationCluster(d.destination, ns, listenPort, push), weight: { value: d.weight } };
        applyHeaders(cw, d.headers);
        const auth = authorityOf(d.headers);
        if (auth) cw.host_rewrite_literal = auth;
        const h = destinationHash(d.destination, ns, proxy, push);
        if (h) hashes.push(h);
        return cw;
      }),
    };
  }
  Object.assign(action, routeTimeoutFields(rule.timeout, proxy.type === "grpc"));
  applyRewrite(action, rule.rewrite);
  const authority = rule.rewrite?.authority || authorityOf(rule.headers) || (dests.length === 1 ? authorityOf(dests[0]!.headers) : "");
  if (authority) action.host_rewrite_literal = authority;
  const mirrors: EnvoyObject[] = [];
  if (rule.mirror) {
    const f = mirrorFraction(rule);
    if (f) mirrors.push(mirrorPolicy(destinationCluster(rule.mirror, ns, listenPort, push), f));
  }
  for (const m of rule.mirrors ?? []) {
    const f = mirrorPolicyFraction(m);
    if (f && m.destination) mirrors.push(mirrorPolicy(destinationCluster(m.destination, ns, listenPort, push), f));
  }
  if (mirrors.length > 0) action.request_mirror_policies = mirrors;
  const rp = retryPolicy(rule.retries, consistentHash);
  if (rp) action.retry_policy = rp;
  if (hashes.length > 0) action.hash_policy = hashes;
  return action;
}

/** Istio GetRouteOperation: `host:port<path>` for a single subset-key cluster, else `<vs name>:<port><path>`. */
function routeOperation(route: EnvoyObject, vsName: string, port: number): string {
  const m = route.match as EnvoyObject;
  let path = "/*";
  if (typeof m.prefix === "string") path = `${m.prefix}*`;
  else if (typeof m.path === "string") path = m.path;
  else if (m.safe_regex) path = (m.safe_regex as EnvoyObject).regex as string;
  const cluster = (route.route as EnvoyObject | undefined)?.cluster;
  const parsed = typeof cluster === "string" ? parseSubsetKey(cluster) : undefined;
  if (parsed) return `${parsed.hostname}:${parsed.port}${path}`;
  return `${vsName}:${port}${path}`;
}

function translateRule(
  rule: HTTPRouteSpec,
  m: HTTPMatchRequestSpec | undefined,
  ns: string,
  vs: ConfigResource<VirtualServiceSpec>,
  listenPort: number,
  proxy: Proxy,
  push: PushContext,
): EnvoyObject | undefined {
  const name = m?.name ? `${rule.name ?? ""}.${m.name}` : rule.name;
  const out: EnvoyObject = {};
  if (name) out.name = name;
  out.match = translateRouteMatch(m);
  out.metadata = istioMetadata({ config: configPath("virtual-service", vs.metadata.namespace, vs.metadata.name) });
  if (m?.statPrefix) out.stat_prefix = m.statPrefix;
  applyHeaders(out, rule.headers);
  if (rule.redirect) {
    const r = redirectAction(rule.redirect, listenPort);
    if (!r) return undefined;
    out.redirect = r;
  } else if (rule.directResponse) {
    out.direct_response = directResponseAction(rule.directResponse);
  } else {
    if (!rule.route || rule.route.length === 0) return undefined;
    out.route = routeAction(out, rule, ns, listenPort, proxy, push);
  }
  out.decorator = { operation: routeOperation(out, vs.metadata.name, listenPort) };
  const fault = httpFault(rule.fault);
  if (fault || rule.corsPolicy) {
    const perFilter: EnvoyObject = {};
    if (fault) perFilter[FAULT_FILTER_NAME] = fault;
    if (rule.corsPolicy) perFilter[CORS_FILTER_NAME] = corsPolicy(rule.corsPolicy);
    out.typed_per_filter_config = perFilter;
  }
  return out;
}

/**
 * The routes of a VirtualService for one listener port, in rule order (delegate rules expanded); one route per
 * applicable match block. Stops after a catch-all (nothing after it could match). Empty when no rule applies.
 */
export function virtualServiceRoutes(vs: ConfigResource<VirtualServiceSpec>, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject[] {
  const out: EnvoyObject[] = [];
  // Expanded once per push and VirtualService, not per listener port and scope (delegate lookups, match merging).
  const rules = push.memo(`rds|rules|${vs.metadata.namespace}/${vs.metadata.name}`, () => expandDelegates(vs.spec, vs.metadata.namespace, push.config));
  for (const { rule, namespace } of rules) {
    if (!rule.match || rule.match.length === 0) {
      const r = translateRule(rule, undefined, namespace, vs, listenPort, proxy, push);
      if (r) out.push(r);
      break;
    }
    let catchAll = false;
    for (const m of rule.match) {
      if (!matchApplies(m, listenPort, proxy)) continue;
      const r = translateRule(rule, m, namespace, vs, listenPort, proxy, push);
      if (!r) continue;
      out.push(r);
      if (isCatchAllMatch(r.match as EnvoyObject)) {
        catchAll = true;
        break;
      }
    }
    if (catchAll) break;
  }
  return out;
}
