// Test helpers for the CA: CSRs made with @peculiar/x509 and one-off CA directories (expired, mismatched, not a CA).

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { KeyObject, webcrypto } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

const subtle = webcrypto.subtle as SubtleCrypto;
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A CSR naming `names`, with a fresh P-256 key or `keys` (ECDSA or RSASSA-PKCS1-v1_5). */
export async function makeCsr(names: x509.JsonGeneralNames, keys?: CryptoKeyPair): Promise<{ csrPem: string; keys: CryptoKeyPair; keyPem: string }> {
  keys ??= (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: keys.privateKey.algorithm.name === "ECDSA" ? EC : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    extensions: [new x509.SubjectAlternativeNameExtension(names)],
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
  return { csrPem: csr.toString("pem"), keys, keyPem };
}

export interface TestCaOptions {
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
}

/** Writes a self-signed CA in Istio's plug-in layout to `dir`; returns its key pair. */
export async function writeTestCa(dir: string, opts: TestCaOptions = {}): Promise<CryptoKeyPair> {
  const keys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "O=test-ca",
    notBefore: opts.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + 3600_000),
    keys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(opts.ca ?? true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const pem = cert.toString("pem") + "\n";
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "ca-key.pem"), KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string);
  for (const f of ["ca-cert.pem", "cert-chain.pem", "root-cert.pem"]) await writeFile(join(dir, f), pem);
  return keys;
}

/** Writes a plug-in CA whose signing certificate is an intermediate under a self-signed root (cert-chain.pem = intermediate + root). */
export async function writeTestIntermediateCa(dir: string): Promise<void> {
  const rootKeys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const caExtensions = () => [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)];
  const validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3600_000) };
  const root = await x509.X509CertificateGenerator.createSelfSigned({ name: "O=test-root", ...validity, keys: rootKeys, signingAlgorithm: EC, extensions: caExtensions() });
  const keys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const intermediate = await x509.X509CertificateGenerator.create({
    subject: "O=test-intermediate", issuer: root.subjectName, ...validity, publicKey: keys.publicKey, signingKey: rootKeys.privateKey, signingAlgorithm: EC, extensions: caExtensions(),
  });
  const rootPem = root.toString("pem") + "\n";
  const intermediatePem = intermediate.toString("pem") + "\n";
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "ca-key.pem"), KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string);
  await writeFile(join(dir, "ca-cert.pem"), intermediatePem);
  await writeFile(join(dir, "cert-chain.pem"), intermediatePem + rootPem);
  await writeFile(join(dir, "root-cert.pem"), rootPem);
}
