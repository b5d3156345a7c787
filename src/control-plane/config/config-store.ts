// ConfigStore: per-file validation results merged into snapshots with last-good, duplicate and change detection.

import { isDeepStrictEqual } from "node:util";
import { keyString, type ConfigResource, type Diagnostic, type ResourceKey } from "./config-resource.js";
import { MemorySnapshot } from "./config-snapshot.js";
import type { LoadedFile } from "./resource-loader.js";
import { checkReferences } from "./reference-checker.js";
import { checkDelegates } from "./validate-delegates.js";

export interface StoreCommit {
  readonly snapshot: MemorySnapshot;
  /** Keys whose valid version was added, updated or removed; empty when only diagnostics changed (or nothing). */
  readonly changed: readonly ResourceKey[];
}

/**
 * Holds the latest LoadedFile of every file and the published resources. Not thread-safe by design (one owner:
 * the source). Rules: the first definition of a key (file path order, then position) wins, later ones get
 * CONFIG_DUPLICATE; a key whose new version is invalid, or whose file no longer parses, keeps its last valid version.
 */
export class ConfigStore {
  private readonly files = new Map<string, LoadedFile>();
  private current: MemorySnapshot = new MemorySnapshot(0, new Map(), []);

  /** `domain` resolves short host names for the cross-reference warnings (istioctl analyze IST0101). */
  constructor(private readonly opts: { domain: string } = { domain: "cluster.local" }) {}

  setFile(loaded: LoadedFile): void {
    this.files.set(loaded.file, loaded);
  }

  removeFile(file: string): void {
    this.files.delete(file);
  }

  hasFile(file: string): boolean {
    return this.files.has(file);
  }

  snapshot(): MemorySnapshot {
    return this.current;
  }

  /**
   * Recomputes the view from all files; publishes a new snapshot only when resources or diagnostics changed.
   * Diagnostics include the cross-reference warnings of the valid resources.
   */
  commit(): StoreCommit {
    const previous = this.current.entries();
    const next = new Map<string, ConfigResource>();
    const rejected = new Set<string>();
    const diagnostics: Diagnostic[] = [];
    const paths = [...this.files.keys()].sort();
    for (const path of paths) {
      const loaded = this.files.get(path)!;
      diagnostics.push(...loaded.diagnostics);
      for (const entry of [...loaded.entries].sort((a, b) => a.position - b.position)) {
        const k = keyString(entry.key);
        if (!entry.resource) {
          rejected.add(k);
          continue;
        }
        const first = next.get(k);
        if (first) {
          diagnostics.push({
            severity: "error", code: "CONFIG_DUPLICATE", file: path, line: entry.resource.source.line,
            kind: entry.key.kind, namespace: entry.key.namespace, name: entry.key.name, field: "metadata.name",
            reason: `duplicate ${entry.key.kind} ${entry.key.namespace}/${entry.key.name}: first defined at ${first.source.file}:${first.source.line}`,
          });
          continue;
        }
        next.set(k, entry.resource);
      }
    }
    for (const [k, old] of previous) {
      if (next.has(k)) continue;
      const origin = this.files.get(old.source.file);
      if (rejected.has(k) || (origin && origin.hasUnidentifiedErrors)) next.set(k, old);
    }
    const changed: ResourceKey[] = [];
    for (const [k, r] of next) {
      const old = previous.get(k);
      if (!old || !isDeepStrictEqual(old.spec, r.spec) || !isDeepStrictEqual(old.metadata, r.metadata)) changed.push(keyOf(r));
    }
    for (const [k, old] of previous) if (!next.has(k)) changed.push(keyOf(old));
    const candidate = new MemorySnapshot(0, next, []);
    diagnostics.push(...checkReferences(candidate, { domain: this.opts.domain }), ...checkDelegates(candidate));
    if (changed.length > 0 || !isDeepStrictEqual(diagnostics, this.current.diagnostics)) {
      // Unchanged resources keep their previous object so consumers can compare by identity.
      for (const [k, r] of next) {
        const old = previous.get(k);
        if (old && old !== r && isDeepStrictEqual(old.spec, r.spec) && isDeepStrictEqual(old.metadata, r.metadata) && isDeepStrictEqual(old.source, r.source)) next.set(k, old);
      }
      this.current = new MemorySnapshot(this.current.revision + 1, next, diagnostics);
    }
    return { snapshot: this.current, changed };
  }
}

function keyOf(r: ConfigResource): ResourceKey {
  return { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name };
}
