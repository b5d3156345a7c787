// Jwks: a parsed JSON Web Key Set whose keys are imported (per alg, once) with jose and matched to a JWT's kid and alg.

import { importJWK, type CryptoKey, type JWK } from "jose";

/** The JWS algorithms jwt_authn accepts, with the key type each needs (jwt_verify_lib's implemented algs). */
const KTY_BY_ALG: Readonly<Record<string, string>> = {
  RS256: "RSA", RS384: "RSA", RS512: "RSA", PS256: "RSA", PS384: "RSA", PS512: "RSA",
  ES256: "EC", ES384: "EC", ES512: "EC", EdDSA: "OKP", HS256: "oct", HS384: "oct", HS512: "oct",
};
const CRV_BY_ALG: Readonly<Record<string, string>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

/** Whether `alg` is one jwt_authn verifies (`none` and unknown names are not). */
export function isSupportedAlg(alg: string): boolean {
  return Object.hasOwn(KTY_BY_ALG, alg);
}

/** One usable key of the set. Immutable apart from its import cache. */
export class JwkEntry {
  private readonly imported = new Map<string, Promise<CryptoKey | Uint8Array | undefined>>();

  constructor(readonly jwk: Readonly<JWK>, readonly kid: string, readonly alg: string, readonly kty: string) {}

  /** jwt_verify_lib verify.cc: a key with a kid must carry the JWT's kid (when the JWT has one), its alg must be the JWT's. */
  matches(alg: string, kid: string | undefined): boolean {
    if (kid !== undefined && this.kid !== "" && this.kid !== kid) return false;
    if (this.alg !== "" && this.alg !== alg) return false;
    if (KTY_BY_ALG[alg] !== this.kty) return false;
    const crv = CRV_BY_ALG[alg];
    return crv === undefined || this.jwk.crv === crv;
  }

  /** The key imported for `alg` (cached); undefined when jose refuses it (a malformed key never verifies). */
  key(alg: string): Promise<CryptoKey | Uint8Array | undefined> {
    let k = this.imported.get(alg);
    if (k === undefined) {
      k = importJWK({ ...this.jwk, alg, ext: true }, alg).catch(() => undefined);
      this.imported.set(alg, k);
    }
    return k;
  }
}

/** A key set; `keys` holds only keys of a supported type with their required members. */
export class Jwks {
  private constructor(readonly keys: readonly JwkEntry[]) {}

  /**
   * Parses a JWKS document (`{"keys": [...]}`); undefined when it is not JSON, has no `keys` array or no usable key
   * (Envoy: JwksParseError, JwksNoKeys, JwksBadKeys, JwksNoValidKeys). Keys with a private part are used as public keys.
   */
  static parse(text: string): Jwks | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return undefined;
    }
    const keys = (doc as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) return undefined;
    const out: JwkEntry[] = [];
    for (const k of keys as unknown[]) {
      const entry = usableKey(k);
      if (entry !== undefined) out.push(entry);
    }
    return out.length === 0 ? undefined : new Jwks(out);
  }
}

function usableKey(k: unknown): JwkEntry | undefined {
  if (k === null || typeof k !== "object" || Array.isArray(k)) return undefined;
  const jwk = k as Record<string, unknown>;
  const str = (name: string): boolean => typeof jwk[name] === "string" && jwk[name] !== "";
  const kid = typeof jwk.kid === "string" ? jwk.kid : "";
  const alg = typeof jwk.alg === "string" ? jwk.alg : "";
  if (alg !== "" && !isSupportedAlg(alg)) return undefined;
  let ok: boolean;
  switch (jwk.kty) {
    case "RSA": ok = str("n") && str("e"); break;
    case "EC": ok = str("crv") && str("x") && str("y"); break;
    case "OKP": ok = jwk.crv === "Ed25519" && str("x"); break;
    case "oct": ok = str("k"); break;
    default: ok = false;
  }
  if (!ok || (alg !== "" && KTY_BY_ALG[alg] !== jwk.kty)) return undefined;
  // Only the public members: jose must not import a private key for verification.
  const pub: JWK = jwk.kty === "oct" ? { kty: "oct", k: jwk.k as string }
    : jwk.kty === "RSA" ? { kty: "RSA", n: jwk.n as string, e: jwk.e as string }
      : jwk.kty === "EC" ? { kty: "EC", crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string }
        : { kty: "OKP", crv: "Ed25519", x: jwk.x as string };
  return new JwkEntry(pub, kid, alg, jwk.kty as string);
}
