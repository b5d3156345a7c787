import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { socketConnectionInfo } from "./connection-info.js";

/** A self-signed certificate with the given subject and SAN, made with the openssl CLI. */
function selfSigned(dir: string, name: string, subject: string, san: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, `${name}.key`), cert = join(dir, `${name}.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", subject, "-addext", `subjectAltName=${san}`, "-keyout", key, "-out", cert], { stdio: "ignore" });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

test("plaintext: addresses from the socket, no SNI, no peer certificate", async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.12.50", r));
  const accepted = new Promise<import("node:net").Socket>((r) => server.once("connection", r));
  const client = createConnection({ host: "127.0.12.50", port: (server.address() as import("node:net").AddressInfo).port, localAddress: "127.0.12.51" });
  const info = socketConnectionInfo(await accepted);
  assert.equal(info.localAddress, "127.0.12.50");
  assert.equal(info.directRemoteAddress, "127.0.12.51");
  assert.equal(info.requestedServerName, "");
  assert.equal(info.peerCertificate, undefined);
  client.destroy();
  await new Promise((r) => server.close(r));
});

test("mutual TLS: the verified client certificate's URI and DNS SANs and subject, and the SNI", async () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-conninfo-"));
  try {
    const serverCert = selfSigned(dir, "server", "/CN=server", "DNS:server.local");
    const clientCert = selfSigned(dir, "client", "/O=weft/CN=sleep", "URI:spiffe://cluster.local/ns/foo/sa/sleep,DNS:sleep.foo");
    const server = tls.createServer({ ...serverCert, ca: [clientCert.cert], requestCert: true, rejectUnauthorized: true });
    await new Promise<void>((r) => server.listen(0, "127.0.12.52", r));
    const accepted = new Promise<tls.TLSSocket>((r) => server.once("secureConnection", r));
    const client = tls.connect({ host: "127.0.12.52", port: (server.address() as import("node:net").AddressInfo).port, servername: "httpbin.foo.svc.cluster.local", ...clientCert, rejectUnauthorized: false });
    const info = socketConnectionInfo(await accepted);
    assert.equal(info.requestedServerName, "httpbin.foo.svc.cluster.local");
    assert.deepEqual(info.peerCertificate, { uriSans: ["spiffe://cluster.local/ns/foo/sa/sleep"], dnsSans: ["sleep.foo"], subject: "CN=sleep,O=weft" });
    client.destroy();
    await new Promise((r) => server.close(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
