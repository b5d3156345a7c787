// RequestAuthentication / AuthorizationPolicy validation (Istio pkg/config/validation): bad input rejected with the field, good input accepted.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFile } from "./resource-loader.js";

const ra = (spec: string): string => `apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n${spec}`;
const ap = (spec: string): string => `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: authz, namespace: shop}\nspec:\n${spec}`;

const REJECTED: [string, string, RegExp][] = [
  ["a jwt rule without issuer or jwksUri", ra(`  jwtRules: [{audiences: [a]}]\n`), /^spec\.jwtRules\[0\]\.issuer: issuer or jwksUri must be non-empty string/],
  ["a jwksUri that is not http(s)", ra(`  jwtRules: [{issuer: i, jwksUri: "ftp://keys/x"}]\n`), /jwtRules\[0\]\.jwksUri: URI scheme "ftp" is not supported/],
  ["inline jwks that is not JSON", ra(`  jwtRules: [{issuer: i, jwks: "not json"}]\n`), /jwtRules\[0\]\.jwks: jwks parse error/],
  ["a timeout under 1ms", ra(`  jwtRules: [{issuer: i, jwksUri: "https://k/x", timeout: 100us}]\n`), /jwtRules\[0\]\.timeout: duration must be greater than 1ms/],
  ["an outputClaimToHeaders header with a space", ra(`  jwtRules: [{issuer: i, outputClaimToHeaders: [{header: "x y", claim: sub}]}]\n`), /outputClaimToHeaders\[0\]\.header: /],
  ["DENY without rules", ap(`  action: DENY\n`), /^spec\.rules: DENY action without `rules` is meaningless/],
  ["CUSTOM without provider", ap(`  action: CUSTOM\n  rules: [{}]\n`), /spec\.provider\.name: `provider\.name` must not be empty/],
  ["an unknown when key", ap(`  rules: [{when: [{key: source.foo, values: [x]}]}]\n`), /when\[0\]\.values: invalid `value` for `key` source\.foo: unknown attribute/],
  ["a bad ipBlock", ap(`  rules: [{from: [{source: {ipBlocks: ["10.0.0.0/99"]}}]}]\n`), /ipBlocks\[0\]: invalid IP address or CIDR range/],
  ["a bad port", ap(`  rules: [{to: [{operation: {ports: ["http"]}}]}]\n`), /ports\[0\]: invalid port: http/],
  ["a {**} path template not at the end", ap(`  rules: [{to: [{operation: {paths: ["/a/{**}/b"]}}]}]\n`), /paths\[0\]: invalid or unsupported path/],
];

for (const [name, yaml, re] of REJECTED) {
  test(`rejected: ${name}`, () => {
    const r = loadFile("security.yaml", yaml);
    assert.equal(r.entries[0]?.resource, undefined, `should reject:\n${yaml}`);
    assert.ok(r.diagnostics.some((d) => re.test(`${d.field}: ${d.reason}`)), `${re} in ${JSON.stringify(r.diagnostics.map((d) => `${d.field}: ${d.reason}`))}`);
  });
}

test("accepted: a full RequestAuthentication and an AuthorizationPolicy using every source/operation/when form", () => {
  const jwks = JSON.stringify({ keys: [] }).replace(/"/g, '\\"');
  const r1 = loadFile("ra.yaml", ra(`  selector: {matchLabels: {app: x}}\n  jwtRules:\n  - issuer: https://issuer\n    jwksUri: https://issuer/keys\n    timeout: 2s\n    audiences: [a]\n    fromHeaders: [{name: authorization, prefix: "Bearer "}]\n    fromParams: [token]\n    fromCookies: [session]\n    forwardOriginalToken: true\n    outputPayloadToHeader: x-payload\n    outputClaimToHeaders: [{header: x-sub, claim: sub}]\n  - issuer: other\n    jwks: "${jwks}"\n`));
  assert.ok(r1.entries[0]?.resource, JSON.stringify(r1.diagnostics));
  const r2 = loadFile("ap.yaml", ap(`  action: ALLOW
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/a/sa/b"], notRequestPrincipals: ["*"], namespaces: [a], ipBlocks: [10.0.0.0/8], remoteIpBlocks: [1.2.3.4]}
    to:
    - operation: {hosts: ["*.example.com"], notMethods: [DELETE], paths: ["/api/*", "/v1/{*}/x"], ports: ["8080"]}
    when:
    - {key: "request.headers[x-user]", values: [alice]}
    - {key: "request.auth.claims[groups]", values: [admin]}
    - {key: source.ip, notValues: [10.1.0.0/16]}
    - {key: destination.port, values: ["9080"]}
    - {key: connection.sni, values: ["*.local"]}
`));
  assert.ok(r2.entries[0]?.resource, JSON.stringify(r2.diagnostics));
});
