// Compiles envoy.config.route.v3.QueryParameterMatcher lists to one predicate over a request path's query string.

import { invalid, objectField, type XdsObject } from "../config/xds-fields.js";
import { compileStringMatcher, type StringPredicate } from "./string-matcher.js";

/** `(path) => matches`; compiled once per route, evaluated only for routes that have query matchers. */
export type QueryPredicate = (path: string) => boolean;

interface Compiled {
  readonly name: string;
  /** undefined: present_match. */
  readonly test: StringPredicate | undefined;
}

/**
 * Envoy semantics (ConfigUtility::QueryParameterMatcher): the first value of a parameter, percent-decoded, is
 * matched; a missing parameter never matches; present_match matches any value (even empty). All must match.
 */
export function compileQueryMatchers(resource: string, list: readonly XdsObject[]): QueryPredicate | undefined {
  if (list.length === 0) return undefined;
  const matchers: Compiled[] = list.map((m) => {
    const name = typeof m.name === "string" && m.name !== "" ? m.name : invalid(resource, "query parameter matcher needs a name");
    const sm = objectField(resource, m, "string_match");
    if (sm) return { name, test: compileStringMatcher(resource, sm) };
    if (m.present_match === true) return { name, test: undefined };
    return invalid(resource, `query parameter matcher ${name} needs string_match or present_match`);
  });
  return (path) => {
    const q = path.indexOf("?");
    if (q === -1) return false;
    const query = path.slice(q + 1);
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i];
      const v = firstValue(query, m.name);
      if (v === undefined) return false;
      if (m.test !== undefined && !m.test(v)) return false;
    }
    return true;
  };
}

/** The first value of `name` in a query string (`a=1&b&c=3`), percent-decoded; "" for a bare key. */
export function firstValue(query: string, name: string): string | undefined {
  let start = 0;
  const end = query.indexOf("#") === -1 ? query.length : query.indexOf("#");
  while (start <= end) {
    let amp = query.indexOf("&", start);
    if (amp === -1 || amp > end) amp = end;
    const eq = query.indexOf("=", start);
    const keyEnd = eq === -1 || eq > amp ? amp : eq;
    if (decode(query.slice(start, keyEnd)) === name) return keyEnd === amp ? "" : decode(query.slice(keyEnd + 1, amp));
    start = amp + 1;
  }
  return undefined;
}

function decode(s: string): string {
  if (s.indexOf("%") === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
