// Envoy's FilterChainMatch selection: the most specific chain wins, criterion by criterion, without backtracking.

import { isIPv4 } from "node:net";
import { arrayField, invalid, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";

/** An IPv4 CIDR as a masked integer, or an exact non-IPv4 address (prefix matching is IPv4-only in Weft). */
export interface CidrRange {
  readonly base: number;
  readonly mask: number;
  readonly len: number;
  readonly exact?: string;
}

/** The compiled filter_chain_match. Empty arrays / undefined mean "any" (Envoy's unset criterion). */
export interface FilterChainMatch {
  readonly destinationPort: number | undefined;
  readonly prefixRanges: readonly CidrRange[];
  /** Lower-case; `*.example.com` wildcards keep their leading `*.`. */
  readonly serverNames: readonly string[];
  readonly transportProtocol: string;
  readonly applicationProtocols: readonly string[];
  readonly sourcePrefixRanges: readonly CidrRange[];
  readonly sourcePorts: readonly number[];
}

/** What is known of a connection when its chain is chosen. `sni`/`alpn` come from tls_inspector. */
export interface ConnectionMetadata {
  destinationIp: string;
  destinationPort: number;
  sourceIp: string;
  sourcePort: number;
  /** "tls" when a ClientHello was seen, else "raw_buffer". */
  transportProtocol: string;
  sni: string;
  alpn: readonly string[];
}

export const ANY_MATCH: FilterChainMatch = Object.freeze({
  destinationPort: undefined, prefixRanges: [], serverNames: [], transportProtocol: "", applicationProtocols: [], sourcePrefixRanges: [], sourcePorts: [],
});

function ipv4ToInt(ip: string): number {
  const p = ip.split(".");
  return (((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0);
}

/** Strips the IPv4-mapped IPv6 prefix node reports for dual-stack sockets. */
function plainIp(ip: string): string {
  return ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

function parseCidr(resource: string, r: XdsObject): CidrRange {
  const address = stringField(resource, r, "address_prefix") ?? invalid(resource, "CidrRange without address_prefix");
  if (!isIPv4(address)) return { base: 0, mask: 0, len: 128, exact: address.toLowerCase() };
  const len = wrapped<number>(r, "prefix_len", 32);
  if (!Number.isInteger(len) || len < 0 || len > 32) invalid(resource, `invalid prefix_len ${len} for ${address}`);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { base: (ipv4ToInt(address) & mask) >>> 0, mask, len };
}

export function parseFilterChainMatch(resource: string, m: XdsObject | undefined): FilterChainMatch {
  if (!m) return ANY_MATCH;
  const port = m.destination_port === undefined || m.destination_port === null ? undefined : wrapped<number>(m, "destination_port", 0);
  return {
    destinationPort: port,
    prefixRanges: arrayField(resource, m, "prefix_ranges").map((r) => parseCidr(resource, r)),
    serverNames: ((m.server_names as string[] | undefined) ?? []).map((s) => s.toLowerCase()),
    transportProtocol: stringField(resource, m, "transport_protocol") ?? "",
    applicationProtocols: (m.application_protocols as string[] | undefined) ?? [],
    sourcePrefixRanges: arrayField(resource, m, "source_prefix_ranges").map((r) => parseCidr(resource, r)),
    sourcePorts: ((m.source_ports as number[] | undefined) ?? []).map(Number),
  };
}

/** -1: no range matches; 0: no ranges (any); else 1 + the longest matching prefix. */
function cidrScore(ranges: readonly CidrRange[], ip: string): number {
  if (ranges.length === 0) return 0;
  const plain = plainIp(ip);
  const v4 = isIPv4(plain);
  const n = v4 ? ipv4ToInt(plain) : 0;
  let best = -1;
  for (const r of ranges) {
    const hit = r.exact !== undefined ? r.exact === plain.toLowerCase() : v4 && ((n & r.mask) >>> 0) === r.base;
    if (hit && r.len + 1 > best) best = r.len + 1;
  }
  return best;
}

/** Exact name beats the longest matching `*.suffix` wildcard, which beats no server_names. */
function serverNameScore(names: readonly string[], sni: string): number {
  if (names.length === 0) return 0;
  if (sni === "") return -1;
  let best = -1;
  for (const n of names) {
    if (n === sni) return 100000;
    if (n.startsWith("*.") && sni.length > n.length - 1 && sni.endsWith(n.slice(1)) && n.length > best) best = n.length;
  }
  return best;
}

type Criterion = (m: FilterChainMatch, c: ConnectionMetadata) => number;

/** Envoy's order (listener_components.proto FilterChainMatch): destination port, IP, server name, transport, ALPN, source. */
const CRITERIA: readonly Criterion[] = [
  (m, c) => (m.destinationPort === undefined ? 0 : m.destinationPort === c.destinationPort ? 1 : -1),
  (m, c) => cidrScore(m.prefixRanges, c.destinationIp),
  (m, c) => serverNameScore(m.serverNames, c.sni),
  (m, c) => (m.transportProtocol === "" ? 0 : m.transportProtocol === c.transportProtocol ? 1 : -1),
  (m, c) => (m.applicationProtocols.length === 0 ? 0 : m.applicationProtocols.some((p) => c.alpn.includes(p)) ? 1 : -1),
  (m, c) => cidrScore(m.sourcePrefixRanges, c.sourceIp),
  (m, c) => (m.sourcePorts.length === 0 ? 0 : m.sourcePorts.includes(c.sourcePort) ? 1 : -1),
];

/**
 * The chain for a connection, or undefined (then the listener's default chain, else close). At each criterion only
 * the chains matching it most specifically stay; a less specific chain is never reconsidered (Envoy does not backtrack).
 */
export function selectFilterChain<T extends { readonly match: FilterChainMatch }>(chains: readonly T[], c: ConnectionMetadata): T | undefined {
  let candidates = chains;
  for (const criterion of CRITERIA) {
    if (candidates.length === 0) return undefined;
    let best = -1;
    let kept: T[] = [];
    for (const chain of candidates) {
      const s = criterion(chain.match, c);
      if (s > best) { best = s; kept = [chain]; } else if (s === best && s >= 0) kept.push(chain);
    }
    if (best < 0) return undefined;
    candidates = kept;
  }
  return candidates[0];
}

/** True when any chain needs tls_inspector's findings (SNI, transport protocol, ALPN). */
export function matchesNeedTlsInspector(matches: readonly FilterChainMatch[]): boolean {
  return matches.some((m) => m.serverNames.length > 0 || m.transportProtocol !== "" || m.applicationProtocols.length > 0);
}
