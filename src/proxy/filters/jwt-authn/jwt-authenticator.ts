// Evaluates a JwtRequirement tree against a request: extracts, parses and verifies tokens (Envoy's verifier.cc and authenticator.cc).

import type { RequestHead } from "../../http/request-head.js";
import type { JwtProvider, JwtRequirement } from "./jwt-authn-config.js";
import type { JwksFetchStats } from "./jwks-source.js";
import { extractTokens, removeToken, type ExtractedToken } from "./jwt-extractor.js";
import { parseJwt, verifySignature, type ParsedJwt } from "./parsed-jwt.js";
import { JwtStatus } from "./jwt-status.js";

/** One request's verification state; `payloads` collects verified payloads by payload_in_metadata key. */
export interface AuthContext {
  readonly head: RequestHead;
  readonly stats: JwksFetchStats;
  /** Seconds since the epoch, read once per request. */
  readonly now: number;
  readonly payloads: Map<string, Readonly<Record<string, unknown>>>;
  /**
   * Outcomes already reached in this request by token, provider and audiences: Istio's multi-provider requirement
   * (any of P1, P2, all of {P1 or missing}, {P2 or missing}) meets a token twice; it is verified (keys fetched) once.
   */
  readonly verified: Map<string, JwtStatus>;
}

const enum Mode { Required, AllowMissing, AllowMissingOrFailed }

/** The requirement's outcome (Ok, or the status whose message the 401/403 carries). */
export async function evaluateRequirement(r: JwtRequirement, ctx: AuthContext): Promise<JwtStatus> {
  switch (r.kind) {
    case "allowAll":
      return JwtStatus.Ok;
    case "provider":
      return authenticate(ctx, extractTokens(ctx.head, r.locations), r.provider, r.audiences, Mode.Required);
    case "allowMissing":
      return authenticate(ctx, extractTokens(ctx.head, r.locations), undefined, undefined, Mode.AllowMissing);
    case "allowMissingOrFailed":
      return authenticate(ctx, extractTokens(ctx.head, r.locations), undefined, undefined, Mode.AllowMissingOrFailed);
    case "any": {
      // Envoy AnyVerifierImpl: Ok as soon as one child is. Otherwise the children's statuses aggregate: a real
      // error beats JwtUnknownIssuer, which beats JwtMissed; then the group's allow_missing(_or_failed) applies.
      let status: JwtStatus = JwtStatus.JwtMissed;
      for (const child of r.children) {
        const s = await evaluateRequirement(child, ctx);
        if (s === JwtStatus.Ok) return s;
        if ((s !== JwtStatus.JwtMissed && s !== JwtStatus.JwtUnknownIssuer) || status === JwtStatus.JwtMissed) status = s;
      }
      if (r.allowMissingOrFailed || (r.allowMissing && status === JwtStatus.JwtMissed)) return JwtStatus.Ok;
      return status;
    }
    case "all":
      for (const child of r.children) {
        const s = await evaluateRequirement(child, ctx);
        if (s !== JwtStatus.Ok) return s;
      }
      return JwtStatus.Ok;
  }
}

/**
 * authenticator.cc: tokens are tried last to first until one verifies; the result is the last one's status.
 * With allow_missing no token is Ok; with allow_missing_or_failed every token is tried and the result is Ok.
 */
async function authenticate(ctx: AuthContext, tokens: ExtractedToken[], provider: JwtProvider | undefined,
  audiences: readonly string[] | undefined, mode: Mode): Promise<JwtStatus> {
  if (tokens.length === 0) return mode === Mode.Required ? JwtStatus.JwtMissed : JwtStatus.Ok;
  let status: JwtStatus = JwtStatus.JwtMissed;
  for (let i = tokens.length - 1; i >= 0; i--) {
    status = await verifyToken(ctx, tokens[i], provider, audiences);
    if (status === JwtStatus.Ok && mode !== Mode.AllowMissingOrFailed) break;
  }
  return mode === Mode.AllowMissingOrFailed ? JwtStatus.Ok : status;
}

async function verifyToken(ctx: AuthContext, t: ExtractedToken, fixed: JwtProvider | undefined, audiences: readonly string[] | undefined): Promise<JwtStatus> {
  const jwt = parseJwt(t.token);
  if (typeof jwt === "string") return jwt;
  // The token's issuer must be one configured for the place it was found.
  const byIssuer = t.providers.find((p) => p.issuer === jwt.iss) ?? t.providers.find((p) => p.issuer === "");
  if (byIssuer === undefined) return JwtStatus.JwtUnknownIssuer;
  const provider = fixed ?? byIssuer;
  const key = `${provider.name}\n${audiences?.join(",") ?? ""}\n${t.token}`;
  const known = ctx.verified.get(key);
  if (known !== undefined) return known;
  const status = await verifyParsed(ctx, t, jwt, provider, audiences);
  ctx.verified.set(key, status);
  return status;
}

async function verifyParsed(ctx: AuthContext, t: ExtractedToken, jwt: ParsedJwt, provider: JwtProvider, audiences: readonly string[] | undefined): Promise<JwtStatus> {
  const skew = provider.clockSkewSeconds;
  if (jwt.nbf > ctx.now + skew) return JwtStatus.JwtNotYetValid;
  if (jwt.exp > 0 && ctx.now > jwt.exp + skew) return JwtStatus.JwtExpired;
  if (!audiencesAllowed(audiences ?? provider.audiences, jwt.audiences)) return JwtStatus.JwtAudienceNotAllowed;

  const jwks = await provider.jwks.keys(ctx.stats);
  if (typeof jwks === "string") return jwks;
  let status = await verifySignature(jwt, jwks);
  if (status === JwtStatus.JwksKidAlgMismatch) {
    // The issuer may have rotated its keys since the last fetch: fetch once more (rate-limited per source).
    const fresh = provider.jwks.refetch(ctx.stats);
    const again = fresh === undefined ? undefined : await fresh;
    if (again !== undefined && typeof again !== "string") status = await verifySignature(jwt, again);
  }
  if (status !== JwtStatus.Ok) return status;

  const headers = ctx.head.headers;
  if (provider.forwardPayloadHeader !== "") {
    headers.push(provider.forwardPayloadHeader, provider.padForwardPayloadHeader ? pad(jwt.payloadBase64url) : jwt.payloadBase64url);
  }
  if (provider.payloadInMetadata !== "") ctx.payloads.set(provider.payloadInMetadata, metadataPayload(jwt.payload, provider.spaceDelimitedClaims));
  for (const c of provider.claimToHeaders) {
    const v = claimValue(jwt.payload, c.claim);
    if (v !== undefined) headers.push(c.header, v);
  }
  if (!provider.forward) removeToken(ctx.head, t);
  return JwtStatus.Ok;
}

/** The payload as stored in metadata: space-delimited string claims (Istio: scope, permission) become lists. Frozen. */
function metadataPayload(payload: Readonly<Record<string, unknown>>, spaceDelimited: readonly string[]): Readonly<Record<string, unknown>> {
  let out: Record<string, unknown> | undefined;
  for (const claim of spaceDelimited) {
    const v = payload[claim];
    if (typeof v !== "string") continue;
    out ??= { ...payload };
    out[claim] = v.split(" ").filter((w) => w !== "");
  }
  return out === undefined ? payload : Object.freeze(out);
}

/** jwt_verify_lib CheckAudience: no configured audiences allows any; otherwise one must match, ignoring scheme and trailing "/". */
function audiencesAllowed(allowed: readonly string[], jwtAudiences: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  for (const a of jwtAudiences) {
    const n = normalizeAudience(a);
    if (allowed.some((x) => normalizeAudience(x) === n)) return true;
  }
  return false;
}

function normalizeAudience(a: string): string {
  let s = a.startsWith("http://") ? a.slice(7) : a.startsWith("https://") ? a.slice(8) : a;
  if (s.endsWith("/")) s = s.slice(0, -1);
  return s;
}

/** claim_to_headers: a string, number or boolean claim (a "." path reaches nested claims); string lists are joined by ",". */
function claimValue(payload: Readonly<Record<string, unknown>>, name: string): string | undefined {
  let v: unknown = payload[name];
  if (v === undefined && name.includes(".")) {
    v = payload;
    for (const part of name.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
  }
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.join(",");
  return undefined;
}

function pad(b64url: string): string {
  const r = b64url.length % 4;
  return r === 0 ? b64url : b64url + "=".repeat(4 - r);
}
