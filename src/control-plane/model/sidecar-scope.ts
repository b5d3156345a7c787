// SidecarScope: what one proxy may see (Istio pilot/pkg/model/sidecar.go): services, ports and config imported by its Sidecar.

import type { ConfigResource } from "../config/config-resource.js";
import { hostMatches } from "./host-name.js";
import type { SidecarSpec } from "./istio-specs.js";
import { isHttpPort, type Service, type ServicePort } from "./service.js";

export type OutboundTrafficPolicyMode = "ALLOW_ANY" | "REGISTRY_ONLY";

/** One `namespace/dnsName` of an egress listener, with `.` already replaced by the scope's namespace. */
export interface EgressHost {
  /** `*` (any), `~` (none) or a namespace name. */
  namespace: string;
  /** `*`, `*.suffix` or an FQDN, lower-case. */
  host: string;
}

/** One egress listener: its port (undefined = the catch-all) and the services it imports, ports restricted to `port`. */
export interface EgressListenerScope {
  port?: number;
  hosts: readonly EgressHost[];
  services: readonly Service[];
}

/** Parses Sidecar egress hosts (`./*`, `*\/*`, `ns/*`, `*\/host`, `~/*`); `.` is the namespace the scope is built for. */
export function parseEgressHosts(hosts: readonly string[], configNamespace: string): EgressHost[] {
  return hosts.map((h) => {
    const slash = h.indexOf("/");
    const ns = slash < 0 ? "*" : h.slice(0, slash);
    return { namespace: ns === "." ? configNamespace : ns, host: h.slice(slash + 1).toLowerCase() };
  });
}

/** True when an egress host imports config of `namespace` for `host` (a host or wildcard, matched both ways as Istio does for VirtualServices). */
export function egressImports(hosts: readonly EgressHost[], namespace: string, host: string): boolean {
  for (const h of hosts) {
    if (h.namespace === "~" || (h.namespace !== "*" && h.namespace !== namespace)) continue;
    if (hostMatches(h.host, host) || hostMatches(host, h.host)) return true;
  }
  return false;
}

/** True when an egress host imports the service (its namespace and hostname). */
export function egressImportsService(hosts: readonly EgressHost[], svc: Service): boolean {
  for (const h of hosts) {
    if (h.namespace === "~" || (h.namespace !== "*" && h.namespace !== svc.namespace)) continue;
    if (hostMatches(h.host, svc.hostname)) return true;
  }
  return false;
}

const EMPTY_SERVICES: readonly Service[] = Object.freeze([]);

/**
 * Immutable; built once per push for each distinct (namespace, Sidecar) pair and shared by every proxy with that
 * identity. `key` is the identity generators memoise on. Without a Sidecar the scope is Istio's default: one
 * catch-all listener importing `*\/*`, i.e. every service exported to the namespace.
 */
export class SidecarScope {
  /** The merged services of all egress listeners, sorted by hostname (ports merged per host, Istio addService). */
  readonly services: readonly Service[];
  private readonly byHost: ReadonlyMap<string, Service>;
  private readonly onPort = new Map<number, readonly Service[]>();
  private httpPortList: readonly number[] | undefined;
  private signatureText: string | undefined;

  constructor(
    readonly key: string,
    /** The proxy namespace the scope was built for (Istio's ConfigNamespace). */
    readonly namespace: string,
    /** The selected Sidecar; undefined for the implicit default scope. */
    readonly sidecar: ConfigResource<SidecarSpec> | undefined,
    readonly egress: readonly EgressListenerScope[],
    /** The Sidecar's outboundTrafficPolicy; undefined = the mesh default (Weft's shapes from before Sidecar support). */
    readonly outboundTrafficPolicy: OutboundTrafficPolicyMode | undefined,
  ) {
    this.services = egress.length === 1 && egress[0]!.port === undefined ? egress[0]!.services : mergeServices(egress);
    this.byHost = new Map(this.services.map((s) => [s.hostname, s]));
  }

  /** The scope's copy of a service (ports possibly restricted by egress listener ports), or undefined when out of scope. */
  service(hostname: string): Service | undefined {
    return this.byHost.get(hostname);
  }

  /** True when some service of the scope is covered by `pattern` (a hostname or wildcard). */
  coversHost(pattern: string): boolean {
    if (!pattern.startsWith("*")) return this.byHost.has(pattern);
    for (const s of this.services) if (hostMatches(pattern, s.hostname)) return true;
    return false;
  }

  /** True when some egress listener imports config of `namespace` for `host` (VirtualService selection). */
  importsConfig(namespace: string, hosts: readonly string[]): boolean {
    if (!this.sidecar) return true;
    for (const l of this.egress) for (const h of hosts) if (egressImports(l.hosts, namespace, h)) return true;
    return false;
  }

  /**
   * The services with an HTTP port `port` on the egress listener serving that port: the listener declaring it,
   * else the catch-all (Istio GetEgressListenerForRDS), sorted by hostname.
   */
  httpServicesOnPort(port: number): readonly Service[] {
    let out = this.onPort.get(port);
    if (!out) {
      const l = this.egress.find((e) => e.port === port) ?? this.egress.find((e) => e.port === undefined);
      out = l ? l.services.filter((s) => s.ports.some((p) => p.number === port && isHttpPort(p))) : EMPTY_SERVICES;
      this.onPort.set(port, out);
    }
    return out;
  }

  /** The outbound HTTP ports: declared egress ports with HTTP services, plus the catch-all's other HTTP ports; ascending. */
  httpPorts(): readonly number[] {
    if (!this.httpPortList) {
      const declared = new Set(this.egress.flatMap((e) => (e.port === undefined ? [] : [e.port])));
      const ports = new Set<number>();
      for (const l of this.egress) {
        for (const s of l.services) {
          for (const p of s.ports) {
            if (!isHttpPort(p)) continue;
            if (l.port === undefined ? !declared.has(p.number) : p.number === l.port) ports.add(p.number);
          }
        }
      }
      this.httpPortList = [...ports].sort((a, b) => a - b);
    }
    return this.httpPortList;
  }

  /** Text that differs whenever what the scope selects differs (Sidecar, mode, listeners, services and their ports). */
  signature(): string {
    this.signatureText ??= JSON.stringify([
      this.key,
      this.outboundTrafficPolicy ?? "",
      this.egress.map((l) => [l.port ?? 0, l.services.map((s) => `${s.hostname}:${s.ports.map((p) => `${p.number}/${p.protocol}`).join(",")}`)]),
    ]);
    return this.signatureText;
  }
}

/** Services of all listeners merged by hostname, ports unioned (Istio addService); a listener's object is reused when it has them all. */
function mergeServices(egress: readonly EgressListenerScope[]): readonly Service[] {
  const byHost = new Map<string, { seen: Service[]; ports: Map<number, ServicePort> }>();
  for (const l of egress) {
    for (const s of l.services) {
      let e = byHost.get(s.hostname);
      if (!e) byHost.set(s.hostname, (e = { seen: [], ports: new Map() }));
      e.seen.push(s);
      for (const p of s.ports) if (!e.ports.has(p.number)) e.ports.set(p.number, p);
    }
  }
  const out: Service[] = [];
  for (const { seen, ports } of byHost.values()) {
    const whole = seen.find((s) => s.ports.length === ports.size);
    out.push(whole ?? { ...seen[0]!, ports: [...ports.values()].sort((a, b) => a.number - b.number) });
  }
  return out.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
}
