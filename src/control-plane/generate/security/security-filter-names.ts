// Envoy names and typed_config type URLs of the HTTP security filters the control plane emits (Envoy wellknown names).

export const JWT_AUTHN_FILTER_NAME = "envoy.filters.http.jwt_authn";
export const RBAC_FILTER_NAME = "envoy.filters.http.rbac";
export const EXT_AUTHZ_FILTER_NAME = "envoy.filters.http.ext_authz";

export { JWT_AUTHN_TYPE, RBAC_TYPE } from "../../../xds/type-urls.js";
export const EXT_AUTHZ_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz";

/** jwt_authn writes each verified payload into its dynamic metadata under this key (Istio filters.EnvoyJwtFilterPayload). */
export const JWT_PAYLOAD_METADATA_KEY = "payload";
