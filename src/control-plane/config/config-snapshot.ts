// MemorySnapshot: an immutable ConfigSnapshot over a map of valid resources.

import { keyString, type ConfigResource, type ConfigSnapshot, type Diagnostic, type ResourceKey } from "./config-resource.js";

export class MemorySnapshot implements ConfigSnapshot {
  private readonly byKind = new Map<string, readonly ConfigResource[]>();

  constructor(
    readonly revision: number,
    private readonly resources: ReadonlyMap<string, ConfigResource>,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    const groups = new Map<string, ConfigResource[]>();
    for (const r of resources.values()) {
      const list = groups.get(r.kind);
      if (list) list.push(r);
      else groups.set(r.kind, [r]);
    }
    for (const [kind, list] of groups) {
      list.sort((a, b) => cmp(a.metadata.namespace, b.metadata.namespace) || cmp(a.metadata.name, b.metadata.name));
      this.byKind.set(kind, Object.freeze(list));
    }
    Object.freeze(this.diagnostics);
  }

  list<Spec = Record<string, unknown>>(kind: string): readonly ConfigResource<Spec>[] {
    return (this.byKind.get(kind) ?? []) as readonly ConfigResource<Spec>[];
  }

  get<Spec = Record<string, unknown>>(key: ResourceKey): ConfigResource<Spec> | undefined {
    return this.resources.get(keyString(key)) as ConfigResource<Spec> | undefined;
  }

  /** Every valid resource, keyed by `keyString`. */
  entries(): ReadonlyMap<string, ConfigResource> {
    return this.resources;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
