// Compiled envoy.extensions.filters.http.ext_authz.v3.ExtAuthz: which authorization service, how long, what on failure.

import { arrayField, durationMs, invalid, objectField, stringField, type XdsObject } from "../../config/xds-fields.js";
import { protoRoot } from "../../../xds/proto-root.js";
import { compileStringMatcher } from "../../router/string-matcher.js";
import { compileMetadataMatcher, type MetadataLookup } from "../rbac/metadata-matcher.js";

/** Envoy's default ext_authz timeout (GrpcService.timeout / HttpUri.timeout unset). */
const DEFAULT_TIMEOUT_MS = 200;

/** envoy.type.matcher.v3.ListStringMatcher over lower-case header names; undefined when unset. */
export type HeaderNamePredicate = ((name: string) => boolean) | undefined;

export interface ExtAuthzHttpService {
  readonly kind: "http";
  readonly cluster: string;
  readonly pathPrefix: string;
  /** authorization_request.allowed_headers (added to Envoy's always-sent host, method, path, content-length, authorization). */
  readonly allowedHeaders: HeaderNamePredicate;
  /** authorization_request.headers_to_add, flat [name, value, ...]. */
  readonly headersToAdd: readonly string[];
  readonly allowedUpstreamHeaders: HeaderNamePredicate;
  readonly allowedClientHeaders: HeaderNamePredicate;
  readonly allowedClientHeadersOnSuccess: HeaderNamePredicate;
}

export interface ExtAuthzGrpcService {
  readonly kind: "grpc";
  /** grpc_service.envoy_grpc.cluster_name. */
  readonly cluster: string;
  /**
   * grpc_service.envoy_grpc.authority; "" means the server's address (Envoy sends the cluster name, but Istio's
   * `outbound|port||host` names are not valid :authority values for Node's HTTP/2 servers).
   */
  readonly authority: string;
}

/** Immutable; one per filter config. */
export interface ExtAuthzConfig {
  readonly service: ExtAuthzHttpService | ExtAuthzGrpcService;
  readonly timeoutMs: number;
  readonly failureModeAllow: boolean;
  /** status_on_error (Envoy default 403 Forbidden). */
  readonly statusOnError: number;
  /** filter_enabled_metadata: the filter runs only when dynamic metadata matches (Istio CUSTOM: rbac shadow result). */
  readonly enabledWhen: ((lookup: MetadataLookup) => boolean) | undefined;
}

export function compileExtAuthzConfig(resource: string, o: XdsObject): ExtAuthzConfig {
  const grpc = objectField(resource, o, "grpc_service");
  const http = objectField(resource, o, "http_service");
  if (objectField(resource, o, "with_request_body")) invalid(resource, "with_request_body is not supported");
  let service: ExtAuthzHttpService | ExtAuthzGrpcService;
  let timeoutMs: number;
  if (grpc !== undefined) {
    const envoyGrpc = objectField(resource, grpc, "envoy_grpc") ?? invalid(resource, "grpc_service needs envoy_grpc (google_grpc is not supported)");
    const cluster = stringField(resource, envoyGrpc, "cluster_name") || invalid(resource, "envoy_grpc needs cluster_name");
    service = { kind: "grpc", cluster, authority: stringField(resource, envoyGrpc, "authority") ?? "" };
    timeoutMs = durationMs(resource, grpc, "timeout", DEFAULT_TIMEOUT_MS);
  } else if (http !== undefined) {
    const uri = objectField(resource, http, "server_uri") ?? invalid(resource, "http_service needs server_uri");
    const req = objectField(resource, http, "authorization_request") ?? {};
    const resp = objectField(resource, http, "authorization_response") ?? {};
    const headersToAdd: string[] = [];
    for (const h of arrayField(resource, req, "headers_to_add")) headersToAdd.push(String(h.key ?? "").toLowerCase(), String(h.value ?? ""));
    service = {
      kind: "http",
      cluster: stringField(resource, uri, "cluster") || invalid(resource, "server_uri needs cluster"),
      pathPrefix: stringField(resource, http, "path_prefix") ?? "",
      allowedHeaders: listMatcher(resource, req, "allowed_headers"),
      headersToAdd,
      allowedUpstreamHeaders: listMatcher(resource, resp, "allowed_upstream_headers"),
      allowedClientHeaders: listMatcher(resource, resp, "allowed_client_headers"),
      allowedClientHeadersOnSuccess: listMatcher(resource, resp, "allowed_client_headers_on_success"),
    };
    timeoutMs = durationMs(resource, uri, "timeout", DEFAULT_TIMEOUT_MS);
  } else {
    invalid(resource, "ext_authz needs grpc_service or http_service");
  }
  const statusOnError = httpStatusCode(objectField(resource, o, "status_on_error")?.code);
  const enabled = objectField(resource, o, "filter_enabled_metadata");
  return {
    service, timeoutMs, failureModeAllow: o.failure_mode_allow === true,
    statusOnError: statusOnError >= 200 && statusOnError < 600 ? statusOnError : 403,
    enabledWhen: enabled === undefined ? undefined : compileMetadataMatcher(resource, enabled),
  };
}

/** envoy.type.v3.StatusCode as decoded (enum name, e.g. "ServiceUnavailable") or as a number; 403 when unset. */
function httpStatusCode(code: unknown): number {
  if (code === undefined || code === null) return 403;
  return typeof code === "string" ? protoRoot.lookupEnum("envoy.type.v3.StatusCode").values[code] ?? 403 : Number(code);
}

function listMatcher(resource: string, o: XdsObject, key: string): HeaderNamePredicate {
  const m = objectField(resource, o, key);
  if (m === undefined) return undefined;
  const patterns = arrayField(resource, m, "patterns").map((p) => compileStringMatcher(resource, p));
  return (name) => patterns.some((p) => p(name));
}
