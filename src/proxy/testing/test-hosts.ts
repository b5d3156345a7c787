// testHosts: Host objects for load-balancer unit tests and the pick benchmark (no sockets are opened).

import { ClusterStats } from "../stats/proxy-stats.js";
import { Host } from "../upstream/host.js";

/** `n` healthy hosts 10.<i>:8080 with the given weights (1 when absent); `addedAt` set to `addedAt` when given. */
export function testHosts(n: number, weights?: (i: number) => number, addedAt?: number): Host[] {
  const stats = new ClusterStats();
  const out: Host[] = [];
  for (let i = 0; i < n; i++) {
    const h = new Host(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 8080, "HEALTHY", stats, 1000);
    if (weights) h.weight = weights(i);
    if (addedAt !== undefined) h.addedAt = addedAt;
    out.push(h);
  }
  return out;
}

/** An LbContext with a fixed hash key. */
export function hashContext(key: number | undefined): { hashKey(): number | undefined } {
  return { hashKey: () => key };
}
