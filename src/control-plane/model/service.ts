// Service, ServicePort and ServiceEndpoint: the registry's view of ServiceEntry hosts and their instances.

import type { Labels } from "./istio-specs.js";

export interface ServicePort {
  name: string;
  number: number;
  /** Upper-case Istio protocol as written, or derived from the port name prefix ("" when neither says). */
  protocol: string;
  targetPort?: number;
}

/** One host of one ServiceEntry. Immutable. */
export interface Service {
  hostname: string; // FQDN
  namespace: string; // the ServiceEntry's namespace
  /** The ServiceEntry that declared it (for metadata and diagnostics). */
  source: { kind: string; namespace: string; name: string };
  addresses: readonly string[]; // VIPs (CIDRs dropped)
  ports: readonly ServicePort[];
  resolution: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
  location: "MESH_EXTERNAL" | "MESH_INTERNAL";
  workloadSelector?: Labels;
  exportTo?: readonly string[];
}

/** One instance of a service on one service port. */
export interface ServiceEndpoint {
  address: string;
  port: number; // the endpoint's port (ports[portName] ?? targetPort ?? number)
  servicePort: number;
  labels: Labels;
  locality: string; // "region/zone/subzone" or ""
  network: string; // WorkloadEntry network / proxy NETWORK metadata, "" when unset (failoverPriority's topology.istio.io/network)
  weight: number; // ≥ 1
  serviceAccount: string;
  workloadName: string;
  namespace: string;
}

const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"]);
const NON_HTTP_PREFIXES = ["tcp", "tls", "https", "mongo", "mysql", "redis", "udp", "thrift"];

/** Istio's protocol from a port's declared protocol, else its name (`http`, `http-web`, `grpc-x`, `tcp-db`). */
export function portProtocol(name: string, protocol: string | undefined): string {
  if (protocol) return protocol.toUpperCase();
  const prefix = name.toLowerCase().split("-")[0]!;
  if (prefix === "http" || prefix === "http2" || prefix === "grpc" || prefix === "grpc-web") return prefix.toUpperCase();
  return NON_HTTP_PREFIXES.includes(prefix) ? prefix.toUpperCase() : "";
}

/**
 * Istio's IsHTTPOrSniffed: HTTP, HTTP2, gRPC, or a protocol nobody declared (Istio sniffs those; Weft treats them as HTTP).
 * TCP, TLS, HTTPS and the other L4 protocols are not (no HTTP listener/route is built for them yet).
 */
export function isHttpPort(p: ServicePort): boolean {
  return p.protocol === "" || HTTP_PROTOCOLS.has(p.protocol);
}

/** The short name of a service: the first label of its hostname (`reviews` for reviews.default.svc.cluster.local). */
export function shortName(hostname: string): string {
  const i = hostname.indexOf(".");
  return i < 0 ? hostname : hostname.slice(0, i);
}
