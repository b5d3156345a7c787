// Readers of a running `weft proxy`'s admin endpoint for end-to-end tests: a cluster stat and a host's health flags.

import { httpGet } from "./mesh-processes.js";

/** The Prometheus value of `envoy_cluster_<name>{cluster_name="<cluster>"}` from the admin at `admin` (ip:port); NaN when absent. */
export async function clusterStat(admin: string, name: string, cluster: string): Promise<number> {
  const text = (await httpGet(`http://${admin}/stats/prometheus`)).body;
  const line = text.split("\n").find((l) => l.startsWith(`envoy_cluster_${name}{cluster_name="${cluster}"}`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A host's `health_flags` as /clusters prints them (e.g. "healthy", "/failed_outlier_check"), "(absent)" without the host. */
export async function hostHealthFlags(admin: string, cluster: string, hostPort: string): Promise<string> {
  const text = (await httpGet(`http://${admin}/clusters`)).body;
  const prefix = `${cluster}::${hostPort}::health_flags::`;
  return text.split("\n").find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? "(absent)";
}
