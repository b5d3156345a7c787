// RingHashPicker: Envoy's ketama-style ring hash: virtual nodes proportional to weight, a binary search per pick.

import type { Host } from "../host.js";
import { hash32 } from "./hash.js";
import type { HostPicker } from "./host-picker.js";
import type { LbContext } from "./lb-context.js";

/** Host indices fit in the low 21 bits of a ring entry's sort key (hash × 2^21 + index stays below 2^53). */
const INDEX_SPACE = 2 ** 21;

/**
 * Built like Envoy's RingHashLoadBalancer::Ring: scale = min(ceil(min_norm_weight × minimum_ring_size) /
 * min_norm_weight, maximum_ring_size); each host gets entries hash("<address:port>_<i>") until the running total
 * reaches scale × its normalized weight. pick() finds the first entry at or after the request's hash (wrapping);
 * requests without a hash get a random point (as Envoy); re-pick n takes the entry n places further.
 */
export class RingHashPicker implements HostPicker {
  private readonly hashes: Uint32Array;
  private readonly owners: Int32Array;

  /** `weights` (> 0, parallel to `hosts`) replace the hosts' own weights (locality-weighted clusters). */
  constructor(private readonly hosts: readonly Host[], minimumRingSize: number, maximumRingSize: number, weights?: readonly number[]) {
    const n = hosts.length;
    if (n > INDEX_SPACE) throw new RangeError(`ring hash supports at most ${INDEX_SPACE} hosts`);
    const weight = (i: number) => (weights === undefined ? hosts[i].weight : weights[i]);
    let sum = 0, min = Infinity;
    for (let i = 0; i < n; i++) { const w = weight(i); sum += w; if (w < min) min = w; }
    const minNorm = n === 0 ? 1 : min / sum;
    const scale = Math.min(Math.ceil(minNorm * minimumRingSize) / minNorm, maximumRingSize);
    const keys = new Float64Array(n === 0 ? 0 : Math.ceil(scale) + n);
    let count = 0, current = 0, target = 0;
    for (let i = 0; i < n; i++) {
      const h = hosts[i];
      target += (scale * weight(i)) / sum;
      for (let k = 0; current < target && count < keys.length; k++, current++) keys[count++] = hash32(`${h.key}_${k}`) * INDEX_SPACE + i;
    }
    const sorted = keys.subarray(0, count).sort();
    this.hashes = new Uint32Array(count);
    this.owners = new Int32Array(count);
    for (let j = 0; j < count; j++) {
      const key = sorted[j];
      const owner = key % INDEX_SPACE;
      this.owners[j] = owner;
      this.hashes[j] = (key - owner) / INDEX_SPACE;
    }
  }

  /** Entries on the ring (for tests and the benchmark). */
  get size(): number { return this.hashes.length; }

  pick(ctx: LbContext | undefined): Host | undefined {
    const hashes = this.hashes, n = hashes.length;
    if (n === 0) return undefined;
    const h = ctx?.hashKey() ?? Math.floor(Math.random() * 0x100000000);
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid] < h) lo = mid + 1; else hi = mid;
    }
    // Envoy's Ring::chooseHost: a re-pick (retry host predicate) behaves as if the entry found were not on the ring.
    const attempt = ctx?.selectionAttempt ?? 0;
    return this.hosts[this.owners[((lo === n ? 0 : lo) + attempt) % n]];
  }
}
