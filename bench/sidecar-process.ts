// Benchmark sidecar: a ProxyRuntime with a fixed outbound config (virtualOutbound → 0.0.0.0_8080 → one upstream).

import { ProxyRuntime } from "../src/proxy/proxy-runtime.js";
import { assignment, byName, edsCluster, outboundListener, routeConfig, virtualOutboundListener } from "../src/proxy/testing/envoy-fixtures.js";

/** argv: <proxy ip> <upstream address> <upstream port>. Prints "ready" once listening; exits on SIGTERM. */
async function main(): Promise<void> {
  const [ip, upstreamAddress, upstreamPort] = process.argv.slice(2);
  const cluster = "outbound|8080||upstream.bench.svc.cluster.local";
  const runtime = new ProxyRuntime({ ip });
  runtime.applyClusters(byName([edsCluster(cluster)]));
  runtime.applyEndpoints(byName([assignment(cluster, [[upstreamAddress, Number(upstreamPort)]])], "cluster_name"));
  await runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(8080)]));
  runtime.applyRoutes(byName([routeConfig("8080", [{
    name: "upstream.bench.svc.cluster.local:8080",
    domains: ["upstream.bench.svc.cluster.local", "upstream.bench.svc.cluster.local:8080", "upstream", "upstream:8080"],
    routes: [{ match: { prefix: "/" }, route: { cluster } }],
  }])]));
  process.on("SIGTERM", () => { void runtime.close().then(() => process.exit(0)); });
  process.stdout.write("ready\n");
}

void main();
