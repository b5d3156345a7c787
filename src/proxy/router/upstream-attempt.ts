// The contract between the router's retry/shadow logic and one protocol-specific upstream exchange (HTTP/1.1 or HTTP/2).

import type { Cluster } from "../upstream/cluster.js";
import type { ClusterAction } from "./route-entry.js";
import { UpstreamRequest, type UpstreamRequestStream } from "./upstream-request.js";
import { H2UpstreamRequest } from "./h2-upstream-request.js";

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

/**
 * Whether `stream` goes to `cluster` over HTTP/2: when its HttpProtocolOptions say explicit http2_protocol_options,
 * or use_downstream_protocol_config and the downstream request is HTTP/2 (an HTTP/1.1 upgrade request always stays
 * HTTP/1.1).
 */
export function upstreamUsesHttp2(stream: UpstreamRequestStream, cluster: Cluster): boolean {
  const p = cluster.protocol;
  return (p === "http2" && !stream.head.upgrade) || (p === "downstream" && stream.downstreamHttp2 === true);
}

/** Creates the attempt for the cluster's upstream protocol (upstreamUsesHttp2), HTTP/1.1 otherwise. */
export function newUpstreamAttempt(
  stream: UpstreamRequestStream,
  cluster: Cluster,
  action: ClusterAction,
  hasBody: boolean,
): UpstreamAttempt {
  return upstreamUsesHttp2(stream, cluster)
    ? new H2UpstreamRequest(stream, cluster, action, hasBody)
    : new UpstreamRequest(stream, cluster, action, hasBody);
}
