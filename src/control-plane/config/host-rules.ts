// Istio's host-name rules (pkg/config/validation/agent): DNS-1123 labels, FQDNs, wildcard domains, `namespace/host`.

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

export function isDNS1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

function isWildcardDNS1123Label(value: string): boolean {
  return value.length <= 63 && WILDCARD_LABEL.test(value);
}

function checkDNS1123Preconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name.length === 0) return "empty domain name not allowed";
  return undefined;
}

function validateDNS1123Labels(domain: string): string | undefined {
  const parts = domain.split(".");
  const top = parts[parts.length - 1]!;
  if (/^[0-9]+$/.test(top)) return `domain name "${domain}" invalid (top level domain "${top}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i]!;
    if (i === parts.length - 1 && label === "") return undefined; // trailing dot: "istio.io."
    if (!isDNS1123Label(label)) return `domain name "${domain}" invalid (label "${label}" invalid)`;
  }
  return undefined;
}

/** A fully qualified (no wildcard) DNS name, as Istio's ValidateFQDN. Returns the reason or undefined. */
export function validateFQDN(fqdn: string): string | undefined {
  return checkDNS1123Preconditions(fqdn) ?? validateDNS1123Labels(fqdn);
}

/** A DNS name whose first label may be a wildcard (`*`, `*.example.com`, `*-foo.example.com`), as ValidateWildcardDomain. */
export function validateWildcardDomain(domain: string): string | undefined {
  const pre = checkDNS1123Preconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf(".");
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardDNS1123Label(first)) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : validateDNS1123Labels(domain.slice(dot + 1));
}

/** `namespace/dnsName` hosts of Sidecar egress and Gateway servers (ValidateNamespaceSlashWildcardHostname). */
export function validateNamespaceSlashHost(host: string, isGateway: boolean): string | undefined {
  const slash = host.indexOf("/");
  if (slash < 0) return isGateway ? validateWildcardDomain(host) : "host must be of form namespace/dnsName";
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  if (ns === "" || name === "") return "config namespace and dnsName in host entry cannot be empty";
  const specials = isGateway ? ["*", "."] : ["*", ".", "~"];
  if (!specials.includes(ns) && !isDNS1123Label(ns)) {
    return `invalid namespace value "${ns}" in ${isGateway ? "gateway" : "sidecar"}`;
  }
  return validateWildcardDomain(name);
}

/** True when `a` (possibly `*.x`) matches `b` or the reverse: Istio's host.Name.Matches, used for duplicate hosts. */
export function hostsOverlap(a: string, b: string): boolean {
  const wa = a.startsWith("*");
  const wb = b.startsWith("*");
  if (!wa && !wb) return a === b;
  if (wa && wb) return a.length > b.length ? a.endsWith(b.slice(1)) : b.endsWith(a.slice(1));
  return wa ? b.endsWith(a.slice(1)) : a.endsWith(b.slice(1));
}
