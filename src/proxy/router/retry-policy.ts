// Compiled envoy.config.route.v3.RetryPolicy: retry_on conditions, retry count, per-try timeout, back-off, host predicate.

import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";

/** retry_on conditions as bits (Envoy router/retry_state_impl.cc parseRetryOn / parseRetryGrpcOn). */
export const RetryOn = {
  FiveXx: 1 << 0,
  GatewayError: 1 << 1,
  Reset: 1 << 2,
  ConnectFailure: 1 << 3,
  RefusedStream: 1 << 4,
  Retriable4xx: 1 << 5,
  RetriableStatusCodes: 1 << 6,
  GrpcCancelled: 1 << 7,
  GrpcDeadlineExceeded: 1 << 8,
  GrpcResourceExhausted: 1 << 9,
  GrpcUnavailable: 1 << 10,
  GrpcInternal: 1 << 11,
} as const;

const NAMES: Record<string, number> = {
  "5xx": RetryOn.FiveXx,
  "gateway-error": RetryOn.GatewayError,
  "reset": RetryOn.Reset,
  "connect-failure": RetryOn.ConnectFailure,
  "refused-stream": RetryOn.RefusedStream,
  "retriable-4xx": RetryOn.Retriable4xx,
  "retriable-status-codes": RetryOn.RetriableStatusCodes,
  "cancelled": RetryOn.GrpcCancelled,
  "deadline-exceeded": RetryOn.GrpcDeadlineExceeded,
  "resource-exhausted": RetryOn.GrpcResourceExhausted,
  "unavailable": RetryOn.GrpcUnavailable,
  "internal": RetryOn.GrpcInternal,
};

/** Conditions Envoy accepts that Weft treats as never matching (no HTTP/3, no rate-limit headers). */
const ACCEPTED_INERT = new Set(["envoy-ratelimited", "retriable-headers", "reset-before-request", "http3-post-connect-failure"]);

const PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";

/** Envoy's default retry back-off base interval; the max defaults to 10× the base. */
const DEFAULT_BASE_MS = 25;

/** Immutable; compiled once per RetryPolicy object. */
export interface RetryPolicy {
  readonly retryOn: number;
  readonly numRetries: number;
  /** 0 = no per-try timeout. */
  readonly perTryTimeoutMs: number;
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly retriableStatusCodes: ReadonlySet<number>;
  /** retry_host_predicate previous_hosts: avoid hosts already tried. */
  readonly avoidPreviousHosts: boolean;
  /** host_selection_retry_max_attempts (default 1). */
  readonly hostSelectionMaxAttempts: number;
}

const cache = new WeakMap<XdsObject, RetryPolicy>();

/** Compiles (once per decoded object) a RetryPolicy; throws PROXY_CONFIG_INVALID on an unknown condition or bad shape. */
export function compileRetryPolicy(resource: string, o: XdsObject): RetryPolicy {
  let p = cache.get(o);
  if (p !== undefined) return p;
  let retryOn = 0;
  for (const raw of (stringField(resource, o, "retry_on") ?? "").split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    const bit = NAMES[name];
    if (bit !== undefined) retryOn |= bit;
    else if (!ACCEPTED_INERT.has(name)) invalid(resource, `unknown retry_on condition ${name}`);
  }
  const backOff = objectField(resource, o, "retry_back_off");
  const baseIntervalMs = backOff ? durationMs(resource, backOff, "base_interval", DEFAULT_BASE_MS) : DEFAULT_BASE_MS;
  if (backOff && !(baseIntervalMs > 0)) invalid(resource, "retry_back_off.base_interval must be > 0");
  const maxIntervalMs = backOff ? durationMs(resource, backOff, "max_interval", baseIntervalMs * 10) : baseIntervalMs * 10;
  if (maxIntervalMs < baseIntervalMs) invalid(resource, "retry_back_off.max_interval must be >= base_interval");
  const codes = new Set<number>();
  for (const c of (o.retriable_status_codes ?? []) as unknown[]) codes.add(Number(c));
  let avoidPreviousHosts = false;
  for (const pred of arrayField(resource, o, "retry_host_predicate")) {
    if (pred.name === PREVIOUS_HOSTS) avoidPreviousHosts = true;
  }
  p = {
    retryOn,
    numRetries: wrapped(o, "num_retries", 1),
    perTryTimeoutMs: durationMs(resource, o, "per_try_timeout", 0),
    baseIntervalMs,
    maxIntervalMs,
    retriableStatusCodes: codes,
    avoidPreviousHosts,
    hostSelectionMaxAttempts: Number(o.host_selection_retry_max_attempts ?? 1),
  };
  cache.set(o, p);
  return p;
}

/** gRPC status codes (grpc-status) → retry_on bit. */
function grpcBit(status: number): number {
  switch (status) {
    case 1: return RetryOn.GrpcCancelled;
    case 4: return RetryOn.GrpcDeadlineExceeded;
    case 8: return RetryOn.GrpcResourceExhausted;
    case 13: return RetryOn.GrpcInternal;
    case 14: return RetryOn.GrpcUnavailable;
    default: return 0;
  }
}

/**
 * Envoy RetryStateImpl::wouldRetryFromHeaders: 5xx (any 5xx), gateway-error (502/503/504), retriable-4xx (409),
 * retriable-status-codes (the list), and the gRPC conditions from a grpc-status response header (trailers-only).
 * A response carrying x-envoy-overloaded is never retried.
 */
export function retriableResponse(p: RetryPolicy, status: number, headers: readonly string[]): boolean {
  const on = p.retryOn;
  let grpcStatus = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === "x-envoy-overloaded") return false;
    if (name === "grpc-status") grpcStatus = Number(headers[i + 1]);
  }
  if ((on & RetryOn.FiveXx) && status >= 500 && status < 600) return true;
  if ((on & RetryOn.GatewayError) && (status === 502 || status === 503 || status === 504)) return true;
  if ((on & RetryOn.Retriable4xx) && status === 409) return true;
  if ((on & RetryOn.RetriableStatusCodes) && p.retriableStatusCodes.has(status)) return true;
  if (grpcStatus > 0 && (on & grpcBit(grpcStatus))) return true;
  return false;
}

/** Why an attempt failed without a response. */
export const enum ResetReason { ConnectFailure, Reset, PerTryTimeout }

/**
 * Envoy RetryStateImpl::wouldRetryFromReset: a reset (or per-try timeout) retries under reset, 5xx and
 * gateway-error (counted as a 5xx); a connection failure also under connect-failure.
 */
export function retriableReset(p: RetryPolicy, reason: ResetReason): boolean {
  const on = p.retryOn;
  if (on & (RetryOn.Reset | RetryOn.FiveXx | RetryOn.GatewayError)) return true;
  return reason === ResetReason.ConnectFailure && (on & RetryOn.ConnectFailure) !== 0;
}

/**
 * Envoy's JitteredExponentialBackOffStrategy: the n-th back-off (n from 0) is uniform in [0, min(base·2ⁿ, max)),
 * capped at max ("full jitter").
 */
export function retryBackOffMs(p: RetryPolicy, retryIndex: number, random: () => number): number {
  let interval = p.baseIntervalMs;
  for (let i = 0; i < retryIndex && interval < p.maxIntervalMs; i++) interval = interval > p.maxIntervalMs / 2 ? p.maxIntervalMs : interval * 2;
  return Math.min(Math.floor(random() * interval), p.maxIntervalMs);
}
