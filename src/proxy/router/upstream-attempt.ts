// The contract between the router's retry/shadow logic and one protocol-specific upstream exchange (HTTP/1.1 or HTTP/2).

import type { Cluster } from "../upstream/cluster.js";
import type { RouteAction } from "./route-entry.js";
import { UpstreamRequest, type UpstreamRequestStream } from "./upstream-request.js";

/** One try of a request against one upstream host; reports to its UpstreamRequestStream. */
export interface UpstreamAttempt {
  readonly attached: boolean;
  start(): void;
  writeBody(chunk: Buffer): void;
  endBody(): void;
  /** Downstream backpressure on the response. */
  pauseResponse(): void;
  resumeResponse(): void;
  /** Drops the exchange (downstream gone, timeout, or a retry replaces it). */
  abort(): void;
}

/** Creates the attempt for the cluster's upstream protocol (HTTP/1.1 today; HTTP/2 when the cluster asks for it). */
export function newUpstreamAttempt(
  stream: UpstreamRequestStream,
  cluster: Cluster,
  action: Extract<RouteAction, { kind: "cluster" }>,
  hasBody: boolean,
): UpstreamAttempt {
  return new UpstreamRequest(stream, cluster, action, hasBody);
}
