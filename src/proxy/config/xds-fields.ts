// Readers for decoded Envoy v3 objects: wrapper values, Durations, typed fields, with PROXY_CONFIG_INVALID on bad shapes.

import { WeftError } from "../../shared/weft-error.js";

export type XdsObject = Record<string, unknown>;

/** Throws PROXY_CONFIG_INVALID("<resource>: <reason>"); the one way config readers reject a resource. */
export function invalid(resource: string, reason: string): never {
  throw new WeftError("PROXY_CONFIG_INVALID", `${resource}: ${reason}`);
}

/** A nested message or undefined when absent; anything else is invalid. */
export function objectField(resource: string, o: XdsObject, key: string): XdsObject | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) invalid(resource, `${key} must be an object`);
  return v as XdsObject;
}

/** A repeated field ([] when absent). */
export function arrayField(resource: string, o: XdsObject, key: string): XdsObject[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) invalid(resource, `${key} must be a list`);
  return v as XdsObject[];
}

export function stringField(resource: string, o: XdsObject, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") invalid(resource, `${key} must be a string`);
  return v;
}

/**
 * Reads a google.protobuf wrapper (`{value: x}`, as protobufjs decodes it) or a bare scalar; `fallback` when the field
 * is absent. A wrapper present without `value` holds the zero value (proto3 omits it on the wire: `{value: 0}` arrives
 * as `{}`), so it reads as 0 / false, not as unset.
 */
export function wrapped<T extends number | boolean>(o: XdsObject, key: string, fallback: T): T {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === "object") {
    const inner = (v as XdsObject).value;
    if (inner === undefined || inner === null) return (typeof fallback === "number" ? 0 : false) as T;
    return (typeof fallback === "number" ? Number(inner) : Boolean(inner)) as T;
  }
  return (typeof fallback === "number" ? Number(v) : Boolean(v)) as T;
}

/** A google.protobuf.Duration `{seconds, nanos}` in milliseconds, or `fallback` when absent. */
export function durationMs(resource: string, o: XdsObject, key: string, fallback: number): number {
  const d = objectField(resource, o, key);
  if (!d) return fallback;
  const ms = Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6;
  if (!Number.isFinite(ms) || ms < 0) invalid(resource, `${key} is not a valid duration`);
  return ms;
}
