// SnapshotCache: the latest Snapshot per proxy id, notifying watchers of the types that changed.

import { Logger } from "../../shared/logger.js";
import type { Snapshot } from "./snapshot.js";

const log = new Logger("cache");

/** Called synchronously from `set` with the new snapshot and the type URLs whose version changed (never empty). */
export type SnapshotWatcher = (snapshot: Snapshot, changedTypes: readonly string[]) => void;

/**
 * Keyed by proxy id. Callers: the push loop `set`s; ADS streams `watch` their proxy id.
 * A snapshot is never mutated after `set`.
 */
export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watchers = new Map<string, Set<SnapshotWatcher>>();
  private readonly inconsistency = new Map<string, string>();

  /**
   * Stores `snapshot` for `proxyId` and returns the types whose version differs from the previous snapshot
   * (all of the snapshot's types when there was none). Watchers hear only about changed types. An inconsistent
   * snapshot (an EDS or RDS name referenced but absent) is stored anyway and logged once per distinct problem;
   * Istio does not block pushes on it either.
   */
  set(proxyId: string, snapshot: Snapshot): readonly string[] {
    const previous = this.snapshots.get(proxyId);
    this.snapshots.set(proxyId, snapshot);
    this.checkConsistency(proxyId, snapshot);
    const changed = changedTypes(previous, snapshot);
    if (changed.length === 0) return changed;
    const watchers = this.watchers.get(proxyId);
    if (watchers) for (const w of [...watchers]) w(snapshot, changed);
    return changed;
  }

  get(proxyId: string): Snapshot | undefined {
    return this.snapshots.get(proxyId);
  }

  /** Forgets a proxy's snapshot (its watchers stay registered until they unwatch). */
  delete(proxyId: string): void {
    this.snapshots.delete(proxyId);
    this.inconsistency.delete(proxyId);
  }

  /** Registers a watcher for one proxy id; returns the function that removes it. */
  watch(proxyId: string, watcher: SnapshotWatcher): () => void {
    let set = this.watchers.get(proxyId);
    if (!set) this.watchers.set(proxyId, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(proxyId) === set) this.watchers.delete(proxyId);
    };
  }

  private checkConsistency(proxyId: string, snapshot: Snapshot): void {
    const { missingEndpoints, missingRoutes } = snapshot.consistency();
    if (missingEndpoints.length === 0 && missingRoutes.length === 0) {
      this.inconsistency.delete(proxyId);
      return;
    }
    const text = `eds=${missingEndpoints.join(",")} rds=${missingRoutes.join(",")}`;
    if (this.inconsistency.get(proxyId) === text) return;
    this.inconsistency.set(proxyId, text);
    log.warn("inconsistent snapshot: referenced resources missing", { proxy: proxyId, missingEndpoints, missingRoutes });
  }
}

function changedTypes(previous: Snapshot | undefined, next: Snapshot): string[] {
  const types = new Set(next.types());
  if (previous) for (const t of previous.types()) types.add(t);
  const out: string[] = [];
  for (const t of types) if (previous?.version(t) !== next.version(t)) out.push(t);
  return out;
}
