// Compiles envoy.type.matcher.v3.StringMatcher (exact/prefix/suffix/contains/safe_regex, ignore_case) to a predicate.

import { RE2JS } from "re2js";
import { invalid, objectField, type XdsObject } from "../config/xds-fields.js";

export type StringPredicate = (value: string) => boolean;

/** Compiles a full-match RE2 regex; invalid patterns reject the resource. */
export function compileRegex(resource: string, regex: unknown, ignoreCase = false): RE2JS {
  if (typeof regex !== "string") invalid(resource, "safe_regex.regex must be a string");
  try {
    return RE2JS.compile(regex, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    invalid(resource, `invalid regex ${JSON.stringify(regex)}: ${(err as Error).message}`);
  }
}

export function compileStringMatcher(resource: string, m: XdsObject): StringPredicate {
  const ignoreCase = m.ignore_case === true;
  const fold = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  if (typeof m.exact === "string") {
    const want = fold(m.exact);
    return ignoreCase ? (v) => v.toLowerCase() === want : (v) => v === want;
  }
  if (typeof m.prefix === "string") {
    const want = fold(m.prefix);
    return (v) => fold(v).startsWith(want);
  }
  if (typeof m.suffix === "string") {
    const want = fold(m.suffix);
    return (v) => fold(v).endsWith(want);
  }
  if (typeof m.contains === "string") {
    const want = fold(m.contains);
    return (v) => fold(v).includes(want);
  }
  const safeRegex = objectField(resource, m, "safe_regex");
  if (safeRegex) {
    const re = compileRegex(resource, safeRegex.regex, ignoreCase);
    return (v) => re.matches(v);
  }
  invalid(resource, "string matcher has no supported match (exact, prefix, suffix, contains, safe_regex)");
}
