// Unknown-field detection for Istio specs (Kubernetes strict field validation / istioctl validate reject unknown fields).

import type { FieldPath, PathSegment } from "./field-path.js";
import { KNOWN_FIELDS } from "./known-fields-data.js";

/**
 * What may appear at one place of a spec: `0` a scalar, `"*"` anything (protobuf Struct/Any, e.g. EnvoyFilter
 * `patch.value`), `{ fields }` an object with exactly these fields, `{ "*": tree }` a map with any keys.
 * Arrays are transparent: an array's tree is its element's tree.
 */
export type FieldTree = 0 | "*" | { readonly fields: Readonly<Record<string, FieldTree>> } | { readonly "*": FieldTree };

/** Paths (below `base`) of every field of `spec` that the kind's schema does not declare. */
export function findUnknownFields(kind: string, spec: unknown, base: FieldPath): FieldPath[] {
  const tree = KNOWN_FIELDS[kind];
  const out: FieldPath[] = [];
  if (tree) visit(tree, spec, [...base], out);
  return out;
}

function visit(tree: FieldTree, value: unknown, path: PathSegment[], out: FieldPath[]): void {
  if (tree === 0 || tree === "*" || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => visit(tree, v, [...path, i], out));
    return;
  }
  const obj = value as Record<string, unknown>;
  if ("fields" in tree) {
    for (const key of Object.keys(obj)) {
      const sub = tree.fields[key];
      if (sub === undefined) out.push([...path, key]);
      else visit(sub, obj[key], [...path, key], out);
    }
  } else {
    for (const key of Object.keys(obj)) visit(tree["*"], obj[key], [...path, key], out);
  }
}
