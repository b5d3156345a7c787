// RDS for proxyless gRPC: RouteConfiguration `outbound|<port>||<fqdn>` with that one service's virtual host (grpcgen/rds.go).

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { buildSubsetKey, parseSubsetKey } from "../../model/subset-key.js";
import type { GeneratedResource } from "../generated-resource.js";
import { virtualHostDomains } from "../routes/virtual-host-domains.js";
import { grpcServiceRoutes } from "./grpc-service-routes.js";

function routeConfig(name: string, proxy: Proxy, push: PushContext): GeneratedResource | undefined {
  const key = parseSubsetKey(name);
  if (!key || key.direction !== "outbound") return undefined;
  const svc = push.service(key.hostname);
  const virtualHosts = svc && svc.ports.some((p) => p.number === key.port)
    ? [{ name: `${svc.hostname}:${key.port}`, domains: virtualHostDomains(svc, key.port, proxy.namespace, push.domain), routes: grpcServiceRoutes(svc, key.port, proxy, push) }]
    : [];
  return { name, resource: { name, virtual_hosts: virtualHosts } };
}

/**
 * Route configs by name (gRPC always asks by name); an unknown service gets an empty RouteConfiguration.
 * Without names: one per visible service port, the names the wildcard listeners point at, so a snapshot
 * generated ahead of the request already holds what the client will ask for.
 */
export function generateGrpcRoutes(proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  const out: GeneratedResource[] = [];
  const wanted = names ?? push.visibleServices(proxy.namespace).flatMap((svc) =>
    svc.ports.map((p) => buildSubsetKey("outbound", "", svc.hostname, p.number)));
  for (const n of wanted) {
    const r = push.hasSourceScopedRoutes
      ? routeConfig(n, proxy, push)
      : push.memo(`grpc-rds|${proxy.namespace}|${n}`, () => routeConfig(n, proxy, push));
    if (r) out.push(r);
  }
  return out;
}
