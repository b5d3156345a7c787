// RbacRequest: the view of one request that RBAC matchers read (headers, connection, remote address, dynamic metadata).

import { isIP } from "node:net";
import type { DownstreamConnectionInfo } from "../../http/connection-info.js";
import type { RequestHead } from "../../http/request-head.js";
import type { StreamInfo } from "../../http/stream-info.js";
import { headerValue } from "../../router/route-request.js";
import { walkPath } from "./metadata-matcher.js";

/** The filter name whose dynamic metadata is jwt_authn's verified payloads (StreamInfo.jwtPayloads). */
export const JWT_AUTHN_FILTER_NAME = "envoy.filters.http.jwt_authn";

const NO_CONNECTION: DownstreamConnectionInfo = Object.freeze({
  localAddress: "", localPort: 0, directRemoteAddress: "", requestedServerName: "", peerCertificate: undefined,
});

/** Built once per rbac filter per request; the remote address is computed on first use. */
export class RbacRequest {
  private remote: string | undefined;

  constructor(readonly head: RequestHead, private readonly info: StreamInfo) {}

  get connection(): DownstreamConnectionInfo { return this.info.downstream ?? NO_CONNECTION; }

  /**
   * Envoy's downstream remote address as the HCM computes it with use_remote_address false (Istio's sidecars) and
   * xff_num_trusted_hops 0: the last x-forwarded-for address when there is a valid one, else the connection's peer.
   */
  get remoteAddress(): string {
    if (this.remote === undefined) {
      const xff = headerValue(this.head, "x-forwarded-for");
      const last = xff === undefined ? "" : xff.slice(xff.lastIndexOf(",") + 1).trim();
      this.remote = last !== "" && isIP(last) !== 0 ? last : this.connection.directRemoteAddress;
    }
    return this.remote;
  }

  /** The value at `path` in filter `filter`'s dynamic metadata (jwt_authn: the payloads by payload_in_metadata key). */
  readonly metadata = (filter: string, path: readonly string[]): unknown => {
    if (filter === JWT_AUTHN_FILTER_NAME) {
      const payload = this.info.jwtPayloads?.get(path[0]);
      return payload === undefined ? undefined : walkPath(payload, path, 1);
    }
    const ns = this.info.dynamicMetadata?.get(filter);
    return ns === undefined ? undefined : walkPath(ns, path, 0);
  };
}
