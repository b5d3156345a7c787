// XdsProtocol: what differs between the SotW and delta ADS variants on the client — request shapes and response merging.

import type { XdsNode } from "../../xds/discovery.js";
import type { ResourceType } from "./resource-type.js";
import type { MergedResources, TypeSubscription } from "./type-subscription.js";

/** The parts of a response the client's stream loop needs, whatever the variant. */
export interface ResponseHeader {
  typeUrl: string;
  nonce: string;
  /** SotW version_info, delta system_version_info. */
  version: string;
}

/**
 * One ADS protocol variant. Every method is pure with respect to the TypeSubscription: it reads the
 * subscription and returns a request or a merge result; the AdsClient alone changes the subscription.
 */
export interface XdsProtocol<Req, Res> {
  readonly name: "sotw" | "delta";
  /** The ADS method and its codecs (method syntax keeps the variants assignable to XdsProtocol<object, object>). */
  readonly method: { path: string; requestSerialize(value: Req): Buffer; responseDeserialize(bytes: Buffer): Res };
  /** The first request for this type on a fresh stream, or undefined when there is nothing to ask for. */
  initialRequest(sub: TypeSubscription, node: XdsNode | undefined): Req | undefined;
  header(response: Res): ResponseHeader;
  /** Decodes a response and merges it into what `sub` holds. Throws (message = NACK reason) to reject it whole. */
  merge(sub: TypeSubscription, type: ResourceType, response: Res): MergedResources;
  /** ACK of the response whose nonce is `sub.lastNonce`; `sub` already holds the accepted resources. */
  ack(sub: TypeSubscription): Req;
  /** NACK of the response whose nonce is `sub.lastNonce`, with Envoy's error_detail. */
  nack(sub: TypeSubscription, message: string): Req;
  /** Tells the server the subscribed names changed (`sub.names` is already the new set). */
  interest(sub: TypeSubscription, change: { added: readonly string[]; removed: readonly string[] }): Req;
}

/** gRPC status INVALID_ARGUMENT: the code weft puts in error_detail when it rejects a config. */
export const INVALID_ARGUMENT = 3;
