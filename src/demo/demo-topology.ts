// The demo's workloads: one loopback IP, sidecar and app port each, as in Istio's Bookinfo.

/** One workload (a "pod"): a sidecar on its own IP in front of an app on 127.0.0.1:<appPort>. */
export interface DemoWorkload {
  /** Workload name, `<service>-<version>` ("reviews-v2"). */
  name: string;
  service: string;
  version: string;
  /** The sidecar's IP: inbound listener `<ip>:9080`, outbound `<ip>:15001`, admin `<ip>:<adminPort>`. */
  ip: string;
  appPort: number;
  adminPort: number;
}

/** Every Bookinfo service listens on 9080 on its own workload IPs. */
export const BOOKINFO_PORT = 9080;
export const NAMESPACE = "default";

const LAYOUT: ReadonlyArray<readonly [service: string, version: string]> = [
  ["productpage", "v1"],
  ["details", "v1"],
  ["reviews", "v1"],
  ["reviews", "v2"],
  ["reviews", "v3"],
  ["ratings", "v1"],
];

/**
 * productpage-v1 127.0.0.10, details-v1 .11, reviews-v1 .12, v2 .13, v3 .14, ratings-v1 .15; apps on
 * 127.0.0.1:<firstAppPort + i>; every sidecar's admin on <ip>:15000 (distinct IPs, so no clash).
 */
export function demoWorkloads(opts: { firstIp?: number; firstAppPort?: number; adminPort?: number } = {}): DemoWorkload[] {
  const firstIp = opts.firstIp ?? 10;
  const firstAppPort = opts.firstAppPort ?? 19080;
  return LAYOUT.map(([service, version], i) => ({
    name: `${service}-${version}`,
    service,
    version,
    ip: `127.0.0.${firstIp + i}`,
    appPort: firstAppPort + i,
    adminPort: opts.adminPort ?? 15000,
  }));
}
