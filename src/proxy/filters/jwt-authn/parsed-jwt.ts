// Parses a compact JWS JWT as jwt_verify_lib's Jwt::parseFromString does, with its error statuses, and checks its signature.

import { compactVerify } from "jose";
import { isSupportedAlg, type Jwks } from "./jwks.js";
import { JwtStatus } from "./jwt-status.js";

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** A structurally valid JWT; nothing about it is trusted until `verifySignature` returns Ok. Immutable. */
export interface ParsedJwt {
  readonly token: string;
  readonly alg: string;
  readonly kid: string | undefined;
  readonly iss: string;
  readonly audiences: readonly string[];
  /** Seconds since the epoch; 0 when absent. */
  readonly nbf: number;
  readonly exp: number;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The payload segment as sent (base64url, unpadded). */
  readonly payloadBase64url: string;
}

/** The parsed token, or the status saying why it is malformed. */
export function parseJwt(token: string): ParsedJwt | JwtStatus {
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (first < 0 || second < 0 || token.indexOf(".", second + 1) >= 0) return JwtStatus.JwtBadFormat;
  const headerB64 = token.slice(0, first);
  const payloadB64 = token.slice(first + 1, second);
  const signatureB64 = token.slice(second + 1);

  const header = decodeJson(headerB64);
  if (header === BAD_BASE64) return JwtStatus.JwtHeaderParseErrorBadBase64;
  if (header === BAD_JSON) return JwtStatus.JwtHeaderParseErrorBadJson;
  if (typeof header.alg !== "string") return JwtStatus.JwtHeaderBadAlg;
  // `none` and anything jwt_verify_lib does not implement end here: an unsigned token is never accepted.
  if (!isSupportedAlg(header.alg)) return JwtStatus.JwtHeaderNotImplementedAlg;
  if (header.kid !== undefined && typeof header.kid !== "string") return JwtStatus.JwtHeaderBadKid;

  const payload = decodeJson(payloadB64);
  if (payload === BAD_BASE64) return JwtStatus.JwtPayloadParseErrorBadBase64;
  if (payload === BAD_JSON) return JwtStatus.JwtPayloadParseErrorBadJson;
  if (payload.iss !== undefined && typeof payload.iss !== "string") return JwtStatus.JwtPayloadParseErrorIssNotString;
  if (payload.sub !== undefined && typeof payload.sub !== "string") return JwtStatus.JwtPayloadParseErrorSubNotString;
  let audiences: readonly string[] = [];
  if (typeof payload.aud === "string") audiences = [payload.aud];
  else if (Array.isArray(payload.aud) && payload.aud.every((a) => typeof a === "string")) audiences = payload.aud as string[];
  else if (payload.aud !== undefined) return JwtStatus.JwtPayloadParseErrorAudNotString;
  const nbf = timeClaim(payload.nbf);
  if (nbf === undefined) return JwtStatus.JwtPayloadParseErrorNbfNotInteger;
  const exp = timeClaim(payload.exp);
  if (exp === undefined) return JwtStatus.JwtPayloadParseErrorExpNotInteger;
  if (!BASE64URL.test(signatureB64)) return JwtStatus.JwtSignatureParseErrorBadBase64;

  return {
    token, alg: header.alg, kid: header.kid as string | undefined, iss: (payload.iss as string | undefined) ?? "",
    audiences, nbf, exp, payload: Object.freeze(payload), payloadBase64url: payloadB64,
  };
}

/**
 * jwt_verify_lib verifyJwt: every key matching the JWT's kid and alg is tried; Ok when one verifies,
 * JwksKidAlgMismatch when no key matched, JwtVerificationFail when keys matched but none verified.
 */
export async function verifySignature(jwt: ParsedJwt, jwks: Jwks): Promise<JwtStatus> {
  let matched = false;
  for (const entry of jwks.keys) {
    if (!entry.matches(jwt.alg, jwt.kid)) continue;
    matched = true;
    const key = await entry.key(jwt.alg);
    if (key === undefined) continue;
    try {
      await compactVerify(jwt.token, key, { algorithms: [jwt.alg] });
      return JwtStatus.Ok;
    } catch {
      // try the next matching key
    }
  }
  return matched ? JwtStatus.JwtVerificationFail : JwtStatus.JwksKidAlgMismatch;
}

const BAD_BASE64 = 1;
const BAD_JSON = 2;

function decodeJson(segment: string): Record<string, unknown> | typeof BAD_BASE64 | typeof BAD_JSON {
  if (segment === "" || !BASE64URL.test(segment)) return BAD_BASE64;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return BAD_JSON;
  }
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : BAD_JSON;
}

/** A NumericDate claim: 0 when absent, undefined when not a non-negative integer (jwt_verify_lib rejects fractions too). */
function timeClaim(v: unknown): number | undefined {
  if (v === undefined) return 0;
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;
}
