// ProxyRuntime: the sidecar's data plane, fed whole xDS resource sets by the xDS client and serving traffic.

import { ClusterManager } from "./upstream/cluster-manager.js";
import { ListenerManager } from "./listener/listener-manager.js";
import { RouteTable } from "./router/route-table.js";
import { DownstreamStats, HttpConnectionManagerStats, type ProxyStats } from "./stats/proxy-stats.js";
import type { DataPlane } from "./http/data-plane.js";
import type { HttpConnectionManagerConfig } from "./http/http-connection-manager-config.js";
import type { Cluster } from "./upstream/cluster.js";
import { invalid, type XdsObject } from "./config/xds-fields.js";
import "./filters/router/router-filter.js";
import "./filters/fault/fault-filter.js";
import "./filters/cors/cors-filter.js";
import "./filters/jwt-authn/jwt-authn-filter.js";
import "./filters/rbac/rbac-filter.js";
import "./filters/ext-authz/ext-authz-filter.js";

export interface ProxyRuntimeOptions {
  /** The workload's IP: replaces 0.0.0.0 in bound listener addresses. */
  ip: string;
  /** Addresses where outbound `0.0.0.0_<port>` listeners are bound to stand in for iptables capture (see ListenerManager). */
  outboundIps?: readonly string[];
  /** How long close() lets in-flight requests finish (default 5000 ms). */
  drainTimeoutMs?: number;
}

export interface EndpointStatus {
  address: string; port: number; health: string; rqTotal: number; rqActive: number; cxActive: number;
  /** HealthFlag bits (EDS health, outlier ejection, active health checking). */
  healthFlags: number;
}

/**
 * Each apply* receives the complete current set for its type. It validates everything first and throws
 * PROXY_CONFIG_INVALID("<resource>: <reason>") without changing anything; on success it swaps an immutable
 * snapshot so in-flight requests and idle keep-alive connections are undisturbed.
 */
export class ProxyRuntime implements DataPlane {
  readonly downstreamStats = new DownstreamStats();
  private readonly clusterManager = new ClusterManager();
  private readonly listenerManager: ListenerManager;
  private readonly hcmStats = new Map<string, HttpConnectionManagerStats>();
  private routes = new Map<string, RouteTable>();

  constructor(private readonly opts: ProxyRuntimeOptions) {
    this.listenerManager = new ListenerManager(opts.ip, this, (prefix) => this.statsFor(prefix), opts.outboundIps);
  }

  applyClusters(clusters: ReadonlyMap<string, XdsObject>): void {
    this.clusterManager.applyClusters(clusters);
  }

  applyEndpoints(assignments: ReadonlyMap<string, XdsObject>): void {
    this.clusterManager.applyEndpoints(assignments);
  }

  applyListeners(listeners: ReadonlyMap<string, XdsObject>): Promise<void> {
    return this.listenerManager.apply(listeners);
  }

  applyRoutes(routes: ReadonlyMap<string, XdsObject>): void {
    const next = new Map<string, RouteTable>();
    for (const [name, rc] of routes) {
      if (rc.name !== name) invalid(name, `route configuration name ${String(rc.name)} does not match resource name`);
      next.set(name, RouteTable.compile(name, rc));
    }
    this.routes = next;
  }

  routeNamesWanted(): string[] {
    return this.listenerManager.routeNamesWanted();
  }

  endpointNamesWanted(): string[] {
    return this.clusterManager.endpointNamesWanted();
  }

  clustersStatus(): Array<{ name: string; endpoints: EndpointStatus[] }> {
    const out: Array<{ name: string; endpoints: EndpointStatus[] }> = [];
    for (const c of this.clusterManager.all()) {
      out.push({
        name: c.name,
        endpoints: c.hosts.map((h) => ({
          address: h.address, port: h.port, health: h.health, healthFlags: h.healthFlags,
          rqTotal: h.stats.rq_total, rqActive: h.stats.rq_active, cxActive: h.stats.cx_active,
        })),
      });
    }
    return out;
  }

  stats(): ProxyStats {
    return {
      clusters: this.clusterManager.allStats(),
      httpConnectionManagers: [...this.hcmStats].map(([statPrefix, stats]) => ({ statPrefix, stats })),
      downstream: this.downstreamStats,
    };
  }

  async close(): Promise<void> {
    await this.listenerManager.close(this.opts.drainTimeoutMs ?? 5000);
    this.clusterManager.close();
  }

  // ---- DataPlane (read per request) ----

  routeTable(hcm: HttpConnectionManagerConfig): RouteTable | undefined {
    return hcm.inlineRoutes ?? this.routes.get(hcm.rdsName!);
  }

  cluster(name: string): Cluster | undefined {
    return this.clusterManager.get(name);
  }

  private statsFor(statPrefix: string): HttpConnectionManagerStats {
    let s = this.hcmStats.get(statPrefix);
    if (!s) { s = new HttpConnectionManagerStats(); this.hcmStats.set(statPrefix, s); }
    return s;
  }
}
