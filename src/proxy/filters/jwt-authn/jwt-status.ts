// JWT verification outcomes with the exact messages of Envoy's jwt_verify_lib (status.cc), which become 401/403 bodies.

/** A verification outcome; the string is the body Envoy sends (jwt_verify_lib getStatusString). */
export const JwtStatus = {
  Ok: "OK",
  JwtMissed: "Jwt is missing",
  JwtNotYetValid: "Jwt not yet valid",
  JwtExpired: "Jwt is expired",
  JwtBadFormat: "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
  JwtHeaderParseErrorBadBase64: "Jwt header is an invalid Base64url encoded",
  JwtHeaderParseErrorBadJson: "Jwt header is an invalid JSON",
  JwtHeaderBadAlg: "Jwt header [alg] field is required and must be a string",
  JwtHeaderNotImplementedAlg: "Jwt header [alg] is not supported",
  JwtHeaderBadKid: "Jwt header [kid] field is not a string",
  JwtPayloadParseErrorBadBase64: "Jwt payload is an invalid Base64url encoded",
  JwtPayloadParseErrorBadJson: "Jwt payload is an invalid JSON",
  JwtPayloadParseErrorIssNotString: "Jwt payload [iss] field is not a string",
  JwtPayloadParseErrorSubNotString: "Jwt payload [sub] field is not a string",
  JwtPayloadParseErrorAudNotString: "Jwt payload [aud] field is not a string or string list",
  JwtPayloadParseErrorNbfNotInteger: "Jwt payload [nbf] field is not an integer",
  JwtPayloadParseErrorExpNotInteger: "Jwt payload [exp] field is not an integer",
  JwtSignatureParseErrorBadBase64: "Jwt signature is an invalid Base64url encoded",
  JwtUnknownIssuer: "Jwt issuer is not configured",
  JwtAudienceNotAllowed: "Audiences in Jwt are not allowed",
  JwtVerificationFail: "Jwt verification fails",
  JwksNoValidKeys: "Jwks doesn't have valid keys",
  JwksKidAlgMismatch: "Jwks doesn't have key to match kid or alg from Jwt",
  JwksFetchFail: "Jwks remote fetch is failed",
} as const;
export type JwtStatus = (typeof JwtStatus)[keyof typeof JwtStatus];
