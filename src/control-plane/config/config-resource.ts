// ConfigResource and Diagnostic: the shapes the config layer hands to the rest of the control plane.

/** Identifies one Istio resource. `kind` is the Kubernetes kind ("VirtualService"), namespace defaults to "default". */
export interface ResourceKey {
  kind: string;
  namespace: string;
  name: string;
}

/** Where a resource (or a problem) came from: the file and the 1-based line its document starts on. */
export interface SourceLocation {
  file: string;
  line: number;
}

/**
 * One validated Istio resource. Immutable once published: the model layer may keep references.
 * `spec` is the resource's spec as written in YAML (Istio's field names, camelCase), already
 * schema- and semantically validated. v1alpha3/v1beta1/v1 are normalised to the same spec shape
 * (they share one schema), so consumers never branch on `version`.
 */
export interface ConfigResource<Spec = Record<string, unknown>> {
  apiVersion: string; // e.g. "networking.istio.io/v1"
  group: string; // "networking.istio.io"
  version: string; // "v1"
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: Spec;
  source: SourceLocation;
}

export type Severity = "error" | "warning";

/**
 * One problem found in config. `field` is a dotted path into the resource ("spec.http[0].route[1].weight"),
 * or "" for whole-document problems (malformed YAML, missing kind). Printed by `weft validate` as
 * `file:line kind namespace/name field: reason`.
 */
export interface Diagnostic {
  severity: Severity;
  code: string; // stable: "CONFIG_YAML", "CONFIG_SCHEMA", "CONFIG_SEMANTIC", "CONFIG_DUPLICATE", "CONFIG_UNKNOWN_KIND", "CONFIG_REFERENCE"
  file: string;
  line: number;
  kind: string;
  namespace: string;
  name: string;
  field: string;
  reason: string;
}

export function keyString(k: ResourceKey): string {
  return `${k.kind}/${k.namespace}/${k.name}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  const who = d.kind ? `${d.kind} ${d.namespace}/${d.name}` : "-";
  return `${d.file}:${d.line} ${who} ${d.field || "-"}: ${d.reason}`;
}

/** An immutable view of all valid resources at one moment. */
export interface ConfigSnapshot {
  /** Monotonic; bumps on every change that reaches the snapshot. */
  readonly revision: number;
  /** All valid resources of a kind, in a stable order (namespace, name). */
  list<Spec = Record<string, unknown>>(kind: string): readonly ConfigResource<Spec>[];
  get<Spec = Record<string, unknown>>(key: ResourceKey): ConfigResource<Spec> | undefined;
  /** Every current problem (errors of rejected resources, warnings of accepted ones). */
  readonly diagnostics: readonly Diagnostic[];
}

/** What a config source (directory watcher, later Kubernetes) offers the control plane. */
export interface ConfigSource {
  /** Loads everything once; resolves when the first snapshot is ready. */
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): ConfigSnapshot;
  /**
   * Called after each new snapshot with the keys whose valid version changed (added, updated or removed);
   * `changed` is empty when only diagnostics changed (a resource rejected or fixed without effect on the mesh).
   */
  onChange(listener: (snapshot: ConfigSnapshot, changed: readonly ResourceKey[]) => void): void;
}
