// Resolves a host as Istio does for a config in `namespace`: a name without dots becomes `<name>.<namespace>.svc.<domain>`.

/**
 * Istio's ResolveShortnameToFQDN (pilot/pkg/model/config.go): `reviews` in `default` →
 * `reviews.default.svc.cluster.local`. Anything containing a dot (`reviews.other`, FQDNs, `*.x`), the
 * wildcard `*` and IP addresses are returned unchanged.
 */
export function resolveHost(host: string, namespace: string, domain: string): string {
  if (host === "" || host === "*" || host.includes(".") || host.includes(":")) return host;
  return `${host}.${namespace}.svc.${domain}`;
}
