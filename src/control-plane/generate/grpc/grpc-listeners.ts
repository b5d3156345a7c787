// LDS for proxyless gRPC: api_listener per requested `host:port` (Istio pilot/pkg/networking/grpcgen/lds.go).

import { HCM_TYPE } from "../../../xds/type-urls.js";
import { Logger } from "../../../shared/logger.js";
import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import type { Service } from "../../model/service.js";
import { buildSubsetKey } from "../../model/subset-key.js";
import { adsConfigSource, routerFilter, socketAddress, type EnvoyObject } from "../envoy-objects.js";
import type { GeneratedResource } from "../generated-resource.js";
import { faultFilter } from "../policy/fault.js";

const log = new Logger("grpcgen");

/** gRPC xDS servers ask for these; Weft does not serve server-side listeners yet. */
export const GRPC_INBOUND_PREFIX = "xds.istio.io/grpc/lds/inbound/";

/** Splits `host[:port]`; port undefined when absent or not a number. */
export function splitHostPort(name: string): { host: string; port?: number } {
  const i = name.lastIndexOf(":");
  if (i > 0 && /^[0-9]+$/.test(name.slice(i + 1))) return { host: name.slice(0, i), port: Number(name.slice(i + 1)) };
  return { host: name };
}

/** Istio tryFindFQDN: `foo` → `foo.<ns>.svc.<domain>`, `foo.<ns>` / `foo.<ns>.svc` → FQDN; else "". */
export function tryFindFqdn(host: string, namespace: string, domain: string): string {
  if (!host.includes(".")) return `${host}.${namespace}.svc.${domain}`;
  for (const suffix of [namespace, `${namespace}.svc`]) {
    if (host.endsWith(`.${suffix}`)) return `${host.slice(0, -suffix.length - 1)}.${namespace}.svc.${domain}`;
  }
  return "";
}

function apiListener(name: string, svc: Service, port: number): EnvoyObject {
  return {
    name,
    address: socketAddress(svc.addresses[0] ?? "0.0.0.0", port),
    api_listener: {
      api_listener: {
        "@type": HCM_TYPE,
        // Istio grpcgen: fault (configured per route) then router.
        http_filters: [faultFilter(), routerFilter()],
        rds: { config_source: adsConfigSource(), route_config_name: buildSubsetKey("outbound", "", svc.hostname, port) },
      },
    },
  };
}

/**
 * One listener per requested name and matching service port, named exactly as requested (`reviews:9080`, or
 * `reviews.default.svc.cluster.local:9080`); a name without port yields every port. Wildcard: `<fqdn>:<port>` for all.
 */
export function generateGrpcListeners(proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  const out: GeneratedResource[] = [];
  if (!names) {
    for (const svc of push.visibleServices(proxy.namespace)) {
      for (const p of svc.ports) out.push({ name: `${svc.hostname}:${p.number}`, resource: apiListener(`${svc.hostname}:${p.number}`, svc, p.number) });
    }
    return out;
  }
  const visible = new Set(push.visibleServices(proxy.namespace));
  for (const name of names) {
    if (name.startsWith(GRPC_INBOUND_PREFIX)) {
      log.debug("server-side gRPC listener not supported; ignored", { proxy: proxy.id, name });
      continue;
    }
    const { host, port } = splitHostPort(name);
    const candidates = [host.toLowerCase(), tryFindFqdn(host.toLowerCase(), proxy.namespace, push.domain)];
    const svc = candidates.map((h) => push.service(h)).find((s): s is Service => !!s && visible.has(s));
    if (!svc) continue;
    for (const p of svc.ports) {
      if (port !== undefined && p.number !== port) continue;
      const lname = `${host}:${p.number}`;
      out.push({ name: lname, resource: apiListener(lname, svc, p.number) });
    }
  }
  return out;
}
