// CertificateAuthority: the Citadel role: signs workload CSRs for a proven SPIFFE identity with the bundle's key.

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { KeyObject, X509Certificate, createPublicKey, webcrypto } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CaError } from "./ca-error.js";
import { CA_KEY_FILE, certPem, createSelfSignedBundle, loadKeyCertBundle, signingAlgorithmFor, type KeyCertBundle } from "./key-cert-bundle.js";

/** istio security/pkg/pki/util ClockSkewGracePeriod: issued certificates are valid from 2 minutes ago. */
const CLOCK_SKEW_GRACE_MS = 2 * 60 * 1000;
/** CSRs above this size are refused before parsing. */
const MAX_CSR_BYTES = 64 * 1024;
const SAN_OID = "2.5.29.17";
const SKI_OID = "2.5.29.14";

export interface CertificateAuthorityOptions {
  /** The SPIFFE trust domain (Istio's default "cluster.local"). */
  trustDomain: string;
  /** Lifetime when the request asks for none (istio DEFAULT_WORKLOAD_CERT_TTL, 24 h). */
  defaultTtlMs?: number;
  /** Longest lifetime granted; longer requests are refused with CA_TTL (istio MAX_WORKLOAD_CERT_TTL, 90 days). */
  maxTtlMs?: number;
}

/** An issued certificate and the chain to hand out: leaf first, root last, each PEM newline-terminated. */
export interface IssuedCertificate {
  certificate: X509Certificate;
  chain: string[];
}

/**
 * Holds one KeyCertBundle for its lifetime. `sign` is safe to call concurrently; it never mutates the bundle.
 * Where the bundle comes from: `fromStateDir` (self-signed root created on first start, reused after) or
 * `fromPluginDir` (operator-provided, validated).
 */
export class CertificateAuthority {
  readonly trustDomain: string;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  private readonly caSki: string | undefined;
  private readonly issuerName: x509.Name;

  private constructor(private readonly bundle: KeyCertBundle, opts: CertificateAuthorityOptions) {
    this.trustDomain = opts.trustDomain;
    this.defaultTtlMs = opts.defaultTtlMs ?? 24 * 3600 * 1000;
    this.maxTtlMs = opts.maxTtlMs ?? 90 * 24 * 3600 * 1000;
    const caCert = new x509.X509Certificate(bundle.caCert.raw);
    this.issuerName = caCert.subjectName;
    const ski = caCert.getExtension(SKI_OID);
    this.caSki = ski ? new x509.SubjectKeyIdentifierExtension(ski.rawData).keyId : undefined;
  }

  /** A self-signed CA kept in `stateDir` in Istio's plug-in layout: created on first start, loaded (and validated) after. */
  static async fromStateDir(stateDir: string, opts: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    if (!existsSync(join(stateDir, CA_KEY_FILE))) await createSelfSignedBundle(stateDir, opts.trustDomain);
    return new CertificateAuthority(await loadKeyCertBundle(stateDir), opts);
  }

  /** An operator-provided CA (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem); throws CA_* if it does not validate. */
  static async fromPluginDir(dir: string, opts: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    return new CertificateAuthority(await loadKeyCertBundle(dir), opts);
  }

  /** The trust anchor workloads verify peers with (SDS "ROOTCA"). */
  get rootCertPem(): string {
    return certPem(this.bundle.root);
  }

  get rootCert(): X509Certificate {
    return this.bundle.root;
  }

  /** The certificates a leaf's chain carries between the leaf and the root. */
  get intermediatePems(): string[] {
    return this.bundle.intermediates.map(certPem);
  }

  /**
   * Signs `csrPem` for `identity` (a SPIFFE URI the caller has proven). The CSR must be PEM, self-signed correctly,
   * with an RSA ≥ 2048 or ECDSA P-256/P-384 key, and name exactly one URI SAN equal to `identity`. `ttlMs` ≤ 0 or
   * absent means the default lifetime. Throws CA_CSR_INVALID, CA_CSR_SIGNATURE, CA_KEY_UNSUPPORTED, CA_CSR_SAN,
   * CA_IDENTITY_MISMATCH or CA_TTL.
   */
  async sign(csrPem: string, identity: string, ttlMs?: number): Promise<IssuedCertificate> {
    const ttl = this.lifetime(ttlMs);
    const csr = parseCsr(csrPem);
    let valid: boolean;
    try {
      valid = await csr.verify();
    } catch (err) {
      throw new CaError("CA_CSR_SIGNATURE", `CSR signature cannot be verified: ${(err as Error).message}`, { cause: err });
    }
    if (!valid) throw new CaError("CA_CSR_SIGNATURE", "CSR signature does not verify");
    const requested = csrUriSan(csr);
    if (requested !== identity) throw new CaError("CA_IDENTITY_MISMATCH", `CSR asks for ${requested}, the caller is ${identity}`);
    return this.issue(csr.publicKey, [{ type: "url", value: identity }], ttl);
  }

  /** A server certificate for `dnsNames` (istiod's own, e.g. istiod.istio-system.svc) with a fresh P-256 key. */
  async issueServerCertificate(dnsNames: readonly string[], ttlMs: number): Promise<IssuedCertificate & { keyPem: string }> {
    const subtle = webcrypto.subtle as SubtleCrypto;
    const keys = (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const issued = await this.issue(keys.publicKey, dnsNames.map((value) => ({ type: "dns" as const, value })), ttlMs);
    const keyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
    return { ...issued, keyPem };
  }

  private lifetime(ttlMs: number | undefined): number {
    if (ttlMs === undefined || !(ttlMs > 0)) return this.defaultTtlMs;
    if (ttlMs > this.maxTtlMs) throw new CaError("CA_TTL", `requested TTL ${Math.round(ttlMs / 1000)}s is greater than the max allowed TTL ${Math.round(this.maxTtlMs / 1000)}s`);
    return ttlMs;
  }

  /** istio genCertTemplateFromCSR: empty subject, critical SAN, digitalSignature+keyEncipherment, serverAuth+clientAuth, not a CA. */
  private async issue(publicKey: x509.PublicKeyType, names: x509.JsonGeneralNames, ttlMs: number): Promise<IssuedCertificate> {
    const now = Date.now();
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension(names, true),
    ];
    if (this.caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(this.caSki));
    const leaf = await x509.X509CertificateGenerator.create({
      subject: "",
      issuer: this.issuerName,
      notBefore: new Date(now - CLOCK_SKEW_GRACE_MS),
      notAfter: new Date(now + ttlMs),
      publicKey,
      signingKey: this.bundle.signingKey,
      signingAlgorithm: this.bundle.signingAlgorithm,
      extensions,
    });
    const certificate = new X509Certificate(Buffer.from(leaf.rawData));
    return { certificate, chain: [certPem(certificate), ...this.intermediatePems, this.rootCertPem] };
  }
}

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  if (typeof csrPem !== "string" || csrPem.length === 0) throw new CaError("CA_CSR_INVALID", "no CSR in the request");
  if (csrPem.length > MAX_CSR_BYTES) throw new CaError("CA_CSR_INVALID", `CSR is ${csrPem.length} bytes, more than ${MAX_CSR_BYTES}`);
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(csrPem);
  if (!m) throw new CaError("CA_CSR_INVALID", "CSR is not a PEM CERTIFICATE REQUEST");
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  } catch (err) {
    throw new CaError("CA_CSR_INVALID", `CSR does not parse: ${(err as Error).message}`, { cause: err });
  }
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
  } catch (err) {
    throw new CaError("CA_KEY_UNSUPPORTED", `CSR public key: ${(err as Error).message}`, { cause: err });
  }
  signingAlgorithmFor(key, "CSR public key");
  return csr;
}

/** The CSR's single URI SAN (from its extensionRequest); CA_CSR_SAN unless there is exactly one SAN and it is a URI. */
function csrUriSan(csr: x509.Pkcs10CertificateRequest): string {
  let ext: x509.Extension | null;
  try {
    ext = csr.getExtension(SAN_OID);
  } catch (err) {
    throw new CaError("CA_CSR_INVALID", `CSR extensions do not parse: ${(err as Error).message}`, { cause: err });
  }
  if (!ext) throw new CaError("CA_CSR_SAN", "CSR has no subjectAltName: it must carry the workload's SPIFFE URI");
  const names = (ext instanceof x509.SubjectAlternativeNameExtension ? ext : new x509.SubjectAlternativeNameExtension(ext.rawData)).names.items;
  if (names.length !== 1 || names[0]!.type !== "url") {
    throw new CaError("CA_CSR_SAN", `CSR subjectAltName must be exactly one URI, got ${names.map((n) => `${n.type}:${n.value}`).join(", ")}`);
  }
  return names[0]!.value;
}
