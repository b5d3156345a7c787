// Simulation harness (like Istio's pilot/pkg/simulation): Istio YAML → real generators → protos → the proxy's RouteTable → a routing decision.

import { packAny, unpackAny } from "../../src/xds/any.js";
import { ROUTE_TYPE } from "../../src/xds/type-urls.js";
import { generate } from "../../src/control-plane/generate/generator.js";
import { bookinfoPush } from "../../src/control-plane/generate/testing/bookinfo-fixture.js";
import type { Proxy } from "../../src/control-plane/model/proxy.js";
import type { PushContext } from "../../src/control-plane/model/push-context.js";
import type { ResourceDoc } from "../../src/control-plane/model/test-snapshot.js";
import { redirectLocation } from "../../src/proxy/router/path-rewrite.js";
import { pickClusterIndex } from "../../src/proxy/router/route-entry.js";
import { finalizeRequest, finalizeResponse } from "../../src/proxy/router/route-finalizer.js";
import { RouteTable } from "../../src/proxy/router/route-table.js";

/** A request as a sidecar's app sends it to the outbound listener. */
export interface SimRequest {
  /** Host header (authority); the port selects the RouteConfiguration (default 80). */
  authority: string;
  path?: string;
  method?: string;
  scheme?: string;
  /** Header name → value (names lowercased). */
  headers?: Record<string, string>;
}

/** What the proxy decided. */
export interface SimResult {
  /** Matched route name ("" when unnamed), undefined for 404 NR. */
  route: string | undefined;
  /** All clusters of the action (weighted ones in order), with their weights. */
  clusters?: { name: string; weight: number }[];
  /** The cluster the proxy picked (with Math.random replaced by `pick`). */
  cluster?: string;
  /** Upstream request path and headers after route finalization. */
  path?: string;
  requestHeaders?: Record<string, string>;
  /** Response header edits applied to an empty upstream response (or the local reply's headers). */
  responseHeaders?: Record<string, string>;
  status?: number;
  location?: string;
  body?: string;
  timeoutMs?: number;
  /** The raw RouteAction and the per-filter configs, for retry/mirror/fault/cors rows. */
  raw?: Record<string, unknown>;
  filters?: Record<string, Record<string, unknown>>;
}

/** Generates RDS for `proxy` over the Bookinfo fixture plus `docs`, round-trips it through the protos, compiles it. */
export function routeTable(docs: ResourceDoc[], proxy: Proxy, port: number, push: PushContext = bookinfoPush(docs)): RouteTable {
  const rs = generate(ROUTE_TYPE, proxy, push, [String(port)]);
  if (rs.length !== 1) throw new Error(`expected one RouteConfiguration for port ${port}, got ${rs.length}`);
  const decoded = unpackAny(packAny(ROUTE_TYPE, rs[0]!.resource));
  return RouteTable.compile(String(port), decoded);
}

function toRecord(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = out[flat[i]!] === undefined ? flat[i + 1]! : `${out[flat[i]!]},${flat[i + 1]}`;
  return out;
}

/** Runs one request through the table as the sidecar's router does. `draw` fixes the weighted-cluster draw in [0,1). */
export function decide(table: RouteTable, r: SimRequest, draw = 0): SimResult {
  const headers: string[] = ["host", r.authority, "x-forwarded-proto", r.scheme ?? "http"];
  for (const [k, v] of Object.entries(r.headers ?? {})) headers.push(k.toLowerCase(), v);
  const head = { method: r.method ?? "GET", path: r.path ?? "/", host: r.authority, headers, scheme: r.scheme };
  const entry = table.match(head);
  if (!entry) return { route: undefined, status: 404 };
  const a = entry.action;
  const filters = Object.fromEntries(entry.typedPerFilterConfig);
  if (a.kind === "direct") {
    const resp: string[] = [];
    finalizeResponse(entry, -1, resp);
    return { route: entry.name, status: a.status, body: a.body, responseHeaders: toRecord(resp), filters };
  }
  if (a.kind === "redirect") {
    const resp = ["location", redirectLocation(head, a)];
    finalizeResponse(entry, -1, resp);
    return { route: entry.name, status: a.status, location: resp[1], responseHeaders: toRecord(resp), filters };
  }
  const i = pickClusterIndex(a, () => draw);
  finalizeRequest(entry, i, head);
  const resp: string[] = [];
  finalizeResponse(entry, i, resp);
  const weights = a.cumulativeWeights.map((c, k) => c - (k === 0 ? 0 : a.cumulativeWeights[k - 1]!));
  return {
    route: entry.name,
    clusters: a.clusters.map((name, k) => ({ name, weight: weights[k]! })),
    cluster: a.clusters[i],
    path: head.path,
    requestHeaders: toRecord(head.headers),
    responseHeaders: toRecord(resp),
    timeoutMs: a.timeoutMs,
    raw: a.raw,
    filters,
  };
}
