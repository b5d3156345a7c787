// ResourceType: how the xDS client names, decodes and applies one xDS resource type.

import { unpackAny, type EncodedAny } from "../../xds/any.js";
import { WeftError } from "../../shared/weft-error.js";

/**
 * One entry of the client's resource-type registry. `apply` receives the complete set the client
 * will hold after this response; it must validate everything before changing anything and throw
 * (any Error; its message becomes the NACK's error_detail) to reject the whole response.
 */
export interface ResourceType {
  typeUrl: string;
  /** LDS and CDS are wildcard subscriptions; RDS and EDS are subscribed by name. */
  wildcard: boolean;
  /** The field that names a resource of this type ("name", or "cluster_name" for EDS). */
  nameField: string;
  apply(resources: ReadonlyMap<string, Record<string, unknown>>): void | Promise<void>;
}

/** Decodes one resource and returns its name. Throws XDS_DECODE on a type mismatch or a missing name. */
export function decodeResource(type: ResourceType, any: EncodedAny): [string, Record<string, unknown>] {
  const resource = unpackAny(any, type.typeUrl);
  const name = resource[type.nameField];
  if (typeof name !== "string" || name === "") {
    throw new WeftError("XDS_DECODE", `resource without ${type.nameField} in ${type.typeUrl}`);
  }
  return [name, resource];
}

/** Decodes a SotW response's resources, keyed by name. Throws XDS_DECODE on a type mismatch, a missing name or a duplicate. */
export function decodeResources(type: ResourceType, anys: readonly EncodedAny[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const any of anys) {
    const [name, resource] = decodeResource(type, any);
    if (out.has(name)) throw new WeftError("XDS_DECODE", `duplicate resource ${name}`);
    out.set(name, resource);
  }
  return out;
}
