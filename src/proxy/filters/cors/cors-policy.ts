// Compiled CORS policy (envoy.extensions.filters.http.cors.v3.CorsPolicy, or the legacy route/virtual-host `cors` field).

import { arrayField, invalid, stringField, type XdsObject } from "../../config/xds-fields.js";
import { fractionalPercent, ALWAYS, type FractionalPercent } from "../../config/fractional-percent.js";
import { compileStringMatcher, type StringPredicate } from "../../router/string-matcher.js";
import { PerRouteConfigCache } from "../../config/per-route-config-cache.js";
import { Logger } from "../../../shared/logger.js";

/**
 * Immutable. Empty strings / undefined mean "not set": the filter takes each field from the most specific policy that
 * sets it (route, then virtual host), as Envoy's CorsFilter accessors do.
 */
export interface CorsPolicy {
  readonly allowOrigins: readonly StringPredicate[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean | undefined;
  readonly allowPrivateNetworkAccess: boolean | undefined;
  readonly forwardNotMatchingPreflights: boolean | undefined;
  /** filter_enabled (default 100%). */
  readonly filterEnabled: FractionalPercent;
  /** shadow_enabled (undefined: off). */
  readonly shadowEnabled: FractionalPercent | undefined;
}

const policies = new PerRouteConfigCache(new Logger("cors"), "CORS policy", (resource, o): CorsPolicy => ({
  allowOrigins: arrayField(resource, o, "allow_origin_string_match").map((m) => compileStringMatcher(resource, m)),
  allowMethods: stringField(resource, o, "allow_methods") ?? "",
  allowHeaders: stringField(resource, o, "allow_headers") ?? "",
  exposeHeaders: stringField(resource, o, "expose_headers") ?? "",
  maxAge: stringField(resource, o, "max_age") ?? "",
  allowCredentials: optionalBool(resource, o, "allow_credentials"),
  allowPrivateNetworkAccess: optionalBool(resource, o, "allow_private_network_access"),
  forwardNotMatchingPreflights: optionalBool(resource, o, "forward_not_matching_preflights"),
  filterEnabled: runtimeFraction(resource, o.filter_enabled) ?? ALWAYS,
  shadowEnabled: runtimeFraction(resource, o.shadow_enabled),
}));

/** A route's or virtual host's policy, compiled once; an invalid one is logged once and ignored (undefined). */
export function tryCompileCorsPolicy(resource: string, o: XdsObject): CorsPolicy | undefined {
  return policies.tryCompile(resource, o);
}

/** A google.protobuf.BoolValue (`{value}`) or bare boolean; undefined when unset. */
function optionalBool(resource: string, o: XdsObject, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "object") return (v as XdsObject).value === true;
  invalid(resource, `${key} must be a BoolValue`);
}

/** RuntimeFractionalPercent: its default_value (Weft has no runtime layer). */
function runtimeFraction(resource: string, v: unknown): FractionalPercent | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object") invalid(resource, "RuntimeFractionalPercent must be an object");
  return fractionalPercent(resource, (v as XdsObject).default_value, ALWAYS);
}
