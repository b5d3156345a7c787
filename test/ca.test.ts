// End to end: `weft control-plane --state-dir` runs the CA on its secure port; workloads prove identity with a bootstrap token (or their certificate) and get chains openssl accepts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from "@grpc/grpc-js";
import { istioCertificateService, type IstioCertificateRequest, type IstioCertificateResponse } from "../src/xds/istio-certificate-service.js";
import { jsonToStruct } from "../src/xds/discovery.js";
import { makeCsr, writeTestCa } from "../src/control-plane/ca/ca-test-pki.js";
import { CertificateAuthority } from "../src/control-plane/ca/certificate-authority.js";
import { configDir, httpGet, runWeft, type WeftProcess } from "./support/mesh-processes.js";

const run = promisify(execFile);
const ADDRESS = "127.0.10.1";
const REVIEWS = "spiffe://cluster.local/ns/default/sa/reviews";
const RATINGS = "spiffe://cluster.local/ns/default/sa/ratings";

const CaClient = makeGenericClientConstructor(istioCertificateService, "IstioCertificateService");
type CaClient = Client & {
  CreateCertificate(req: IstioCertificateRequest, md: Metadata, cb: (err: ServiceError | null, res?: IstioCertificateResponse) => void): void;
};

interface Cp {
  proc: WeftProcess;
  securePort: number;
  monitoringPort: number;
  root: string;
}

async function startCp(config: string, extra: string[]): Promise<Cp> {
  const proc = runWeft("control-plane", ["control-plane", "--config-dir", config, "--xds-address", ADDRESS, "--xds-port", "0",
    "--monitoring-address", ADDRESS, "--monitoring-port", "0", "--secure-xds-port", "0", ...extra]);
  const ready = await proc.waitForLog(/control plane ready xds=[\d.]+:\d+ monitoring=[\d.]+:(\d+)/);
  const ca = proc.stderr.match(/certificate authority ready secure-xds=[\d.]+:(\d+) root=(\S+)/);
  return { proc, securePort: ca ? Number(ca[1]) : 0, monitoringPort: Number(ready[1]), root: ca?.[2] ?? "" };
}

function client(port: number, rootPem: string, clientCert?: { key: string; chain: string }): CaClient {
  const creds = clientCert
    ? credentials.createSsl(Buffer.from(rootPem), Buffer.from(clientCert.key), Buffer.from(clientCert.chain))
    : credentials.createSsl(Buffer.from(rootPem));
  return new CaClient(`${ADDRESS}:${port}`, creds, { "grpc.ssl_target_name_override": "istiod.istio-system.svc", "grpc.default_authority": "istiod.istio-system.svc" }) as unknown as CaClient;
}

function createCertificate(c: CaClient, csr: string, token?: string, validity = 0, metadata?: Record<string, string>): Promise<IstioCertificateResponse> {
  const md = new Metadata();
  if (token !== undefined) md.set("authorization", `Bearer ${token}`);
  const request = { csr, validity_duration: validity, ...(metadata && { metadata: jsonToStruct(metadata) }) };
  return new Promise((resolve, reject) => c.CreateCertificate(request, md, (err, res) => (err ? reject(err) : resolve(res!))));
}

async function refusedWith(p: Promise<unknown>, code: status): Promise<void> {
  await assert.rejects(p, (err: ServiceError) => {
    assert.equal(err.code, code, err.message);
    return true;
  });
}

async function weftToken(stateDir: string, ns: string, sa: string): Promise<string> {
  const { stdout } = await run(process.execPath, [join(import.meta.dirname, "../../bin/weft.js"), "ca", "token", "--state-dir", stateDir, "--namespace", ns, "--service-account", sa]);
  return (await readFile(stdout.trim(), "utf8")).trim();
}

test("the CA signs only the identity a token or client certificate proves; openssl verifies the chain; the root survives restart", async () => {
  const state = await mkdtemp(join(tmpdir(), "weft-ca-state-"));
  const config = await configDir({});
  let cp: Cp | undefined;
  const clients: CaClient[] = [];
  try {
    cp = await startCp(config.dir, ["--state-dir", state]);
    assert.ok(cp.securePort > 0, cp.proc.stderr);
    const rootPem = await readFile(join(state, "root-cert.pem"), "utf8");
    const reviewsToken = await weftToken(state, "default", "reviews");
    const ratingsToken = await weftToken(state, "default", "ratings");
    const c = client(cp.securePort, rootPem);
    clients.push(c);

    // A CSR made by openssl: the chain verifies and shows the URI SAN.
    const keyFile = join(state, "w.key");
    const csrFile = join(state, "w.csr");
    await run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-subj", "/O=weft-test",
      "-addext", `subjectAltName=URI:${REVIEWS}`, "-out", csrFile]);
    const chain = (await createCertificate(c, await readFile(csrFile, "utf8"), reviewsToken)).cert_chain;
    assert.equal(chain.length, 2);
    assert.equal(chain[1], rootPem);
    const leafFile = join(state, "w.pem");
    await writeFile(leafFile, chain[0]!);
    const verified = await run("openssl", ["verify", "-CAfile", join(state, "root-cert.pem"), leafFile]);
    assert.match(verified.stdout, /: OK/);
    const text = (await run("openssl", ["x509", "-in", leafFile, "-noout", "-text"])).stdout;
    assert.ok(text.includes(`URI:${REVIEWS}`), text);
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);

    // A CSR made with @peculiar/x509, requesting 1 h.
    const peculiar = await makeCsr([{ type: "url", value: REVIEWS }]);
    const oneHour = await createCertificate(c, peculiar.csrPem, reviewsToken, 3600);
    const leaf = new (await import("node:crypto")).X509Certificate(oneHour.cert_chain[0]!);
    assert.ok(Math.abs(Date.parse(leaf.validTo) - Date.now() - 3600e3) < 10_000);

    // Refusals.
    await refusedWith(createCertificate(c, peculiar.csrPem), status.UNAUTHENTICATED);
    await refusedWith(createCertificate(c, peculiar.csrPem, "not-a-token"), status.UNAUTHENTICATED);
    await refusedWith(createCertificate(c, peculiar.csrPem, ratingsToken), status.PERMISSION_DENIED);
    await refusedWith(createCertificate(c, "-----BEGIN CERTIFICATE REQUEST-----\ngarbage\n-----END CERTIFICATE REQUEST-----\n", reviewsToken), status.INVALID_ARGUMENT);
    await refusedWith(createCertificate(c, peculiar.csrPem, reviewsToken, 365 * 24 * 3600), status.INVALID_ARGUMENT);
    await refusedWith(createCertificate(c, peculiar.csrPem, reviewsToken, 0, { ImpersonatedIdentity: RATINGS }), status.UNAUTHENTICATED);

    // Renewal over mTLS with the issued certificate, no token: same identity only.
    const renewing = client(cp.securePort, rootPem, { key: peculiar.keyPem, chain: oneHour.cert_chain.join("") });
    clients.push(renewing);
    const renewed = await createCertificate(renewing, (await makeCsr([{ type: "url", value: REVIEWS }])).csrPem);
    assert.equal(renewed.cert_chain.length, 2);
    await refusedWith(createCertificate(renewing, (await makeCsr([{ type: "url", value: RATINGS }])).csrPem), status.PERMISSION_DENIED);

    // A certificate for the same identity from another CA proves nothing.
    await writeTestCa(join(state, "other-ca"));
    const otherCa = await CertificateAuthority.fromPluginDir(join(state, "other-ca"), { trustDomain: "cluster.local" });
    const foreign = await makeCsr([{ type: "url", value: REVIEWS }]);
    const foreignChain = (await otherCa.sign(foreign.csrPem, REVIEWS)).chain;
    const impostor = client(cp.securePort, rootPem, { key: foreign.keyPem, chain: foreignChain.join("") });
    clients.push(impostor);
    await refusedWith(createCertificate(impostor, (await makeCsr([{ type: "url", value: REVIEWS }])).csrPem), status.UNAUTHENTICATED);

    const metrics = (await httpGet(`http://${ADDRESS}:${cp.monitoringPort}/metrics`)).body;
    assert.match(metrics, /citadel_server_success_cert_issuance_count 3/);
    assert.match(metrics, /citadel_server_authentication_failure_count 4/);
    assert.match(metrics, /citadel_server_csr_sign_err_count\{error="CA_IDENTITY_MISMATCH"\} 2/);
    assert.match(metrics, /citadel_server_csr_parsing_err_count 1/);

    // Restart keeps the root.
    const firstRoot = cp.root;
    for (const cl of clients.splice(0)) cl.close();
    await cp.proc.stop();
    cp = await startCp(config.dir, ["--state-dir", state]);
    assert.equal(cp.root, firstRoot);
    assert.equal(await readFile(join(state, "root-cert.pem"), "utf8"), rootPem);
  } finally {
    for (const cl of clients) cl.close();
    await cp?.proc.stop();
    await config.remove();
    await rm(state, { recursive: true, force: true });
  }
});

test("a plug-in CA directory that does not validate leaves the CA off, named in the log, while xDS serves", async () => {
  const caDir = await mkdtemp(join(tmpdir(), "weft-ca-plugin-"));
  const config = await configDir({});
  let cp: Cp | undefined;
  try {
    for (const f of ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]) await writeFile(join(caDir, f), "this is not PEM\n");
    cp = await startCp(config.dir, ["--ca-dir", caDir]);
    assert.equal(cp.securePort, 0);
    assert.match(cp.proc.stderr, /certificate authority not started: .*ca-cert\.pem: no PEM certificate in the file \[CA_PEM\]/);
    assert.equal((await httpGet(`http://${ADDRESS}:${cp.monitoringPort}/metrics`)).status, 200);
  } finally {
    await cp?.proc.stop();
    await config.remove();
    await rm(caDir, { recursive: true, force: true });
  }
});
