// Translates a mesh VirtualService's http rules into Envoy routes for one listener port (pilot route.go translateRoute).

import type { ConfigResource } from "../../config/config-resource.js";
import { resolveHost } from "../../model/host-name.js";
import type { DestinationSpec, HTTPMatchRequestSpec, HTTPRouteSpec, VirtualServiceSpec } from "../../model/istio-specs.js";
import { selectorMatches } from "../../model/labels.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { buildSubsetKey } from "../../model/subset-key.js";
import { parseDuration } from "../duration.js";
import { configPath, istioMetadata, NO_TIMEOUT, type EnvoyObject } from "../envoy-objects.js";
import { applyHeaders, authorityOf, directResponseAction, redirectAction, retryPolicy } from "./route-actions.js";
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

/** Does a match block apply to this proxy on this port (match.port, gateways, sourceLabels, sourceNamespace)? */
/** Whether a match block can apply to this proxy's traffic on `listenPort` (port, mesh gateway, source labels/namespace). */
export function matchApplies(m: HTTPMatchRequestSpec | undefined, listenPort: number, proxy: Proxy): boolean {
  if (!m) return true;
  if (m.port && m.port !== listenPort) return false;
  if (m.gateways && m.gateways.length > 0) return m.gateways.includes("mesh");
  if (!selectorMatches(m.sourceLabels, proxy.labels)) return false;
  return !m.sourceNamespace || m.sourceNamespace === proxy.namespace;
}

function routeAction(rule: HTTPRouteSpec, vs: ConfigResource<VirtualServiceSpec>, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject {
  const action: EnvoyObject = {};
  const dests = rule.route ?? [];
  const ns = vs.metadata.namespace;
  const live = dests.length > 1 ? dests.filter((d) => (d.weight ?? 0) > 0) : dests;
  if (live.length === 1 || (live.length === 0 && dests.length > 0)) {
    const d = live[0] ?? dests[0]!;
    action.cluster = destinationCluster(d.destination, ns, listenPort, push);
  } else {
    action.weighted_clusters = {
      clusters: live.map((d) => {
        const cw: EnvoyObject = { name: destinationCluster(d.destination, ns, listenPort, push), weight: { value: d.weight } };
        applyHeaders(cw, d.headers);
        const auth = authorityOf(d.headers);
        if (auth) cw.host_rewrite_literal = auth;
        return cw;
      }),
    };
  }
  const timeout = (rule.timeout && parseDuration(rule.timeout)) || NO_TIMEOUT;
  action.timeout = timeout;
  // gRPC's xDS client reads max_stream_duration, not the route timeout (Istio setTimeout).
  if (proxy.type === "grpc") action.max_stream_duration = { max_stream_duration: timeout };
  if (rule.rewrite?.uri) action.prefix_rewrite = rule.rewrite.uri;
  const authority = rule.rewrite?.authority || authorityOf(rule.headers) || (live.length === 1 ? authorityOf(live[0]!.headers) : "");
  if (authority) action.host_rewrite_literal = authority;
  if (rule.retries) {
    const rp = retryPolicy(rule.retries);
    if (rp) action.retry_policy = rp;
  }
  return action;
}

function translateRule(
  rule: HTTPRouteSpec,
  m: HTTPMatchRequestSpec | undefined,
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
  applyHeaders(out, rule.headers);
  if (rule.redirect) {
    const r = redirectAction(rule.redirect);
    if (!r) return undefined;
    out.redirect = r;
  } else if (rule.directResponse) {
    out.direct_response = directResponseAction(rule.directResponse);
  } else {
    if (!rule.route || rule.route.length === 0) return undefined;
    out.route = routeAction(rule, vs, listenPort, proxy, push);
    if (rule.route.length === 1) applyHeaders(out, rule.route[0]!.headers);
  }
  return out;
}

/**
 * The routes of a VirtualService for one listener port, in rule order; one route per applicable match block.
 * Stops after a catch-all (nothing after it could match). Empty when no rule applies to this port/proxy.
 */
export function virtualServiceRoutes(vs: ConfigResource<VirtualServiceSpec>, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject[] {
  const out: EnvoyObject[] = [];
  for (const rule of vs.spec.http ?? []) {
    const matches: (HTTPMatchRequestSpec | undefined)[] = rule.match && rule.match.length > 0 ? rule.match : [undefined];
    let catchAll = false;
    for (const m of matches) {
      if (!matchApplies(m, listenPort, proxy)) continue;
      const r = translateRule(rule, m, vs, listenPort, proxy, push);
      if (!r) continue;
      out.push(r);
      if (isCatchAllMatch(r.match as EnvoyObject)) {
        catchAll = true;
        break;
      }
    }
    if (catchAll || !rule.match || rule.match.length === 0) break;
  }
  return out;
}
