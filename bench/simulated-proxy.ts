// SimulatedProxy: one sidecar's ADS conversation without a data path, for control-plane benchmarks.

import * as grpc from "@grpc/grpc-js";
import { unpackAny } from "../src/xds/any.js";
import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from "../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";

const ADS = aggregatedDiscoveryService.StreamAggregatedResources;

interface TypeState {
  names: string[];
  /** version_info of the last response, which we ACKed (we accept everything). */
  version: string;
  nonce: string;
}

/** Called after the ACK of each response has been written: type URL, the ACKed version, performance.now() of the ACK. */
export type AckListener = (typeUrl: string, version: string, at: number) => void;

/**
 * Speaks SotW ADS like Envoy: wildcard CDS and LDS, then EDS for the service names its EDS clusters name and
 * RDS for the route names its listeners' HttpConnectionManagers name, re-subscribing as those change; ACKs every
 * response at once. Its own HTTP/2 connection (local subchannel pool), as a separate sidecar would have.
 */
export class SimulatedProxy {
  private readonly client: grpc.Client;
  private stream: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  private readonly state = new Map<string, TypeState>();
  /** The last error the stream ended with, if it did. */
  error: Error | undefined;

  constructor(
    address: string,
    private readonly node: XdsNode,
    private readonly onAck: AckListener,
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  }

  start(): void {
    const stream = this.client.makeBidiStreamRequest<DiscoveryRequest, DiscoveryResponse>(
      ADS.path,
      ADS.requestSerialize,
      ADS.responseDeserialize,
    );
    this.stream = stream;
    stream.on("data", (response: DiscoveryResponse) => this.onResponse(response));
    stream.on("error", (err: Error) => (this.error = err));
    stream.on("end", () => undefined);
    this.request(CLUSTER_TYPE, [], true);
    this.request(LISTENER_TYPE, []);
  }

  /** The last ACKed version of a type ("" before any). */
  version(typeUrl: string): string {
    return this.state.get(typeUrl)?.version ?? "";
  }

  /** Names subscribed for a type (empty for wildcard CDS/LDS). */
  subscribed(typeUrl: string): readonly string[] {
    return this.state.get(typeUrl)?.names ?? [];
  }

  close(): void {
    this.stream?.cancel();
    this.client.close();
  }

  private request(typeUrl: string, names: string[], withNode = false): void {
    const s = this.state.get(typeUrl) ?? { names, version: "", nonce: "" };
    s.names = names;
    this.state.set(typeUrl, s);
    this.stream!.write({
      node: withNode ? this.node : null,
      type_url: typeUrl,
      resource_names: names,
      version_info: s.version,
      response_nonce: s.nonce,
    });
  }

  private onResponse(response: DiscoveryResponse): void {
    const typeUrl = response.type_url;
    const s = this.state.get(typeUrl) ?? { names: [], version: "", nonce: "" };
    s.version = response.version_info;
    s.nonce = response.nonce;
    this.state.set(typeUrl, s);
    this.request(typeUrl, s.names); // the ACK
    this.onAck(typeUrl, response.version_info, performance.now());
    if (typeUrl === CLUSTER_TYPE) this.resubscribe(ENDPOINT_TYPE, edsNames(response));
    else if (typeUrl === LISTENER_TYPE) this.resubscribe(ROUTE_TYPE, rdsNames(response));
  }

  private resubscribe(typeUrl: string, names: string[]): void {
    const current = this.state.get(typeUrl)?.names ?? [];
    if (names.length === current.length && names.every((n, i) => n === current[i])) return;
    if (names.length === 0 && !this.state.has(typeUrl)) return;
    this.request(typeUrl, names);
  }
}

function edsNames(response: DiscoveryResponse): string[] {
  const names = new Set<string>();
  for (const any of response.resources) {
    const c = unpackAny<{ name: string; type?: string; eds_cluster_config?: { service_name?: string } }>(any);
    if (c.type === "EDS") names.add(c.eds_cluster_config?.service_name || c.name);
  }
  return [...names].sort();
}

interface HcmFilter {
  typed_config?: { "@type"?: string; rds?: { route_config_name?: string } };
}

function rdsNames(response: DiscoveryResponse): string[] {
  const names = new Set<string>();
  for (const any of response.resources) {
    const l = unpackAny<{ filter_chains?: Array<{ filters?: HcmFilter[] }> }>(any);
    for (const chain of l.filter_chains ?? []) {
      for (const f of chain.filters ?? []) {
        const name = f.typed_config?.["@type"] === HCM_TYPE ? f.typed_config.rds?.route_config_name : undefined;
        if (name) names.add(name);
      }
    }
  }
  return [...names].sort();
}
