// Cross-reference warnings like istioctl analyze IST0101 (ReferencedResourceNotFound): unknown subsets and hosts.

import type { ConfigResource, ConfigSnapshot, Diagnostic } from "./config-resource.js";
import { formatPath, type FieldPath } from "./field-path.js";
import { resolveHost } from "./resolve-host.js";
import { arr, obj, str } from "./spec-access.js";

/**
 * Warnings (code CONFIG_REFERENCE) for VirtualService destinations naming a subset that no DestinationRule
 * for that host defines, and for VirtualService hosts/destinations that no ServiceEntry (nor `knownHosts`) serves.
 */
export function checkReferences(snapshot: ConfigSnapshot, opts: { domain: string; knownHosts?: Iterable<string> }): Diagnostic[] {
  const { domain } = opts;
  const hosts = new Set<string>();
  for (const h of opts.knownHosts ?? []) hosts.add(h);
  for (const se of snapshot.list("ServiceEntry")) {
    for (const h of arr(se.spec.hosts)) hosts.add(resolveHost(str(h), se.metadata.namespace, domain));
  }
  const subsets = new Map<string, Set<string>>();
  for (const dr of snapshot.list("DestinationRule")) {
    const host = resolveHost(str(dr.spec.host), dr.metadata.namespace, domain);
    const set = subsets.get(host) ?? new Set<string>();
    for (const s of arr(dr.spec.subsets)) set.add(str(obj(s)?.name));
    subsets.set(host, set);
  }
  const served = (fqdn: string) => hosts.has(fqdn) || [...hosts].some((h) => h.startsWith("*") && fqdn.endsWith(h.slice(1)));
  const out: Diagnostic[] = [];
  for (const vs of snapshot.list("VirtualService")) {
    const ns = vs.metadata.namespace;
    const warn = (path: FieldPath, reason: string) => out.push(diagnostic(vs, path, reason));
    arr(vs.spec.hosts).forEach((h, i) => {
      const host = str(h);
      if (host.startsWith("*")) return;
      const fqdn = resolveHost(host, ns, domain);
      if (!served(fqdn)) warn(["spec", "hosts", i], `Referenced host not found: "${fqdn}" (no ServiceEntry or known service)`);
    });
    for (const section of ["http", "tcp", "tls"] as const) {
      arr(vs.spec[section]).forEach((r, i) => {
        arr(obj(r)?.route).forEach((d, j) => {
          const dest = obj(obj(d)?.destination);
          if (!dest) return;
          const path: FieldPath = ["spec", section, i, "route", j, "destination"];
          const fqdn = resolveHost(str(dest.host), ns, domain);
          if (!served(fqdn)) warn([...path, "host"], `Referenced host not found: "${fqdn}"`);
          const subset = str(dest.subset);
          if (subset && !subsets.get(fqdn)?.has(subset)) {
            warn([...path, "subset"], `Referenced host+subset in destinationrule not found: "${fqdn}+${subset}"`);
          }
        });
      });
    }
  }
  return out;
}

function diagnostic(r: ConfigResource, path: FieldPath, reason: string): Diagnostic {
  return {
    severity: "warning", code: "CONFIG_REFERENCE", file: r.source.file, line: r.source.line,
    kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, field: formatPath(path), reason,
  };
}
