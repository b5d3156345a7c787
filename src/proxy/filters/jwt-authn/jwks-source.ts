// Where a provider's keys come from: inline (local_jwks) or a JWKS URI fetched over HTTP(S), cached and shared (remote_jwks).

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Logger } from "../../../shared/logger.js";
import { Jwks } from "./jwks.js";
import { JwtStatus } from "./jwt-status.js";

/** The counters a fetch increments (`http.<stat_prefix>.jwt_authn.jwks_fetch_*`). */
export interface JwksFetchStats {
  jwt_authn_jwks_fetch_success: number;
  jwt_authn_jwks_fetch_failed: number;
}

/** The keys of one provider. Implementations never leave a returned promise pending longer than their fetch timeout. */
export interface JwksSource {
  /** The current key set, or why there is none (JwksNoValidKeys for a bad inline set, JwksFetchFail). */
  keys(stats: JwksFetchStats): Promise<Jwks | JwtStatus>;
  /**
   * After a JWT's kid/alg matched no key: a fresh key set (the issuer may have rotated), or undefined when the
   * source will not refetch now (inline keys, or the last fetch is too recent).
   */
  refetch(stats: JwksFetchStats): Promise<Jwks | JwtStatus> | undefined;
  /** Called when a filter config naming the source is built: remote_jwks.async_fetch starts fetching here. */
  warm(stats: JwksFetchStats): void;
}

const log = new Logger("jwt_authn");

/** local_jwks.inline_string: parsed once; an invalid set makes every token fail with JwksNoValidKeys (Envoy). */
export class LocalJwksSource implements JwksSource {
  private readonly result: Promise<Jwks | JwtStatus>;

  constructor(inline: string, resource: string) {
    const jwks = Jwks.parse(inline);
    if (jwks === undefined) log.warn("invalid inline jwks: tokens for this provider will fail", { resource });
    this.result = Promise.resolve(jwks ?? JwtStatus.JwksNoValidKeys);
  }

  keys(): Promise<Jwks | JwtStatus> { return this.result; }
  refetch(): undefined { return undefined; }
  warm(): void {}
}

export interface RemoteJwksOptions {
  readonly uri: string;
  /** http_uri.timeout. */
  readonly timeoutMs: number;
  /** remote_jwks.cache_duration (Envoy's default: 10 minutes). */
  readonly cacheMs: number;
  /** remote_jwks.async_fetch set: fetched ahead of requests, and an expired set is served while it is refreshed. */
  readonly asyncFetch: boolean;
  /** The least time between fetches caused by an unknown kid. */
  readonly kidRefetchIntervalMs: number;
}

/** With async_fetch, how long after a failed refresh the stale keys are served before trying again (Envoy's failed_refetch_duration default). */
const FAILED_REFETCH_MS = 1_000;
/** Largest JWKS document accepted. */
const MAX_JWKS_BYTES = 1 << 20;

/**
 * remote_jwks. Weft fetches `http_uri.uri` directly (node:http / node:https, no redirects), not through
 * `http_uri.cluster` as Envoy does. Concurrent requests share one fetch; a fetch ends (success or JwksFetchFail)
 * within timeoutMs. A failed fetch is retried by the next request that needs keys.
 */
export class RemoteJwksSource implements JwksSource {
  private jwks: Jwks | undefined;
  private fetchedAt = -Infinity;
  private failedAt = -Infinity;
  private inflight: Promise<Jwks | JwtStatus> | undefined;

  constructor(private readonly opts: RemoteJwksOptions) {}

  keys(stats: JwksFetchStats): Promise<Jwks | JwtStatus> {
    const age = performance.now() - this.fetchedAt;
    if (this.jwks !== undefined && age < this.opts.cacheMs) return Promise.resolve(this.jwks);
    if (this.jwks !== undefined && this.opts.asyncFetch) {
      // Background refresh: the request goes on with the keys it has.
      if (performance.now() - this.failedAt >= FAILED_REFETCH_MS) void this.fetch(stats);
      return Promise.resolve(this.jwks);
    }
    return this.fetch(stats);
  }

  refetch(stats: JwksFetchStats): Promise<Jwks | JwtStatus> | undefined {
    if (this.inflight !== undefined) return this.inflight;
    if (performance.now() - this.fetchedAt < this.opts.kidRefetchIntervalMs) return undefined;
    return this.fetch(stats);
  }

  warm(stats: JwksFetchStats): void {
    if (this.opts.asyncFetch && this.jwks === undefined) void this.fetch(stats);
  }

  /** Starts (or joins) a fetch. */
  fetch(stats: JwksFetchStats): Promise<Jwks | JwtStatus> {
    if (this.inflight !== undefined) return this.inflight;
    const p = getText(this.opts.uri, this.opts.timeoutMs).then(
      (text) => Jwks.parse(text) ?? Promise.reject(new Error("response is not a JWKS with usable keys")),
    ).then((jwks) => {
      stats.jwt_authn_jwks_fetch_success++;
      this.jwks = jwks;
      this.fetchedAt = performance.now();
      return jwks;
    }, (err: Error) => {
      stats.jwt_authn_jwks_fetch_failed++;
      this.failedAt = performance.now();
      log.warn("jwks fetch failed", { uri: this.opts.uri, error: err.message });
      return JwtStatus.JwksFetchFail;
    }).finally(() => { this.inflight = undefined; });
    this.inflight = p;
    return p;
  }
}

/** One RemoteJwksSource per distinct remote_jwks config, shared by every listener and kept across config updates. */
const remoteSources = new Map<string, RemoteJwksSource>();

export function remoteJwksSource(opts: RemoteJwksOptions): RemoteJwksSource {
  const key = `${opts.uri}\n${opts.timeoutMs}\n${opts.cacheMs}\n${opts.asyncFetch}\n${opts.kidRefetchIntervalMs}`;
  let s = remoteSources.get(key);
  if (s === undefined) {
    s = new RemoteJwksSource(opts);
    remoteSources.set(key, s);
  }
  return s;
}

/** GET `uri`; resolves with the body of a 200 answer, rejects on anything else or after timeoutMs. */
function getText(uri: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      reject(new Error(`invalid uri ${uri}`));
      return;
    }
    const send = url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : undefined;
    if (send === undefined) {
      reject(new Error(`unsupported scheme ${url.protocol}`));
      return;
    }
    const req = send(url, { method: "GET", headers: { accept: "application/json" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`status ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_JWKS_BYTES) req.destroy(new Error("response too large"));
        else chunks.push(c);
      });
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("error", reject);
    req.end();
  });
}
