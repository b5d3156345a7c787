// Istio port protocols (pkg/config/protocol): parsing and the HTTP/TLS/TCP families.

const KNOWN: Readonly<Record<string, string>> = {
  tcp: "TCP", udp: "UDP", grpc: "GRPC", "grpc-web": "GRPC-Web", http: "HTTP", http_proxy: "HTTP_PROXY", http2: "HTTP2",
  https: "HTTPS", tls: "TLS", mongo: "Mongo", redis: "Redis", mysql: "MySQL",
};

/** Istio's canonical protocol name, "" for unset (sniffed), or undefined when unsupported. */
export function parseProtocol(value: string): string | undefined {
  if (value === "") return "";
  return KNOWN[value.toLowerCase()];
}

export function isHTTPProtocol(p: string | undefined): boolean {
  return p === "HTTP" || p === "HTTP2" || p === "GRPC" || p === "GRPC-Web" || p === "HTTP_PROXY";
}

export function isTLSProtocol(p: string | undefined): boolean {
  return p === "HTTPS" || p === "TLS";
}

export function isTCPProtocol(p: string | undefined): boolean {
  return p === "TCP" || p === "HTTPS" || p === "TLS" || p === "Mongo" || p === "Redis" || p === "MySQL";
}
