// grpcToHttpStatus: the HTTP status outlier detection counts for a gRPC response's grpc-status (Envoy's Grpc::Utility::grpcToHttpStatus).

/** grpc's doc/http-grpc-status-mapping.md as Envoy applies it; an unknown code is 500. */
export function grpcToHttpStatus(grpcStatus: number): number {
  switch (grpcStatus) {
    case 0: return 200; // OK
    case 1: return 499; // Canceled
    case 2: return 500; // Unknown
    case 3: return 400; // InvalidArgument
    case 4: return 504; // DeadlineExceeded
    case 5: return 404; // NotFound
    case 6: return 409; // AlreadyExists
    case 7: return 403; // PermissionDenied
    case 8: return 429; // ResourceExhausted
    case 9: return 400; // FailedPrecondition
    case 10: return 409; // Aborted
    case 11: return 400; // OutOfRange
    case 12: return 501; // Unimplemented
    case 13: return 500; // Internal
    case 14: return 503; // Unavailable
    case 15: return 500; // DataLoss
    case 16: return 401; // Unauthenticated
    default: return 500;
  }
}
