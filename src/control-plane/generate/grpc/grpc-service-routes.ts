// The routes of one service port for proxyless gRPC: VirtualService rules with timeout, retries, fault and hash policy.

import type { ConfigResource } from "../../config/config-resource.js";
import { Logger } from "../../../shared/logger.js";
import { resolveHost } from "../../model/host-name.js";
import type { DestinationSpec, HTTPMatchRequestSpec, HTTPRouteSpec, VirtualServiceSpec } from "../../model/istio-specs.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { Service } from "../../model/service.js";
import { buildSubsetKey } from "../../model/subset-key.js";
import { configPath, istioMetadata, type EnvoyObject } from "../envoy-objects.js";
import { FAULT_FILTER_NAME, httpFault } from "../policy/fault.js";
import type { ConsistentHashSpec, HTTPFaultInjectionSpec, HTTPRetrySpec } from "../policy/istio-policy-specs.js";
import { hashPolicy } from "../policy/load-balancer.js";
import { retryPolicy } from "../policy/retry-policy.js";
import { routeTimeoutFields } from "../policy/route-timeout.js";
import { destinationConsistentHash, serviceConsistentHash } from "../policy/traffic-policy.js";
import { destinationCluster, matchApplies } from "../routes/virtual-service-routes.js";
import { catchAllMatch, isCatchAllMatch, translateRouteMatch } from "../routes/route-match.js";

const log = new Logger("grpcgen");

/** The VirtualService rule fields only the gRPC generator reads so far (the model's HTTPRouteSpec lacks them). */
type GrpcRouteRule = HTTPRouteSpec & { fault?: HTTPFaultInjectionSpec; retries?: HTTPRetrySpec };

/**
 * Route hash_policy for a consistent hash. grpc-js-xds hashes on headers (and the channel id) only: useSourceIp is
 * sent as Istio does and also as `filter_state io.grpc.channel_id` (gRFC A42), which gives a client the per-client
 * affinity source IP means; cookie and query parameter hashing have no gRPC meaning and hash randomly.
 */
function grpcHashPolicies(ch: ConsistentHashSpec | undefined): EnvoyObject[] {
  const hp = hashPolicy(ch);
  if (!hp) return [];
  return ch!.useSourceIp ? [hp, { filter_state: { key: "io.grpc.channel_id" } }] : [hp];
}

function destinationHashPolicies(d: DestinationSpec, vsNamespace: string, proxy: Proxy, push: PushContext): EnvoyObject[] {
  const host = resolveHost(d.host, vsNamespace, push.domain);
  return grpcHashPolicies(destinationConsistentHash(push.destinationRule(proxy.namespace, host)?.spec, d.subset ?? "", d.port?.number));
}

/** Does a match block apply to this proxy on this port (match.port, gateways, sourceLabels, sourceNamespace)? */
function routeAction(rule: GrpcRouteRule, vs: ConfigResource<VirtualServiceSpec>, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject {
  const dests = rule.route!;
  const ns = vs.metadata.namespace;
  const live = dests.length > 1 ? dests.filter((d) => (d.weight ?? 0) > 0) : dests;
  const targets = live.length > 0 ? live : [dests[0]!];
  const action: EnvoyObject = targets.length === 1
    ? { cluster: destinationCluster(targets[0]!.destination, ns, listenPort, push) }
    : { weighted_clusters: { clusters: targets.map((d) => ({ name: destinationCluster(d.destination, ns, listenPort, push), weight: { value: d.weight } })) } };
  Object.assign(action, routeTimeoutFields(rule.timeout, true));
  const retry = retryPolicy(rule.retries);
  if (retry) action.retry_policy = retry;
  const hashes = targets.flatMap((d) => destinationHashPolicies(d.destination, ns, proxy, push));
  if (hashes.length > 0) action.hash_policy = hashes;
  return action;
}

function translateRule(rule: GrpcRouteRule, m: HTTPMatchRequestSpec | undefined, vs: ConfigResource<VirtualServiceSpec>, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject | undefined {
  if (rule.redirect || rule.directResponse) {
    // grpc-js-xds rejects a whole RouteConfiguration holding a redirect or direct_response action (gRFC A28).
    log.debug("redirect/directResponse rule skipped for proxyless gRPC", { virtualService: vs.metadata.name, rule: rule.name });
    return undefined;
  }
  if (!rule.route || rule.route.length === 0) return undefined;
  const out: EnvoyObject = {};
  const name = m?.name ? `${rule.name ?? ""}.${m.name}` : rule.name;
  if (name) out.name = name;
  out.match = translateRouteMatch(m);
  out.metadata = istioMetadata({ config: configPath("virtual-service", vs.metadata.namespace, vs.metadata.name) });
  out.route = routeAction(rule, vs, listenPort, proxy, push);
  const fault = httpFault(rule.fault);
  if (fault) out.typed_per_filter_config = { [FAULT_FILTER_NAME]: fault };
  return out;
}

/** Rule order, one route per applicable match block, nothing after a catch-all (Istio BuildHTTPRoutesForVirtualService). */
function virtualServiceRoutes(vs: ConfigResource<VirtualServiceSpec>, listenPort: number, proxy: Proxy, push: PushContext): EnvoyObject[] {
  const out: EnvoyObject[] = [];
  for (const rule of (vs.spec.http ?? []) as GrpcRouteRule[]) {
    const matches: (HTTPMatchRequestSpec | undefined)[] = rule.match && rule.match.length > 0 ? rule.match : [undefined];
    for (const m of matches) {
      if (!matchApplies(m, listenPort, proxy)) continue;
      const r = translateRule(rule, m, vs, listenPort, proxy, push);
      if (!r) continue;
      out.push(r);
      if (isCatchAllMatch(r.match as EnvoyObject)) return out;
    }
    if (!rule.match || rule.match.length === 0) return out;
  }
  return out;
}

/** Istio BuildDefaultHTTPOutboundRoute for gRPC: everything to the service cluster, default retries, no timeout. */
function defaultRoute(svc: Service, port: number, proxy: Proxy, push: PushContext): EnvoyObject {
  const action: EnvoyObject = { cluster: buildSubsetKey("outbound", "", svc.hostname, port), ...routeTimeoutFields(undefined, true), retry_policy: retryPolicy(undefined) };
  const hashes = grpcHashPolicies(serviceConsistentHash(push.destinationRule(proxy.namespace, svc.hostname)?.spec, port));
  if (hashes.length > 0) action.hash_policy = hashes;
  return { name: "default", match: catchAllMatch(), route: action };
}

/** The routes of `svc` on `port` for a gRPC client: its VirtualService's, else (or when none applies) the default route. */
export function grpcServiceRoutes(svc: Service, port: number, proxy: Proxy, push: PushContext): EnvoyObject[] {
  const vs = push.virtualService(proxy.namespace, svc.hostname);
  const routes = vs ? virtualServiceRoutes(vs, port, proxy, push) : [];
  return routes.length > 0 ? routes : [defaultRoute(svc, port, proxy, push)];
}
