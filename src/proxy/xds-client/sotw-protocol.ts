// sotwProtocol: the state-of-the-world ADS variant (StreamAggregatedResources) on the client.

import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from "../../xds/discovery.js";
import { decodeResources } from "./resource-type.js";
import type { TypeSubscription } from "./type-subscription.js";
import { INVALID_ARGUMENT, type XdsProtocol } from "./xds-protocol.js";

function request(sub: TypeSubscription, node: XdsNode | undefined, nonce: string, errorDetail: DiscoveryRequest["error_detail"]): DiscoveryRequest {
  return {
    node: node ?? null,
    type_url: sub.typeUrl,
    version_info: sub.acceptedVersion,
    resource_names: sub.wildcard ? [] : [...sub.names],
    response_nonce: nonce,
    error_detail: errorDetail,
  };
}

/**
 * SotW: every request restates the whole subscription and the accepted version_info (which, on a
 * reconnect, lets the server skip resending what the client has). LDS/CDS responses are complete; for
 * RDS/EDS a response carries the named resources it updates, and the others the client wants are kept
 * (xDS spec: "all resource types except for Listener and Cluster are grouped into responses in the same
 * way as in the incremental protocol variants").
 */
export const sotwProtocol: XdsProtocol<DiscoveryRequest, DiscoveryResponse> = {
  name: "sotw",
  method: aggregatedDiscoveryService.StreamAggregatedResources,

  initialRequest(sub, node) {
    if (!sub.wildcard && sub.names.length === 0) return undefined;
    return request(sub, node, "", null);
  },

  header(response) {
    return { typeUrl: response.type_url, nonce: response.nonce, version: response.version_info };
  },

  merge(sub, type, response) {
    const received = decodeResources(type, response.resources);
    const resources = new Map<string, Record<string, unknown>>();
    const versions = new Map<string, string>();
    if (sub.wildcard) {
      for (const [name, r] of received) resources.set(name, r);
    } else {
      const wanted = new Set(sub.names);
      for (const [name, r] of sub.resources) if (wanted.has(name)) resources.set(name, r);
      for (const [name, r] of received) if (wanted.has(name)) resources.set(name, r);
    }
    for (const name of resources.keys()) {
      versions.set(name, received.has(name) ? response.version_info : (sub.versions.get(name) ?? response.version_info));
    }
    return { resources, versions };
  },

  ack(sub) {
    return request(sub, undefined, sub.lastNonce, null);
  },

  nack(sub, message) {
    return request(sub, undefined, sub.lastNonce, { code: INVALID_ARGUMENT, message });
  },

  interest(sub) {
    return request(sub, undefined, sub.lastNonce, null);
  },
};
