// The HTTP filter contract (after envoy/http/filter.h): decode/encode header hooks, callbacks, and config factories.

import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { StreamInfo } from "../http/stream-info.js";
import type { RouteEntry } from "../router/route-entry.js";
import type { Cluster } from "../upstream/cluster.js";
import type { HttpConnectionManagerStats } from "../stats/proxy-stats.js";

/** What a hook tells the FilterManager: go on to the next filter, or wait for callbacks.continueDecoding(). */
export const FilterStatus = { Continue: 0, StopIteration: 1 } as const;
export type FilterStatus = (typeof FilterStatus)[keyof typeof FilterStatus];

/** Given to each filter instance; valid for the life of one request. */
export interface HttpFilterCallbacks {
  readonly streamInfo: StreamInfo;
  /** Resumes decoding after a hook returned StopIteration (call at most once per stop). */
  continueDecoding(): void;
  /**
   * Ends the request with a locally generated response; later filters and the router are skipped.
   * `headers` (flat [name, value, ...] lower-case pairs) are added to the reply; encoder filters still run on it.
   */
  sendLocalReply(status: number, body: string, responseFlags?: number, headers?: string[]): void;
  /** The route the request matches (resolved once, on first call, then cached), or undefined (no route). */
  route(): RouteEntry | undefined;
  /** A cluster of the proxy by name (filters that call out, e.g. ext_authz); absent in unit tests that need none. */
  cluster?(name: string): Cluster | undefined;
}

/**
 * One filter instance per request. Hooks run in chain order for requests (decode) and in reverse order for
 * responses (encode). encodeHeaders may edit the response head but cannot stop it. Body bytes stream through
 * without filter hooks. onStreamComplete runs once when the response is done or the stream was reset
 * (the place for access logs and metrics: streamInfo holds the response flags and code).
 */
export interface HttpFilter {
  decodeHeaders?(head: RequestHead, endStream: boolean): FilterStatus;
  encodeHeaders?(head: ResponseHead, endStream: boolean): void;
  onStreamComplete?(): void;
}

/** Built once per filter config (per listener update); creates the per-request filter. */
export interface HttpFilterFactory {
  create(callbacks: HttpFilterCallbacks): HttpFilter;
}

/**
 * Registered per typed_config `@type` URL. `terminal` marks the router-like filter that must be last and
 * that the HCM handles itself (its createFilterFactory returns null). `stats` are the connection manager's
 * (`http.<stat_prefix>.*`), where filters count (e.g. `fault.aborts_injected`). Throws PROXY_CONFIG_INVALID on bad config.
 */
export interface HttpFilterConfigFactory {
  readonly terminal: boolean;
  createFilterFactory(typedConfig: Record<string, unknown>, resourceName: string, stats: HttpConnectionManagerStats): HttpFilterFactory | null;
}
