// ListenerManager: binds, re-configures and unbinds listeners from LDS without dropping in-flight requests.

import { createServer, type Server, type Socket } from "node:net";
import { WeftError } from "../../shared/weft-error.js";
import { Logger } from "../../shared/logger.js";
import type { DataPlane, ListenerContext } from "../http/data-plane.js";
import { DownstreamConnection } from "../http/downstream-connection.js";
import type { HttpConnectionManagerConfig } from "../http/http-connection-manager-config.js";
import type { RequestHead } from "../http/request-head.js";
import { startTcpProxy } from "../network/tcp-proxy.js";
import { parseClientHello } from "../network/tls-client-hello.js";
import type { HttpConnectionManagerStats } from "../stats/proxy-stats.js";
import type { XdsObject } from "../config/xds-fields.js";
import { selectFilterChain, type ConnectionMetadata } from "./filter-chain-match.js";
import { parseListener, type FilterChainConfig, type ListenerConfig } from "./listener-config.js";

const log = new Logger("listener-manager");

/** What a listener keeps per accepted connection so it can drain or destroy it. */
interface ActiveConnection {
  readonly socket: Socket;
  drain(): void;
}

/** An HCM chain chosen for one connection: the connection keeps it for its lifetime (Envoy binds connections to chains). */
class ChainContext implements ListenerContext {
  constructor(readonly dataPlane: DataPlane, private readonly hcm: HttpConnectionManagerConfig) {}

  resolveHcm(): HttpConnectionManagerConfig {
    return this.hcm;
  }
}

/**
 * A listener with a real socket on one address. `config` is swapped in place on updates; single-HCM listeners read
 * it per request (the fast path), others choose a filter chain per connection.
 */
class BoundListener implements ListenerContext {
  readonly connections = new Set<ActiveConnection>();
  readonly server: Server;

  constructor(public config: ListenerConfig, readonly bindAddress: string, private readonly manager: ListenerManager, readonly dataPlane: DataPlane) {
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  resolveHcm(head: RequestHead): HttpConnectionManagerConfig | undefined {
    const cfg = this.config;
    return cfg.useOriginalDst ? this.manager.hcmForPort(portOfAuthority(head.host)) : cfg.hcm;
  }

  private accept(socket: Socket): void {
    const cfg = this.config;
    if (cfg.useOriginalDst || cfg.fastHcm) {
      this.track(new DownstreamConnection(socket, this, (c) => this.connections.delete(c)));
      return;
    }
    const meta: ConnectionMetadata = {
      destinationIp: socket.localAddress ?? "",
      destinationPort: socket.localPort ?? 0,
      sourceIp: socket.remoteAddress ?? "",
      sourcePort: socket.remotePort ?? 0,
      transportProtocol: "raw_buffer",
      sni: "",
      alpn: [],
    };
    socket.pause();
    if (cfg.inspectTls) this.inspectTls(socket, cfg, meta);
    else this.dispatch(socket, null, cfg, meta);
  }

  /**
   * tls_inspector: reads until the ClientHello is complete (or the bytes are not TLS), then hands every byte read to
   * the chosen chain. After listener_filters_timeout the connection continues with what is known when
   * continue_on_listener_filters_timeout is set, else closes.
   */
  private inspectTls(socket: Socket, cfg: ListenerConfig, meta: ConnectionMetadata): void {
    let buf: Buffer | null = null;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onGone);
      socket.off("error", onGone);
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const r = parseClientHello(buf);
      if (r.kind === "need-more") return;
      finish();
      if (r.kind === "tls") Object.assign(meta, { transportProtocol: "tls", sni: r.sni, alpn: r.alpn });
      this.dispatch(socket, buf, cfg, meta);
    };
    const onGone = (): void => { finish(); socket.destroy(); };
    const timer = cfg.listenerFiltersTimeoutMs > 0
      ? setTimeout(() => {
        finish();
        if (cfg.continueOnListenerFiltersTimeout) this.dispatch(socket, buf, cfg, meta);
        else socket.destroy();
      }, cfg.listenerFiltersTimeoutMs)
      : undefined;
    socket.on("data", onData);
    socket.once("end", onGone);
    socket.once("error", onGone);
    socket.resume();
  }

  /** Runs the chain Envoy would choose; no matching chain and no default chain closes the connection. */
  private dispatch(socket: Socket, initial: Buffer | null, cfg: ListenerConfig, meta: ConnectionMetadata): void {
    const chain: FilterChainConfig | undefined = selectFilterChain(cfg.filterChains, meta) ?? cfg.defaultFilterChain;
    if (chain?.tcpProxy) {
      const conn: ActiveConnection = { socket, drain: () => { /* TCP connections run until closed or destroyed by close() */ } };
      const stats = this.dataPlane.downstreamStats;
      stats.downstream_cx_total++;
      stats.downstream_cx_active++;
      this.track(conn);
      socket.once("close", () => { this.connections.delete(conn); stats.downstream_cx_active--; });
      startTcpProxy(socket, initial, chain.tcpProxy, this.dataPlane);
    } else if (chain?.hcm) {
      if (initial !== null) socket.unshift(initial);
      this.track(new DownstreamConnection(socket, new ChainContext(this.dataPlane, chain.hcm), (c) => this.connections.delete(c)));
      socket.resume();
    } else {
      log.debug("no matching filter chain", { listener: cfg.name, destination: `${meta.destinationIp}:${meta.destinationPort}`, sni: meta.sni });
      socket.destroy();
    }
  }

  private track(c: ActiveConnection): void {
    this.connections.add(c);
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
  /** Keyed `<listener name>@<bind address>`. */
  private readonly bound = new Map<string, BoundListener>();
  private readonly draining = new Set<BoundListener>();

  /**
   * `outboundIps`: addresses on which every `0.0.0.0_<port>` listener that LDS marks bind_to_port false is bound
   * anyway, at its port; a connection accepted there is treated as redirected by iptables, its original destination
   * being the accepted socket's local address (Weft's loopback stand-in for transparent capture).
   */
  constructor(
    private readonly ip: string,
    private readonly dataPlane: DataPlane,
    private readonly statsFor: (statPrefix: string) => HttpConnectionManagerStats,
    private readonly outboundIps: readonly string[] = [],
  ) {}

  /** The HCM of the 0.0.0.0_<port> listener that use_original_dst hands requests to. */
  hcmForPort(port: number): HttpConnectionManagerConfig | undefined {
    return this.byPort.get(port)?.hcm;
  }

  /** RDS names referenced by the current listeners (every HCM chain of every listener). */
  routeNamesWanted(): string[] {
    const names = new Set<string>();
    for (const l of this.configs.values()) {
      for (const c of l.filterChains) if (c.hcm?.rdsName !== undefined) names.add(c.hcm.rdsName);
      if (l.defaultFilterChain?.hcm?.rdsName !== undefined) names.add(l.defaultFilterChain.hcm.rdsName);
    }
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

    const wanted = new Map<string, { l: ListenerConfig; address: string }>();
    for (const l of next.values()) for (const address of this.bindAddressesOf(l)) wanted.set(`${l.name}@${address}`, { l, address });
    for (const [key, b] of this.bound) {
      const w = wanted.get(key);
      if (w === undefined || w.l.port !== b.config.port) {
        this.bound.delete(key);
        this.retire(b);
      } else {
        b.config = w.l;
      }
    }
    const failures: string[] = [];
    await Promise.all([...wanted].filter(([key]) => !this.bound.has(key)).map(async ([key, { l, address }]) => {
      const b = new BoundListener(l, address, this, this.dataPlane);
      try {
        await b.listen();
        this.bound.set(key, b);
        log.info("listening", { listener: l.name, address: `${address}:${l.port}` });
      } catch (err) {
        failures.push(`${l.name}: cannot bind ${address}:${l.port}: ${(err as Error).message}`);
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

  /** Where a listener is bound: its address (0.0.0.0 → the proxy IP), or for outbound port listeners the outbound IPs. */
  private bindAddressesOf(l: ListenerConfig): readonly string[] {
    if (l.bindToPort) return [l.address === "0.0.0.0" ? this.ip : l.address];
    return l.address === "0.0.0.0" && !l.useOriginalDst ? this.outboundIps : [];
  }
}

/** The port of an authority ("reviews:9080" → 9080, "[::1]:81" → 81), 80 when absent. */
export function portOfAuthority(authority: string): number {
  const colon = authority.lastIndexOf(":");
  if (colon === -1 || authority.indexOf("]", colon) !== -1) return 80;
  const port = Number(authority.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 80;
}
