// Request mirroring (RouteAction.request_mirror_policies): fire-and-forget copies to a shadow cluster with a "-shadow" authority.

import { arrayField, invalid, stringField, type XdsObject } from "../config/xds-fields.js";
import { ALWAYS, fractionalPercent, rollFractionalPercent, type FractionalPercent } from "../config/fractional-percent.js";
import type { DataPlane } from "../http/data-plane.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { ClusterAction } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { newUpstreamAttempt, type UpstreamAttempt } from "./upstream-attempt.js";

/** Body bytes a shadow queues while it connects; beyond this the shadow is dropped (it never slows the main request). */
const MAX_SHADOW_PENDING = 1024 * 1024;

export interface MirrorPolicy {
  readonly cluster: string;
  /** runtime_fraction.default_value (100% when unset). */
  readonly fraction: FractionalPercent;
  /** disable_shadow_host_suffix_append. */
  readonly keepHost: boolean;
}

/** Injectable for tests: the draw for runtime_fraction. */
export const shadowRandom = { next: Math.random };

/** Compiles RouteAction.request_mirror_policies (cluster names only: cluster_header is refused). */
export function compileMirrorPolicies(resource: string, routeAction: XdsObject): MirrorPolicy[] {
  return arrayField(resource, routeAction, "request_mirror_policies").map((m) => {
    const cluster = stringField(resource, m, "cluster") ?? "";
    if (cluster === "") invalid(resource, "request mirror policy needs a cluster");
    const rf = m.runtime_fraction as XdsObject | undefined;
    return {
      cluster,
      fraction: rf ? fractionalPercent(resource, rf.default_value, ALWAYS) : ALWAYS,
      keepHost: m.disable_shadow_host_suffix_append === true,
    };
  });
}

/**
 * Envoy's shadow authority: "-shadow" appended to the host part, before any port
 * (Http::Utility shadowAppendedHost: "foo" → "foo-shadow", "foo:8080" → "foo-shadow:8080", "[::1]:80" → "[::1]-shadow:80").
 */
export function shadowHost(host: string): string {
  let portAt = -1;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close !== -1 && host[close + 1] === ":") portAt = close + 1;
  } else {
    const colon = host.lastIndexOf(":");
    if (colon !== -1 && /^[0-9]+$/.test(host.slice(colon + 1))) portAt = colon;
  }
  return portAt === -1 ? `${host}-shadow` : `${host.slice(0, portAt)}-shadow${host.slice(portAt)}`;
}

/** Starts the shadows whose fraction rolls in and whose cluster exists; `early` is the body received so far. */
export function startShadows(
  mirrors: readonly MirrorPolicy[],
  main: UpstreamRequestStream,
  action: ClusterAction,
  hasBody: boolean,
  dataPlane: DataPlane,
  early: readonly Buffer[] | null,
): ShadowRequest[] {
  const out: ShadowRequest[] = [];
  for (const m of mirrors) {
    if (!rollFractionalPercent(m.fraction, shadowRandom.next)) continue;
    const cluster = dataPlane.cluster(m.cluster);
    if (cluster === undefined) continue;
    const shadow = new ShadowRequest(shadowHead(main.head, m.keepHost), main.requestEnded, early, main.downstreamHttp2);
    shadow.attempt = newUpstreamAttempt(shadow, cluster, action, hasBody);
    shadow.attempt.start();
    out.push(shadow);
  }
  return out;
}

function shadowHead(head: RequestHead, keepHost: boolean): RequestHead {
  const headers = head.headers.slice();
  const host = keepHost ? head.host : shadowHost(head.host);
  if (!keepHost) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === "host" || headers[i] === ":authority") headers[i + 1] = host;
  }
  return { ...head, headers, host };
}

/**
 * One shadow exchange. It reports to itself: the response is read and dropped, failures are ignored, upstream
 * backpressure never pauses the downstream, and nothing is retried. The main request only feeds it body bytes.
 */
export class ShadowRequest implements UpstreamRequestStream {
  attempt: UpstreamAttempt | null = null;
  private pending: Buffer[] | null;
  private pendingBytes = 0;
  private ended: boolean;
  private done = false;

  constructor(readonly head: RequestHead, requestEnded: boolean, early: readonly Buffer[] | null, readonly downstreamHttp2: boolean | undefined) {
    this.ended = requestEnded;
    this.pending = early === null ? null : early.slice();
    if (early !== null) for (const c of early) this.pendingBytes += c.length;
  }

  get requestEnded(): boolean { return this.ended; }

  writeBody(chunk: Buffer): void {
    const a = this.attempt;
    if (this.done || a === null) return;
    if (a.attached) {
      a.writeBody(chunk);
      return;
    }
    (this.pending ??= []).push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_SHADOW_PENDING) this.abort();
  }

  endBody(): void {
    this.ended = true;
    const a = this.attempt;
    if (!this.done && a !== null && a.attached) a.endBody();
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.pending = null;
    this.attempt?.abort();
  }

  takePendingBody(): Buffer[] | null {
    const p = this.pending;
    this.pending = null;
    this.pendingBytes = 0;
    return p;
  }

  pauseReading(): void {}
  resumeReading(): void {}
  setResponseFlag(): void {}
  setUpstream(): void {}
  onResponseHead(_head: ResponseHead): boolean { return false; }
  onResponseData(): void {}
  onResponseEnd(): void { this.done = true; }
  flushResponse(): void {}
  upstreamFailure(): void { this.done = true; this.pending = null; }
}
