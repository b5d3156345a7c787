// SubscriptionState: the per-(stream, type URL) subscription and ACK/NACK state machine shared by SotW and delta xDS, as pure functions.

/** The last response sent on this (stream, type). */
export interface SentResponse {
  readonly version: string;
  readonly nonce: string;
  readonly time: number;
}

/** The last NACK received: the version it rejected and Envoy's error_detail message. */
export interface NackRecord {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly time: number;
}

/**
 * Immutable; every transition returns a new value. SotW and delta differ only in how a request changes it
 * (`onRequest` / `onDeltaRequest`); what to send is `diff` for both (STYLE habit 3).
 */
export interface SubscriptionState {
  /** Subscribed to every resource of the type (xDS protocol, "How the client specifies what resources to return"). */
  readonly wildcard: boolean;
  /** Explicitly subscribed names, sorted and unique (with a SotW wildcard: empty). */
  readonly names: readonly string[];
  /**
   * Resource name → version (resource hash) the client holds: what this stream sent it, or, for delta, what it
   * declared in `initial_resource_versions`. Updated on send, so a NACKed version is not sent again.
   */
  readonly known: ReadonlyMap<string, string>;
  readonly sent?: SentResponse;
  /** True from a send until the ACK or NACK carrying its nonce. */
  readonly pending: boolean;
  /** Version of the last ACKed response ("" before the first ACK). */
  readonly ackedVersion: string;
  /** Kept after later ACKs, for debugging (syncz). */
  readonly lastNack?: NackRecord;
}

/** The parts of a SotW DiscoveryRequest the state machine reads. `errorMessage` is set iff error_detail was present. */
export interface RequestView {
  readonly resourceNames: readonly string[];
  readonly responseNonce: string;
  readonly errorMessage?: string;
}

/** The parts of a DeltaDiscoveryRequest the state machine reads. */
export interface DeltaRequestView {
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialVersions: Readonly<Record<string, string>>;
  readonly responseNonce: string;
  readonly errorMessage?: string;
}

/**
 * initial: first request for the type on this stream (or, SotW, an empty-nonce request). update: delta
 * subscription change without a nonce. ack / nack: answers the latest response. stale: answers an older one.
 */
export type RequestKind = "initial" | "update" | "ack" | "nack" | "stale";

/** none: send nothing. changes: send what `diff` finds, if anything. always: send even if `diff` finds nothing. */
export type Respond = "none" | "changes" | "always";

export interface Transition {
  readonly state: SubscriptionState;
  readonly kind: RequestKind;
  readonly respond: Respond;
}

const NOTHING: ReadonlyMap<string, string> = new Map();

/**
 * Applies one SotW request (xDS protocol, "ACK/NACK and resource type instance version"):
 * - no state, or an empty nonce: a (re)subscription: record names, forget what was sent, respond with everything.
 * - nonce ≠ the last sent nonce: stale, ignored entirely (names included), since a newer response is in flight.
 * - nonce = last sent, error_detail present: NACK. Record it; do not respond (the same version is not resent,
 *   the next push with different content is).
 * - nonce = last sent, no error: ACK of that version. Respond if the resource names changed (with the
 *   resources the client does not hold yet).
 */
export function onRequest(prev: SubscriptionState | undefined, req: RequestView, wildcardType: boolean, now: number): Transition {
  const wildcard = wildcardType && (req.resourceNames.length === 0 || req.resourceNames.includes("*"));
  // Clients repeat the full name list on every ACK (thousands of EDS names): skip the sort when nothing changed.
  const names = wildcard ? [] : prev !== undefined && !prev.wildcard && sameNameSet(req.resourceNames, prev.names) ? prev.names : normalize(req.resourceNames);
  if (!prev || req.responseNonce === "") {
    return { kind: "initial", respond: "always", state: { pending: false, ackedVersion: "", ...prev, wildcard, names, known: NOTHING } };
  }
  if (!prev.sent || req.responseNonce !== prev.sent.nonce) return { kind: "stale", respond: "none", state: prev };
  const namesChanged = wildcard !== prev.wildcard || !sameNames(names, prev.names);
  const known = namesChanged && !wildcard ? restrict(prev.known, names) : prev.known;
  if (req.errorMessage !== undefined) {
    const lastNack: NackRecord = { version: prev.sent.version, nonce: prev.sent.nonce, message: req.errorMessage, time: now };
    return { kind: "nack", respond: "none", state: { ...prev, wildcard, names, known, pending: false, lastNack } };
  }
  return {
    kind: "ack",
    respond: namesChanged ? "always" : "none",
    state: { ...prev, wildcard, names, known, pending: false, ackedVersion: prev.sent.version },
  };
}

/**
 * Applies one delta request (xDS protocol, "Incremental xDS"). Subscription changes apply whatever the nonce,
 * since delta requests carry changes, not the full set:
 * - the first request of a type takes `initial_resource_versions` as what the client holds; for LDS/CDS an empty
 *   subscribe list there means wildcard (the legacy rule, "How the client specifies what resources to return");
 * - `*` in subscribe / unsubscribe turns the wildcard on / off;
 * - an unsubscribed name is forgotten (under a wildcard it is marked unknown, so the next response says whether it
 *   still exists, as go-control-plane does).
 * The first wildcard request is always answered, even empty (Envoy waits for it to finish initialising);
 * otherwise a subscription change is answered only if it yields something to send.
 */
export function onDeltaRequest(prev: SubscriptionState | undefined, req: DeltaRequestView, wildcardType: boolean, now: number): Transition {
  if (prev && req.subscribe.length === 0 && req.unsubscribe.length === 0) {
    // A plain ACK/NACK (the common case): nothing to copy.
    return deltaAnswer(prev, prev, "none", req, now);
  }
  let wildcard = prev ? prev.wildcard : wildcardType && req.subscribe.length === 0;
  const names = new Set(prev?.names);
  const known = new Map(prev ? prev.known : Object.entries(req.initialVersions));
  let changed = !prev;
  for (const name of req.subscribe) {
    if (name === "*") {
      changed ||= !wildcard;
      wildcard = true;
    } else if (!names.has(name)) {
      names.add(name);
      changed = true;
    }
  }
  for (const name of req.unsubscribe) {
    if (name === "*") {
      if (!wildcard) continue;
      wildcard = false;
      for (const k of known.keys()) if (!names.has(k)) known.delete(k);
      changed = true;
    } else if (names.delete(name)) {
      if (wildcard) known.set(name, "");
      else known.delete(name);
      changed = true;
    }
  }
  const base: SubscriptionState = { pending: false, ackedVersion: "", ...prev, wildcard, names: [...names].sort(), known };
  const respond: Respond = !prev && wildcard ? "always" : changed ? "changes" : "none";
  if (!prev) return { kind: "initial", respond, state: base };
  return deltaAnswer(prev, base, respond, req, now);
}

/** The nonce part of a delta request: update (no nonce), stale, NACK or ACK of the latest response. */
function deltaAnswer(prev: SubscriptionState, base: SubscriptionState, respond: Respond, req: DeltaRequestView, now: number): Transition {
  if (req.responseNonce === "") return { kind: "update", respond, state: base };
  if (!prev.sent || req.responseNonce !== prev.sent.nonce) return { kind: "stale", respond, state: base };
  if (req.errorMessage !== undefined) {
    const lastNack: NackRecord = { version: prev.sent.version, nonce: prev.sent.nonce, message: req.errorMessage, time: now };
    return { kind: "nack", respond, state: { ...base, pending: false, lastNack } };
  }
  return { kind: "ack", respond, state: { ...base, pending: false, ackedVersion: prev.sent.version } };
}

/** What a response for a state must carry, by name. */
export interface Diff {
  /** Available resources whose hash the client does not hold. */
  readonly updated: string[];
  /** Names the client holds that are gone: every known one under a wildcard, else the subscribed ones. */
  readonly removed: string[];
}

export const NO_DIFF: Diff = Object.freeze({ updated: [], removed: [] }) as unknown as Diff;

/**
 * As `diff`, when the client is known to hold exactly an earlier type set and `delta` lists the names that
 * differ between that set and `available`: only those names are compared.
 */
export function diffAmong(state: SubscriptionState, available: ReadonlyMap<string, { readonly hash: string }>, delta: readonly string[]): Diff {
  const updated: string[] = [];
  const removed: string[] = [];
  for (const name of delta) if (state.wildcard || hasName(state.names, name)) compareName(state, available, name, updated, removed);
  return { updated, removed };
}

/** One subscribed name: updated when the client holds another hash (or none), removed when it is gone. */
function compareName(state: SubscriptionState, available: ReadonlyMap<string, { readonly hash: string }>, name: string, updated: string[], removed: string[]): void {
  const r = available.get(name);
  if (r) {
    if (state.known.get(name) !== r.hash) updated.push(name);
  } else if (state.known.has(name)) {
    removed.push(name);
  }
}

/** Whether sorted unique `names` include every name of `set`. */
export function coversAll(names: readonly string[], set: ReadonlyMap<string, unknown>): boolean {
  if (names.length < set.size) return false;
  for (const name of set.keys()) if (!hasName(names, name)) return false;
  return true;
}

/** Binary search in sorted unique names. */
export function hasName(names: readonly string[], name: string): boolean {
  let lo = 0;
  let hi = names.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = names[mid]!;
    if (v === name) return true;
    if (v < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Compares what the client holds with `available` (the snapshot's resources of the type). */
export function diff(state: SubscriptionState, available: ReadonlyMap<string, { readonly hash: string }>): Diff {
  const updated: string[] = [];
  const removed: string[] = [];
  if (state.wildcard) {
    for (const [name, r] of available) if (state.known.get(name) !== r.hash) updated.push(name);
    for (const name of state.known.keys()) if (!available.has(name)) removed.push(name);
    return { updated, removed };
  }
  for (const name of state.names) compareName(state, available, name, updated, removed);
  return { updated, removed };
}

/** The resources one response carried: `[name, hash]` pairs; `complete` when it replaces everything the client holds. */
export interface SentContent {
  readonly resources: readonly (readonly [string, string])[];
  readonly removed: readonly string[];
  readonly complete: boolean;
}

/** Records a response just sent: it is pending, and the client now holds its resources. */
export function onSent(prev: SubscriptionState, sent: SentResponse, content: SentContent, exactly?: ReadonlyMap<string, { readonly hash: string }>): SubscriptionState {
  // The client now holds exactly a shared type set: remember it by reference (no per-proxy copy of its names).
  if (exactly !== undefined) return { ...prev, sent, pending: true, known: new TypeSetView(exactly) };
  let known: Map<string, string>;
  if (content.complete) {
    known = new OwnedKnown(content.resources);
  } else {
    // The map is updated in place when this state machine created it: a push of one resource to a proxy holding
    // thousands must not copy them all. The previous state must not be used afterwards (callers replace it).
    known = prev.known instanceof OwnedKnown ? prev.known : new OwnedKnown(prev.known);
    for (const name of content.removed) known.delete(name);
    for (const [name, hash] of content.resources) known.set(name, hash);
  }
  // Responses only carry subscribed names (diff walks them), so no restriction to `names` is needed here.
  return { ...prev, sent, pending: true, known };
}

/**
 * What a client holds when that is exactly one type set: name → hash read through the set itself, so thousands of
 * proxies holding the same set share it. Read-only; a later partial send copies it into an OwnedKnown.
 */
export class TypeSetView implements ReadonlyMap<string, string> {
  constructor(private readonly set: ReadonlyMap<string, { readonly hash: string }>) {}
  get size(): number { return this.set.size; }
  get(name: string): string | undefined { return this.set.get(name)?.hash; }
  has(name: string): boolean { return this.set.has(name); }
  keys(): MapIterator<string> { return this.set.keys(); }
  *entries(): MapIterator<[string, string]> { for (const [name, r] of this.set) yield [name, r.hash]; }
  *values(): MapIterator<string> { for (const r of this.set.values()) yield r.hash; }
  [Symbol.iterator](): MapIterator<[string, string]> { return this.entries(); }
  forEach(fn: (value: string, key: string, map: ReadonlyMap<string, string>) => void): void {
    for (const [name, r] of this.set) fn(r.hash, name, this);
  }
}

/** A known-versions map owned by one subscription state (safe to update in place on the next send). */
class OwnedKnown extends Map<string, string> {}

/** Whether `raw` (a request's names, in any order, maybe repeated) is exactly the sorted unique set `names`. */
function sameNameSet(raw: readonly string[], names: readonly string[]): boolean {
  if (raw.length !== names.length) return false;
  let sorted = true;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== names[i]) { sorted = false; break; }
  }
  if (sorted) return true;
  const set = new Set(raw);
  if (set.size !== names.length) return false;
  for (const n of names) if (!set.has(n)) return false;
  return true;
}

function restrict(known: ReadonlyMap<string, string>, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names) {
    const v = known.get(name);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

/** Sorted unique copies of the frozen (shared, see xds/request-names.ts) name lists requests carry. */
const normalized = new WeakMap<readonly string[], string[]>();

function normalize(names: readonly string[]): string[] {
  if (!Object.isFrozen(names)) return [...new Set(names)].sort();
  let out = normalized.get(names);
  if (out === undefined) normalized.set(names, (out = [...new Set(names)].sort()));
  return out;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
