// Selector and exportTo rules shared by several kinds (validateWorkloadSelector, ValidateAlphaWorkloadSelector, validateExportTo).

import type { FieldPath } from "./field-path.js";
import type { Issues } from "./issues.js";
import { obj } from "./spec-access.js";

/** `selector: {matchLabels}` (security/telemetry kinds) or `workloadSelector: {labels}` (networking kinds). */
export function validateSelector(selector: unknown, labelsField: "matchLabels" | "labels", path: FieldPath, out: Issues): void {
  const sel = obj(selector);
  if (!sel) return;
  const labels = obj(sel[labelsField]) ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === "") out.error([...path, labelsField], `empty key is not supported in selector: "${k}=${String(v)}"`);
    if (k.includes("*") || String(v).includes("*")) {
      out.error([...path, labelsField, k], `wildcard is not supported in selector: "${k}=${String(v)}"`);
    }
  }
  if (Object.keys(labels).length === 0) out.warn(path, "workload selector specified without labels");
}

/** exportTo entries: ".", "*", "~" (ServiceEntry only) or namespace names; no duplicates; "*" alone. */
export function validateExportTo(exportTo: unknown, namespace: string, isServiceEntry: boolean, path: FieldPath, out: Issues): void {
  if (!Array.isArray(exportTo) || exportTo.length === 0) return;
  const seen = new Set<string>();
  exportTo.forEach((e, i) => {
    const entry = String(e);
    const key = entry === "." ? namespace : entry;
    if (seen.has(key)) {
      out.error([...path, i], key !== entry ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${entry}`);
      return;
    }
    if (entry === "~" && !isServiceEntry) out.error([...path, i], `invalid exportTo value "~"`);
    else if (entry !== "*" && entry !== "~" && entry !== "." && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(entry)) {
      out.error([...path, i], `invalid exportTo value "${entry}"`);
    }
    seen.add(key);
  });
  if (seen.has("*") && exportTo.length > 1) out.error(path, "cannot have both public (*) and non-public exportTo values for a resource");
  if (seen.has("~") && exportTo.length > 1) out.error(path, "cannot export service entry to no one (~) and someone");
}
