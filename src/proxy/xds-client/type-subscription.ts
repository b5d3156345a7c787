// TypeSubscription: the client's state for one xDS resource type, shared by the SotW and delta protocols.

/** What a response changes once it is accepted: the complete resource set and per-resource versions. */
export interface MergedResources {
  resources: Map<string, Record<string, unknown>>;
  versions: Map<string, string>;
}

/**
 * What the client knows about one type: the subscription (names, or wildcard), the resources it holds
 * with their versions, the version of the last accepted response and the nonce of the last response seen.
 * Protocol-neutral: `SotwProtocol` and `DeltaProtocol` build requests from it and merge responses into it.
 * Mutated only by the AdsClient, on its event loop turn; readers (admin) treat it as read-only.
 */
export class TypeSubscription {
  /** Version of the last accepted response (SotW version_info, delta system_version_info); "" before the first. */
  acceptedVersion = "";
  /** Nonce of the most recent response on the current stream; "" on a fresh stream. */
  lastNonce = "";
  /** Subscribed resource names, sorted and unique; ignored when `wildcard`. */
  names: string[] = [];
  /** Currently applied resources by name, as decoded plain objects. */
  resources = new Map<string, Record<string, unknown>>();
  /** Version of each held resource (delta: the resource's own version; SotW: the response version that last carried it). */
  versions = new Map<string, string>();
  /** When each resource was last updated (for config_dump's last_updated). */
  updatedAt = new Map<string, Date>();
  lastError: { version: string; message: string; at: Date } | undefined;

  constructor(
    readonly typeUrl: string,
    /** LDS and CDS are wildcard subscriptions; RDS and EDS name what they want. */
    readonly wildcard: boolean,
  ) {}

  /**
   * Changes the subscribed names. Returns what was added and removed, or undefined when nothing changed.
   * Resources of removed names are dropped at once (they are no longer part of the config the client holds).
   */
  setNames(names: readonly string[]): { added: string[]; removed: string[] } | undefined {
    const next = [...new Set(names)].sort();
    const before = new Set(this.names);
    const wanted = new Set(next);
    const added = next.filter((n) => !before.has(n));
    const removed = this.names.filter((n) => !wanted.has(n));
    if (added.length === 0 && removed.length === 0) return undefined;
    this.names = next;
    for (const name of removed) this.forget(name);
    return { added, removed };
  }

  /** Adopts an accepted response: the merged set becomes what the client holds. */
  commit(merged: MergedResources, responseVersion: string): void {
    const now = new Date();
    for (const [name, resource] of merged.resources) {
      if (this.resources.get(name) !== resource) this.updatedAt.set(name, now);
    }
    for (const name of this.updatedAt.keys()) if (!merged.resources.has(name)) this.updatedAt.delete(name);
    this.resources = merged.resources;
    this.versions = merged.versions;
    this.acceptedVersion = responseVersion;
    this.lastError = undefined;
  }

  /** Records a rejected response; what the client holds does not change. */
  reject(responseVersion: string, message: string): void {
    this.lastError = { version: responseVersion, message, at: new Date() };
  }

  private forget(name: string): void {
    this.resources.delete(name);
    this.versions.delete(name);
    this.updatedAt.delete(name);
  }
}
