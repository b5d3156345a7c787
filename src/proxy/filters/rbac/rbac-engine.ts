// RbacEngine: envoy.config.rbac.v3.RBAC compiled once into a matcher tree; decides ALLOW / DENY / LOG per request.

import { arrayField, invalid, objectField, type XdsObject } from "../../config/xds-fields.js";
import { compileHeaderMatcher } from "../../router/header-matcher.js";
import { compileStringMatcher, type StringPredicate } from "../../router/string-matcher.js";
import { compileCidrRange } from "./cidr-matcher.js";
import { compileMetadataMatcher } from "./metadata-matcher.js";
import type { RbacRequest } from "./rbac-request.js";

export type RbacPredicate = (r: RbacRequest) => boolean;

export const RbacAction = { Allow: 0, Deny: 1, Log: 2 } as const;
export type RbacAction = (typeof RbacAction)[keyof typeof RbacAction];

/** The engine's answer: whether the request may go on, and the first matching policy's name ("" when none matched). */
export interface RbacDecision {
  readonly allowed: boolean;
  readonly policyId: string;
}

interface CompiledPolicy {
  readonly name: string;
  readonly matches: RbacPredicate;
}

/** Immutable; policies evaluated in name order (Envoy keeps them in a std::map), the first match decides the id. */
export class RbacEngine {
  private constructor(readonly action: RbacAction, private readonly policies: readonly CompiledPolicy[]) {}

  /** Compiles an envoy.config.rbac.v3.RBAC; throws PROXY_CONFIG_INVALID on a bad or unsupported rule. */
  static compile(resource: string, rules: XdsObject): RbacEngine {
    const action = parseAction(resource, rules.action);
    const raw = objectField(resource, rules, "policies") ?? {};
    const names = Object.keys(raw).sort();
    const policies = names.map((name) => ({ name, matches: compilePolicy(`${resource}: policy ${name}`, raw[name] as XdsObject) }));
    return new RbacEngine(action, policies);
  }

  /** ALLOW: allowed iff a policy matches; DENY: allowed iff none matches; LOG: always allowed. */
  evaluate(r: RbacRequest): RbacDecision {
    let policyId = "";
    for (const p of this.policies) {
      if (p.matches(r)) { policyId = p.name; break; }
    }
    const matched = policyId !== "";
    const allowed = this.action === RbacAction.Allow ? matched : this.action === RbacAction.Deny ? !matched : true;
    return { allowed, policyId };
  }
}

function parseAction(resource: string, a: unknown): RbacAction {
  switch (a ?? "ALLOW") {
    case "ALLOW": case 0: return RbacAction.Allow;
    case "DENY": case 1: return RbacAction.Deny;
    case "LOG": case 2: return RbacAction.Log;
    default: invalid(resource, `unknown RBAC action ${String(a)}`);
  }
}

/** A policy matches when any permission and any principal match (each list needs at least one entry). */
function compilePolicy(resource: string, p: XdsObject): RbacPredicate {
  if (p === null || typeof p !== "object") invalid(resource, "policy must be an object");
  if (p.condition != null || p.checked_condition != null) invalid(resource, "CEL conditions are not supported");
  const permissions = arrayField(resource, p, "permissions").map((x) => compilePermission(resource, x));
  const principals = arrayField(resource, p, "principals").map((x) => compilePrincipal(resource, x));
  if (permissions.length === 0) invalid(resource, "policy needs at least one permission");
  if (principals.length === 0) invalid(resource, "policy needs at least one principal");
  const perm = anyOf(permissions);
  const princ = anyOf(principals);
  return (r) => perm(r) && princ(r);
}

function anyOf(ps: readonly RbacPredicate[]): RbacPredicate {
  if (ps.length === 1) return ps[0];
  return (r) => { for (const p of ps) if (p(r)) return true; return false; };
}

function allOf(ps: readonly RbacPredicate[]): RbacPredicate {
  if (ps.length === 1) return ps[0];
  return (r) => { for (const p of ps) if (!p(r)) return false; return true; };
}

/** The field names of the combinators Permission and Principal share: any, and/or sets, not. */
interface CombinatorKeys { readonly and: string; readonly or: string; readonly list: string; readonly not: string }
const PERMISSION_KEYS: CombinatorKeys = { and: "and_rules", or: "or_rules", list: "rules", not: "not_rule" };
const PRINCIPAL_KEYS: CombinatorKeys = { and: "and_ids", or: "or_ids", list: "ids", not: "not_id" };

/** any / and / or / not compiled with `each` for the members; undefined when `o` holds another rule. */
function combinator(resource: string, o: XdsObject, k: CombinatorKeys, each: (resource: string, x: XdsObject) => RbacPredicate): RbacPredicate | undefined {
  if (o.any === true) return () => true;
  for (const [key, join] of [[k.and, allOf], [k.or, anyOf]] as const) {
    if (o[key] == null) continue;
    const items = arrayField(resource, objectField(resource, o, key)!, k.list);
    if (items.length === 0) invalid(resource, `${key} needs at least one entry`);
    return join(items.map((x) => each(resource, x)));
  }
  if (o[k.not] == null) return undefined;
  const inner = each(resource, objectField(resource, o, k.not)!);
  return (r) => !inner(r);
}

/** envoy.config.rbac.v3.Permission (one rule of the oneof). */
export function compilePermission(resource: string, p: XdsObject): RbacPredicate {
  const set = combinator(resource, p, PERMISSION_KEYS, compilePermission);
  if (set !== undefined) return set;
  if (p.header != null) return headerRule(resource, objectField(resource, p, "header")!);
  if (p.url_path != null) return urlPathRule(resource, objectField(resource, p, "url_path")!);
  if (p.destination_ip != null) {
    const inRange = compileCidrRange(resource, objectField(resource, p, "destination_ip")!);
    return (r) => inRange(r.connection.localAddress);
  }
  if (p.destination_port != null) {
    const port = Number(p.destination_port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) invalid(resource, `invalid destination_port ${String(p.destination_port)}`);
    return (r) => r.connection.localPort === port;
  }
  if (p.destination_port_range != null) {
    const range = objectField(resource, p, "destination_port_range")!;
    const start = Number(range.start ?? 0), end = Number(range.end ?? 0);
    if (start < 0 || start > 65536 || end < 0 || end > 65536) invalid(resource, `destination_port_range [${start}, ${end}) is out of bounds`);
    if (start >= end) invalid(resource, `destination_port_range start ${start} must be below end ${end}`);
    return (r) => { const port = r.connection.localPort; return start <= port && port < end; };
  }
  if (p.metadata != null) return metadataRule(resource, objectField(resource, p, "metadata")!);
  if (p.requested_server_name != null) {
    const test = compileStringMatcher(resource, objectField(resource, p, "requested_server_name")!);
    return (r) => test(r.connection.requestedServerName);
  }
  if (p.uri_template != null || p.matcher != null || p.sourced_metadata != null) invalid(resource, "permission rule not supported (uri_template, matcher, sourced_metadata)");
  invalid(resource, "permission has no rule");
}

/** envoy.config.rbac.v3.Principal (one identifier of the oneof). */
export function compilePrincipal(resource: string, p: XdsObject): RbacPredicate {
  const set = combinator(resource, p, PRINCIPAL_KEYS, compilePrincipal);
  if (set !== undefined) return set;
  if (p.authenticated != null) return authenticatedRule(resource, objectField(resource, p, "authenticated")!);
  // source_ip (deprecated) is the connection's peer, like direct_remote_ip.
  for (const key of ["source_ip", "direct_remote_ip"] as const) {
    if (p[key] != null) {
      const inRange = compileCidrRange(resource, objectField(resource, p, key)!);
      return (r) => inRange(r.connection.directRemoteAddress);
    }
  }
  if (p.remote_ip != null) {
    const inRange = compileCidrRange(resource, objectField(resource, p, "remote_ip")!);
    return (r) => inRange(r.remoteAddress);
  }
  if (p.header != null) return headerRule(resource, objectField(resource, p, "header")!);
  if (p.url_path != null) return urlPathRule(resource, objectField(resource, p, "url_path")!);
  if (p.metadata != null) return metadataRule(resource, objectField(resource, p, "metadata")!);
  if (p.filter_state != null) {
    const fs = objectField(resource, p, "filter_state")!;
    if (objectField(resource, fs, "string_match") !== undefined) compileStringMatcher(resource, objectField(resource, fs, "string_match")!);
    // Weft keeps no filter state objects: a filter_state matcher finds nothing and never matches (Envoy: absent key → false).
    return () => false;
  }
  if (p.sourced_metadata != null) invalid(resource, "principal identifier not supported (sourced_metadata)");
  invalid(resource, "principal has no identifier");
}

function headerRule(resource: string, m: XdsObject): RbacPredicate {
  const test = compileHeaderMatcher(resource, m);
  return (r) => test(r.head);
}

/** PathMatcher: the StringMatcher sees the path without query and fragment (Envoy Matchers::PathMatcher). */
function urlPathRule(resource: string, m: XdsObject): RbacPredicate {
  const sm = objectField(resource, m, "path") ?? invalid(resource, "url_path needs path");
  const test = compileStringMatcher(resource, sm);
  return (r) => test(stripQuery(r.head.path));
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  const h = path.indexOf("#");
  const end = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  return end < 0 ? path : path.slice(0, end);
}

function metadataRule(resource: string, m: XdsObject): RbacPredicate {
  const test = compileMetadataMatcher(resource, m);
  return (r) => test(r.metadata);
}

/**
 * Principal.authenticated (Envoy AuthenticatedMatcher): needs a TLS peer certificate; without principal_name any
 * certificate matches; else a URI SAN, then a DNS SAN, then the subject must match.
 */
function authenticatedRule(resource: string, a: XdsObject): RbacPredicate {
  const sm = objectField(resource, a, "principal_name");
  const test: StringPredicate | undefined = sm === undefined ? undefined : compileStringMatcher(resource, sm);
  return (r) => {
    const peer = r.connection.peerCertificate;
    if (peer === undefined) return false;
    if (test === undefined) return true;
    for (const uri of peer.uriSans) if (test(uri)) return true;
    for (const dns of peer.dnsSans) if (test(dns)) return true;
    return test(peer.subject);
  };
}
