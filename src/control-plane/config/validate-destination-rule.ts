// DestinationRule semantic rules (ValidateDestinationRule in istio/istio pkg/config/validation).

import { isDNS1123Label, validateWildcardDomain } from "./host-rules.js";
import type { Issues } from "./issues.js";
import { arr, obj, str, type Obj } from "./spec-access.js";
import { validateTrafficPolicy } from "./validate-traffic-policy.js";
import { validateExportTo, validateSelector } from "./validate-workload-selector.js";
import { validateLabels } from "./value-rules.js";

export function validateDestinationRule(spec: Obj, namespace: string, out: Issues): void {
  out.error(["spec", "host"], validateWildcardDomain(str(spec.host)));
  validateTrafficPolicy(obj(spec.trafficPolicy), ["spec", "trafficPolicy"], out);
  const names = new Set<string>();
  arr(spec.subsets).forEach((s, i) => {
    const path = ["spec", "subsets", i];
    const subset = obj(s);
    if (!subset) return out.error(path, "subset may not be null");
    const name = str(subset.name);
    if (names.has(name)) out.error([...path, "name"], `duplicate subset names: ${name}`);
    names.add(name);
    if (name === "") out.error([...path, "name"], "subset name cannot be empty");
    else if (!isDNS1123Label(name)) out.error([...path, "name"], `subset name is invalid: ${name}`);
    for (const reason of validateLabels(subset.labels)) out.error([...path, "labels"], reason);
    validateTrafficPolicy(obj(subset.trafficPolicy), [...path, "trafficPolicy"], out);
  });
  validateExportTo(spec.exportTo, namespace, false, ["spec", "exportTo"], out);
  const exportTo = arr(spec.exportTo).map(str);
  if (spec.workloadSelector !== undefined && exportTo.length > 0) {
    const own = exportTo.some((e) => e === "." || e === namespace);
    if (!own) out.error(["spec", "exportTo"], "destination rule with workload selector cannot have exportTo beyond current namespace");
    else if (new Set(exportTo.map((e) => (e === "." ? namespace : e))).size > 1) {
      out.error(["spec", "exportTo"], "destination rule with workload selector cannot have multiple entries in exportTo");
    }
  }
  validateSelector(spec.workloadSelector, "matchLabels", ["spec", "workloadSelector"], out);
}
