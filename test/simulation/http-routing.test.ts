// Table-driven simulation: VirtualService HTTP matches and actions → generated RDS → proto round trip → the proxy's routing decision.

import { test } from "node:test";
import assert from "node:assert/strict";
import { productpage, reviewsV1 } from "../../src/control-plane/generate/testing/bookinfo-fixture.js";
import type { Proxy } from "../../src/control-plane/model/proxy.js";
import type { ResourceDoc } from "../../src/control-plane/model/test-snapshot.js";
import { decide, routeTable, type SimRequest, type SimResult } from "./simulate.js";

const WEB = "web.default.svc.cluster.local";
const BACKEND = "backend.default.svc.cluster.local";
const out = (port: number, host: string, subset = "") => `outbound|${port}|${subset}|${host}`;

const services: ResourceDoc[] = [
  {
    kind: "ServiceEntry",
    metadata: { name: "web" },
    spec: { hosts: [WEB], ports: [{ number: 8000, name: "http", protocol: "HTTP" }, { number: 9000, name: "http-alt", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "127.0.9.1" }] },
  },
  {
    kind: "ServiceEntry",
    metadata: { name: "backend" },
    spec: { hosts: [BACKEND], ports: [{ number: 8000, name: "http", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "127.0.9.2", labels: { version: "v1" } }] },
  },
  { kind: "DestinationRule", metadata: { name: "backend" }, spec: { host: "backend", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] } },
];

const FALLBACK = { name: "fallback", route: [{ destination: { host: "backend" } }] };
const toBackend = { route: [{ destination: { host: "backend" } }] };

interface Row {
  name: string;
  http: Record<string, unknown>[];
  req: Partial<SimRequest>;
  expect: Partial<Omit<SimResult, "requestHeaders" | "responseHeaders">> & { requestHeaders?: Record<string, string | null>; responseHeaders?: Record<string, string | null> };
  proxy?: Proxy;
  port?: number;
  draw?: number;
  extra?: ResourceDoc[];
}

const rows: Row[] = [
  // ---- matches ----
  { name: "uri exact hits, query ignored", http: [{ name: "a", match: [{ uri: { exact: "/a" } }], ...toBackend }, FALLBACK], req: { path: "/a?x=1" }, expect: { route: "a" } },
  { name: "uri exact misses a longer path", http: [{ name: "a", match: [{ uri: { exact: "/a" } }], ...toBackend }, FALLBACK], req: { path: "/a/b" }, expect: { route: "fallback" } },
  { name: "uri prefix", http: [{ name: "p", match: [{ uri: { prefix: "/api/" } }], ...toBackend }, FALLBACK], req: { path: "/api/v1" }, expect: { route: "p" } },
  { name: "uri regex is a full match", http: [{ name: "r", match: [{ uri: { regex: "/item/[0-9]+" } }], ...toBackend }, FALLBACK], req: { path: "/item/12x" }, expect: { route: "fallback" } },
  { name: "uri regex hit", http: [{ name: "r", match: [{ uri: { regex: "/item/[0-9]+" } }], ...toBackend }, FALLBACK], req: { path: "/item/12" }, expect: { route: "r" } },
  { name: "ignoreUriCase", http: [{ name: "ci", match: [{ uri: { prefix: "/Admin" }, ignoreUriCase: true }], ...toBackend }, FALLBACK], req: { path: "/aDMIN/x" }, expect: { route: "ci" } },
  { name: "scheme exact", http: [{ name: "s", match: [{ scheme: { exact: "https" } }], ...toBackend }, FALLBACK], req: { scheme: "https" }, expect: { route: "s" } },
  { name: "scheme miss", http: [{ name: "s", match: [{ scheme: { exact: "https" } }], ...toBackend }, FALLBACK], req: {}, expect: { route: "fallback" } },
  { name: "method exact", http: [{ name: "m", match: [{ method: { exact: "POST" } }], ...toBackend }, FALLBACK], req: { method: "POST" }, expect: { route: "m" } },
  { name: "method regex", http: [{ name: "m", match: [{ method: { regex: "PUT|PATCH" } }], ...toBackend }, FALLBACK], req: { method: "PATCH" }, expect: { route: "m" } },
  { name: "authority prefix", http: [{ name: "au", match: [{ authority: { prefix: "web.default" } }], ...toBackend }, FALLBACK], req: { authority: "web.default:8000" }, expect: { route: "au" } },
  { name: "header exact", http: [{ name: "h", match: [{ headers: { "end-user": { exact: "jason" } } }], ...toBackend }, FALLBACK], req: { headers: { "end-user": "jason" } }, expect: { route: "h" } },
  { name: "header exact is case-sensitive", http: [{ name: "h", match: [{ headers: { "end-user": { exact: "jason" } } }], ...toBackend }, FALLBACK], req: { headers: { "end-user": "Jason" } }, expect: { route: "fallback" } },
  { name: "header prefix", http: [{ name: "h", match: [{ headers: { "x-v": { prefix: "be" } } }], ...toBackend }, FALLBACK], req: { headers: { "x-v": "beta" } }, expect: { route: "h" } },
  { name: "header regex", http: [{ name: "h", match: [{ headers: { "x-v": { regex: "v[0-9]" } } }], ...toBackend }, FALLBACK], req: { headers: { "x-v": "v7" } }, expect: { route: "h" } },
  { name: "header presence ({})", http: [{ name: "h", match: [{ headers: { "x-debug": {} } }], ...toBackend }, FALLBACK], req: { headers: { "x-debug": "" } }, expect: { route: "h" } },
  { name: "header presence miss", http: [{ name: "h", match: [{ headers: { "x-debug": {} } }], ...toBackend }, FALLBACK], req: {}, expect: { route: "fallback" } },
  { name: "withoutHeaders: absent header matches", http: [{ name: "w", match: [{ withoutHeaders: { "x-canary": { exact: "1" } } }], ...toBackend }, FALLBACK], req: {}, expect: { route: "w" } },
  { name: "withoutHeaders: the excluded value misses", http: [{ name: "w", match: [{ withoutHeaders: { "x-canary": { exact: "1" } } }], ...toBackend }, FALLBACK], req: { headers: { "x-canary": "1" } }, expect: { route: "fallback" } },
  { name: "withoutHeaders presence: present header misses", http: [{ name: "w", match: [{ withoutHeaders: { "x-canary": {} } }], ...toBackend }, FALLBACK], req: { headers: { "x-canary": "" } }, expect: { route: "fallback" } },
  { name: "queryParams exact", http: [{ name: "q", match: [{ queryParams: { v: { exact: "2" } } }], ...toBackend }, FALLBACK], req: { path: "/?a=1&v=2" }, expect: { route: "q" } },
  { name: "queryParams prefix", http: [{ name: "q", match: [{ queryParams: { v: { prefix: "be" } } }], ...toBackend }, FALLBACK], req: { path: "/?v=beta" }, expect: { route: "q" } },
  { name: "queryParams regex", http: [{ name: "q", match: [{ queryParams: { id: { regex: "[0-9]+" } } }], ...toBackend }, FALLBACK], req: { path: "/?id=4a" }, expect: { route: "fallback" } },
  { name: "queryParams present", http: [{ name: "q", match: [{ queryParams: { debug: {} } }], ...toBackend }, FALLBACK], req: { path: "/x?debug" }, expect: { route: "q" } },
  { name: "port: a rule for another port is absent", http: [{ name: "p9", match: [{ port: 9000 }], ...toBackend }, FALLBACK], req: {}, expect: { route: "fallback" } },
  { name: "port: the rule exists in its port's route config", http: [{ name: "p9", match: [{ port: 9000 }], ...toBackend }, FALLBACK], req: { authority: "web:9000" }, port: 9000, expect: { route: "p9" } },
  { name: "sourceLabels: matching proxy", http: [{ name: "sl", match: [{ sourceLabels: { app: "productpage" } }], ...toBackend }, FALLBACK], req: {}, expect: { route: "sl" } },
  { name: "sourceLabels: other proxy", http: [{ name: "sl", match: [{ sourceLabels: { app: "productpage" } }], ...toBackend }, FALLBACK], req: {}, proxy: reviewsV1, expect: { route: "fallback" } },
  { name: "sourceNamespace other than the proxy's", http: [{ name: "sn", match: [{ sourceNamespace: "other" }], ...toBackend }, FALLBACK], req: {}, expect: { route: "fallback" } },
  { name: "gateways [mesh] applies to sidecars", http: [{ name: "g", match: [{ gateways: ["mesh"] }], ...toBackend }, FALLBACK], req: {}, expect: { route: "g" } },
  { name: "gateways without mesh do not", http: [{ name: "g", match: [{ gateways: ["ns/gw"] }], ...toBackend }, FALLBACK], req: {}, expect: { route: "fallback" } },
  { name: "match name → <route>.<match>", http: [{ name: "r", match: [{ name: "m", uri: { prefix: "/" } }], ...toBackend }], req: {}, expect: { route: "r.m" } },
  { name: "OR across match blocks (second block)", http: [{ name: "or", match: [{ uri: { prefix: "/a" } }, { headers: { x: { exact: "1" } } }], ...toBackend }, FALLBACK], req: { path: "/b", headers: { x: "1" } }, expect: { route: "or" } },
  { name: "AND within a block: uri without header misses", http: [{ name: "and", match: [{ uri: { prefix: "/a" }, headers: { x: { exact: "1" } } }], ...toBackend }, FALLBACK], req: { path: "/a" }, expect: { route: "fallback" } },
  { name: "first match wins", http: [{ name: "first", match: [{ uri: { prefix: "/" } , headers: { x: {} } }], ...toBackend }, { name: "second", match: [{ headers: { x: {} } }], ...toBackend }], req: { headers: { x: "1" } }, expect: { route: "first" } },
  { name: "no rule matches and no catch-all → 404", http: [{ name: "only", match: [{ uri: { exact: "/only" } }], ...toBackend }], req: { path: "/other" }, expect: { route: undefined, status: 404 } },
  // ---- actions ----
  { name: "single destination, subset and port", http: [{ route: [{ destination: { host: "backend", subset: "v1", port: { number: 8000 } } }] }], req: {}, expect: { cluster: out(8000, BACKEND, "v1") } },
  {
    name: "weighted destinations: weights as given, weight 0 dropped, draw picks the second",
    http: [{ route: [{ destination: { host: "backend", subset: "v1" }, weight: 75 }, { destination: { host: "backend", subset: "v2" }, weight: 25 }, { destination: { host: "web" }, weight: 0 }] }],
    req: {}, draw: 0.8,
    expect: { clusters: [{ name: out(8000, BACKEND, "v1"), weight: 75 }, { name: out(8000, BACKEND, "v2"), weight: 25 }], cluster: out(8000, BACKEND, "v2") },
  },
  { name: "redirect uri + authority, 301 default, query kept", http: [{ redirect: { uri: "/new", authority: "other.example" } }], req: { path: "/old?q=1" }, expect: { status: 301, location: "http://other.example/new?q=1" } },
  { name: "redirect scheme + port + code", http: [{ redirect: { scheme: "https", port: 8443, redirectCode: 308 } }], req: { path: "/p", authority: "web:8000" }, expect: { status: 308, location: "https://web:8443/p" } },
  { name: "redirect derivePort FROM_REQUEST_PORT", http: [{ redirect: { authority: "x.example", derivePort: "FROM_REQUEST_PORT" } }], req: { path: "/p" }, expect: { status: 301, location: "http://x.example:8000/p" } },
  { name: "redirect port 80 with http is dropped", http: [{ redirect: { authority: "x.example", port: 80, redirectCode: 302 } }], req: { path: "/p" }, expect: { status: 302, location: "http://x.example/p" } },
  { name: "directResponse status + body", http: [{ directResponse: { status: 418, body: { string: "teapot" } } }], req: {}, expect: { status: 418, body: "teapot" } },
  { name: "directResponse with response headers", http: [{ directResponse: { status: 204 }, headers: { response: { set: { "x-dr": "1" } } } }], req: {}, expect: { status: 204, responseHeaders: { "x-dr": "1" } } },
  {
    name: "rewrite uri on a prefix match replaces the prefix; x-envoy-original-path",
    http: [{ match: [{ uri: { prefix: "/v1/" } }], rewrite: { uri: "/api/" }, ...toBackend }], req: { path: "/v1/items?x=1" },
    expect: { path: "/api/items?x=1", requestHeaders: { "x-envoy-original-path": "/v1/items?x=1" } },
  },
  { name: "rewrite uri on an exact match replaces the path", http: [{ match: [{ uri: { exact: "/login" } }], rewrite: { uri: "/auth/login" }, ...toBackend }], req: { path: "/login?next=/" }, expect: { path: "/auth/login?next=/" } },
  {
    name: "uriRegexRewrite", http: [{ match: [{ uri: { prefix: "/users/" } }], rewrite: { uriRegexRewrite: { match: "^/users/([^/]+)/(.*)$", rewrite: "/u/\\2/\\1" } }, ...toBackend }],
    req: { path: "/users/42/profile?x" }, expect: { path: "/u/profile/42?x" },
  },
  { name: "rewrite authority → host header", http: [{ rewrite: { authority: "backend.internal" }, ...toBackend }], req: {}, expect: { requestHeaders: { host: "backend.internal" } } },
  {
    name: "request headers set/add/remove at route and destination level",
    http: [{ headers: { request: { set: { "x-set": "r" }, add: { "x-add": "r" }, remove: ["x-drop"] } }, route: [{ destination: { host: "backend" }, headers: { request: { set: { "x-dest": "d" } } } }] }],
    req: { headers: { "x-set": "old", "x-add": "old", "x-drop": "1" } },
    expect: { requestHeaders: { "x-set": "r", "x-add": "old,r", "x-drop": null, "x-dest": "d" } },
  },
  {
    name: "weighted destination headers and authority on the chosen cluster only",
    http: [{ route: [
      { destination: { host: "backend", subset: "v1" }, weight: 50, headers: { request: { set: { "x-c": "v1", host: "v1.internal" } }, response: { set: { "x-served": "v1" } } } },
      { destination: { host: "backend", subset: "v2" }, weight: 50, headers: { request: { set: { "x-c": "v2" } } } },
    ] }],
    req: {}, draw: 0.1,
    expect: { cluster: out(8000, BACKEND, "v1"), requestHeaders: { "x-c": "v1", host: "v1.internal" }, responseHeaders: { "x-served": "v1" } },
  },
  { name: "response headers set and remove", http: [{ headers: { response: { set: { "x-resp": "1" }, remove: ["server"] } }, ...toBackend }], req: {}, expect: { responseHeaders: { "x-resp": "1", server: null } } },
  { name: "timeout", http: [{ timeout: "2.5s", ...toBackend }], req: {}, expect: { timeoutMs: 2500 } },
  { name: "no timeout → 0 (disabled)", http: [toBackend], req: {}, expect: { timeoutMs: 0 } },
];

test("simulation: every HTTP match kind and route action decides as Envoy under Istio", () => {
  const failures: string[] = [];
  for (const row of rows) {
    const vs: ResourceDoc = { kind: "VirtualService", metadata: { name: "web" }, spec: { hosts: ["web"], http: row.http } };
    const port = row.port ?? 8000;
    const table = routeTable([...services, vs, ...(row.extra ?? [])], row.proxy ?? productpage, port);
    const req: SimRequest = { authority: `web:${port}`, ...row.req };
    const got = decide(table, req, row.draw ?? 0);
    for (const [k, want] of Object.entries(row.expect)) {
      const have = (got as unknown as Record<string, unknown>)[k];
      if (k === "requestHeaders" || k === "responseHeaders") {
        const h = (have ?? {}) as Record<string, string>;
        for (const [name, v] of Object.entries(want as Record<string, string | null>)) {
          if ((h[name] ?? null) !== v) failures.push(`${row.name}: ${k}[${name}] = ${JSON.stringify(h[name])}, want ${JSON.stringify(v)}`);
        }
      } else {
        try {
          assert.deepStrictEqual(have, want);
        } catch {
          failures.push(`${row.name}: ${k} = ${JSON.stringify(have)}, want ${JSON.stringify(want)}`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
});

function decideFor(http: Record<string, unknown>[], req: Partial<SimRequest> = {}, extra: ResourceDoc[] = []): SimResult {
  const vs: ResourceDoc = { kind: "VirtualService", metadata: { name: "web" }, spec: { hosts: ["web"], http } };
  return decide(routeTable([...services, vs, ...extra], productpage, 8000), { authority: "web:8000", ...req });
}

const PREVIOUS_HOSTS = [{ name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" } }];

test("simulation: retries — Istio's default policy when unset, explicit policy, attempts 0 disables", () => {
  assert.deepEqual(decideFor([toBackend]).raw?.retry_policy, {
    retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", num_retries: { value: 2 }, retriable_status_codes: [503],
    retry_host_predicate: PREVIOUS_HOSTS, host_selection_retry_max_attempts: 5,
  });
  assert.deepEqual(decideFor([{ ...toBackend, retries: { attempts: 4, perTryTimeout: "0.5s", retryOn: "gateway-error,502,504", retryRemoteLocalities: true } }]).raw?.retry_policy, {
    retry_on: "gateway-error,retriable-status-codes", num_retries: { value: 4 }, retriable_status_codes: [502, 504], per_try_timeout: { seconds: 0, nanos: 500000000 },
    retry_host_predicate: PREVIOUS_HOSTS, host_selection_retry_max_attempts: 5,
    retry_priority: { name: "envoy.retry_priorities.previous_priorities", typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig", update_frequency: 2 } },
  });
  assert.equal(decideFor([{ ...toBackend, retries: { attempts: 0 } }]).raw?.retry_policy, undefined);
});

test("simulation: mirror (mirrorPercentage) and mirrors (per-policy percentage, default 100%)", () => {
  const a = decideFor([{ ...toBackend, mirror: { host: "web", port: { number: 9000 } }, mirrorPercentage: { value: 12.5 } }]);
  assert.deepEqual(a.raw?.request_mirror_policies, [{ cluster: out(9000, WEB), runtime_fraction: { default_value: { numerator: 125000, denominator: "MILLION" } }, trace_sampled: { value: false } }]);
  const b = decideFor([{ ...toBackend, mirrors: [{ destination: { host: "backend", subset: "v2" } }, { destination: { host: "web" }, percentage: { value: 0 } }] }]);
  assert.deepEqual(b.raw?.request_mirror_policies, [{ cluster: out(8000, BACKEND, "v2"), runtime_fraction: { default_value: { numerator: 100, denominator: "HUNDRED" } }, trace_sampled: { value: false } }],
    "a 0% mirror is left out");
});

test("simulation: corsPolicy and fault become per-route filter configs", () => {
  const r = decideFor([{
    ...toBackend,
    corsPolicy: { allowOrigins: [{ exact: "https://a.example" }, { regex: "https://.*\\.b\\.example" }], allowMethods: ["GET", "POST"], allowHeaders: ["x-a"], exposeHeaders: ["x-b"], maxAge: "24h", allowCredentials: true },
    fault: { delay: { fixedDelay: "5s", percentage: { value: 10 } }, abort: { httpStatus: 503, percentage: { value: 0.5 } } },
  }]);
  assert.deepEqual(r.filters?.["envoy.filters.http.cors"], {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
    forward_not_matching_preflights: { value: true },
    allow_origin_string_match: [{ exact: "https://a.example" }, { safe_regex: { regex: "https://.*\\.b\\.example" } }],
    filter_enabled: { default_value: { numerator: 100, denominator: "HUNDRED" } },
    allow_credentials: { value: true }, allow_headers: "x-a", allow_methods: "GET,POST", expose_headers: "x-b", max_age: "86400",
  });
  assert.deepEqual(r.filters?.["envoy.filters.http.fault"], {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
    delay: { fixed_delay: { seconds: 5 }, percentage: { numerator: 100000, denominator: "MILLION" } },
    abort: { http_status: 503, percentage: { numerator: 5000, denominator: "MILLION" } },
  });
});

test("simulation: delegate VirtualService — matches intersected, root fields as defaults, names joined, conflicts dropped", () => {
  const delegate: ResourceDoc = {
    kind: "VirtualService",
    metadata: { name: "web-api" },
    spec: {
      http: [
        { name: "v2", match: [{ uri: { prefix: "/api/v2" } }], route: [{ destination: { host: "backend", subset: "v2" } }] },
        { name: "outside", match: [{ uri: { prefix: "/other" } }], route: [{ destination: { host: "web" } }] },
        { name: "rest", route: [{ destination: { host: "backend", subset: "v1" } }], timeout: "3s" },
      ],
    },
  };
  const http = [{ name: "api", match: [{ uri: { prefix: "/api" } }], delegate: { name: "web-api" }, timeout: "1s", headers: { request: { set: { "x-root": "1" } } } }, FALLBACK];
  const v2 = decideFor(http, { path: "/api/v2/x" }, [delegate]);
  assert.deepEqual([v2.route, v2.cluster, v2.timeoutMs, v2.requestHeaders?.["x-root"]], ["api-v2", out(8000, BACKEND, "v2"), 1000, "1"]);
  const rest = decideFor(http, { path: "/api/v1" }, [delegate]);
  assert.deepEqual([rest.route, rest.cluster, rest.timeoutMs], ["api-rest", out(8000, BACKEND, "v1"), 3000]);
  assert.equal(decideFor(http, { path: "/other" }, [delegate]).route, "fallback", "a delegate match outside the root's is dropped");
  assert.equal(decideFor([{ name: "self", delegate: { name: "web" } }, FALLBACK], {}, []).route, "fallback", "a delegate with hosts (here itself) is ignored, no loop");
});
