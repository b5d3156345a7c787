// End to end: RequestAuthentication and AuthorizationPolicy YAML → control plane → jwt_authn/RBAC on the server sidecar's inbound listener.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import {
  configDir, startControlPlane, startSidecarWith, startVersionApp, serverPort, closeServer, httpGet, waitFor,
  type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";

const CLIENT_IP = "127.0.13.20";
const SERVER_IP = "127.0.13.10";
const ISSUER = "https://issuer.weft.test";

const SERVICE = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.default.svc.cluster.local]
  ports: [{number: 27300, name: http, protocol: HTTP}]
  resolution: STATIC
  location: MESH_INTERNAL
  workloadSelector: {labels: {app: httpbin}}
`;

function requestAuthentication(jwk: JWK): string {
  return `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: ${ISSUER}
    audiences: [httpbin]
    jwks: '${JSON.stringify({ keys: [{ ...jwk, kid: "k1", alg: "ES256" }] })}'
`;
}

const DENY_ADMIN = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: DENY
  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
`;

const ALLOW = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  rules:
  - to: [{operation: {paths: ["/public*"]}}]
  - from: [{source: {requestPrincipals: ["${ISSUER}/alice"]}}]
    to: [{operation: {methods: [GET]}}]
  - when: [{key: "request.auth.claims[groups]", values: [admins]}]
`;

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const procs: WeftProcess[] = [];
let app: Server;
let key: CryptoKey;
let otherKey: CryptoKey;

async function token(claims: Record<string, unknown>, opts: { signWith?: CryptoKey; exp?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ aud: "httpbin", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setIssuedAt(now - 10)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(opts.signWith ?? key);
}

function get(path: string, jwt?: string) {
  return httpGet(`http://httpbin.default.svc.cluster.local:27300${path}`, { via: `${CLIENT_IP}:15001`, headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });
}

before(async () => {
  const pair = await generateKeyPair("ES256");
  key = pair.privateKey;
  otherKey = (await generateKeyPair("ES256")).privateKey;
  const jwk = await exportJWK(pair.publicKey);
  config = await configDir({ "service.yaml": SERVICE, "jwt.yaml": requestAuthentication(jwk), "deny.yaml": DENY_ADMIN, "allow.yaml": ALLOW });
  cp = await startControlPlane(config.dir, { address: "127.0.13.1" });
  app = await startVersionApp("127.0.0.1", 0, "v1");
  procs.push(
    await startSidecarWith([`127.0.13.1:${cp.xdsPort}`], { ip: SERVER_IP, workload: "httpbin", labels: { app: "httpbin" }, appPort: serverPort(app) }),
    await startSidecarWith([`127.0.13.1:${cp.xdsPort}`], { ip: CLIENT_IP, workload: "sleep", labels: { app: "sleep" } }),
  );
  await waitFor(async () => (await get("/public")).status === 200, 10_000, () => procs.map((p) => p.stderr).join("\n"));
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await cp?.proc.stop();
  if (app) await closeServer(app);
  await config?.remove();
});

test("ALLOW rules: an open path needs no token; elsewhere a request principal or a claim is required (403 RBAC: access denied)", async () => {
  assert.equal((await get("/public/x")).status, 200);
  const anon = await get("/private");
  assert.deepEqual([anon.status, anon.body], [403, "RBAC: access denied"]);
  assert.equal((await get("/private", await token({ sub: "alice" }))).status, 200);
  assert.equal((await get("/private", await token({ sub: "bob" }))).status, 403);
  assert.equal((await get("/private", await token({ sub: "bob", groups: ["users", "admins"] }))).status, 200);
});

test("DENY beats ALLOW; a badly signed or expired token is 401 whatever the path", async () => {
  assert.equal((await get("/admin/x", await token({ sub: "alice" }))).status, 403);
  assert.equal((await get("/public", await token({ sub: "alice" }, { signWith: otherKey }))).status, 401);
  assert.equal((await get("/public", await token({ sub: "alice" }, { exp: Math.floor(Date.now() / 1000) - 120 }))).status, 401);
  // Envoy answers a token for another audience with 403 (JwtAudienceNotAllowed), from jwt_authn rather than RBAC.
  const wrongAudience = await get("/public", await token({ sub: "alice", aud: "someone-else" }));
  assert.equal(wrongAudience.status, 403);
  assert.notEqual(wrongAudience.body, "RBAC: access denied");
});

test("removing the ALLOW policy opens the workload (push to the selected proxy only changes its inbound filters)", async () => {
  await config.write("allow.yaml", "");
  await waitFor(async () => (await get("/private")).status === 200, 10_000, () => cp.proc.stderr);
  assert.equal((await get("/admin")).status, 403);
  await config.write("allow.yaml", ALLOW);
  await waitFor(async () => (await get("/private")).status === 403, 10_000, () => cp.proc.stderr);
});
