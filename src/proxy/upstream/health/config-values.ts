// Readers shared by the outlier-detection and health-check configs: wrapper values and positive Durations.

import { durationMs, invalid, type XdsObject } from "../../config/xds-fields.js";

/**
 * undefined when the field is absent; otherwise its value as a non-negative integer (false/true → 0/1). A control
 * plane that omits proto3 zero scalars sends `{}` for `{value: 0}`, which must not read as "unset".
 */
export function wrapperValue(where: string, o: XdsObject, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const inner = typeof v === "object" ? (v as XdsObject).value ?? 0 : v;
  const n = Number(inner);
  if (!Number.isInteger(n) || n < 0) invalid(where, `${key} must be a non-negative integer, got ${String(inner)}`);
  return n;
}

/** A Duration in ms that must be greater than zero (Envoy's `gt: {}`), or `fallback` when absent. */
export function positiveDurationMs(where: string, o: XdsObject, key: string, fallback: number): number {
  const ms = durationMs(where, o, key, fallback);
  if (ms <= 0) invalid(where, `${key} must be greater than 0`);
  return ms;
}
