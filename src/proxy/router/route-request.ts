// The request fields route matching reads: RequestHead satisfies it, so matching allocates nothing per request.

/** A request as the router sees it; `headers` is the flat lowercase [name, value, ...] list. */
export interface RouteRequest {
  readonly method: string;
  /** Origin-form path with query. */
  readonly path: string;
  /** The authority (Host header or absolute-form authority). */
  readonly host: string;
  readonly headers: readonly string[];
  /** `:scheme`; "http" when absent (plaintext HTTP/1.1). */
  readonly scheme?: string;
}

/**
 * A header's value as Envoy's HeaderMatcher sees it: pseudo-headers `:method`, `:authority`, `:path`, `:scheme`
 * (and `host`, which Envoy stores as `:authority`) come from the request line; a multi-valued header is its values
 * joined by ","; undefined when absent.
 */
export function headerValue(req: RouteRequest, name: string): string | undefined {
  if (name.charCodeAt(0) === 58 /* ":" */) {
    switch (name) {
      case ":method": return req.method;
      case ":authority": return req.host;
      case ":path": return req.path;
      case ":scheme": return req.scheme ?? "http";
      default: return undefined;
    }
  }
  if (name === "host") return req.host === "" ? undefined : req.host;
  const headers = req.headers;
  let v: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) v = v === undefined ? headers[i + 1] : `${v},${headers[i + 1]}`;
  }
  return v;
}
