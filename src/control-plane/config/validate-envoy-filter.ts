// EnvoyFilter rules (istio/istio pkg/config/validation/envoyfilter) plus the analyzer's operation/applyTo checks as warnings (IST0151–0154).

import type { Issues } from "./issues.js";
import { arr, num, obj, str, type Obj } from "./spec-access.js";
import { validateSelector } from "./validate-workload-selector.js";
import { validateRegex } from "./value-rules.js";

const LISTENER_CLASS = new Set(["LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER", "LISTENER_FILTER"]);
const ROUTE_CLASS = new Set(["ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE"]);
const RELATIVE_OPS = new Set(["INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"]);
const HCM_NAMES = new Set(["envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"]);

export function validateEnvoyFilter(spec: Obj, out: Issues): void {
  validateSelector(spec.workloadSelector, "labels", ["spec", "workloadSelector"], out);
  arr(spec.configPatches).forEach((c, i) => {
    const path = ["spec", "configPatches", i];
    const cp = obj(c);
    if (!cp) return out.error(path, "Envoy filter: null config patch");
    const applyTo = str(cp.applyTo);
    if (!applyTo || applyTo === "INVALID") return out.error([...path, "applyTo"], "Envoy filter: missing applyTo");
    const patch = obj(cp.patch);
    if (!patch) return out.error([...path, "patch"], "Envoy filter: missing patch");
    const op = str(patch.operation);
    if (!op || op === "INVALID") return out.error([...path, "patch", "operation"], "Envoy filter: missing patch operation");
    if (op !== "REMOVE" && patch.value === undefined) return out.error([...path, "patch", "value"], "Envoy filter: missing patch value for non-remove operation");

    const match = obj(cp.match);
    const proxyVersion = str(obj(match?.proxy)?.proxyVersion);
    if (proxyVersion) out.error([...path, "match", "proxy", "proxyVersion"], validateRegex(proxyVersion, "proxyVersion") && "Envoy filter: invalid regex for proxy version");
    const hasObjectMatch = match && (match.listener !== undefined || match.routeConfiguration !== undefined || match.cluster !== undefined);
    if (LISTENER_CLASS.has(applyTo) && hasObjectMatch) {
      const listener = obj(match.listener);
      if (!listener) out.error([...path, "match"], "Envoy filter: applyTo for listener class objects cannot have non listener match");
      const filter = obj(obj(listener?.filterChain)?.filter);
      if (filter) {
        const fp = [...path, "match", "listener", "filterChain", "filter"];
        if (applyTo === "LISTENER" || applyTo === "FILTER_CHAIN") out.warn(fp, `Envoy filter: filter match has no effect when used with ${applyTo}`);
        if (!str(filter.name)) out.error([...fp, "name"], "Envoy filter: filter match has no name to match on");
        else if (filter.subFilter !== undefined) {
          if (applyTo !== "HTTP_FILTER") out.error([...fp, "subFilter"], "Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only");
          if (!HCM_NAMES.has(str(filter.name))) out.error([...fp, "subFilter"], "Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager");
          if (!str(obj(filter.subFilter)?.name)) out.error([...fp, "subFilter", "name"], "Envoy filter: subfilter match has no name to match on");
        }
      }
    } else if (ROUTE_CLASS.has(applyTo) && hasObjectMatch && match.routeConfiguration === undefined) {
      out.error([...path, "match"], "Envoy filter: applyTo for http route class objects cannot have non route configuration match");
    } else if (applyTo === "CLUSTER" && hasObjectMatch && match.cluster === undefined) {
      out.error([...path, "match"], "Envoy filter: applyTo for cluster class objects cannot have non cluster match");
    }

    if (op === "REPLACE" && applyTo !== "HTTP_FILTER" && applyTo !== "NETWORK_FILTER") {
      out.warn([...path, "patch", "operation"], `REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER, ignored for ${applyTo} (IST0152)`);
    }
    if (op === "ADD" && (applyTo === "ROUTE_CONFIGURATION" || applyTo === "HTTP_ROUTE")) {
      out.warn([...path, "patch", "operation"], `ADD operation is ignored for ${applyTo} (IST0153)`);
    }
    if (op === "REMOVE" && (applyTo === "ROUTE_CONFIGURATION" || applyTo === "HTTP_ROUTE")) {
      out.warn([...path, "patch", "operation"], `REMOVE operation is ignored for ${applyTo} (IST0154)`);
    }
    if (RELATIVE_OPS.has(op) && num(spec.priority) === 0) {
      out.warn([...path, "patch", "operation"], `relative operation ${op} without priority may not apply as intended (IST0151)`);
    }
  });
}
