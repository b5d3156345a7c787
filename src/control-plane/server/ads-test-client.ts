// AdsTestClient: a minimal SotW xDS client over a real grpc-js stream (ADS or one per-type service), for the control plane's tests.

import { Client, credentials, type ClientDuplexStream, type MethodDefinition, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { aggregatedDiscoveryService, jsonToStruct, type DiscoveryRequest, type DiscoveryResponse } from "../../xds/discovery.js";

/**
 * One bidirectional xDS stream of either protocol: queues responses so a test can await them one by one;
 * `ended` resolves with the stream's final status.
 */
export class XdsTestStream<Req, Res> {
  private readonly client: Client;
  protected readonly call: ClientDuplexStream<Req, Res>;
  private readonly queue: Res[] = [];
  private waiter: (() => void) | undefined;
  private done = false;
  readonly ended: Promise<{ code: number; details: string }>;

  constructor(address: string, method: MethodDefinition<Req, Res>) {
    this.client = new Client(address, credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    this.call.on("data", (r: Res) => {
      this.queue.push(r);
      this.waiter?.();
    });
    this.ended = new Promise((resolve) => {
      this.call.on("status", (s: StatusObject) => resolve({ code: s.code, details: s.details }));
      this.call.on("error", (e: ServiceError) => resolve({ code: e.code, details: e.details }));
    });
    void this.ended.then(() => {
      this.done = true;
      this.waiter?.();
    });
  }

  /** The next response; rejects after `timeoutMs`, or once the stream has ended and every response was read. */
  async next(timeoutMs = 3000): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.queue.shift();
      if (r) return r;
      if (this.done) throw new Error("stream ended");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Resolves with the responses that arrived within `ms` (an empty array proves silence). */
  async drain(ms: number): Promise<Res[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.splice(0);
  }

  /** Drops the stream abruptly, as a crashing proxy would. */
  cancel(): void {
    this.call.cancel();
    this.client.close();
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

/** A SotW stream: ADS by default, or one of the per-type services' SotW methods. */
export class AdsTestClient extends XdsTestStream<DiscoveryRequest, DiscoveryResponse> {
  constructor(address: string, method: MethodDefinition<DiscoveryRequest, DiscoveryResponse> = aggregatedDiscoveryService.StreamAggregatedResources) {
    super(address, method);
  }

  /** A sidecar-shaped node with the shared naming conventions. */
  static node(ip: string, workload: string, namespace: string, labels: Record<string, string> = { app: workload }) {
    return {
      id: `sidecar~${ip}~${workload}.${namespace}~${namespace}.svc.cluster.local`,
      metadata: jsonToStruct({ NAMESPACE: namespace, WORKLOAD_NAME: workload, LABELS: labels, INSTANCE_IPS: ip, CLUSTER_ID: "Kubernetes" }),
    };
  }

  send(req: Partial<DiscoveryRequest> & { type_url: string }): void {
    this.call.write({ version_info: "", resource_names: [], response_nonce: "", ...req } as DiscoveryRequest);
  }

  /** ACKs (or, with `error`, NACKs) a response, keeping `names` as the subscription. */
  answer(r: DiscoveryResponse, names: string[] = [], error?: string): void {
    this.send({
      type_url: r.type_url,
      version_info: r.version_info,
      response_nonce: r.nonce,
      resource_names: names,
      ...(error !== undefined && { error_detail: { code: 3, message: error } }),
    });
  }
}
