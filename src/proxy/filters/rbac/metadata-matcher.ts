// Compiles envoy.type.matcher.v3.MetadataMatcher / ValueMatcher to predicates over dynamic metadata (JSON values).

import { arrayField, invalid, objectField, stringField, type XdsObject } from "../../config/xds-fields.js";
import { compileStringMatcher } from "../../router/string-matcher.js";

/** A metadata value as JSON (a google.protobuf.Value's JSON form); undefined when the path does not exist (KIND_NOT_SET). */
export type ValuePredicate = (value: unknown) => boolean;

/** Looks up a filter's metadata namespace, then walks `path` through it; undefined when any segment is missing. */
export type MetadataLookup = (filter: string, path: readonly string[]) => unknown;

/**
 * ValueMatcher per Envoy's Matchers::ValueMatcher: null_match (a JSON null), double_match (number: exact or range
 * [start, end)), string_match (strings only), bool_match, present_match (true: the value exists; false: never),
 * list_match.one_of (some element of a list matches), or_match (any).
 */
export function compileValueMatcher(resource: string, m: XdsObject): ValuePredicate {
  if (m.null_match !== undefined && m.null_match !== null) return (v) => v === null;
  const dm = objectField(resource, m, "double_match");
  if (dm) {
    if (typeof dm.exact === "number") { const want = dm.exact; return (v) => typeof v === "number" && v === want; }
    const range = objectField(resource, dm, "range") ?? invalid(resource, "double_match needs exact or range");
    const start = Number(range.start ?? 0), end = Number(range.end ?? 0);
    return (v) => typeof v === "number" && start <= v && v < end;
  }
  const sm = objectField(resource, m, "string_match");
  if (sm) {
    const test = compileStringMatcher(resource, sm);
    return (v) => typeof v === "string" && test(v);
  }
  if (typeof m.bool_match === "boolean") { const want = m.bool_match; return (v) => v === want; }
  if (typeof m.present_match === "boolean") { const want = m.present_match; return (v) => want && v !== undefined; }
  const lm = objectField(resource, m, "list_match");
  if (lm) {
    const oneOf = compileValueMatcher(resource, objectField(resource, lm, "one_of") ?? invalid(resource, "list_match needs one_of"));
    return (v) => Array.isArray(v) && v.some(oneOf);
  }
  const om = objectField(resource, m, "or_match");
  if (om) {
    const any = arrayField(resource, om, "value_matchers").map((x) => compileValueMatcher(resource, x));
    if (any.length < 2) invalid(resource, "or_match needs at least 2 value_matchers");
    return (v) => any.some((p) => p(v));
  }
  invalid(resource, "value matcher has no supported match pattern");
}

/** MetadataMatcher: the value at `filter` + `path` (keys only) matched by `value`, then `invert`. */
export function compileMetadataMatcher(resource: string, m: XdsObject): (lookup: MetadataLookup) => boolean {
  const filter = stringField(resource, m, "filter") || invalid(resource, "metadata matcher needs a filter");
  const path = arrayField(resource, m, "path").map((s) => stringField(resource, s, "key") || invalid(resource, "metadata path segment needs a key"));
  if (path.length === 0) invalid(resource, "metadata matcher needs a path");
  const value = compileValueMatcher(resource, objectField(resource, m, "value") ?? invalid(resource, "metadata matcher needs a value"));
  const invert = m.invert === true;
  return (lookup) => value(lookup(filter, path)) !== invert;
}

/** Walks `path` (from index `from`) through nested JSON objects; undefined when a segment is missing. */
export function walkPath(root: unknown, path: readonly string[], from: number): unknown {
  let v = root;
  for (let i = from; i < path.length; i++) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[path[i]];
  }
  return v;
}
