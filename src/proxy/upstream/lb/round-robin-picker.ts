// RoundRobinPicker: an immutable round-robin picker over hosts of equal weight (Envoy's unweighted RoundRobinLoadBalancer path).

import type { LbContext } from "./lb-context.js";

/** Built per host-set change; the hot path calls only pick(). Starts at a random offset like Envoy. */
export class RoundRobinPicker<H> {
  private next: number;

  constructor(private readonly hosts: readonly H[]) {
    this.next = hosts.length > 0 ? Math.floor(Math.random() * hosts.length) : 0;
  }

  /** The next host, or undefined when there is none (→ 503 UH). */
  pick(_ctx?: LbContext): H | undefined {
    const n = this.hosts.length;
    if (n === 0) return undefined;
    const h = this.hosts[this.next];
    this.next = this.next + 1 === n ? 0 : this.next + 1;
    return h;
  }
}
