// RandomPicker: Envoy's RANDOM load balancer: a uniformly random host of the subset, endpoint weights ignored.

import type { Host } from "../host.js";
import type { HostPicker } from "./host-picker.js";

/** Envoy's RandomLoadBalancer::peekOrChoose returns hosts[random % size]: load_balancing_weight plays no part. */
export class RandomPicker implements HostPicker {
  constructor(private readonly hosts: readonly Host[]) {}

  pick(): Host | undefined {
    const hosts = this.hosts, n = hosts.length;
    return n === 0 ? undefined : hosts[Math.floor(Math.random() * n)];
  }
}
