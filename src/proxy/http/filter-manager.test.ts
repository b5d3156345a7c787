// Tests of the FilterManager's iteration contract: order, StopIteration + continueDecoding, local replies, encode order.

import { test } from "node:test";
import assert from "node:assert/strict";
import { FilterManager, type FilterManagerStream } from "./filter-manager.js";
import { FilterStatus, type HttpFilterCallbacks, type HttpFilterFactory } from "../filters/http-filter.js";
import { StreamInfo } from "./stream-info.js";
import type { RequestHead } from "./request-head.js";
import type { ResponseHead } from "./response-head.js";

const HEAD: RequestHead = { method: "GET", path: "/", versionMinor: 1, headers: [], host: "x", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
const RESPONSE: ResponseHead = { status: 200, versionMinor: 1, headers: [], contentLength: 0, chunked: false, keepAlive: true };

function fakeStream(log: string[]): FilterManagerStream {
  return {
    streamInfo: new StreamInfo(),
    decodingComplete: () => log.push("router"),
    sendLocalReply: (status, body, flags) => log.push(`reply ${status} ${body} ${flags}`),
    route: () => undefined,
  };
}

function filter(name: string, log: string[], behaviour: "continue" | "stop" | "reply" = "continue", grab?: (cb: HttpFilterCallbacks) => void): HttpFilterFactory {
  return {
    create: (cb) => {
      grab?.(cb);
      return {
        decodeHeaders: () => {
          log.push(`decode ${name}`);
          if (behaviour === "reply") { cb.sendLocalReply(403, "denied"); return FilterStatus.StopIteration; }
          return behaviour === "stop" ? FilterStatus.StopIteration : FilterStatus.Continue;
        },
        encodeHeaders: (h) => { log.push(`encode ${name}`); h.headers.push(`x-${name}`, "1"); },
        onStreamComplete: () => log.push(`complete ${name}`),
      };
    },
  };
}

test("decode hooks run in order, then the router; encode hooks run in reverse", () => {
  const log: string[] = [];
  const fm = new FilterManager([filter("a", log), filter("b", log)], fakeStream(log));
  fm.decodeHeaders(HEAD, true);
  const resp = { ...RESPONSE, headers: [] as string[] };
  fm.encodeHeaders(resp, false);
  fm.onStreamComplete();
  assert.deepEqual(log, ["decode a", "decode b", "router", "encode b", "encode a", "complete a", "complete b"]);
  assert.deepEqual(resp.headers, ["x-b", "1", "x-a", "1"]);
});

test("StopIteration pauses the chain until continueDecoding, which resumes at the next filter", () => {
  const log: string[] = [];
  let cb: HttpFilterCallbacks | undefined;
  const fm = new FilterManager([filter("a", log, "stop", (c) => (cb = c)), filter("b", log)], fakeStream(log));
  fm.decodeHeaders(HEAD, true);
  assert.deepEqual(log, ["decode a"]);
  cb!.continueDecoding();
  cb!.continueDecoding();
  assert.deepEqual(log, ["decode a", "decode b", "router"]);
});

test("sendLocalReply ends the chain: later filters and the router do not run", () => {
  const log: string[] = [];
  const fm = new FilterManager([filter("a", log, "reply"), filter("b", log)], fakeStream(log));
  fm.decodeHeaders(HEAD, true);
  assert.deepEqual(log, ["decode a", "reply 403 denied 0"]);
});
