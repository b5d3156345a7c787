// Tests of the grpc-status → HTTP status mapping, and that an HTTP/2 upstream's trailers-only gRPC error counts as that status.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import type { RequestHead } from "../../http/request-head.js";
import type { UpstreamRequestStream } from "../../router/upstream-request.js";
import { H2UpstreamRequest } from "../../router/h2-upstream-request.js";
import { staticCluster } from "../static-cluster.js";
import { grpcToHttpStatus } from "./grpc-to-http-status.js";
import { parseOutlierConfig } from "./outlier-config.js";

test("grpcToHttpStatus follows Envoy: OK 200, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, INTERNAL 500, unknown codes 500", () => {
  assert.deepEqual([0, 1, 4, 5, 8, 12, 13, 14, 16, 17, 99].map(grpcToHttpStatus), [200, 499, 504, 404, 429, 501, 500, 503, 401, 500, 500]);
});

test("an HTTP/2 upstream's trailers-only grpc-status 14 (UNAVAILABLE, :status 200) counts as a 503 gateway failure for the host", async () => {
  const server = createServer();
  server.on("stream", (s) => s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "14" }, { endStream: true }));
  await new Promise<void>((r) => server.listen(0, "127.0.8.41", r));
  const port = (server.address() as AddressInfo).port;
  const outlier = parseOutlierConfig("c", { name: "c", outlier_detection: { interval: { seconds: 3600 }, consecutive_5xx: { value: 100 } } });
  const c = staticCluster("c", [["127.0.8.41", port]], { outlier, protocol: "http2" });
  const head: RequestHead = {
    method: "POST", path: "/pkg.Svc/Call", versionMinor: 1, host: "svc", contentLength: 0, chunked: false, keepAlive: true, expectContinue: false,
    headers: ["host", "svc", "content-type", "application/grpc", "te", "trailers"],
  };
  let status = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const stream: UpstreamRequestStream = {
    head, requestEnded: true, downstreamHttp2: true,
    takePendingBody: () => null, pauseReading() {}, resumeReading() {}, setResponseFlag() {}, setUpstream() {},
    onResponseHead: (h) => { status = h.status; return true; },
    onResponseData() {}, flushResponse() {}, onResponseEnd: () => finish(),
    upstreamFailure: (s) => { status = s; finish(); },
  };
  try {
    new H2UpstreamRequest(stream, c, { kind: "cluster", timeoutMs: 0 } as never, false).start();
    await done;
    assert.equal(status, 200, "the response itself is relayed as it came");
    assert.equal(c.hosts[0].outlier!.consecutive5xx, 1);
    assert.equal(c.hosts[0].outlier!.consecutiveGatewayFailure, 1);
    assert.equal(c.hosts[0].outlier!.externalSuccess, 0);
  } finally {
    for (const h of c.hosts) h.close();
    c.state.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
