// Builds the services (ServiceEntry hosts × ports) and their endpoints from config plus known workloads.

import type { ConfigResource, ConfigSnapshot } from "../config/config-resource.js";
import { Logger } from "../../shared/logger.js";
import { resolveHost } from "./host-name.js";
import { selectorMatches } from "./labels.js";
import type { ServiceEntrySpec, WorkloadEntrySpec } from "./istio-specs.js";
import { portProtocol, type Service, type ServiceEndpoint, type ServicePort } from "./service.js";
import { workloadFromEntry, type WorkloadInstance } from "./workload-instance.js";

const log = new Logger("model");

export interface ServiceRegistry {
  /** Sorted by hostname; one per host (the first ServiceEntry in config order wins a host declared twice). */
  services: Service[];
  byHost: Map<string, Service>;
  /** Endpoints by `${hostname}|${servicePort}`, in a stable order. */
  endpoints: Map<string, ServiceEndpoint[]>;
  /** Every workload instance considered (WorkloadEntries from config plus the given ones), deduplicated. */
  workloads: WorkloadInstance[];
}

export function endpointKey(hostname: string, port: number): string {
  return `${hostname}|${port}`;
}

/** WorkloadEntries from config plus the given workloads, deduplicated by (source, namespace, name, address). */
function allWorkloads(config: ConfigSnapshot, given: readonly WorkloadInstance[]): WorkloadInstance[] {
  const seen = new Set<string>();
  const out: WorkloadInstance[] = [];
  const add = (w: WorkloadInstance | undefined): void => {
    if (!w) return;
    const k = `${w.source}/${w.namespace}/${w.name}/${w.address}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(w);
  };
  for (const r of config.list<WorkloadEntrySpec>("WorkloadEntry")) add(workloadFromEntry(r));
  for (const w of given) add(w);
  return out;
}

function endpointFor(w: WorkloadInstance | WorkloadEntryLike, port: ServicePort, namespace: string): ServiceEndpoint {
  return {
    address: w.address,
    port: w.ports?.[port.name] ?? port.targetPort ?? port.number,
    servicePort: port.number,
    labels: w.labels ?? {},
    locality: w.locality ?? "",
    network: w.network ?? "",
    weight: w.weight && w.weight > 0 ? w.weight : 1,
    serviceAccount: w.serviceAccount ?? "default",
    workloadName: w.name ?? "",
    namespace: w.namespace ?? namespace,
  };
}

interface WorkloadEntryLike {
  address: string;
  ports?: Readonly<Record<string, number>>;
  labels?: Readonly<Record<string, string>>;
  locality?: string;
  network?: string;
  weight?: number;
  serviceAccount?: string;
  name?: string;
  namespace?: string;
}

function servicesOf(r: ConfigResource<ServiceEntrySpec>, domain: string): Service[] {
  const s = r.spec;
  const ports: ServicePort[] = (s.ports ?? []).map((p) => {
    const port: ServicePort = { name: p.name, number: p.number, protocol: portProtocol(p.name, p.protocol) };
    if (p.targetPort) port.targetPort = p.targetPort;
    return port;
  });
  const out: Service[] = [];
  for (const h of s.hosts ?? []) {
    const svc: Service = {
      hostname: resolveHost(h, r.metadata.namespace, domain),
      namespace: r.metadata.namespace,
      source: { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name },
      addresses: (s.addresses ?? []).filter((a) => !a.includes("/")),
      ports,
      resolution: s.resolution ?? "NONE",
      location: s.location ?? "MESH_EXTERNAL",
    };
    if (s.workloadSelector?.labels) svc.workloadSelector = s.workloadSelector.labels;
    if (s.exportTo) svc.exportTo = s.exportTo;
    out.push(svc);
  }
  return out;
}

function compareEndpoints(a: ServiceEndpoint, b: ServiceEndpoint): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port;
}

/**
 * The registry for `config` and the given workloads. `previous`, given when no ServiceEntry changed since it was
 * built, lends its Service objects (only endpoints are recomputed), so results memoised on them stay valid.
 */
export function buildServiceRegistry(config: ConfigSnapshot, given: readonly WorkloadInstance[], domain: string, previous?: { registry: ServiceRegistry }): ServiceRegistry {
  const workloads = allWorkloads(config, given);
  const reuse = previous?.registry.byHost;
  const byHost = new Map<string, Service>();
  const endpoints = new Map<string, ServiceEndpoint[]>();
  const byNamespace = new Map<string, WorkloadInstance[]>();
  for (const w of workloads) {
    const list = byNamespace.get(w.namespace);
    if (list) list.push(w);
    else byNamespace.set(w.namespace, [w]);
  }
  for (const r of config.list<ServiceEntrySpec>("ServiceEntry")) {
    for (const fresh of servicesOf(r, domain)) {
      if (byHost.has(fresh.hostname)) {
        if (!reuse) log.warn("host declared by several ServiceEntries; the first wins", { host: fresh.hostname, ignored: `${r.metadata.namespace}/${r.metadata.name}` });
        continue;
      }
      const svc = reuse?.get(fresh.hostname) ?? fresh;
      byHost.set(svc.hostname, svc);
      const instances: WorkloadEntryLike[] = svc.workloadSelector
        ? (byNamespace.get(svc.namespace) ?? []).filter((w) => selectorMatches(svc.workloadSelector, w.labels))
        : (r.spec.endpoints ?? []).filter((e): e is WorkloadEntrySpec & { address: string } => !!e.address);
      for (const port of svc.ports) {
        let eps = instances.map((w) => endpointFor(w, port, svc.namespace));
        if (eps.length === 0 && (svc.resolution === "DNS" || svc.resolution === "DNS_ROUND_ROBIN")) {
          // Istio resolves the host itself when a DNS ServiceEntry lists no endpoints.
          eps = [endpointFor({ address: svc.hostname }, port, svc.namespace)];
        }
        endpoints.set(endpointKey(svc.hostname, port.number), eps.sort(compareEndpoints));
      }
    }
  }
  const services = [...byHost.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  return { services, byHost, endpoints, workloads };
}
