// The xDS gRPC service definitions (ADS and the per-type services, SotW and delta), with protobufjs codecs, shared by server and client.

import type { ServiceDefinition } from "@grpc/grpc-js";
import { messageType } from "./proto-root.js";
import { protoCodec, type ProtoCodec } from "./proto-codec.js";
import type { EncodedAny } from "./any.js";
import { encodeDeltaResponse, encodeSotwResponse } from "./response-encoding.js";
import { sharingNames } from "./request-names.js";

/** envoy.config.core.v3.Node as decoded: metadata is a google.protobuf.Struct in its proto shape. */
export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: ProtoStruct;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  user_agent_name?: string;
  user_agent_version?: string;
  client_features?: string[];
}

/**
 * google.protobuf.Struct / Value in proto (not JSON) shape, as protobufjs decodes it. Note the camelCase
 * field names: protobufjs bundles google/protobuf/struct.proto with camelCase names, so keepCase does not apply.
 * Build Structs with `jsonToStruct` rather than by hand.
 */
export interface ProtoStruct { fields?: Record<string, ProtoValue> }
export interface ProtoValue {
  nullValue?: string | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
}

export interface RpcStatus { code?: number; message?: string }

export interface DiscoveryRequest {
  version_info: string;
  node?: XdsNode | null;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: RpcStatus | null;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: EncodedAny[];
  type_url: string;
  nonce: string;
}

export interface DeltaDiscoveryRequest {
  node?: XdsNode | null;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail?: RpcStatus | null;
}

export interface DeltaResource {
  name: string;
  version: string;
  resource?: EncodedAny;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

function codec<T>(fullName: string): ProtoCodec<T> {
  return protoCodec<T>(messageType(fullName));
}

/** Responses built from already-encoded Anys skip protobufjs (the push path's hot spot); others fall back to it. */
function fastEncoding<T>(c: ProtoCodec<T>, fast: (v: T) => Buffer | undefined): ProtoCodec<T> {
  return { serialize: (v: T) => fast(v) ?? c.serialize(v), deserialize: c.deserialize };
}

const sotwRequestCodec = codec<DiscoveryRequest>("envoy.service.discovery.v3.DiscoveryRequest");
const sotwRequest = { serialize: sotwRequestCodec.serialize, deserialize: sharingNames(sotwRequestCodec.deserialize) };
const sotwResponse = fastEncoding(codec<DiscoveryResponse>("envoy.service.discovery.v3.DiscoveryResponse"), encodeSotwResponse);
const deltaRequest = codec<DeltaDiscoveryRequest>("envoy.service.discovery.v3.DeltaDiscoveryRequest");
const deltaResponse = fastEncoding(codec<DeltaDiscoveryResponse>("envoy.service.discovery.v3.DeltaDiscoveryResponse"), encodeDeltaResponse);

export const ADS_SERVICE_NAME = "envoy.service.discovery.v3.AggregatedDiscoveryService";

/** grpc-js service definition for envoy.service.discovery.v3.AggregatedDiscoveryService. */
export const aggregatedDiscoveryService = {
  StreamAggregatedResources: {
    path: `/${ADS_SERVICE_NAME}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: sotwRequest.serialize,
    requestDeserialize: sotwRequest.deserialize,
    responseSerialize: sotwResponse.serialize,
    responseDeserialize: sotwResponse.deserialize,
  },
  DeltaAggregatedResources: {
    path: `/${ADS_SERVICE_NAME}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: deltaRequest.serialize,
    requestDeserialize: deltaRequest.deserialize,
    responseSerialize: deltaResponse.serialize,
    responseDeserialize: deltaResponse.deserialize,
  },
} satisfies ServiceDefinition;

/** A grpc-js method definition for one bidirectional xDS stream of `service`. */
function xdsStream<Req, Res>(service: string, method: string, req: ReturnType<typeof codec<Req>>, res: ReturnType<typeof codec<Res>>) {
  return {
    path: `/${service}/${method}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  } as const;
}

/** A non-aggregated xDS service (one resource type per stream): its SotW and delta streaming methods. */
function singleTypeService<S extends string, D extends string>(service: string, sotw: S, delta: D) {
  return {
    [sotw]: xdsStream(service, sotw, sotwRequest, sotwResponse),
    [delta]: xdsStream(service, delta, deltaRequest, deltaResponse),
  } as Record<S, ReturnType<typeof xdsStream<DiscoveryRequest, DiscoveryResponse>>> & Record<D, ReturnType<typeof xdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>>>;
}

/** envoy.service.cluster.v3.ClusterDiscoveryService (CDS without ADS). */
export const clusterDiscoveryService = singleTypeService("envoy.service.cluster.v3.ClusterDiscoveryService", "StreamClusters", "DeltaClusters") satisfies ServiceDefinition;
/** envoy.service.endpoint.v3.EndpointDiscoveryService (EDS without ADS). */
export const endpointDiscoveryService = singleTypeService("envoy.service.endpoint.v3.EndpointDiscoveryService", "StreamEndpoints", "DeltaEndpoints") satisfies ServiceDefinition;
/** envoy.service.listener.v3.ListenerDiscoveryService (LDS without ADS). */
export const listenerDiscoveryService = singleTypeService("envoy.service.listener.v3.ListenerDiscoveryService", "StreamListeners", "DeltaListeners") satisfies ServiceDefinition;
/** envoy.service.route.v3.RouteDiscoveryService (RDS without ADS). */
export const routeDiscoveryService = singleTypeService("envoy.service.route.v3.RouteDiscoveryService", "StreamRoutes", "DeltaRoutes") satisfies ServiceDefinition;

/** Converts a proto-shaped Struct into a plain JSON object. */
export function structToJson(struct: ProtoStruct | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!struct?.fields) return out;
  for (const [k, v] of Object.entries(struct.fields)) out[k] = valueToJson(v);
  return out;
}

function valueToJson(v: ProtoValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.numberValue !== undefined && v.numberValue !== null) return v.numberValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.structValue) return structToJson(v.structValue);
  if (v.listValue) return (v.listValue.values ?? []).map(valueToJson);
  return null;
}

/** Converts a plain JSON object into a proto-shaped Struct (for node metadata, filter metadata). */
export function jsonToStruct(obj: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(obj)) fields[k] = jsonToValue(v);
  return { fields };
}

function jsonToValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(jsonToValue) } };
  return { structValue: jsonToStruct(v as Record<string, unknown>) };
}
