// Tests of route hash policies: each method's key, Envoy's combination and terminal rule, generated cookies.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import type { RequestHead } from "../http/request-head.js";
import { combineHash, hash32, hashHex64 } from "../upstream/lb/hash.js";
import { compileHashPolicy, computeHash, cookieValue, setCookieValue } from "./hash-policy.js";

function head(path: string, headers: string[]): RequestHead {
  return { method: "GET", path, versionMinor: 1, headers, host: "svc:80", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
}

const socket = { remoteAddress: "127.0.5.1", remotePort: 40000, localAddress: "127.0.5.2", localPort: 15001 } as Socket;

function hashOf(policies: object[], h: RequestHead, cookies: string[] = []): number | undefined {
  const p = compileHashPolicy("r", { hash_policy: policies })!;
  return computeHash(p, h, socket, { addSetCookie: (c) => cookies.push(c) });
}

test("header: the value's hash; several values hash alike in any order; absent gives no hash", () => {
  assert.equal(hashOf([{ header: { header_name: "X-User" } }], head("/", ["x-user", "alice"])), hash32("alice"));
  const ab = hashOf([{ header: { header_name: "x-user" } }], head("/", ["x-user", "a", "x-user", "b"]));
  assert.equal(ab, hashOf([{ header: { header_name: "x-user" } }], head("/", ["x-user", "b", "x-user", "a"])));
  assert.equal(hashOf([{ header: { header_name: "x-user" } }], head("/", [])), undefined);
  assert.equal(hashOf([{ header: { header_name: ":authority" } }], head("/", [])), hash32("svc:80"));
});

test("query parameter, source IP and cookie keys", () => {
  assert.equal(hashOf([{ query_parameter: { name: "u" } }], head("/p?a=1&u=bob&u=x", [])), hash32("bob"));
  assert.equal(hashOf([{ query_parameter: { name: "u" } }], head("/p?uu=1", [])), undefined);
  assert.equal(hashOf([{ connection_properties: { source_ip: true } }], head("/", [])), hash32("127.0.5.1"));
  assert.equal(hashOf([{ cookie: { name: "s" } }], head("/", ["cookie", "a=1; s=\"v1\"; b=2"])), hash32("v1"));
  assert.equal(hashOf([{ cookie: { name: "s" } }], head("/", [])), undefined);
  assert.equal(hashOf([{ filter_state: { key: "k" } }], head("/", [])), undefined);
});

test("policies combine as rotl(hash, 1) ^ next; a terminal policy with a hash stops the list", () => {
  const h = head("/?q=1", ["x-a", "a"]);
  assert.equal(hashOf([{ header: { header_name: "x-a" } }, { query_parameter: { name: "q" } }], h), combineHash(hash32("a"), hash32("1")));
  assert.equal(hashOf([{ header: { header_name: "x-a" }, terminal: true }, { query_parameter: { name: "q" } }], h), hash32("a"));
  // A terminal policy without a key does not stop the list.
  assert.equal(hashOf([{ header: { header_name: "x-b" }, terminal: true }, { query_parameter: { name: "q" } }], h), hash32("1"));
});

test("a cookie with a ttl that the request lacks is generated from the connection's addresses and set on the response", () => {
  const cookies: string[] = [];
  const hash = hashOf([{ cookie: { name: "sticky", ttl: { seconds: 60 }, path: "/a" } }], head("/", []), cookies);
  const value = hashHex64("127.0.5.1:40000127.0.5.2:15001");
  assert.deepEqual(cookies, [`sticky="${value}"; Max-Age=60; Path=/a; HttpOnly`]);
  // The next request carrying the cookie hashes the same.
  assert.equal(hash, hashOf([{ cookie: { name: "sticky" } }], head("/", ["cookie", `sticky="${value}"`])));
  assert.equal(setCookieValue("s", "v", "", 0), `s="v"; HttpOnly`);
  // An empty cookie counts as absent (Envoy): no hash without a ttl, a generated cookie with one.
  assert.equal(hashOf([{ cookie: { name: "sticky" } }], head("/", ["cookie", "sticky="])), undefined);
  const regenerated: string[] = [];
  assert.equal(hashOf([{ cookie: { name: "sticky", ttl: { seconds: 60 }, path: "/a" } }], head("/", ["cookie", "sticky=\"\""]), regenerated), hash);
  assert.equal(regenerated.length, 1);
});

test("cookieValue finds the first cookie of that name across headers, not a name with the same suffix", () => {
  assert.equal(cookieValue(["cookie", "xs=1; s=2", "cookie", "s=3"], "s"), "2");
  assert.equal(cookieValue(["cookie", "xs=1"], "s"), undefined);
});

test("malformed policies are refused", () => {
  assert.throws(() => compileHashPolicy("r", { hash_policy: [{}] }), /PROXY_CONFIG_INVALID|needs header/);
  assert.throws(() => compileHashPolicy("r", { hash_policy: [{ header: {} }] }), /header_name/);
  assert.equal(compileHashPolicy("r", {}), undefined);
});
