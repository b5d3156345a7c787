// LocalityScheduler: smooth weighted round robin over a priority level's localities, weighted by locality weight × availability.

/**
 * Envoy's HostSetImpl::effectiveLocalityWeight: `weight × min(1, factor/100 × eligible/hosts)`, 0 for an empty locality.
 * `overprovisioningFactor` is in percent (140 = 1.4).
 */
export function effectiveLocalityWeight(weight: number, eligible: number, hosts: number, overprovisioningFactor: number): number {
  if (hosts === 0) return 0;
  return weight * Math.min(1, ((overprovisioningFactor / 100) * eligible) / hosts);
}

/**
 * Built per host-set change with fixed effective weights; pick() is O(#localities) with no allocation. Smooth WRR
 * (nginx) gives the same long-run shares as Envoy's EDF scheduler and spreads picks evenly.
 */
export class LocalityScheduler {
  private readonly current: Float64Array;
  private readonly total: number;

  private constructor(private readonly weights: Float64Array) {
    this.current = new Float64Array(weights.length);
    let t = 0;
    for (const w of weights) t += w;
    this.total = t;
  }

  /** A scheduler over `weights` (one per locality), or undefined when they sum to 0 (Envoy then ignores localities). */
  static create(weights: readonly number[]): LocalityScheduler | undefined {
    let t = 0;
    for (const w of weights) t += w;
    return t > 0 ? new LocalityScheduler(Float64Array.from(weights)) : undefined;
  }

  /** Index of the next locality; never one whose weight is 0. */
  pick(): number {
    const w = this.weights;
    const cur = this.current;
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) continue;
      cur[i] += w[i];
      if (cur[i] > bestValue) { bestValue = cur[i]; best = i; }
    }
    cur[best] -= this.total;
    return best;
  }
}
