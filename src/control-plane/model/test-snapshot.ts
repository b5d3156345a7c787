// TestSnapshot: a tiny in-memory ConfigSnapshot built from YAML-shaped objects, for model and generator tests.

import type { ConfigResource, ConfigSnapshot, Diagnostic, ResourceKey } from "../config/config-resource.js";

/** A resource as written in YAML: apiVersion, kind, metadata {name, namespace?}, spec. */
export interface ResourceDoc {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

export class TestSnapshot implements ConfigSnapshot {
  readonly diagnostics: readonly Diagnostic[] = [];
  private readonly resources: ConfigResource[];

  constructor(docs: readonly ResourceDoc[], readonly revision = 1) {
    this.resources = docs.map((d, i) => {
      const apiVersion = d.apiVersion ?? "networking.istio.io/v1";
      const [group = "", version = ""] = apiVersion.split("/");
      return {
        apiVersion,
        group,
        version,
        kind: d.kind,
        metadata: { name: d.metadata.name, namespace: d.metadata.namespace ?? "default", labels: d.metadata.labels ?? {}, annotations: {} },
        spec: d.spec,
        source: { file: "test.yaml", line: i + 1 },
      };
    });
    this.resources.sort((a, b) =>
      a.metadata.namespace === b.metadata.namespace
        ? a.metadata.name.localeCompare(b.metadata.name)
        : a.metadata.namespace.localeCompare(b.metadata.namespace),
    );
  }

  list<Spec = Record<string, unknown>>(kind: string): readonly ConfigResource<Spec>[] {
    return this.resources.filter((r) => r.kind === kind) as unknown as ConfigResource<Spec>[];
  }

  get<Spec = Record<string, unknown>>(key: ResourceKey): ConfigResource<Spec> | undefined {
    return this.resources.find((r) => r.kind === key.kind && r.metadata.namespace === key.namespace && r.metadata.name === key.name) as
      | ConfigResource<Spec>
      | undefined;
  }
}
