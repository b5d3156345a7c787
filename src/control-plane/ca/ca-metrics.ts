// CaMetrics: the CA server's counters, declared once with Citadel's names (istio security/pkg/server/ca/monitoring.go).

import { MetricsRegistry, type Counter } from "../debug/metrics-registry.js";

export interface CaMetrics {
  /** CSRs received. */
  readonly csrCount: Counter;
  /** Requests without a valid token or client certificate. */
  readonly authnErrors: Counter;
  /** CSRs that did not parse (CA_CSR_INVALID). */
  readonly csrParsingErrors: Counter;
  /** Signing failures, label `error` = the CA_* code. */
  readonly signErrors: Counter;
  readonly success: Counter;
}

/** Registers the counters in `registry` (the control plane's, so /metrics shows them). */
export function createCaMetrics(registry = new MetricsRegistry()): CaMetrics {
  return {
    csrCount: registry.counter("citadel_server_csr_count", "The number of CSRs received by Citadel server."),
    authnErrors: registry.counter("citadel_server_authentication_failure_count", "The number of authentication failures."),
    csrParsingErrors: registry.counter("citadel_server_csr_parsing_err_count", "The number of errors occurred when parsing the CSR."),
    signErrors: registry.counter("citadel_server_csr_sign_err_count", "The number of errors occurred when signing the CSR.", ["error"]),
    success: registry.counter("citadel_server_success_cert_issuance_count", "The number of certificates issuances that have succeeded."),
  };
}
