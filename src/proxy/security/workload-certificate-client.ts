// WorkloadCertificateClient: the sidecar's certificate client (Istio agent role): own P-256 key, CSR for its SPIFFE identity, IstioCertificateService over TLS, validation, rotation at half-life, SDS-shaped secrets.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { KeyObject, webcrypto, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from "@grpc/grpc-js";
import { istioCertificateService, type IstioCertificateRequest, type IstioCertificateResponse } from "../../xds/istio-certificate-service.js";
import { Logger } from "../../shared/logger.js";
import { WeftError } from "../../shared/weft-error.js";

const log = new Logger("security");
const subtle = webcrypto.subtle as SubtleCrypto;
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const CaClient = makeGenericClientConstructor(istioCertificateService, "IstioCertificateService");
type CaClient = Client & {
  CreateCertificate(req: IstioCertificateRequest, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res?: IstioCertificateResponse) => void): void;
};

/** Envoy SDS secret names Istio's agent serves. */
export const WORKLOAD_SECRET = "default";
export const ROOT_SECRET = "ROOTCA";

/** One issued identity, immutable. PEMs newline-terminated; the chain is leaf first (root excluded). */
export interface WorkloadCertificate {
  readonly identity: string;
  readonly certChainPem: string;
  readonly privateKeyPem: string;
  readonly rootPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** envoy.extensions.transport_sockets.tls.v3.Secret as a plain object (snake_case). */
export type SdsSecret =
  | { name: string; tls_certificate: { certificate_chain: { inline_bytes: Buffer }; private_key: { inline_bytes: Buffer } } }
  | { name: string; validation_context: { trusted_ca: { inline_bytes: Buffer } } };

export interface WorkloadCertificateClientOptions {
  /** CA address `host:port` (istiod's 15012). */
  caAddress: string;
  /** The trust anchor the CA's server certificate must chain to, and issued chains must verify to. */
  rootPem: string;
  /** Bootstrap token file, sent as `authorization: Bearer <token>` (read on every request). */
  tokenFile: string;
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
  /** TLS server name of the CA (default istiod.istio-system.svc). */
  caServerName?: string;
  /** Requested lifetime in seconds; 0: the CA's default. */
  ttlSeconds?: number;
  /** Istio SECRET_GRACE_PERIOD_RATIO (default 0.5): rotate when this fraction of the lifetime remains, ±10% jitter. */
  gracePeriodRatio?: number;
  /** Renewals authenticate with the current certificate (mTLS) instead of the token while it is valid. */
  renewWithCertificate?: boolean;
  /** Retry backoff after a failure (default 1 s doubling to 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per-call deadline (default 10 s). */
  requestTimeoutMs?: number;
}

export interface WorkloadCertificateStats {
  issued: number;
  failures: number;
  /** Failures by code (PROXY_CERT_*). */
  failuresByCode: Record<string, number>;
}

type Listener = (cert: WorkloadCertificate) => void;

/**
 * Lifecycle: `start()` (first certificate, or throws PROXY_CERT_*), then rotation runs by itself until `close()`.
 * A failed rotation keeps the current certificate and retries with backoff.
 */
export class WorkloadCertificateClient {
  readonly identity: string;
  readonly stats: WorkloadCertificateStats = { issued: 0, failures: 0, failuresByCode: {} };
  private current: WorkloadCertificate | undefined;
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private backoffMs: number;
  private tokenClient: CaClient | undefined;
  private readonly rootCert: X509Certificate;

  constructor(private readonly opts: WorkloadCertificateClientOptions) {
    this.identity = `spiffe://${opts.trustDomain}/ns/${opts.namespace}/sa/${opts.serviceAccount}`;
    this.backoffMs = opts.initialBackoffMs ?? 1000;
    this.rootCert = new X509Certificate(opts.rootPem);
  }

  /** The current certificate, if any. */
  get certificate(): WorkloadCertificate | undefined {
    return this.current;
  }

  /** Calls `listener` with every new certificate (and at once with the current one); returns an unsubscribe function. */
  onCertificate(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.current) listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** SDS secret `default` (workload chain + key) or `ROOTCA` (trust anchor); undefined before the first certificate or for other names. */
  secret(name: string): SdsSecret | undefined {
    const c = this.current;
    if (!c) return undefined;
    if (name === WORKLOAD_SECRET) {
      return { name, tls_certificate: { certificate_chain: { inline_bytes: Buffer.from(c.certChainPem) }, private_key: { inline_bytes: Buffer.from(c.privateKeyPem) } } };
    }
    if (name === ROOT_SECRET) return { name, validation_context: { trusted_ca: { inline_bytes: Buffer.from(c.rootPem) } } };
    return undefined;
  }

  /** Gets the first certificate; throws WeftError PROXY_CERT_* if it cannot. Rotation is scheduled after. */
  async start(): Promise<WorkloadCertificate> {
    const cert = await this.rotate();
    return cert;
  }

  /** One attempt: new key, CSR, CreateCertificate, validation, publish. Failures are counted, logged and thrown; the old certificate stays. */
  async rotate(): Promise<WorkloadCertificate> {
    clearTimeout(this.timer);
    try {
      const cert = await this.fetch();
      if (this.closed) return cert;
      this.current = cert;
      this.stats.issued++;
      this.backoffMs = this.opts.initialBackoffMs ?? 1000;
      log.info("workload certificate issued", { identity: this.identity, notAfter: cert.notAfter.toISOString() });
      for (const l of this.listeners) l(cert);
      this.schedule(this.rotationDelay(cert));
      return cert;
    } catch (err) {
      const e = err instanceof WeftError ? err : new WeftError("PROXY_CERT_INTERNAL", (err as Error).message, { cause: err });
      this.stats.failures++;
      this.stats.failuresByCode[e.code] = (this.stats.failuresByCode[e.code] ?? 0) + 1;
      const valid = this.current !== undefined && this.current.notAfter.getTime() > Date.now();
      log.warn("workload certificate request failed", { code: e.code, error: e.message, keepingCurrent: valid, retryMs: this.backoffMs });
      if (this.current) {
        // Keep retrying: before expiry with the old certificate in place, after expiry so the workload recovers.
        const delay = valid ? Math.min(this.backoffMs, Math.max(0, this.current.notAfter.getTime() - Date.now())) : this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
        this.schedule(delay);
      }
      throw e;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
    this.tokenClient?.close();
    this.tokenClient = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.rotate().catch(() => undefined), Math.min(Math.max(0, delayMs), 2 ** 31 - 1));
    this.timer.unref();
  }

  /**
   * Istio secretcache rotateTime: lifetime counts from when the certificate was received (the CA may backdate
   * notBefore); rotate when gracePeriodRatio (±10% jitter) of it remains.
   */
  private rotationDelay(cert: WorkloadCertificate): number {
    const lifetime = cert.notAfter.getTime() - Date.now();
    const ratio = (this.opts.gracePeriodRatio ?? 0.5) * (0.9 + Math.random() * 0.2);
    return cert.notAfter.getTime() - lifetime * ratio - Date.now();
  }

  private client(mtls: WorkloadCertificate | undefined): CaClient {
    const name = this.opts.caServerName ?? "istiod.istio-system.svc";
    const options = { "grpc.ssl_target_name_override": name, "grpc.default_authority": name };
    if (mtls) {
      const creds = credentials.createSsl(Buffer.from(this.opts.rootPem), Buffer.from(mtls.privateKeyPem), Buffer.from(mtls.certChainPem));
      return new CaClient(this.opts.caAddress, creds, options) as unknown as CaClient;
    }
    this.tokenClient ??= new CaClient(this.opts.caAddress, credentials.createSsl(Buffer.from(this.opts.rootPem)), options) as unknown as CaClient;
    return this.tokenClient;
  }

  private async fetch(): Promise<WorkloadCertificate> {
    const keys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: EC,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: this.identity }])],
    });
    const md = new Metadata();
    const renewing = this.opts.renewWithCertificate && this.current && this.current.notAfter.getTime() > Date.now() + 1000 ? this.current : undefined;
    if (!renewing) {
      const token = await readFile(this.opts.tokenFile, "utf8").catch((err: Error) => {
        throw new WeftError("PROXY_CERT_TOKEN", `token file ${this.opts.tokenFile}: ${err.message}`, { cause: err });
      });
      md.set("authorization", `Bearer ${token.trim()}`);
    }
    const client = this.client(renewing);
    const request: IstioCertificateRequest = { csr: csr.toString("pem"), validity_duration: this.opts.ttlSeconds ?? 0 };
    let response: IstioCertificateResponse;
    try {
      response = await new Promise((resolve, reject) =>
        client.CreateCertificate(request, md, { deadline: Date.now() + (this.opts.requestTimeoutMs ?? 10_000) }, (err, res) => (err ? reject(err) : resolve(res!))),
      );
    } catch (err) {
      const e = err as ServiceError;
      const code = e.code === 16 || e.code === 7 ? "PROXY_CERT_REFUSED" : "PROXY_CERT_UNAVAILABLE";
      throw new WeftError(code, `CreateCertificate: ${e.details || e.message}`, { cause: err });
    } finally {
      if (renewing) client.close();
    }
    const publicKey = KeyObject.from(keys.publicKey);
    const privateKeyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
    return this.validate(response.cert_chain ?? [], publicKey, privateKeyPem);
  }

  /** Chain parses, leaf key is ours, the only URI SAN is our identity, every link verifies and the top verifies to the root. */
  private validate(chainPems: string[], publicKey: KeyObject, privateKeyPem: string): WorkloadCertificate {
    const bad = (msg: string): never => {
      throw new WeftError("PROXY_CERT_INVALID", msg);
    };
    if (chainPems.length === 0) bad("empty certificate chain");
    let chain: X509Certificate[] = [];
    try {
      chain = chainPems.map((p) => new X509Certificate(p));
    } catch (err) {
      bad(`certificate chain does not parse: ${(err as Error).message}`);
    }
    const leaf = chain[0]!;
    if (!leaf.publicKey.equals(publicKey)) bad("leaf certificate is not for our key");
    const uris = (leaf.subjectAltName ?? "").split(", ").filter((n) => n.startsWith("URI:")).map((n) => n.slice(4));
    if (uris.length !== 1 || uris[0] !== this.identity) bad(`leaf identity ${uris.join(",") || "(none)"} is not ${this.identity}`);
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) bad(`certificate ${i} is not signed by certificate ${i + 1}`);
    }
    const top = chain[chain.length - 1]!;
    const anchored = top.raw.equals(this.rootCert.raw) || (top.checkIssued(this.rootCert) && top.verify(this.rootCert.publicKey));
    if (!anchored) bad("certificate chain does not verify to the root");
    const now = Date.now();
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    if (notAfter.getTime() <= now) bad("issued certificate is already expired");
    const withoutRoot = chain.filter((c) => !c.raw.equals(this.rootCert.raw));
    const pem = (c: X509Certificate) => (c.toString().endsWith("\n") ? c.toString() : c.toString() + "\n");
    return Object.freeze({
      identity: this.identity,
      certChainPem: withoutRoot.map(pem).join(""),
      privateKeyPem,
      rootPem: this.opts.rootPem,
      notBefore,
      notAfter,
    });
  }
}
