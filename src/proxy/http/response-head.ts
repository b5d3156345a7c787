// Parses an HTTP/1.x response head (status line + header block) from a Buffer, with its body framing.

import { parseHeaderFields, parseContentLength, hasToken } from "./header-fields.js";

export interface ResponseHead {
  status: number;
  versionMinor: number;
  /** Flat lowercase [name, value, ...]; hop-by-hop fields are left in and dropped by the writer. */
  headers: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** False when the upstream asked to close (Connection: close, or HTTP/1.0 without keep-alive). */
  keepAlive: boolean;
}

const CR = 13, LF = 10, SP = 32;

/** Parses `buf[start, end)` (end just past "\r\n\r\n"); undefined when malformed (the caller flags UPE). */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead | undefined {
  let pos = start;
  if (buf[pos] !== 0x48 || buf[pos + 1] !== 0x54 || buf[pos + 2] !== 0x54 || buf[pos + 3] !== 0x50 ||
      buf[pos + 4] !== 0x2f || buf[pos + 5] !== 0x31 || buf[pos + 6] !== 0x2e || buf[pos + 8] !== SP) return undefined;
  const minor = buf[pos + 7] - 0x30;
  if (minor !== 0 && minor !== 1) return undefined;
  const d0 = buf[pos + 9] - 0x30, d1 = buf[pos + 10] - 0x30, d2 = buf[pos + 11] - 0x30;
  if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return undefined;
  const status = d0 * 100 + d1 * 10 + d2;
  pos += 12;
  if (buf[pos] === SP) {
    while (pos < end && buf[pos] !== CR) pos++;
  }
  if (buf[pos] !== CR || buf[pos + 1] !== LF) return undefined;
  pos += 2;
  const headers: string[] = [];
  if (!parseHeaderFields(buf, pos, end - 2, headers)) return undefined;
  let contentLength = -1;
  let chunked = false;
  let connection: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === "content-length") {
      const n = parseContentLength(headers[i + 1]);
      if (n < 0 || (contentLength >= 0 && n !== contentLength)) return undefined;
      contentLength = n;
    } else if (name === "transfer-encoding") {
      if (!hasToken(headers[i + 1], "chunked")) return undefined;
      chunked = true;
    } else if (name === "connection") {
      connection = connection === undefined ? headers[i + 1] : `${connection},${headers[i + 1]}`;
    }
  }
  if (chunked) contentLength = -1;
  let keepAlive = minor === 1;
  if (connection !== undefined) {
    if (hasToken(connection, "close")) keepAlive = false;
    else if (minor === 0 && hasToken(connection, "keep-alive")) keepAlive = true;
  }
  return { status, versionMinor: minor, headers, contentLength, chunked, keepAlive };
}
