// PushRequest: what changed since the last push (Istio model.PushRequest ConfigsUpdated), merged over a debounced burst.

import { keyString, type ResourceKey } from "../config/config-resource.js";
import type { WorkloadInstance } from "./workload-instance.js";

/** A workload that registered or left with its proxy's connection (auto-registration). */
export interface WorkloadEvent {
  proxyId: string;
  workload: WorkloadInstance;
}

/** Immutable once taken from a PushRequestBuilder. */
export interface PushRequest {
  /** Changed config resources (added, updated or removed), by keyString. */
  readonly configs: ReadonlyMap<string, ResourceKey>;
  /** Workloads that joined or left since the last push. */
  readonly workloads: readonly WorkloadEvent[];
  /** True when something changed that cannot be scoped: every proxy gets every type. */
  readonly full: boolean;
}

/** Accumulates events between two pushes; the push loop `take()`s the merged request when a burst fires. */
export class PushRequestBuilder {
  private configs = new Map<string, ResourceKey>();
  private workloads: WorkloadEvent[] = [];
  private full = false;

  addConfigs(keys: readonly ResourceKey[]): void {
    for (const k of keys) this.configs.set(keyString(k), k);
  }

  addWorkload(proxyId: string, workload: WorkloadInstance): void {
    this.workloads.push({ proxyId, workload });
  }

  markFull(): void {
    this.full = true;
  }

  /** The request merged since the last `take()`; starts a new, empty one. */
  take(): PushRequest {
    const r: PushRequest = { configs: this.configs, workloads: this.workloads, full: this.full };
    this.configs = new Map();
    this.workloads = [];
    this.full = false;
    return r;
  }
}
