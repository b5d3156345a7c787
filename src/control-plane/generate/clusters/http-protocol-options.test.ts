// Unit tests for the upstream HTTP protocol applier (Istio setUpstreamProtocol / applyH2Upgrade / applyConnectionPool).

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE } from "../../../xds/type-urls.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { httpProtocolOptions, HTTP_PROTOCOL_OPTIONS_KEY, HTTP_PROTOCOL_OPTIONS_TYPE } from "./http-protocol-options.js";

const H2 = { [HTTP_PROTOCOL_OPTIONS_KEY]: { "@type": HTTP_PROTOCOL_OPTIONS_TYPE, explicit_http_config: { http2_protocol_options: {} } } };
const DOWNSTREAM = { [HTTP_PROTOCOL_OPTIONS_KEY]: { "@type": HTTP_PROTOCOL_OPTIONS_TYPE, use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } } };

test("HTTP2, GRPC and GRPC-Web ports get explicit HTTP/2 in both directions; HTTP and TCP ports get nothing", () => {
  for (const p of ["HTTP2", "GRPC", "GRPC-WEB", "GRPC-Web"]) {
    assert.deepEqual(httpProtocolOptions(p, true, undefined), H2, p);
    assert.deepEqual(httpProtocolOptions(p, false, undefined), H2, p);
  }
  assert.equal(httpProtocolOptions("HTTP", true, undefined), undefined);
  assert.equal(httpProtocolOptions("TCP", true, undefined), undefined);
});

test("a port of unknown protocol uses the downstream protocol (Istio's sniffed ports)", () => {
  assert.deepEqual(httpProtocolOptions("", true, undefined), DOWNSTREAM);
  assert.deepEqual(httpProtocolOptions("", false, undefined), DOWNSTREAM);
});

test("h2UpgradePolicy UPGRADE upgrades outbound HTTP/1.1 clusters only; DO_NOT_UPGRADE and DEFAULT do not", () => {
  assert.deepEqual(httpProtocolOptions("HTTP", true, { http: { h2UpgradePolicy: "UPGRADE" } }), H2);
  assert.deepEqual(httpProtocolOptions("", true, { http: { h2UpgradePolicy: "UPGRADE" } }), H2);
  assert.equal(httpProtocolOptions("HTTP", false, { http: { h2UpgradePolicy: "UPGRADE" } }), undefined);
  assert.equal(httpProtocolOptions("HTTP", true, { http: { h2UpgradePolicy: "DO_NOT_UPGRADE" } }), undefined);
  assert.equal(httpProtocolOptions("HTTP", true, { http: { h2UpgradePolicy: "DEFAULT" } }), undefined);
});

test("useClientProtocol wins over an HTTP/2 port and over UPGRADE", () => {
  assert.deepEqual(httpProtocolOptions("GRPC", true, { http: { useClientProtocol: true } }), DOWNSTREAM);
  assert.deepEqual(httpProtocolOptions("HTTP", true, { http: { useClientProtocol: true, h2UpgradePolicy: "UPGRADE" } }), DOWNSTREAM);
  assert.deepEqual(httpProtocolOptions("HTTP", false, { http: { useClientProtocol: true } }), DOWNSTREAM);
});

test("idleTimeout, maxRequestsPerConnection and maxConcurrentStreams (HTTP/2 clusters only) land in the options", () => {
  const grpc = httpProtocolOptions("GRPC", true, { http: { idleTimeout: "30s", maxRequestsPerConnection: 5, maxConcurrentStreams: 50 } });
  assert.deepEqual(grpc, { [HTTP_PROTOCOL_OPTIONS_KEY]: {
    "@type": HTTP_PROTOCOL_OPTIONS_TYPE,
    common_http_protocol_options: { idle_timeout: { seconds: 30 }, max_requests_per_connection: { value: 5 } },
    explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 50 } } },
  } });
  const http = httpProtocolOptions("HTTP", true, { http: { maxConcurrentStreams: 50 }, tcp: { idleTimeout: "1m" } });
  assert.deepEqual(http, { [HTTP_PROTOCOL_OPTIONS_KEY]: {
    "@type": HTTP_PROTOCOL_OPTIONS_TYPE,
    common_http_protocol_options: { idle_timeout: { seconds: 60 } },
    explicit_http_config: { http_protocol_options: {} },
  } });
});

test("the options encode as a Cluster's typed_extension_protocol_options", () => {
  const options = httpProtocolOptions("GRPC", true, { http: { idleTimeout: "1s", maxConcurrentStreams: 7 } })!;
  assertRoundTrip(CLUSTER_TYPE, { name: "c", type: "STATIC", typed_extension_protocol_options: options });
  assertRoundTrip(CLUSTER_TYPE, { name: "d", type: "STATIC", typed_extension_protocol_options: httpProtocolOptions("", true, undefined)! });
});
