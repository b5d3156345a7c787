// Per-request stream info: Envoy response flags (as a bitmask), timings and the chosen upstream, readable by filters.

import type { DownstreamConnectionInfo } from "./connection-info.js";

/** Envoy's %RESPONSE_FLAGS% (source/common/stream_info/utility.h), as bits. */
export const ResponseFlag = {
  NoHealthyUpstream: 1 << 0,          // UH
  UpstreamConnectionFailure: 1 << 1,  // UF
  NoRouteFound: 1 << 2,               // NR
  NoClusterFound: 1 << 3,             // NC
  UpstreamRequestTimeout: 1 << 4,     // UT
  DownstreamProtocolError: 1 << 5,    // DPE
  UpstreamProtocolError: 1 << 6,      // UPE
  DownstreamConnectionTermination: 1 << 7, // DC
  UpstreamConnectionTermination: 1 << 8,   // UC
  UpstreamRemoteReset: 1 << 9,        // UR
  DelayInjected: 1 << 10,             // DI
  FaultInjected: 1 << 11,             // FI
  UpstreamRetryLimitExceeded: 1 << 12, // URX
  UpstreamOverflow: 1 << 13,          // UO
} as const;

const SHORT_NAMES: ReadonlyArray<[number, string]> = [
  [ResponseFlag.NoHealthyUpstream, "UH"],
  [ResponseFlag.UpstreamConnectionFailure, "UF"],
  [ResponseFlag.NoRouteFound, "NR"],
  [ResponseFlag.NoClusterFound, "NC"],
  [ResponseFlag.UpstreamRequestTimeout, "UT"],
  [ResponseFlag.DownstreamProtocolError, "DPE"],
  [ResponseFlag.UpstreamProtocolError, "UPE"],
  [ResponseFlag.DownstreamConnectionTermination, "DC"],
  [ResponseFlag.UpstreamConnectionTermination, "UC"],
  [ResponseFlag.UpstreamRemoteReset, "UR"],
  [ResponseFlag.DelayInjected, "DI"],
  [ResponseFlag.FaultInjected, "FI"],
  [ResponseFlag.UpstreamRetryLimitExceeded, "URX"],
  [ResponseFlag.UpstreamOverflow, "UO"],
];

/** Renders flags like Envoy's access log: "UH,UF" or "-" when none. */
export function responseFlagsToString(flags: number): string {
  if (flags === 0) return "-";
  let s = "";
  for (const [bit, name] of SHORT_NAMES) if (flags & bit) s = s === "" ? name : `${s},${name}`;
  return s;
}

/** Mutable per-request facts, owned by the stream; filters read it in onStreamComplete. */
export class StreamInfo {
  responseFlags = 0;
  responseCode = 0;
  /** The route's cluster name once routed ("" before). */
  upstreamCluster = "";
  /** "address:port" of the upstream host once picked ("" before). */
  upstreamHost = "";
  readonly startTime = performance.now();
  bytesReceived = 0;
  bytesSent = 0;
  /**
   * Envoy's dynamic metadata `envoy.filters.http.jwt_authn`: verified JWT payloads keyed by the provider's
   * payload_in_metadata (Istio: "payload"). Set by the jwt_authn filter only when authentication succeeded;
   * undefined when no payload was verified. Later filters (RBAC: request.auth.*) read it; the payloads are frozen.
   */
  jwtPayloads: ReadonlyMap<string, Readonly<Record<string, unknown>>> | undefined = undefined;
  /** Envoy's response code details for a local reply (e.g. `rbac_access_denied_matched_policy[none]`), "" otherwise. */
  responseCodeDetails = "";
  /** The downstream connection (addresses, SNI, TLS peer); set by the stream before its filters run, when it has filters. */
  downstream: DownstreamConnectionInfo | undefined = undefined;
  /**
   * Envoy's dynamic metadata other than jwt_authn's (above): filter name → fields as JSON values (a Struct's JSON
   * form), e.g. rbac's `<shadow_rules_stat_prefix>shadow_engine_result`. Undefined until first set.
   */
  dynamicMetadata: Map<string, Record<string, unknown>> | undefined = undefined;

  /** Merges `fields` into the namespace `filter` (Envoy StreamInfo::setDynamicMetadata: a key set again is replaced). */
  setDynamicMetadata(filter: string, fields: Record<string, unknown>): void {
    const all = (this.dynamicMetadata ??= new Map());
    const existing = all.get(filter);
    if (existing === undefined) all.set(filter, { ...fields });
    else Object.assign(existing, fields);
  }

  setResponseFlag(flag: number): void { this.responseFlags |= flag; }
  hasResponseFlag(flag: number): boolean { return (this.responseFlags & flag) !== 0; }
}
