// Schema validation of Istio resources with @kubernetes-models/istio's generated validators (Istio's CRD OpenAPI schemas).

import * as netV1alpha3 from "@kubernetes-models/istio/networking.istio.io/v1alpha3";
import * as netV1beta1 from "@kubernetes-models/istio/networking.istio.io/v1beta1";
import * as netV1 from "@kubernetes-models/istio/networking.istio.io/v1";
import * as secV1beta1 from "@kubernetes-models/istio/security.istio.io/v1beta1";
import * as secV1 from "@kubernetes-models/istio/security.istio.io/v1";
import * as telV1alpha1 from "@kubernetes-models/istio/telemetry.istio.io/v1alpha1";
import * as telV1 from "@kubernetes-models/istio/telemetry.istio.io/v1";
import type { FieldPath, PathSegment } from "./field-path.js";
import { findUnknownFields } from "./known-fields.js";

/** One schema violation: where and why, in readable words. */
export interface SchemaIssue {
  path: FieldPath;
  reason: string;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type ModelClass = new (data: Record<string, unknown>) => { validate(): void };

const MODELS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  "networking.istio.io/v1alpha3": netV1alpha3,
  "networking.istio.io/v1beta1": netV1beta1,
  "networking.istio.io/v1": netV1,
  "security.istio.io/v1beta1": secV1beta1,
  "security.istio.io/v1": secV1,
  "telemetry.istio.io/v1alpha1": telV1alpha1,
  "telemetry.istio.io/v1": telV1,
};

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  // Istio's v1 shares v1beta1's schema: fall back to it when a v1 class is missing.
  const direct = MODELS[apiVersion]?.[kind];
  if (direct) return direct as ModelClass;
  if (apiVersion.endsWith("/v1")) return MODELS[apiVersion.replace(/\/v1$/, "/v1beta1")]?.[kind] as ModelClass | undefined;
  return undefined;
}

/**
 * Validates a whole resource object (apiVersion, kind, metadata, spec) against its CRD schema and reports
 * unknown fields as Kubernetes' strict field validation does. Returns [] when valid.
 */
export function validateSchema(apiVersion: string, kind: string, obj: Record<string, unknown>): SchemaIssue[] {
  const Model = modelFor(apiVersion, kind);
  if (!Model) return [{ path: [], reason: `no schema for ${apiVersion} ${kind}` }];
  const issues: SchemaIssue[] = [];
  try {
    new Model(obj).validate();
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw err;
    issues.push(...mapAjvErrors(errors, obj));
  }
  for (const path of findUnknownFields(kind, obj.spec, ["spec"])) {
    issues.push({ path, reason: `unknown field "${String(path[path.length - 1])}"` });
  }
  return issues;
}

/** Turns ajv errors into readable issues: one per path, alternatives folded, enum values listed. */
export function mapAjvErrors(errors: readonly AjvError[], root: unknown): SchemaIssue[] {
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors) {
    const list = byPath.get(e.instancePath);
    if (list) list.push(e);
    else byPath.set(e.instancePath, [e]);
  }
  const issues: SchemaIssue[] = [];
  for (const [pointer, errs] of byPath) {
    const path = pointerToPath(pointer, root);
    const has = (k: string) => errs.some((e) => e.keyword === k);
    const alternatives = has("oneOf") || has("anyOf") || has("not");
    const seen = new Set<string>();
    const add = (reason: string, at: FieldPath = path) => {
      const key = `${at.join("\u0000")}\u0001${reason}`;
      if (seen.has(key)) return;
      seen.add(key);
      issues.push({ path: at, reason });
    };
    if (alternatives) {
      const missing = errs.filter((e) => e.keyword === "required").map((e) => String(e.params.missingProperty));
      // oneOf with several passing branches: more than one alternative is set (ajv lists the passing ones).
      const several = errs.some((e) => e.keyword === "oneOf" && Array.isArray(e.params.passingSchemas));
      if (several) {
        const node = valueAt(root, path);
        const set = node && typeof node === "object" ? Object.keys(node).filter((k) => !missing.includes(k)) : [];
        add(`sets mutually exclusive fields, only one of the alternatives may be set${set.length > 0 ? ` (found: ${set.join(", ")})` : ""}`);
        continue;
      }
      add(
        missing.length > 0
          ? `must set exactly one of: ${[...new Set(missing)].join(", ")}`
          : "sets mutually exclusive fields (only one of the alternatives may be set)",
      );
      continue;
    }
    for (const e of errs) {
      switch (e.keyword) {
        case "type":
          add(`must be ${String(e.params.type)}`);
          break;
        case "format":
          if (!has("type")) add(`must be a valid ${String(e.params.format)}`);
          break;
        case "enum":
          add(`must be one of ${(e.params.allowedValues as unknown[]).map(String).join(", ")}`);
          break;
        case "required":
          add("is required", [...path, String(e.params.missingProperty)]);
          break;
        default:
          add(e.message ?? `violates ${e.keyword}`);
      }
    }
  }
  return issues;
}

/** The value at a path in `root` (undefined when absent). */
function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const seg of path) node = node && typeof node === "object" ? (node as Record<string | number, unknown>)[seg] : undefined;
  return node;
}

function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === "") return [];
  const path: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node) && /^\d+$/.test(seg)) {
      path.push(Number(seg));
      node = node[Number(seg)];
    } else {
      path.push(seg);
      node = node && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}
