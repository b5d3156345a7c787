// Unit tests for CaServer's secure port: the server certificate is istiod's DNS name from the CA, renewed at half-life for new connections while open ones continue.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type TLSSocket } from "node:tls";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateAuthority } from "./certificate-authority.js";
import { CaServer } from "./ca-server.js";

const ADDRESS = "127.0.10.2";

function handshake(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ADDRESS, port, ca, servername: "istiod.istio-system.svc", ALPNProtocols: ["h2"] }, () => resolve(socket));
    socket.once("error", reject);
  });
}

test("secure port presents a CA-issued istiod.istio-system.svc certificate and renews it at half its lifetime for new connections", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-ca-server-"));
  const ca = await CertificateAuthority.fromStateDir(dir, { trustDomain: "cluster.local", defaultTtlMs: 2_000 });
  const server = new CaServer({ ca });
  const sockets: TLSSocket[] = [];
  try {
    const port = await server.listen(ADDRESS, 0);
    const first = await handshake(port, ca.rootCertPem);
    sockets.push(first);
    assert.equal(first.authorized, true);
    const cert1 = first.getPeerX509Certificate()!;
    assert.equal(cert1.subjectAltName, "DNS:istiod.istio-system.svc");
    assert.ok(cert1.verify(ca.rootCert.publicKey));

    await new Promise((resolve) => setTimeout(resolve, 1_400));
    const second = await handshake(port, ca.rootCertPem);
    sockets.push(second);
    const cert2 = second.getPeerX509Certificate()!;
    assert.notEqual(cert2.serialNumber, cert1.serialNumber, "a new connection gets the renewed certificate");
    assert.equal(first.destroyed, false, "the open connection is not dropped");
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
