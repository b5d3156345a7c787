// RDS for sidecars: one RouteConfiguration per outbound port ("9080"), one virtual host per service on that port.

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { Service } from "../../model/service.js";
import type { SidecarScope } from "../../model/sidecar-scope.js";
import { buildSubsetKey } from "../../model/subset-key.js";
import { NO_TIMEOUT, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { PASSTHROUGH_CLUSTER } from "../listeners/listener-generator.js";
import { hashPolicy } from "../policy/load-balancer.js";
import { routeTimeoutFields } from "../policy/route-timeout.js";
import { serviceConsistentHash } from "../policy/traffic-policy.js";
import { retryPolicy } from "./route-actions.js";
import { catchAllMatch } from "./route-match.js";
import { virtualHostDomains } from "./virtual-host-domains.js";
import { virtualServiceRoutes } from "./virtual-service-routes.js";

/** The mesh default retry policy, the same (read-only) object in every default route. */
const DEFAULT_RETRY_POLICY = Object.freeze(retryPolicy(undefined));

/**
 * Istio BuildDefaultHTTPOutboundRoute for a service without a VirtualService: everything to `outbound|<port>||<fqdn>`,
 * no timeout, the mesh default retry policy, operation `<fqdn>:<port>/*`; plus the hash policy of the service's
 * DestinationRule consistentHash (Istio's hashByService), so consistent hashing works without a VirtualService.
 */
function defaultRoute(service: Service, port: number, proxy: Proxy, push: PushContext): EnvoyObject {
  const action: EnvoyObject = { cluster: buildSubsetKey("outbound", "", service.hostname, port), ...routeTimeoutFields(undefined, proxy.type === "grpc") };
  action.retry_policy = DEFAULT_RETRY_POLICY;
  const hash = hashPolicy(serviceConsistentHash(push.destinationRule(proxy.namespace, service.hostname)?.spec, port));
  if (hash) action.hash_policy = [hash];
  return { name: "default", match: catchAllMatch(), decorator: { operation: `${service.hostname}:${port}/*` }, route: action };
}

/** The routes for a service port: from its VirtualService when one applies to this port, else the default route. */
function serviceRoutes(service: Service, port: number, proxy: Proxy, push: PushContext, scope: SidecarScope): EnvoyObject[] {
  const vs = push.virtualServiceFor(scope, service.hostname);
  if (vs) {
    const routes = virtualServiceRoutes(vs, port, proxy, push);
    if (routes.length > 0) return routes;
  }
  return [defaultRoute(service, port, proxy, push)];
}

/**
 * Virtual hosts `<fqdn>:<port>` for the given services. A domain already claimed by an earlier virtual host is dropped
 * (Envoy rejects a RouteConfiguration with duplicate domains; Istio dedupeDomains does the same). VirtualServices are
 * those `scope` imports (default: the namespace's default scope).
 */
export function outboundVirtualHosts(
  services: readonly Service[],
  port: number,
  proxy: Proxy,
  push: PushContext,
  scope: SidecarScope = push.defaultScope(proxy.namespace),
): EnvoyObject[] {
  const seen = new Set<string>();
  const out: EnvoyObject[] = [];
  for (const svc of services) {
    const domains = virtualHostDomains(svc, port, proxy.namespace, push.domain).filter((d) => {
      const k = d.toLowerCase();
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (domains.length === 0) continue;
    out.push({ name: `${svc.hostname}:${port}`, domains, routes: serviceRoutes(svc, port, proxy, push, scope) });
  }
  return out;
}

/**
 * Istio's catch-all virtual host for a Sidecar's outboundTrafficPolicy: `allow_any` to PassthroughCluster, or
 * `block_all` answering 502. None without a Sidecar policy (unknown hosts get Envoy's 404 NR, as before).
 */
function catchAllVirtualHost(mode: SidecarScope["outboundTrafficPolicy"]): EnvoyObject | undefined {
  if (mode === "ALLOW_ANY") {
    return { name: "allow_any", domains: ["*"], routes: [{ name: "allow_any", match: catchAllMatch(), route: { cluster: PASSTHROUGH_CLUSTER, timeout: NO_TIMEOUT } }] };
  }
  if (mode === "REGISTRY_ONLY") return { name: "block_all", domains: ["*"], routes: [{ name: "block_all", match: catchAllMatch(), direct_response: { status: 502 } }] };
  return undefined;
}

function routeConfig(port: number, proxy: Proxy, push: PushContext, scope: SidecarScope): GeneratedResource {
  const name = String(port);
  const virtualHosts = outboundVirtualHosts(scope.httpServicesOnPort(port), port, proxy, push, scope);
  const catchAll = catchAllVirtualHost(scope.outboundTrafficPolicy);
  if (catchAll) virtualHosts.push(catchAll);
  return { name, resource: { name, virtual_hosts: virtualHosts } };
}

/**
 * RDS for a sidecar. `names` are port numbers; a requested port without services gets an empty RouteConfiguration
 * (so the listener stops waiting), a non-numeric name is ignored. Without names: every outbound HTTP port.
 * Results are shared across proxies of a scope unless routes depend on source labels.
 */
export function generateSidecarRoutes(proxy: Proxy, push: PushContext, scope: SidecarScope, names?: readonly string[]): GeneratedResource[] {
  const ports = names ? names.map(Number).filter((p) => Number.isInteger(p) && p >= 1 && p <= 65535) : scope.httpPorts();
  return ports.map((port) =>
    push.hasSourceScopedRoutes ? routeConfig(port, proxy, push, scope) : push.memo(`rds|${scope.key}|${port}`, () => routeConfig(port, proxy, push, scope)),
  );
}
