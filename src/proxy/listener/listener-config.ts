// The compiled form of one envoy.config.listener.v3.Listener as Weft serves it (address, binding, filter chains).

import { HCM_TYPE, TCP_PROXY_TYPE, TLS_INSPECTOR_TYPE } from "../../xds/type-urls.js";
import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { HttpConnectionManagerConfig } from "../http/http-connection-manager-config.js";
import { TcpProxyConfig } from "../network/tcp-proxy-config.js";
import type { HttpConnectionManagerStats } from "../stats/proxy-stats.js";
import { ANY_MATCH, matchesNeedTlsInspector, parseFilterChainMatch, type FilterChainMatch } from "./filter-chain-match.js";

/** Envoy's default listener_filters_timeout. */
export const LISTENER_FILTERS_TIMEOUT_MS = 15_000;

/** One filter chain: its match and its terminal network filter (an HCM or a tcp_proxy). */
export interface FilterChainConfig {
  readonly name: string;
  readonly match: FilterChainMatch;
  readonly hcm: HttpConnectionManagerConfig | undefined;
  readonly tcpProxy: TcpProxyConfig | undefined;
}

/** Immutable; rebuilt on every LDS update. */
export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly bindToPort: boolean;
  readonly useOriginalDst: boolean;
  /** The HTTP connection manager of the first filter chain that has one; undefined for TCP-only listeners. */
  readonly hcm: HttpConnectionManagerConfig | undefined;
  readonly filterChains: readonly FilterChainConfig[];
  readonly defaultFilterChain: FilterChainConfig | undefined;
  /** Set when one chain with no match criteria, an HCM and no listener filters is all there is: connections skip chain selection. */
  readonly fastHcm: HttpConnectionManagerConfig | undefined;
  /** True when chain selection needs to read the ClientHello first (tls_inspector configured and some chain uses it). */
  readonly inspectTls: boolean;
  /** 0 = no timeout. */
  readonly listenerFiltersTimeoutMs: number;
  readonly continueOnListenerFiltersTimeout: boolean;
}

/** Network filter types Weft accepts; anything else rejects the listener, as Envoy rejects unknown filters. */
const KNOWN_NETWORK_FILTERS = new Set([HCM_TYPE, TCP_PROXY_TYPE]);
const KNOWN_LISTENER_FILTERS = new Set([TLS_INSPECTOR_TYPE]);

function parseChain(name: string, chain: XdsObject, index: number, statsFor: (statPrefix: string) => HttpConnectionManagerStats): FilterChainConfig {
  let hcm: HttpConnectionManagerConfig | undefined;
  let tcpProxy: TcpProxyConfig | undefined;
  for (const f of arrayField(name, chain, "filters")) {
    const tc = objectField(name, f, "typed_config");
    const typeUrl = typeof tc?.["@type"] === "string" ? tc["@type"] : "";
    if (!KNOWN_NETWORK_FILTERS.has(typeUrl)) invalid(name, `network filter ${String(f.name)}: unsupported type ${typeUrl || "(no typed_config)"}`);
    if (hcm || tcpProxy) invalid(name, `network filter ${String(f.name)} follows a terminal filter`);
    if (typeUrl === HCM_TYPE) hcm = HttpConnectionManagerConfig.parse(name, tc!, statsFor);
    else tcpProxy = TcpProxyConfig.parse(name, tc!);
  }
  return { name: stringField(name, chain, "name") ?? `#${index}`, match: parseFilterChainMatch(name, objectField(name, chain, "filter_chain_match")), hcm, tcpProxy };
}

function matchKey(m: FilterChainMatch): string {
  return JSON.stringify(m);
}

export function parseListener(name: string, l: XdsObject, statsFor: (statPrefix: string) => HttpConnectionManagerStats): ListenerConfig {
  if (l.name !== name) invalid(name, `listener name ${String(l.name)} does not match resource name`);
  const addr = objectField(name, l, "address") ?? invalid(name, "listener without address");
  const sa = objectField(name, addr, "socket_address") ?? invalid(name, "listener address without socket_address");
  const address = stringField(name, sa, "address") ?? invalid(name, "listener without socket_address.address");
  const port = Number(sa.port_value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) invalid(name, `invalid port ${String(sa.port_value)}`);
  const filterChains = arrayField(name, l, "filter_chains").map((c, i) => parseChain(name, c, i, statsFor));
  const seen = new Set<string>();
  for (const c of filterChains) {
    const key = matchKey(c.match);
    // Envoy: "multiple filter chains with the same matching rules are defined" rejects the listener.
    if (seen.has(key)) invalid(name, `filter chain ${c.name}: multiple filter chains with the same matching rules`);
    seen.add(key);
  }
  const dfc = objectField(name, l, "default_filter_chain");
  const defaultFilterChain = dfc ? parseChain(name, dfc, -1, statsFor) : undefined;
  let tlsInspector = false;
  for (const f of arrayField(name, l, "listener_filters")) {
    const typeUrl = (objectField(name, f, "typed_config")?.["@type"] as string | undefined) ?? "";
    if (!KNOWN_LISTENER_FILTERS.has(typeUrl)) invalid(name, `listener filter ${String(f.name)}: unsupported type ${typeUrl || "(no typed_config)"}`);
    tlsInspector = true;
  }
  const only = filterChains.length === 1 ? filterChains[0]! : undefined;
  const fastHcm = only && only.match === ANY_MATCH && only.hcm && !defaultFilterChain && !tlsInspector ? only.hcm : undefined;
  return {
    name,
    address,
    port,
    bindToPort: wrapped(l, "bind_to_port", true),
    useOriginalDst: wrapped(l, "use_original_dst", false),
    hcm: filterChains.find((c) => c.hcm)?.hcm,
    filterChains,
    defaultFilterChain,
    fastHcm,
    inspectTls: tlsInspector && matchesNeedTlsInspector(filterChains.map((c) => c.match)),
    listenerFiltersTimeoutMs: durationMs(name, l, "listener_filters_timeout", LISTENER_FILTERS_TIMEOUT_MS),
    continueOnListenerFiltersTimeout: wrapped(l, "continue_on_listener_filters_timeout", false),
  };
}
