// LbContext: what a load balancer may ask of the request it picks a host for.

/** Given to Cluster.chooseHost; undefined when the caller has no request (tcp_proxy without hash, health checks). */
export interface LbContext {
  /** The request's hash from the route's hash_policy (computed on demand), or undefined: no policy gave a key. */
  hashKey(): number | undefined;
  /** "ip:port" the downstream connection was originally for (ORIGINAL_DST clusters), or undefined. */
  originalDestination?(): string | undefined;
}
