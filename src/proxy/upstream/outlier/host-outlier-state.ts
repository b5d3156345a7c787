// HostOutlierState: one host's outlier-detection counters, fed by the data path (Envoy's DetectorHostMonitorImpl).

import type { Host } from "../host.js";
import type { OutlierConfig } from "./outlier-config.js";

/** Envoy's Upstream::Outlier::Result: what the data path reports besides HTTP status codes. */
export const OutlierResult = {
  /** A non-HTTP transaction failed on the server side (mapped to 500, or 503 with the local/external split). */
  ExtOriginRequestFailed: 0,
  ExtOriginRequestSuccess: 1,
  /** Connect failure, connect timeout, or a reset of the upstream connection or stream. */
  LocalOriginConnectFailed: 2,
  /** A connection (new or pooled) was ready for the request; the HTTP status follows separately. */
  LocalOriginConnectSuccess: 3,
  /** Connected, and nothing follows (tcp_proxy). */
  LocalOriginConnectSuccessFinal: 4,
  /** The request timed out waiting for the upstream. */
  LocalOriginTimeout: 5,
} as const;

/** Envoy's OutlierEjectionType values that Weft detects. */
export const EjectionType = {
  Consecutive5xx: 0,
  ConsecutiveGatewayFailure: 1,
  ConsecutiveLocalOriginFailure: 2,
  SuccessRate: 3,
  FailurePercentage: 4,
  SuccessRateLocalOrigin: 5,
  FailurePercentageLocalOrigin: 6,
} as const;

/** The detector side a HostOutlierState reports to. */
export interface OutlierSink {
  readonly config: OutlierConfig;
  /** A consecutive-error threshold was reached (called synchronously from the data path). */
  onConsecutiveError(host: Host, type: number): void;
}

/**
 * Counters are plain fields bumped on the hot path with no allocation. Without split_external_local_origin_errors
 * every local-origin result is mapped to an HTTP code (connect failure → 503, timeout → 504) and counted as 5xx and
 * gateway failure; with the split they feed only the local-origin counter.
 */
export class HostOutlierState {
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  /** Times ejected in total (admin output). */
  numEjections = 0;
  /** Multiplier of base_ejection_time for the next ejection; grows per ejection, shrinks while the host stays in. */
  ejectTimeBackoff = 0;
  /** performance.now() of the last ejection / unejection, -1 before the first. */
  lastEjectionTime = -1;
  lastUnejectionTime = -1;
  /** Random extra ejection time drawn at the last ejection (max_ejection_time_jitter). */
  jitterMs = 0;
  /**
   * Success-rate buckets (Envoy's SuccessRateAccumulator): the current interval's requests and successes, and the
   * previous interval's, which the detector reads. External origin: HTTP statuses; local origin: with the split only.
   */
  externalTotal = 0;
  externalSuccess = 0;
  externalTotalPrev = 0;
  externalSuccessPrev = 0;
  localTotal = 0;
  localSuccess = 0;
  localTotalPrev = 0;
  localSuccessPrev = 0;

  constructor(private readonly sink: OutlierSink, private readonly host: Host) {}

  /** An upstream response status (the router reports every response head). */
  putHttpResponseCode(code: number): void {
    this.externalTotal++;
    if (code >= 500 && code < 600) {
      const config = this.sink.config;
      if (code === 502 || code === 503 || code === 504) {
        if (++this.consecutiveGatewayFailure === config.consecutiveGatewayFailure) this.sink.onConsecutiveError(this.host, EjectionType.ConsecutiveGatewayFailure);
      } else {
        this.consecutiveGatewayFailure = 0;
      }
      if (++this.consecutive5xx === config.consecutive5xx) this.sink.onConsecutiveError(this.host, EjectionType.Consecutive5xx);
    } else {
      this.externalSuccess++;
      this.consecutive5xx = 0;
      this.consecutiveGatewayFailure = 0;
    }
  }

  /** A local-origin or non-HTTP outcome; `code` (0 = none) is the HTTP status the router answered with, if any. */
  putResult(result: number, code = 0): void {
    if (this.sink.config.splitExternalLocalOriginErrors) this.putSplit(result);
    else if (code !== 0) this.putHttpResponseCode(code);
    else {
      const mapped = resultToHttpCode(result);
      if (mapped !== 0) this.putHttpResponseCode(mapped);
    }
  }

  /** The interval tick: the current buckets become the ones the detector reads. */
  rotateBuckets(): void {
    this.externalTotalPrev = this.externalTotal;
    this.externalSuccessPrev = this.externalSuccess;
    this.localTotalPrev = this.localTotal;
    this.localSuccessPrev = this.localSuccess;
    this.externalTotal = this.externalSuccess = this.localTotal = this.localSuccess = 0;
  }

  resetConsecutive(): void {
    this.consecutive5xx = 0;
    this.consecutiveGatewayFailure = 0;
    this.consecutiveLocalOriginFailure = 0;
  }

  private putSplit(result: number): void {
    switch (result) {
      case OutlierResult.LocalOriginConnectSuccess:
      case OutlierResult.LocalOriginConnectSuccessFinal:
        this.localOriginNoFailure();
        return;
      case OutlierResult.LocalOriginTimeout:
      case OutlierResult.LocalOriginConnectFailed:
        this.localTotal++;
        if (++this.consecutiveLocalOriginFailure === this.sink.config.consecutiveLocalOriginFailure) {
          this.sink.onConsecutiveError(this.host, EjectionType.ConsecutiveLocalOriginFailure);
        }
        return;
      case OutlierResult.ExtOriginRequestFailed:
        this.putHttpResponseCode(503);
        return;
      case OutlierResult.ExtOriginRequestSuccess:
        this.putHttpResponseCode(200);
        this.localOriginNoFailure();
        return;
    }
  }

  private localOriginNoFailure(): void {
    this.localTotal++;
    this.localSuccess++;
    this.consecutiveLocalOriginFailure = 0;
  }
}

/** Envoy's resultToHttpCode; 0 for LocalOriginConnectSuccess, which says nothing about the exchange that follows. */
function resultToHttpCode(result: number): number {
  switch (result) {
    case OutlierResult.ExtOriginRequestSuccess:
    case OutlierResult.LocalOriginConnectSuccessFinal: return 200;
    case OutlierResult.LocalOriginTimeout: return 504;
    case OutlierResult.LocalOriginConnectFailed: return 503;
    case OutlierResult.ExtOriginRequestFailed: return 500;
    default: return 0;
  }
}
