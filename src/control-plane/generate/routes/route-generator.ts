// RDS for sidecars: one RouteConfiguration per outbound port ("9080"), one virtual host per service on that port.

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { isHttpPort, type Service } from "../../model/service.js";
import { buildSubsetKey } from "../../model/subset-key.js";
import { NO_TIMEOUT, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { catchAllMatch } from "./route-match.js";
import { virtualHostDomains } from "./virtual-host-domains.js";
import { virtualServiceRoutes } from "./virtual-service-routes.js";

/** Istio's route for a service without a VirtualService: everything to `outbound|<port>||<fqdn>`, no timeout. */
function defaultRoute(service: Service, port: number, proxy: Proxy): EnvoyObject {
  const action: EnvoyObject = { cluster: buildSubsetKey("outbound", "", service.hostname, port), timeout: NO_TIMEOUT };
  if (proxy.type === "grpc") action.max_stream_duration = { max_stream_duration: NO_TIMEOUT };
  return { name: "default", match: catchAllMatch(), route: action };
}

/** The routes for a service port: from its VirtualService when one applies to this port, else the default route. */
function serviceRoutes(service: Service, port: number, proxy: Proxy, push: PushContext): EnvoyObject[] {
  const vs = push.virtualService(proxy.namespace, service.hostname);
  if (vs) {
    const routes = virtualServiceRoutes(vs, port, proxy, push);
    if (routes.length > 0) return routes;
  }
  return [defaultRoute(service, port, proxy)];
}

/**
 * Virtual hosts `<fqdn>:<port>` for the given services. A domain already claimed by an earlier virtual host is dropped
 * (Envoy rejects a RouteConfiguration with duplicate domains; Istio dedupeDomains does the same).
 */
export function outboundVirtualHosts(services: readonly Service[], port: number, proxy: Proxy, push: PushContext): EnvoyObject[] {
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
    out.push({ name: `${svc.hostname}:${port}`, domains, routes: serviceRoutes(svc, port, proxy, push) });
  }
  return out;
}

/** The visible services with an HTTP port `port`, sorted by hostname. */
export function httpServicesOnPort(push: PushContext, namespace: string, port: number): readonly Service[] {
  return push.memo(`http-svc|${namespace}|${port}`, () =>
    push.visibleServices(namespace).filter((s) => s.ports.some((p) => p.number === port && isHttpPort(p))),
  );
}

/** The distinct HTTP port numbers of the services a proxy in `namespace` sees, ascending. */
export function outboundHttpPorts(push: PushContext, namespace: string): readonly number[] {
  return push.memo(`http-ports|${namespace}`, () => {
    const ports = new Set<number>();
    for (const s of push.visibleServices(namespace)) for (const p of s.ports) if (isHttpPort(p)) ports.add(p.number);
    return [...ports].sort((a, b) => a - b);
  });
}

function routeConfig(port: number, proxy: Proxy, push: PushContext): GeneratedResource {
  const name = String(port);
  return {
    name,
    resource: { name, virtual_hosts: outboundVirtualHosts(httpServicesOnPort(push, proxy.namespace, port), port, proxy, push) },
  };
}

/**
 * RDS for a sidecar. `names` are port numbers; a requested port without services gets an empty RouteConfiguration
 * (so the listener stops waiting), a non-numeric name is ignored. Without names: every outbound HTTP port.
 * Results are shared across proxies of a namespace unless routes depend on source labels.
 */
export function generateSidecarRoutes(proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  const ports = names
    ? names.map(Number).filter((p) => Number.isInteger(p) && p >= 1 && p <= 65535)
    : outboundHttpPorts(push, proxy.namespace);
  return ports.map((port) =>
    push.hasSourceScopedRoutes ? routeConfig(port, proxy, push) : push.memo(`rds|${proxy.namespace}|${port}`, () => routeConfig(port, proxy, push)),
  );
}
