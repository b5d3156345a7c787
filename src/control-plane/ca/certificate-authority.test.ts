// Unit tests for CertificateAuthority: issued leaf contents, chain verification, CSR refusals, plug-in CA validation, persistence.

import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, webcrypto } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateAuthority } from "./certificate-authority.js";
import { CaError } from "./ca-error.js";
import { makeCsr, writeTestCa, writeTestIntermediateCa } from "./ca-test-pki.js";

const ID = "spiffe://cluster.local/ns/default/sa/reviews";

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "weft-ca-"));
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof CaError && err.code === code);
}

test("self-signed CA issues a 24 h workload leaf with the SPIFFE URI SAN that verifies against the persisted root", async () => {
  const dir = await tempDir();
  try {
    const ca = await CertificateAuthority.fromStateDir(dir, { trustDomain: "cluster.local" });
    const root = new X509Certificate(await readFile(join(dir, "root-cert.pem")));
    assert.equal(root.ca, true);
    assert.match(root.subject, /O=cluster.local/);
    assert.ok(Date.parse(root.validTo) - Date.now() > 9.9 * 365 * 24 * 3600e3, "root valid ~10 years");
    assert.equal((await stat(join(dir, "ca-key.pem"))).mode & 0o777, 0o600);
    assert.equal(root.publicKey.asymmetricKeyType, "rsa");

    const { csrPem } = await makeCsr([{ type: "url", value: ID }]);
    const before = Date.now();
    const { certificate: leaf, chain } = await ca.sign(csrPem, ID);
    assert.equal(chain.length, 2);
    assert.ok(chain.every((c) => c.endsWith("-----\n")));
    assert.equal(new X509Certificate(chain[1]!).fingerprint256, root.fingerprint256);
    assert.equal(leaf.subjectAltName, `URI:${ID}`);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.verify(root.publicKey) && leaf.checkIssued(root));
    assert.deepEqual([...(leaf.keyUsage ?? [])].sort(), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    const from = Date.parse(leaf.validFrom);
    const to = Date.parse(leaf.validTo);
    assert.ok(from <= before - 110_000 && from >= before - 130_000, "notBefore backdated by 2 minutes");
    assert.ok(Math.abs(to - (before + 24 * 3600e3)) < 5_000, "valid 24 h");

    const short = await ca.sign(csrPem, ID, 3600_000);
    assert.ok(Math.abs(Date.parse(short.certificate.validTo) - Date.now() - 3600e3) < 5_000);
    await rejectsWith(ca.sign(csrPem, ID, 91 * 24 * 3600e3), "CA_TTL");

    const again = await CertificateAuthority.fromStateDir(dir, { trustDomain: "cluster.local" });
    assert.equal(again.rootCert.fingerprint256, root.fingerprint256, "restart reuses the root");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("sign refuses malformed CSRs, wrong or extra SANs, a forged signature and weak keys with stable codes", async () => {
  const dir = await tempDir();
  try {
    const ca = await CertificateAuthority.fromStateDir(dir, { trustDomain: "cluster.local" });
    await rejectsWith(ca.sign("not a csr", ID), "CA_CSR_INVALID");
    await rejectsWith(ca.sign("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", ID), "CA_CSR_INVALID");
    await rejectsWith(ca.sign("x".repeat(70_000), ID), "CA_CSR_INVALID");
    const other = await makeCsr([{ type: "url", value: "spiffe://cluster.local/ns/default/sa/ratings" }]);
    await rejectsWith(ca.sign(other.csrPem, ID), "CA_IDENTITY_MISMATCH");
    const two = await makeCsr([{ type: "url", value: ID }, { type: "dns", value: "reviews.default.svc" }]);
    await rejectsWith(ca.sign(two.csrPem, ID), "CA_CSR_SAN");
    const dns = await makeCsr([{ type: "dns", value: "reviews.default.svc" }]);
    await rejectsWith(ca.sign(dns.csrPem, ID), "CA_CSR_SAN");

    const good = await makeCsr([{ type: "url", value: ID }]);
    const der = Buffer.from(good.csrPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    der[der.length - 5] ^= 0xff; // inside the signature
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await rejectsWith(ca.sign(forged, ID), "CA_CSR_SIGNATURE");

    const rsa1024 = (await webcrypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"],
    )) as CryptoKeyPair;
    const weak = await makeCsr([{ type: "url", value: ID }], rsa1024);
    await rejectsWith(ca.sign(weak.csrPem, ID), "CA_KEY_UNSUPPORTED");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("plug-in CA: a valid directory (root or intermediate) signs; not-a-PEM, key mismatch, expired and non-CA certificates are refused naming the file", async () => {
  const dir = await tempDir();
  try {
    await writeTestCa(join(dir, "good"));
    const ca = await CertificateAuthority.fromPluginDir(join(dir, "good"), { trustDomain: "cluster.local" });
    const { csrPem } = await makeCsr([{ type: "url", value: ID }]);
    const { certificate } = await ca.sign(csrPem, ID);
    assert.ok(certificate.verify(ca.rootCert.publicKey));

    await writeTestCa(join(dir, "garbage"));
    await writeFile(join(dir, "garbage", "ca-cert.pem"), "hello, I am not a certificate\n");
    await assert.rejects(CertificateAuthority.fromPluginDir(join(dir, "garbage"), { trustDomain: "x" }), (e: unknown) =>
      e instanceof CaError && e.code === "CA_PEM" && e.message.includes("ca-cert.pem"));

    await writeTestCa(join(dir, "mismatch"));
    await writeTestCa(join(dir, "other"));
    await writeFile(join(dir, "mismatch", "ca-key.pem"), await readFile(join(dir, "other", "ca-key.pem")));
    await assert.rejects(CertificateAuthority.fromPluginDir(join(dir, "mismatch"), { trustDomain: "x" }), (e: unknown) =>
      e instanceof CaError && e.code === "CA_KEY_MISMATCH" && e.message.includes("ca-key.pem"));

    await writeTestCa(join(dir, "expired"), { notBefore: new Date(Date.now() - 7200e3), notAfter: new Date(Date.now() - 3600e3) });
    await rejectsWith(CertificateAuthority.fromPluginDir(join(dir, "expired"), { trustDomain: "x" }), "CA_EXPIRED");

    await writeTestCa(join(dir, "leaf"), { ca: false });
    await rejectsWith(CertificateAuthority.fromPluginDir(join(dir, "leaf"), { trustDomain: "x" }), "CA_NOT_CA");

    await writeTestCa(join(dir, "chain"));
    await writeFile(join(dir, "chain", "root-cert.pem"), await readFile(join(dir, "other", "root-cert.pem")));
    await rejectsWith(CertificateAuthority.fromPluginDir(join(dir, "chain"), { trustDomain: "x" }), "CA_CHAIN");

    await rejectsWith(CertificateAuthority.fromPluginDir(join(dir, "missing"), { trustDomain: "x" }), "CA_FILE");

    await writeTestIntermediateCa(join(dir, "intermediate"));
    const sub = await CertificateAuthority.fromPluginDir(join(dir, "intermediate"), { trustDomain: "cluster.local" });
    const issued = await sub.sign(csrPem, ID);
    assert.equal(issued.chain.length, 3, "leaf, intermediate, root (the root once)");
    const [leaf, intermediate, root] = issued.chain.map((p) => new X509Certificate(p));
    assert.ok(leaf!.verify(intermediate!.publicKey) && intermediate!.verify(root!.publicKey));
    assert.equal(root!.fingerprint256, sub.rootCert.fingerprint256);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
