// TypeSubscription: the client side of the xDS protocol for one resource type on one ADS stream.

import type { DiscoveryRequest, DiscoveryResponse, XdsNode } from "../../xds/discovery.js";

/** gRPC status INVALID_ARGUMENT, the code Envoy puts in error_detail when it rejects a config. */
const INVALID_ARGUMENT = 3;

/**
 * What the client knows about one type: the subscription (names, or wildcard), the version it last
 * accepted, the nonce of the last response it saw, and the resources currently applied.
 * Mutated only by the AdsClient, on its event loop turn; readers (admin) treat it as read-only.
 */
export class TypeSubscription {
  /** Last accepted version_info ("" before the first ACK). Sent back on reconnect so the server can skip resending. */
  acceptedVersion = "";
  /** Nonce of the most recent response; every request echoes it (xDS spec: "ACK/NACK and resource type instance version"). */
  lastNonce = "";
  /** Subscribed resource names; ignored when `wildcard`. */
  names: string[] = [];
  /** Currently applied resources by name, as decoded plain objects. */
  resources = new Map<string, Record<string, unknown>>();
  /** When each resource was last updated (for config_dump's last_updated). */
  updatedAt = new Map<string, Date>();
  lastError: { version: string; message: string; at: Date } | undefined;

  constructor(
    readonly typeUrl: string,
    /** LDS and CDS are wildcard subscriptions; RDS and EDS name what they want. */
    readonly wildcard: boolean,
  ) {}

  /** The request that opens (or re-opens, after a reconnect) this subscription. */
  initialRequest(node: XdsNode | undefined): DiscoveryRequest {
    return {
      node: node ?? null,
      type_url: this.typeUrl,
      version_info: this.acceptedVersion,
      resource_names: this.wildcard ? [] : [...this.names],
      response_nonce: "",
      error_detail: null,
    };
  }

  /** ACK: the response's version is now ours. */
  ack(response: DiscoveryResponse): DiscoveryRequest {
    this.acceptedVersion = response.version_info;
    this.lastNonce = response.nonce;
    return this.request(null);
  }

  /** NACK: keep the previous version, say why (Envoy fills error_detail with INVALID_ARGUMENT and the reason). */
  nack(response: DiscoveryResponse, message: string): DiscoveryRequest {
    this.lastNonce = response.nonce;
    this.lastError = { version: response.version_info, message, at: new Date() };
    return this.request({ code: INVALID_ARGUMENT, message });
  }

  /** Changes the subscribed names; returns the request to send, or undefined when nothing changed. */
  resubscribe(names: readonly string[]): DiscoveryRequest | undefined {
    const next = [...new Set(names)].sort();
    if (next.length === this.names.length && next.every((n, i) => n === this.names[i])) return undefined;
    this.names = next;
    const wanted = new Set(next);
    for (const name of [...this.resources.keys()]) {
      if (!wanted.has(name)) {
        this.resources.delete(name);
        this.updatedAt.delete(name);
      }
    }
    return this.request(null);
  }

  private request(errorDetail: DiscoveryRequest["error_detail"]): DiscoveryRequest {
    return {
      node: null,
      type_url: this.typeUrl,
      version_info: this.acceptedVersion,
      resource_names: this.wildcard ? [] : [...this.names],
      response_nonce: this.lastNonce,
      error_detail: errorDetail,
    };
  }
}
