// ListenerManager: binds, re-configures and unbinds listeners from LDS without dropping in-flight requests.

import { createServer, type Server } from "node:net";
import { WeftError } from "../../shared/weft-error.js";
import { Logger } from "../../shared/logger.js";
import type { DataPlane, ListenerContext } from "../http/data-plane.js";
import { DownstreamConnection } from "../http/downstream-connection.js";
import type { HttpConnectionManagerConfig } from "../http/http-connection-manager-config.js";
import type { RequestHead } from "../http/request-head.js";
import type { HttpConnectionManagerStats } from "../stats/proxy-stats.js";
import type { XdsObject } from "../config/xds-fields.js";
import { parseListener, type ListenerConfig } from "./listener-config.js";

const log = new Logger("listener-manager");

/** A listener with a real socket. `config` is swapped in place on updates; connections read it per request. */
class BoundListener implements ListenerContext {
  readonly connections = new Set<DownstreamConnection>();
  readonly server: Server;

  constructor(public config: ListenerConfig, readonly bindAddress: string, private readonly manager: ListenerManager, readonly dataPlane: DataPlane) {
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const c = new DownstreamConnection(socket, this, (closed) => this.connections.delete(closed));
      this.connections.add(c);
    });
  }

  resolveHcm(head: RequestHead): HttpConnectionManagerConfig | undefined {
    const cfg = this.config;
    return cfg.useOriginalDst ? this.manager.hcmForPort(portOfAuthority(head.host)) : cfg.hcm;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host: this.bindAddress, port: this.config.port }, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
  }

  /** Stops accepting; existing connections finish their current request and close. */
  drain(): void {
    this.server.close();
    for (const c of this.connections) c.drain();
  }
}

export class ListenerManager {
  private configs = new Map<string, ListenerConfig>();
  private byPort = new Map<number, ListenerConfig>();
  private readonly bound = new Map<string, BoundListener>();
  private readonly draining = new Set<BoundListener>();

  constructor(private readonly ip: string, private readonly dataPlane: DataPlane, private readonly statsFor: (statPrefix: string) => HttpConnectionManagerStats) {}

  /** The HCM of the 0.0.0.0_<port> listener that use_original_dst hands requests to. */
  hcmForPort(port: number): HttpConnectionManagerConfig | undefined {
    return this.byPort.get(port)?.hcm;
  }

  /** RDS names referenced by the current listeners. */
  routeNamesWanted(): string[] {
    const names = new Set<string>();
    for (const l of this.configs.values()) if (l.hcm?.rdsName !== undefined) names.add(l.hcm.rdsName);
    return [...names];
  }

  /**
   * Validates every listener first (throws PROXY_CONFIG_INVALID, changing nothing), then swaps configs,
   * unbinds removed listeners and binds new ones. Rejects with PROXY_LISTENER_BIND_FAILED naming each listener
   * that could not bind; the others are in service.
   */
  async apply(resources: ReadonlyMap<string, XdsObject>): Promise<void> {
    const next = new Map<string, ListenerConfig>();
    for (const [name, l] of resources) next.set(name, parseListener(name, l, this.statsFor));
    const byPort = new Map<number, ListenerConfig>();
    for (const l of next.values()) if (l.address === "0.0.0.0" && !l.useOriginalDst) byPort.set(l.port, l);
    this.configs = next;
    this.byPort = byPort;

    for (const [name, b] of this.bound) {
      const l = next.get(name);
      if (l === undefined || !l.bindToPort || this.bindAddressOf(l) !== b.bindAddress || l.port !== b.config.port) {
        this.bound.delete(name);
        this.retire(b);
      } else {
        b.config = l;
      }
    }
    const failures: string[] = [];
    await Promise.all([...next.values()].filter((l) => l.bindToPort && !this.bound.has(l.name)).map(async (l) => {
      const b = new BoundListener(l, this.bindAddressOf(l), this, this.dataPlane);
      try {
        await b.listen();
        this.bound.set(l.name, b);
        log.info("listening", { listener: l.name, address: `${b.bindAddress}:${l.port}` });
      } catch (err) {
        failures.push(`${l.name}: cannot bind ${b.bindAddress}:${l.port}: ${(err as Error).message}`);
      }
    }));
    if (failures.length > 0) throw new WeftError("PROXY_LISTENER_BIND_FAILED", failures.join("; "));
  }

  /** Stops all listeners; resolves when their connections are gone or after `graceMs` (then destroys the rest). */
  async close(graceMs: number): Promise<void> {
    for (const b of this.bound.values()) this.retire(b);
    this.bound.clear();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.draining].some((b) => b.connections.size > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const b of this.draining) for (const c of b.connections) c.socket.destroy();
    this.draining.clear();
  }

  private retire(b: BoundListener): void {
    b.drain();
    this.draining.add(b);
    b.server.once("close", () => this.draining.delete(b));
  }

  private bindAddressOf(l: ListenerConfig): string {
    return l.address === "0.0.0.0" ? this.ip : l.address;
  }
}

/** The port of an authority ("reviews:9080" → 9080, "[::1]:81" → 81), 80 when absent. */
export function portOfAuthority(authority: string): number {
  const colon = authority.lastIndexOf(":");
  if (colon === -1 || authority.indexOf("]", colon) !== -1) return 80;
  const port = Number(authority.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 80;
}
