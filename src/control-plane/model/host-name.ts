// Host name helpers: Istio's short-name resolution and wildcard host matching.
// resolveHost is the config layer's (one rule for validation and generation), re-exported here.

export { resolveHost } from "../config/resolve-host.js";

/** True when `pattern` (a host, possibly `*` or `*.suffix`) covers the concrete host `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host || pattern === "*") return true;
  if (pattern.startsWith("*")) return host.endsWith(pattern.slice(1));
  return false;
}

/** Specificity rank of a host pattern for "most specific wins": exact beats any wildcard, longer wildcard beats shorter. */
export function hostSpecificity(pattern: string): number {
  return pattern.startsWith("*") ? pattern.length : Number.MAX_SAFE_INTEGER;
}

/** Istio's exportTo visibility: absent or `*` = everywhere, `.` = own namespace, else the listed namespaces. */
export function isVisibleTo(exportTo: readonly string[] | undefined, ownNamespace: string, namespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  for (const e of exportTo) {
    if (e === "*" || e === namespace || (e === "." && ownNamespace === namespace)) return true;
  }
  return false;
}
