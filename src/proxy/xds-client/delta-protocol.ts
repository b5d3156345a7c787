// deltaProtocol: the incremental ADS variant (DeltaAggregatedResources) on the client, as Envoy speaks it.

import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type XdsNode,
} from "../../xds/discovery.js";
import { WeftError } from "../../shared/weft-error.js";
import { decodeResource } from "./resource-type.js";
import type { TypeSubscription } from "./type-subscription.js";
import { INVALID_ARGUMENT, type XdsProtocol } from "./xds-protocol.js";

function request(sub: TypeSubscription, fields: Partial<DeltaDiscoveryRequest>): DeltaDiscoveryRequest {
  return {
    node: null,
    type_url: sub.typeUrl,
    resource_names_subscribe: [],
    resource_names_unsubscribe: [],
    initial_resource_versions: {},
    response_nonce: "",
    error_detail: null,
    ...fields,
  };
}

/**
 * Delta: requests carry only changes of interest, responses only changed and removed resources, each
 * with its own version. Envoy's rules (DeltaSubscriptionState):
 * - LDS/CDS use the legacy wildcard: the first request of every stream has an empty
 *   resource_names_subscribe (xDS spec "How the client specifies what resources to return").
 * - The first request of a stream restates all subscribed names and, in initial_resource_versions, the
 *   version of every resource held, so a server (maybe another instance) doesn't resend them.
 * - A resource without a body whose version equals the held one is a heartbeat and changes nothing;
 *   resources of a named type that were not subscribed are ignored; a name appearing twice among
 *   resources and removed_resources rejects the response.
 */
export const deltaProtocol: XdsProtocol<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
  name: "delta",
  method: aggregatedDiscoveryService.DeltaAggregatedResources,

  initialRequest(sub, node: XdsNode | undefined) {
    if (!sub.wildcard && sub.names.length === 0) return undefined;
    return request(sub, {
      node: node ?? null,
      resource_names_subscribe: sub.wildcard ? [] : [...sub.names],
      initial_resource_versions: Object.fromEntries(sub.versions),
    });
  },

  header(response) {
    return { typeUrl: response.type_url, nonce: response.nonce, version: response.system_version_info };
  },

  merge(sub, type, response) {
    const seen = new Set<string>();
    for (const r of response.resources) {
      if (seen.has(r.name)) throw new WeftError("XDS_DECODE", `duplicate name ${r.name} found among added/updated resources`);
      seen.add(r.name);
    }
    for (const name of response.removed_resources) {
      if (seen.has(name)) throw new WeftError("XDS_DECODE", `duplicate name ${name} found in the union of added+removed resources`);
      seen.add(name);
    }
    const resources = new Map(sub.resources);
    const versions = new Map(sub.versions);
    const wanted = sub.wildcard ? undefined : new Set(sub.names);
    for (const r of response.resources) {
      if (wanted && !wanted.has(r.name)) continue;
      if (!r.resource) {
        if (versions.get(r.name) === r.version) continue; // heartbeat
        throw new WeftError("XDS_DECODE", `resource ${r.name} version ${r.version} has no body`);
      }
      const [name, resource] = decodeResource(type, r.resource);
      if (name !== r.name) throw new WeftError("XDS_DECODE", `resource named ${r.name} carries ${type.nameField} ${name}`);
      resources.set(name, resource);
      versions.set(name, r.version);
    }
    for (const name of response.removed_resources) {
      resources.delete(name);
      versions.delete(name);
    }
    return { resources, versions };
  },

  ack(sub) {
    return request(sub, { response_nonce: sub.lastNonce });
  },

  nack(sub, message) {
    return request(sub, { response_nonce: sub.lastNonce, error_detail: { code: INVALID_ARGUMENT, message } });
  },

  interest(sub, change) {
    return request(sub, { resource_names_subscribe: [...change.added], resource_names_unsubscribe: [...change.removed] });
  },
};
