// Turns one YAML file's text into validated ConfigResources and Diagnostics: the single validation pipeline shared by DirectorySource and `weft validate`.

import type { ConfigResource, Diagnostic, ResourceKey, Severity } from "./config-resource.js";
import { formatPath, type FieldPath } from "./field-path.js";
import { classifyKind } from "./resource-kinds.js";
import { validateSchema } from "./schema-validator.js";
import { validateSemantics } from "./semantic-validator.js";
import { obj, str } from "./spec-access.js";
import { parseYamlDocuments } from "./yaml-documents.js";

/** One Istio document of a file: its key when it could be read, and the resource when it is valid. */
export interface LoadedEntry {
  readonly key: ResourceKey;
  readonly position: number;
  readonly resource: ConfigResource | undefined;
}

export interface LoadedFile {
  readonly file: string;
  readonly entries: readonly LoadedEntry[];
  readonly diagnostics: readonly Diagnostic[];
  /** True when a document failed so badly (YAML syntax) that its resource cannot be identified. */
  readonly hasUnidentifiedErrors: boolean;
}

/** Parses and validates every document of `text`. Never throws. */
export function loadFile(file: string, text: string): LoadedFile {
  const entries: LoadedEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  let hasUnidentifiedErrors = false;
  for (const doc of parseYamlDocuments(text)) {
    const diag = (severity: Severity, code: string, line: number, field: FieldPath | string, reason: string, key?: ResourceKey): void => {
      diagnostics.push({
        severity, code, file, line, kind: key?.kind ?? "", namespace: key?.namespace ?? "", name: key?.name ?? "",
        field: typeof field === "string" ? field : formatPath(field), reason,
      });
    };
    if (doc.errors.length > 0) {
      hasUnidentifiedErrors = true;
      for (const e of doc.errors) diag("error", "CONFIG_YAML", e.line, "", e.message);
      continue;
    }
    if (doc.value === undefined || doc.value === null) continue; // empty document (e.g. trailing ---)
    const root = obj(doc.value);
    if (!root) {
      hasUnidentifiedErrors = true;
      diag("error", "CONFIG_YAML", doc.line, "", "document is not a mapping");
      continue;
    }
    const cls = classifyKind(root.apiVersion, root.kind);
    const meta = obj(root.metadata) ?? {};
    const name = str(meta.name);
    const namespace = str(meta.namespace) || "default";
    if (cls.type === "foreign") {
      diag("warning", "CONFIG_UNKNOWN_KIND", doc.line, "apiVersion", cls.reason, { kind: str(root.kind), namespace, name });
      continue;
    }
    if (cls.type === "invalid") {
      diag("error", "CONFIG_SCHEMA", doc.lineOf([cls.field]), cls.field, cls.reason, { kind: str(root.kind), namespace, name });
      if (!name) hasUnidentifiedErrors = true;
      continue;
    }
    const key: ResourceKey = { kind: cls.kind, namespace, name };
    if (!name) {
      diag("error", "CONFIG_SCHEMA", doc.lineOf(["metadata"]), "metadata.name", "is required", key);
      hasUnidentifiedErrors = true;
      continue;
    }
    const apiVersion = `${cls.group}/${cls.version}`;
    const schemaIssues = validateSchema(apiVersion, cls.kind, root as Record<string, unknown>);
    for (const issue of schemaIssues) diag("error", "CONFIG_SCHEMA", doc.lineOf(issue.path), issue.path, issue.reason, key);
    let valid = schemaIssues.length === 0;
    if (valid) {
      const annotations = (obj(meta.annotations) ?? {}) as Record<string, string>;
      for (const issue of validateSemantics(cls.kind, name, namespace, annotations, root.spec)) {
        diag(issue.severity, "CONFIG_SEMANTIC", doc.lineOf(issue.path), issue.path, issue.reason, key);
        if (issue.severity === "error") valid = false;
      }
    }
    const resource: ConfigResource | undefined = valid
      ? deepFreeze({
          apiVersion, group: cls.group, version: cls.version, kind: cls.kind,
          metadata: {
            name, namespace,
            labels: { ...((obj(meta.labels) ?? {}) as Record<string, string>) },
            annotations: { ...((obj(meta.annotations) ?? {}) as Record<string, string>) },
          },
          spec: (obj(root.spec) ?? {}) as Record<string, unknown>,
          source: { file, line: doc.line },
        })
      : undefined;
    entries.push({ key, position: doc.index, resource });
  }
  return { file, entries, diagnostics, hasUnidentifiedErrors };
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
