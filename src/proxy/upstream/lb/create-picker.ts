// createPicker: the HostPicker for a cluster's lb_policy over one subset of usable hosts.

import type { Host } from "../host.js";
import type { HostPicker } from "./host-picker.js";
import type { LbConfig } from "./lb-config.js";
import { LeastRequestPicker } from "./least-request-picker.js";
import { MaglevPicker } from "./maglev-picker.js";
import { RandomPicker } from "./random-picker.js";
import { RingHashPicker } from "./ring-hash-picker.js";
import { RoundRobinPicker } from "./round-robin-picker.js";
import { slowStartEnd } from "./slow-start.js";
import { WeightedPicker } from "./weighted-picker.js";

const EMPTY: HostPicker = { pick: () => undefined };

/**
 * Called by the load balancer whenever the host set or health changes, once per subset (priority level, locality).
 * `hosts` are the usable ones, in any order. CLUSTER_PROVIDED (ORIGINAL_DST) clusters have no host list: the load
 * balancer uses originalDstPicker() instead, and this returns an empty picker for them. `hashWeights` (> 0, parallel to
 * `hosts`) replace the hosts' weights in RING_HASH / MAGLEV tables (Envoy folds locality weights in there).
 */
export function createPicker(config: LbConfig, hosts: readonly Host[], hashWeights?: readonly number[]): HostPicker {
  if (hosts.length === 0) return EMPTY;
  switch (config.policy) {
    case "ROUND_ROBIN":
      return uniform(config, hosts) ? new RoundRobinPicker(hosts) : new WeightedPicker(hosts, 0, config.slowStart);
    case "LEAST_REQUEST":
      return uniform(config, hosts)
        ? new LeastRequestPicker(hosts, config.choiceCount)
        : new WeightedPicker(hosts, config.activeRequestBias, config.slowStart);
    case "RANDOM": return new RandomPicker(hosts);
    case "RING_HASH": return new RingHashPicker(hosts, config.minimumRingSize, config.maximumRingSize, hashWeights);
    case "MAGLEV": return new MaglevPicker(hosts, config.maglevTableSize, hashWeights);
    case "CLUSTER_PROVIDED": return EMPTY;
  }
}

/** Every weight equal and no host in slow start: the unweighted algorithm (Envoy's EdfLoadBalancerBase::refresh test). */
function uniform(config: LbConfig, hosts: readonly Host[]): boolean {
  const w = hosts[0].weight;
  for (let i = 1; i < hosts.length; i++) if (hosts[i].weight !== w) return false;
  return slowStartEnd(config.slowStart, hosts, performance.now()) === 0;
}
