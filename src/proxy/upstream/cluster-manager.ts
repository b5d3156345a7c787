// ClusterManager: builds Clusters from CDS and EDS (or inline load_assignment) and swaps them in atomically.

import { arrayField, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import type { ClusterStats } from "../stats/proxy-stats.js";
import { parseClusterConfig, type ClusterConfig } from "./cluster-config.js";
import { ClusterState } from "./cluster-state.js";
import { Cluster } from "./cluster.js";
import { Host } from "./host.js";
import { closeOriginalDstHosts } from "./lb/original-dst.js";

/** One lb_endpoint of a ClusterLoadAssignment, with its locality's settings. */
interface EndpointSpec { address: string; port: number; health: string; weight: number; locality: string; localityWeight: number; priority: number }

/** A parsed ClusterLoadAssignment: its endpoints and policy.overprovisioning_factor (percent, default 140). */
interface Assignment { endpoints: EndpointSpec[]; overprovisioningFactor: number }

const NO_ASSIGNMENT: Assignment = { endpoints: [], overprovisioningFactor: 140 };

/** Owns the clusters map (replaced whole on each update) and the per-name state (stats, …) that outlives rebuilds. */
export class ClusterManager {
  private configs = new Map<string, ClusterConfig>();
  private assignments = new Map<string, Assignment>();
  private clusters = new Map<string, Cluster>();
  private readonly states = new Map<string, ClusterState>();

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  all(): Iterable<Cluster> { return this.clusters.values(); }

  allStats(): Array<{ name: string; stats: ClusterStats }> {
    return [...this.states.values()].map((s) => ({ name: s.name, stats: s.stats }));
  }

  applyClusters(resources: ReadonlyMap<string, XdsObject>): void {
    const configs = new Map<string, ClusterConfig>();
    for (const [name, c] of resources) {
      const config = parseClusterConfig(name, c);
      if (config.inline) parseAssignment(name, config.inline);
      configs.set(name, config);
    }
    this.configs = configs;
    this.rebuild();
  }

  applyEndpoints(resources: ReadonlyMap<string, XdsObject>): void {
    const assignments = new Map<string, Assignment>();
    for (const [name, cla] of resources) assignments.set(name, parseAssignment(name, cla));
    this.assignments = assignments;
    this.rebuild();
  }

  endpointNamesWanted(): string[] {
    const names: string[] = [];
    for (const s of this.configs.values()) if (s.type === "EDS") names.push(s.edsServiceName);
    return names;
  }

  /** Closes every pool's idle connections (in-flight exchanges finish) and stops per-cluster timers. */
  close(): void {
    for (const c of this.clusters.values()) for (const h of c.hosts) h.close();
    for (const s of this.states.values()) {
      s.close();
      closeOriginalDstHosts(s.stats);
    }
  }

  private rebuild(): void {
    const next = new Map<string, Cluster>();
    for (const config of this.configs.values()) {
      let state = this.states.get(config.name);
      if (!state) { state = new ClusterState(config.name); this.states.set(config.name, state); }
      const assignment = config.type === "EDS" ? this.assignments.get(config.edsServiceName) ?? NO_ASSIGNMENT
        : config.inline ? parseAssignment(config.name, config.inline) : NO_ASSIGNMENT;
      const old = this.clusters.get(config.name);
      const oldHosts = new Map<string, Host>();
      if (old) for (const h of old.hosts) oldHosts.set(h.key, h);
      const hosts: Host[] = [];
      for (const e of assignment.endpoints) {
        const key = `${e.address}:${e.port}`;
        let h = oldHosts.get(key);
        if (h) {
          oldHosts.delete(key);
          h.setEdsHealth(e.health);
          h.setConnectTimeout(config.connectTimeoutMs);
        } else {
          h = new Host(e.address, e.port, e.health, state.stats, config.connectTimeoutMs, state);
        }
        h.weight = e.weight;
        h.locality = e.locality;
        h.localityWeight = e.localityWeight;
        h.priority = e.priority;
        hosts.push(h);
      }
      for (const gone of oldHosts.values()) gone.close();
      const cluster = new Cluster(config, state, hosts, assignment.overprovisioningFactor);
      state.update(cluster);
      next.set(config.name, cluster);
    }
    for (const [name, old] of this.clusters) {
      if (next.has(name)) continue;
      for (const h of old.hosts) h.close();
      this.states.get(name)?.close();
      closeOriginalDstHosts(old.stats);
    }
    this.clusters = next;
  }
}

function localityKey(l: XdsObject | undefined): string {
  if (!l) return "";
  const region = typeof l.region === "string" ? l.region : "";
  const zone = typeof l.zone === "string" ? l.zone : "";
  const subZone = typeof l.sub_zone === "string" ? l.sub_zone : "";
  return region || zone || subZone ? `${region}/${zone}/${subZone}` : "";
}

function parseAssignment(name: string, cla: XdsObject): Assignment {
  const policy = objectField(name, cla, "policy");
  // ClusterLoadAssignment.Policy.overprovisioning_factor: UInt32Value, gt 0, default 140.
  const overprovisioningFactor = policy ? wrapped(policy, "overprovisioning_factor", 140) : 140;
  if (!Number.isInteger(overprovisioningFactor) || overprovisioningFactor < 1) invalid(name, `policy.overprovisioning_factor must be a positive integer, got ${overprovisioningFactor}`);
  const out: EndpointSpec[] = [];
  for (const group of arrayField(name, cla, "endpoints")) {
    const locality = localityKey(objectField(name, group, "locality"));
    const localityWeight = wrapped(group, "load_balancing_weight", 0);
    const priority = Number(group.priority ?? 0);
    if (!Number.isInteger(priority) || priority < 0 || priority > 127) invalid(name, `locality ${locality || "(none)"} has invalid priority ${String(group.priority)}`);
    for (const lb of arrayField(name, group, "lb_endpoints")) {
      const ep = objectField(name, lb, "endpoint") ?? invalid(name, "lb_endpoint without endpoint");
      const addr = objectField(name, ep, "address") ?? invalid(name, "endpoint without address");
      const sa = objectField(name, addr, "socket_address") ?? invalid(name, "endpoint address without socket_address");
      const address = stringField(name, sa, "address");
      const port = Number(sa.port_value);
      if (!address) invalid(name, "endpoint without address");
      if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(name, `endpoint ${address} has invalid port ${String(sa.port_value)}`);
      const health = typeof lb.health_status === "string" ? lb.health_status : "UNKNOWN";
      // Envoy rejects an explicit weight of 0 (the field's minimum is 1); unset means 1.
      const weight = wrapped(lb, "load_balancing_weight", 1);
      if (!Number.isInteger(weight) || weight < 1) invalid(name, `endpoint ${address}:${port} has invalid load_balancing_weight ${weight}`);
      out.push({ address, port, health, weight, locality, localityWeight, priority });
    }
  }
  return { endpoints: out, overprovisioningFactor };
}
