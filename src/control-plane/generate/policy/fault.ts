// Applier: VirtualService fault → HTTPFault per-route config, and the fault filter entry for http_filters (Istio TranslateFault).

import { FAULT_TYPE } from "../../../xds/type-urls.js";
import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { HTTPFaultInjectionSpec, PercentSpec } from "./istio-policy-specs.js";

export const FAULT_FILTER_NAME = "envoy.filters.http.fault";

/** gRPC status names Istio accepts for abort.grpcStatus (istio pkg/util/grpc SupportedGRPCStatus). */
const GRPC_STATUS: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12,
  INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** Istio translatePercentToFractionalPercent: value% as parts per million. */
function perMillion(p: PercentSpec): EnvoyObject {
  return { numerator: Math.round((p.value ?? 0) * 10000), denominator: "MILLION" };
}

/**
 * The HTTPFault for a fault section (Istio TranslateFault): delay (fixedDelay only; percentage, else the deprecated
 * integer percent, 0 when neither) and abort (httpStatus or grpcStatus; percentage, 0% when unset, since an absent
 * percentage aborts nothing in Envoy and makes gRPC reject the route). Undefined when neither part is usable.
 */
export function httpFault(f: HTTPFaultInjectionSpec | undefined): EnvoyObject | undefined {
  if (!f) return undefined;
  const out: EnvoyObject = { "@type": FAULT_TYPE };
  const fixed = f.delay?.fixedDelay ? parseDuration(f.delay.fixedDelay) : undefined;
  if (f.delay && fixed) {
    const percentage = f.delay.percentage ? perMillion(f.delay.percentage) : { numerator: f.delay.percent ?? 0, denominator: "HUNDRED" };
    out.delay = { fixed_delay: fixed, percentage };
  }
  const a = f.abort;
  const grpcStatus = a?.grpcStatus !== undefined ? GRPC_STATUS[a.grpcStatus] : undefined;
  if (a && (a.httpStatus !== undefined || grpcStatus !== undefined)) {
    const abort: EnvoyObject = grpcStatus !== undefined ? { grpc_status: grpcStatus } : { http_status: a.httpStatus };
    abort.percentage = a.percentage ? perMillion(a.percentage) : { numerator: 0, denominator: "HUNDRED" };
    out.abort = abort;
  }
  return out.delay || out.abort ? out : undefined;
}

/** The fault filter as Istio lists it in http_filters (empty config: faults come per route), before the router. */
export function faultFilter(): EnvoyObject {
  return { name: FAULT_FILTER_NAME, typed_config: { "@type": FAULT_TYPE } };
}
