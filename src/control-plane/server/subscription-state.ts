// SubscriptionState: the per-(stream, type URL) ACK/NACK state machine of SotW xDS, as pure functions.

/** The last response sent on this (stream, type). `digest` identifies its content (see AdsServer). */
export interface SentResponse {
  readonly version: string;
  readonly nonce: string;
  readonly digest: string;
  readonly time: number;
}

/** The last NACK received: the version it rejected and Envoy's error_detail message. */
export interface NackRecord {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly time: number;
}

/** Immutable; every transition returns a new value. */
export interface SubscriptionState {
  /** LDS/CDS with no names (or "*") subscribe to everything (xDS protocol, "How the client specifies what resources to return"). */
  readonly wildcard: boolean;
  /** Requested names, sorted and unique; ignored when `wildcard`. */
  readonly names: readonly string[];
  readonly sent?: SentResponse;
  /** True from a send until the ACK or NACK carrying its nonce. */
  readonly pending: boolean;
  /** Version of the last ACKed response ("" before the first ACK). */
  readonly ackedVersion: string;
  /** Kept after later ACKs, for debugging (syncz). */
  readonly lastNack?: NackRecord;
}

/** The parts of a DiscoveryRequest the state machine reads. `errorMessage` is set iff error_detail was present. */
export interface RequestView {
  readonly resourceNames: readonly string[];
  readonly responseNonce: string;
  readonly errorMessage?: string;
}

/**
 * initial: first request for the type on this stream, or an empty-nonce request (respond).
 * ack / nack: the request answers the latest response. stale: answers an older response (ignored).
 */
export type RequestKind = "initial" | "ack" | "nack" | "stale";

export interface Transition {
  readonly state: SubscriptionState;
  readonly kind: RequestKind;
  /** The server must send the current resources for `state`'s names now, even if unchanged. */
  readonly respond: boolean;
}

/**
 * Applies one request (xDS protocol, "ACK/NACK and resource type instance version"):
 * - no state, or an empty nonce: a (re)subscription: record names and respond.
 * - nonce ≠ the last sent nonce: stale, ignored entirely (names included), since a newer response is in flight.
 * - nonce = last sent, error_detail present: NACK. Record it; do not respond (the same version is not resent,
 *   the next push with different content is).
 * - nonce = last sent, no error: ACK of that version. Respond only if the resource names changed.
 */
export function onRequest(prev: SubscriptionState | undefined, req: RequestView, wildcardType: boolean, now: number): Transition {
  const wildcard = wildcardType && (req.resourceNames.length === 0 || req.resourceNames.includes("*"));
  const names = wildcard ? [] : normalize(req.resourceNames);
  if (!prev || req.responseNonce === "") {
    return { kind: "initial", respond: true, state: { pending: false, ackedVersion: "", ...prev, wildcard, names } };
  }
  if (!prev.sent || req.responseNonce !== prev.sent.nonce) return { kind: "stale", respond: false, state: prev };
  const namesChanged = wildcard !== prev.wildcard || !sameNames(names, prev.names);
  if (req.errorMessage !== undefined) {
    const lastNack: NackRecord = { version: prev.sent.version, nonce: prev.sent.nonce, message: req.errorMessage, time: now };
    return { kind: "nack", respond: false, state: { ...prev, wildcard, names, pending: false, lastNack } };
  }
  return { kind: "ack", respond: namesChanged, state: { ...prev, wildcard, names, pending: false, ackedVersion: prev.sent.version } };
}

/** Records a response just sent. */
export function onSent(prev: SubscriptionState, sent: SentResponse): SubscriptionState {
  return { ...prev, sent, pending: true };
}

/** Whether a cache change must be pushed: content differs from the last response (a NACKed one included). */
export function needsPush(state: SubscriptionState, digest: string): boolean {
  return state.sent?.digest !== digest;
}

function normalize(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
