// The Istio DestinationRule trafficPolicy and VirtualService route sections the policy appliers read (camelCase, as in YAML).

/** Istio durations arrive as strings ("1s", "100ms"). */
export type DurationText = string;

export interface ConnectionPoolSpec {
  tcp?: {
    maxConnections?: number;
    connectTimeout?: DurationText;
    maxConnectionDuration?: DurationText;
    idleTimeout?: DurationText;
    tcpKeepalive?: { probes?: number; time?: DurationText; interval?: DurationText };
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: DurationText;
    maxConcurrentStreams?: number;
    h2UpgradePolicy?: "DEFAULT" | "DO_NOT_UPGRADE" | "UPGRADE";
    useClientProtocol?: boolean;
  };
}

export interface OutlierDetectionSpec {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  consecutiveLocalOriginFailures?: number;
  splitExternalLocalOriginErrors?: boolean;
  interval?: DurationText;
  baseEjectionTime?: DurationText;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export interface ConsistentHashSpec {
  httpHeaderName?: string;
  httpCookie?: { name: string; path?: string; ttl?: DurationText };
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  ringHash?: { minimumRingSize?: number };
  maglev?: { tableSize?: number };
  /** Deprecated top-level ring size (Istio still reads it when neither ringHash nor maglev is set). */
  minimumRingSize?: number;
}

export type SimpleLb = "UNSPECIFIED" | "LEAST_CONN" | "RANDOM" | "PASSTHROUGH" | "ROUND_ROBIN" | "LEAST_REQUEST";

/** LocalityLoadBalancerSetting: `distribute` and `failover` exclude each other; `failoverPriority` lists labels. */
export interface LocalityLbSettingSpec {
  distribute?: { from?: string; to?: Record<string, number> }[];
  failover?: { from?: string; to?: string }[];
  failoverPriority?: string[];
  /** Absent = enabled; `false` turns locality load balancing off for the rule's clusters. */
  enabled?: boolean;
}

/** WarmupConfiguration: Envoy's slow start (duration required; aggression default 1, minimumPercent default 10). */
export interface WarmupSpec {
  duration?: DurationText;
  minimumPercent?: number;
  aggression?: number;
}

export interface LoadBalancerSpec {
  simple?: SimpleLb;
  consistentHash?: ConsistentHashSpec;
  localityLbSetting?: LocalityLbSettingSpec;
  warmup?: WarmupSpec;
  /** Deprecated form of warmup.duration. */
  warmupDurationSecs?: DurationText;
}

/** The per-port sections of a TrafficPolicy (portLevelSettings[]). */
export interface PortTrafficPolicySpec {
  port?: { number?: number };
  connectionPool?: ConnectionPoolSpec;
  outlierDetection?: OutlierDetectionSpec;
  loadBalancer?: LoadBalancerSpec;
  tls?: Record<string, unknown>;
}

export interface TrafficPolicySpec {
  connectionPool?: ConnectionPoolSpec;
  outlierDetection?: OutlierDetectionSpec;
  loadBalancer?: LoadBalancerSpec;
  tls?: Record<string, unknown>;
  portLevelSettings?: PortTrafficPolicySpec[];
}

/** `percentage: {value: 12.5}`; the deprecated integer `percent` is also read. */
export interface PercentSpec {
  value?: number;
}

export interface HTTPFaultInjectionSpec {
  delay?: { fixedDelay?: DurationText; exponentialDelay?: DurationText; percentage?: PercentSpec; percent?: number };
  abort?: { httpStatus?: number; grpcStatus?: string; http2Error?: string; percentage?: PercentSpec };
}

export interface HTTPRetrySpec {
  attempts?: number;
  perTryTimeout?: DurationText;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  retryIgnorePreviousHosts?: boolean;
  backoff?: DurationText;
}
