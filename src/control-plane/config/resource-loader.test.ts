// Tests for the validation pipeline: YAML documents, recognition, schema and semantic rules.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFile } from "./resource-loader.js";

function vs(apiVersion: string, spec: string, name = "reviews"): string {
  return `apiVersion: ${apiVersion}\nkind: VirtualService\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
}
const GOOD_SPEC = `  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n        subset: v1\n`;
const reasons = (text: string) => loadFile("f.yaml", text).diagnostics.map((d) => `${d.code} ${d.field}: ${d.reason}`);

test("v1alpha3, v1beta1 and v1 VirtualServices are all accepted with the same spec", () => {
  for (const v of ["v1alpha3", "v1beta1", "v1"]) {
    const r = loadFile("f.yaml", vs(`networking.istio.io/${v}`, GOOD_SPEC));
    assert.deepEqual(r.diagnostics, [], v);
    assert.equal(r.entries[0]?.resource?.version, v);
    assert.equal(r.entries[0]?.resource?.metadata.namespace, "default");
  }
});

test("a string where an integer belongs is a schema error with path and line", () => {
  const text = vs("networking.istio.io/v1", `  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n      weight: "abc"\n`);
  const r = loadFile("f.yaml", text);
  assert.equal(r.entries[0]?.resource, undefined);
  const d = r.diagnostics.find((x) => x.field === "spec.http[0].route[0].weight");
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.equal(d.code, "CONFIG_SCHEMA");
  assert.equal(d.reason, "must be integer");
  assert.equal(d.line, 11);
});

test("an unknown enum value lists the allowed values", () => {
  const text = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      simple: FASTEST\n`;
  const d = loadFile("f.yaml", text).diagnostics[0]!;
  assert.equal(d.field, "spec.trafficPolicy.loadBalancer.simple");
  assert.match(d.reason, /^must be one of .*ROUND_ROBIN.*LEAST_REQUEST/);
  assert.equal(d.line, 8);
});

test("unknown fields are rejected, but EnvoyFilter patch values are free-form", () => {
  assert.deepEqual(reasons(vs("networking.istio.io/v1", GOOD_SPEC + "  bogus: 1\n")), ['CONFIG_SCHEMA spec.bogus: unknown field "bogus"']);
  const ef = `apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: e}\nspec:\n  configPatches:\n  - applyTo: CLUSTER\n    patch:\n      operation: MERGE\n      value: {anything: {goes: 1}}\n`;
  assert.deepEqual(reasons(ef), []);
});

test("VirtualService semantic rules", () => {
  const cases: [string, RegExp][] = [
    [`  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: 0\n    - destination: {host: b}\n      weight: 0\n`, /spec.http\[0\].route: total destination weight = 0/],
    [`  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: -1\n`, /weight: weight -1 < 0/],
    [`  hosts: [reviews]\n  http:\n  - redirect: {uri: /x}\n    route:\n    - destination: {host: a}\n`, /both route and redirect/],
    [`  hosts: [reviews]\n  http:\n  - timeout: 1500us\n    route:\n    - destination: {host: a}\n`, /timeout: only durations to ms precision/],
    [`  hosts: [reviews]\n  http:\n  - retries: {attempts: 0, perTryTimeout: 1s}\n    route:\n    - destination: {host: a}\n`, /attempts are set to 0/],
    [`  hosts: [reviews]\n  http:\n  - match:\n    - uri: {regex: "a(b"}\n    route:\n    - destination: {host: a}\n`, /uri.regex: "uri": error parsing regexp/],
    [`  hosts: [reviews]\n  http:\n  - match:\n    - headers: {x-user: {regex: "(?<=a)"}}\n    route:\n    - destination: {host: a}\n`, /headers\["x-user"\].regex/],
    [`  hosts: [reviews]\n  http:\n  - fault: {abort: {httpStatus: 503, percentage: {value: 150}}}\n    route:\n    - destination: {host: a}\n`, /percentage 150 is neither/],
    [`  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: a, port: {number: 70000}}\n`, /must be in the range 1..65535/],
    [`  hosts: ["*"]\n  http:\n  - route:\n    - destination: {host: a}\n`, /wildcard host \* is not allowed/],
    [`  hosts: [reviews]\n  http:\n  - mirror: {host: a}\n    mirrorPercentage: {value: 101}\n    route:\n    - destination: {host: a}\n`, /mirror percentage must have a max value of 100/],
    [`  hosts: [reviews]\n  http:\n  - delegate: {name: d}\n    route:\n    - destination: {host: a}\n`, /root HTTP route  must not specify route/],
    [`  hosts: [Bad_Host]\n  http:\n  - route:\n    - destination: {host: a}\n`, /label "Bad_Host" invalid/],
  ];
  for (const [spec, re] of cases) {
    const r = loadFile("f.yaml", vs("networking.istio.io/v1", spec));
    assert.equal(r.entries[0]?.resource, undefined, `should reject: ${spec}`);
    assert.ok(r.diagnostics.some((d) => d.code === "CONFIG_SEMANTIC" && re.test(`${d.field}: ${d.reason}`)), `${re} in ${JSON.stringify(r.diagnostics.map((d) => `${d.field}: ${d.reason}`))}`);
  }
});

test("DestinationRule, ServiceEntry, Gateway, Sidecar and security rules", () => {
  const cases: [string, RegExp][] = [
    [`apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v1, labels: {version: v2}}\n`, /duplicate subset names: v1/],
    [`apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  trafficPolicy:\n    outlierDetection: {maxEjectionPercent: 120}\n`, /maxEjectionPercent: percentage 120 is not in range/],
    [`apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      localityLbSetting:\n        distribute:\n        - from: a/b/*\n          to: {"a/b/*": 60, "c/*": 30}\n`, /total locality weight 90 != 100/],
    [`apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  trafficPolicy:\n    portLevelSettings:\n    - loadBalancer: {simple: RANDOM}\n`, /portTrafficPolicy must have valid port/],
    [`apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: s}\nspec:\n  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: not-an-ip}]\n`, /not a valid IP address/],
    [`apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: s}\nspec:\n  hosts: ["*.example.com"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n`, /hosts must be FQDN/],
    [`apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: s}\nspec:\n  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http2, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: 1.2.3.4, ports: {grpc: 90}}]\n`, /already defined|not defined by the service entry/],
    [`apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ["ns/a.example.com"]\n`, /server must have TLS settings/],
    [`apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\nspec:\n  egress:\n  - hosts: ["a.example.com"]\n`, /host must be of form namespace\/dnsName/],
    [`apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\nspec:\n  mtls: {mode: STRICT}\n  portLevelMtls: {"8080": {mode: DISABLE}}\n`, /cannot have port level mTLS/],
    [`apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r}\nspec:\n  jwtRules:\n  - issuer: x\n    jwksUri: ftp://x/keys\n`, /scheme "ftp" is not supported/],
    [`apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  action: CUSTOM\n  rules: [{}]\n`, /provider.name. must not be empty/],
    [`apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  rules:\n  - when: [{key: request.bogus, values: [x]}]\n`, /unknown attribute: request.bogus/],
    [`apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: e}\nspec:\n  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: MERGE}\n`, /missing patch value/],
    [`apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: t}\nspec:\n  metrics: [{overrides: [{tagOverrides: {foo: {operation: UPSERT}}}]}]\n`, /tagOverrides.value must be set/],
  ];
  for (const [text, re] of cases) {
    const r = loadFile("f.yaml", text);
    assert.equal(r.entries[0]?.resource, undefined, `should reject: ${text}`);
    assert.ok(r.diagnostics.some((d) => re.test(`${d.field}: ${d.reason}`)), `${re} in ${JSON.stringify(r.diagnostics.map((d) => `${d.field}: ${d.reason}`))}`);
  }
});

test("a multi-document file with one bad document still loads the others", () => {
  const text = [vs("networking.istio.io/v1", GOOD_SPEC, "a"), vs("networking.istio.io/v1", GOOD_SPEC + "  tcp: 5\n", "b"), vs("networking.istio.io/v1", GOOD_SPEC, "c")].join("---\n");
  const r = loadFile("f.yaml", text);
  assert.deepEqual(r.entries.map((e) => [e.key.name, e.resource !== undefined]), [["a", true], ["b", false], ["c", true]]);
  assert.equal(r.diagnostics[0]?.name, "b");
  assert.equal(r.entries[2]?.resource?.source.line, 26);
});

test("malformed YAML gives CONFIG_YAML with its line while the following documents load", () => {
  const text = `a: [1, 2\n---\n` + vs("networking.istio.io/v1", GOOD_SPEC);
  const r = loadFile("f.yaml", text);
  assert.equal(r.diagnostics[0]?.code, "CONFIG_YAML");
  assert.ok(r.hasUnidentifiedErrors);
  assert.equal(r.entries.length, 1);
  assert.ok(r.entries[0]?.resource);
});

test("kinds outside Istio are warned about and ignored; unknown Istio kinds and versions are errors", () => {
  const r = loadFile("f.yaml", `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata: {name: x}\n---\napiVersion: security.istio.io/v1alpha9\nkind: PeerAuthentication\nmetadata: {name: y}\n`);
  assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.line]), [["warning", "CONFIG_UNKNOWN_KIND", 1], ["error", "CONFIG_SCHEMA", 6], ["error", "CONFIG_SCHEMA", 9]]);
  assert.equal(r.entries.filter((e) => e.resource).length, 0);
});

test("metadata.name is required", () => {
  assert.deepEqual(reasons(`apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {namespace: x}\nspec:\n${GOOD_SPEC}`), ["CONFIG_SCHEMA metadata.name: is required"]);
});
