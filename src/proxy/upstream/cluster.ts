// Cluster: an upstream cluster as the data path sees it: config, hosts with pools and stats, and its load balancer.

import type { ClusterStats } from "../stats/proxy-stats.js";
import type { ClusterConfig, UpstreamProtocol } from "./cluster-config.js";
import type { ClusterState } from "./cluster-state.js";
import type { Host } from "./host.js";
import { buildLoadBalancer, type LoadBalancer, type LoadBalancerOptions } from "./lb/load-balancer.js";
import type { LbContext } from "./lb/lb-context.js";

export type { UpstreamProtocol } from "./cluster-config.js";
export { Host } from "./host.js";

/** Immutable per (CDS, EDS) version, except the load balancer, which is rebuilt when a host's health changes. */
export class Cluster {
  readonly name: string;
  readonly type: string;
  readonly connectTimeoutMs: number;
  /** EDS service name for EDS clusters, "" otherwise. */
  readonly edsServiceName: string;
  readonly protocol: UpstreamProtocol;
  readonly stats: ClusterStats;
  private readonly lbOptions: LoadBalancerOptions;
  private lb: LoadBalancer;

  /** `overprovisioningFactor`: the ClusterLoadAssignment policy.overprovisioning_factor in percent (Envoy's default 140). */
  constructor(readonly config: ClusterConfig, readonly state: ClusterState, readonly hosts: readonly Host[], overprovisioningFactor = 140) {
    this.name = config.name;
    this.type = config.type;
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.edsServiceName = config.edsServiceName;
    this.protocol = config.protocol;
    this.stats = state.stats;
    this.lbOptions = { overprovisioningFactor, stats: state.lbStats, cluster: this };
    this.lb = buildLoadBalancer(hosts, config.lb, this.lbOptions);
  }

  /** A host for one request or connection, or undefined (→ 503 UH). */
  chooseHost(ctx: LbContext | undefined): Host | undefined {
    return this.lb.chooseHost(ctx);
  }

  /** A host's health flags changed (outlier detection, active health checking): the load balancer is rebuilt. */
  hostHealthChanged(): void {
    this.lb = buildLoadBalancer(this.hosts, this.config.lb, this.lbOptions);
  }
}
