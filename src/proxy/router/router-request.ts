// RouterRequest: the router between the ActiveStream and its upstream attempts: retries (Envoy RetryState), global timeout, shadows.

import { ResponseFlag } from "../http/stream-info.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { DataPlane } from "../http/data-plane.js";
import type { Cluster, Host } from "../upstream/cluster.js";
import type { LbContext } from "../upstream/lb/lb-context.js";
import { OutlierResult } from "../upstream/outlier/host-outlier-state.js";
import type { XdsObject } from "../config/xds-fields.js";
import type { ClusterAction, RouteEntry } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { newUpstreamAttempt, type UpstreamAttempt } from "./upstream-attempt.js";
import { compileRetryPolicy, ResetReason, retriableReset, retriableResponse, retryBackOffMs, type RetryPolicy } from "./retry-policy.js";
import { compileMirrorPolicies, startShadows, type ShadowRequest } from "./shadow-request.js";
import { setHeader } from "./header-mutation.js";
import { compileHashPolicy, computeHash, type HashPolicy, type SetCookieSink } from "./hash-policy.js";
import { DeadlineEntry, TimeoutQueue } from "./timeout-queue.js";
import { Logger } from "../../shared/logger.js";

const log = new Logger("router");

/** Request body bytes kept for retries when the route sets no per_request_buffer_limit_bytes (Envoy's 1 MiB default buffer limit). */
export const DEFAULT_RETRY_BUFFER_LIMIT = 1024 * 1024;

/** What the router compiled for one RouteAction (cached per action object). */
interface RouterPolicy {
  readonly retry: RetryPolicy | undefined;
  /** The action each attempt runs with: the per-try timeout in place of the route timeout (0 = none). */
  readonly attemptAction: ClusterAction;
  readonly mirrors: ReturnType<typeof compileMirrorPolicies>;
  readonly bufferLimit: number;
  /** VirtualHost.include_request_attempt_count: x-envoy-attempt-count on each upstream try. */
  readonly includeAttemptCount: boolean;
  /** VirtualHost.include_attempt_count_in_response: x-envoy-attempt-count on the downstream response. */
  readonly includeAttemptCountInResponse: boolean;
  /** RouteAction.hash_policy, for consistent-hash load balancers. */
  readonly hash: HashPolicy | undefined;
}

const policies = new WeakMap<XdsObject, RouterPolicy | null>();

const NO_SHADOWS: readonly ShadowRequest[] = [];

/** Body bytes queued for an attempt that is not connected yet, beyond which the downstream is paused (as ActiveStream does). */
const MAX_PENDING_BODY = 1024 * 1024;

/** Global route timeouts of requests that have a RouterRequest (attempts then carry only their per-try timeout). */
const routeTimeouts = new TimeoutQueue();

/** Injectable for tests: the jitter source of retry back-offs. */
export const routerRandom = { next: Math.random };

/**
 * The exchange the ActiveStream drives: a plain UpstreamAttempt when the route has neither a retry policy nor mirrors
 * (no overhead), else a RouterRequest. A policy that fails to compile is logged once and ignored.
 */
export function newRouterRequest(
  stream: UpstreamRequestStream,
  cluster: Cluster,
  action: ClusterAction,
  hasBody: boolean,
  route: RouteEntry,
  dataPlane: DataPlane,
): UpstreamAttempt {
  let policy = routerPolicy(action, route);
  if (policy === null) {
    // ORIGINAL_DST clusters pick from the request (LbContext.originalDestination), so they need a RouterRequest.
    if (cluster.config.lb.policy !== "CLUSTER_PROVIDED") return newUpstreamAttempt(stream, cluster, action, hasBody);
    policy = passthroughPolicy(action, route);
  }
  return new RouterRequest(stream, cluster, action, hasBody, policy, dataPlane);
}

const passthroughPolicies = new WeakMap<XdsObject, RouterPolicy>();

/** The policy of a route with neither retries, mirrors nor hashing, when it still needs a RouterRequest. */
function passthroughPolicy(action: ClusterAction, route: RouteEntry): RouterPolicy {
  let p = passthroughPolicies.get(action.raw);
  if (p === undefined) {
    p = newPolicy(action, route, undefined, [], undefined);
    passthroughPolicies.set(action.raw, p);
  }
  return p;
}

function newPolicy(
  action: ClusterAction,
  route: RouteEntry,
  retry: RetryPolicy | undefined,
  mirrors: ReturnType<typeof compileMirrorPolicies>,
  hash: HashPolicy | undefined,
): RouterPolicy {
  const vh = route.virtualHostRaw;
  let perTry = retry?.perTryTimeoutMs ?? 0;
  // A per-try timeout not shorter than the route timeout is the route timeout (Envoy router.cc).
  if (action.timeoutMs > 0 && perTry >= action.timeoutMs) perTry = 0;
  return {
    retry,
    attemptAction: { ...action, timeoutMs: perTry },
    mirrors,
    bufferLimit: bufferLimit(route.raw),
    includeAttemptCount: vh.include_request_attempt_count === true,
    includeAttemptCountInResponse: vh.include_attempt_count_in_response === true,
    hash,
  };
}

/** RouteAction.hash_policy compiled; a malformed one is logged and ignored (requests then hash at random). */
function routeHashPolicy(where: string, raw: XdsObject): HashPolicy | undefined {
  try {
    return compileHashPolicy(`${where}: hash_policy`, raw);
  } catch (err) {
    log.warn("ignoring invalid hash_policy", { route: where, error: (err as Error).message });
    return undefined;
  }
}

function routerPolicy(action: ClusterAction, route: RouteEntry): RouterPolicy | null {
  const raw = action.raw;
  let p = policies.get(raw);
  if (p !== undefined) return p;
  const where = `route ${route.name}`;
  try {
    const vh = route.virtualHostRaw;
    const retryRaw = (raw.retry_policy ?? vh.retry_policy) as XdsObject | undefined;
    const retry = retryRaw ? compileRetryPolicy(`${where}: retry_policy`, retryRaw) : undefined;
    const mirrors = compileMirrorPolicies(`${where}: request_mirror_policies`, raw);
    const hash = routeHashPolicy(where, raw);
    p = retry === undefined && mirrors.length === 0 && hash === undefined ? null : newPolicy(action, route, retry, mirrors, hash);
  } catch (err) {
    log.warn("ignoring invalid retry/mirror policy", { route: route.name, error: (err as Error).message });
    p = null;
  }
  policies.set(raw, p);
  return p;
}

/** Route.per_request_buffer_limit_bytes (a UInt32Value), else the default. */
function bufferLimit(route: XdsObject): number {
  const v = route.per_request_buffer_limit_bytes;
  if (v === undefined || v === null) return DEFAULT_RETRY_BUFFER_LIMIT;
  return Number(typeof v === "object" ? (v as XdsObject).value : v);
}

export class RouterRequest extends DeadlineEntry implements UpstreamAttempt, UpstreamRequestStream, LbContext, SetCookieSink {
  private attempt: UpstreamAttempt | null = null;
  /** An attempt whose retriable response is being dropped until its abort (same tick). */
  private discarding: UpstreamAttempt | null = null;
  private attemptCount = 0;
  private retriesLeft: number;
  /** A retry was granted and holds one of the cluster's max_retries slots until the next decision (Envoy RetryState). */
  private retryArmed = false;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** Every body chunk so far, for replaying to a retry (null before the first chunk and once over the limit). */
  private replay: Buffer[] | null = null;
  private replayBytes = 0;
  /** The body outgrew the buffer limit: it cannot be replayed, so no more retries. */
  private replayOverflow = false;
  /** Chunks not yet handed to the current attempt (while it connects or during a back-off). */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  /** The downstream was paused because `pending` grew past MAX_PENDING_BODY. */
  private pendingPaused = false;
  private triedHosts: string[] | null = null;
  /** The host of the latest attempt (outlier detection hears of a global timeout through it). */
  private attemptHost: Host | undefined;
  private shadows: readonly ShadowRequest[] = NO_SHADOWS;
  private responseStarted = false;
  private done = false;
  private started = false;
  /** hashKey() was computed (once per request, so retries hash alike). */
  private hashed = false;
  private hash: number | undefined;
  /** Set-Cookie values generated by a cookie hash policy, added to the response head. */
  private setCookies: string[] | null = null;
  /** LbContext: the re-pick number within selectHost (consistent-hash pickers step away from the hash by it). */
  selectionAttempt = 0;

  constructor(
    private readonly stream: UpstreamRequestStream,
    private readonly cluster: Cluster,
    private readonly action: ClusterAction,
    private readonly hasBody: boolean,
    private readonly policy: RouterPolicy,
    private readonly dataPlane: DataPlane,
  ) {
    super();
    this.retriesLeft = policy.retry?.numRetries ?? 0;
  }

  // ---- towards the ActiveStream (UpstreamAttempt) ----

  /** Always true once started: body chunks are taken (and buffered for replay) from then on. */
  get attached(): boolean { return this.started; }

  start(): void {
    this.started = true;
    if (this.action.timeoutMs > 0) routeTimeouts.arm(this, this.action.timeoutMs, performance.now());
    const early = this.stream.takePendingBody();
    if (early !== null) {
      this.pending = early;
      for (const c of early) this.recordReplay(c);
    }
    if (this.policy.mirrors.length > 0) {
      this.shadows = startShadows(this.policy.mirrors, this.stream, this.action, this.hasBody, this.dataPlane, early);
    }
    this.startAttempt();
  }

  writeBody(chunk: Buffer): void {
    for (const s of this.shadows) s.writeBody(chunk);
    const a = this.attempt;
    this.recordReplay(chunk);
    if (a !== null && a.attached) {
      a.writeBody(chunk);
      return;
    }
    (this.pending ??= []).push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BODY && !this.pendingPaused) {
      this.pendingPaused = true;
      this.stream.pauseReading();
    }
  }

  endBody(): void {
    for (const s of this.shadows) s.endBody();
    const a = this.attempt;
    if (a !== null && a.attached) a.endBody();
  }

  pauseResponse(): void { this.attempt?.pauseResponse(); }
  resumeResponse(): void { this.attempt?.resumeResponse(); }

  abort(): void {
    if (this.done) return;
    const a = this.attempt;
    this.cleanup();
    a?.abort();
    // Shadows of a request whose body never completed cannot finish; complete ones run on (fire and forget).
    if (!this.stream.requestEnded) for (const s of this.shadows) s.abort();
  }

  // ---- towards each attempt (UpstreamRequestStream) ----

  get head(): RequestHead { return this.stream.head; }
  get requestEnded(): boolean { return this.stream.requestEnded; }
  get downstreamHttp2(): boolean | undefined { return this.stream.downstreamHttp2; }

  takePendingBody(): Buffer[] | null {
    const p = this.pending;
    this.pending = null;
    this.pendingBytes = 0;
    if (this.pendingPaused) {
      this.pendingPaused = false;
      this.stream.resumeReading();
    }
    return p;
  }

  pauseReading(): void { this.stream.pauseReading(); }
  resumeReading(): void { this.stream.resumeReading(); }
  setResponseFlag(flag: number): void { this.stream.setResponseFlag(flag); }

  setUpstream(cluster: string, host: string): void {
    if (host !== "" && this.policy.retry?.avoidPreviousHosts) (this.triedHosts ??= []).push(host);
    this.stream.setUpstream(cluster, host);
  }

  /** LbContext: the request's hash from the route's hash_policy, computed on first use; undefined without a key. */
  hashKey(): number | undefined {
    if (this.hashed) return this.hash;
    this.hashed = true;
    const policy = this.policy.hash;
    if (policy !== undefined) this.hash = computeHash(policy, this.stream.head, this.stream.downstreamSocket, this);
    return this.hash;
  }

  /** SetCookieSink: a cookie generated by the hash policy goes on the response. */
  addSetCookie(headerValue: string): void {
    (this.setCookies ??= []).push(headerValue);
  }

  /**
   * LbContext for ORIGINAL_DST clusters: the original_dst_lb_config header when use_http_header is set and the request
   * has it (invalid values fail the pick, as Envoy), else the request's authority when it is a literal IP (default
   * port 80): Weft's outbound listener learns the destination from the authority, where Envoy restores it from
   * SO_ORIGINAL_DST; the connection's local address would be the proxy itself.
   */
  originalDestination(): string | undefined {
    const lb = this.cluster.config.lb;
    const head = this.stream.head;
    if (lb.originalDstUseHeader) {
      const h = head.headers;
      for (let i = 0; i < h.length; i += 2) if (h[i] === lb.originalDstHeader) return h[i + 1];
    }
    const authority = head.host;
    if (authority === "") return undefined;
    const bracket = authority.lastIndexOf("]");
    return authority.lastIndexOf(":") > bracket ? authority : `${authority}:80`;
  }

  /**
   * Host selection with retry_host_predicate previous_hosts: re-pick up to host_selection_retry_max_attempts times.
   * A retry after a CDS/EDS update picks from the hosts now in force (as Envoy's retries go through the current
   * thread-local cluster), never from the closed hosts of the version the request started with.
   */
  selectHost(started: Cluster): Host | undefined {
    const cluster = started.state.current ?? started;
    this.selectionAttempt = 0;
    let host = cluster.chooseHost(this);
    const retry = this.policy.retry;
    const tried = this.triedHosts;
    if (retry !== undefined && tried !== null) {
      for (let i = 0; i < retry.hostSelectionMaxAttempts && host !== undefined && tried.includes(host.key); i++) {
        this.selectionAttempt = i + 1;
        host = cluster.chooseHost(this);
      }
    }
    this.attemptHost = host;
    return host;
  }

  onResponseHead(head: ResponseHead, serviceTimeMs: number): boolean {
    if (this.done) return false;
    // A 101 starts a tunnel: the route timeout covered the handshake only (Envoy #41075 disarms it on the upgrade response).
    if (head.status === 101) routeTimeouts.cancel(this);
    const retry = this.policy.retry;
    if (retry !== undefined && retriableResponse(retry, head.status, head.headers)) {
      if (this.tryRetry()) {
        // Envoy resets the upstream stream of a retried response; deferred so the connection's parser unwinds first.
        const a = this.attempt!;
        this.discarding = a;
        this.attempt = null;
        queueMicrotask(() => {
          a.abort();
          if (this.discarding === a) this.discarding = null;
        });
        return false;
      }
    } else {
      this.releaseRetry(true);
    }
    // From here on nothing is retried: the replay copy of the body is no longer needed.
    this.responseStarted = true;
    this.replay = null;
    this.replayOverflow = true;
    if (this.policy.includeAttemptCountInResponse) head.headers.push("x-envoy-attempt-count", String(this.attemptCount));
    const cookies = this.setCookies;
    if (cookies !== null) for (const c of cookies) head.headers.push("set-cookie", c);
    return this.stream.onResponseHead(head, serviceTimeMs);
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    if (this.discarding === null && !this.done) this.stream.onResponseData(buf, start, end);
  }

  onResponseTrailers(trailers: string[]): void {
    if (this.discarding === null && !this.done) this.stream.onResponseTrailers?.(trailers);
  }

  onResponseEnd(): void {
    if (this.discarding !== null) {
      this.discarding = null;
      return;
    }
    if (this.done) return;
    this.cleanup();
    this.stream.onResponseEnd();
  }

  flushResponse(): void {
    if (this.discarding === null && !this.done) this.stream.flushResponse();
  }

  upstreamFailure(status: number, body: string, flag: number): void {
    if (this.discarding !== null) {
      this.discarding = null;
      return;
    }
    if (this.done) return;
    const reason = resetReason(flag);
    if (!this.responseStarted && status !== 0 && reason !== undefined && this.policy.retry !== undefined && retriableReset(this.policy.retry, reason)) {
      this.attempt = null;
      if (this.tryRetry()) return;
    }
    this.cleanup();
    this.stream.upstreamFailure(status, body, flag);
  }

  // ---- retries ----

  /**
   * Envoy RetryStateImpl::shouldRetry for a retriable outcome: false (and URX / UO flags) when the retries are
   * exhausted, the body cannot be replayed or the cluster's max_retries is reached; else arms the back-off timer.
   */
  private tryRetry(): boolean {
    this.releaseRetry(false);
    const stats = this.cluster.stats;
    if (this.retriesLeft === 0) {
      stats.upstream_rq_retry_limit_exceeded++;
      this.stream.setResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
      return false;
    }
    if (this.hasBody && this.replayOverflow) return false;
    this.retriesLeft--;
    const retries = this.cluster.state.resources.retries;
    if (!retries.canCreate()) {
      stats.upstream_rq_retry_overflow++;
      this.stream.setResponseFlag(ResponseFlag.UpstreamOverflow);
      return false;
    }
    retries.inc();
    this.retryArmed = true;
    stats.upstream_rq_retry++;
    const delay = retryBackOffMs(this.policy.retry!, this.attemptCount - 1, routerRandom.next);
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.done) return;
      this.pending = this.replay === null ? null : this.replay.slice();
      this.pendingBytes = this.replayBytes;
      this.startAttempt();
    }, delay);
    return true;
  }

  /** Gives the retry slot back; `success`: the retried attempt's response was not retriable (upstream_rq_retry_success). */
  private releaseRetry(success: boolean): void {
    if (!this.retryArmed) return;
    this.retryArmed = false;
    this.cluster.state.resources.retries.dec();
    if (success) this.cluster.stats.upstream_rq_retry_success++;
  }

  private startAttempt(): void {
    this.discarding = null;
    this.attemptCount++;
    if (this.policy.includeAttemptCount) setHeader(this.stream.head.headers, "x-envoy-attempt-count", String(this.attemptCount));
    const a = newUpstreamAttempt(this, this.cluster, this.policy.attemptAction, this.hasBody);
    this.attempt = a;
    a.start();
  }

  /** The route timeout (RouteAction.timeout) spans every attempt and back-off: 504 UT. */
  onDeadline(): void {
    if (this.done) return;
    const a = this.attempt;
    this.cluster.stats.upstream_rq_timeout++;
    // The attempt in flight had its connection and timed out waiting for its response: a local-origin timeout for
    // outlier detection (Envoy router.cc); an attempt still queued in the pool, or in back-off, says nothing about the host.
    if (a !== null && a.attached && !this.responseStarted) this.attemptHost?.outlier?.putResult(OutlierResult.LocalOriginTimeout, 504);
    this.cleanup();
    a?.abort();
    this.stream.upstreamFailure(504, "upstream request timeout", ResponseFlag.UpstreamRequestTimeout);
  }

  private recordReplay(chunk: Buffer): void {
    if (this.replayOverflow) return;
    (this.replay ??= []).push(chunk);
    this.replayBytes += chunk.length;
    if (this.replayBytes > this.policy.bufferLimit) {
      this.replayOverflow = true;
      this.replay = null;
    }
  }

  private cleanup(): void {
    if (this.done) return;
    this.done = true;
    this.attempt = null;
    routeTimeouts.cancel(this);
    if (this.backoffTimer !== undefined) clearTimeout(this.backoffTimer);
    this.releaseRetry(false);
    this.replay = null;
    this.replayOverflow = true;
    this.pending = null;
  }
}

/** The reset reason behind an attempt's failure flag; undefined for failures that are never retried (no healthy host). */
function resetReason(flag: number): ResetReason | undefined {
  switch (flag) {
    case ResponseFlag.UpstreamConnectionFailure: return ResetReason.ConnectFailure;
    case ResponseFlag.UpstreamConnectionTermination:
    case ResponseFlag.UpstreamProtocolError:
    case ResponseFlag.UpstreamRemoteReset: return ResetReason.Reset;
    case ResponseFlag.UpstreamRequestTimeout: return ResetReason.PerTryTimeout;
    default: return undefined;
  }
}
