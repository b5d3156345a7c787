// RandomPicker: a uniformly random host, or weighted by load_balancing_weight when weights differ (binary search).

import type { Host } from "../host.js";
import type { HostPicker } from "./host-picker.js";

export class RandomPicker implements HostPicker {
  /** Running sums of the weights, or null when every weight is equal (uniform pick). */
  private readonly cumulative: Float64Array | null;
  private readonly total: number;

  constructor(private readonly hosts: readonly Host[]) {
    let equal = true;
    for (const h of hosts) if (h.weight !== hosts[0].weight) { equal = false; break; }
    if (equal) {
      this.cumulative = null;
      this.total = 0;
      return;
    }
    const c = new Float64Array(hosts.length);
    let sum = 0;
    for (let i = 0; i < hosts.length; i++) c[i] = sum += hosts[i].weight;
    this.cumulative = c;
    this.total = sum;
  }

  pick(): Host | undefined {
    const hosts = this.hosts, n = hosts.length;
    if (n === 0) return undefined;
    const c = this.cumulative;
    if (c === null) return hosts[Math.floor(Math.random() * n)];
    const r = Math.random() * this.total;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid] > r) hi = mid; else lo = mid + 1;
    }
    return hosts[lo];
  }
}
