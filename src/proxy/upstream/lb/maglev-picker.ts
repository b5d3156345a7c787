// MaglevPicker: Envoy's Maglev consistent hashing: a prime-sized lookup table filled by weighted permutations, one index per pick.

import type { Host } from "../host.js";
import { hash32 } from "./hash.js";
import type { HostPicker } from "./host-picker.js";
import type { LbContext } from "./lb-context.js";

/**
 * Built like Envoy's MaglevTable: host i has offset = hash(key, seed 0) mod M and skip = hash(key, seed 1) mod (M - 1)
 * + 1 and claims the next free slot of its permutation offset + j·skip in turn; a host of weight w takes a turn in
 * iteration t when t·w ≥ its running target (advanced by the largest weight per turn), so slots are proportional to
 * weight. Hosts are taken in address order so every proxy builds the same table. pick() is table[hash mod M]; requests
 * without a hash get a random slot.
 */
export class MaglevPicker implements HostPicker {
  private readonly table: Int32Array;
  private readonly hosts: readonly Host[];

  /** `weights` (> 0, parallel to `hosts`) replace the hosts' own weights (locality-weighted clusters). */
  constructor(hosts: readonly Host[], tableSize: number, weights?: readonly number[]) {
    const order = hosts.map((_, i) => i).sort((a, b) => (hosts[a].key < hosts[b].key ? -1 : hosts[a].key > hosts[b].key ? 1 : 0));
    const sorted = order.map((i) => hosts[i]);
    this.hosts = sorted;
    const n = sorted.length;
    const m = tableSize;
    this.table = new Int32Array(n === 0 ? 0 : m).fill(-1);
    if (n === 0) return;
    const weight = new Float64Array(n);
    let maxW = 0;
    for (let i = 0; i < n; i++) {
      weight[i] = weights === undefined ? sorted[i].weight : weights[order[i]];
      if (weight[i] > maxW) maxW = weight[i];
    }
    const target = new Float64Array(n);
    const pos = new Float64Array(n);
    const skip = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const key = sorted[i].key;
      weight[i] /= maxW;
      pos[i] = hash32(key, 0) % m;
      skip[i] = (hash32(key, 1) % (m - 1)) + 1;
    }
    let filled = 0;
    for (let iteration = 1; filled < m; iteration++) {
      for (let i = 0; i < n && filled < m; i++) {
        if (iteration * weight[i] < target[i]) continue;
        target[i] += 1;
        let c = pos[i];
        while (this.table[c] >= 0) {
          c += skip[i];
          if (c >= m) c -= m;
        }
        this.table[c] = i;
        c += skip[i];
        pos[i] = c >= m ? c - m : c;
        filled++;
      }
    }
  }

  /** Slots owned by each host key (for tests). */
  slotsByHost(): Map<string, number> {
    const out = new Map<string, number>();
    for (const i of this.table) out.set(this.hosts[i].key, (out.get(this.hosts[i].key) ?? 0) + 1);
    return out;
  }

  pick(ctx: LbContext | undefined): Host | undefined {
    const t = this.table, m = t.length;
    if (m === 0) return undefined;
    let h = ctx?.hashKey() ?? Math.floor(Math.random() * 0x100000000);
    const attempt = ctx?.selectionAttempt ?? 0;
    // Envoy's MaglevTable::chooseHost: a re-pick (retry host predicate) xors the hash with 2^bits - attempt.
    if (attempt > 0) h = (h ^ -attempt) >>> 0;
    return this.hosts[t[h % m]];
  }
}
