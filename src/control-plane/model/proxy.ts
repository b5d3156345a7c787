// Proxy: who is asking for config, parsed from the node of its first DiscoveryRequest.

import { isIP } from "node:net";
import { structToJson, type XdsNode } from "../../xds/discovery.js";
import { WeftError } from "../../shared/weft-error.js";

/** One connected xDS client. Immutable; built once per stream by parseProxy. */
export interface Proxy {
  id: string; // node.id
  type: "sidecar" | "grpc"; // "grpc" for proxyless gRPC clients (see isProxylessGrpc), else sidecar
  ip: string; // first of INSTANCE_IPS, else parsed from node.id (sidecar~IP~...), else the peer address
  namespace: string; // NAMESPACE metadata, else from node.id, else "default"
  workloadName: string; // WORKLOAD_NAME, else from node.id
  labels: Readonly<Record<string, string>>; // LABELS
  serviceAccount: string; // SERVICE_ACCOUNT or "default"
  appPort?: number; // APP_PORT
  appAddress?: string; // APP_ADDRESS
  locality?: { region?: string; zone?: string; subZone?: string };
  metadata: Readonly<Record<string, unknown>>; // the whole node metadata as JSON
}

function bad(reason: string): never {
  throw new WeftError("XDS_BAD_NODE", reason);
}

function optionalString(md: Record<string, unknown>, key: string): string | undefined {
  const v = md[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") bad(`metadata ${key} must be a string`);
  return v;
}

function parseLabels(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) bad("metadata LABELS must be a struct of strings");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== "string") bad(`metadata LABELS.${k} must be a string`);
    out[k] = val;
  }
  return out;
}

function parsePort(v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) bad(`metadata APP_PORT must be a port number, got ${JSON.stringify(v)}`);
  return n;
}

/** The IP of a grpc-js peer string: "ipv4:1.2.3.4:5", "ipv6:[::1]:5", "1.2.3.4:5", "[::1]:5" or a bare IP. */
function peerIp(peer: string): string | undefined {
  let s = peer.replace(/^ipv[46]:/, "");
  if (s.startsWith("[")) s = s.slice(1, s.indexOf("]"));
  else if (isIP(s) === 0 && s.lastIndexOf(":") > 0) s = s.slice(0, s.lastIndexOf(":"));
  return isIP(s) !== 0 ? s : undefined;
}

/** Builds a Proxy from the node of its first DiscoveryRequest. Throws WeftError("XDS_BAD_NODE", reason) on garbage. */
export function parseProxy(node: XdsNode | null | undefined, peerAddress: string): Proxy {
  if (!node) bad("request has no node");
  const id = node.id;
  if (typeof id !== "string" || id === "") bad("node has no id");
  let metadata: Record<string, unknown>;
  try {
    metadata = structToJson(node.metadata);
  } catch {
    bad("node metadata is not a struct");
  }

  // sidecar~<ip>~<workload>.<namespace>~<namespace>.svc.<domain>
  const idParts = id.split("~");
  const fromId = idParts.length === 4 ? { ip: idParts[1]!, podName: idParts[2]!, domain: idParts[3]! } : undefined;

  const instanceIps = optionalString(metadata, "INSTANCE_IPS");
  let ip: string | undefined;
  if (instanceIps !== undefined) {
    ip = instanceIps.split(",")[0]!.trim();
    if (isIP(ip) === 0) bad(`metadata INSTANCE_IPS has an invalid IP ${JSON.stringify(ip)}`);
  } else if (fromId && fromId.ip !== "") {
    if (isIP(fromId.ip) === 0) bad(`node id ${JSON.stringify(id)} has an invalid IP ${JSON.stringify(fromId.ip)}`);
    ip = fromId.ip;
  } else {
    ip = peerIp(peerAddress);
    if (ip === undefined) bad(`no INSTANCE_IPS, no IP in node id and unusable peer address ${JSON.stringify(peerAddress)}`);
  }

  const dot = fromId ? fromId.podName.indexOf(".") : -1;
  const namespace =
    optionalString(metadata, "NAMESPACE") ??
    (fromId && dot > 0 ? fromId.podName.slice(dot + 1) : undefined) ??
    (fromId && fromId.domain.includes(".svc") ? fromId.domain.slice(0, fromId.domain.indexOf(".")) : undefined) ??
    "default";
  const workloadName =
    optionalString(metadata, "WORKLOAD_NAME") ?? (fromId ? (dot > 0 ? fromId.podName.slice(0, dot) : fromId.podName) : "");

  const appAddress = optionalString(metadata, "APP_ADDRESS");
  if (appAddress !== undefined && isIP(appAddress) === 0) bad(`metadata APP_ADDRESS must be an IP, got ${JSON.stringify(appAddress)}`);

  const proxy: Proxy = {
    id,
    type: isProxylessGrpc(node, metadata) ? "grpc" : "sidecar",
    ip,
    namespace,
    workloadName,
    labels: parseLabels(metadata.LABELS),
    serviceAccount: optionalString(metadata, "SERVICE_ACCOUNT") ?? "default",
    metadata,
  };
  const appPort = parsePort(metadata.APP_PORT);
  if (appPort !== undefined) proxy.appPort = appPort;
  if (appAddress !== undefined) proxy.appAddress = appAddress;
  const loc = node.locality;
  if (loc && (loc.region || loc.zone || loc.sub_zone)) {
    proxy.locality = {};
    if (loc.region) proxy.locality.region = loc.region;
    if (loc.zone) proxy.locality.zone = loc.zone;
    if (loc.sub_zone) proxy.locality.subZone = loc.sub_zone;
  }
  return proxy;
}

/**
 * Istio marks proxyless clients with node metadata `GENERATOR: grpc`. A gRPC xDS client whose bootstrap lacks
 * it still names itself in `user_agent_name` ("gRPC Node Pure JS", "gRPC Go", "gRPC Java", "gRPC C-core"),
 * and must get the gRPC generator's api_listeners either way; Envoy says "envoy".
 */
export function isProxylessGrpc(node: XdsNode | null | undefined, metadata: Readonly<Record<string, unknown>>): boolean {
  if (metadata.GENERATOR !== undefined) return metadata.GENERATOR === "grpc";
  return /^grpc\b/i.test(node?.user_agent_name ?? "");
}
