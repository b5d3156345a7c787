// Per-request stream info: Envoy response flags (as a bitmask), timings and the chosen upstream, readable by filters.

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

  setResponseFlag(flag: number): void { this.responseFlags |= flag; }
  hasResponseFlag(flag: number): boolean { return (this.responseFlags & flag) !== 0; }
}
