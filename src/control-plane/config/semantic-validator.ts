// Semantic validation: Istio's per-kind rules (pkg/config/validation) applied to a schema-valid resource.

import { Issues, type Issue } from "./issues.js";
import { obj } from "./spec-access.js";
import { validateDestinationRule } from "./validate-destination-rule.js";
import { validateEnvoyFilter } from "./validate-envoy-filter.js";
import { validateGateway } from "./validate-gateway.js";
import { validateAuthorizationPolicy, validatePeerAuthentication, validateRequestAuthentication } from "./validate-security.js";
import { validateServiceEntry } from "./validate-service-entry.js";
import { validateSidecar } from "./validate-sidecar.js";
import { validateProxyConfig, validateTelemetry } from "./validate-telemetry.js";
import { validateVirtualService } from "./validate-virtual-service.js";
import { validateWorkloadEntry, validateWorkloadGroup } from "./validate-workload-entry.js";

/** Runs the kind's rules; `spec` must already be schema-valid. Returns errors and warnings with paths from the resource root. */
export function validateSemantics(kind: string, name: string, namespace: string, annotations: Readonly<Record<string, string>>, specValue: unknown): Issue[] {
  const out = new Issues();
  const spec = obj(specValue) ?? {};
  if ("istio.io/dry-run" in annotations && kind !== "AuthorizationPolicy") {
    out.error(["metadata", "annotations", "istio.io/dry-run"], `${namespace}/${name} has unsupported annotation istio.io/dry-run, please remove the annotation`);
  }
  if ("istio.io/alwaysReject" in annotations) out.error(["metadata", "annotations", "istio.io/alwaysReject"], `"istio.io/alwaysReject" annotation found, rejecting`);
  switch (kind) {
    case "VirtualService": validateVirtualService(spec, namespace, out); break;
    case "DestinationRule": validateDestinationRule(spec, namespace, out); break;
    case "ServiceEntry": validateServiceEntry(spec, namespace, out); break;
    case "WorkloadEntry": validateWorkloadEntry(spec, undefined, true, ["spec"], out); break;
    case "WorkloadGroup": validateWorkloadGroup(spec, out); break;
    case "Gateway": validateGateway(spec, name, out); break;
    case "Sidecar": validateSidecar(spec, out); break;
    case "PeerAuthentication": validatePeerAuthentication(spec, out); break;
    case "RequestAuthentication": validateRequestAuthentication(spec, out); break;
    case "AuthorizationPolicy": validateAuthorizationPolicy(spec, out); break;
    case "EnvoyFilter": validateEnvoyFilter(spec, out); break;
    case "Telemetry": validateTelemetry(spec, out); break;
    case "ProxyConfig": validateProxyConfig(spec, out); break;
  }
  return out.list;
}
