// LbContext: what a load balancer may ask of the request it picks a host for.

/** Given to Cluster.chooseHost; undefined when the caller has no request (tcp_proxy without hash, health checks). */
export interface LbContext {
  /** The request's hash from the route's hash_policy (computed on demand), or undefined: no policy gave a key. */
  hashKey(): number | undefined;
  /**
   * Envoy's host-selection attempt: 0 for the first pick, n for the n-th re-pick under a retry host predicate (absent: 0).
   * RING_HASH and MAGLEV move away from the request's hash point by it, so a re-pick can reach another host.
   */
  readonly selectionAttempt?: number;
  /** "ip:port" the downstream connection was originally for (ORIGINAL_DST clusters), or undefined. */
  originalDestination?(): string | undefined;
}
