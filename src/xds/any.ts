// Any pack/unpack between plain keepCase objects (Envoy's JSON shape) and encoded google.protobuf.Any.

import { messageNameOf } from "./type-urls.js";
import { messageType } from "./proto-root.js";
import { WeftError } from "../shared/weft-error.js";

/** An encoded Any as it travels in DiscoveryResponse.resources. */
export interface EncodedAny {
  type_url: string;
  value: Uint8Array;
}

/** Options for decoding into plain objects: enums as names, 64-bit ints as numbers, nested Anys expanded with "@type". */
const TO_OBJECT = { enums: String, longs: Number, bytes: String, defaults: false, oneofs: false, json: true } as const;

/**
 * Encodes a plain object of the message type named by `typeUrl`. Nested Any fields may be given
 * in Envoy's JSON form (`{"@type": url, ...fields}`). Enums may be given by name. Fields the type does not
 * have are dropped silently (protobufjs fromObject), so generator tests should round-trip through unpackAny.
 * Throws XDS_ENCODE when a value cannot be converted.
 */
export function packAny(typeUrl: string, object: object): EncodedAny {
  const type = messageType(messageNameOf(typeUrl));
  try {
    return { type_url: typeUrl, value: type.encode(type.fromObject(object as Record<string, unknown>)).finish() };
  } catch (err) {
    throw new WeftError("XDS_ENCODE", `${messageNameOf(typeUrl)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Decodes an Any into a plain keepCase object with nested Anys expanded ("@type" form). Throws XDS_DECODE. */
export function unpackAny<T = Record<string, unknown>>(any: EncodedAny, expectedTypeUrl?: string): T {
  if (expectedTypeUrl && any.type_url !== expectedTypeUrl) {
    throw new WeftError("XDS_DECODE", `expected ${expectedTypeUrl}, got ${any.type_url}`);
  }
  let type;
  try {
    type = messageType(messageNameOf(any.type_url));
  } catch {
    throw new WeftError("XDS_DECODE", `unknown resource type ${any.type_url}`);
  }
  try {
    return type.toObject(type.decode(any.value), TO_OBJECT) as T;
  } catch (err) {
    throw new WeftError("XDS_DECODE", `malformed ${messageNameOf(any.type_url)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Decodes a whole message of a known type into a plain object (same options as unpackAny). */
export function decodeMessage<T = Record<string, unknown>>(fullName: string, bytes: Uint8Array): T {
  const type = messageType(fullName);
  return type.toObject(type.decode(bytes), TO_OBJECT) as T;
}

/** Encodes a plain object as a whole message of a known type. */
export function encodeMessage(fullName: string, object: object): Uint8Array {
  const type = messageType(fullName);
  return type.encode(type.fromObject(object as Record<string, unknown>)).finish();
}
