// Compiles envoy.config.route.v3.HeaderMatcher to a predicate over a request's flat lowercase header list.

import { invalid, objectField, type XdsObject } from "../config/xds-fields.js";
import { compileRegex, compileStringMatcher, type StringPredicate } from "./string-matcher.js";

export type HeaderPredicate = (headers: readonly string[]) => boolean;

/**
 * Envoy semantics: a multi-valued header is matched against its values joined by ","; a missing header
 * never matches (unless treat_missing_header_as_empty), and invert_match flips the result including for missing
 * headers except present_match (Envoy: present_match with invert matches absence).
 */
export function compileHeaderMatcher(resource: string, m: XdsObject): HeaderPredicate {
  const name = typeof m.name === "string" ? m.name.toLowerCase() : invalid(resource, "header matcher needs a name");
  const invert = m.invert_match === true;
  const missingAsEmpty = m.treat_missing_header_as_empty === true;
  let test: StringPredicate | undefined;
  const sm = objectField(resource, m, "string_match");
  if (sm) test = compileStringMatcher(resource, sm);
  else if (typeof m.exact_match === "string") { const w = m.exact_match; test = (v) => v === w; }
  else if (typeof m.prefix_match === "string") { const w = m.prefix_match; test = (v) => v.startsWith(w); }
  else if (typeof m.suffix_match === "string") { const w = m.suffix_match; test = (v) => v.endsWith(w); }
  else if (typeof m.contains_match === "string") { const w = m.contains_match; test = (v) => v.includes(w); }
  else if (objectField(resource, m, "safe_regex_match")) {
    const re = compileRegex(resource, (m.safe_regex_match as XdsObject).regex);
    test = (v) => re.matches(v);
  }
  const presentOnly = test === undefined;
  if (presentOnly && m.present_match === false) {
    return (headers) => (valueOf(headers, name) === undefined) !== invert;
  }
  return (headers) => {
    let v = valueOf(headers, name);
    if (v === undefined) {
      if (!missingAsEmpty) return presentOnly ? invert : false;
      v = "";
    }
    return (presentOnly ? true : test!(v)) !== invert;
  };
}

function valueOf(headers: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) v = v === undefined ? headers[i + 1] : `${v},${headers[i + 1]}`;
  }
  return v;
}
