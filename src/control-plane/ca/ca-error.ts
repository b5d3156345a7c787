// CaError: the certificate authority's error catalogue (stable CA_* codes) and the gRPC status each maps to.

import { status } from "@grpc/grpc-js";
import { WeftError } from "../../shared/weft-error.js";

/**
 * CA_FILE: a CA file is missing or unreadable; CA_PEM: a file is not the PEM it should be; CA_KEY_MISMATCH: ca-key.pem
 * is not ca-cert.pem's key; CA_NOT_CA: a signing/root certificate lacks basicConstraints CA; CA_EXPIRED /
 * CA_NOT_YET_VALID: outside its validity; CA_CHAIN: ca-cert.pem does not chain to root-cert.pem;
 * CA_CSR_INVALID: malformed CSR; CA_CSR_SIGNATURE: the CSR's self-signature does not verify; CA_CSR_SAN: the CSR does
 * not name exactly one URI SAN; CA_IDENTITY_MISMATCH: the CSR asks for an identity the caller has not proven;
 * CA_KEY_UNSUPPORTED: key type or size the CA does not certify; CA_TTL: requested lifetime above the maximum;
 * CA_TOKEN: bad token request (names); CA_UNAUTHENTICATED: no valid token or client certificate.
 */
export type CaErrorCode =
  | "CA_FILE"
  | "CA_PEM"
  | "CA_KEY_MISMATCH"
  | "CA_NOT_CA"
  | "CA_EXPIRED"
  | "CA_NOT_YET_VALID"
  | "CA_CHAIN"
  | "CA_CSR_INVALID"
  | "CA_CSR_SIGNATURE"
  | "CA_CSR_SAN"
  | "CA_IDENTITY_MISMATCH"
  | "CA_KEY_UNSUPPORTED"
  | "CA_TTL"
  | "CA_TOKEN"
  | "CA_UNAUTHENTICATED";

export class CaError extends WeftError {
  declare readonly code: CaErrorCode;

  constructor(code: CaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The gRPC status CreateCertificate answers with (istio caerror: CSR/TTL errors → InvalidArgument, authn → Unauthenticated). */
export function grpcStatusOf(err: unknown): status {
  if (!(err instanceof CaError)) return status.INTERNAL;
  switch (err.code) {
    case "CA_CSR_INVALID":
    case "CA_CSR_SIGNATURE":
    case "CA_CSR_SAN":
    case "CA_KEY_UNSUPPORTED":
    case "CA_TTL":
      return status.INVALID_ARGUMENT;
    case "CA_IDENTITY_MISMATCH":
      return status.PERMISSION_DENIED;
    case "CA_UNAUTHENTICATED":
      return status.UNAUTHENTICATED;
    default:
      return status.INTERNAL;
  }
}
