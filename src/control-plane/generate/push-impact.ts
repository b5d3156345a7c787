// PushImpact: which proxies a push concerns and which xDS types each must regenerate (Istio ConfigAffectsProxy, cdsNeedsPush, ...).

import type { ConfigResource, ResourceKey } from "../config/config-resource.js";
import { resolveHost } from "../model/host-name.js";
import type { DestinationRuleSpec, ServiceEntrySpec, VirtualServiceSpec, WorkloadEntrySpec } from "../model/istio-specs.js";
import { selectorMatches } from "../model/labels.js";
import type { Proxy } from "../model/proxy.js";
import type { PushContext } from "../model/push-context.js";
import type { PushRequest } from "../model/push-request.js";
import { policySelects } from "../model/security-policies.js";
import type { SidecarScope } from "../model/sidecar-scope.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import { hasConsistentHash } from "./policy/traffic-policy.js";
import { delegatingRootHosts } from "./routes/delegate-routes.js";

/** Every type a sidecar or gRPC proxy is generated, in make-before-break order (CDS, EDS, LDS, RDS). */
export const ALL_TYPES: readonly string[] = Object.freeze([CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]);
const NONE: ReadonlySet<string> = new Set();
const ALL: ReadonlySet<string> = new Set(ALL_TYPES);

/** Kinds that generators never read for sidecars or gRPC clients (Istio UnAffectedConfigKinds for SidecarProxy). */
const UNAFFECTING_KINDS = new Set(["Gateway"]);

/** A change that concerns the proxies whose scope covers one of `hosts`, for the given types. */
interface HostChange {
  hosts: readonly string[];
  types: readonly string[];
}

/** A ServiceEntry version (old or new) that may select proxies as its workloads (they then need their inbound config). */
interface WorkloadSelection {
  namespace: string;
  selector: Readonly<Record<string, string>> | undefined;
  addresses: ReadonlySet<string>;
}

/**
 * Built once per push from the request and both push contexts; `typesFor` is then asked for every connected proxy.
 * Rules (Istio's, simplified; when unsure, rebuild):
 * - VirtualService → RDS (and LDS when it has tcp/tls routes) of proxies whose scope has a service its hosts cover (old or new version).
 * - DestinationRule → CDS+EDS of proxies whose scope has its host; when either version sets a consistentHash (routes
 *   carry it as hash_policy) also their RDS and the RDS of proxies routing to its host through a VirtualService.
 * - ServiceEntry → everything, for proxies whose scope has one of its hosts or that it selects as workloads; RDS of
 *   proxies routing to its hosts through a VirtualService (destination ports may change).
 * - WorkloadEntry / auto-registered workload joining or leaving → EDS of proxies that see a service selecting it;
 *   everything for the proxy that registered.
 * - Sidecar → everything for proxies it selected before or selects now.
 * - RequestAuthentication / AuthorizationPolicy → LDS (inbound HCM filters) of the proxies it selected before or
 *   selects now (its namespace, or every namespace from the root namespace; selector; never with targetRefs).
 * - A proxy whose scope (services, ports, Sidecar, policy) differs between the two pushes → everything.
 * - Gateway → nothing; any other kind, or a request marked full → everything for everyone.
 */
export class PushImpact {
  private readonly full: boolean;
  private readonly hostChanges: HostChange[] = [];
  private readonly sidecars = new Set<string>();
  private readonly selections: WorkloadSelection[] = [];
  private readonly registered = new Set<string>();
  private readonly byScopes = new Map<string, ReadonlySet<string>>();
  /** Versions (old and new) of changed RequestAuthentications / AuthorizationPolicies. */
  private readonly securityPolicies: { namespace: string; spec: Record<string, unknown> }[] = [];
  private readonly withListeners = new Map<ReadonlySet<string>, ReadonlySet<string>>();

  constructor(
    request: PushRequest,
    private readonly prev: PushContext,
    private readonly next: PushContext,
  ) {
    let full = request.full;
    for (const key of request.configs.values()) {
      if (!this.addConfigChange(key)) full = true;
    }
    for (const { proxyId, workload } of request.workloads) {
      this.registered.add(proxyId);
      this.addWorkloadChange(workload.namespace, workload.labels);
    }
    this.full = full;
  }

  /** True when every proxy gets every type. */
  get isFull(): boolean {
    return this.full;
  }

  /**
   * The types `proxy` must regenerate; empty when the push does not concern it. `prevScope` / `nextScope` are its
   * scopes in the previous and the new push context. The result is shared: do not mutate it.
   */
  typesFor(proxy: Proxy, prevScope: SidecarScope, nextScope: SidecarScope): ReadonlySet<string> {
    if (this.full || this.registered.has(proxy.id) || this.selectsAsWorkload(proxy)) return ALL;
    const k = `${prevScope.key}>${nextScope.key}`;
    let types = this.byScopes.get(k);
    if (!types) {
      types = this.scopeTypes(prevScope, nextScope);
      this.byScopes.set(k, types);
    }
    return this.securitySelects(proxy) ? this.plusListeners(types) : types;
  }

  /** True when a changed RequestAuthentication / AuthorizationPolicy (either version) selects the proxy's workload. */
  private securitySelects(proxy: Proxy): boolean {
    if (proxy.type !== "sidecar") return false;
    const root = this.next.rootNamespace;
    return this.securityPolicies.some((p) => policySelects(p.spec, p.namespace, root, proxy.namespace, proxy.labels));
  }

  /** `types` plus LDS, shared per distinct `types`. */
  private plusListeners(types: ReadonlySet<string>): ReadonlySet<string> {
    if (types.has(LISTENER_TYPE)) return types;
    let out = this.withListeners.get(types);
    if (!out) {
      const s = new Set([...types, LISTENER_TYPE]);
      out = s.size === ALL.size ? ALL : s;
      this.withListeners.set(types, out);
    }
    return out;
  }

  private scopeTypes(prevScope: SidecarScope, nextScope: SidecarScope): ReadonlySet<string> {
    if (prevScope.signature() !== nextScope.signature()) return ALL;
    for (const s of [prevScope.sidecar, nextScope.sidecar]) {
      if (s && this.sidecars.has(`${s.metadata.namespace}/${s.metadata.name}`)) return ALL;
    }
    const out = new Set<string>();
    for (const c of this.hostChanges) {
      if (c.types.every((t) => out.has(t))) continue;
      if (c.hosts.some((h) => nextScope.coversHost(h))) for (const t of c.types) out.add(t);
    }
    return out.size === 0 ? NONE : out.size === ALL.size ? ALL : out;
  }

  private selectsAsWorkload(proxy: Proxy): boolean {
    for (const s of this.selections) {
      if (s.addresses.has(proxy.ip)) return true;
      if (s.selector && s.namespace === proxy.namespace && Object.keys(proxy.labels).length > 0 && selectorMatches(s.selector, proxy.labels)) return true;
    }
    return false;
  }

  /** Records one changed resource; false when its kind cannot be scoped. */
  private addConfigChange(key: ResourceKey): boolean {
    const domain = this.next.domain;
    switch (key.kind) {
      case "VirtualService":
        for (const r of this.versions<VirtualServiceSpec>(key)) {
          const types = r.spec.tcp?.length || r.spec.tls?.length ? [LISTENER_TYPE, ROUTE_TYPE] : [ROUTE_TYPE];
          const hosts = (r.spec.hosts ?? []).length > 0
            ? r.spec.hosts!.map((h) => resolveHost(h, r.metadata.namespace, domain))
            : delegatingRootHosts([this.prev.config, this.next.config], r.metadata.namespace, r.metadata.name, (h, ns) => resolveHost(h, ns, domain));
          this.hostChanges.push({ hosts, types });
        }
        return true;
      case "DestinationRule":
        for (const r of this.versions<DestinationRuleSpec>(key)) {
          const hosts = [resolveHost(r.spec.host, r.metadata.namespace, domain)];
          if (!hasConsistentHash(r.spec)) {
            this.hostChanges.push({ hosts, types: [CLUSTER_TYPE, ENDPOINT_TYPE] });
            continue;
          }
          this.hostChanges.push({ hosts, types: [CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE] });
          this.hostChanges.push({ hosts: this.hostsRoutingTo(hosts), types: [ROUTE_TYPE] });
        }
        return true;
      case "ServiceEntry":
        for (const r of this.versions<ServiceEntrySpec>(key)) {
          const hosts = (r.spec.hosts ?? []).map((h) => resolveHost(h, r.metadata.namespace, domain));
          this.hostChanges.push({ hosts, types: ALL_TYPES });
          this.hostChanges.push({ hosts: this.hostsRoutingTo(hosts), types: [ROUTE_TYPE] });
          this.selections.push({
            namespace: r.metadata.namespace,
            selector: r.spec.workloadSelector?.labels,
            addresses: new Set((r.spec.endpoints ?? []).flatMap((e) => (e.address ? [e.address] : []))),
          });
        }
        return true;
      case "WorkloadEntry":
        for (const r of this.versions<WorkloadEntrySpec>(key)) this.addWorkloadChange(r.metadata.namespace, r.spec.labels ?? {});
        return true;
      case "Sidecar":
        this.sidecars.add(`${key.namespace}/${key.name}`);
        return true;
      case "RequestAuthentication":
      case "AuthorizationPolicy":
        for (const r of this.versions<Record<string, unknown>>(key)) this.securityPolicies.push({ namespace: r.metadata.namespace, spec: r.spec });
        return true;
      default:
        return UNAFFECTING_KINDS.has(key.kind);
    }
  }

  /** The resource's version in the previous push and in the new one (either absent when added or removed). */
  private versions<Spec>(key: ResourceKey): ConfigResource<Spec>[] {
    const out: ConfigResource<Spec>[] = [];
    for (const push of [this.prev, this.next]) {
      const r = push.config.get<Spec>(key);
      if (r) out.push(r);
    }
    return out;
  }

  /** EDS of the services (in either push) whose workloadSelector picks a workload with these labels in `namespace`. */
  private addWorkloadChange(namespace: string, labels: Readonly<Record<string, string>>): void {
    const hosts = new Set<string>();
    for (const push of [this.prev, this.next]) {
      for (const s of push.services()) {
        if (s.workloadSelector && s.namespace === namespace && selectorMatches(s.workloadSelector, labels)) hosts.add(s.hostname);
      }
    }
    if (hosts.size > 0) this.hostChanges.push({ hosts: [...hosts], types: [ENDPOINT_TYPE] });
  }

  /** Hosts of the mesh VirtualServices (in either push) with a destination among `hosts`. */
  private hostsRoutingTo(hosts: readonly string[]): string[] {
    const wanted = new Set(hosts);
    const out = new Set<string>();
    for (const push of [this.prev, this.next]) {
      for (const vs of push.meshVirtualServices()) if (vs.destinations.some((d) => wanted.has(d))) for (const h of vs.hosts) out.add(h);
    }
    return [...out];
  }
}
