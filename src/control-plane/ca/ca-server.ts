// CaServer: the secure gRPC port (istiod's 15012): TLS with a CA-issued server certificate, serving IstioCertificateService; the ADS service joins the same grpc Server later.

import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import type { SecureContextOptions } from "node:tls";
import { istioCertificateService, type IstioCertificateRequest, type IstioCertificateResponse } from "../../xds/istio-certificate-service.js";
import { Logger } from "../../shared/logger.js";
import { WeftError } from "../../shared/weft-error.js";
import { CaError, grpcStatusOf } from "./ca-error.js";
import { createCaMetrics, type CaMetrics } from "./ca-metrics.js";
import type { CertificateAuthority } from "./certificate-authority.js";
import { parseSpiffeId } from "./spiffe-identity.js";
import type { TokenAuthenticator } from "./token-authenticator.js";

const log = new Logger("ca");

/** istio pkg/security ImpersonatedIdentity: the request metadata key a node proxy names another workload with. */
const IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

/** istiod's DNS name on the secure port (pilot/pkg/bootstrap: istiod.<namespace>.svc). */
export const ISTIOD_DNS_NAMES = ["istiod.istio-system.svc"] as const;

/**
 * TLS that asks for a client certificate without requiring one: token callers have none, renewing workloads present
 * theirs. grpc-js reports a peer certificate (getAuthContext) only when it verified against `ca`.
 */
class OptionalClientCertCredentials extends ServerCredentials {
  constructor(context: SecureContextOptions) {
    super({ requestCert: true, rejectUnauthorized: false }, context);
  }
  /** Swaps the server certificate on the listening port; connections already open keep theirs. */
  update(context: SecureContextOptions): void {
    this.updateSecureContextOptions(context);
  }
  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/** A status CreateCertificate answers with (thrown by `createCertificate`). */
interface RpcError {
  code: status;
  details: string;
}

function isRpcError(err: unknown): err is RpcError {
  return typeof err === "object" && err !== null && typeof (err as RpcError).code === "number" && typeof (err as RpcError).details === "string";
}

/** The caller as proven by the request: a bearer token or a verified client certificate. */
export interface CallerIdentity {
  identity: string;
  source: "token" | "certificate";
}

export interface CaServerOptions {
  ca: CertificateAuthority;
  /** Bootstrap-token authentication; absent: only client-certificate renewal is accepted. */
  tokens?: TokenAuthenticator;
  metrics?: CaMetrics;
  /** DNS SANs of the server certificate (default istiod.istio-system.svc). */
  serverDnsNames?: readonly string[];
}

/** Lifecycle: `listen()` once, then `close()` once. Services may be added to `grpcServer` before `listen()`. */
export class CaServer {
  /** The secure port's grpc Server: the ADS service can be added to it next to IstioCertificateService. */
  readonly grpcServer = new Server();
  readonly metrics: CaMetrics;
  private credentials: OptionalClientCertCredentials | undefined;
  private rotateTimer: NodeJS.Timeout | undefined;
  private boundPort = 0;

  constructor(private readonly opts: CaServerOptions) {
    this.metrics = opts.metrics ?? createCaMetrics();
    this.grpcServer.addService(istioCertificateService, {
      CreateCertificate: (call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>, callback: sendUnaryData<IstioCertificateResponse>) => {
        this.createCertificate(call).then(
          (response) => callback(null, response),
          (err: unknown) => {
            if (isRpcError(err)) return callback(err);
            log.error("CreateCertificate failed", { error: err });
            callback({ code: status.INTERNAL, details: "internal error" });
          },
        );
      },
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** Issues the server certificate and binds; resolves with the bound port. Throws XDS_LISTEN if the port is taken. */
  async listen(address: string, port: number): Promise<number> {
    this.credentials = new OptionalClientCertCredentials(await this.serverContext());
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.grpcServer.bindAsync(`${address}:${port}`, this.credentials!, (err, bound) =>
        err ? reject(new WeftError("XDS_LISTEN", `secure port ${address}:${port}: ${err.message}`, { cause: err })) : resolve(bound),
      ),
    );
    return this.boundPort;
  }

  async close(): Promise<void> {
    clearTimeout(this.rotateTimer);
    await new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve()));
  }

  /**
   * Who the caller is: `authorization: Bearer <token>` metadata (Istio's convention) is checked first, then a client
   * certificate that chained to the root and carries one SPIFFE URI of this trust domain. Undefined: unauthenticated.
   * Works for any call on `grpcServer` (unary or stream), so the ADS service can require it too.
   */
  async authenticate(call: Pick<ServerUnaryCall<unknown, unknown>, "metadata" | "getAuthContext">): Promise<CallerIdentity | undefined> {
    const header = call.metadata.get("authorization")[0];
    if (typeof header === "string" && header.length > 0) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const identity = m && this.opts.tokens ? await this.opts.tokens.authenticate(m[1]!) : undefined;
      return identity ? { identity, source: "token" } : undefined;
    }
    const san = call.getAuthContext()?.sslPeerCertificate?.subjectaltname;
    if (!san) return undefined;
    const uris = san.split(", ").filter((n) => n.startsWith("URI:")).map((n) => n.slice(4));
    const parsed = uris.length === 1 ? parseSpiffeId(uris[0]!) : undefined;
    return parsed?.trustDomain === this.opts.ca.trustDomain ? { identity: uris[0]!, source: "certificate" } : undefined;
  }

  private async createCertificate(call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>): Promise<IstioCertificateResponse> {
    this.metrics.csrCount.inc();
    const caller = await this.authenticate(call);
    if (!caller) {
      this.metrics.authnErrors.inc();
      log.warn("CSR refused: request authenticate failure", { peer: call.getPeer() });
      throw { code: status.UNAUTHENTICATED, details: "request authenticate failure" } satisfies RpcError;
    }
    const request = call.request;
    if (request.metadata?.fields?.[IMPERSONATED_IDENTITY]?.stringValue) {
      // istio server.go: impersonation needs a node authorizer (CA_TRUSTED_NODE_ACCOUNTS); Weft has none.
      this.metrics.authnErrors.inc();
      throw { code: status.UNAUTHENTICATED, details: "request impersonation authentication failure" } satisfies RpcError;
    }
    try {
      const issued = await this.opts.ca.sign(request.csr, caller.identity, request.validity_duration * 1000);
      this.metrics.success.inc();
      log.debug("certificate issued", { identity: caller.identity, via: caller.source, notAfter: issued.certificate.validTo });
      return { cert_chain: issued.chain };
    } catch (err) {
      const code = err instanceof CaError ? err.code : "CA_INTERNAL";
      if (code === "CA_CSR_INVALID") this.metrics.csrParsingErrors.inc();
      this.metrics.signErrors.labels(code).inc();
      log.warn("CSR signing error", { identity: caller.identity, code, error: err });
      throw { code: grpcStatusOf(err), details: `CSR signing error (${(err as Error).message})` } satisfies RpcError;
    }
  }

  /** A fresh server certificate, renewed at half its lifetime (±10% jitter) for new connections. */
  private async serverContext(): Promise<SecureContextOptions> {
    const ca = this.opts.ca;
    const issued = await ca.issueServerCertificate(this.opts.serverDnsNames ?? ISTIOD_DNS_NAMES, ca.defaultTtlMs);
    const halfLife = ca.defaultTtlMs / 2;
    this.rotateTimer = setTimeout(() => {
      this.serverContext().then(
        (context) => this.credentials?.update(context),
        (err) => log.error("server certificate renewal failed", { error: err }),
      );
    }, Math.min(halfLife * (0.9 + Math.random() * 0.2), 2 ** 31 - 1));
    this.rotateTimer.unref();
    return {
      cert: issued.chain.slice(0, -1).join(""),
      key: issued.keyPem,
      ca: [ca.rootCertPem, ...ca.intermediatePems].join(""),
    };
  }
}
