// VirtualService semantic rules, after istio/istio pkg/config/validation (ValidateVirtualService, virtualservice.go).

import { STATUS_CODES } from "node:http";
import type { FieldPath } from "./field-path.js";
import { hostsOverlap, isDNS1123Label, validateFQDN, validateWildcardDomain } from "./host-rules.js";
import type { Issues } from "./issues.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { validateExportTo } from "./validate-workload-selector.js";
import {
  isIPAddress, validateDuration, validateIPSubnet, validateLabels, validatePercentage, validatePort, validateRegex,
} from "./value-rules.js";

const HEADER_NAME = /^[-_A-Za-z0-9]+$/;
const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
const RETRY_ON = new Set([
  "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
  "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
  "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
]);
const GRPC_STATUS = new Set([
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
  "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]);
const MESH_GATEWAY = "mesh";

export function validateVirtualService(spec: Obj, namespace: string, out: Issues): void {
  const base: FieldPath = ["spec"];
  const hosts = arr(spec.hosts).map(str);
  const gateways = arr(spec.gateways).map(str);
  const delegate = hosts.length === 0;
  if (delegate) {
    if (gateways.length > 0) out.error([...base, "gateways"], "delegate virtual service must have no gateways specified");
    if (arr(spec.tls).length > 0) out.error([...base, "tls"], "delegate virtual service must have no tls route specified");
    if (arr(spec.tcp).length > 0) out.error([...base, "tcp"], "delegate virtual service must have no tcp route specified");
  }
  validateGatewayNames(gateways, [...base, "gateways"], out);
  const appliesToGateway = gateways.length > 0 && !gateways.includes(MESH_GATEWAY);
  const appliesToMesh = !appliesToGateway;

  let allHostsValid = true;
  hosts.forEach((h, i) => {
    const err = validateWildcardDomain(h);
    if (err) {
      if (!isIPAddress(h)) {
        out.error([...base, "hosts", i], err);
        allHostsValid = false;
      }
    } else if (appliesToMesh && h === "*") {
      out.error([...base, "hosts", i], "wildcard host * is not allowed for virtual services bound to the mesh gateway");
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostsOverlap(hosts[i]!, hosts[j]!)) out.error([...base, "hosts", j], `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`);
      }
    }
  }

  const http = arr(spec.http);
  if (http.length === 0 && arr(spec.tcp).length === 0 && arr(spec.tls).length === 0) {
    out.error(base, "http, tcp or tls must be provided in virtual service");
  }
  http.forEach((r, i) => {
    const route = obj(r);
    if (!route) out.error([...base, "http", i], "http route may not be null");
    else validateHTTPRoute(route, delegate, [...base, "http", i], out);
  });
  arr(spec.tls).forEach((r, i) => validateL4Route(obj(r) ?? {}, "TLS", hosts, [...base, "tls", i], out));
  arr(spec.tcp).forEach((r, i) => validateL4Route(obj(r) ?? {}, "TCP", hosts, [...base, "tcp", i], out));
  validateExportTo(spec.exportTo, namespace, false, [...base, "exportTo"], out);
  warnUnreachableRules(http, [...base, "http"], out);
}

function validateGatewayNames(names: readonly string[], path: FieldPath, out: Issues): void {
  names.forEach((name, i) => {
    const p = [...path, i];
    const slash = name.indexOf("/");
    if (slash < 0) {
      if (name.includes(".")) {
        const parts = name.split(".");
        out.warn(p, `using legacy gatewayName format "${name}"; prefer the <namespace>/<name> format: "${parts[1]}/${parts[0]}"`);
      }
      out.error(p, validateFQDN(name));
      return;
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === "" || gw === "") out.error(p, "config namespace and gateway name cannot be empty");
    if (!isDNS1123Label(ns)) out.error(p, `invalid value for namespace: "${ns}"`);
    if (!isDNS1123Label(gw)) out.error(p, `invalid value for gateway name: "${gw}"`);
  });
}

function validateHTTPRoute(route: Obj, delegate: boolean, path: FieldPath, out: Issues): void {
  const isRoot = !delegate && route.delegate !== undefined;
  const hasRoute = arr(route.route).length > 0;
  if (isRoot) {
    if (route.redirect !== undefined) out.error([...path, "redirect"], `root HTTP route ${str(route.name)} must not specify redirect`);
    if (route.route !== undefined) out.error([...path, "route"], `root HTTP route ${str(route.name)} must not specify route`);
    const d = obj(route.delegate);
    if (d && !str(d.name)) out.error([...path, "delegate", "name"], "delegate name is required");
  } else {
    if (delegate && route.delegate !== undefined) out.error([...path, "delegate"], "delegate HTTP route cannot contain delegate");
    if (route.redirect !== undefined) {
      if (hasRoute) out.error([...path, "route"], "HTTP route cannot contain both route and redirect");
      if (route.fault !== undefined) out.error([...path, "fault"], "HTTP route cannot contain both fault and redirect");
      if (route.rewrite !== undefined) out.error([...path, "rewrite"], "HTTP route rule cannot contain both rewrite and redirect");
      if (route.directResponse !== undefined) out.error([...path, "directResponse"], "HTTP route cannot contain both redirect and direct response");
    } else if (route.directResponse !== undefined) {
      if (hasRoute) out.error([...path, "route"], "HTTP route cannot contain both route and direct response");
    } else if (!hasRoute) {
      out.error(path, "HTTP route, redirect or directResponse is required");
    }
  }

  arr(route.match).forEach((m, i) => validateHTTPMatch(obj(m), delegate, [...path, "match", i], out));
  validateHeaderOperations(obj(route.headers), [...path, "headers"], out);
  validateCorsPolicy(obj(route.corsPolicy), [...path, "corsPolicy"], out);
  validateFault(route.fault, [...path, "fault"], out);

  if (route.mirrorPercent !== undefined) {
    if (num(route.mirrorPercent) > 100) out.error([...path, "mirrorPercent"], `mirror_percent must have a max value of 100 (it has ${num(route.mirrorPercent)})`);
    out.warn([...path, "mirrorPercent"], `using deprecated setting "mirrorPercent", use "mirrorPercentage" instead`);
  }
  const mirrorPct = obj(route.mirrorPercentage);
  if (mirrorPct) validateMirrorPercentage(mirrorPct.value, [...path, "mirrorPercentage", "value"], out);
  if (route.mirror !== undefined) validateDestination(obj(route.mirror), [...path, "mirror"], out);
  arr(route.mirrors).forEach((m, i) => {
    const mirror = obj(m);
    const p = [...path, "mirrors", i];
    if (!mirror?.destination) return out.error([...p, "destination"], "destination is required for mirrors");
    validateDestination(obj(mirror.destination), [...p, "destination"], out);
    const pct = obj(mirror.percentage);
    if (pct) validateMirrorPercentage(pct.value, [...p, "percentage", "value"], out);
  });

  validateRedirect(obj(route.redirect), [...path, "redirect"], out);
  validateRetries(obj(route.retries), [...path, "retries"], out);
  validateRewrite(obj(route.rewrite), [...path, "rewrite"], out);
  validateDirectResponse(obj(route.directResponse), [...path, "directResponse"], out);
  validateRouteDestinations(arr(route.route), true, [...path, "route"], out);
  if (route.timeout !== undefined) out.error([...path, "timeout"], validateDuration(route.timeout));
}

function validateHTTPMatch(match: Obj | undefined, delegate: boolean, path: FieldPath, out: Issues): void {
  if (!match) return;
  const stringMatch = (v: unknown, where: string, p: FieldPath): void => {
    const sm = obj(v);
    if (!sm || sm.regex === undefined) return;
    if (delegate) out.error([...p, "regex"], `${where} match does not support regex match for delegating`);
    else out.error([...p, "regex"], validateRegex(str(sm.regex), where));
  };
  for (const field of ["uri", "scheme", "method", "authority"] as const) stringMatch(match[field], field, [...path, field]);
  for (const field of ["headers", "withoutHeaders"] as const) {
    for (const [name, v] of Object.entries(obj(match[field]) ?? {})) {
      const p = [...path, field, name];
      if (v === null) out.error(p, `${field === "headers" ? "header" : "withoutHeaders"} match ${name} cannot be null`);
      if (!isJwtClaimHeader(name)) out.error(p, validateHeaderName(name));
      stringMatch(v, "headers", p);
    }
  }
  for (const [name, v] of Object.entries(obj(match.queryParams) ?? {})) {
    const p = [...path, "queryParams", name];
    if (v === null) out.error(p, `query param match ${name} cannot be null`);
    stringMatch(v, "queryParams", p);
  }
  if (match.port !== undefined && match.port !== 0) out.error([...path, "port"], validatePort(match.port));
  for (const reason of validateLabels(match.sourceLabels)) out.error([...path, "sourceLabels"], reason);
  validateGatewayNames(arr(match.gateways).map(str), [...path, "gateways"], out);
  const sourceNamespace = str(match.sourceNamespace);
  if (sourceNamespace && !isDNS1123Label(sourceNamespace)) {
    out.error([...path, "sourceNamespace"], `sourceNamespace match ${sourceNamespace} is invalid`);
  }
}

function isJwtClaimHeader(name: string): boolean {
  return name.startsWith("@request.auth.claims.") || name.startsWith("@request.auth.claims[");
}

function validateHeaderName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  return HEADER_NAME.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

function validateHeaderOperations(headers: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!headers) return;
  for (const side of ["request", "response"] as const) {
    const ops = obj(headers[side]);
    if (!ops) continue;
    for (const op of ["add", "set"] as const) {
      for (const [name, value] of Object.entries(obj(ops[op]) ?? {})) {
        const p = [...path, side, op, name];
        out.error(p, side === "request" ? validateRequestHeaderOpName(name) : validateHeaderOpName(name));
        if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(String(value))) out.error(p, `header value configuration ${String(value)} is invalid`);
      }
    }
    arr(ops.remove).forEach((name, i) => out.error([...path, side, "remove", i], validateHeaderOpName(str(name))));
  }
}

function validateRequestHeaderOpName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  const isAuthority = /^(:authority|host)$/i.test(name);
  if ((name.startsWith(":") || /^host$/i.test(name)) && !isAuthority) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

function validateHeaderOpName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (/^host$/i.test(name)) return `invalid header "${name}": cannot set Host header`;
  if (name.startsWith(":")) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

function validateCorsPolicy(cors: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!cors) return;
  arr(cors.allowOrigins).forEach((o, i) => {
    const sm = obj(o) ?? {};
    const value = str(sm.exact) || str(sm.prefix) || str(sm.regex);
    const p = [...path, "allowOrigins", i];
    if (value === "") out.error(p, `'' is not a valid match type for CORS allow origins`);
    else if (sm.regex !== undefined) out.error([...p, "regex"], validateRegex(str(sm.regex), "corsPolicy.allowOrigins"));
  });
  arr(cors.allowMethods).forEach((m, i) => {
    if (!HTTP_METHODS.has(str(m))) out.error([...path, "allowMethods", i], `"${str(m)}" is not a supported HTTP method`);
  });
  for (const field of ["allowHeaders", "exposeHeaders"] as const) {
    arr(cors[field]).forEach((h, i) => {
      if (str(h) !== "*") out.error([...path, field, i], validateHeaderName(str(h)));
    });
  }
  if (cors.maxAge !== undefined) out.error([...path, "maxAge"], validateDuration(cors.maxAge));
}

function validateFault(value: unknown, path: FieldPath, out: Issues): void {
  const fault = obj(value);
  if (!fault) return;
  const abort = obj(fault.abort);
  const delay = obj(fault.delay);
  if (!abort && !delay) out.error(path, "HTTP fault injection must have an abort and/or a delay");
  if (abort) {
    const p = [...path, "abort"];
    const pct = obj(abort.percentage);
    if (pct) out.error([...p, "percentage", "value"], validatePercentage(pct.value));
    if (abort.grpcStatus !== undefined) {
      if (!GRPC_STATUS.has(str(abort.grpcStatus))) {
        out.error([...p, "grpcStatus"], `gRPC status "${str(abort.grpcStatus)}" is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`);
      }
    } else if (abort.http2Error !== undefined) {
      out.error([...p, "http2Error"], "HTTP/2 abort fault injection not supported yet");
    } else if (abort.httpStatus !== undefined) {
      out.error([...p, "httpStatus"], validateHTTPStatus(num(abort.httpStatus)));
    } else {
      out.warn(p, "abort configured, but error type not set");
    }
  }
  if (delay) {
    const p = [...path, "delay"];
    const pct = obj(delay.percentage);
    if (pct) out.error([...p, "percentage", "value"], validatePercentage(pct.value));
    if (delay.fixedDelay !== undefined) out.error([...p, "fixedDelay"], validateDuration(delay.fixedDelay));
    if (delay.exponentialDelay !== undefined) {
      out.error([...p, "exponentialDelay"], validateDuration(delay.exponentialDelay));
      out.error([...p, "exponentialDelay"], "exponentialDelay not supported yet");
    }
    if (delay.percent !== undefined) {
      const v = num(delay.percent);
      if (v < 0 || v > 100) out.error([...p, "percent"], `percentage ${v} is not in range 0..100`);
    }
  }
}

function validateHTTPStatus(status: number): string | undefined {
  return status < 200 || status > 600 ? `HTTP status ${status} is not in range 200-599` : undefined;
}

function validateMirrorPercentage(value: unknown, path: FieldPath, out: Issues): void {
  const v = num(value);
  if (v > 100) out.error(path, `mirror percentage must have a max value of 100 (it has ${v})`);
  if (v < 0) out.error(path, `mirror percentage must have a min value of 0 (it has ${v})`);
}

function validateDestination(dest: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!dest) return;
  const host = str(dest.host);
  if (host === "*") out.error([...path, "host"], `invalid destination host ${host}`);
  else out.error([...path, "host"], validateWildcardDomain(host));
  if (dest.subset !== undefined) {
    const subset = str(dest.subset);
    if (subset === "") out.error([...path, "subset"], "subset name cannot be empty");
    else if (!isDNS1123Label(subset)) out.error([...path, "subset"], `subset name is invalid: ${subset}`);
  }
  const port = obj(dest.port);
  if (port) out.error([...path, "port", "number"], validatePort(port.number));
}

function validateRouteDestinations(list: readonly unknown[], http: boolean, path: FieldPath, out: Issues): void {
  let total = 0;
  list.forEach((w, i) => {
    const p = [...path, i];
    const rd = obj(w);
    if (!rd) return out.error(p, "weight may not be nil");
    if (!rd.destination) out.error([...p, "destination"], "destination is required");
    if (http) validateHeaderOperations(obj(rd.headers), [...p, "headers"], out);
    validateDestination(obj(rd.destination), [...p, "destination"], out);
    const weight = num(rd.weight);
    if (weight < 0) out.error([...p, "weight"], `weight ${weight} < 0`);
    total += weight;
  });
  if (list.length > 1 && total === 0) out.error(path, "total destination weight = 0");
}

function validateRedirect(redirect: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!redirect) return;
  if (!str(redirect.uri) && !str(redirect.authority) && redirect.port === undefined && redirect.derivePort === undefined && !str(redirect.scheme)) {
    return out.error(path, "redirect must specify URI, authority, scheme, or port");
  }
  const code = num(redirect.redirectCode);
  if (code !== 0 && (code < 300 || code > 399)) out.error([...path, "redirectCode"], `${code} is not a valid redirect code, must be 3xx`);
  const scheme = str(redirect.scheme);
  if (scheme && scheme !== "http" && scheme !== "https") out.error([...path, "scheme"], `invalid redirect scheme, must be "http" or "https"`);
  if (num(redirect.port) > 0) out.error([...path, "port"], validatePort(redirect.port));
}

function validateRetries(retries: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!retries) return;
  const attempts = num(retries.attempts);
  if (attempts < 0) out.error([...path, "attempts"], "attempts cannot be negative");
  if (attempts === 0 && (retries.perTryTimeout !== undefined || str(retries.retryOn) !== "" || retries.retryRemoteLocalities !== undefined)) {
    out.error([...path, "attempts"], "http retry policy configured when attempts are set to 0 (disabled)");
  }
  if (retries.perTryTimeout !== undefined) out.error([...path, "perTryTimeout"], validateDuration(retries.perTryTimeout));
  const retryOn = str(retries.retryOn);
  if (retryOn) {
    for (const policy of retryOn.split(",")) {
      const code = /^\d+$/.test(policy) ? STATUS_CODES[Number(policy)] : undefined;
      if (!code && !RETRY_ON.has(policy)) out.error([...path, "retryOn"], `"${policy}" is not a valid retryOn policy`);
    }
  }
}

function validateRewrite(rewrite: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!rewrite) return;
  const regexRewrite = obj(rewrite.uriRegexRewrite);
  if (str(rewrite.uri) && regexRewrite) return out.error(path, "rewrite may only contain one of URI or UriRegexRewrite");
  if (!str(rewrite.uri) && !regexRewrite && !str(rewrite.authority)) {
    return out.error(path, "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified");
  }
  if (regexRewrite) {
    if (!str(regexRewrite.match) || !str(regexRewrite.rewrite)) {
      out.error([...path, "uriRegexRewrite"], "UriRegexRewrite requires both Rewrite and Match fields to be specified");
    } else {
      out.error([...path, "uriRegexRewrite", "match"], validateRegex(str(regexRewrite.match), "HTTPRewrite.UriRegexRewrite.Match"));
    }
  }
}

function validateDirectResponse(dr: Obj | undefined, path: FieldPath, out: Issues): void {
  if (!dr) return;
  const body = obj(dr.body);
  const size = body ? Buffer.byteLength(str(body.string)) + Math.floor((str(body.bytes).length * 3) / 4) : 0;
  if (size > 1024 * 1024) out.error([...path, "body"], "large direct_responses may impact control plane performance, must be less than 1MB");
  else if (size > 100 * 1024) out.warn([...path, "body"], "large direct_responses may impact control plane performance");
  out.error([...path, "status"], validateHTTPStatus(num(dr.status)));
}

function validateL4Route(route: Obj, kind: "TLS" | "TCP", hosts: readonly string[], path: FieldPath, out: Issues): void {
  const matches = arr(route.match);
  if (kind === "TLS" && matches.length === 0) out.error([...path, "match"], "TLS route must have at least one match condition");
  matches.forEach((m, i) => {
    const match = obj(m) ?? {};
    const p = [...path, "match", i];
    if (kind === "TLS") {
      const sni = arr(match.sniHosts).map(str);
      if (sni.length === 0) out.error([...p, "sniHosts"], "TLS match must have at least one SNI host");
      sni.forEach((h, j) => {
        const err = validateWildcardDomain(h);
        if (err && isIPAddress(h)) out.warn([...p, "sniHosts", j], `using an IP address ("${h}") goes against SNI spec and most clients do not support this`);
        else if (err) out.error([...p, "sniHosts", j], err);
        else if (!hosts.some((vh) => sniSubsetOf(h, vh))) {
          out.error([...p, "sniHosts", j], `SNI host "${h}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(", ")}]`);
        }
      });
    }
    arr(match.destinationSubnets).forEach((s, j) => out.error([...p, "destinationSubnets", j], validateIPSubnet(str(s))));
    if (match.port !== undefined && match.port !== 0) out.error([...p, "port"], validatePort(match.port));
    for (const reason of validateLabels(match.sourceLabels)) out.error([...p, "sourceLabels"], reason);
    validateGatewayNames(arr(match.gateways).map(str), [...p, "gateways"], out);
  });
  if (arr(route.route).length === 0) out.error([...path, "route"], `${kind} route is required`);
  validateRouteDestinations(arr(route.route), false, [...path, "route"], out);
}

/** host.Name.SubsetOf: `a` is covered by `b` (b may be a wildcard). */
function sniSubsetOf(a: string, b: string): boolean {
  if (b === "*") return true;
  if (b.startsWith("*")) return a.startsWith("*") ? a.endsWith(b.slice(1)) && a.length >= b.length : a.endsWith(b.slice(1));
  return a === b;
}

/** Warnings as Istio's analyzeUnreachableHTTPRules: a catch-all rule that is not last, or a rule whose matches all repeat earlier ones. */
function warnUnreachableRules(http: readonly unknown[], path: FieldPath, out: Issues): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  http.forEach((r, i) => {
    const route = obj(r);
    if (!route) return;
    const name = str(route.name) ? `"${str(route.name)}"` : `#${i}`;
    const matches = arr(route.match);
    if (matches.length === 0) {
      if (catchAll >= 0) out.warn([...path, i], `virtualService rule ${name} not used (only the last rule can have no matches)`);
      catchAll = i;
      return;
    }
    let dup = 0;
    for (const m of matches) {
      const { name: _ignored, ...rest } = obj(m) ?? {};
      const key = stableJson(rest);
      if (seen.has(key)) dup++;
      else seen.set(key, i);
    }
    if (dup === matches.length) out.warn([...path, i], `virtualService rule ${name} not used (all matches used by prior rules)`);
  });
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Obj)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
