// The EDS names clusters reference and the RDS names listeners reference, memoised by response content.

import { createHash } from "node:crypto";
import { unpackAny, type EncodedAny } from "../../src/xds/any.js";
import { CLUSTER_TYPE, HCM_TYPE, LISTENER_TYPE } from "../../src/xds/type-urls.js";
import { readAny, readDeltaResource, type WireResponse } from "./ads-wire.js";

/** Thousands of simulated proxies receive byte-identical CDS/LDS; each distinct content is unpacked once. */
const MEMO_LIMIT = 256;
const sotwMemo = new Map<string, readonly string[]>();
const deltaMemo = new Map<string, ReadonlyMap<string, readonly string[]>>();

/**
 * SotW: the sorted, distinct names a CDS response's EDS clusters or an LDS response's HttpConnectionManagers reference
 * (what Envoy then subscribes to over EDS / RDS). The array is shared between callers: do not mutate it.
 */
export function sotwRefs(response: WireResponse): readonly string[] {
  return memoised(sotwMemo, response, () => {
    const names = new Set<string>();
    const spans = response.resourceSpans;
    for (let i = 0; i < spans.length; i += 2) {
      for (const n of refsOf(readAny(response.bytes, spans[i]!, spans[i + 1]!))) names.add(n);
    }
    return [...names].sort();
  });
}

/** Delta: resource name → the names it references, for the resources in one CDS or LDS response. Shared: do not mutate. */
export function deltaRefs(response: WireResponse): ReadonlyMap<string, readonly string[]> {
  return memoised(deltaMemo, response, () => {
    const out = new Map<string, readonly string[]>();
    const spans = response.resourceSpans;
    for (let i = 0; i < spans.length; i += 2) {
      const r = readDeltaResource(response.bytes, spans[i]!, spans[i + 1]!);
      out.set(r.name, r.anyStart < 0 ? [] : refsOf(readAny(response.bytes, r.anyStart, r.anyEnd)));
    }
    return out;
  });
}

function memoised<T>(memo: Map<string, T>, response: WireResponse, build: () => T): T {
  const spans = response.resourceSpans;
  const h = createHash("sha1").update(response.typeUrl);
  if (spans.length > 0) h.update(response.bytes.subarray(spans[0]!, spans[spans.length - 1]!));
  const key = h.digest("base64");
  let value = memo.get(key);
  if (value === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    value = build();
    memo.set(key, value);
  }
  return value;
}

/** A cluster's EDS name (`eds_cluster_config.service_name`, else its name; Envoy cluster.proto), a listener's RDS names. */
function refsOf(any: EncodedAny): string[] {
  if (any.type_url === CLUSTER_TYPE) {
    const c = unpackAny<{ name: string; type?: string; eds_cluster_config?: { service_name?: string } }>(any);
    return c.type === "EDS" ? [c.eds_cluster_config?.service_name || c.name] : [];
  }
  if (any.type_url !== LISTENER_TYPE) return [];
  const l = unpackAny<{ filter_chains?: HasFilters[]; default_filter_chain?: HasFilters }>(any);
  const names: string[] = [];
  for (const chain of [...(l.filter_chains ?? []), ...(l.default_filter_chain ? [l.default_filter_chain] : [])]) {
    for (const f of chain.filters ?? []) {
      const name = f.typed_config?.["@type"] === HCM_TYPE ? f.typed_config.rds?.route_config_name : undefined;
      if (name) names.push(name);
    }
  }
  return names;
}

interface HasFilters {
  filters?: Array<{ typed_config?: { "@type"?: string; rds?: { route_config_name?: string } } }>;
}
