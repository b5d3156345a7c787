// ScaleProxy: a lightweight simulated Envoy on one ADS stream (SotW or delta) that ACKs, follows references and counts bytes.

import * as grpc from "@grpc/grpc-js";
import { aggregatedDiscoveryService, type DeltaDiscoveryRequest, type DiscoveryRequest, type XdsNode } from "../../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../src/xds/type-urls.js";
import { readDeltaResource, readFirstFieldName, readResponse, type WireResponse } from "./ads-wire.js";
import type { ChangeWatch } from "./change-watch.js";
import { deltaRefs, sotwRefs } from "./resource-refs.js";

export type XdsMode = "sotw" | "delta";

/** Wall-clock ms with sub-ms resolution, comparable between the load tool's processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

const RAW = (bytes: Buffer): Buffer => bytes;

/** What the worker reads from a proxy; `bytes` counts whole serialized response messages (no gRPC/HTTP/2 framing). */
export interface ScaleProxyStats {
  syncedAt: number | undefined;
  bytes: number;
  convergedAt: number | undefined;
  /** True while the armed step concerns this proxy and it has not converged. */
  waiting: boolean;
  /** Streams that ended and were reopened, and the first one's status. */
  reconnects: number;
  firstError: string | undefined;
}

/** Envoy's ADS retry back-off: exponential from 500 ms up to 30 s, fully jittered (config.core.v3.RetryPolicy defaults). */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/**
 * Starts like Envoy: wildcard CDS and LDS, then EDS for the names its EDS clusters reference and RDS for the route
 * names its HttpConnectionManagers reference. Every response is ACKed at once (the simulated proxy accepts
 * everything). Full sync: CDS and LDS ACKed, and every referenced EDS/RDS name received and ACKed (in SotW too,
 * EDS/RDS responses may carry only some of the subscribed resources: xDS protocol, "Resource types").
 * When the stream ends it is reopened after a jittered back-off, from scratch (a new stream sends the node again
 * and re-subscribes), as Envoy does. A step is armed with a ChangeWatch; the proxy has converged when it has ACKed
 * responses carrying all of the step's markers that concern its namespace.
 */
export abstract class ScaleProxy implements ScaleProxyStats {
  syncedAt: number | undefined;
  bytes = 0;
  convergedAt: number | undefined;
  reconnects = 0;
  firstError: string | undefined;
  private watch: ChangeWatch | undefined;
  private pending: Map<string, number> | undefined;
  private client: grpc.Client | undefined;
  private stream: grpc.ClientDuplexStream<unknown, Buffer> | undefined;
  private sentNode = false;
  private failures = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly node: XdsNode,
    readonly namespace: string,
    private readonly onResponseSeen: () => void,
  ) {}

  get waiting(): boolean {
    return this.pending !== undefined && this.pending.size > 0;
  }

  /** Starts counting bytes and watching for the markers of a new step. */
  arm(watch: ChangeWatch): void {
    this.bytes = 0;
    this.convergedAt = undefined;
    this.watch = watch;
    this.pending = watch.pendingFor(this.namespace);
  }

  start(client: grpc.Client): void {
    this.client = client;
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
  }

  /** The ADS method's path and request serializer. */
  protected abstract method(): { path: string; serialize: (request: never) => Buffer };
  /** Forgets per-stream state and sends the first requests on the new stream. */
  protected abstract begin(): void;
  /** Processes and ACKs one response. */
  protected abstract handle(response: WireResponse): void;

  protected write(request: unknown): void {
    this.stream!.write(request);
  }

  private open(): void {
    const m = this.method();
    const stream = this.client!.makeBidiStreamRequest<unknown, Buffer>(m.path, m.serialize as (r: unknown) => Buffer, RAW);
    this.stream = stream;
    this.sentNode = false;
    stream.on("data", (b: Buffer) => {
      if (this.stream !== stream) return;
      this.failures = 0;
      this.onRaw(b);
    });
    stream.on("error", () => undefined); // the status event below handles every ending
    stream.on("status", (st: grpc.StatusObject) => {
      if (this.closed || this.stream !== stream) return;
      this.reconnects++;
      this.firstError ??= `${grpc.status[st.code] ?? st.code}: ${st.details}`;
      const delay = Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.failures++);
      this.retryTimer = setTimeout(() => this.open(), delay);
    });
    this.begin();
  }

  private onRaw(bytes: Buffer): void {
    this.bytes += bytes.length;
    this.onResponseSeen();
    const response = readResponse(bytes);
    this.handle(response);
    if (this.pending && this.pending.size > 0 && response.resourceSpans.length > 0) {
      const spans = response.resourceSpans;
      this.watch!.scan(bytes, spans[0]!, spans[spans.length - 1]!, this.pending);
      if (this.pending.size === 0) this.convergedAt = epochMs();
    }
  }

  protected markSynced(): void {
    this.syncedAt ??= epochMs();
  }

  /** The node on a stream's first request only (xDS protocol: later requests may omit it). */
  protected nodeOnce(): XdsNode | null {
    if (this.sentNode) return null;
    this.sentNode = true;
    return this.node;
  }
}

const SOTW = aggregatedDiscoveryService.StreamAggregatedResources;
const WILDCARD: ReadonlySet<string> = new Set([CLUSTER_TYPE, LISTENER_TYPE]);

interface SotwTypeState {
  names: readonly string[];
  version: string;
  nonce: string;
  /** EDS/RDS names received so far (dropped once synced): SotW responses of these types may carry only some resources. */
  received: Set<string> | undefined;
}

export class SotwScaleProxy extends ScaleProxy {
  private readonly types = new Map<string, SotwTypeState>();

  protected method(): { path: string; serialize: (request: never) => Buffer } {
    return { path: SOTW.path, serialize: SOTW.requestSerialize };
  }

  protected begin(): void {
    this.types.clear();
    this.request(CLUSTER_TYPE, []);
    this.request(LISTENER_TYPE, []);
  }

  protected handle(response: WireResponse): void {
    const s = this.state(response.typeUrl);
    s.version = response.version;
    s.nonce = response.nonce;
    if (s.received) {
      const spans = response.resourceSpans;
      for (let i = 0; i < spans.length; i += 2) s.received.add(readFirstFieldName(response.bytes, spans[i]!, spans[i + 1]!));
    }
    this.request(response.typeUrl, s.names); // the ACK
    if (response.typeUrl === CLUSTER_TYPE) this.resubscribe(ENDPOINT_TYPE, sotwRefs(response));
    else if (response.typeUrl === LISTENER_TYPE) this.resubscribe(ROUTE_TYPE, sotwRefs(response));
    if (this.syncedAt === undefined && this.isSynced()) {
      for (const t of this.types.values()) t.received = undefined;
      this.markSynced();
    }
  }

  private isSynced(): boolean {
    if (!this.types.get(CLUSTER_TYPE)?.version || !this.types.get(LISTENER_TYPE)?.version) return false;
    for (const t of [ENDPOINT_TYPE, ROUTE_TYPE]) {
      const s = this.types.get(t);
      if (s && !s.names.every((n) => s.received!.has(n))) return false;
    }
    return true;
  }

  private state(typeUrl: string): SotwTypeState {
    let s = this.types.get(typeUrl);
    if (!s) this.types.set(typeUrl, (s = { names: [], version: "", nonce: "", received: this.syncedAt === undefined && !WILDCARD.has(typeUrl) ? new Set() : undefined }));
    return s;
  }

  private resubscribe(typeUrl: string, names: readonly string[]): void {
    const current = this.types.get(typeUrl);
    if (current === undefined ? names.length === 0 : sameNames(current.names, names)) return;
    this.request(typeUrl, names);
  }

  private request(typeUrl: string, names: readonly string[]): void {
    const s = this.state(typeUrl);
    s.names = names;
    this.write({ node: this.nodeOnce(), type_url: typeUrl, resource_names: names as string[], version_info: s.version, response_nonce: s.nonce } satisfies DiscoveryRequest);
  }
}

const DELTA = aggregatedDiscoveryService.DeltaAggregatedResources;

/** Union of referenced names per refs map, shared by every proxy holding the same (shared) map. */
const unions = new WeakMap<ReadonlyMap<string, readonly string[]>, readonly string[]>();

function unionOf(refs: ReadonlyMap<string, readonly string[]>): readonly string[] {
  let u = unions.get(refs);
  if (!u) {
    const set = new Set<string>();
    for (const names of refs.values()) for (const n of names) set.add(n);
    u = [...set].sort();
    unions.set(refs, u);
  }
  return u;
}

interface DeltaTypeState {
  responded: boolean;
  /** Subscribed names not received yet (dropped once synced). */
  awaiting: Set<string> | undefined;
  subscribed: readonly string[];
}

export class DeltaScaleProxy extends ScaleProxy {
  private readonly types = new Map<string, DeltaTypeState>();
  /** CDS resource → EDS names and LDS resource → RDS names; shared with other proxies until this one's differs. */
  private readonly refs = new Map<string, { map: ReadonlyMap<string, readonly string[]>; owned: boolean }>();

  protected method(): { path: string; serialize: (request: never) => Buffer } {
    return { path: DELTA.path, serialize: DELTA.requestSerialize };
  }

  protected begin(): void {
    this.types.clear();
    this.refs.clear();
    // Wildcard: the first request of a type with no names (xDS protocol, "How the client specifies what resources to return").
    this.request(CLUSTER_TYPE, [], []);
    this.request(LISTENER_TYPE, [], []);
  }

  protected handle(response: WireResponse): void {
    const typeUrl = response.typeUrl;
    const s = this.state(typeUrl);
    s.responded = true;
    this.write({ node: null, type_url: typeUrl, resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: response.nonce, error_detail: null } satisfies DeltaDiscoveryRequest);
    if (typeUrl === CLUSTER_TYPE) this.follow(CLUSTER_TYPE, ENDPOINT_TYPE, response);
    else if (typeUrl === LISTENER_TYPE) this.follow(LISTENER_TYPE, ROUTE_TYPE, response);
    else if (s.awaiting) {
      const spans = response.resourceSpans;
      for (let i = 0; i < spans.length; i += 2) s.awaiting.delete(readDeltaResource(response.bytes, spans[i]!, spans[i + 1]!).name);
      for (const name of response.removed) s.awaiting.delete(name);
    }
    if (this.syncedAt === undefined && this.isSynced()) {
      for (const t of this.types.values()) t.awaiting = undefined;
      this.markSynced();
    }
  }

  private isSynced(): boolean {
    if (!this.types.get(CLUSTER_TYPE)?.responded || !this.types.get(LISTENER_TYPE)?.responded) return false;
    for (const t of [ENDPOINT_TYPE, ROUTE_TYPE]) {
      const s = this.types.get(t);
      if (s && s.awaiting && s.awaiting.size > 0) return false;
    }
    return true;
  }

  /** Applies a CDS/LDS delta to the refs map, then subscribes to new referenced names and unsubscribes from dropped ones. */
  private follow(parentType: string, childType: string, response: WireResponse): void {
    const incoming = deltaRefs(response);
    const current = this.refs.get(parentType);
    let next: { map: ReadonlyMap<string, readonly string[]>; owned: boolean };
    if (!current && response.removed.length === 0) next = { map: incoming, owned: false };
    else {
      const map = current?.owned ? (current.map as Map<string, readonly string[]>) : new Map(current?.map);
      for (const [name, names] of incoming) map.set(name, names);
      for (const name of response.removed) map.delete(name);
      next = { map, owned: true };
      unions.delete(map);
    }
    this.refs.set(parentType, next);
    const wanted = unionOf(next.map);
    const s = this.state(childType);
    if (sameNames(s.subscribed, wanted)) return;
    const had = new Set(s.subscribed);
    const want = new Set(wanted);
    const subscribe = wanted.filter((n) => !had.has(n));
    const unsubscribe = s.subscribed.filter((n) => !want.has(n));
    s.subscribed = wanted;
    if (this.syncedAt === undefined) {
      s.awaiting ??= new Set();
      for (const n of subscribe) s.awaiting.add(n);
      for (const n of unsubscribe) s.awaiting.delete(n);
    }
    this.request(childType, subscribe, unsubscribe);
  }

  private state(typeUrl: string): DeltaTypeState {
    let s = this.types.get(typeUrl);
    if (!s) this.types.set(typeUrl, (s = { responded: false, awaiting: undefined, subscribed: [] }));
    return s;
  }

  private request(typeUrl: string, subscribe: string[], unsubscribe: string[]): void {
    this.write({
      node: this.nodeOnce(),
      type_url: typeUrl,
      resource_names_subscribe: subscribe,
      resource_names_unsubscribe: unsubscribe,
      initial_resource_versions: {},
      response_nonce: "",
      error_detail: null,
    } satisfies DeltaDiscoveryRequest);
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
