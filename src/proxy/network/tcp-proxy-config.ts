// The compiled envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy: cluster or weighted clusters, idle timeout, attempts.

import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";

/** Envoy's default tcp_proxy idle_timeout (1 h); 0 disables it. */
export const DEFAULT_IDLE_TIMEOUT_MS = 3600_000;

export interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
}

/** Immutable; picks a cluster per connection. */
export class TcpProxyConfig {
  private readonly totalWeight: number;

  private constructor(
    readonly statPrefix: string,
    /** One entry for `cluster`; the weighted_clusters otherwise. */
    readonly clusters: readonly WeightedCluster[],
    readonly idleTimeoutMs: number,
    readonly maxConnectAttempts: number,
  ) {
    this.totalWeight = clusters.reduce((n, c) => n + c.weight, 0);
  }

  static parse(resource: string, tc: XdsObject): TcpProxyConfig {
    const statPrefix = stringField(resource, tc, "stat_prefix") ?? "";
    if (statPrefix === "") invalid(resource, "tcp_proxy without stat_prefix");
    const cluster = stringField(resource, tc, "cluster");
    let clusters: WeightedCluster[];
    if (cluster) clusters = [{ name: cluster, weight: 1 }];
    else {
      const wc = objectField(resource, tc, "weighted_clusters") ?? invalid(resource, "tcp_proxy needs cluster or weighted_clusters");
      clusters = arrayField(resource, wc, "clusters").map((c) => {
        const name = stringField(resource, c, "name") ?? invalid(resource, "weighted cluster without name");
        const weight = Number(c.weight ?? 0);
        if (!Number.isInteger(weight) || weight < 1) invalid(resource, `weighted cluster ${name}: weight must be ≥ 1`);
        return { name, weight };
      });
      if (clusters.length === 0) invalid(resource, "tcp_proxy weighted_clusters is empty");
    }
    const attempts = wrapped<number>(tc, "max_connect_attempts", 1);
    if (!Number.isInteger(attempts) || attempts < 1) invalid(resource, "tcp_proxy max_connect_attempts must be ≥ 1");
    return new TcpProxyConfig(statPrefix, clusters, durationMs(resource, tc, "idle_timeout", DEFAULT_IDLE_TIMEOUT_MS), attempts);
  }

  /** The cluster for one connection: weighted random like Envoy's TcpProxy (`random` in [0, 1)). */
  pickCluster(random: number = Math.random()): string {
    if (this.clusters.length === 1) return this.clusters[0]!.name;
    let r = Math.floor(random * this.totalWeight);
    for (const c of this.clusters) {
      if (r < c.weight) return c.name;
      r -= c.weight;
    }
    return this.clusters[this.clusters.length - 1]!.name;
  }
}
