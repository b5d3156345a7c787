// Envoy's route finalization: the request edits a chosen route makes before going upstream, and its response edits.

import { applyHeaderMutation, setHeader } from "./header-mutation.js";
import { rewritePath, rewritesPath } from "./path-rewrite.js";
import type { RouteEntry } from "./route-entry.js";

/**
 * Finalizes a request in place for route `entry` and the weighted cluster `clusterIndex` (RouteEntryImplBase::
 * finalizeRequestHeaders): header edits of the weighted cluster, then the route, virtual host and route configuration;
 * host rewrite (the route's host_rewrite_literal beats the weighted cluster's, as Envoy applies it last); path rewrite
 * recording `x-envoy-original-path` (Envoy does unless the router suppresses Envoy headers). `head.host` keeps the
 * downstream authority; the `host` header carries the rewritten one.
 */
export function finalizeRequest(entry: RouteEntry, clusterIndex: number, head: { path: string; headers: string[] }): void {
  const action = entry.action;
  if (action.kind !== "cluster") return;
  const headers = head.headers;
  const cm = action.clusterRequestHeaders[clusterIndex];
  if (cm !== undefined) applyHeaderMutation(cm, headers);
  const levels = entry.requestHeaders;
  for (let i = 0; i < levels.length; i++) applyHeaderMutation(levels[i], headers);
  const host = action.hostRewrite ?? action.clusterHostRewrites[clusterIndex];
  if (host !== undefined) setHeader(headers, "host", host);
  if (rewritesPath(action)) {
    setHeader(headers, "x-envoy-original-path", head.path);
    head.path = rewritePath(action, head.path);
  }
}

/**
 * Applies the response edits of route `entry` (weighted cluster `clusterIndex`, or -1 for local replies: direct
 * responses and redirects) to a flat response header list, in Envoy's order.
 */
export function finalizeResponse(entry: RouteEntry, clusterIndex: number, headers: string[]): void {
  const action = entry.action;
  if (action.kind === "cluster" && clusterIndex >= 0) {
    const cm = action.clusterResponseHeaders[clusterIndex];
    if (cm !== undefined) applyHeaderMutation(cm, headers);
  }
  const levels = entry.responseHeaders;
  for (let i = 0; i < levels.length; i++) applyHeaderMutation(levels[i], headers);
}
