// Compiles per-route filter/router config objects once, keyed by object identity; invalid ones are logged once and ignored.

import type { Logger } from "../../shared/logger.js";
import type { XdsObject } from "./xds-fields.js";

/**
 * Per-route configs (typed_per_filter_config entries, policies on RouteAction) are compiled on first use by a
 * request rather than at RDS time; the cache makes that once per decoded object, and a bad object (which Envoy
 * would have NACKed) is skipped rather than failing every request that meets it.
 */
export class PerRouteConfigCache<T extends object> {
  private readonly cache = new WeakMap<XdsObject, T | null>();

  constructor(private readonly log: Logger, private readonly what: string, private readonly build: (resource: string, o: XdsObject) => T) {}

  /** The compiled config; throws PROXY_CONFIG_INVALID for an invalid object (for listener-level configs). */
  compile(resource: string, o: XdsObject): T {
    const cached = this.cache.get(o);
    if (cached) return cached;
    const c = this.build(resource, o);
    this.cache.set(o, c);
    return c;
  }

  /** The compiled config, or undefined for an invalid object (logged the first time). */
  tryCompile(resource: string, o: XdsObject): T | undefined {
    const cached = this.cache.get(o);
    if (cached !== undefined) return cached ?? undefined;
    try {
      return this.compile(resource, o);
    } catch (err) {
      this.log.warn(`ignoring invalid ${this.what}`, { resource, error: (err as Error).message });
      this.cache.set(o, null);
      return undefined;
    }
  }
}
