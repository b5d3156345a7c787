// HashPolicy: a RouteAction's hash_policy compiled once, and the request hash it gives (Envoy router HashPolicyImpl).

import type { Socket } from "node:net";
import { arrayField, durationMs, invalid, objectField, stringField, type XdsObject } from "../config/xds-fields.js";
import type { RequestHead } from "../http/request-head.js";
import { combineHash, hash32, hashHex64 } from "../upstream/lb/hash.js";

const enum Kind { Header, Cookie, SourceIp, QueryParameter, FilterState }

interface HashMethod {
  readonly kind: Kind;
  /** Header name (lowercase), cookie name or query parameter name. */
  readonly name: string;
  readonly terminal: boolean;
  /** Cookie: ttl in whole seconds, or -1 when unset (no cookie is generated). */
  readonly ttlSeconds: number;
  /** Cookie: path attribute ("" for none). */
  readonly path: string;
}

/** Where a generated cookie goes: the router adds each value as a `set-cookie` header of the response. */
export interface SetCookieSink {
  addSetCookie(headerValue: string): void;
}

export interface HashPolicy {
  readonly methods: readonly HashMethod[];
}

/** Compiles RouteAction.hash_policy; undefined for an empty list. Throws PROXY_CONFIG_INVALID on a malformed entry. */
export function compileHashPolicy(where: string, action: XdsObject): HashPolicy | undefined {
  const list = arrayField(where, action, "hash_policy");
  if (list.length === 0) return undefined;
  return { methods: list.map((p) => compileMethod(where, p)) };
}

function compileMethod(where: string, p: XdsObject): HashMethod {
  const terminal = p.terminal === true;
  const header = objectField(where, p, "header");
  if (header) {
    if (objectField(where, header, "regex_rewrite")) invalid(where, "hash_policy header regex_rewrite is not supported");
    const name = stringField(where, header, "header_name") ?? invalid(where, "hash_policy header without header_name");
    return { kind: Kind.Header, name: name.toLowerCase(), terminal, ttlSeconds: -1, path: "" };
  }
  const cookie = objectField(where, p, "cookie");
  if (cookie) {
    const name = stringField(where, cookie, "name") || invalid(where, "hash_policy cookie without name");
    const ttlSeconds = objectField(where, cookie, "ttl") ? Math.floor(durationMs(where, cookie, "ttl", 0) / 1000) : -1;
    if (arrayField(where, cookie, "attributes").length > 0) invalid(where, "hash_policy cookie attributes are not supported");
    return { kind: Kind.Cookie, name, terminal, ttlSeconds, path: stringField(where, cookie, "path") ?? "" };
  }
  const conn = objectField(where, p, "connection_properties");
  if (conn) return { kind: conn.source_ip === true ? Kind.SourceIp : Kind.FilterState, name: "", terminal, ttlSeconds: -1, path: "" };
  const query = objectField(where, p, "query_parameter");
  if (query) {
    const name = stringField(where, query, "name") || invalid(where, "hash_policy query_parameter without name");
    return { kind: Kind.QueryParameter, name, terminal, ttlSeconds: -1, path: "" };
  }
  // filter_state: Weft keeps no filter state objects, so it never yields a hash (as an absent key in Envoy).
  if (objectField(where, p, "filter_state")) return { kind: Kind.FilterState, name: "", terminal, ttlSeconds: -1, path: "" };
  return invalid(where, "hash_policy entry needs header, cookie, connection_properties, query_parameter or filter_state");
}

/**
 * The request's hash (unsigned 32-bit), or undefined when no method found its key. Methods combine as Envoy does:
 * hash = rotl(hash, 1) ^ next; a terminal method that produced a hash ends the list. A cookie method with a ttl whose
 * cookie is absent generates its value from the downstream connection's remote and local addresses (so concurrent
 * requests of one connection agree), hashes it and hands `name="value"; Max-Age=ttl; Path=path; HttpOnly` to `sink`.
 */
export function computeHash(policy: HashPolicy, head: RequestHead, socket: Socket | undefined, sink: SetCookieSink): number | undefined {
  let hash: number | undefined;
  for (const m of policy.methods) {
    const next = methodHash(m, head, socket, sink);
    if (next !== undefined) hash = hash === undefined ? next : combineHash(hash, next);
    if (m.terminal && hash !== undefined) break;
  }
  return hash;
}

function methodHash(m: HashMethod, head: RequestHead, socket: Socket | undefined, sink: SetCookieSink): number | undefined {
  switch (m.kind) {
    case Kind.Header: return headerHash(head, m.name);
    case Kind.Cookie: {
      // Envoy's CookieHashMethod: an empty cookie counts as absent.
      const value = cookieValue(head.headers, m.name);
      if (value !== undefined && value !== "") return hash32(value);
      if (m.ttlSeconds < 0 || socket === undefined) return undefined;
      const generated = hashHex64(addressString(socket.remoteAddress, socket.remotePort) + addressString(socket.localAddress, socket.localPort));
      sink.addSetCookie(setCookieValue(m.name, generated, m.path, m.ttlSeconds));
      return hash32(generated);
    }
    case Kind.SourceIp: {
      const ip = socket?.remoteAddress;
      return ip === undefined ? undefined : hash32(ip);
    }
    case Kind.QueryParameter: {
      const v = queryValue(head.path, m.name);
      return v === undefined ? undefined : hash32(v);
    }
    case Kind.FilterState: return undefined;
  }
}

/** Envoy's HeaderHashMethod: every value of the header, sorted so order does not matter, hashed in sequence. */
function headerHash(head: RequestHead, name: string): number | undefined {
  if (name.charCodeAt(0) === 58 /* ':' */) {
    const v = name === ":authority" ? head.host : name === ":path" ? head.path : name === ":method" ? head.method : name === ":scheme" ? "http" : undefined;
    return v === undefined || v === "" ? undefined : hash32(v);
  }
  const h = head.headers;
  let first: string | undefined;
  let more: string[] | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] !== name) continue;
    if (first === undefined) first = h[i + 1];
    else (more ??= [first]).push(h[i + 1]);
  }
  if (more === undefined) return first === undefined ? undefined : hash32(first);
  more.sort();
  let hash = 0;
  for (const v of more) hash = hash32(v, hash);
  return hash;
}

/** Envoy Utility::parseCookieValue: the first cookie named `name` across the cookie headers, surrounding quotes removed. */
export function cookieValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== "cookie") continue;
    const line = headers[i + 1];
    let pos = 0;
    while (pos < line.length) {
      let end = line.indexOf(";", pos);
      if (end < 0) end = line.length;
      let start = pos;
      while (start < end && line.charCodeAt(start) === 32) start++;
      const eq = line.indexOf("=", start);
      if (eq > 0 && eq < end && eq - start === name.length && line.startsWith(name, start)) {
        let v = line.slice(eq + 1, end);
        if (v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34) v = v.slice(1, -1);
        return v;
      }
      pos = end + 1;
    }
  }
  return undefined;
}

/** The first value of query parameter `name` in `path` (not percent-decoded, as Envoy's parseQueryString), or undefined. */
function queryValue(path: string, name: string): string | undefined {
  const q = path.indexOf("?");
  if (q < 0) return undefined;
  let pos = q + 1;
  while (pos <= path.length) {
    let end = path.indexOf("&", pos);
    if (end < 0) end = path.length;
    const eq = path.indexOf("=", pos);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd - pos === name.length && path.startsWith(name, pos)) return keyEnd === end ? "" : path.slice(eq + 1, end);
    pos = end + 1;
  }
  return undefined;
}

/** Envoy Http::Utility::makeSetCookieValue with httponly. */
export function setCookieValue(name: string, value: string, path: string, maxAgeSeconds: number): string {
  let s = `${name}="${value}"`;
  if (maxAgeSeconds > 0) s += `; Max-Age=${maxAgeSeconds}`;
  if (path !== "") s += `; Path=${path}`;
  return s + "; HttpOnly";
}

/** Envoy's Address::asString: "ip:port", IPv6 in brackets. */
function addressString(ip: string | undefined, port: number | undefined): string {
  const a = ip ?? "";
  return (a.includes(":") ? `[${a}]` : a) + ":" + String(port ?? 0);
}
