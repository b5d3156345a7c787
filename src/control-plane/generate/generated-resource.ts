// GeneratedResource: one named xDS resource as a plain snake_case Envoy v3 object.

/** A plain snake_case Envoy v3 object ready for packAny. Shared between proxies and pushes: never mutate it. */
export interface GeneratedResource {
  name: string;
  resource: Record<string, unknown>;
}
