// The registry of HTTP filter config factories keyed by typed_config type URL; the HCM looks filters up here only.

import type { HttpFilterConfigFactory } from "./http-filter.js";

const factories = new Map<string, HttpFilterConfigFactory>();

/** Registers a filter implementation for a type URL (modules call this at import time). */
export function registerHttpFilter(typeUrl: string, factory: HttpFilterConfigFactory): void {
  factories.set(typeUrl, factory);
}

export function lookupHttpFilter(typeUrl: string): HttpFilterConfigFactory | undefined {
  return factories.get(typeUrl);
}
