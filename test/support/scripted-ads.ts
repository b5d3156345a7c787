// ScriptedAds: a SotW ADS server for end-to-end tests that hand a real `weft proxy` exact Envoy resources.

import * as grpc from "@grpc/grpc-js";
import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse } from "../../src/xds/discovery.js";
import { packAny } from "../../src/xds/any.js";

/** Answers each type's first request with the current state; tests `set()` new versions and `send()` them. */
export class ScriptedAds {
  readonly requests: DiscoveryRequest[] = [];
  private readonly server = new grpc.Server();
  private stream: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  private readonly state = new Map<string, { version: string; resources: object[] }>();
  private nonce = 0;
  port = 0;

  constructor() {
    this.server.addService(aggregatedDiscoveryService, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        this.stream = call;
        call.on("data", (req: DiscoveryRequest) => {
          this.requests.push(req);
          const s = this.state.get(req.type_url);
          if (req.response_nonce === "" && s) this.send(req.type_url);
        });
        call.on("error", () => {});
      },
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
    });
  }

  async listen(address = "127.0.0.1", port = 0): Promise<void> {
    this.port = await new Promise((resolve, reject) =>
      this.server.bindAsync(`${address}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  }

  set(typeUrl: string, version: string, resources: object[]): void {
    this.state.set(typeUrl, { version, resources });
  }

  /** Sends the current state of a type; returns the nonce. */
  send(typeUrl: string): string {
    const s = this.state.get(typeUrl)!;
    const nonce = `n${++this.nonce}`;
    this.stream?.write({ version_info: s.version, nonce, type_url: typeUrl, resources: s.resources.map((r) => packAny(typeUrl, r)) });
    return nonce;
  }

  /** The proxy's ACK or NACK of a response. */
  reply(nonce: string): DiscoveryRequest | undefined {
    return this.requests.find((r) => r.response_nonce === nonce);
  }

  close(): void {
    this.server.forceShutdown();
  }
}
