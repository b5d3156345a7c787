// ADS response readers over raw bytes: the few top-level fields a simulated proxy needs, without decoding resources.

import protobuf from "protobufjs";
import type { EncodedAny } from "../../src/xds/any.js";

/**
 * A DiscoveryResponse (SotW) or DeltaDiscoveryResponse read shallowly from its wire bytes. `resourceSpans` holds
 * [start, end) offsets in `bytes` of each `resources` entry (an Any for SotW, a discovery Resource for delta),
 * so a caller decodes only the entries it needs. `version` is version_info (SotW) or system_version_info (delta).
 */
export interface WireResponse {
  bytes: Buffer;
  typeUrl: string;
  version: string;
  nonce: string;
  resourceSpans: number[];
  /** Delta only: removed_resources. */
  removed: string[];
}

/** Length-delimited wire type (protobuf encoding spec). */
const LEN = 2;

/**
 * Field numbers of envoy.service.discovery.v3.DiscoveryResponse / DeltaDiscoveryResponse (discovery.proto):
 * version_info / system_version_info = 1, resources = 2, type_url = 4, nonce = 5, removed_resources = 6 (delta).
 */
export function readResponse(bytes: Buffer): WireResponse {
  const out: WireResponse = { bytes, typeUrl: "", version: "", nonce: "", resourceSpans: [], removed: [] };
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LEN) {
      r.skipType(tag & 7);
      continue;
    }
    switch (field) {
      case 1:
        out.version = r.string();
        break;
      case 2: {
        const len = r.uint32();
        out.resourceSpans.push(r.pos, r.pos + len);
        r.skip(len);
        break;
      }
      case 4:
        out.typeUrl = r.string();
        break;
      case 5:
        out.nonce = r.string();
        break;
      case 6:
        out.removed.push(r.string());
        break;
      default:
        r.skipType(LEN);
    }
  }
  return out;
}

/** google.protobuf.Any at bytes[start, end): type_url = 1, value = 2. */
export function readAny(bytes: Buffer, start: number, end: number): EncodedAny {
  const any: EncodedAny = { type_url: "", value: new Uint8Array() };
  const r = protobuf.Reader.create(bytes.subarray(start, end));
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) any.type_url = r.string();
    else if (tag === ((2 << 3) | LEN)) any.value = r.bytes();
    else r.skipType(tag & 7);
  }
  return any;
}

/** A delta discovery Resource at bytes[start, end): its name (3) and the span of its Any (2), if it has one. */
export function readDeltaResource(bytes: Buffer, start: number, end: number): { name: string; anyStart: number; anyEnd: number } {
  const out = { name: "", anyStart: -1, anyEnd: -1 };
  const r = protobuf.Reader.create(bytes.subarray(start, end));
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((3 << 3) | LEN)) out.name = r.string();
    else if (tag === ((2 << 3) | LEN)) {
      const len = r.uint32();
      out.anyStart = start + r.pos;
      out.anyEnd = start + r.pos + len;
      r.skip(len);
    } else r.skipType(tag & 7);
  }
  return out;
}

/**
 * The name of the resource in the Any at bytes[start, end), for types whose name is field 1 of the message:
 * ClusterLoadAssignment.cluster_name and RouteConfiguration.name (the SotW types whose responses may carry a subset).
 */
export function readFirstFieldName(bytes: Buffer, start: number, end: number): string {
  const value = readAny(bytes, start, end).value;
  const r = protobuf.Reader.create(value);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | LEN)) return r.string();
    r.skipType(tag & 7);
  }
  return "";
}
