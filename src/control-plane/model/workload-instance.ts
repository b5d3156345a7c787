// WorkloadInstance: a workload the registry knows (a WorkloadEntry or an auto-registered proxy).

import type { ConfigResource } from "../config/config-resource.js";
import type { WorkloadEntrySpec } from "./istio-specs.js";
import type { Proxy } from "./proxy.js";

/** A workload known to the registry: a WorkloadEntry or an auto-registered proxy. */
export interface WorkloadInstance {
  name: string;
  namespace: string;
  address: string;
  labels: Readonly<Record<string, string>>;
  serviceAccount: string;
  ports?: Readonly<Record<string, number>>;
  locality?: string; // "region/zone/subzone"
  network?: string; // WorkloadEntry network, or the proxy's NETWORK metadata
  weight?: number;
  source: "WorkloadEntry" | "proxy";
}

/** The workload a connected proxy registers; undefined when the proxy has no labels (it registers nothing). */
export function workloadFromProxy(p: Proxy): WorkloadInstance | undefined {
  if (Object.keys(p.labels).length === 0) return undefined;
  const w: WorkloadInstance = {
    name: p.workloadName || p.id,
    namespace: p.namespace,
    address: p.ip,
    labels: p.labels,
    serviceAccount: p.serviceAccount,
    source: "proxy",
  };
  if (p.locality) w.locality = [p.locality.region ?? "", p.locality.zone ?? "", p.locality.subZone ?? ""].join("/").replace(/\/+$/, "");
  if (typeof p.metadata.NETWORK === "string" && p.metadata.NETWORK !== "") w.network = p.metadata.NETWORK;
  return w;
}

/** The workload a WorkloadEntry resource declares; undefined when it has no address. */
export function workloadFromEntry(r: ConfigResource<WorkloadEntrySpec>): WorkloadInstance | undefined {
  const s = r.spec;
  if (!s.address) return undefined;
  const w: WorkloadInstance = {
    name: r.metadata.name,
    namespace: r.metadata.namespace,
    address: s.address,
    labels: s.labels ?? {},
    serviceAccount: s.serviceAccount ?? "default",
    source: "WorkloadEntry",
  };
  if (s.ports) w.ports = s.ports;
  if (s.locality) w.locality = s.locality;
  if (s.network) w.network = s.network;
  if (s.weight !== undefined) w.weight = s.weight;
  return w;
}
