// Scale fixture: S services (ServiceEntry + 2 WorkloadEntries + DestinationRule + VirtualService) in N namespaces, optional Sidecars.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

export interface FixtureOptions {
  services: number;
  /** Default: one per 50 services. */
  namespaces?: number;
  /** Services each namespace's Sidecar lets its proxies see (egress.hosts); undefined = no Sidecar resources. */
  sidecarHosts?: number;
}

export interface FixtureService {
  index: number;
  name: string;
  namespace: string;
  fqdn: string;
}

export const SERVICE_PORT = 80;
const DOMAIN = "cluster.local";

/**
 * The mesh as written: service `svc-<i>` lives in namespace `ns-<i mod N>`; its pods are WorkloadEntries
 * `svc-<i>-v1`/`-v2` (labels app, version) on 127.1.x.y addresses (config only; nothing connects to them) selected
 * by a STATIC ServiceEntry on port 80; a DestinationRule declares subsets v1/v2 and a VirtualService splits 90/10.
 * With Sidecar scoping, namespace `ns-<k>`'s Sidecar (no selector: every proxy of the namespace) lists the
 * `sidecarHosts` services from index k·sidecarHosts on (wrapping), as `ns/fqdn`.
 * Files per service (so a step rewrites one small file): `<ns>/svc-<i>.yaml` (ServiceEntry, DestinationRule),
 * `<ns>/svc-<i>-vs.yaml`, `<ns>/svc-<i>-we.yaml`; `<ns>/sidecar.yaml`.
 */
export class ScaleFixture {
  readonly services: readonly FixtureService[];
  readonly namespaces: readonly string[];

  constructor(readonly dir: string, readonly opts: FixtureOptions) {
    const n = opts.namespaces ?? Math.max(1, Math.ceil(opts.services / 50));
    this.namespaces = Array.from({ length: n }, (_, k) => `ns-${k}`);
    this.services = Array.from({ length: opts.services }, (_, i) => {
      const namespace = this.namespaces[i % n]!;
      return { index: i, name: `svc-${i}`, namespace, fqdn: `svc-${i}.${namespace}.svc.${DOMAIN}` };
    });
  }

  /** Writes every file of the initial mesh. */
  async write(): Promise<void> {
    for (const ns of this.namespaces) await mkdir(path.join(this.dir, ns), { recursive: true });
    const writes: Promise<void>[] = [];
    for (const s of this.services) {
      writes.push(writeFile(this.file(s, ""), serviceYaml(s)));
      writes.push(this.writeVirtualService(s, "split-0", 90));
      writes.push(this.writeWorkloadEntries(s, initialAddress(s.index, 1), initialAddress(s.index, 2)));
    }
    if (this.opts.sidecarHosts !== undefined) {
      this.namespaces.forEach((ns, k) => writes.push(writeFile(path.join(this.dir, ns, "sidecar.yaml"), this.sidecarYaml(ns, k))));
    }
    await Promise.all(writes);
  }

  /** Rewrites a service's VirtualService: its route named `routeName`, `v1Weight`/100 to v1, the rest to v2. */
  writeVirtualService(s: FixtureService, routeName: string, v1Weight: number): Promise<void> {
    return writeFile(this.file(s, "-vs"), virtualServiceYaml(s, routeName, v1Weight));
  }

  /** Rewrites a service's two WorkloadEntries with these addresses. */
  writeWorkloadEntries(s: FixtureService, v1Address: string, v2Address: string): Promise<void> {
    return writeFile(this.file(s, "-we"), workloadEntriesYaml(s, v1Address, v2Address));
  }

  /** The namespaces whose proxies see service `s`; undefined = all (no scoping). */
  viewers(s: FixtureService): string[] | undefined {
    const hosts = this.opts.sidecarHosts;
    if (hosts === undefined) return undefined;
    return this.namespaces.filter((_, k) => this.scopedIndexes(k).includes(s.index));
  }

  private scopedIndexes(k: number): number[] {
    const hosts = Math.min(this.opts.sidecarHosts ?? 0, this.services.length);
    return Array.from({ length: hosts }, (_, j) => (k * hosts + j) % this.services.length);
  }

  private sidecarYaml(ns: string, k: number): string {
    const hosts = this.scopedIndexes(k).map((i) => `${this.services[i]!.namespace}/${this.services[i]!.fqdn}`);
    return `${header("Sidecar", "default", ns)}
spec:
  egress:
  - hosts:
${hosts.map((h) => `    - ${h}`).join("\n")}
`;
  }

  private file(s: FixtureService, suffix: string): string {
    return path.join(this.dir, s.namespace, `${s.name}${suffix}.yaml`);
  }
}

/** The initial address of version `v` (1|2) of service `i`: 127.1.x.y, two per service, unique. */
export function initialAddress(i: number, v: number): string {
  const j = 2 * i + (v - 1);
  return `127.1.${Math.floor(j / 250)}.${1 + (j % 250)}`;
}

function header(kind: string, name: string, namespace: string): string {
  return `apiVersion: networking.istio.io/v1beta1
kind: ${kind}
metadata:
  name: ${name}
  namespace: ${namespace}`;
}

function serviceYaml(s: FixtureService): string {
  return `${header("ServiceEntry", s.name, s.namespace)}
spec:
  hosts:
  - ${s.fqdn}
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: ${SERVICE_PORT}
    name: http
    protocol: HTTP
  workloadSelector:
    labels:
      app: ${s.name}
---
${header("DestinationRule", s.name, s.namespace)}
spec:
  host: ${s.fqdn}
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;
}

function virtualServiceYaml(s: FixtureService, routeName: string, v1Weight: number): string {
  return `${header("VirtualService", s.name, s.namespace)}
spec:
  hosts:
  - ${s.fqdn}
  http:
  - name: ${routeName}
    route:
    - destination:
        host: ${s.fqdn}
        subset: v1
      weight: ${v1Weight}
    - destination:
        host: ${s.fqdn}
        subset: v2
      weight: ${100 - v1Weight}
`;
}

function workloadEntriesYaml(s: FixtureService, v1Address: string, v2Address: string): string {
  return [["v1", v1Address], ["v2", v2Address]]
    .map(([version, address]) => `${header("WorkloadEntry", `${s.name}-${version}`, s.namespace)}
spec:
  address: ${address}
  labels:
    app: ${s.name}
    version: ${version}
`)
    .join("---\n");
}
