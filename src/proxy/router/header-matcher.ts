// Compiles envoy.config.route.v3.HeaderMatcher to a predicate over a request (headers and pseudo-headers).

import { invalid, objectField, type XdsObject } from "../config/xds-fields.js";
import { headerValue, type RouteRequest } from "./route-request.js";
import { compileRegex, compileStringMatcher, type StringPredicate } from "./string-matcher.js";

export type HeaderPredicate = (req: RouteRequest) => boolean;

/**
 * Envoy semantics (HeaderUtility::matchHeaders): a multi-valued header is matched against its values joined by ",";
 * a missing header never matches, whatever invert_match says, unless treat_missing_header_as_empty (then it is
 * matched as ""); present_match true matches presence and with invert_match absence, present_match false the reverse.
 * Legacy exact_match/prefix_match/suffix_match/contains_match/safe_regex_match are honoured; `string_match` wins.
 */
export function compileHeaderMatcher(resource: string, m: XdsObject): HeaderPredicate {
  const name = typeof m.name === "string" && m.name !== "" ? m.name.toLowerCase() : invalid(resource, "header matcher needs a name");
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
  if (test === undefined) {
    // present_match (true, or false for "absent"); a matcher with no specifier at all means "present".
    const wantPresent = m.present_match !== false;
    return (req) => ((headerValue(req, name) !== undefined) === wantPresent) !== invert;
  }
  const t = test;
  return (req) => {
    let v = headerValue(req, name);
    if (v === undefined) {
      if (!missingAsEmpty) return false;
      v = "";
    }
    return t(v) !== invert;
  };
}
