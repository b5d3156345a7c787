// Telemetry and ProxyConfig rules (ValidateTelemetry, ValidateProxyConfig in istio/istio pkg/config/validation).

import type { FieldPath } from "./field-path.js";
import type { Issues } from "./issues.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { validateSelector } from "./validate-workload-selector.js";

function validateProviders(providers: unknown, path: FieldPath, out: Issues): void {
  arr(providers).forEach((p, i) => {
    if (!str(obj(p)?.name)) out.error([...path, i, "name"], "providers.name may not be empty");
  });
}

export function validateTelemetry(spec: Obj, out: Issues): void {
  const set = [spec.selector !== undefined, spec.targetRef !== undefined, arr(spec.targetRefs).length > 0].filter(Boolean).length;
  if (set > 1) out.error(["spec"], "only one of targetRefs or workloadSelector can be set");
  validateSelector(spec.selector, "matchLabels", ["spec", "selector"], out);
  arr(spec.accessLogging).forEach((l, i) => validateProviders(obj(l)?.providers, ["spec", "accessLogging", i, "providers"], out));
  const tracing = arr(spec.tracing);
  if (tracing.length > 1) out.warn(["spec", "tracing"], "multiple tracing is not currently supported");
  tracing.forEach((t, i) => {
    const tr = obj(t) ?? {};
    const path = ["spec", "tracing", i];
    if (arr(tr.providers).length > 1) out.warn([...path, "providers"], "multiple providers is not currently supported");
    validateProviders(tr.providers, [...path, "providers"], out);
    const pct = num(obj(tr.randomSamplingPercentage)?.value ?? tr.randomSamplingPercentage);
    if (pct < 0 || pct > 100) out.error([...path, "randomSamplingPercentage"], "randomSamplingPercentage must be in range [0.0, 100.0]");
    for (const [name, t2] of Object.entries(obj(tr.customTags) ?? {})) {
      const tag = obj(t2);
      if (!tag) { out.error([...path, "customTags", name], `tag '${name}' may not have a nil value`); continue; }
      if (tag.literal !== undefined && !str(obj(tag.literal)?.value)) out.error([...path, "customTags", name], "literal tag value may not be empty");
      if (tag.header !== undefined && !str(obj(tag.header)?.name)) out.error([...path, "customTags", name], "header tag name may not be empty");
      if (tag.environment !== undefined && !str(obj(tag.environment)?.name)) out.error([...path, "customTags", name], "environment tag name may not be empty");
    }
  });
  arr(spec.metrics).forEach((m, i) => {
    const metrics = obj(m) ?? {};
    const path = ["spec", "metrics", i];
    validateProviders(metrics.providers, [...path, "providers"], out);
    arr(metrics.overrides).forEach((o, j) => {
      const ov = obj(o);
      if (!ov) return out.error([...path, "overrides", j], "tagOverrides may not be null");
      for (const [tag, t] of Object.entries(obj(ov.tagOverrides) ?? {})) {
        const to = obj(t);
        const p = [...path, "overrides", j, "tagOverrides", tag];
        if (!to) { out.error(p, "tagOverrides may not be null"); continue; }
        const op = str(to.operation) || "UPSERT";
        if (op === "UPSERT" && !str(to.value)) out.error([...p, "value"], "tagOverrides.value must be set when operation is UPSERT");
        if (op === "REMOVE" && str(to.value)) out.error([...p, "value"], "tagOverrides.value may only be set when operation is UPSERT");
      }
      const match = obj(ov.match);
      if (match && match.customMetric !== undefined && !str(match.customMetric)) out.error([...path, "overrides", j, "match", "customMetric"], "customMetric may not be empty");
    });
  });
}

export function validateProxyConfig(spec: Obj, out: Issues): void {
  validateSelector(spec.selector, "matchLabels", ["spec", "selector"], out);
  if (num(spec.concurrency) < 0) out.error(["spec", "concurrency"], "concurrency must be greater than or equal to 0");
}
