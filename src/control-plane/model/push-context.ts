// PushContext: the immutable, indexed view of the mesh that one push generates every proxy's config from.

import { createHash } from "node:crypto";
import type { ConfigResource, ConfigSnapshot } from "../config/config-resource.js";
import { hostMatches, hostSpecificity, isVisibleTo, resolveHost } from "./host-name.js";
import type { DestinationRuleSpec, Labels, VirtualServiceSpec } from "./istio-specs.js";
import { selectorMatches } from "./labels.js";
import type { Service, ServiceEndpoint } from "./service.js";
import { buildServiceRegistry, endpointKey, type ServiceRegistry } from "./service-registry.js";
import type { WorkloadInstance } from "./workload-instance.js";

/** A config resource whose hosts were resolved to FQDNs (or wildcards) once, at build time. */
interface Resolved<Spec> {
  config: ConfigResource<Spec>;
  hosts: string[];
  order: number;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Immutable indexed view of the mesh for one push. Built once per debounced change; every generator call for every
 * proxy reads it. Lookups that depend only on a namespace are memoised inside (the memo is invisible to callers).
 * Objects returned are shared: callers must not mutate them.
 */
export class PushContext {
  /** Changes whenever anything in it changes (config revision or the set of workloads). */
  readonly version: string;
  readonly domain: string;
  /** True when some mesh VirtualService route matches on sourceLabels/sourceNamespace (routes then depend on the proxy). */
  readonly hasSourceScopedRoutes: boolean;

  private readonly registry: ServiceRegistry;
  private readonly destinationRules: Resolved<DestinationRuleSpec>[];
  private readonly virtualServices: Resolved<VirtualServiceSpec>[];
  private readonly memoTable = new Map<string, unknown>();

  private constructor(config: ConfigSnapshot, registry: ServiceRegistry, domain: string) {
    this.domain = domain;
    this.registry = registry;
    this.destinationRules = config.list<DestinationRuleSpec>("DestinationRule").map((c, order) => ({
      config: c,
      hosts: [resolveHost(c.spec.host, c.metadata.namespace, domain)],
      order,
    }));
    this.virtualServices = config
      .list<VirtualServiceSpec>("VirtualService")
      .filter((c) => isMeshBound(c.spec))
      .map((c, order) => ({ config: c, hosts: (c.spec.hosts ?? []).map((h) => resolveHost(h, c.metadata.namespace, domain)), order }));
    this.hasSourceScopedRoutes = this.virtualServices.some((vs) =>
      (vs.config.spec.http ?? []).some((r) => (r.match ?? []).some((m) => m.sourceLabels || m.sourceNamespace)),
    );
    this.version = computeVersion(config.revision, registry.workloads);
  }

  static build(config: ConfigSnapshot, workloads: readonly WorkloadInstance[], opts: { domain: string }): PushContext {
    return new PushContext(config, buildServiceRegistry(config, workloads, opts.domain), opts.domain);
  }

  /** Every service, sorted by hostname. */
  services(): readonly Service[] {
    return this.registry.services;
  }

  service(hostname: string): Service | undefined {
    return this.registry.byHost.get(hostname);
  }

  /** The services a proxy in `namespace` may see (ServiceEntry exportTo), sorted by hostname. */
  visibleServices(namespace: string): readonly Service[] {
    return this.memo(`svc|${namespace}`, () =>
      this.registry.services.filter((s) => isVisibleTo(s.exportTo, s.namespace, namespace)),
    );
  }

  /** Every workload instance known (WorkloadEntries and auto-registered proxies). */
  workloads(): readonly WorkloadInstance[] {
    return this.registry.workloads;
  }

  /** Endpoints of a service port, optionally only those whose labels match `subsetLabels`. */
  endpoints(hostname: string, port: number, subsetLabels?: Labels): readonly ServiceEndpoint[] {
    const all = this.registry.endpoints.get(endpointKey(hostname, port)) ?? EMPTY;
    if (!subsetLabels) return all;
    return all.filter((e) => selectorMatches(subsetLabels, e.labels));
  }

  /**
   * The DestinationRule a proxy in `namespace` uses for `hostname`: among visible rules whose host covers it,
   * the proxy's namespace first, then the service's, then any other; the most specific host; then config order.
   */
  destinationRule(namespace: string, hostname: string): ConfigResource<DestinationRuleSpec> | undefined {
    return this.memo(`dr|${namespace}|${hostname}`, () => {
      const svcNs = this.service(hostname)?.namespace;
      const rank = (c: ConfigResource<DestinationRuleSpec>): number =>
        c.metadata.namespace === namespace ? 0 : c.metadata.namespace === svcNs ? 1 : 2;
      return pickBest(this.destinationRules, hostname, namespace, (c) => c.spec.exportTo, rank, true);
    });
  }

  /** The labels of a subset of the DestinationRule a proxy in `namespace` uses for `hostname`; undefined if no such subset. */
  subsetLabels(namespace: string, hostname: string, subset: string): Labels | undefined {
    const s = this.destinationRule(namespace, hostname)?.spec.subsets?.find((x) => x.name === subset);
    return s ? (s.labels ?? {}) : undefined;
  }

  /**
   * The mesh-bound VirtualService that routes `hostname` for a proxy in `namespace`: an exact host beats a wildcard,
   * a VirtualService of the proxy's namespace beats others, then config order (Istio lets only one win per host).
   */
  virtualService(namespace: string, hostname: string): ConfigResource<VirtualServiceSpec> | undefined {
    return this.memo(`vs|${namespace}|${hostname}`, () =>
      pickBest(this.virtualServices, hostname, namespace, (c) => c.spec.exportTo, (c) => (c.metadata.namespace === namespace ? 0 : 1), false),
    );
  }

  /** A per-push memo for derived values (generators cache namespace-wide results here). */
  memo<T>(key: string, build: () => T): T {
    if (this.memoTable.has(key)) return this.memoTable.get(key) as T;
    const v = build();
    this.memoTable.set(key, v);
    return v;
  }
}

function isMeshBound(spec: VirtualServiceSpec): boolean {
  return !spec.gateways || spec.gateways.length === 0 || spec.gateways.includes("mesh");
}

function pickBest<Spec>(
  candidates: readonly Resolved<Spec>[],
  hostname: string,
  namespace: string,
  exportTo: (c: ConfigResource<Spec>) => string[] | undefined,
  namespaceRank: (c: ConfigResource<Spec>) => number,
  namespaceFirst: boolean,
): ConfigResource<Spec> | undefined {
  let best: { c: Resolved<Spec>; ns: number; spec: number } | undefined;
  for (const c of candidates) {
    let specificity = -1;
    for (const h of c.hosts) if (hostMatches(h, hostname)) specificity = Math.max(specificity, hostSpecificity(h));
    if (specificity < 0 || !isVisibleTo(exportTo(c.config), c.config.metadata.namespace, namespace)) continue;
    const ns = namespaceRank(c.config);
    const better = !best ||
      (namespaceFirst
        ? ns < best.ns || (ns === best.ns && specificity > best.spec)
        : specificity > best.spec || (specificity === best.spec && ns < best.ns));
    if (better) best = { c, ns, spec: specificity };
  }
  return best?.c.config;
}

function computeVersion(revision: number, workloads: readonly WorkloadInstance[]): string {
  const h = createHash("sha1");
  h.update(String(revision));
  const keys = workloads.map((w) => JSON.stringify([w.source, w.namespace, w.name, w.address, w.labels, w.ports, w.locality, w.weight, w.serviceAccount]));
  for (const k of keys.sort()) h.update(k);
  return `${revision}-${h.digest("hex").slice(0, 12)}`;
}
