// Serialises responses the proxy generates itself (404 NR, 503 UH, 400 DPE, ...) the way Envoy shapes them.

/** Reason phrases for the status codes Weft answers locally or forwards. */
const REASONS: Record<number, string> = {
  100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
  303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
  413: "Payload Too Large", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout", 505: "HTTP Version Not Supported",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Unknown";
}

/**
 * The full bytes of a local reply. Like Envoy: `server: envoy` (kept for compatibility with tools that
 * look for it), `content-type: text/plain` when there is a body, and `connection: close` when closing.
 * `extraHeaders` is a flat [name, value, ...] list.
 */
export function localReplyBytes(status: number, body: string, close: boolean, extraHeaders?: readonly string[], headRequest = false): Buffer {
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  const bodyLength = Buffer.byteLength(body);
  if (bodyLength > 0) head += `content-type: text/plain\r\n`;
  head += `content-length: ${bodyLength}\r\ndate: ${httpDate()}\r\nserver: envoy\r\n`;
  if (extraHeaders) for (let i = 0; i < extraHeaders.length; i += 2) head += `${extraHeaders[i]}: ${extraHeaders[i + 1]}\r\n`;
  if (close) head += "connection: close\r\n";
  head += "\r\n";
  return Buffer.from(headRequest ? head : head + body, "utf8");
}

let cachedDate = "";
let cachedSecond = 0;

/** The IMF-fixdate for `date:` headers, recomputed at most once a second. */
export function httpDate(): string {
  const now = Date.now();
  const second = (now / 1000) | 0;
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
}

/** Envoy Grpc::Utility::httpToGrpcStatus (grpc's doc/http-grpc-status-mapping.md): the grpc-status of a local reply. */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return 13; // INTERNAL
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 12; // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14; // UNAVAILABLE
    default: return 2; // UNKNOWN
  }
}

/** A gRPC request (Envoy Grpc::Common::isGrpcRequestHeaders): content-type application/grpc or application/grpc+<codec>. */
export function isGrpcContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith("application/grpc")) return false;
  const c = contentType.charCodeAt(16);
  return Number.isNaN(c) || c === 43 /* + */ || c === 59 /* ; */;
}

/** The grpc-message encoding (gRPC PROTOCOL-HTTP2: percent-encode bytes outside 0x20–0x7E and "%"). */
export function grpcMessage(text: string): string {
  let out = "";
  for (const b of Buffer.from(text, "utf8")) {
    out += b < 0x20 || b > 0x7e || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(b);
  }
  return out;
}
