// Snapshot: one proxy's encoded xDS resources per type URL, each hashed once, with a version per type.

import { createHash } from "node:crypto";
import { packAny, type EncodedAny } from "../../xds/any.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";

/** A generated resource before encoding: `resource` is a packAny-ready plain object (Envoy JSON field names). */
export interface ResourceInput {
  name: string;
  resource: Record<string, unknown>;
}

/** One encoded resource. `hash` is a hex digest of its type URL and bytes, computed once when the snapshot is built. */
export interface CachedResource {
  readonly name: string;
  readonly any: EncodedAny;
  readonly hash: string;
}

/** All resources of one type in a snapshot. `version` changes exactly when a name or a resource's bytes change. */
export interface TypeResources {
  readonly version: string;
  readonly resources: ReadonlyMap<string, CachedResource>;
}

/** What a consistency check found missing (go-control-plane `Snapshot.Consistent`). Empty arrays when consistent. */
export interface ConsistencyReport {
  /** EDS names referenced by EDS clusters with no ClusterLoadAssignment in the snapshot. */
  missingEndpoints: string[];
  /** RDS names referenced by listeners' HttpConnectionManagers with no RouteConfiguration in the snapshot. */
  missingRoutes: string[];
}

/**
 * Encodings by resource object. Generators share immutable resource objects between proxies and pushes, so a
 * resource seen before is not encoded or hashed again (the bulk of a push's cost with many proxies).
 */
const encodings = new WeakMap<object, { any: EncodedAny; hash: string }>();

const EMPTY: TypeResources = { version: versionOf(new Map()), resources: new Map() };

/**
 * Immutable after `build()`. Types absent from the input behave as present and empty (so a client asking
 * for a type the generator does not produce gets an empty, versioned answer).
 */
export class Snapshot {
  /** Use `Snapshot.builder()`. */
  constructor(
    private readonly byType: ReadonlyMap<string, TypeResources>,
    private readonly edsRefs: ReadonlySet<string>,
    private readonly rdsRefs: ReadonlySet<string>,
    /** Monotonic ms (performance.now()) of the first config/registry event this snapshot answers; undefined when built for a connect. */
    readonly triggeredAt: number | undefined,
  ) {}

  /** Starts a snapshot; add each type's resources, then call `build()`. */
  static builder(triggeredAt?: number): SnapshotBuilder {
    return new SnapshotBuilder(triggeredAt);
  }

  /** The type URLs present in this snapshot. */
  types(): IterableIterator<string> {
    return this.byType.keys();
  }

  resources(typeUrl: string): TypeResources {
    return this.byType.get(typeUrl) ?? EMPTY;
  }

  version(typeUrl: string): string {
    return this.resources(typeUrl).version;
  }

  /** Checks that every referenced EDS and RDS name exists. */
  consistency(): ConsistencyReport {
    return {
      missingEndpoints: missing(this.edsRefs, this.byType.get(ENDPOINT_TYPE)),
      missingRoutes: missing(this.rdsRefs, this.byType.get(ROUTE_TYPE)),
    };
  }
}

/** Collects encoded types for one snapshot; each `add` encodes and hashes the resources (the expensive part of a push). */
export class SnapshotBuilder {
  private readonly byType = new Map<string, TypeResources>();
  private readonly edsRefs = new Set<string>();
  private readonly rdsRefs = new Set<string>();

  constructor(readonly triggeredAt: number | undefined) {}

  /**
   * Encodes `inputs` as the complete set of `typeUrl` resources. A later duplicate name replaces an earlier one.
   * Resource objects must not be mutated afterwards (their encoding is memoised by identity). Throws XDS_ENCODE.
   */
  add(typeUrl: string, inputs: readonly ResourceInput[]): this {
    const resources = new Map<string, CachedResource>();
    for (const input of inputs) {
      let enc = encodings.get(input.resource);
      if (!enc || enc.any.type_url !== typeUrl) {
        const any = packAny(typeUrl, input.resource);
        enc = { any, hash: createHash("sha1").update(typeUrl).update(any.value).digest("hex") };
        encodings.set(input.resource, enc);
      }
      resources.set(input.name, { name: input.name, any: enc.any, hash: enc.hash });
      if (typeUrl === CLUSTER_TYPE) collectEdsRef(input, this.edsRefs);
      else if (typeUrl === LISTENER_TYPE) collectRdsRefs(input.resource, this.rdsRefs);
    }
    this.byType.set(typeUrl, { version: versionOf(resources), resources });
    return this;
  }

  build(): Snapshot {
    return new Snapshot(this.byType, this.edsRefs, this.rdsRefs, this.triggeredAt);
  }
}

/** A short stable digest over names and resource hashes, independent of insertion order. */
export function versionOf(resources: ReadonlyMap<string, CachedResource>): string {
  const h = createHash("sha1");
  for (const name of [...resources.keys()].sort()) h.update(name).update("\0").update(resources.get(name)!.hash).update("\n");
  return h.digest("hex").slice(0, 16);
}

function missing(refs: ReadonlySet<string>, present: TypeResources | undefined): string[] {
  const out: string[] = [];
  for (const name of refs) if (!present?.resources.has(name)) out.push(name);
  return out.sort();
}

/** An EDS cluster's EDS name: `eds_cluster_config.service_name`, else the cluster name (Envoy cluster.proto). */
function collectEdsRef(input: ResourceInput, out: Set<string>): void {
  const c = input.resource;
  if (c.type !== "EDS") return;
  const eds = c.eds_cluster_config as { service_name?: string } | undefined;
  out.add(eds?.service_name || (c.name as string) || input.name);
}

/** RDS names used by HttpConnectionManagers in any filter chain (including the default one) of a listener. */
function collectRdsRefs(listener: Record<string, unknown>, out: Set<string>): void {
  const chains = [...((listener.filter_chains as unknown[] | undefined) ?? [])];
  if (listener.default_filter_chain) chains.push(listener.default_filter_chain);
  for (const chain of chains as { filters?: { typed_config?: Record<string, unknown> }[] }[]) {
    for (const f of chain.filters ?? []) {
      const tc = f.typed_config;
      if (tc?.["@type"] !== HCM_TYPE) continue;
      const name = (tc.rds as { route_config_name?: string } | undefined)?.route_config_name;
      if (name) out.add(name);
    }
  }
}
