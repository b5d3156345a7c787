import { test } from "node:test";
import assert from "node:assert/strict";
import { FilterStatus, type HttpFilterCallbacks } from "../http-filter.js";
import { StreamInfo, ResponseFlag } from "../../http/stream-info.js";
import type { RequestHead } from "../../http/request-head.js";
import { RouteEntry } from "../../router/route-entry.js";
import { compileFaultConfig } from "./fault-config.js";
import { FaultFilterFactory } from "./fault-filter.js";
import { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";

const FAULT = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

function head(headers: string[] = []): RequestHead {
  return { method: "GET", path: "/", versionMinor: 1, headers, host: "a", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
}

interface Recorder extends HttpFilterCallbacks { replies: Array<{ status: number; body: string; flags: number; headers?: string[] }>; continued: number }

function callbacks(route?: RouteEntry): Recorder {
  const r: Recorder = {
    streamInfo: new StreamInfo(),
    replies: [],
    continued: 0,
    continueDecoding() { r.continued++; },
    sendLocalReply(status, body, flags = 0, headers) { r.replies.push({ status, body, flags, headers }); },
    route: () => route,
  };
  return r;
}

const stats = new HttpConnectionManagerStats();

function factory(config: object, random: () => number): FaultFilterFactory {
  return new FaultFilterFactory(compileFaultConfig("t", { "@type": FAULT, ...config }), stats, random);
}

test("an abort at 30% fires exactly when the draw is below 0.30, with FI and Envoy's body", () => {
  const abort = { abort: { http_status: 503, percentage: { numerator: 300_000, denominator: "MILLION" } } };
  for (const [draw, fires] of [[0.2999, true], [0.3, false], [0.9, false], [0, true]] as const) {
    const cb = callbacks();
    const status = factory(abort, () => draw).create(cb).decodeHeaders!(head(), true);
    assert.equal(status, fires ? FilterStatus.StopIteration : FilterStatus.Continue, `draw ${draw}`);
    assert.equal(cb.replies.length, fires ? 1 : 0);
    if (fires) {
      assert.deepEqual(cb.replies[0], { status: 503, body: "fault filter abort", flags: ResponseFlag.FaultInjected, headers: undefined });
    }
  }
});

test("a 0% fault (or one without percentage) never fires", () => {
  const cb = callbacks();
  const f = factory({ abort: { http_status: 500 }, delay: { fixed_delay: { seconds: 1 }, percentage: { numerator: 0 } } }, () => 0);
  assert.equal(f.create(cb).decodeHeaders!(head(), true), FilterStatus.Continue);
  assert.equal(cb.replies.length, 0);
});

test("a gRPC abort is a trailers-only 200 with grpc-status", () => {
  const cb = callbacks();
  factory({ abort: { grpc_status: 14, percentage: { numerator: 100 } } }, Math.random).create(cb).decodeHeaders!(head(), true);
  assert.equal(cb.replies[0].status, 200);
  assert.deepEqual(cb.replies[0].headers, ["content-type", "application/grpc", "grpc-status", "14", "grpc-message", "fault filter abort"]);
});

test("a delay is a timer: it flags DI, then continues (or aborts when an abort is also configured)", async () => {
  const cb = callbacks();
  const t0 = performance.now();
  const filter = factory({ delay: { fixed_delay: { nanos: 50_000_000 }, percentage: { numerator: 100 } } }, Math.random).create(cb);
  assert.equal(filter.decodeHeaders!(head(), true), FilterStatus.StopIteration);
  assert.ok(cb.streamInfo.hasResponseFlag(ResponseFlag.DelayInjected));
  while (cb.continued === 0) await new Promise((r) => setTimeout(r, 5));
  assert.ok(performance.now() - t0 >= 45);

  const both = callbacks();
  factory({ delay: { fixed_delay: { nanos: 10_000_000 }, percentage: { numerator: 100 } }, abort: { http_status: 418, percentage: { numerator: 100 } } }, Math.random)
    .create(both).decodeHeaders!(head(), true);
  while (both.replies.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(both.replies[0].status, 418);
  assert.equal(both.continued, 0);
});

test("a delay is cancelled when the stream completes (downstream gone)", async () => {
  const cb = callbacks();
  const filter = factory({ delay: { fixed_delay: { nanos: 20_000_000 }, percentage: { numerator: 100 } } }, Math.random).create(cb);
  filter.decodeHeaders!(head(), true);
  filter.onStreamComplete!();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cb.continued, 0);
});

test("the route's typed_per_filter_config replaces the filter config", () => {
  const route = RouteEntry.compile("rc", {
    match: { prefix: "/" }, route: { cluster: "c" },
    typed_per_filter_config: { "envoy.filters.http.fault": { "@type": FAULT, abort: { http_status: 429, percentage: { numerator: 100 } } } },
  });
  const cb = callbacks(route);
  factory({ abort: { http_status: 500, percentage: { numerator: 100 } } }, () => 0).create(cb).decodeHeaders!(head(), true);
  assert.equal(cb.replies[0].status, 429);
});

test("header_abort takes the status from x-envoy-fault-abort-request", () => {
  const cb = callbacks();
  const f = factory({ abort: { header_abort: {}, percentage: { numerator: 100 } } }, () => 0);
  assert.equal(f.create(cb).decodeHeaders!(head(), true), FilterStatus.Continue, "no header, no abort");
  f.create(cb).decodeHeaders!(head(["x-envoy-fault-abort-request", "502"]), true);
  assert.equal(cb.replies[0].status, 502);
});
