// DeltaTestClient: a minimal delta xDS client over a real grpc-js stream (ADS or one per-type service), for the control plane's tests.

import type { MethodDefinition } from "@grpc/grpc-js";
import { aggregatedDiscoveryService, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from "../../xds/discovery.js";
import { XdsTestStream } from "./ads-test-client.js";

/** A delta stream: DeltaAggregatedResources by default, or one of the per-type services' delta methods. */
export class DeltaTestClient extends XdsTestStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  constructor(
    address: string,
    method: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = aggregatedDiscoveryService.DeltaAggregatedResources,
  ) {
    super(address, method);
  }

  send(req: Partial<DeltaDiscoveryRequest> & { type_url: string }): void {
    this.call.write({ resource_names_subscribe: [], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: "", ...req });
  }

  /** ACKs (or, with `error`, NACKs) a response, optionally carrying subscription changes. */
  answer(r: DeltaDiscoveryResponse, error?: string, changes: Partial<DeltaDiscoveryRequest> = {}): void {
    this.send({ type_url: r.type_url, response_nonce: r.nonce, ...(error !== undefined && { error_detail: { code: 3, message: error } }), ...changes });
  }
}
