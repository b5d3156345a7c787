// envoy.type.v3.FractionalPercent (numerator over HUNDRED / TEN_THOUSAND / MILLION) and Envoy's per-request roll against it.

import { invalid, type XdsObject } from "./xds-fields.js";

/** A compiled FractionalPercent: `numerator` out of `denominator` (numerators above it saturate at 100%). */
export interface FractionalPercent {
  readonly numerator: number;
  readonly denominator: number;
}

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

export const ALWAYS: FractionalPercent = { numerator: 100, denominator: 100 };
export const NEVER: FractionalPercent = { numerator: 0, denominator: 100 };

/** Reads a FractionalPercent object; `fallback` when absent (the denominator defaults to HUNDRED, as in the proto). */
export function fractionalPercent(resource: string, v: unknown, fallback: FractionalPercent): FractionalPercent {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "object") invalid(resource, "FractionalPercent must be an object");
  const o = v as XdsObject;
  const numerator = Number(o.numerator ?? 0);
  const d = o.denominator ?? "HUNDRED";
  const denominator = typeof d === "number" ? [100, 10_000, 1_000_000][d] : DENOMINATORS[String(d)];
  if (denominator === undefined) invalid(resource, `unknown FractionalPercent denominator ${String(d)}`);
  if (!Number.isInteger(numerator) || numerator < 0) invalid(resource, `invalid FractionalPercent numerator ${String(o.numerator)}`);
  return { numerator, denominator };
}

/**
 * Envoy's featureEnabled(percent): true when a uniform draw in [0, denominator) falls below the numerator.
 * `random` returns a float in [0, 1) (Math.random, or a fixed source in tests).
 */
export function rollFractionalPercent(p: FractionalPercent, random: () => number): boolean {
  if (p.numerator === 0) return false;
  if (p.numerator >= p.denominator) return true;
  return Math.floor(random() * p.denominator) < p.numerator;
}
