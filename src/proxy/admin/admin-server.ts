// AdminServer: the sidecar's Envoy-style admin endpoint (/ready, /config_dump, /clusters, /stats/prometheus).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { XdsNode } from "../../xds/discovery.js";
import type { TypeSubscription } from "../xds-client/type-subscription.js";
import { HealthFlag } from "../upstream/host.js";
import { healthFlagsText } from "../upstream/health/health-flags-text.js";
import { configDump } from "./config-dump.js";

export interface ClusterStatus {
  name: string;
  endpoints: Array<{ address: string; port: number; health: string; healthFlags: number; rqTotal: number; rqActive: number; cxActive: number }>;
}

/** What the admin endpoint reads. Every method is called per admin request, never on the data path. */
export interface AdminSource {
  readonly node: XdsNode;
  readonly subscriptions: ReadonlyMap<string, TypeSubscription>;
  /** True once the first listeners and clusters are applied (Envoy: server.state LIVE). */
  ready(): boolean;
  clustersStatus(): ClusterStatus[];
  /** Prometheus text exposition of the proxy's stats. */
  prometheus(): string;
}

export class AdminServer {
  private server: Server | undefined;

  constructor(private readonly source: AdminSource) {}

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://admin");
    switch (url.pathname) {
      case "/ready": {
        const live = this.source.ready();
        return send(res, live ? 200 : 503, "text/plain", live ? "LIVE\n" : "PRE_INITIALIZING\n");
      }
      case "/config_dump": {
        const dump = configDump(this.source.node, this.source.subscriptions, { includeEds: url.searchParams.has("include_eds") });
        return send(res, 200, "application/json", JSON.stringify(dump, null, 2) + "\n");
      }
      case "/clusters":
        return url.searchParams.get("format") === "json"
          ? send(res, 200, "application/json", JSON.stringify(clustersJson(this.source.clustersStatus()), null, 2) + "\n")
          : send(res, 200, "text/plain", clustersText(this.source.clustersStatus()));
      case "/stats/prometheus":
        return send(res, 200, "text/plain; version=0.0.4", this.source.prometheus());
      case "/":
        return send(res, 200, "text/plain", "/ready\n/config_dump\n/clusters\n/stats/prometheus\n");
      default:
        return send(res, 404, "text/plain", "invalid path. admin commands are: / /ready /config_dump /clusters /stats/prometheus\n");
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Envoy's text format: `cluster::host:port::stat::value`, one line per host stat. */
function clustersText(clusters: ClusterStatus[]): string {
  let out = "";
  for (const c of clusters) {
    for (const e of c.endpoints) {
      const prefix = `${c.name}::${e.address}:${e.port}::`;
      out += `${prefix}cx_active::${e.cxActive}\n`;
      out += `${prefix}rq_active::${e.rqActive}\n`;
      out += `${prefix}rq_total::${e.rqTotal}\n`;
      out += `${prefix}health_flags::${healthFlagsText(e.healthFlags)}\n`;
    }
  }
  return out;
}

/** Envoy's `/clusters?format=json` shape (envoy.admin.v3.Clusters), reduced to what we track. */
function clustersJson(clusters: ClusterStatus[]): unknown {
  return {
    cluster_statuses: clusters.map((c) => ({
      name: c.name,
      host_statuses: c.endpoints.map((e) => ({
        address: { socket_address: { address: e.address, port_value: e.port } },
        stats: [
          { name: "cx_active", type: "GAUGE", value: String(e.cxActive) },
          { name: "rq_active", type: "GAUGE", value: String(e.rqActive) },
          { name: "rq_total", value: String(e.rqTotal) },
        ],
        health_status: hostHealthStatus(e.health, e.healthFlags),
      })),
    })),
  };
}

/** envoy.admin.v3.HostHealthStatus: the EDS status plus a boolean per failure flag that is set. */
function hostHealthStatus(eds: string, flags: number): Record<string, unknown> {
  const status: Record<string, unknown> = { eds_health_status: eds };
  if (flags & HealthFlag.FailedActiveHc) status.failed_active_health_check = true;
  if (flags & HealthFlag.FailedOutlierCheck) status.failed_outlier_check = true;
  if (flags & HealthFlag.PendingActiveHc) status.pending_active_hc = true;
  return status;
}
