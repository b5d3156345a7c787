// Slow start: Envoy's weight factor for hosts within slow_start_window of joining (EdfLoadBalancerBase::applySlowStartFactor).

import type { Host } from "../host.js";
import type { SlowStartConfig } from "./lb-config.js";

/**
 * The factor on a host's weight at `now` (performance.now() ms): 1 outside the window (or for an unhealthy host), else
 * max(min_weight_percent / 100, (max(1 ms, elapsed) / window) ^ (1 / aggression)).
 */
export function slowStartFactor(config: SlowStartConfig, host: Host, now: number): number {
  const elapsed = now - host.addedAt;
  if (elapsed >= config.windowMs || !host.healthy) return 1;
  const time = Math.max(1, elapsed) / config.windowMs;
  const ramp = config.aggression === 1 ? time : Math.pow(time, 1 / config.aggression);
  return Math.max(ramp, config.minWeightFactor);
}

/** When the last of `hosts` leaves its slow-start window (performance.now() ms), or 0 when none is in it at `now`. */
export function slowStartEnd(config: SlowStartConfig | undefined, hosts: readonly Host[], now: number): number {
  if (config === undefined) return 0;
  let end = 0;
  for (const h of hosts) {
    const e = h.addedAt + config.windowMs;
    if (e > now && e > end) end = e;
  }
  return end;
}
