// The request headers a Bookinfo app copies from its inbound request onto its outbound calls (as Istio's samples do).

import type { IncomingHttpHeaders } from "node:http";

/**
 * Istio's Bookinfo productpage forwards these (samples/bookinfo/src/productpage/productpage.py):
 * x-request-id for consistent sampling, the tracing contexts (B3 multi and single, W3C, OpenTracing,
 * Datadog, Cloud Trace, SkyWalking) so spans join up, and `end-user` / `user-agent` so header-based routes
 * (`match: headers: end-user: exact: jason`) apply to the calls further down the chain.
 */
export const FORWARDED_HEADERS: readonly string[] = [
  "x-request-id",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
  "b3",
  "traceparent",
  "tracestate",
  "x-ot-span-context",
  "x-datadog-trace-id",
  "x-datadog-parent-id",
  "x-datadog-sampling-priority",
  "x-cloud-trace-context",
  "grpc-trace-bin",
  "sw8",
  "end-user",
  "user-agent",
  "cookie",
  "authorization",
];

/** The subset of `incoming` to forward; node:http gives header names lower-cased. */
export function pickForwardedHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = incoming[name];
    if (typeof value === "string") out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(", ");
  }
  return out;
}
