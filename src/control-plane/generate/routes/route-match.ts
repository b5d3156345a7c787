// Translates a VirtualService HTTPMatchRequest into an Envoy RouteMatch (pilot route.go TranslateRouteMatch).

import type { HTTPMatchRequestSpec, StringMatchSpec } from "../../model/istio-specs.js";
import type { EnvoyObject } from "../envoy-objects.js";

/** exact / prefix / safe_regex StringMatcher; undefined for an empty match. */
export function stringMatcher(m: StringMatchSpec): EnvoyObject | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

/** Istio turns an empty match or the regex `*` into present_match. */
function isPresentMatch(m: StringMatchSpec | undefined): boolean {
  return !m || (m.exact === undefined && m.prefix === undefined && (m.regex === undefined || m.regex === "*"));
}

function headerMatcher(name: string, m: StringMatchSpec | undefined, invert: boolean): EnvoyObject {
  const out: EnvoyObject = { name };
  if (isPresentMatch(m)) out.present_match = true;
  else out.string_match = stringMatcher(m!);
  if (invert) {
    out.invert_match = true;
    if (!isPresentMatch(m)) out.treat_missing_header_as_empty = true;
  }
  return out;
}

function byName(a: EnvoyObject, b: EnvoyObject): number {
  const x = a.name as string;
  const y = b.name as string;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The catch-all match `prefix: "/"` used when a rule has no match block. */
export function catchAllMatch(): EnvoyObject {
  return { prefix: "/" };
}

export function translateRouteMatch(m: HTTPMatchRequestSpec | undefined): EnvoyObject {
  if (!m) return catchAllMatch();
  const out: EnvoyObject = {};
  if (m.uri?.exact !== undefined) out.path = m.uri.exact;
  else if (m.uri?.prefix !== undefined) out.prefix = m.uri.prefix;
  else if (m.uri?.regex !== undefined) out.safe_regex = { regex: m.uri.regex };
  else out.prefix = "/";
  out.case_sensitive = { value: !m.ignoreUriCase };

  const headers: EnvoyObject[] = [];
  for (const [name, sm] of Object.entries(m.headers ?? {})) headers.push(headerMatcher(name, sm, false));
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) headers.push(headerMatcher(name, sm, true));
  headers.sort(byName);
  if (m.method) headers.push(headerMatcher(":method", m.method, false));
  if (m.authority) headers.push(headerMatcher(":authority", m.authority, false));
  if (m.scheme) headers.push(headerMatcher(":scheme", m.scheme, false));
  if (headers.length > 0) out.headers = headers;

  const query: EnvoyObject[] = [];
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) {
    query.push(isPresentMatch(sm) ? { name, present_match: true } : { name, string_match: stringMatcher(sm) });
  }
  if (query.length > 0) out.query_parameters = query.sort(byName);
  return out;
}

/** True when a translated match accepts every request (Istio stops emitting routes after one). */
export function isCatchAllMatch(match: EnvoyObject): boolean {
  return match.prefix === "/" && !match.headers && !match.query_parameters;
}
