// MonitoringServer: the read-only HTTP monitoring port (istiod's 15014): /metrics and /debug/* JSON.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Diagnostic } from "../config/config-resource.js";
import { Logger } from "../../shared/logger.js";
import { WeftError } from "../../shared/weft-error.js";
import type { PilotMetrics } from "./pilot-metrics.js";

const log = new Logger("monitoring");

/** What the endpoints read; each call returns current state (the server never caches). */
export interface MonitoringSources {
  metrics: PilotMetrics;
  syncz(): unknown[];
  /** Envoy ConfigDump-shaped JSON for a connected proxy, or undefined when no such proxy is connected. */
  configDump(proxyId: string): unknown | undefined;
  configErrors(): readonly Diagnostic[];
}

export class MonitoringServer {
  private readonly server: Server;

  constructor(private readonly sources: MonitoringSources) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Resolves with the bound port (pass 0 for an ephemeral one). Throws XDS_LISTEN. */
  listen(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", (err) => reject(new WeftError("XDS_LISTEN", `monitoring cannot listen on ${address}:${port}: ${err.message}`, { cause: err })));
      this.server.listen(port, address, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://monitoring");
    try {
      switch (url.pathname) {
        case "/metrics":
          return send(res, 200, "text/plain; version=0.0.4; charset=utf-8", this.sources.metrics.registry.render());
        case "/debug/syncz":
          return json(res, 200, this.sources.syncz());
        case "/debug/config_dump":
          return this.configDump(url, res);
        case "/debug/config_errors":
          return json(res, 200, this.sources.configErrors());
        default:
          return send(res, 404, "text/plain", "not found; try /metrics, /debug/syncz, /debug/config_dump?proxyID=ID, /debug/config_errors\n");
      }
    } catch (err) {
      log.error("debug endpoint failed", { path: url.pathname, error: err });
      send(res, 500, "text/plain", `${(err as Error).message}\n`);
    }
  }

  private configDump(url: URL, res: ServerResponse): void {
    const started = performance.now();
    const id = url.searchParams.get("proxyID");
    if (!id) return send(res, 400, "text/plain", "missing proxyID query parameter\n");
    const dump = this.sources.configDump(id);
    if (dump === undefined) return send(res, 404, "text/plain", `proxy ${id} is not connected\n`);
    json(res, 200, dump);
    this.sources.metrics.configDumpDuration.observe((performance.now() - started) / 1000);
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  send(res, code, "application/json", JSON.stringify(body, null, 2) + "\n");
}

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
