// The demo's Istio YAML: a ServiceEntry per Bookinfo service, the reviews DestinationRule and VirtualService, one file each.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { BOOKINFO_PORT, NAMESPACE } from "./demo-topology.js";

/** The file users edit to move traffic (the README's canary walk-through points at it). */
export const REVIEWS_VIRTUAL_SERVICE_FILE = "reviews-virtual-service.yaml";

/**
 * A mesh-internal ServiceEntry whose endpoints are the workloads labelled `app: <service>` (sidecars register
 * themselves from their node metadata, as WorkloadEntry auto-registration does), so no endpoints are listed.
 */
export function serviceEntryYaml(service: string): string {
  return `# The ${service} service: its endpoints are the sidecars whose workload carries the label app=${service}.
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${service}
  namespace: ${NAMESPACE}
spec:
  hosts:
  - ${service}.${NAMESPACE}.svc.cluster.local
  location: MESH_INTERNAL
  ports:
  - number: ${BOOKINFO_PORT}
    name: http
    protocol: HTTP
  resolution: STATIC
  workloadSelector:
    labels:
      app: ${service}
`;
}

/** Istio's samples/bookinfo/networking/destination-rule-all.yaml, reviews part: one subset per `version` label. */
export function reviewsDestinationRuleYaml(): string {
  return `# Subsets of reviews, by the pods' version label; the VirtualService routes to them by name.
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: ${NAMESPACE}
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v3
    labels:
      version: v3
`;
}

/**
 * The reviews VirtualService with the given weights per subset (subsets with weight 0 are left out;
 * a single subset gets no weight field, as in Istio's virtual-service-all-v1.yaml).
 */
export function reviewsVirtualServiceYaml(weights: Readonly<Record<string, number>> = { v1: 100 }): string {
  const used = Object.entries(weights).filter(([, w]) => w > 0);
  const destinations = used
    .map(([subset, weight]) => {
      const lines = [`    - destination:`, `        host: reviews`, `        subset: ${subset}`];
      if (used.length > 1) lines.push(`      weight: ${weight}`);
      return lines.join("\n");
    })
    .join("\n");
  return `# Where calls to reviews go. Edit and save: the sidecars follow within a second.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: ${NAMESPACE}
spec:
  hosts:
  - reviews
  http:
  - route:
${destinations}
`;
}

/** Writes (overwriting) the demo's config files into `dir`, creating it; resolves with the files written. */
export async function writeDemoConfig(dir: string, services: readonly string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: Array<[string, string]> = services.map((s) => [`${s}-service-entry.yaml`, serviceEntryYaml(s)]);
  files.push(["reviews-destination-rule.yaml", reviewsDestinationRuleYaml()]);
  files.push([REVIEWS_VIRTUAL_SERVICE_FILE, reviewsVirtualServiceYaml()]);
  const written: string[] = [];
  for (const [name, text] of files) {
    const file = path.join(dir, name);
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}
