// PushContext: the immutable, indexed view of the mesh that one push generates every proxy's config from.

import { createHash } from "node:crypto";
import type { ConfigResource, ConfigSnapshot } from "../config/config-resource.js";
import { hostMatches, hostSpecificity, isVisibleTo, resolveHost } from "./host-name.js";
import type { DestinationRuleSpec, Labels, SidecarSpec, VirtualServiceSpec } from "./istio-specs.js";
import { selectorMatches } from "./labels.js";
import type { Proxy } from "./proxy.js";
import type { Service, ServiceEndpoint } from "./service.js";
import { buildServiceRegistry, endpointKey, type ServiceRegistry } from "./service-registry.js";
import { egressImports, egressImportsService, parseEgressHosts, SidecarScope, type EgressListenerScope } from "./sidecar-scope.js";
import type { WorkloadInstance } from "./workload-instance.js";

/** A config resource whose hosts were resolved to FQDNs (or wildcards) once, at build time. */
interface Resolved<Spec> {
  config: ConfigResource<Spec>;
  hosts: string[];
  order: number;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** Istio's default mesh root namespace: its selector-less Sidecar is the default of namespaces without one. */
export const DEFAULT_ROOT_NAMESPACE = "istio-system";

export interface PushContextOptions {
  domain: string;
  /** Mesh root namespace (default "istio-system"). */
  rootNamespace?: string;
}

/**
 * Immutable indexed view of the mesh for one push. Built once per debounced change; every generator call for every
 * proxy reads it. Lookups that depend only on a namespace are memoised inside (the memo is invisible to callers).
 * Objects returned are shared: callers must not mutate them.
 */
export class PushContext {
  /** Changes whenever anything in it changes (config revision or the set of workloads). */
  readonly version: string;
  readonly domain: string;
  readonly rootNamespace: string;
  /** The config snapshot this push was built from (immutable; the push loop reads changed resources' old versions here). */
  readonly config: ConfigSnapshot;
  /** True when some mesh or delegate VirtualService route matches on sourceLabels/sourceNamespace (routes then depend on the proxy). */
  readonly hasSourceScopedRoutes: boolean;

  private readonly registry: ServiceRegistry;
  private readonly destinationRules: Resolved<DestinationRuleSpec>[];
  private readonly virtualServices: Resolved<VirtualServiceSpec>[];
  /** Sidecars by namespace: those with a workloadSelector first, then the selector-less ones, each in config order. */
  private readonly sidecars = new Map<string, ConfigResource<SidecarSpec>[]>();
  private readonly memoTable = new Map<string, unknown>();
  private readonly drIndex: HostIndex<DestinationRuleSpec>;
  private readonly vsIndex: HostIndex<VirtualServiceSpec>;

  private constructor(config: ConfigSnapshot, registry: ServiceRegistry, opts: PushContextOptions) {
    const domain = opts.domain;
    this.domain = domain;
    this.rootNamespace = opts.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
    this.config = config;
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
    this.drIndex = indexByHost(this.destinationRules);
    this.vsIndex = indexByHost(this.virtualServices);
    // Delegate VirtualServices (no hosts) count whatever their gateways: their routes land in mesh routes too.
    this.hasSourceScopedRoutes = config.list<VirtualServiceSpec>("VirtualService").some((vs) =>
      (isMeshBound(vs.spec) || (vs.spec.hosts ?? []).length === 0) &&
      (vs.spec.http ?? []).some((r) => (r.match ?? []).some((m) => m.sourceLabels || m.sourceNamespace)),
    );
    const sidecars = config.list<SidecarSpec>("Sidecar");
    for (const withSelector of [true, false]) {
      for (const sc of sidecars) {
        if (!!sc.spec.workloadSelector !== withSelector) continue;
        const list = this.sidecars.get(sc.metadata.namespace);
        if (list) list.push(sc);
        else this.sidecars.set(sc.metadata.namespace, [sc]);
      }
    }
    this.version = computeVersion(config.revision, registry.workloads);
  }

  /**
   * Builds the push context of `config` and `workloads`. With `previous` and the kinds of the config resources that
   * changed since it (`changedKinds`; empty or omitted when `config` is the very snapshot `previous` was built from),
   * memoised results that depend on none of those kinds are carried over, as are the endpoint assignments of every
   * service whose endpoints did not change. Generators then return the very same objects for what did not change,
   * which the snapshot layer neither re-encodes nor re-hashes (Istio's XDS cache, cleared by config dependencies).
   */
  static build(config: ConfigSnapshot, workloads: readonly WorkloadInstance[], opts: PushContextOptions, previous?: PushContext, changedKinds?: ReadonlySet<string>): PushContext {
    let changed: ReadonlySet<string> | undefined;
    if (previous !== undefined && previous.domain === opts.domain && previous.rootNamespace === (opts.rootNamespace ?? DEFAULT_ROOT_NAMESPACE)) {
      if (previous.config === config) changed = NO_KINDS;
      else if (changedKinds !== undefined && [...changedKinds].every((k) => KNOWN_KINDS.has(k))) changed = changedKinds;
    }
    const reuseServices = changed !== undefined && !changed.has("ServiceEntry");
    const registry = buildServiceRegistry(config, workloads, opts.domain, reuseServices ? { registry: previous!.registry } : undefined);
    const push = new PushContext(config, registry, opts);
    if (changed !== undefined) push.inherit(previous!, changed);
    return push;
  }

  /** Copies the previous context's memo entries that depend on no changed kind, and unchanged endpoint assignments. */
  private inherit(previous: PushContext, changedKinds: ReadonlySet<string>): void {
    const changedHosts = new Set<string>();
    const before = previous.registry.endpoints;
    const after = this.registry.endpoints;
    for (const [key, eps] of after) if (!sameEndpoints(before.get(key), eps)) changedHosts.add(key.slice(0, key.lastIndexOf("|")));
    for (const key of before.keys()) if (!after.has(key)) changedHosts.add(key.slice(0, key.lastIndexOf("|")));
    for (const [key, value] of previous.memoTable) {
      const deps = memoDependencies(key);
      if (deps === undefined) continue;
      let affected = false;
      for (const k of deps) if (changedKinds.has(k)) { affected = true; break; }
      if (affected) continue;
      // eds|<dr>|outbound|<port>|<subset>|<host>: also rebuilt when that host's endpoints changed.
      if (key.startsWith("eds|") && changedHosts.has(key.slice(key.lastIndexOf("|") + 1))) continue;
      this.memoTable.set(key, value);
    }
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
      return pickBest(candidatesFor(this.drIndex, hostname), hostname, namespace, (c) => c.spec.exportTo, rank, true);
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
      pickBest(candidatesFor(this.vsIndex, hostname), hostname, namespace, (c) => c.spec.exportTo, (c) => (c.metadata.namespace === namespace ? 0 : 1), false),
    );
  }

  /**
   * The Sidecar that applies to a workload (Istio getSidecarScope): the first of its namespace whose workloadSelector
   * matches its labels, else its namespace's selector-less one, else the root namespace's selector-less one.
   */
  sidecarFor(namespace: string, labels: Labels): ConfigResource<SidecarSpec> | undefined {
    for (const sc of this.sidecars.get(namespace) ?? EMPTY) {
      const selector = sc.spec.workloadSelector;
      if (!selector || selectorMatches(selector.labels, labels)) return sc;
    }
    return (this.sidecars.get(this.rootNamespace) ?? EMPTY).find((sc) => !sc.spec.workloadSelector);
  }

  /**
   * The scope of a proxy, shared by every proxy of its namespace that the same Sidecar selects. Proxyless gRPC
   * clients always get the default scope (their generators do not apply Sidecars).
   */
  sidecarScope(proxy: Proxy): SidecarScope {
    const sc = proxy.type === "grpc" ? undefined : this.sidecarFor(proxy.namespace, proxy.labels);
    if (!sc) return this.defaultScope(proxy.namespace);
    const key = `${proxy.namespace}|${sc.metadata.namespace}/${sc.metadata.name}`;
    return this.memo(`scope|${key}`, () => this.buildSidecarScope(key, proxy.namespace, sc));
  }

  /** Istio's DefaultSidecarScopeForNamespace: every service exported to `namespace`. */
  defaultScope(namespace: string): SidecarScope {
    return this.memo(`scope|${namespace}|-`, () =>
      new SidecarScope(`${namespace}|-`, namespace, undefined, [{ hosts: ALL_HOSTS, services: this.visibleServices(namespace) }], undefined),
    );
  }

  /** The mesh VirtualService that routes `hostname` for a scope: as `virtualService`, among those the scope imports. */
  virtualServiceFor(scope: SidecarScope, hostname: string): ConfigResource<VirtualServiceSpec> | undefined {
    if (!scope.sidecar) return this.virtualService(scope.namespace, hostname);
    return this.memo(`vs|${scope.key}|${hostname}`, () =>
      pickBest(
        candidatesFor(this.vsIndex, hostname).filter((vs) => scope.importsConfig(vs.config.metadata.namespace, vs.hosts)),
        hostname,
        scope.namespace,
        (c) => c.spec.exportTo,
        (c) => (c.metadata.namespace === scope.namespace ? 0 : 1),
        false,
      ),
    );
  }

  /** Resolved hosts of every mesh VirtualService with its namespace, and the resolved hosts of its destinations. */
  meshVirtualServices(): readonly { namespace: string; hosts: readonly string[]; destinations: readonly string[] }[] {
    return this.memo("vs-destinations", () =>
      this.virtualServices.map((vs) => ({
        namespace: vs.config.metadata.namespace,
        hosts: vs.hosts,
        destinations: destinationHosts(vs.config, this.domain),
      })),
    );
  }

  /**
   * Istio ConvertToSidecarScope: per egress listener (none = one `*\/*` catch-all), the exported services its hosts
   * import plus the destinations of the VirtualServices it imports; a listener with a port keeps only that port.
   * Egress listeners on port 0 (Unix domain sockets) are not supported and ignored.
   */
  private buildSidecarScope(key: string, namespace: string, sc: ConfigResource<SidecarSpec>): SidecarScope {
    const visible = this.visibleServices(namespace);
    const specs = sc.spec.egress && sc.spec.egress.length > 0 ? sc.spec.egress : [{ hosts: ["*/*"] }];
    const egress: EgressListenerScope[] = [];
    for (const e of specs) {
      const port = e.port?.number;
      if (port === 0) continue;
      const hosts = parseEgressHosts(e.hosts, namespace);
      const picked = new Map<string, Service>();
      const add = (s: Service): void => {
        if (picked.has(s.hostname)) return;
        const r = port === undefined ? s : restrictToPort(s, port);
        if (r) picked.set(s.hostname, r);
      };
      for (const s of visible) if (egressImportsService(hosts, s)) add(s);
      for (const vs of this.virtualServices) {
        const ns = vs.config.metadata.namespace;
        if (!isVisibleTo(vs.config.spec.exportTo, ns, namespace) || !vs.hosts.some((h) => egressImports(hosts, ns, h))) continue;
        for (const d of destinationHosts(vs.config, this.domain)) {
          const s = this.service(d);
          if (s && isVisibleTo(s.exportTo, s.namespace, namespace)) add(s);
        }
      }
      const services = [...picked.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
      egress.push(port === undefined ? { hosts, services } : { port, hosts, services });
    }
    return new SidecarScope(key, namespace, sc, egress, sc.spec.outboundTrafficPolicy?.mode);
  }

  /** A per-push memo for derived values (generators cache namespace-wide results here). */
  memo<T>(key: string, build: () => T): T {
    if (this.memoTable.has(key)) return this.memoTable.get(key) as T;
    const v = build();
    this.memoTable.set(key, v);
    return v;
  }
}

const NO_KINDS: ReadonlySet<string> = new Set();

/** The config kinds generators read. A change of any other kind (or an unknown one) carries nothing over. */
const KNOWN_KINDS = new Set(["ServiceEntry", "WorkloadEntry", "DestinationRule", "VirtualService", "Sidecar", "Gateway", "RequestAuthentication", "AuthorizationPolicy"]);

const SERVICES = ["ServiceEntry"];
const SCOPED = ["ServiceEntry", "VirtualService", "Sidecar"];
/**
 * What each memoised result depends on, by key prefix: the kinds whose change invalidates it (endpoints are
 * tracked per host separately). A key with no entry here is never carried over.
 */
const MEMO_DEPENDENCIES: ReadonlyMap<string, readonly string[]> = new Map([
  ["svc", SERVICES],
  ["dr", ["DestinationRule"]],
  ["vs", ["VirtualService"]],
  ["vs-destinations", ["VirtualService"]],
  // A default scope (`scope|<ns>|-`) holds the visible services; one built from a Sidecar also VirtualService destinations.
  ["scope", SCOPED],
  ["cds", [...SCOPED, "DestinationRule"]],
  ["cluster", [...SERVICES, "DestinationRule"]],
  ["cds-names", [...SCOPED, "DestinationRule"]],
  ["rds", [...SCOPED, "DestinationRule"]],
  ["rds-all", [...SCOPED, "DestinationRule"]],
  ["grpc-rds", [...SCOPED, "DestinationRule"]],
  ["lds", [...SCOPED, "DestinationRule"]],
  ["eds", [...SCOPED, "DestinationRule"]],
  // Per cluster: the locality LB plan its DestinationRule gives; per scope: whether any of its clusters has one.
  ["eds-plan", ["DestinationRule"]],
  ["eds-dep", [...SCOPED, "DestinationRule"]],
  // Per namespace and labels: the inbound jwt_authn / RBAC filters (and `authn-authz|?`: whether any policy exists).
  ["authn-authz", ["RequestAuthentication", "AuthorizationPolicy"]],
]);

/** Default scopes (`<ns>|-`) hold every visible service: VirtualServices and Sidecars do not shape them. */
const DEFAULT_SCOPE_DEPENDENCIES: ReadonlyMap<string, readonly string[]> = new Map([
  ["scope", SERVICES],
  ["cds", [...SERVICES, "DestinationRule"]],
  ["cds-names", [...SERVICES, "DestinationRule"]],
]);

function memoDependencies(key: string): readonly string[] | undefined {
  const bar = key.indexOf("|");
  const prefix = bar === -1 ? key : key.slice(0, bar);
  if (key.endsWith("|-")) {
    const deps = DEFAULT_SCOPE_DEPENDENCIES.get(prefix);
    if (deps !== undefined) return deps;
  }
  return MEMO_DEPENDENCIES.get(prefix);
}

/** Same endpoints in the same order, field by field. */
function sameEndpoints(a: readonly ServiceEndpoint[] | undefined, b: readonly ServiceEndpoint[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.address !== y.address || x.port !== y.port || x.weight !== y.weight || x.locality !== y.locality || x.network !== y.network || x.serviceAccount !== y.serviceAccount ||
      x.workloadName !== y.workloadName || x.namespace !== y.namespace || !sameLabels(x.labels, y.labels)) return false;
  }
  return true;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

const ALL_HOSTS = Object.freeze([{ namespace: "*", host: "*" }]);

/** The service with only port `port` (the same object when that is its only port); undefined when it has no such port. */
function restrictToPort(s: Service, port: number): Service | undefined {
  const p = s.ports.find((x) => x.number === port);
  if (!p) return undefined;
  return s.ports.length === 1 ? s : { ...s, ports: [p] };
}

/** The resolved destination hosts of a VirtualService's http, tcp and tls routes. */
function destinationHosts(vs: ConfigResource<VirtualServiceSpec>, domain: string): string[] {
  const out = new Set<string>();
  type Routed = { route?: readonly { destination: { host: string } }[] };
  const l4 = vs.spec as { tcp?: Routed[]; tls?: Routed[] };
  for (const r of [...(vs.spec.http ?? []), ...(l4.tcp ?? []), ...(l4.tls ?? [])] as Routed[]) {
    for (const d of r.route ?? []) out.add(resolveHost(d.destination.host, vs.metadata.namespace, domain));
  }
  return [...out];
}

function isMeshBound(spec: VirtualServiceSpec): boolean {
  return !spec.gateways || spec.gateways.length === 0 || spec.gateways.includes("mesh");
}

/** Rules by exact host, and those with a wildcard host, each list in config order. */
interface HostIndex<Spec> {
  exact: Map<string, Resolved<Spec>[]>;
  wildcard: Resolved<Spec>[];
}

function indexByHost<Spec>(all: readonly Resolved<Spec>[]): HostIndex<Spec> {
  const exact = new Map<string, Resolved<Spec>[]>();
  const wildcard: Resolved<Spec>[] = [];
  for (const r of all) {
    if (r.hosts.some((h) => h.includes("*"))) { wildcard.push(r); continue; }
    for (const h of new Set(r.hosts)) {
      const list = exact.get(h);
      if (list) list.push(r);
      else exact.set(h, [r]);
    }
  }
  return { exact, wildcard };
}

/** The rules that may cover `hostname`, in config order (what pickBest would find scanning them all). */
function candidatesFor<Spec>(index: HostIndex<Spec>, hostname: string): readonly Resolved<Spec>[] {
  const exact = index.exact.get(hostname);
  if (exact === undefined) return index.wildcard;
  if (index.wildcard.length === 0) return exact;
  return [...exact, ...index.wildcard].sort((a, b) => a.order - b.order);
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
  const keys = workloads.map((w) => JSON.stringify([w.source, w.namespace, w.name, w.address, w.labels, w.ports, w.locality, w.network, w.weight, w.serviceAccount]));
  for (const k of keys.sort()) h.update(k);
  return `${revision}-${h.digest("hex").slice(0, 12)}`;
}
