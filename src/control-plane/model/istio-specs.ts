// The parts of Istio's networking specs (camelCase, as written in YAML) that the model and generators read.

export type Labels = Readonly<Record<string, string>>;

export interface WorkloadEntrySpec {
  address?: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

export interface ServiceEntryPortSpec {
  number: number;
  protocol?: string;
  name: string;
  targetPort?: number;
}

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: ServiceEntryPortSpec[];
  location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  resolution?: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
  endpoints?: WorkloadEntrySpec[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
}

export interface SubsetSpec {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: Record<string, unknown>;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: Record<string, unknown>;
  subsets?: SubsetSpec[];
  exportTo?: string[];
  workloadSelector?: { matchLabels?: Record<string, string> };
}

export interface StringMatchSpec {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HTTPMatchRequestSpec {
  name?: string;
  uri?: StringMatchSpec;
  scheme?: StringMatchSpec;
  method?: StringMatchSpec;
  authority?: StringMatchSpec;
  headers?: Record<string, StringMatchSpec>;
  withoutHeaders?: Record<string, StringMatchSpec>;
  queryParams?: Record<string, StringMatchSpec>;
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  gateways?: string[];
  ignoreUriCase?: boolean;
  statPrefix?: string;
}

export interface DestinationSpec {
  host: string;
  subset?: string;
  port?: { number?: number };
}

export interface HeaderOperationsSpec {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface HeadersSpec {
  request?: HeaderOperationsSpec;
  response?: HeaderOperationsSpec;
}

export interface HTTPRouteDestinationSpec {
  destination: DestinationSpec;
  weight?: number;
  headers?: HeadersSpec;
}

export interface HTTPRouteSpec {
  name?: string;
  match?: HTTPMatchRequestSpec[];
  route?: HTTPRouteDestinationSpec[];
  redirect?: {
    uri?: string; authority?: string; port?: number; derivePort?: "FROM_PROTOCOL_DEFAULT" | "FROM_REQUEST_PORT"; scheme?: string; redirectCode?: number;
  };
  directResponse?: { status: number; body?: { string?: string; bytes?: string } };
  rewrite?: { uri?: string; authority?: string; uriRegexRewrite?: { match?: string; rewrite?: string } };
  timeout?: string;
  retries?: {
    attempts?: number; perTryTimeout?: string; retryOn?: string; retryRemoteLocalities?: boolean; retryIgnorePreviousHosts?: boolean; backoff?: string;
  };
  headers?: HeadersSpec;
  /** A delegate VirtualService (no hosts) whose http routes replace this one, merged (Istio mergeHTTPRoutes). */
  delegate?: { name?: string; namespace?: string };
  mirror?: DestinationSpec;
  mirrorPercentage?: { value?: number };
  /** Deprecated integer percent. */
  mirrorPercent?: number;
  mirrors?: { destination?: DestinationSpec; percentage?: { value?: number } }[];
  corsPolicy?: CorsPolicySpec;
  fault?: {
    delay?: { fixedDelay?: string; exponentialDelay?: string; percentage?: { value?: number }; percent?: number };
    abort?: { httpStatus?: number; grpcStatus?: string; http2Error?: string; percentage?: { value?: number } };
  };
}

export interface CorsPolicySpec {
  allowOrigins?: StringMatchSpec[];
  /** Deprecated exact origins. */
  allowOrigin?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
  unmatchedPreflights?: "UNSPECIFIED" | "FORWARD" | "IGNORE";
}

/** Istio L4MatchAttributes / TLSMatchAttributes (sniHosts only in TLS matches). */
export interface L4MatchSpec {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  gateways?: string[];
  sniHosts?: string[];
}

export interface RouteDestinationSpec {
  destination: DestinationSpec;
  weight?: number;
}

/** Istio TCPRoute and TLSRoute (same shape; TLS matches carry sniHosts). */
export interface L4RouteSpec {
  match?: L4MatchSpec[];
  route?: RouteDestinationSpec[];
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: HTTPRouteSpec[];
  tcp?: L4RouteSpec[];
  tls?: L4RouteSpec[];
  exportTo?: string[];
}

export interface SidecarPortSpec {
  number?: number;
  protocol?: string;
  name?: string;
}

export interface IstioEgressListenerSpec {
  port?: SidecarPortSpec;
  bind?: string;
  captureMode?: string;
  /** `namespace/dnsName`: namespace `*`, `.` (the Sidecar's), `~` (none) or a name; dnsName `*`, `*.suffix` or an FQDN. */
  hosts: string[];
}

export interface SidecarSpec {
  workloadSelector?: { labels?: Record<string, string> };
  ingress?: Record<string, unknown>[];
  egress?: IstioEgressListenerSpec[];
  outboundTrafficPolicy?: { mode?: "REGISTRY_ONLY" | "ALLOW_ANY"; egressProxy?: Record<string, unknown> };
}
