// Type URLs of the xDS resource types Weft serves, and the short names used in logs and metrics.

export const TYPE_PREFIX = "type.googleapis.com/";

export const LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener";
export const ROUTE_TYPE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
export const CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
export const ENDPOINT_TYPE = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
export const SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

export const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
export const TCP_PROXY_TYPE = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
export const TLS_INSPECTOR_TYPE = "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector";
export const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
export const FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";
export const CORS_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors";
export const CORS_POLICY_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy";
export const JWT_AUTHN_TYPE = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication";
export const JWT_AUTHN_PER_ROUTE_TYPE = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig";
export const RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";
export const RBAC_PER_ROUTE_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute";
export const EXT_AUTHZ_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz";
export const PREVIOUS_HOSTS_TYPE = "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate";
export const PREVIOUS_PRIORITIES_TYPE = "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig";

/** Push order Envoy expects for make-before-break (xDS protocol, "Eventual consistency considerations"). */
export const PUSH_ORDER: readonly string[] = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE];

const SHORT: Record<string, string> = {
  [LISTENER_TYPE]: "lds",
  [ROUTE_TYPE]: "rds",
  [CLUSTER_TYPE]: "cds",
  [ENDPOINT_TYPE]: "eds",
  [SECRET_TYPE]: "sds",
};

/** "lds", "rds", "cds", "eds", "sds", or the message name for anything else. */
export function shortTypeName(typeUrl: string): string {
  return SHORT[typeUrl] ?? typeUrl.slice(typeUrl.lastIndexOf(".") + 1);
}

/** The protobuf message name inside a type URL ("envoy.config.listener.v3.Listener"). */
export function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}
