// KeyCertBundle: the CA's signing key and certificates in Istio's plug-in layout (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem), loaded with validation or created as a self-signed root.

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate, createPrivateKey, KeyObject, webcrypto } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CaError } from "./ca-error.js";

export const CA_CERT_FILE = "ca-cert.pem";
export const CA_KEY_FILE = "ca-key.pem";
export const CERT_CHAIN_FILE = "cert-chain.pem";
export const ROOT_CERT_FILE = "root-cert.pem";

/** istio security/pkg/pki/ca: self-signed root is RSA 2048, O=<trust domain>, valid 10 years. */
const SELF_SIGNED_ROOT_TTL_MS = 10 * 365 * 24 * 3600 * 1000;
const ROOT_RSA_BITS = 2048;

const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

export interface KeyCertBundle {
  /** The certificate the CA signs with (the root itself for a self-signed CA). */
  readonly caCert: X509Certificate;
  /** The signing key, imported for WebCrypto with the algorithm the CA signs with. */
  readonly signingKey: CryptoKey;
  readonly signingAlgorithm: RsaHashedImportParams | EcdsaParams;
  /** Certificates between the CA certificate and the root, CA certificate first (never the root). */
  readonly intermediates: readonly X509Certificate[];
  readonly root: X509Certificate;
}

/** Splits a PEM bundle into its certificates; throws CA_PEM naming `file` when there is none or one does not parse. */
export function parseCertificates(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT);
  if (!blocks) throw new CaError("CA_PEM", `${file}: no PEM certificate in the file`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new CaError("CA_PEM", `${file}: certificate ${i + 1} does not parse: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** PEM text of a certificate, newline-terminated (istio server.go appends "\n" to each chain element). */
export function certPem(cert: X509Certificate): string {
  const pem = cert.toString();
  return pem.endsWith("\n") ? pem : pem + "\n";
}

async function readCaFile(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), "utf8");
  } catch (err) {
    throw new CaError("CA_FILE", `${join(dir, name)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

function checkValidity(cert: X509Certificate, file: string, now: number): void {
  if (Date.parse(cert.validTo) <= now) throw new CaError("CA_EXPIRED", `${file}: certificate expired at ${new Date(cert.validTo).toISOString()}`);
  if (Date.parse(cert.validFrom) > now) throw new CaError("CA_NOT_YET_VALID", `${file}: certificate not valid before ${new Date(cert.validFrom).toISOString()}`);
}

/** The WebCrypto algorithm to sign with `key` (SHA-256, SHA-384 for P-384); CA_KEY_UNSUPPORTED otherwise. */
export function signingAlgorithmFor(key: KeyObject, what: string): RsaHashedImportParams | (EcKeyImportParams & EcdsaParams) {
  if (key.asymmetricKeyType === "rsa") {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new CaError("CA_KEY_UNSUPPORTED", `${what}: RSA keys shorter than 2048 bits are refused`);
    return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    if (curve === "secp384r1") return { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" };
    throw new CaError("CA_KEY_UNSUPPORTED", `${what}: EC curve ${curve ?? "?"} is not supported (P-256, P-384)`);
  }
  throw new CaError("CA_KEY_UNSUPPORTED", `${what}: ${key.asymmetricKeyType ?? "unknown"} keys are not supported (RSA, ECDSA)`);
}

/**
 * Loads and validates a CA directory in Istio's plug-in layout: every PEM parses, ca-key.pem is ca-cert.pem's key,
 * ca-cert.pem and root-cert.pem are CA certificates within their validity, and ca-cert.pem chains to root-cert.pem
 * through cert-chain.pem. Throws a CaError naming the file and the reason.
 */
export async function loadKeyCertBundle(dir: string, now = Date.now()): Promise<KeyCertBundle> {
  const [certText, keyText, chainText, rootText] = await Promise.all([CA_CERT_FILE, CA_KEY_FILE, CERT_CHAIN_FILE, ROOT_CERT_FILE].map((f) => readCaFile(dir, f)));
  const caFile = join(dir, CA_CERT_FILE);
  const keyFile = join(dir, CA_KEY_FILE);
  const rootFile = join(dir, ROOT_CERT_FILE);
  const caCert = parseCertificates(certText!, caFile)[0]!;
  const chain = parseCertificates(chainText!, join(dir, CERT_CHAIN_FILE));
  const root = parseCertificates(rootText!, rootFile)[0]!;

  let key: KeyObject;
  try {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText!)) throw new Error("no PEM private key in the file");
    key = createPrivateKey(keyText!);
  } catch (err) {
    throw new CaError("CA_PEM", `${keyFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!caCert.checkPrivateKey(key)) throw new CaError("CA_KEY_MISMATCH", `${keyFile}: the key does not belong to ${caFile}`);
  if (!caCert.ca) throw new CaError("CA_NOT_CA", `${caFile}: not a CA certificate (basicConstraints CA:FALSE or absent)`);
  if (!root.ca) throw new CaError("CA_NOT_CA", `${rootFile}: not a CA certificate`);
  checkValidity(caCert, caFile, now);
  checkValidity(root, rootFile, now);

  const intermediates = verifyChain(caCert, chain, root, join(dir, CERT_CHAIN_FILE), now);
  const signingAlgorithm = signingAlgorithmFor(key, keyFile);
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const signingKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, signingAlgorithm, false, ["sign"]);
  return { caCert, signingKey: signingKey as CryptoKey, signingAlgorithm, intermediates, root };
}

/** The path ca-cert → … → root through `chain` (CA certificate first, root excluded); CA_CHAIN if there is none. */
function verifyChain(caCert: X509Certificate, chain: readonly X509Certificate[], root: X509Certificate, chainFile: string, now: number): X509Certificate[] {
  const path: X509Certificate[] = [];
  let current = caCert;
  for (let hops = 0; hops <= chain.length; hops++) {
    if (current.fingerprint256 === root.fingerprint256) return path;
    path.push(current);
    if (current.checkIssued(root) && current.verify(root.publicKey)) return path;
    const issuer = chain.find((c) => c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer) throw new CaError("CA_CHAIN", `${chainFile}: no issuer found for "${current.subject.replace(/\n/g, ", ")}" on the way to the root certificate`);
    if (!issuer.ca) throw new CaError("CA_NOT_CA", `${chainFile}: "${issuer.subject.replace(/\n/g, ", ")}" is not a CA certificate`);
    checkValidity(issuer, chainFile, now);
    current = issuer;
  }
  throw new CaError("CA_CHAIN", `${chainFile}: the chain does not reach the root certificate`);
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/**
 * Creates a self-signed root (RSA 2048, O=<trustDomain>, 10 years, Istio's choices) and writes it to `dir` in the
 * plug-in layout: ca-cert.pem = root-cert.pem = cert-chain.pem = the root, ca-key.pem (PKCS#8, mode 0600).
 */
export async function createSelfSignedBundle(dir: string, trustDomain: string): Promise<void> {
  const subtle = webcrypto.subtle as SubtleCrypto;
  const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: ROOT_RSA_BITS, publicExponent: new Uint8Array([1, 0, 1]) };
  const keys = (await subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ "2.5.4.10": [trustDomain] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + SELF_SIGNED_ROOT_TTL_MS),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
  const rootText = root.toString("pem") + "\n";
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await Promise.all([CA_CERT_FILE, CERT_CHAIN_FILE, ROOT_CERT_FILE].map((f) => writeAtomic(join(dir, f), rootText, 0o644)));
  await writeAtomic(join(dir, CA_KEY_FILE), keyPem, 0o600); // last: its presence means the bundle is complete
}
