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
  /** The generated object it was encoded from (for reference checks), when built by a SnapshotBuilder. */
  readonly resource?: Record<string, unknown>;
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
const encodings = new WeakMap<object, HashedResource>();

/** A CachedResource with the two 32-bit halves of its digest, summed into order-independent type versions. */
interface HashedResource extends CachedResource {
  readonly typeUrl: string;
  readonly hi: number;
  readonly lo: number;
}

/**
 * Type resources by the identity of the input array they were built from: generators return the same memoised
 * array to every proxy of a scope, so those proxies share one TypeResources (one map, one version) per push.
 */
const typeResourcesByInput = new WeakMap<readonly ResourceInput[], { typeUrl: string; value: TypeResources }>();

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
      missingEndpoints: missingOnce(this.edsRefs, this.byType.get(ENDPOINT_TYPE)),
      missingRoutes: missingOnce(this.rdsRefs, this.byType.get(ROUTE_TYPE)),
    };
  }
}

/** Collects encoded types for one snapshot; each `add` encodes and hashes the resources (the expensive part of a push). */
export class SnapshotBuilder {
  private readonly byType = new Map<string, TypeResources>();
  private edsRefs: ReadonlySet<string> = NO_REFS;
  private rdsRefs: ReadonlySet<string> = NO_REFS;

  constructor(readonly triggeredAt: number | undefined) {}

  /**
   * Encodes `inputs` as the complete set of `typeUrl` resources. A later duplicate name replaces an earlier one.
   * Resource objects must not be mutated afterwards (their encoding is memoised by identity), nor the array (the
   * TypeResources built from it is memoised by identity too). Throws XDS_ENCODE.
   */
  add(typeUrl: string, inputs: readonly ResourceInput[]): this {
    const memo = typeResourcesByInput.get(inputs);
    const value = memo !== undefined && memo.typeUrl === typeUrl ? memo.value : typeResources(typeUrl, inputs);
    if (memo === undefined) typeResourcesByInput.set(inputs, { typeUrl, value });
    return this.reuse(typeUrl, value);
  }

  /** Takes a type's resources as they are (from an earlier snapshot): nothing is encoded or hashed again. */
  reuse(typeUrl: string, value: TypeResources): this {
    this.byType.set(typeUrl, value);
    if (typeUrl === CLUSTER_TYPE) this.edsRefs = refsOf(value, collectEdsRef);
    else if (typeUrl === LISTENER_TYPE) this.rdsRefs = refsOf(value, collectRdsRefs);
    return this;
  }

  build(): Snapshot {
    return new Snapshot(this.byType, this.edsRefs, this.rdsRefs, this.triggeredAt);
  }
}

const NO_REFS: ReadonlySet<string> = new Set();
const refsByTypeSet = new WeakMap<TypeResources, ReadonlySet<string>>();

/** The EDS (of a CDS set) or RDS (of an LDS set) names a type set references, collected once per set. */
function refsOf(value: TypeResources, collect: (r: CachedResource, out: Set<string>) => void): ReadonlySet<string> {
  let refs = refsByTypeSet.get(value);
  if (refs === undefined) {
    const out = new Set<string>();
    for (const r of value.resources.values()) collect(r, out);
    refsByTypeSet.set(value, (refs = out));
  }
  return refs;
}

const missingByPair = new WeakMap<ReadonlySet<string>, WeakMap<TypeResources, string[]>>();

/** `missing`, memoised per (references, type set) pair: proxies of a scope share both. */
function missingOnce(refs: ReadonlySet<string>, present: TypeResources | undefined): string[] {
  if (refs.size === 0) return [];
  if (present === undefined) return missing(refs, present);
  let byPresent = missingByPair.get(refs);
  if (byPresent === undefined) missingByPair.set(refs, (byPresent = new WeakMap()));
  let out = byPresent.get(present);
  if (out === undefined) byPresent.set(present, (out = missing(refs, present)));
  return [...out];
}

function typeResources(typeUrl: string, inputs: readonly ResourceInput[]): TypeResources {
  const resources = new Map<string, CachedResource>();
  for (const input of inputs) resources.set(input.name, hashedResource(typeUrl, input));
  return { version: versionOf(resources), resources };
}

function hashedResource(typeUrl: string, input: ResourceInput): HashedResource {
  const enc = encodings.get(input.resource);
  if (enc !== undefined && enc.typeUrl === typeUrl && enc.name === input.name) return enc;
  const any = enc !== undefined && enc.typeUrl === typeUrl ? enc.any : packAny(typeUrl, input.resource);
  const digest = createHash("sha1").update(typeUrl).update(any.value).digest();
  const named = createHash("sha1").update(input.name).update("\0").update(digest).digest();
  const out: HashedResource = {
    name: input.name, any, hash: digest.toString("hex"), typeUrl, hi: named.readUInt32BE(0), lo: named.readUInt32BE(4),
    resource: input.resource,
  };
  encodings.set(input.resource, out);
  return out;
}

/**
 * A version over names and resource hashes, independent of order: the sum, modulo 2^64, of a digest of each
 * (name, hash) pair (an additive multiset hash), so building it costs one addition per resource.
 */
export function versionOf(resources: ReadonlyMap<string, CachedResource>): string {
  let hi = 0;
  let lo = 0;
  for (const r of resources.values()) {
    const h = r as Partial<HashedResource>;
    let rh: number;
    let rl: number;
    if (h.hi !== undefined && h.lo !== undefined) { rh = h.hi; rl = h.lo; }
    else {
      const d = createHash("sha1").update(r.name).update("\0").update(r.hash).digest();
      rh = d.readUInt32BE(0);
      rl = d.readUInt32BE(4);
    }
    lo += rl;
    hi = (hi + rh + (lo >= 0x1_0000_0000 ? 1 : 0)) >>> 0;
    lo >>>= 0;
  }
  hi = (hi + resources.size) >>> 0;
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

function missing(refs: ReadonlySet<string>, present: TypeResources | undefined): string[] {
  const out: string[] = [];
  for (const name of refs) if (!present?.resources.has(name)) out.push(name);
  return out.sort();
}

/** An EDS cluster's EDS name: `eds_cluster_config.service_name`, else the cluster name (Envoy cluster.proto). */
function collectEdsRef(r: CachedResource, out: Set<string>): void {
  const c = r.resource;
  if (c === undefined || c.type !== "EDS") return;
  const eds = c.eds_cluster_config as { service_name?: string } | undefined;
  out.add(eds?.service_name || (c.name as string) || r.name);
}

/** RDS names used by HttpConnectionManagers in any filter chain (including the default one) of a listener. */
function collectRdsRefs(r: CachedResource, out: Set<string>): void {
  const listener = r.resource;
  if (listener === undefined) return;
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
