// envoy.filters.http.fault: injects delays (a timer, cancelled if the stream ends) and aborts (HTTP or gRPC status), per Envoy's fault_filter.cc.

import { FAULT_TYPE } from "../../../xds/type-urls.js";
import { registerHttpFilter } from "../http-filter-registry.js";
import { FilterStatus, type HttpFilter, type HttpFilterCallbacks, type HttpFilterFactory } from "../http-filter.js";
import { ResponseFlag } from "../../http/stream-info.js";
import { rollFractionalPercent, type FractionalPercent } from "../../config/fractional-percent.js";
import type { RequestHead } from "../../http/request-head.js";
import type { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";
import { headerValue } from "../../router/route-request.js";
import { compileFaultConfig, tryCompileFaultConfig, type FaultAbort, type FaultConfig } from "./fault-config.js";

/** The name routes use in typed_per_filter_config (Istio's, and the filter's canonical name). */
export const FAULT_FILTER_NAME = "envoy.filters.http.fault";

const ABORT_BODY = "fault filter abort";

/** The connection manager counters the filter increments (`http.<stat_prefix>.fault.*`). */
export type FaultStats = Pick<HttpConnectionManagerStats, "fault_delays_injected" | "fault_aborts_injected">;

/** Builds the per-request fault filter; `random` returns a float in [0, 1) (injectable for tests). */
export class FaultFilterFactory implements HttpFilterFactory {
  constructor(private readonly config: FaultConfig, private readonly stats: FaultStats, private readonly random: () => number = Math.random) {}

  create(callbacks: HttpFilterCallbacks): HttpFilter {
    return new FaultFilter(this.config, callbacks, this.stats, this.random);
  }
}

class FaultFilter implements HttpFilter {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly filterConfig: FaultConfig, private readonly cb: HttpFilterCallbacks, private readonly stats: FaultStats, private readonly random: () => number) {}

  decodeHeaders(head: RequestHead): FilterStatus {
    // The route's (then the virtual host's) HTTPFault replaces the filter's config entirely.
    const settings = perRouteSettings(this.cb) ?? this.filterConfig;
    const delayMs = this.delayFor(settings, head);
    if (delayMs !== undefined && delayMs > 0) {
      this.stats.fault_delays_injected++;
      this.cb.streamInfo.setResponseFlag(ResponseFlag.DelayInjected);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.maybeAbort(settings, head)) this.cb.continueDecoding();
      }, delayMs);
      return FilterStatus.StopIteration;
    }
    return this.maybeAbort(settings, head) ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  onStreamComplete(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The delay to inject, or undefined (no delay configured, percentage roll lost, or no usable header). */
  private delayFor(settings: FaultConfig, head: RequestHead): number | undefined {
    const d = settings.delay;
    if (d === undefined) return undefined;
    const header = d.fixedMs === undefined;
    if (!rollFractionalPercent(headerPercentage(d.percentage, header, head, "x-envoy-fault-delay-request-percentage"), this.random)) return undefined;
    if (!header) return d.fixedMs;
    return parseUint(headerValue(head, "x-envoy-fault-delay-request"));
  }

  private maybeAbort(settings: FaultConfig, head: RequestHead): boolean {
    const a = settings.abort;
    if (a === undefined) return false;
    if (!rollFractionalPercent(headerPercentage(a.percentage, a.fromHeader, head, "x-envoy-fault-abort-request-percentage"), this.random)) return false;
    const status = abortStatus(a, head);
    if (status === undefined) return false;
    this.stats.fault_aborts_injected++;
    if (status.grpc === undefined) {
      this.cb.sendLocalReply(status.http, ABORT_BODY, ResponseFlag.FaultInjected);
    } else {
      // A gRPC trailers-only response: HTTP 200 whose headers carry the status (gRPC over HTTP/2 spec, "Trailers-Only").
      this.cb.sendLocalReply(200, "", ResponseFlag.FaultInjected,
        ["content-type", "application/grpc", "grpc-status", String(status.grpc), "grpc-message", ABORT_BODY]);
    }
    return true;
  }
}

function perRouteSettings(cb: HttpFilterCallbacks): FaultConfig | undefined {
  const route = cb.route();
  // typedPerFilterConfig already holds the most specific entry (route over virtual host).
  const own = route?.typedPerFilterConfig.get(FAULT_FILTER_NAME);
  return own === undefined ? undefined : tryCompileFaultConfig(`route ${route!.name}: typed_per_filter_config ${FAULT_FILTER_NAME}`, own);
}

/** For header-driven faults the request's percentage header (a numerator) narrows the configured one. */
function headerPercentage(p: FractionalPercent, fromHeader: boolean, head: RequestHead, name: string): FractionalPercent {
  if (!fromHeader) return p;
  const n = parseUint(headerValue(head, name));
  return n === undefined ? p : { numerator: Math.min(n, p.numerator), denominator: p.denominator };
}

function abortStatus(a: FaultAbort, head: RequestHead): { http: number; grpc: number | undefined } | undefined {
  if (!a.fromHeader) return a.grpcStatus !== undefined ? { http: 200, grpc: a.grpcStatus } : { http: a.httpStatus!, grpc: undefined };
  const http = parseUint(headerValue(head, "x-envoy-fault-abort-request"));
  if (http !== undefined && http >= 200 && http < 600) return { http, grpc: undefined };
  const grpc = parseUint(headerValue(head, "x-envoy-fault-abort-grpc-request"));
  return grpc === undefined ? undefined : { http: 200, grpc };
}

function parseUint(v: string | undefined): number | undefined {
  if (v === undefined || !/^[0-9]{1,10}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

registerHttpFilter(FAULT_TYPE, {
  terminal: false,
  createFilterFactory: (typedConfig, resourceName, stats) => new FaultFilterFactory(compileFaultConfig(resourceName, typedConfig), stats),
});
