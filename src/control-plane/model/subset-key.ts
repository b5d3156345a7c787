// Istio's cluster names `outbound|<port>|<subset>|<fqdn>` and `inbound|<port>||` (pilot/pkg/model/service.go BuildSubsetKey).

export type TrafficDirection = "outbound" | "inbound";

export interface SubsetKey {
  direction: TrafficDirection;
  port: number;
  subset: string;
  hostname: string;
}

export function buildSubsetKey(direction: TrafficDirection, subset: string, hostname: string, port: number): string {
  return `${direction}|${port}|${subset}|${hostname}`;
}

export function buildInboundKey(port: number): string {
  return `inbound|${port}||`;
}

/** Parses a cluster name back into its parts; undefined when it is not a subset key with a valid port. */
export function parseSubsetKey(name: string): SubsetKey | undefined {
  const parts = name.split("|");
  if (parts.length !== 4) return undefined;
  const [direction, portStr, subset, hostname] = parts as [string, string, string, string];
  if (direction !== "outbound" && direction !== "inbound") return undefined;
  const port = Number(portStr);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || String(port) !== portStr) return undefined;
  return { direction, port, subset, hostname };
}
