// LeastRequestPicker: Envoy's unweighted least request: power of N choices over active requests (WeightedPicker does the weighted case).

import type { Host } from "../host.js";
import type { HostPicker } from "./host-picker.js";

/** Equal weights, no slow start: choose `choiceCount` hosts at random, keep the one with the fewest active requests. */
export class LeastRequestPicker implements HostPicker {
  constructor(private readonly hosts: readonly Host[], private readonly choiceCount: number) {}

  pick(): Host | undefined {
    const hosts = this.hosts, n = hosts.length;
    if (n === 0) return undefined;
    let best = hosts[Math.floor(Math.random() * n)];
    for (let c = 1; c < this.choiceCount; c++) {
      const h = hosts[Math.floor(Math.random() * n)];
      if (h.stats.rq_active < best.stats.rq_active) best = h;
    }
    return best;
  }
}
