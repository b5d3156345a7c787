// End to end: envoy.filters.http.rbac on inbound listeners as Istio generates them — a real `weft proxy` fed by a scripted
// ADS server (method × path × header × port × source matrix, DENY before ALLOW, shadow rules, NACK of a bad policy), and
// an in-process ProxyRuntime whose test filter injects the peer identity and JWT payloads (principals, request.auth claims).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, RBAC_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { byName, inboundListener, staticCluster } from "../src/proxy/testing/envoy-fixtures.js";
import { ProxyRuntime } from "../src/proxy/proxy-runtime.js";
import { registerHttpFilter } from "../src/proxy/filters/http-filter-registry.js";
import { FilterStatus } from "../src/proxy/filters/http-filter.js";
import { headerValue } from "../src/proxy/router/route-request.js";
import { ScriptedAds } from "./support/scripted-ads.js";
import { runWeft, serverPort, closeServer, httpGet, waitFor, type WeftProcess } from "./support/mesh-processes.js";

const ADS_IP = "127.0.12.1";
const PROXY_IP = "127.0.12.10";
const APP_IP = "127.0.12.20";
const RUNTIME_IP = "127.0.12.30";
const BLOCKED_CLIENT_IP = "127.0.12.66";
const PORT_A = 27210;
const PORT_B = 27211;
const RUNTIME_PORT = 27220;
const ADMIN = `${PROXY_IP}:27201`;

// ---- Istio-shaped RBAC configs (pilot/pkg/security/authz/builder: one filter per action, DENY before ALLOW) ----

const method = (m: string) => ({ header: { name: ":method", string_match: { exact: m } } });
const path = (p: object) => ({ url_path: { path: p } });
const or = (...rules: object[]) => ({ or_rules: { rules } });
const and = (...rules: object[]) => ({ and_rules: { rules } });
const anyone = { and_ids: { ids: [{ any: true }] } };

const DENY_RBAC = {
  "@type": RBAC_TYPE,
  rules: {
    action: "DENY",
    policies: {
      "ns[foo]-policy[deny-delete]-rule[0]": { permissions: [and(or(method("DELETE")))], principals: [anyone] },
      "ns[foo]-policy[deny-blocked]-rule[0]": {
        permissions: [and({ any: true })],
        principals: [{ and_ids: { ids: [{ or_ids: { ids: [
          { direct_remote_ip: { address_prefix: BLOCKED_CLIENT_IP, prefix_len: { value: 32 } } },
          { remote_ip: { address_prefix: "10.9.0.0", prefix_len: { value: 16 } } },
        ] } }] } }],
      },
    },
  },
};

const ALLOW_RBAC = {
  "@type": RBAC_TYPE,
  rules: {
    action: "ALLOW",
    policies: {
      // GET|HEAD on /public/* or *.css, from anyone.
      "ns[foo]-policy[reader]-rule[0]": { permissions: [and(or(method("GET"), method("HEAD")), or(path({ prefix: "/public/" }), path({ suffix: ".css" })))], principals: [anyone] },
      // POST on /api/* when request.headers[x-role] is writer.
      "ns[foo]-policy[writer]-rule[0]": {
        permissions: [and(or(method("POST")), or(path({ prefix: "/api/" })))],
        principals: [{ and_ids: { ids: [{ or_ids: { ids: [{ header: { name: "x-role", string_match: { exact: "writer" } } }] } }] } }],
      },
      // Any GET to this workload's IP on port B (to.operation.ports + when destination.ip).
      "ns[foo]-policy[port-b]-rule[0]": {
        permissions: [and(or({ destination_port: PORT_B }), or({ destination_ip: { address_prefix: PROXY_IP, prefix_len: { value: 32 } } }), or(method("GET")))],
        principals: [anyone],
      },
    },
  },
  // A dry-run ALLOW policy (istio.io/dry-run): only /public/ would be allowed.
  shadow_rules: { action: "ALLOW", policies: { "ns[foo]-policy[dry]-rule[0]": { permissions: [and(or(path({ prefix: "/public/" })))], principals: [anyone] } } },
  shadow_rules_stat_prefix: "istio_dry_run_allow_",
};

const rbacFilter = (typedConfig: object) => ({ name: "envoy.filters.http.rbac", typed_config: typedConfig });

// ---- helpers ----

interface Reply { status: number; body: string }

function send(ip: string, port: number, method: string, urlPath: string, headers: Record<string, string> = {}, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, method, path: urlPath, headers: { host: "httpbin.foo", ...headers }, localAddress, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

async function promStat(metric: string, port: number): Promise<number> {
  const text = (await httpGet(`http://${ADMIN}/stats/prometheus`)).body;
  const line = text.split("\n").find((l) => l.startsWith(`${metric}{http_conn_manager_prefix="inbound_${PROXY_IP}_${port}"}`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

let ads: ScriptedAds;
let proxy: WeftProcess;
let app: Server;
let appPort = 0;
let runtime: ProxyRuntime;

before(async () => {
  app = createServer((req, res) => res.end(`app ${req.method} ${req.url}`));
  await new Promise<void>((r) => app.listen(0, APP_IP, r));
  appPort = serverPort(app);
  ads = new ScriptedAds();
  await ads.listen(ADS_IP, 27200);
  ads.set(CLUSTER_TYPE, "c1", [staticCluster(`inbound|${PORT_A}||`, APP_IP, appPort), staticCluster(`inbound|${PORT_B}||`, APP_IP, appPort)]);
  ads.set(ENDPOINT_TYPE, "e1", []);
  ads.set(LISTENER_TYPE, "l1", [
    inboundListener(PROXY_IP, PORT_A, [rbacFilter(DENY_RBAC), rbacFilter(ALLOW_RBAC)]),
    inboundListener(PROXY_IP, PORT_B, [rbacFilter(DENY_RBAC), rbacFilter(ALLOW_RBAC)]),
  ]);
  ads.set(ROUTE_TYPE, "r1", []);
  proxy = runWeft("proxy", ["proxy", "--xds", `${ADS_IP}:27200`, "--xds-protocol", "sotw", "--ip", PROXY_IP, "--workload", "httpbin",
    "--namespace", "foo", "--labels", "app=httpbin", "--admin-port", "27201"]);
  await waitFor(async () => (await send(PROXY_IP, PORT_A, "GET", "/public/x")).status === 200, 10_000, () => proxy.stderr);
});

after(async () => {
  await proxy?.stop();
  ads?.close();
  await runtime?.close();
  if (app) { app.closeAllConnections(); await closeServer(app); }
});

/** What the two filters decide, written out from the policies above. */
function expected(port: number, m: string, p: string, role: string | undefined): number {
  if (m === "DELETE") return 403;
  if ((m === "GET" || m === "HEAD") && (p.startsWith("/public/") || p.endsWith(".css"))) return 200;
  if (m === "POST" && p.startsWith("/api/") && role === "writer") return 200;
  if (port === PORT_B && m === "GET") return 200;
  return 403;
}

test("methods × paths × header condition × destination port: 200 or 403 'RBAC: access denied' exactly as the policies say", async () => {
  const before403 = await promStat("envoy_http_rbac_denied", PORT_A);
  let denied = 0;
  const cases: string[] = [];
  for (const port of [PORT_A, PORT_B]) {
    for (const m of ["GET", "HEAD", "POST", "DELETE"]) {
      for (const p of ["/public/a", "/api/x?y=1", "/style.css", "/private", "/apix"]) {
        for (const role of [undefined, "writer", "reader"]) {
          const r = await send(PROXY_IP, port, m, p, role === undefined ? {} : { "x-role": role });
          const want = expected(port, m, p.split("?")[0], role);
          if (r.status !== want) cases.push(`${port} ${m} ${p} role=${role}: got ${r.status}, want ${want}`);
          if (want === 403) {
            if (port === PORT_A) denied++;
            if (m !== "HEAD" && r.body !== "RBAC: access denied") cases.push(`${port} ${m} ${p}: body ${JSON.stringify(r.body)}`);
          } else if (m !== "HEAD" && r.body !== `app ${m} ${p}`) cases.push(`${port} ${m} ${p}: body ${JSON.stringify(r.body)}`);
        }
      }
    }
  }
  assert.deepEqual(cases, []);
  assert.ok(denied > 20 && denied < 100, `a real mix of decisions (${denied} denied on port A)`);
  assert.equal(await promStat("envoy_http_rbac_denied", PORT_A) - (Number.isNaN(before403) ? 0 : before403), denied);
});

test("DENY runs before ALLOW: a request both would match is denied; source and x-forwarded-for addresses are checked", async () => {
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/public/a")).status, 200);
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/public/a", {}, BLOCKED_CLIENT_IP)).status, 403, "direct_remote_ip");
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/public/a", { "x-forwarded-for": "192.168.1.1, 10.9.3.4" })).status, 403, "remote_ip is the last XFF hop");
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/public/a", { "x-forwarded-for": "10.9.3.4, 192.168.1.1" })).status, 200);
});

test("shadow (dry-run) rules change nothing but are counted with their stat prefix", async () => {
  const denied0 = await promStat("envoy_http_rbac_istio_dry_run_allow_shadow_denied", PORT_A);
  const allowed0 = await promStat("envoy_http_rbac_istio_dry_run_allow_shadow_allowed", PORT_A);
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/style.css")).status, 200, "enforced ALLOW lets it through although the dry run would not");
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/public/b")).status, 200);
  assert.equal(await promStat("envoy_http_rbac_istio_dry_run_allow_shadow_denied", PORT_A), denied0 + 1);
  assert.equal(await promStat("envoy_http_rbac_istio_dry_run_allow_shadow_allowed", PORT_A), allowed0 + 1);
});

test("an RBAC config the proxy cannot compile is NACKed and the listeners keep their previous policies", async () => {
  const broken = { "@type": RBAC_TYPE, rules: { action: "ALLOW", policies: { bad: { permissions: [path({ safe_regex: { regex: "(" } })], principals: [anyone] } } } };
  ads.set(LISTENER_TYPE, "l2", [inboundListener(PROXY_IP, PORT_A, [rbacFilter(broken)]), inboundListener(PROXY_IP, PORT_B, [rbacFilter(DENY_RBAC), rbacFilter(ALLOW_RBAC)])]);
  const nonce = ads.send(LISTENER_TYPE);
  await waitFor(() => ads.reply(nonce) !== undefined, 5000);
  const reply = ads.reply(nonce)!;
  assert.match(reply.error_detail?.message ?? "", /invalid regex/);
  assert.equal(reply.version_info, "l1");
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/private")).status, 403);
  assert.equal((await send(PROXY_IP, PORT_A, "GET", "/public/a")).status, 200);
});

// ---- in-process: identities injected by a test filter ahead of rbac ----

const INJECT_TYPE = "type.googleapis.com/weft.test.InjectIdentity";
registerHttpFilter(INJECT_TYPE, {
  terminal: false,
  createFilterFactory: () => ({
    create: (cb) => ({
      decodeHeaders(head) {
        const info = cb.streamInfo;
        const peer = headerValue(head, "x-test-peer");
        if (peer !== undefined) info.downstream = { ...snapshot(info.downstream!), peerCertificate: { uriSans: [peer], dnsSans: [], subject: "" } };
        const claims = headerValue(head, "x-test-claims");
        if (claims !== undefined) info.jwtPayloads = new Map([["payload", JSON.parse(claims) as Record<string, unknown>]]);
        return FilterStatus.Continue;
      },
    }),
  }),
});

function snapshot(c: import("../src/proxy/http/connection-info.js").DownstreamConnectionInfo) {
  return { localAddress: c.localAddress, localPort: c.localPort, directRemoteAddress: c.directRemoteAddress, requestedServerName: c.requestedServerName };
}

const jwtMd = (claim: string, value: object) => ({ metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: claim }], value } });
const claimOneOf = (v: string) => ({ or_match: { value_matchers: [{ list_match: { one_of: { string_match: { exact: v } } } }, { string_match: { exact: v } }] } });

/** Istio: principals ["cluster.local/ns/foo/sa/sleep"] → GET /; requestPrincipals ["https://issuer.example/*"] + claims[groups]=admin → /admin. */
const IDENTITY_ALLOW = {
  "@type": RBAC_TYPE,
  rules: { action: "ALLOW", policies: {
    "ns[foo]-policy[mtls]-rule[0]": {
      permissions: [and(or(method("GET")))],
      principals: [{ and_ids: { ids: [{ or_ids: { ids: [{ authenticated: { principal_name: { exact: "spiffe://cluster.local/ns/foo/sa/sleep" } } }] } }] } }],
    },
    "ns[foo]-policy[jwt-admin]-rule[0]": {
      permissions: [and(or(path({ prefix: "/admin" })))],
      principals: [{ and_ids: { ids: [
        { or_ids: { ids: [{ and_ids: { ids: [jwtMd("iss", { string_match: { exact: "https://issuer.example" } }), jwtMd("sub", { string_match: { safe_regex: { regex: ".+" } } })] } }] } },
        { or_ids: { ids: [jwtMd("groups", claimOneOf("admin"))] } },
      ] } }],
    },
  } },
};

test("principals from the peer certificate and request.auth claims from jwt_authn payloads decide over real HTTP", async () => {
  runtime = new ProxyRuntime({ ip: RUNTIME_IP, drainTimeoutMs: 500 });
  runtime.applyClusters(byName([staticCluster(`inbound|${RUNTIME_PORT}||`, APP_IP, appPort)]));
  await runtime.applyListeners(byName([inboundListener(RUNTIME_IP, RUNTIME_PORT, [{ name: "inject", typed_config: { "@type": INJECT_TYPE } }, rbacFilter(IDENTITY_ALLOW)])]));
  const go = (m: string, p: string, headers: Record<string, string>) => send(RUNTIME_IP, RUNTIME_PORT, m, p, headers).then((r) => r.status);
  const sleepPeer = { "x-test-peer": "spiffe://cluster.local/ns/foo/sa/sleep" };
  const admin = (groups: unknown, iss = "https://issuer.example") => ({ "x-test-claims": JSON.stringify({ iss, sub: "alice", groups }) });
  assert.equal(await go("GET", "/x", sleepPeer), 200);
  assert.equal(await go("GET", "/x", { "x-test-peer": "spiffe://cluster.local/ns/bar/sa/sleep" }), 403);
  assert.equal(await go("GET", "/x", {}), 403, "plaintext: no authenticated principal");
  assert.equal(await go("POST", "/x", sleepPeer), 403);
  assert.equal(await go("POST", "/admin/x", admin(["dev", "admin"])), 200);
  assert.equal(await go("POST", "/admin/x", admin("admin")), 200);
  assert.equal(await go("POST", "/admin/x", admin(["dev"])), 403);
  assert.equal(await go("POST", "/admin/x", admin(["admin"], "https://evil.example")), 403);
  assert.equal(await go("POST", "/admin/x", {}), 403, "no token");
  const hcm = runtime.stats().httpConnectionManagers.find((h) => h.statPrefix === `inbound_${RUNTIME_IP}_${RUNTIME_PORT}`)!;
  assert.equal(hcm.stats.rbac.get("allowed")?.value, 3);
  assert.equal(hcm.stats.rbac.get("denied")?.value, 6);
});
