// Parses an HTTP/1.x request head (request line + header block) from a Buffer into a RequestHead with its body framing.

import { TOKEN, parseHeaderFields, parseContentLength, hasToken } from "./header-fields.js";

/** A parsed request head. `headers` is a flat lowercase [name, value, ...] list that filters may edit. */
export interface RequestHead {
  method: string;
  /** Origin-form path with query ("/a?b"); absolute-form targets are rewritten to this. */
  path: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor: number;
  headers: string[];
  /** The authority: the absolute-form URL's authority or the Host header ("" when neither). */
  host: string;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
  /**
   * The Upgrade header's value when this is an HTTP/1.1 upgrade request (`Connection: upgrade` + `Upgrade`);
   * "" or absent otherwise (optional so that heads built by other codecs, e.g. HTTP/2, need not set it).
   */
  upgrade?: string;
}

/** Why a head was rejected: the status code to answer with. */
export const enum HeadError { BadRequest = 400, TooManyHeaders = 431, NotImplemented = 501 }

/** Envoy's default common_http_protocol_options.max_headers_count: a request with more fields gets 431. */
export const MAX_HEADERS_COUNT = 100;

const CR = 13, LF = 10, SP = 32;

/**
 * Parses `buf[0, end)` where `end` is the index just past the blank line's CRLF (i.e. of "\r\n\r\n" + 4).
 * Returns the head, or a HeadError status for malformed input (RFC 9112 §2–§6; request smuggling
 * defences per §6.3: Transfer-Encoding together with Content-Length, conflicting Content-Lengths, and
 * any Transfer-Encoding other than "chunked" are refused).
 */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead | HeadError {
  let pos = start;
  while (TOKEN[buf[pos]] === 1) pos++;
  if (pos === start || buf[pos] !== SP) return HeadError.BadRequest;
  const method = buf.toString("latin1", start, pos);
  const targetStart = ++pos;
  let c = buf[pos];
  while (c > 0x20 && c < 0x7f) c = buf[++pos];
  if (pos === targetStart || c !== SP) return HeadError.BadRequest;
  const targetEnd = pos++;
  // "HTTP/1.x\r\n"
  if (buf[pos] !== 0x48 || buf[pos + 1] !== 0x54 || buf[pos + 2] !== 0x54 || buf[pos + 3] !== 0x50 ||
      buf[pos + 4] !== 0x2f || buf[pos + 5] !== 0x31 || buf[pos + 6] !== 0x2e ||
      buf[pos + 8] !== CR || buf[pos + 9] !== LF) return HeadError.BadRequest;
  const minor = buf[pos + 7] - 0x30;
  if (minor !== 0 && minor !== 1) return HeadError.BadRequest;
  pos += 10;

  const headers: string[] = [];
  if (!parseHeaderFields(buf, pos, end - 2, headers)) return HeadError.BadRequest;
  if (headers.length > MAX_HEADERS_COUNT * 2) return HeadError.TooManyHeaders;

  let host = "";
  let hostSeen = false;
  let contentLength = -1;
  let te: string | undefined;
  let connection: string | undefined;
  let upgrade = "";
  let expectContinue = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    switch (name.length) {
      case 4:
        if (name === "host") {
          if (hostSeen) return HeadError.BadRequest;
          hostSeen = true;
          host = headers[i + 1];
        }
        break;
      case 6:
        if (name === "expect" && headers[i + 1].toLowerCase() === "100-continue") {
          expectContinue = true;
          headers.splice(i, 2);
          i -= 2;
        }
        break;
      case 7:
        if (name === "upgrade") upgrade = headers[i + 1];
        break;
      case 10:
        if (name === "connection") connection = connection === undefined ? headers[i + 1] : `${connection},${headers[i + 1]}`;
        break;
      case 14:
        if (name === "content-length") {
          const n = parseContentLength(headers[i + 1]);
          if (n < 0 || (contentLength >= 0 && n !== contentLength)) return HeadError.BadRequest;
          if (contentLength >= 0) { headers.splice(i, 2); i -= 2; }
          contentLength = n;
        }
        break;
      case 17:
        if (name === "transfer-encoding") {
          if (te !== undefined) return HeadError.NotImplemented;
          te = headers[i + 1];
        }
        break;
    }
  }
  let chunked = false;
  if (te !== undefined) {
    if (te.toLowerCase() !== "chunked") return HeadError.NotImplemented;
    if (contentLength >= 0) return HeadError.BadRequest;
    chunked = true;
  }

  let path: string;
  const t0 = buf[targetStart];
  if (t0 === 0x2f) {
    path = buf.toString("latin1", targetStart, targetEnd);
  } else if (t0 === 0x2a && targetEnd - targetStart === 1) {
    path = "*";
  } else {
    const target = buf.toString("latin1", targetStart, targetEnd);
    const schemeEnd = target.indexOf("://");
    const scheme = schemeEnd > 0 ? target.slice(0, schemeEnd).toLowerCase() : "";
    if (scheme !== "http" && scheme !== "https") return HeadError.BadRequest;
    let authEnd = schemeEnd + 3;
    while (authEnd < target.length) {
      const ch = target.charCodeAt(authEnd);
      if (ch === 0x2f || ch === 0x3f) break;
      authEnd++;
    }
    const authority = target.slice(schemeEnd + 3, authEnd);
    if (authority.length === 0 || authority.includes("@")) return HeadError.BadRequest;
    path = authEnd === target.length ? "/" : (target.charCodeAt(authEnd) === 0x3f ? "/" + target.slice(authEnd) : target.slice(authEnd));
    host = authority;
    if (hostSeen) {
      for (let i = 0; i < headers.length; i += 2) if (headers[i] === "host") headers[i + 1] = authority;
    } else {
      headers.push("host", authority);
      hostSeen = true;
    }
  }
  if (minor === 1 && !hostSeen) return HeadError.BadRequest;

  let keepAlive = minor === 1;
  if (connection !== undefined) {
    if (hasToken(connection, "close")) keepAlive = false;
    else if (minor === 0 && hasToken(connection, "keep-alive")) keepAlive = true;
  }
  // An upgrade needs both fields (Envoy Utility::isUpgrade); a lone Upgrade header is hop-by-hop noise.
  if (upgrade !== "" && (minor === 0 || connection === undefined || !hasToken(connection, "upgrade"))) upgrade = "";
  if (upgrade !== "" && upgrade.toLowerCase() === "h2c") {
    // Envoy's HTTP/1 codec strips an h2c upgrade (curl --http2 sends one) and serves the request as HTTP/1.1.
    upgrade = "";
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === "http2-settings") { headers.splice(i, 2); i -= 2; }
    }
  }
  return { method, path, versionMinor: minor, headers, host, contentLength, chunked, keepAlive, expectContinue: expectContinue && minor === 1, upgrade };
}
