// LoadBalancer: an immutable picker over a cluster's hosts, rebuilt whenever the host set or a host's health changes.

import type { Host } from "../host.js";
import { RoundRobinPicker } from "../round-robin-picker.js";
import type { LbConfig } from "./lb-config.js";
import type { LbContext } from "./lb-context.js";

export interface LoadBalancer {
  /** A host for one request or connection, or undefined when there is none to use (→ 503 UH). */
  chooseHost(ctx: LbContext | undefined): Host | undefined;
}

/** Builds the cluster's load balancer for its current hosts and their health. */
export function buildLoadBalancer(hosts: readonly Host[], _config: LbConfig): LoadBalancer {
  const picker = new RoundRobinPicker(hosts.filter((h) => h.healthy || h.degraded));
  return { chooseHost: () => picker.pick() };
}
