// Istio YAML for the end-to-end tests' `reviews` service: ServiceEntry, DestinationRule, VirtualService variants.

export interface ReviewsServiceOptions {
  /** Port protocol (and port name in lower case); HTTP by default. */
  protocol?: "HTTP" | "GRPC";
  /** Endpoints written in the ServiceEntry; without them the ServiceEntry selects workloads labelled app=reviews. */
  endpoints?: ReadonlyArray<{ address: string; version: string }>;
}

/** `reviews.default.svc.cluster.local:9080`, STATIC, by workloadSelector or by listed endpoints. */
export function reviewsServiceEntry(opts: ReviewsServiceOptions = {}): string {
  const protocol = opts.protocol ?? "HTTP";
  const backends = opts.endpoints
    ? `  endpoints:\n${opts.endpoints.map((e) => `  - address: ${e.address}\n    labels: {app: reviews, version: ${e.version}}`).join("\n")}`
    : "  workloadSelector:\n    labels: {app: reviews}";
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: reviews
spec:
  hosts: [reviews.default.svc.cluster.local]
  ports:
  - number: 9080
    name: ${protocol.toLowerCase()}
    protocol: ${protocol}
  resolution: STATIC
${backends}
`;
}

/** Subsets v1 and v2 by the `version` label. */
export function reviewsDestinationRule(host = "reviews"): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: ${host}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
}

export interface ReviewsRoutes {
  /** Weights of the catch-all route; a single `subset` instead routes everything there without weights. */
  weights?: { v1: number; v2: number };
  subset?: string;
  /** Put the `end-user: jason` → v2 rule first. */
  jason?: boolean;
  host?: string;
}

/** The reviews VirtualService, with destinations in flow style (`{host: reviews, subset: v1}`). */
export function reviewsVirtualService(r: ReviewsRoutes): string {
  const host = r.host ?? "reviews";
  const dest = (subset: string) => `{host: ${host}, subset: ${subset}}`;
  const jason = r.jason
    ? `  - match:\n    - headers:\n        end-user: {exact: jason}\n    route:\n    - destination: ${dest("v2")}\n`
    : "";
  const route = r.weights
    ? `    - destination: ${dest("v1")}\n      weight: ${r.weights.v1}\n    - destination: ${dest("v2")}\n      weight: ${r.weights.v2}\n`
    : `    - destination: ${dest(r.subset ?? "v1")}\n`;
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [${host}]
  http:
${jason}  - route:
${route}`;
}
