import { test } from "node:test";
import assert from "node:assert/strict";
import { compileExtAuthzConfig } from "./ext-authz-config.js";

test("gRPC service: Envoy's 200 ms default timeout, 403 on error, failure_mode_allow off", () => {
  const c = compileExtAuthzConfig("t", { grpc_service: { envoy_grpc: { cluster_name: "outbound|9000||authz.foo.svc.cluster.local" } } });
  assert.deepEqual(c.service, { kind: "grpc", cluster: "outbound|9000||authz.foo.svc.cluster.local", authority: "" });
  assert.equal(c.timeoutMs, 200);
  assert.equal(c.statusOnError, 403);
  assert.equal(c.failureModeAllow, false);
  assert.equal(c.enabledWhen, undefined);
});

test("HTTP service: header lists compile to name predicates; headers_to_add are kept in order", () => {
  const c = compileExtAuthzConfig("t", {
    http_service: {
      server_uri: { uri: "http://a", cluster: "c", timeout: { seconds: 1 } }, path_prefix: "/p",
      authorization_request: { allowed_headers: { patterns: [{ prefix: "x-" }] }, headers_to_add: [{ key: "X-A", value: "1" }] },
    },
    status_on_error: { code: 503 }, failure_mode_allow: true,
  });
  assert.equal(c.service.kind, "http");
  if (c.service.kind !== "http") return;
  assert.equal(c.service.allowedHeaders?.("x-user"), true);
  assert.equal(c.service.allowedHeaders?.("cookie"), false);
  assert.equal(c.service.allowedUpstreamHeaders, undefined);
  assert.deepEqual(c.service.headersToAdd, ["x-a", "1"]);
  assert.equal(c.timeoutMs, 1000);
  assert.equal(c.statusOnError, 503);
  assert.equal(c.failureModeAllow, true);
});

test("configs Weft cannot honour are refused", () => {
  assert.throws(() => compileExtAuthzConfig("t", {}), /needs grpc_service or http_service/);
  assert.throws(() => compileExtAuthzConfig("t", { grpc_service: { google_grpc: {} } }), /envoy_grpc/);
  assert.throws(() => compileExtAuthzConfig("t", { http_service: { server_uri: { uri: "http://a" } } }), /server_uri needs cluster/);
  assert.throws(() => compileExtAuthzConfig("t", { grpc_service: { envoy_grpc: { cluster_name: "c" } }, with_request_body: { max_request_bytes: 10 } }), /with_request_body/);
});

test("status_on_error as xDS decodes it (the StatusCode enum's name)", async () => {
  const { packAny, unpackAny } = await import("../../../xds/any.js");
  const { EXT_AUTHZ_TYPE } = await import("../../../xds/type-urls.js");
  const decoded = unpackAny(packAny(EXT_AUTHZ_TYPE, { grpc_service: { envoy_grpc: { cluster_name: "c" } }, status_on_error: { code: 503 } })) as Record<string, unknown>;
  assert.equal(compileExtAuthzConfig("t", decoded).statusOnError, 503);
});
