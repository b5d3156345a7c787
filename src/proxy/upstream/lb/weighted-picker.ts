// WeightedPicker: Envoy's EDF load balancing for unequal weights or slow start (weighted ROUND_ROBIN and LEAST_REQUEST).

import type { Host } from "../host.js";
import { EdfScheduler } from "./edf-scheduler.js";
import type { HostPicker } from "./host-picker.js";
import type { SlowStartConfig } from "./lb-config.js";
import { slowStartEnd, slowStartFactor } from "./slow-start.js";

/**
 * Each host is due every 1 / weight, the weight being re-read whenever the host is re-scheduled (Envoy's
 * EdfLoadBalancerBase with hostWeight): load_balancing_weight × slow-start factor, divided for LEAST_REQUEST by
 * (rq_active + 1)^active_request_bias (`bias` 0: weighted round robin). Once the last host leaves its slow-start
 * window the picker stops reading the clock.
 */
export class WeightedPicker implements HostPicker {
  private readonly edf: EdfScheduler;
  private slowStartUntil: number;

  constructor(private readonly hosts: readonly Host[], private readonly bias: number, private readonly slowStart: SlowStartConfig | undefined) {
    this.slowStartUntil = slowStartEnd(slowStart, hosts, performance.now());
    this.edf = new EdfScheduler(hosts.length, (i) => this.weight(hosts[i]));
  }

  pick(): Host | undefined {
    const i = this.edf.pick();
    return i < 0 ? undefined : this.hosts[i];
  }

  private weight(h: Host): number {
    let w = h.weight;
    if (this.slowStartUntil !== 0) {
      const now = performance.now();
      if (now >= this.slowStartUntil) this.slowStartUntil = 0;
      else w *= slowStartFactor(this.slowStart!, h, now);
    }
    if (this.bias === 0) return w;
    const active = h.stats.rq_active + 1;
    return this.bias === 1 ? w / active : w / Math.pow(active, this.bias);
  }
}
