// Decodes SotW DiscoveryRequests so that requests repeating the same resource_names share one decoded, frozen array.

import { createHash } from "node:crypto";
import type { DiscoveryRequest } from "./discovery.js";

/**
 * A SotW client repeats its whole subscription in every request (an EDS ACK from a sidecar that sees 1000 services
 * names 3000 clusters), and proxies of one scope send identical lists. Decoding those strings again and again is
 * most of a control plane's request cost at scale; here the names' bytes are hashed instead, and a list seen before
 * is taken from the cache. Small lists are decoded as usual.
 */
const MIN_REGION_BYTES = 1024;
const MAX_CACHED = 4096;
const cache = new Map<string, readonly string[]>();

/** DiscoveryRequest.resource_names is field 3 (length-delimited): tag byte 0x1a. */
const NAMES_FIELD = 3;

/** The byte range holding every resource_names entry, when they are contiguous; undefined otherwise. */
export function namesRegion(buf: Uint8Array): { start: number; end: number } | undefined {
  let pos = 0;
  let start = -1;
  let end = -1;
  while (pos < buf.length) {
    const fieldStart = pos;
    let tag = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++]!;
      tag += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let next: number;
    if (wire === 0) {
      while (pos < buf.length && buf[pos]! >= 0x80) pos++;
      next = pos + 1;
    } else if (wire === 1) next = pos + 8;
    else if (wire === 5) next = pos + 4;
    else if (wire === 2) {
      let len = 0;
      shift = 0;
      for (;;) {
        if (pos >= buf.length) return undefined;
        const b = buf[pos++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      next = pos + len;
    } else return undefined;
    if (next > buf.length) return undefined;
    if (field === NAMES_FIELD && wire === 2) {
      if (start === -1) start = fieldStart;
      else if (end !== fieldStart) return undefined; // another field between two names
      end = next;
    }
    pos = next;
  }
  return start === -1 ? undefined : { start, end };
}

/** Wraps a protobufjs-backed decoder: identical name lists come back as the same frozen array. */
export function sharingNames(decode: (bytes: Buffer) => DiscoveryRequest): (bytes: Buffer) => DiscoveryRequest {
  return (bytes: Buffer) => {
    const region = namesRegion(bytes);
    if (region === undefined || region.end - region.start < MIN_REGION_BYTES) return decode(bytes);
    const key = createHash("sha1").update(bytes.subarray(region.start, region.end)).digest("base64");
    const names = cache.get(key);
    if (names !== undefined) {
      const rest = decode(Buffer.concat([bytes.subarray(0, region.start), bytes.subarray(region.end)]));
      rest.resource_names = names as string[];
      return rest;
    }
    const req = decode(bytes);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, Object.freeze(req.resource_names));
    return req;
  };
}
