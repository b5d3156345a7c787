// Cross-resource checks of VirtualService delegation: missing delegates, delegates with hosts, cycles (warnings, like istioctl analyze).

import type { ConfigResource, ConfigSnapshot, Diagnostic } from "./config-resource.js";
import { formatPath, type FieldPath } from "./field-path.js";
import { arr, obj, str } from "./spec-access.js";

/**
 * Warnings (code CONFIG_DELEGATE) for each `http[i].delegate` that names no VirtualService, a VirtualService with
 * hosts (not a delegate: Istio ignores the rule), or closes a delegation cycle (A → B → … → A). Generation drops such
 * rules and never follows more than one level, so a cycle cannot loop the control plane either.
 */
export function checkDelegates(snapshot: ConfigSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const all = snapshot.list("VirtualService");
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const byKey = new Map(all.map((vs) => [key(vs.metadata.namespace, vs.metadata.name), vs]));
  const targets = (vs: ConfigResource): { path: FieldPath; ns: string; name: string }[] =>
    arr(vs.spec.http).flatMap((r, i) => {
      const d = obj(obj(r)?.delegate);
      if (!d) return [];
      return [{ path: ["spec", "http", i, "delegate"] as FieldPath, ns: str(d.namespace) || vs.metadata.namespace, name: str(d.name) }];
    });
  for (const vs of all) {
    for (const t of targets(vs)) {
      const target = byKey.get(key(t.ns, t.name));
      if (!target) {
        out.push(diagnostic(vs, t.path, `delegate VirtualService ${t.ns}/${t.name} not found`));
        continue;
      }
      if (cycleBack(vs, target, byKey, targets)) {
        out.push(diagnostic(vs, t.path, `delegation cycle: ${vs.metadata.namespace}/${vs.metadata.name} → ${t.ns}/${t.name} leads back to itself`));
      } else if (arr(target.spec.hosts).length > 0) {
        out.push(diagnostic(vs, t.path, `delegate VirtualService ${t.ns}/${t.name} has hosts, so it is not a delegate; the rule is ignored`));
      }
    }
  }
  return out;
}

/** True when following delegates from `from` reaches `root` (bounded by the number of VirtualServices). */
function cycleBack(
  root: ConfigResource,
  from: ConfigResource,
  byKey: ReadonlyMap<string, ConfigResource>,
  targets: (vs: ConfigResource) => { ns: string; name: string }[],
): boolean {
  const seen = new Set<ConfigResource>();
  const stack = [from];
  while (stack.length > 0) {
    const vs = stack.pop()!;
    if (vs === root) return true;
    if (seen.has(vs)) continue;
    seen.add(vs);
    for (const t of targets(vs)) {
      const next = byKey.get(`${t.ns}/${t.name}`);
      if (next) stack.push(next);
    }
  }
  return false;
}

function diagnostic(r: ConfigResource, path: FieldPath, reason: string): Diagnostic {
  return {
    severity: "warning", code: "CONFIG_DELEGATE", file: r.source.file, line: r.source.line,
    kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, field: formatPath(path), reason,
  };
}
