// PeerAuthentication, RequestAuthentication and AuthorizationPolicy rules (istio/istio pkg/config/validation, pkg/config/security).

import type { FieldPath } from "./field-path.js";
import type { Issues } from "./issues.js";
import { arr, obj, str, type Obj } from "./spec-access.js";
import { validateSelector } from "./validate-workload-selector.js";
import { validateDuration, validateIPSubnet } from "./value-rules.js";

const HEADER_NAME = /^[-_A-Za-z0-9]+$/;

function validateTargeting(spec: Obj, out: Issues): void {
  const set = [spec.selector !== undefined, spec.targetRef !== undefined, arr(spec.targetRefs).length > 0].filter(Boolean).length;
  if (set > 1) out.error(["spec"], "only one of targetRefs or workloadSelector can be set");
  validateSelector(spec.selector, "matchLabels", ["spec", "selector"], out);
  const refs = [...(spec.targetRef !== undefined ? [[["spec", "targetRef"], spec.targetRef] as const] : []), ...arr(spec.targetRefs).map((r, i) => [["spec", "targetRefs", i], r] as const)];
  for (const [path, r] of refs) {
    const ref = obj(r) ?? {};
    if (!str(ref.name)) out.error([...path, "name"], "targetRef name must be set");
    if (str(ref.namespace)) out.error([...path, "namespace"], "targetRef namespace must not be set; cross namespace referencing is not supported");
    const group = str(ref.group) || "core";
    const kind = str(ref.kind);
    const ok = (group === "core" && kind === "Service") || (group === "networking.istio.io" && kind === "ServiceEntry") || (group === "gateway.networking.k8s.io" && kind === "Gateway");
    if (!ok) out.error(path, `targetRef must be to one of core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway but was ${str(ref.group)}/${kind}`);
  }
}

export function validatePeerAuthentication(spec: Obj, out: Issues): void {
  const selector = obj(spec.selector);
  const emptySelector = !selector || Object.keys(obj(selector.matchLabels) ?? {}).length === 0;
  const portLevel = obj(spec.portLevelMtls);
  if (portLevel) {
    if (emptySelector && Object.keys(portLevel).length > 0) out.error(["spec", "portLevelMtls"], "mesh/namespace peer authentication cannot have port level mTLS");
    if (Object.keys(portLevel).length === 0) out.error(["spec", "portLevelMtls"], "port level mTLS, if defined, must have at least one element");
    for (const port of Object.keys(portLevel)) {
      const n = Number(port);
      if (!/^\d+$/.test(port) || n <= 0 || n > 65535) out.error(["spec", "portLevelMtls", port], "port must be in range 1..65535");
    }
  }
  validateSelector(spec.selector, "matchLabels", ["spec", "selector"], out);
}

export function validateRequestAuthentication(spec: Obj, out: Issues): void {
  validateTargeting(spec, out);
  arr(spec.jwtRules).forEach((r, i) => {
    const rule = obj(r);
    if (!rule) return;
    const path = ["spec", "jwtRules", i];
    if (!str(rule.issuer) && !str(rule.jwksUri)) out.error([...path, "issuer"], "issuer or jwksUri must be non-empty string");
    arr(rule.audiences).forEach((a, j) => {
      if (!str(a)) out.error([...path, "audiences", j], "audience must be non-empty string");
    });
    if (str(rule.jwksUri)) out.error([...path, "jwksUri"], validateJwksURI(str(rule.jwksUri)));
    if (str(rule.jwks)) out.error([...path, "jwks"], validateJwks(str(rule.jwks)));
    arr(rule.fromHeaders).forEach((h, j) => {
      if (!str(obj(h)?.name)) out.error([...path, "fromHeaders", j, "name"], "location header name must be non-empty string");
    });
    arr(rule.fromParams).forEach((p, j) => {
      if (!str(p)) out.error([...path, "fromParams", j], "location query must be non-empty string");
    });
    arr(rule.fromCookies).forEach((c, j) => {
      if (!str(c)) out.error([...path, "fromCookies", j], "cookie name must be non-empty string");
    });
    arr(rule.outputClaimToHeaders).forEach((c, j) => {
      const ch = obj(c) ?? {};
      if (!str(ch.claim) || !str(ch.header)) out.error([...path, "outputClaimToHeaders", j], "outputClaimToHeaders header and claim value must be non-empty string");
      else if (!HEADER_NAME.test(str(ch.header))) out.error([...path, "outputClaimToHeaders", j, "header"], `header name ${str(ch.header)} is not a valid header name`);
    });
    if (rule.timeout !== undefined) out.error([...path, "timeout"], validateDuration(rule.timeout));
  });
}

/** security.ParseJwksURI: an absolute http(s) URL with a host. */
function validateJwksURI(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `invalid jwksUri "${uri}"`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `URI scheme "${u.protocol.slice(0, -1)}" is not supported`;
  if (!u.hostname) return `jwksUri "${uri}" has no host`;
  return undefined;
}

function validateJwks(jwks: string): string | undefined {
  try {
    const parsed = JSON.parse(jwks) as unknown;
    if (!Array.isArray(obj(parsed)?.keys)) return "jwks parse error: missing \"keys\" array";
    return undefined;
  } catch (err) {
    return `jwks parse error: ${(err as Error).message}`;
  }
}

const SOURCE_FIELDS = ["principals", "requestPrincipals", "namespaces", "ipBlocks", "remoteIpBlocks", "notPrincipals", "notRequestPrincipals", "notNamespaces", "notIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts"];
const OPERATION_FIELDS = ["ports", "methods", "paths", "hosts", "notPorts", "notMethods", "notPaths", "notHosts"];

export function validateAuthorizationPolicy(spec: Obj, out: Issues): void {
  validateTargeting(spec, out);
  const action = str(spec.action) || "ALLOW";
  const rules = spec.rules;
  const provider = obj(spec.provider);
  if (action === "CUSTOM") {
    if (rules === undefined) {
      out.error(["spec", "rules"], "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request");
    } else if (!str(provider?.name)) {
      out.error(["spec", "provider", "name"], "`provider.name` must not be empty");
    }
  }
  if (spec.provider !== undefined && action !== "CUSTOM") out.error(["spec", "provider"], `\`provider\` must not be with non CUSTOM action, found ${action}`);
  if (action === "DENY" && rules === undefined) {
    out.error(["spec", "rules"], "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request");
  }
  arr(rules).forEach((r, i) => {
    const path = ["spec", "rules", i];
    const rule = obj(r);
    if (!rule) return out.error(path, `\`rule\` must not be nil, found at rule ${i}`);
    if (rule.from !== undefined && arr(rule.from).length === 0) out.error([...path, "from"], `\`from\` must not be empty, found at rule ${i}`);
    arr(rule.from).forEach((f, j) => {
      const src = obj(obj(f)?.source);
      const p = [...path, "from", j, "source"];
      if (!src) return out.error(p, `\`from.source\` must not be nil, found at rule ${i}`);
      if (!SOURCE_FIELDS.some((k) => arr(src[k]).length > 0)) out.error(p, `\`from.source\` must not be empty, found at rule ${i}`);
      for (const k of ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"]) {
        arr(src[k]).forEach((ip, n) => out.error([...p, k, n], validateIPSubnet(str(ip)) && `invalid IP address or CIDR range: ${str(ip)}`));
      }
      checkEmptyValues(src, SOURCE_FIELDS, p, out);
      if (action === "CUSTOM") {
        for (const k of ["namespaces", "notNamespaces", "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals"]) {
          if (arr(src[k]).length > 0) out.error([...p, k], `From.${k[0]!.toUpperCase()}${k.slice(1)} is currently not supported with CUSTOM action`);
        }
      }
    });
    if (rule.to !== undefined && arr(rule.to).length === 0) out.error([...path, "to"], `\`to\` must not be empty, found at rule ${i}`);
    arr(rule.to).forEach((t, j) => {
      const op = obj(obj(t)?.operation);
      const p = [...path, "to", j, "operation"];
      if (!op) return out.error(p, `\`to.operation\` must not be nil, found at rule ${i}`);
      if (!OPERATION_FIELDS.some((k) => arr(op[k]).length > 0)) out.error(p, `\`to.operation\` must not be empty, found at rule ${i}`);
      for (const k of ["ports", "notPorts"]) arr(op[k]).forEach((v, n) => out.error([...p, k, n], validatePortString(str(v))));
      checkEmptyValues(op, OPERATION_FIELDS, p, out);
      for (const k of ["paths", "notPaths"]) arr(op[k]).forEach((v, n) => out.error([...p, k, n], validatePathTemplate(str(v))));
    });
    arr(rule.when).forEach((w, j) => {
      const cond = obj(w);
      const p = [...path, "when", j];
      if (!cond) return out.error(p, "when field cannot be nil");
      const key = str(cond.key);
      if (!key) return out.error([...p, "key"], "`key` must not be empty");
      const values = arr(cond.values).map(str);
      const notValues = arr(cond.notValues).map(str);
      if (values.length === 0 && notValues.length === 0) return out.error(p, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
      if (values.length > 0) out.error([...p, "values"], prefix(`invalid \`value\` for \`key\` ${key}: `, validateAttribute(key, values)));
      if (notValues.length > 0) out.error([...p, "notValues"], prefix(`invalid \`notValue\` for \`key\` ${key}: `, validateAttribute(key, notValues)));
      if (action === "CUSTOM" && (key === "source.namespace" || key === "source.principal" || key.startsWith("request.auth."))) {
        out.error([...p, "key"], `${key} is currently not supported with CUSTOM action`);
      }
    });
  });
}

function prefix(p: string, reason: string | undefined): string | undefined {
  return reason ? p + reason : undefined;
}

function checkEmptyValues(o: Obj, fields: readonly string[], path: FieldPath, out: Issues): void {
  for (const k of fields) {
    arr(o[k]).forEach((v, n) => {
      if (str(v) === "") out.error([...path, k, n], `empty value not allowed, found in ${k[0]!.toUpperCase()}${k.slice(1)}`);
    });
  }
}

function validatePortString(v: string): string | undefined {
  return /^\d+$/.test(v) && Number(v) <= 65535 ? undefined : `invalid port: ${v}`;
}

/** Path templates: `{*}` matches one segment, `{**}` the rest and must be last; other braces are invalid. */
function validatePathTemplate(path: string): string | undefined {
  if (!path.includes("{") && !path.includes("}")) return undefined;
  const segments = path.split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (!s.includes("{") && !s.includes("}")) continue;
    if (s === "{**}" && i !== segments.length - 1) return `invalid or unsupported path ${path}, found in Paths. {**} is not the last operator`;
    if (s !== "{*}" && s !== "{**}") return `invalid or unsupported path ${path}, found in Paths. Contains unsupported operator`;
  }
  return undefined;
}

/** security.ValidateAttribute: the `when` keys Istio knows and their value formats. */
function validateAttribute(key: string, values: readonly string[]): string | undefined {
  if (values.some((v) => v === "")) return `empty values for attribute ${key}`;
  const mapKey = (prefixName: string) => {
    const m = new RegExp(`^${prefixName.replace(/\./g, "\\.")}\\[(.+)\\]$`).exec(key);
    return m ? undefined : `invalid key: ${key}`;
  };
  if (key.startsWith("request.headers")) return mapKey("request.headers");
  if (key.startsWith("request.auth.claims")) return mapKey("request.auth.claims");
  if (key === "source.ip" || key === "remote.ip" || key === "destination.ip") {
    const bad = values.find((v) => validateIPSubnet(v));
    return bad === undefined ? undefined : `invalid IP address or CIDR range: ${bad}`;
  }
  if (key === "destination.port") {
    const bad = values.find((v) => validatePortString(v));
    return bad === undefined ? undefined : `invalid port: ${bad}`;
  }
  const plain = ["source.namespace", "source.principal", "source.serviceAccount", "request.auth.principal", "request.auth.audiences", "request.auth.presenter", "connection.sni"];
  if (plain.includes(key) || key.startsWith("experimental.envoy.filters.")) return undefined;
  return `unknown attribute: ${key}`;
}
