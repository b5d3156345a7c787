// The grpc-js definition of Istio's istio.v1.auth.IstioCertificateService (proto/istio/security/v1alpha1/ca.proto), shared by the CA and its clients.

import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import type { ProtoStruct } from "./discovery.js";
import { protoCodec } from "./proto-codec.js";

/** The .proto lives at the repository root; this module runs from dist/src/xds/. */
const PROTO_FILE = fileURLToPath(new URL("../../../proto/istio/security/v1alpha1/ca.proto", import.meta.url));

export const ISTIO_CERTIFICATE_SERVICE_NAME = "istio.v1.auth.IstioCertificateService";

/** istio.v1.auth.IstioCertificateRequest as decoded (int64 as number; metadata in proto shape: build it with `jsonToStruct`). */
export interface IstioCertificateRequest {
  csr: string;
  /** Requested validity in seconds; 0 or negative: the CA's default. */
  validity_duration: number;
  metadata?: ProtoStruct | null;
}

/** istio.v1.auth.IstioCertificateResponse: PEM certificates, leaf first, root last. */
export interface IstioCertificateResponse {
  cert_chain: string[];
}

const root = new protobuf.Root();
root.loadSync(PROTO_FILE, { keepCase: true });
root.resolveAll();

const request = protoCodec<IstioCertificateRequest>(root.lookupType("istio.v1.auth.IstioCertificateRequest"));
const response = protoCodec<IstioCertificateResponse>(root.lookupType("istio.v1.auth.IstioCertificateResponse"));

/** grpc-js service definition (server `addService`, client `makeGenericClientConstructor`). */
export const istioCertificateService = {
  CreateCertificate: {
    path: `/${ISTIO_CERTIFICATE_SERVICE_NAME}/CreateCertificate`,
    requestStream: false,
    responseStream: false,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
  },
} satisfies ServiceDefinition;
