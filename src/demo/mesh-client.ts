// MeshClient: how a sample app calls another service: plain HTTP/1.1 to its own sidecar's outbound port, Host naming the service.

import http from "node:http";
import { WeftError } from "../shared/weft-error.js";

/** Where to send a call: the sidecar ("127.0.0.13:15001") or, for tests without sidecars, a per-service address. */
export interface MeshClientOptions {
  /** host:port of the app's own sidecar outbound listener (virtualOutbound, 15001). */
  sidecar?: string;
  /** Service name → host:port to connect to directly instead of the sidecar (tests). */
  direct?: Readonly<Record<string, string>>;
  /** Per-call timeout in ms (default 3000, a little under Bookinfo's productpage timeouts). */
  timeoutMs?: number;
}

export interface MeshResponse {
  status: number;
  body: unknown;
}

interface Target {
  host: string;
  port: number;
}

/**
 * Calls `<service>:<port>` the way an app in a mesh does: the socket goes to the sidecar, the Host header
 * names the service (origin-form), and the sidecar picks the route. One keep-alive agent per client, so
 * connections to the sidecar are reused like a real app's.
 */
export class MeshClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly sidecar: Target | undefined;
  private readonly direct = new Map<string, Target>();
  private readonly timeoutMs: number;

  constructor(opts: MeshClientOptions) {
    this.sidecar = opts.sidecar ? parseHostPort(opts.sidecar) : undefined;
    for (const [service, address] of Object.entries(opts.direct ?? {})) this.direct.set(service, parseHostPort(address));
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  /** GETs `path` from `service` on `port`, sending `headers` along; resolves with the parsed JSON body. Rejects on network errors. */
  getJson(service: string, port: number, path: string, headers: Record<string, string>): Promise<MeshResponse> {
    const target = this.direct.get(service) ?? this.sidecar;
    if (!target) return Promise.reject(new WeftError("DEMO_NO_UPSTREAM", `no sidecar and no direct address for ${service}`));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: target.host,
          port: target.port,
          path,
          method: "GET",
          agent: this.agent,
          headers: { ...headers, host: `${service}:${port}` },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : "";
            } catch {
              // Non-JSON bodies (a sidecar's local reply such as "no healthy upstream") are passed on as text.
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`call to ${service}:${port}${path} timed out after ${this.timeoutMs} ms`)));
      req.on("error", reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** "127.0.0.1:9080" → {host, port}; throws CLI_BAD_FLAG on anything else. */
export function parseHostPort(value: string): Target {
  const i = value.lastIndexOf(":");
  const port = Number(value.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new WeftError("CLI_BAD_FLAG", `expected host:port, got "${value}"`);
  return { host: value.slice(0, i), port };
}
