// VirtualService HTTP route validation beyond the loader's cases: each rejection names the file, resource and field.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFile } from "./resource-loader.js";

const doc = (http: string) =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  hosts: [web]\n  http:\n${http}`;
const ROUTE = `    route:\n    - destination: {host: web}\n`;

test("HTTP route rules are rejected with file, resource and field", () => {
  const cases: [string, RegExp][] = [
    [`  - directResponse: {status: 700}\n`, /^spec\.http\[0\]\.directResponse\.status: HTTP status 700/],
    [`  - directResponse: {status: 200}\n    redirect: {uri: /x}\n`, /both redirect and direct response/],
    [`  - redirect: {uri: /x, redirectCode: 200}\n`, /redirectCode: 200 is not a valid redirect code/],
    [`  - redirect: {uri: /x, scheme: ftp}\n`, /scheme: invalid redirect scheme/],
    [`  - rewrite: {uri: /a, uriRegexRewrite: {match: "^/b", rewrite: /c}}\n${ROUTE}`, /rewrite may only contain one of URI or UriRegexRewrite/],
    [`  - rewrite: {uriRegexRewrite: {match: "a(", rewrite: /c}}\n${ROUTE}`, /uriRegexRewrite\.match/],
    [`  - match:\n    - queryParams: {id: {regex: "[0-9"}}\n${ROUTE}`, /queryParams/],
    [`  - corsPolicy: {allowOrigins: [{regex: "(x"}]}\n${ROUTE}`, /corsPolicy/],
    [`  - fault: {delay: {fixedDelay: 1s, percentage: {value: 101}}}\n${ROUTE}`, /fault\.delay\.percentage\.value/],
    [`  - retries: {attempts: 0, retryOn: 5xx}\n${ROUTE}`, /attempts are set to 0/],
    [`  - route:\n    - destination: {host: web}\n    redirect: {uri: /x}\n`, /both route and redirect/],
  ];
  for (const [http, re] of cases) {
    const r = loadFile("routes.yaml", doc(http));
    assert.equal(r.entries[0]?.resource, undefined, `should reject:\n${http}`);
    const d = r.diagnostics.find((x) => x.code === "CONFIG_SEMANTIC" && re.test(`${x.field}: ${x.reason}`));
    assert.ok(d, `${re} in ${JSON.stringify(r.diagnostics.map((x) => `${x.field}: ${x.reason}`))}`);
    assert.deepEqual([d.file, d.kind, d.namespace, d.name], ["routes.yaml", "VirtualService", "shop", "web"]);
  }
});

test("a VirtualService using every supported HTTP route feature is accepted", () => {
  const http = `  - name: all
    match:
    - name: m
      uri: {prefix: /a}
      method: {exact: GET}
      authority: {prefix: web}
      scheme: {exact: http}
      headers: {x-a: {exact: "1"}, x-b: {}}
      withoutHeaders: {x-c: {regex: "c+"}}
      queryParams: {q: {prefix: v}}
      port: 8000
      sourceLabels: {app: client}
      ignoreUriCase: true
    rewrite: {uriRegexRewrite: {match: "^/a(.*)", rewrite: "/b\\\\1"}, authority: b.internal}
    headers: {request: {set: {x-s: "1"}, add: {x-a: "2"}, remove: [x-r]}, response: {set: {x-t: "1"}}}
    timeout: 3s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,503", retryRemoteLocalities: true}
    mirror: {host: web2}
    mirrorPercentage: {value: 5}
    corsPolicy: {allowOrigins: [{exact: "https://x"}], allowMethods: [GET], maxAge: 1h, allowCredentials: true}
    fault: {abort: {httpStatus: 503, percentage: {value: 1}}}
    route:
    - destination: {host: web, subset: v1}
      weight: 90
      headers: {request: {set: {x-d: "1"}}}
    - destination: {host: web, subset: v2}
      weight: 10
`;
  const r = loadFile("routes.yaml", doc(http));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
  assert.ok(r.entries[0]?.resource);
});
