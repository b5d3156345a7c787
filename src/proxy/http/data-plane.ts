// The narrow view of the current configuration that a request needs: route tables and clusters, read per request.

import type { RouteTable } from "../router/route-table.js";
import type { Cluster } from "../upstream/cluster.js";
import type { DownstreamStats } from "../stats/proxy-stats.js";
import type { HttpConnectionManagerConfig } from "./http-connection-manager-config.js";
import type { RequestHead } from "./request-head.js";

/** Implemented by the runtime. Reads return the snapshot current at call time (swapped whole on xDS updates). */
export interface DataPlane {
  readonly downstreamStats: DownstreamStats;
  routeTable(hcm: HttpConnectionManagerConfig): RouteTable | undefined;
  cluster(name: string): Cluster | undefined;
}

/** What a downstream connection asks its listener per request: which HCM handles this request (undefined → 404 NR). */
export interface ListenerContext {
  readonly dataPlane: DataPlane;
  resolveHcm(head: RequestHead): HttpConnectionManagerConfig | undefined;
}
