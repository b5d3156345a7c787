// envoy.filters.http.ext_authz: holds each request until an external authorization service (HTTP or gRPC) answers.

import { EXT_AUTHZ_TYPE } from "../../../xds/type-urls.js";
import { registerHttpFilter } from "../http-filter-registry.js";
import { FilterStatus, type HttpFilter, type HttpFilterCallbacks, type HttpFilterFactory } from "../http-filter.js";
import type { RequestHead } from "../../http/request-head.js";
import type { ResponseHead } from "../../http/response-head.js";
import { Logger } from "../../../shared/logger.js";
import { RbacRequest } from "../rbac/rbac-request.js";
import { compileExtAuthzConfig, type ExtAuthzConfig } from "./ext-authz-config.js";
import { grpcCheck, httpCheck, type CheckCall, type CheckResult } from "./ext-authz-client.js";

/** The filter's canonical name (its typed_per_filter_config key). */
export const EXT_AUTHZ_FILTER_NAME = "envoy.filters.http.ext_authz";

const log = new Logger("ext_authz");

export class ExtAuthzFilterFactory implements HttpFilterFactory {
  constructor(private readonly config: ExtAuthzConfig) {}

  create(callbacks: HttpFilterCallbacks): HttpFilter {
    return new ExtAuthzFilter(this.config, callbacks);
  }
}

class ExtAuthzFilter implements HttpFilter {
  private call: CheckCall | undefined;
  private clientHeaders: readonly string[] = [];

  constructor(private readonly config: ExtAuthzConfig, private readonly cb: HttpFilterCallbacks) {}

  decodeHeaders(head: RequestHead): FilterStatus {
    if (this.disabledOnRoute()) return FilterStatus.Continue;
    const info = this.cb.streamInfo;
    if (this.config.enabledWhen !== undefined && !this.config.enabledWhen(new RbacRequest(head, info).metadata)) return FilterStatus.Continue;
    const svc = this.config.service;
    const host = this.cb.cluster?.(svc.cluster)?.chooseHost(undefined);
    if (host === undefined) {
      return this.onResult(head, { kind: "error", reason: `no healthy host in cluster ${svc.cluster}` }, true);
    }
    let sync = true;
    let syncResult: CheckResult | undefined;
    const done = (r: CheckResult): void => {
      this.call = undefined;
      if (sync) syncResult = r;
      else this.onResult(head, r, false);
    };
    this.call = svc.kind === "http"
      ? httpCheck(svc, host, head, this.config.timeoutMs, done)
      : grpcCheck(svc, host, head, info.downstream, this.config.timeoutMs, done);
    sync = false;
    if (syncResult !== undefined) return this.onResult(head, syncResult, true);
    return FilterStatus.StopIteration;
  }

  encodeHeaders(head: ResponseHead): void {
    const h = this.clientHeaders;
    for (let i = 0; i < h.length; i += 2) head.headers.push(h[i], h[i + 1]);
  }

  onStreamComplete(): void {
    this.call?.cancel();
    this.call = undefined;
  }

  /** Applies a check result; `inline` means decodeHeaders has not returned yet (return Continue rather than resume). */
  private onResult(head: RequestHead, r: CheckResult, inline: boolean): FilterStatus {
    if (r.kind === "ok") {
      setHeaders(head.headers, r.upstreamHeaders, r.removeHeaders);
      for (let i = 0; i < r.appendHeaders.length; i += 2) head.headers.push(r.appendHeaders[i], r.appendHeaders[i + 1]);
      this.clientHeaders = r.clientHeaders;
      return this.resume(inline);
    }
    if (r.kind === "denied") {
      this.cb.streamInfo.responseCodeDetails = "ext_authz_denied";
      this.cb.sendLocalReply(r.status, r.body, 0, [...r.headers]);
      return FilterStatus.StopIteration;
    }
    log.warn("authorization check failed", { reason: r.reason, failureModeAllow: this.config.failureModeAllow });
    if (this.config.failureModeAllow) return this.resume(inline);
    this.cb.streamInfo.responseCodeDetails = "ext_authz_error";
    this.cb.sendLocalReply(this.config.statusOnError, "");
    return FilterStatus.StopIteration;
  }

  private resume(inline: boolean): FilterStatus {
    if (inline) return FilterStatus.Continue;
    this.cb.continueDecoding();
    return FilterStatus.Continue;
  }

  /** ExtAuthzPerRoute {disabled: true} on the route (or its virtual host) turns the check off there. */
  private disabledOnRoute(): boolean {
    return this.cb.route()?.typedPerFilterConfig.get(EXT_AUTHZ_FILTER_NAME)?.disabled === true;
  }
}

/** Replaces (or adds) each header of `set` and drops those in `remove` (Envoy's ok_response semantics). */
function setHeaders(headers: string[], set: readonly string[], remove: readonly string[]): void {
  if (set.length === 0 && remove.length === 0) return;
  const drop = new Set(remove);
  for (let i = 0; i < set.length; i += 2) drop.add(set[i]);
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (drop.has(headers[i])) continue;
    headers[w++] = headers[i];
    headers[w++] = headers[i + 1];
  }
  headers.length = w;
  for (let i = 0; i < set.length; i += 2) headers.push(set[i], set[i + 1]);
}

registerHttpFilter(EXT_AUTHZ_TYPE, {
  terminal: false,
  createFilterFactory: (typedConfig, resourceName) => new ExtAuthzFilterFactory(compileExtAuthzConfig(resourceName, typedConfig)),
});
