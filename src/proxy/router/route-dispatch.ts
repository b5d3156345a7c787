// The router's decision for a matched route, shared by the HTTP/1.1 and HTTP/2 downstream streams.

import type { DataPlane } from "../http/data-plane.js";
import type { HttpConnectionManagerConfig } from "../http/http-connection-manager-config.js";
import type { RequestHead } from "../http/request-head.js";
import { ResponseFlag, type StreamInfo } from "../http/stream-info.js";
import type { Cluster } from "../upstream/cluster.js";
import { redirectLocation } from "./path-rewrite.js";
import { pickClusterIndex, type ClusterAction, type RouteEntry } from "./route-entry.js";
import { finalizeRequest, finalizeResponse } from "./route-finalizer.js";

/** A downstream stream as the dispatch sees it: its request and its local-reply path. */
export interface DispatchingStream {
  readonly head: RequestHead;
  readonly streamInfo: StreamInfo;
  sendLocalReply(status: number, body: string, responseFlags: number, extraHeaders?: string[]): void;
}

/** Where a request goes upstream: the picked cluster of the route's (weighted) clusters. */
export interface UpstreamTarget {
  readonly cluster: Cluster;
  readonly clusterIndex: number;
  readonly action: ClusterAction;
}

/**
 * Envoy's router decodeHeaders for `entry`: a direct response or a redirect is answered locally, as is a cluster
 * that does not exist (503 NC); these return undefined. Otherwise picks the weighted cluster, applies the route's
 * request edits to `stream.head` and returns the target, for the caller to start the upstream request.
 */
export function dispatchRoute(stream: DispatchingStream, hcm: HttpConnectionManagerConfig, entry: RouteEntry, dataPlane: DataPlane): UpstreamTarget | undefined {
  const action = entry.action;
  if (action.kind === "direct") {
    hcm.stats.rq_direct_response++;
    const extra: string[] = [];
    finalizeResponse(entry, -1, extra);
    stream.sendLocalReply(action.status, action.body, 0, extra);
    return undefined;
  }
  if (action.kind === "redirect") {
    hcm.stats.rq_redirect++;
    const extra = ["location", redirectLocation(stream.head, action)];
    finalizeResponse(entry, -1, extra);
    stream.sendLocalReply(action.status, "", 0, extra);
    return undefined;
  }
  const clusterIndex = pickClusterIndex(action);
  const clusterName = action.clusters[clusterIndex];
  const cluster = dataPlane.cluster(clusterName);
  if (cluster === undefined) {
    hcm.stats.no_cluster++;
    stream.streamInfo.upstreamCluster = clusterName;
    stream.sendLocalReply(503, "", ResponseFlag.NoClusterFound);
    return undefined;
  }
  finalizeRequest(entry, clusterIndex, stream.head);
  return { cluster, clusterIndex, action };
}
