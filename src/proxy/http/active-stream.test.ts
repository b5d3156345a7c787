// Tests of ActiveStream's HTTP/1.1 response writing: trailers after the last chunk, only when enabled.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import "../filters/router/router-filter.js";
import { HCM_TYPE, ROUTER_TYPE } from "../../xds/type-urls.js";
import { HttpConnectionManagerStats } from "../stats/proxy-stats.js";
import { ActiveStream, type StreamConnection } from "./active-stream.js";
import type { DataPlane } from "./data-plane.js";
import { HttpConnectionManagerConfig } from "./http-connection-manager-config.js";
import type { RequestHead } from "./request-head.js";
import type { ResponseHead } from "./response-head.js";

/** A StreamConnection whose socket records what is written. */
function fakeConnection(): StreamConnection & { written: () => string; completed: boolean } {
  const out: string[] = [];
  const socket = {
    cork() {}, uncork() {}, once() { return socket; },
    write(chunk: string | Buffer) { out.push(typeof chunk === "string" ? chunk : chunk.toString("latin1")); return true; },
  };
  const conn = {
    socket: socket as unknown as Socket,
    completed: false,
    pauseReading() {}, resumeReading() {},
    streamComplete() { conn.completed = true; },
    written: () => out.join(""),
  };
  return conn;
}

function hcm(enableTrailers: boolean): HttpConnectionManagerConfig {
  return HttpConnectionManagerConfig.parse("l", {
    "@type": HCM_TYPE, stat_prefix: "p", rds: { route_config_name: "80" },
    http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE } }],
    http_protocol_options: { enable_trailers: enableTrailers },
  }, () => new HttpConnectionManagerStats());
}

const HEAD: RequestHead = { method: "GET", path: "/", versionMinor: 1, headers: ["host", "x"], host: "x", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
/** A response without framing, as an HTTP/2 upstream delivers it: this hop chunk-encodes it. */
const UNFRAMED: ResponseHead = { status: 200, versionMinor: 1, headers: ["content-type", "application/grpc"], contentLength: -1, chunked: false, keepAlive: true };

function respond(enableTrailers: boolean, resp: ResponseHead, head = HEAD): string {
  const conn = fakeConnection();
  const s = new ActiveStream(conn, head, hcm(enableTrailers), {} as DataPlane, false);
  s.onResponseHead(resp, 1);
  s.onResponseData(Buffer.from("hello"), 0, 5);
  s.onResponseTrailers(["grpc-status", "0", "grpc-message", "ok"]);
  s.onResponseEnd();
  assert.equal(conn.completed, true);
  return conn.written();
}

test("with enable_trailers, trailers follow the last chunk of a body this hop chunk-encodes", () => {
  const out = respond(true, UNFRAMED);
  assert.match(out, /\r\ntransfer-encoding: chunked\r\n/);
  assert.ok(out.endsWith("\r\n\r\n5\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n"), JSON.stringify(out));
});

test("without enable_trailers (Envoy's default) trailers are dropped", () => {
  assert.ok(respond(false, UNFRAMED).endsWith("5\r\nhello\r\n0\r\n\r\n"));
});

test("a Content-Length response carries no trailers", () => {
  const out = respond(true, { ...UNFRAMED, contentLength: 5 });
  assert.ok(out.endsWith("\r\n\r\nhello"), JSON.stringify(out));
});

test("an HTTP/1.0 client gets a close-delimited body and no trailers", () => {
  const out = respond(true, UNFRAMED, { ...HEAD, versionMinor: 0, keepAlive: false });
  assert.ok(out.endsWith("\r\n\r\nhello"), JSON.stringify(out));
  assert.match(out, /\r\nconnection: close\r\n/);
});
