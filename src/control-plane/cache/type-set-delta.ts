// typeSetDelta: the names whose resource differs between two type sets, computed once per pair and shared.

import type { TypeResources } from "./snapshot.js";

const deltas = new WeakMap<TypeResources, WeakMap<TypeResources, readonly string[]>>();

/**
 * Names added, removed or changed (by hash) from `from` to `to`. Proxies of one scope share type sets, so a push
 * to thousands of them computes this once per scope rather than once per proxy.
 */
export function typeSetDelta(from: TypeResources, to: TypeResources): readonly string[] {
  let byTo = deltas.get(from);
  if (byTo === undefined) deltas.set(from, (byTo = new WeakMap()));
  let delta = byTo.get(to);
  if (delta === undefined) {
    const out: string[] = [];
    for (const [name, r] of to.resources) if (from.resources.get(name)?.hash !== r.hash) out.push(name);
    for (const name of from.resources.keys()) if (!to.resources.has(name)) out.push(name);
    delta = out;
    byTo.set(to, delta);
  }
  return delta;
}
