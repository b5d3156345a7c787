// Applier: VirtualService retries → route retry_policy (Istio retry.ConvertPolicy), including the mesh default policy.

import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { HTTPRetrySpec } from "./istio-policy-specs.js";

/** Istio's default retry_on (mesh defaultHttpRetryPolicy unset). */
export const DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
const DEFAULT_ATTEMPTS = 2;

function isHttpStatus(part: string): boolean {
  if (!/^[0-9]{3}$/.test(part)) return false;
  const n = Number(part);
  return n >= 100 && n <= 599;
}

/**
 * Istio ConvertPolicy. No section → the default policy (2 retries on DEFAULT_RETRY_ON, status 503); attempts ≤ 0 →
 * undefined (retries off); else the default overridden by attempts, retryOn (numbers become retriable_status_codes and
 * add "retriable-status-codes"), perTryTimeout and backoff (→ retry_back_off.base_interval). Envoy's
 * retry_host_predicate / retry_priority extensions (retryIgnorePreviousHosts, retryRemoteLocalities) are not produced.
 */
export function retryPolicy(r: HTTPRetrySpec | undefined): EnvoyObject | undefined {
  const out: EnvoyObject = { retry_on: DEFAULT_RETRY_ON, num_retries: { value: DEFAULT_ATTEMPTS }, retriable_status_codes: [503] };
  if (!r) return out;
  if (!r.attempts || r.attempts <= 0) return undefined;
  out.num_retries = { value: r.attempts };
  if (r.retryOn) {
    const parts = r.retryOn.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const codes = parts.filter(isHttpStatus).map(Number);
    let on = parts.filter((p) => !isHttpStatus(p)).join(",");
    if (codes.length > 0 && !on.includes("retriable-status-codes")) on = on ? `${on},retriable-status-codes` : "retriable-status-codes";
    out.retry_on = on;
    out.retriable_status_codes = codes;
  }
  const perTry = r.perTryTimeout ? parseDuration(r.perTryTimeout) : undefined;
  if (perTry) out.per_try_timeout = perTry;
  const backoff = r.backoff ? parseDuration(r.backoff) : undefined;
  if (backoff) out.retry_back_off = { base_interval: backoff };
  return out;
}
