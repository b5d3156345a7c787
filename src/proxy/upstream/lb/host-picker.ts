// HostPicker: the per-request pick over one host subset, built once per host-set change (grpc-js picker style).

import type { Host } from "../host.js";
import type { LbContext } from "./lb-context.js";

/**
 * Built by createPicker() for one subset of usable hosts (LB-B's priority/locality composition chooses the subset).
 * The host list is fixed for the picker's life; pick() is O(1) or O(log n) and allocates nothing. Internal cursors
 * (round-robin index, EDF deadlines) advance per pick: a picker belongs to one load balancer.
 */
export interface HostPicker {
  /** A host for one request or connection, or undefined when the subset is empty (→ 503 UH). */
  pick(ctx: LbContext | undefined): Host | undefined;
}
