// RequestAuthentication jwtRules → JwtAuthentication: Istio's provider shapes and requirements, round-tripped through the real proto.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { jwksCluster, jwtAuthentication, jwtAuthnFilter, UNUSABLE_JWKS } from "./jwt-authn-filter.js";
import { JWT_AUTHN_TYPE } from "./security-filter-names.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const JWKS = JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", kid: "k1", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }] });
const NORMALIZE = { space_delimited_claims: ["permission", "scope"] };

function roundTripped(rules: Parameters<typeof jwtAuthentication>[0]): Obj {
  const config = jwtAuthentication(rules)!;
  return assertRoundTrip(JWT_AUTHN_TYPE, config);
}

test("one rule: provider origins-0 with every field, requires {origins-0 or allow_missing} on prefix /", () => {
  const c = roundTripped([{
    issuer: "https://issuer.example",
    audiences: ["a1", "a2"],
    jwks: JWKS,
    fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }, { name: "x-raw" }],
    fromParams: ["token"],
    fromCookies: ["session"],
    forwardOriginalToken: true,
    outputPayloadToHeader: "x-jwt-payload",
    outputClaimToHeaders: [{ header: "x-sub", claim: "sub" }],
  }]);
  assert.deepStrictEqual(c, {
    providers: {
      "origins-0": {
        issuer: "https://issuer.example",
        audiences: ["a1", "a2"],
        forward: true,
        forward_payload_header: "x-jwt-payload",
        payload_in_metadata: "payload",
        normalize_payload_in_metadata: NORMALIZE,
        claim_to_headers: [{ header_name: "x-sub", claim_name: "sub" }],
        from_headers: [{ name: "x-jwt", value_prefix: "Bearer " }, { name: "x-raw" }],
        from_params: ["token"],
        from_cookies: ["session"],
        local_jwks: { inline_string: JWKS },
      },
    },
    rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "origins-0" }, { allow_missing: {} }] } } }],
    bypass_cors_preflight: true,
  });
});

test("several rules are sorted by issuer; requirement = any of {P0, P1, all of {P0 or missing, P1 or missing}}", () => {
  const c = roundTripped([{ issuer: "z-issuer", jwks: JWKS }, { issuer: "a-issuer", jwksUri: "https://keys.example.com:8443/jwks.json", timeout: "2s" }]);
  assert.equal(c.providers["origins-0"].issuer, "a-issuer");
  assert.equal(c.providers["origins-1"].issuer, "z-issuer");
  assert.deepStrictEqual(c.providers["origins-0"].remote_jwks, {
    http_uri: { uri: "https://keys.example.com:8443/jwks.json", cluster: "outbound|8443||keys.example.com", timeout: { seconds: 2 } },
    cache_duration: { seconds: 300 },
  });
  const either = (n: string): Obj => ({ requires_any: { requirements: [{ provider_name: n }, { allow_missing: {} }] } });
  assert.deepStrictEqual(c.rules, [{
    match: { prefix: "/" },
    requires: { requires_any: { requirements: [{ provider_name: "origins-0" }, { provider_name: "origins-1" }, { requires_all: { requirements: [either("origins-0"), either("origins-1")] } }] } },
  }]);
});

test("jwksUri cluster names: outbound|<port>||<host>, default ports 80/443; no usable JWKS source → a JWKS no token verifies against", () => {
  assert.equal(jwksCluster("http://jwks.default.svc.cluster.local/keys"), "outbound|80||jwks.default.svc.cluster.local");
  assert.equal(jwksCluster("https://example.com/.well-known/jwks.json"), "outbound|443||example.com");
  assert.equal(jwksCluster("ftp://example.com/x"), undefined);
  const c = roundTripped([{ issuer: "i", jwksUri: "not a url" }, { issuer: "j", spaceDelimitedClaims: ["roles"], jwksUri: "http://10.0.0.1:8080/k" }]);
  assert.deepStrictEqual(c.providers["origins-0"].local_jwks, { inline_string: UNUSABLE_JWKS });
  assert.equal(JSON.parse(UNUSABLE_JWKS).keys.length, 1);
  assert.deepStrictEqual(c.providers["origins-1"].normalize_payload_in_metadata, { space_delimited_claims: ["permission", "roles", "scope"] });
  assert.equal(c.providers["origins-1"].remote_jwks.http_uri.cluster, "outbound|8080||10.0.0.1");
  assert.deepStrictEqual(c.providers["origins-1"].remote_jwks.http_uri.timeout, { seconds: 5 });
});

test("the HTTP filter is envoy.filters.http.jwt_authn with the JwtAuthentication typed_config; no rules → no filter", () => {
  const f = jwtAuthnFilter([{ issuer: "i", jwks: JWKS }])!;
  assert.equal(f.name, "envoy.filters.http.jwt_authn");
  assert.equal((f.typed_config as Obj)["@type"], JWT_AUTHN_TYPE);
  assert.equal(jwtAuthnFilter([]), undefined);
});
