// staticCluster: a STATIC Cluster over given addresses with Envoy's defaults, for unit tests and built-in clusters.

import { staticClusterConfig, type ClusterConfig } from "./cluster-config.js";
import { ClusterState } from "./cluster-state.js";
import { Cluster } from "./cluster.js";
import { Host } from "./host.js";

/** A cluster named `name` whose hosts are `endpoints` ([address, port], all HEALTHY); `overrides` replace config fields. */
export function staticCluster(name: string, endpoints: ReadonlyArray<readonly [string, number]>, overrides: Partial<ClusterConfig> = {}): Cluster {
  const config = staticClusterConfig(name, { connectTimeoutMs: 1000, ...overrides });
  const state = new ClusterState(name);
  const hosts = endpoints.map(([a, p]) => new Host(a, p, "HEALTHY", state.stats, config.connectTimeoutMs, state));
  const cluster = new Cluster(config, state, hosts);
  state.update(cluster);
  return cluster;
}
