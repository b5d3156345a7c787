// One AuthorizationPolicy rule → one Envoy RBAC Policy, as Istio's pilot/pkg/security/authz/model (model.go, generator.go).

import type { AuthzRule } from "../../model/security-policies.js";
import type { EnvoyObject } from "../envoy-objects.js";
import {
  cidrRange, headerMatcher, hostMatcher, jwtClaimsListMatcher, jwtClaimValueMatcher, metadataMatcher, permissionAnd, permissionAny, permissionNot,
  permissionOr, principalAnd, principalAny, principalAuthenticated, principalNot, principalOr, regex, SPIFFE_PREFIX, stringMatcher, stringOrMatcher,
  exact, prefix, suffix,
} from "./rbac-matchers.js";

/** The RBAC actions Istio emits (envoy.config.rbac.v3.RBAC.Action); AUDIT policies become LOG. */
export type RbacAction = "ALLOW" | "DENY" | "LOG";


/**
 * A generator turns one value (or, `extended`, all values at once) of a key into a permission or a principal. A thrown
 * error is Istio's "unimplemented"/invalid value: an ALLOW policy then drops the whole rule, DENY/LOG drop the value.
 */
interface Generator {
  permission?(key: string, value: string): EnvoyObject;
  principal?(key: string, value: string): EnvoyObject;
  extendedPermission?(key: string, values: readonly string[]): EnvoyObject;
  extendedPrincipal?(key: string, values: readonly string[]): EnvoyObject | undefined;
}

interface KeyRule {
  key: string;
  values: readonly string[];
  notValues: readonly string[];
  g: Generator;
}

const unimplemented = (): never => {
  throw new Error("unimplemented");
};

const metadataPrincipal = (m: EnvoyObject): EnvoyObject => ({ metadata: m });
const MATCH_ANY = regex(".+");

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`invalid port ${v}`);
  return Number(v);
}

/** "request.headers[x-foo]" → "x-foo". */
function nameInBrackets(s: string): string {
  if (!s.startsWith("[") || !s.endsWith("]")) throw new Error(`expecting format [<NAME>], but found ${s}`);
  return s.slice(1, -1);
}

/** Istio extractNameInNestedBrackets: "[a][b]" → ["a","b"]; "[a.b]" → ["a.b"]. */
function namesInNestedBrackets(s: string): string[] {
  const out: string[] = [];
  for (let begin = 0; begin < s.length;) {
    let end = -1;
    if (s[begin] === "[") {
      for (let i = begin + 1; i < s.length; i++) {
        if (s[i] === "[") break;
        if (s[i] === "]") { end = i; break; }
      }
    }
    if (end === -1) return [nameInBrackets(s)];
    out.push(s.slice(begin + 1, end));
    begin = end + 1;
  }
  return out;
}

const destIp: Generator = { permission: (_k, v) => ({ destination_ip: cidrRange(v) }) };
const destPort: Generator = { permission: (_k, v) => ({ destination_port: port(v) }) };
const connSni: Generator = { permission: (_k, v) => ({ requested_server_name: stringMatcher(v) }) };
const host: Generator = { permission: (_k, v) => ({ header: hostMatcher(":authority", v) }) };
const method: Generator = { permission: (_k, v) => ({ header: headerMatcher(":method", v) }) };
const path: Generator = {
  permission: (_k, v) => {
    // Path templates ({*}, {**}) need Envoy's uri_template matcher, which Weft does not emit yet.
    if (v.includes("{") || v.includes("}")) throw new Error(`path template ${v} is not supported`);
    return { url_path: { path: stringMatcher(v) } };
  },
};
const envoyFilter: Generator = {
  extendedPermission: (key, values) => {
    const parts = key.replace(/^experimental\./, "").replace(/\]$/, "").split("[");
    if (parts.length < 2) throw new Error(`invalid key: ${key}`);
    const filter = parts[0]!;
    const sub = parts.slice(1).join("[");
    const ms = values.map((v) =>
      v.startsWith("[") && v.endsWith("]") ? { list_match: { one_of: { string_match: stringMatcher(v.slice(1, -1)) } } } : { string_match: stringMatcher(v) },
    );
    return { metadata: metadataMatcher(filter, [sub], ms.length === 1 ? ms[0]! : { or_match: { value_matchers: ms } }) };
  },
};
const srcIp: Generator = { principal: (_k, v) => ({ direct_remote_ip: cidrRange(v) }) };
const remoteIp: Generator = { principal: (_k, v) => ({ remote_ip: cidrRange(v) }) };
/** Go regexp.QuoteMeta. */
const quoteMeta = (v: string): string => v.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
const srcNamespace: Generator = { principal: (_k, v) => principalAuthenticated(regex(`.*/ns/${quoteMeta(v).replaceAll("\\*", ".*")}/.*`)) };
const srcPrincipal: Generator = { principal: (_k, v) => principalAuthenticated(stringMatcher(v, SPIFFE_PREFIX)) };
const requestHeader: Generator = { principal: (k, v) => ({ header: headerMatcher(nameInBrackets(k.slice("request.headers".length)), v) }) };

function srcServiceAccount(policyNamespace: string): Generator {
  return {
    principal: (_k, v) => {
      const slash = v.indexOf("/");
      const [ns, sa] = slash === -1 ? [policyNamespace, v] : [v.slice(0, slash), v.slice(slash + 1)];
      return principalAuthenticated(regex(`spiffe://.+/ns/${ns}/(.+/|)sa/${sa}(/.+)?`));
    },
  };
}

/** request.auth.principal `<iss>/<sub>` (wildcards at either end) → the jwt_authn payload's iss AND sub. */
const requestPrincipal: Generator = {
  extendedPrincipal: (_k, values) => {
    const or = values.map((value) => {
      const idx = value.lastIndexOf("/");
      const found = idx >= 0;
      const [iss, sub] = found ? [value.slice(0, idx), value.slice(idx + 1)] : [value, ""];
      let mIss: EnvoyObject;
      let mSub: EnvoyObject;
      if (value === "*") [mIss, mSub] = [MATCH_ANY, MATCH_ANY];
      else if (value.startsWith("*")) {
        if (found) [mIss, mSub] = [iss === "*" ? MATCH_ANY : suffix(iss.slice(1)), exact(sub)];
        else [mIss, mSub] = [MATCH_ANY, suffix(value.slice(1))];
      } else if (value.endsWith("*")) {
        if (found) [mIss, mSub] = [exact(iss), sub === "*" ? MATCH_ANY : prefix(sub.slice(0, -1))];
        else [mIss, mSub] = [prefix(value.slice(0, -1)), MATCH_ANY];
      } else [mIss, mSub] = [exact(iss), exact(sub)];
      return principalAnd([metadataPrincipal(jwtClaimValueMatcher("iss", { string_match: mIss })), metadataPrincipal(jwtClaimValueMatcher("sub", { string_match: mSub }))]);
    });
    return or.length === 1 ? or[0] : or.length > 0 ? principalOr(or) : undefined;
  },
};
const requestAudiences: Generator = { extendedPrincipal: (_k, values) => metadataPrincipal(jwtClaimsListMatcher(["aud"], stringOrMatcher(values))) };
const requestPresenter: Generator = { extendedPrincipal: (_k, values) => metadataPrincipal(jwtClaimsListMatcher(["azp"], stringOrMatcher(values))) };
const requestClaims: Generator = {
  extendedPrincipal: (k, values) => metadataPrincipal(jwtClaimsListMatcher(namesInNestedBrackets(k.slice("request.auth.claims".length)), stringOrMatcher(values))),
};

function add(list: KeyRule[], front: boolean, g: Generator, key: string, values: readonly string[] | undefined, notValues: readonly string[] | undefined): void {
  if (!values?.length && !notValues?.length) return;
  const r = { key, values: values ?? [], notValues: notValues ?? [], g };
  if (front) list.unshift(r);
  else list.push(r);
}

/** Istio model.New: `when` conditions first sorted into permission or principal, then each from/to merged in front. */
function buildRuleLists(rule: AuthzRule, policyNamespace: string): { permissions: KeyRule[][]; principals: KeyRule[][] } {
  const basePermission: KeyRule[] = [];
  const basePrincipal: KeyRule[] = [];
  for (const w of rule.when ?? []) {
    const k = w.key;
    const [list, g]: [KeyRule[], Generator] =
      k === "destination.ip" ? [basePermission, destIp]
      : k === "destination.port" ? [basePermission, destPort]
      : k === "connection.sni" ? [basePermission, connSni]
      : k.startsWith("experimental.envoy.filters.") ? [basePermission, envoyFilter]
      : k === "source.ip" ? [basePrincipal, srcIp]
      : k === "remote.ip" ? [basePrincipal, remoteIp]
      : k === "source.namespace" ? [basePrincipal, srcNamespace]
      : k === "source.principal" ? [basePrincipal, srcPrincipal]
      : k === "source.serviceAccount" ? [basePrincipal, srcServiceAccount(policyNamespace)]
      : k === "request.auth.principal" ? [basePrincipal, requestPrincipal]
      : k === "request.auth.audiences" ? [basePrincipal, requestAudiences]
      : k === "request.auth.presenter" ? [basePrincipal, requestPresenter]
      : k.startsWith("request.headers") ? [basePrincipal, requestHeader]
      : k.startsWith("request.auth.claims") ? [basePrincipal, requestClaims]
      : unknownAttribute(k);
    add(list, false, g, k, w.values, w.notValues);
  }
  const principals = (rule.from ?? []).map(({ source: s = {} }) => {
    const merged = [...basePrincipal];
    add(merged, true, srcIp, "source.ip", s.ipBlocks, s.notIpBlocks);
    add(merged, true, remoteIp, "remote.ip", s.remoteIpBlocks, s.notRemoteIpBlocks);
    add(merged, true, srcNamespace, "source.namespace", s.namespaces, s.notNamespaces);
    add(merged, true, srcServiceAccount(policyNamespace), "source.serviceAccount", s.serviceAccounts, s.notServiceAccounts);
    add(merged, true, requestPrincipal, "request.auth.principal", s.requestPrincipals, s.notRequestPrincipals);
    add(merged, true, srcPrincipal, "source.principal", s.principals, s.notPrincipals);
    return merged;
  });
  if (principals.length === 0) principals.push(basePrincipal);
  const permissions = (rule.to ?? []).map(({ operation: o = {} }) => {
    const merged = [...basePermission];
    add(merged, true, destPort, "destination.port", o.ports, o.notPorts);
    add(merged, true, path, "path-matcher", o.paths, o.notPaths);
    add(merged, true, method, ":method", o.methods, o.notMethods);
    add(merged, true, host, ":authority", o.hosts, o.notHosts);
    return merged;
  });
  if (permissions.length === 0) permissions.push(basePermission);
  return { permissions, principals };
}

function unknownAttribute(k: string): never {
  throw new Error(`unknown attribute ${k}`);
}

/** Runs one generator call; for DENY/LOG an error drops just that value (a wider policy), for ALLOW it propagates. */
function attempt<T>(action: RbacAction, f: () => T): T | undefined {
  if (action === "ALLOW") return f();
  try {
    return f();
  } catch {
    return undefined;
  }
}

function present(xs: readonly (EnvoyObject | undefined)[]): EnvoyObject[] {
  return xs.filter((x): x is EnvoyObject => x !== undefined);
}

function rulePermissions(r: KeyRule, action: RbacAction): EnvoyObject[] {
  const out: EnvoyObject[] = [];
  for (const [vals, negate] of [[r.values, false], [r.notValues, true]] as const) {
    if (vals.length === 0) continue;
    let p: EnvoyObject | undefined;
    if (r.g.extendedPermission) p = attempt(action, () => r.g.extendedPermission!(r.key, vals));
    else {
      const or = present(vals.map((v) => attempt(action, () => (r.g.permission ?? unimplemented)(r.key, v))));
      p = or.length > 0 ? permissionOr(or) : undefined;
    }
    if (p) out.push(negate ? permissionNot(p) : p);
  }
  return out;
}

function rulePrincipals(r: KeyRule, action: RbacAction): EnvoyObject[] {
  const out: EnvoyObject[] = [];
  for (const [vals, negate] of [[r.values, false], [r.notValues, true]] as const) {
    if (vals.length === 0) continue;
    let p: EnvoyObject | undefined;
    if (r.g.extendedPrincipal) p = attempt(action, () => r.g.extendedPrincipal!(r.key, vals));
    else {
      const or = present(vals.map((v) => attempt(action, () => (r.g.principal ?? unimplemented)(r.key, v))));
      p = or.length > 0 ? principalOr(or) : undefined;
    }
    if (p) out.push(negate ? principalNot(p) : p);
  }
  return out;
}

/**
 * Istio Model.Generate for an HTTP filter chain: `{permissions, principals}` — one and_rules / and_ids per `to` / `from`
 * entry (one match-all entry when absent). Throws (for an ALLOW action) when a value cannot be translated: the caller
 * then skips the rule, making the ALLOW policy narrower; an unknown `when` key throws for every action.
 */
export function generateRbacPolicy(rule: AuthzRule, policyNamespace: string, action: RbacAction): EnvoyObject {
  const { permissions, principals } = buildRuleLists(rule, policyNamespace);
  return {
    permissions: permissions.map((rl) => {
      const and = rl.flatMap((r) => rulePermissions(r, action));
      return permissionAnd(and.length > 0 ? and : [permissionAny()]);
    }),
    principals: principals.map((rl) => {
      const and = rl.flatMap((r) => rulePrincipals(r, action));
      return principalAnd(and.length > 0 ? and : [principalAny()]);
    }),
  };
}

/** Istio rbacPolicyMatchNever: what an AuthorizationPolicy without rules becomes. */
export function rbacPolicyMatchNever(): EnvoyObject {
  return { permissions: [permissionNot(permissionAny())], principals: [principalNot(principalAny())] };
}
