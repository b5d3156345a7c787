// Test support: Istio golden YAML (protojson camelCase) → Weft's snake_case Envoy objects, and policy docs → config resources.

import { parseAllDocuments } from "yaml";
import type { ConfigResource } from "../../../config/config-resource.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Fields of wrapper types (google.protobuf.UInt32Value), which protojson writes as the bare value. */
const WRAPPERS = new Set(["prefix_len"]);

/** Renames protojson keys to proto field names; keys of `policies` maps (policy names) and `@type` stay; wrappers get `{value}`. */
export function toProtoNames(v: Json, mapKeys = false): Json {
  if (Array.isArray(v)) return v.map((x) => toProtoNames(x));
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) {
    const name = mapKeys || k.startsWith("@") ? k : snake(k);
    out[name] = WRAPPERS.has(name) && typeof x === "number" ? { value: x } : toProtoNames(x, name === "policies");
  }
  return out;
}

/** An Istio golden output filter (`name`, `typedConfig`) as Weft writes it. */
export function goldenFilter(yamlText: string): Record<string, unknown> {
  return toProtoNames(parseAllDocuments(yamlText)[0]!.toJSON() as Json) as Record<string, unknown>;
}

/** Istio golden input documents as config resources (annotations kept). */
export function goldenResources<Spec>(yamlText: string): ConfigResource<Spec>[] {
  return parseAllDocuments(yamlText).map((d, i) => {
    const doc = d.toJSON() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec: Spec };
    const [group = "", version = ""] = doc.apiVersion.split("/");
    return {
      apiVersion: doc.apiVersion,
      group,
      version,
      kind: doc.kind,
      metadata: { name: doc.metadata.name, namespace: doc.metadata.namespace ?? "default", labels: {}, annotations: doc.metadata.annotations ?? {} },
      spec: doc.spec,
      source: { file: "golden.yaml", line: i + 1 },
    } as unknown as ConfigResource<Spec>;
  });
}
