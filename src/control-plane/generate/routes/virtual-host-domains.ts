// The domains of a service's virtual host, as Istio generates them (pilot httproute.go generateVirtualHostDomains).

import type { Service } from "../../model/service.js";

/**
 * fqdn, fqdn:port; for a Kubernetes-style host (`name.ns.svc.<domain>`) in the proxy's namespace also
 * name, name:port, name.ns.svc(:port), name.ns(:port); in another namespace name.ns(:port), name.ns.svc(:port);
 * then every VIP and VIP:port. Non-kube hosts get no short forms (expanding them could shadow other hosts).
 */
export function virtualHostDomains(service: Service, port: number, proxyNamespace: string, domain: string): string[] {
  const host = service.hostname;
  const out = [host, `${host}:${port}`];
  const svcSuffix = `.svc.${domain}`;
  const ih = host.indexOf(".svc.");
  const ns = host.indexOf(".");
  if (host.endsWith(svcSuffix) && ih > 0 && ns + 1 < ih) {
    const name = host.slice(0, ns);
    const nameNs = host.slice(0, ih);
    const alts = host.slice(ns + 1, ih) === proxyNamespace ? [name, `${nameNs}.svc`, nameNs] : [nameNs, `${nameNs}.svc`];
    for (const a of alts) out.push(a, `${a}:${port}`);
  }
  for (const vip of service.addresses) {
    if (vip === "0.0.0.0") continue;
    const v = vip.includes(":") ? `[${vip}]` : vip;
    out.push(v, `${v}:${port}`);
  }
  return out;
}
