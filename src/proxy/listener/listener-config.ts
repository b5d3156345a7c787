// The compiled form of one envoy.config.listener.v3.Listener as Weft serves it (address, binding, HCM).

import { HCM_TYPE, TCP_PROXY_TYPE } from "../../xds/type-urls.js";
import { arrayField, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { HttpConnectionManagerConfig } from "../http/http-connection-manager-config.js";
import type { HttpConnectionManagerStats } from "../stats/proxy-stats.js";

/** Immutable; rebuilt on every LDS update. */
export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly bindToPort: boolean;
  readonly useOriginalDst: boolean;
  /** The HTTP connection manager of the first filter chain that has one; undefined for TCP-only listeners. */
  readonly hcm: HttpConnectionManagerConfig | undefined;
}

/** Network filter types Weft accepts; anything else rejects the listener, as Envoy rejects unknown filters. */
const KNOWN_NETWORK_FILTERS = new Set([HCM_TYPE, TCP_PROXY_TYPE]);

export function parseListener(name: string, l: XdsObject, statsFor: (statPrefix: string) => HttpConnectionManagerStats): ListenerConfig {
  if (l.name !== name) invalid(name, `listener name ${String(l.name)} does not match resource name`);
  const addr = objectField(name, l, "address") ?? invalid(name, "listener without address");
  const sa = objectField(name, addr, "socket_address") ?? invalid(name, "listener address without socket_address");
  const address = stringField(name, sa, "address") ?? invalid(name, "listener without socket_address.address");
  const port = Number(sa.port_value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) invalid(name, `invalid port ${String(sa.port_value)}`);
  let hcm: HttpConnectionManagerConfig | undefined;
  for (const chain of arrayField(name, l, "filter_chains")) {
    for (const f of arrayField(name, chain, "filters")) {
      const tc = objectField(name, f, "typed_config");
      const typeUrl = typeof tc?.["@type"] === "string" ? tc["@type"] : "";
      if (!KNOWN_NETWORK_FILTERS.has(typeUrl)) invalid(name, `network filter ${String(f.name)}: unsupported type ${typeUrl || "(no typed_config)"}`);
      if (typeUrl === HCM_TYPE) {
        const parsed = HttpConnectionManagerConfig.parse(name, tc!, statsFor);
        hcm ??= parsed;
      }
    }
  }
  return {
    name,
    address,
    port,
    bindToPort: wrapped(l, "bind_to_port", true),
    useOriginalDst: wrapped(l, "use_original_dst", false),
    hcm,
  };
}
