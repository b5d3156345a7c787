// The sidecar's certificate client against a real in-process CA: issuance, refusal, rotation before expiry, CA outage, and a bad answer rejected.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { CertificateAuthority } from "../src/control-plane/ca/certificate-authority.js";
import { CaServer } from "../src/control-plane/ca/ca-server.js";
import { TokenAuthenticator, createWorkloadToken } from "../src/control-plane/ca/token-authenticator.js";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { makeCsr, writeTestCa } from "../src/control-plane/ca/ca-test-pki.js";
import { istioCertificateService } from "../src/xds/istio-certificate-service.js";
import { WorkloadCertificateClient, type WorkloadCertificate } from "../src/proxy/security/workload-certificate-client.js";
import { WeftError } from "../src/shared/weft-error.js";

const ADDRESS = "127.0.14.1";
const REVIEWS = "spiffe://cluster.local/ns/default/sa/reviews";

async function setup(): Promise<{ state: string; ca: CertificateAuthority; tokens: TokenAuthenticator; tokenFile: string }> {
  const state = await mkdtemp(join(tmpdir(), "weft-wl-cert-"));
  const ca = await CertificateAuthority.fromStateDir(state, { trustDomain: "cluster.local" });
  const tokens = new TokenAuthenticator(state, "cluster.local");
  const tokenFile = await createWorkloadToken(state, "default", "reviews");
  return { state, ca, tokens, tokenFile };
}

function clientFor(port: number, ca: CertificateAuthority, tokenFile: string, extra: Partial<ConstructorParameters<typeof WorkloadCertificateClient>[0]> = {}): WorkloadCertificateClient {
  return new WorkloadCertificateClient({
    caAddress: `${ADDRESS}:${port}`, rootPem: ca.rootCertPem, tokenFile, trustDomain: "cluster.local", namespace: "default", serviceAccount: "reviews",
    initialBackoffMs: 200, maxBackoffMs: 800, requestTimeoutMs: 2000, ...extra,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("gets a certificate for its identity and exposes SDS secrets default and ROOTCA", async () => {
  const { state, ca, tokens, tokenFile } = await setup();
  const server = new CaServer({ ca, tokens });
  const port = await server.listen(ADDRESS, 27400);
  const client = clientFor(port, ca, tokenFile);
  try {
    const cert = await client.start();
    assert.equal(cert.identity, REVIEWS);
    assert.ok(Object.isFrozen(cert));
    const leaf = new X509Certificate(cert.certChainPem);
    assert.match(leaf.subjectAltName ?? "", new RegExp(`URI:${REVIEWS}`));
    assert.ok(leaf.verify(new X509Certificate(ca.rootCertPem).publicKey));
    assert.ok(leaf.checkPrivateKey((await import("node:crypto")).createPrivateKey(cert.privateKeyPem)));
    const def = client.secret("default") as { name: string; tls_certificate: { certificate_chain: { inline_bytes: Buffer }; private_key: { inline_bytes: Buffer } } };
    assert.equal(def.name, "default");
    assert.equal(def.tls_certificate.certificate_chain.inline_bytes.toString(), cert.certChainPem);
    assert.equal(def.tls_certificate.private_key.inline_bytes.toString(), cert.privateKeyPem);
    assert.deepEqual(client.secret("ROOTCA"), { name: "ROOTCA", validation_context: { trusted_ca: { inline_bytes: Buffer.from(ca.rootCertPem) } } });
    assert.equal(client.secret("other"), undefined);
  } finally {
    client.close();
    await server.close();
    await rm(state, { recursive: true, force: true });
  }
});

test("a wrong token is refused and reported as PROXY_CERT_REFUSED", async () => {
  const { state, ca, tokens } = await setup();
  const server = new CaServer({ ca, tokens });
  const port = await server.listen(ADDRESS, 27401);
  const badToken = join(state, "bad.token");
  await (await import("node:fs/promises")).writeFile(badToken, "not-a-token\n");
  const client = clientFor(port, ca, badToken);
  try {
    await assert.rejects(client.start(), (err: WeftError) => err.code === "PROXY_CERT_REFUSED" && /authenticate/.test(err.message));
    assert.equal(client.stats.failures, 1);
    assert.equal(client.stats.failuresByCode.PROXY_CERT_REFUSED, 1);
    assert.equal(client.certificate, undefined);
    assert.equal(client.secret("default"), undefined);
  } finally {
    client.close();
    await server.close();
    await rm(state, { recursive: true, force: true });
  }
});

test("with a 4 s TTL the certificate rotates before expiry (token or mTLS renewal) and listeners see each new one", async () => {
  const { state, ca, tokens, tokenFile } = await setup();
  const server = new CaServer({ ca, tokens });
  const port = await server.listen(ADDRESS, 27402);
  for (const renewWithCertificate of [false, true]) {
    const client = clientFor(port, ca, tokenFile, { ttlSeconds: 4, renewWithCertificate });
    const seen: WorkloadCertificate[] = [];
    client.onCertificate((c) => seen.push(c));
    try {
      const first = await client.start();
      assert.equal(seen.length, 1);
      while (seen.length < 2) await sleep(100);
      const second = seen[1]!;
      assert.ok(Date.now() < first.notAfter.getTime(), "rotated before the first certificate expired");
      assert.notEqual(second.certChainPem, first.certChainPem);
      assert.notEqual(second.privateKeyPem, first.privateKeyPem);
      assert.ok(second.notAfter.getTime() > first.notAfter.getTime());
      assert.equal(client.certificate, second);
      assert.equal(client.stats.failures, 0);
    } finally {
      client.close();
    }
  }
  await server.close();
  await rm(state, { recursive: true, force: true });
});

test("a CA outage keeps the old certificate and retries until the CA is back", async () => {
  const { state, ca, tokens, tokenFile } = await setup();
  let server = new CaServer({ ca, tokens });
  const port = await server.listen(ADDRESS, 27403);
  const client = clientFor(port, ca, tokenFile, { ttlSeconds: 6 });
  try {
    const first = await client.start();
    await server.close();
    while (client.stats.failures < 2) await sleep(100);
    assert.equal(client.certificate, first, "the old certificate stays while it is valid");
    assert.ok((client.stats.failuresByCode.PROXY_CERT_UNAVAILABLE ?? 0) >= 2);
    assert.ok(Date.now() < first.notAfter.getTime());
    server = new CaServer({ ca, tokens });
    await server.listen(ADDRESS, port);
    while (client.certificate === first) await sleep(100);
    assert.ok(client.certificate!.notAfter.getTime() > first.notAfter.getTime());
  } finally {
    client.close();
    await server.close();
    await rm(state, { recursive: true, force: true });
  }
});

test("an answer for another key, another identity or from another CA is rejected with PROXY_CERT_INVALID", async () => {
  const { state, ca, tokenFile } = await setup();
  const serverCert = await ca.issueServerCertificate(["istiod.istio-system.svc"], 3600e3);
  const foreignKeys = await writeTestCa(join(state, "foreign"));
  const foreignRoot = new x509.X509Certificate(await readFile(join(state, "foreign", "root-cert.pem"), "utf8"));
  let mode: "other-key" | "other-identity" | "other-ca" = "other-key";
  /** A leaf for the CSR's own key, naming `name`, signed by the foreign CA; chain leaf + our root so only the signature is wrong. */
  async function forgedFor(csrPem: string, name: string): Promise<string[]> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    const leaf = await x509.X509CertificateGenerator.create({
      subject: "O=forged", issuer: foreignRoot.subjectName, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3600_000),
      publicKey: await csr.publicKey.export(), signingKey: foreignKeys.privateKey, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: name }])],
    });
    return [leaf.toString("pem") + "\n", ca.rootCertPem];
  }
  const fake = new Server();
  fake.addService(istioCertificateService, {
    CreateCertificate: (call: { request: { csr: string } }, cb: (err: null, res: { cert_chain: string[] }) => void) => {
      const answer = mode === "other-key"
        ? makeCsr([{ type: "url", value: REVIEWS }]).then(async (other) => (await ca.sign(other.csrPem, REVIEWS)).chain)
        : forgedFor(call.request.csr, mode === "other-identity" ? "spiffe://cluster.local/ns/default/sa/ratings" : REVIEWS);
      void answer.then((chain) => cb(null, { cert_chain: chain }));
    },
  });
  const creds = ServerCredentials.createSsl(Buffer.from(ca.rootCertPem), [{ private_key: Buffer.from(serverCert.keyPem), cert_chain: Buffer.from(serverCert.chain.slice(0, -1).join("")) }], false);
  const port = await new Promise<number>((resolve, reject) => fake.bindAsync(`${ADDRESS}:27404`, creds, (err, p) => (err ? reject(err) : resolve(p))));
  const client = clientFor(port, ca, tokenFile);
  try {
    await assert.rejects(client.start(), (err: WeftError) => err.code === "PROXY_CERT_INVALID" && /not for our key/.test(err.message));
    mode = "other-identity";
    await assert.rejects(client.rotate(), (err: WeftError) => err.code === "PROXY_CERT_INVALID" && /sa\/ratings is not/.test(err.message));
    mode = "other-ca";
    await assert.rejects(client.rotate(), (err: WeftError) => err.code === "PROXY_CERT_INVALID" && /not signed by|does not verify to the root/.test(err.message));
    assert.equal(client.certificate, undefined);
    assert.equal(client.stats.failuresByCode.PROXY_CERT_INVALID, 3);
  } finally {
    client.close();
    await new Promise<void>((r) => fake.tryShutdown(() => r()));
    await rm(state, { recursive: true, force: true });
  }
});
