// ControlPlane: the istiod-role assembly: config source → push context → per-proxy snapshots → ADS, plus monitoring.

import type { ConfigSource, Diagnostic } from "./config/config-resource.js";
import { parseProxy, type Proxy } from "./model/proxy.js";
import { workloadFromProxy, type WorkloadInstance } from "./model/workload-instance.js";
import { PushContext } from "./model/push-context.js";
import { generate, type GeneratedResource } from "./generate/generator.js";
import { PushImpact } from "./generate/push-impact.js";
import { PushRequestBuilder } from "./model/push-request.js";
import { Snapshot } from "./cache/snapshot.js";
import { SnapshotCache } from "./cache/snapshot-cache.js";
import { AdsServer, type AdsServerOptions, type ConnectedNode } from "./server/ads-server.js";
import { Debouncer, type DebounceOptions, type DebouncedBurst } from "./server/debouncer.js";
import { createPilotMetrics, type PilotMetrics } from "./debug/pilot-metrics.js";
import { MonitoringServer } from "./debug/monitoring-server.js";
import { configDump } from "./debug/config-dump.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, shortTypeName } from "../xds/type-urls.js";
import type { XdsNode } from "../xds/discovery.js";
import { Logger } from "../shared/logger.js";

const log = new Logger("control-plane");

/** The types generated for every proxy, in make-before-break order. */
const GENERATED_TYPES = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE] as const;
const ALL_TYPES_SET: ReadonlySet<string> = new Set(GENERATED_TYPES);

/** Proxies regenerated between two yields to the event loop during a push. */
const YIELD_EVERY = 16;

export interface ControlPlaneOptions {
  /** Started by `start()` and stopped by `stop()`; the control plane owns it from then on. */
  config: ConfigSource;
  /** Cluster DNS domain (default "cluster.local"). */
  domain?: string;
  /** gRPC ADS bind address and port (defaults 127.0.0.1 and 15010; 0 = ephemeral, read `xdsPort`). */
  xdsAddress?: string;
  xdsPort?: number;
  /** HTTP monitoring bind address and port (defaults 127.0.0.1 and 15014; 0 = ephemeral, read `monitoringPort`). */
  monitoringAddress?: string;
  monitoringPort?: number;
  /** Push debouncing (defaults: 100 ms quiet, 1 s max). */
  debounce?: DebounceOptions;
  /** xDS stream max age, push throttle and new-stream rate limit (istiod's defaults when absent). */
  xds?: AdsServerOptions;
}

/**
 * Lifecycle: `start()` once, then `stop()` once. Every change (config edit, proxy with labels connecting or leaving)
 * goes through the debouncer; each merged push builds one PushContext and regenerates, for each connected proxy the
 * changes concern, only the types they affect (PushImpact). The cache sends each proxy only the types whose content
 * changed for it.
 */
export class ControlPlane {
  readonly metrics: PilotMetrics;
  private readonly cache = new SnapshotCache();
  private readonly ads: AdsServer;
  private readonly monitoring: MonitoringServer;
  private readonly debouncer: Debouncer;
  private readonly domain: string;
  private readonly proxies = new Map<string, Proxy>();
  /** Auto-registered workloads (labelled proxies), by proxy id. */
  private readonly workloads = new Map<string, WorkloadInstance>();
  /** Each proxy's last generated resources per type and the push version they are valid for (incremental pushes). */
  private readonly generated = new Map<string, { version: string; byType: ReadonlyMap<string, readonly GeneratedResource[]> }>();
  /** Changes since the last push, taken by the push the debouncer fires next. */
  private readonly pending = new PushRequestBuilder();
  private push: PushContext | undefined;
  private monitoringPortValue = 0;
  private stopped = false;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.domain = opts.domain ?? "cluster.local";
    this.metrics = createPilotMetrics({
      connectedProxies: () => this.ads.connectedCount(),
      services: () => this.push?.services().length ?? 0,
      virtualServices: () => (this.push ? opts.config.current().list("VirtualService").length : 0),
      rejectedConfigResources: () => (this.push ? countRejected(opts.config.current().diagnostics) : 0),
    });
    this.ads = new AdsServer(this.cache, { connect: (node, peer) => this.connect(node, peer), disconnect: (n) => this.disconnect(n) }, this.metrics, opts.xds);
    this.monitoring = new MonitoringServer({
      metrics: this.metrics,
      syncz: () => this.ads.syncStatus(),
      configDump: (id) => {
        const sent = this.ads.sentConfig(id);
        return sent && configDump(sent);
      },
      configErrors: () => (this.push ? opts.config.current().diagnostics : []),
    });
    this.debouncer = new Debouncer(opts.debounce ?? { afterMs: 100, maxMs: 1000 }, (burst) => this.pushAll(burst), (err) =>
      log.error("push failed", { error: err }),
    );
  }

  get xdsPort(): number {
    return this.ads.port;
  }

  get monitoringPort(): number {
    return this.monitoringPortValue;
  }

  /** Loads config, builds the first push context, then serves ADS and monitoring. Throws CONFIG_* / XDS_LISTEN. */
  async start(): Promise<void> {
    await this.opts.config.start();
    this.opts.config.onChange((_snapshot, changed) => {
      if (this.stopped || changed.length === 0) return;
      this.pending.addConfigs(changed);
      this.debouncer.trigger("config");
    });
    this.push = this.buildPushContext();
    await this.ads.listen(this.opts.xdsAddress ?? "127.0.0.1", this.opts.xdsPort ?? 15010);
    this.monitoringPortValue = await this.monitoring.listen(this.opts.monitoringAddress ?? "127.0.0.1", this.opts.monitoringPort ?? 15014);
  }

  /** Stops pushing, ends every ADS stream, closes both ports and the config source. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.debouncer.stop();
    await Promise.all([this.ads.close(), this.monitoring.close()]);
    await this.opts.config.stop();
  }

  /** Resolves once no debounced push is waiting or running (tests, demo). */
  settled(): Promise<void> {
    return this.debouncer.idle();
  }

  private connect(node: XdsNode | null | undefined, peer: string): ConnectedNode {
    const proxy = parseProxy(node, peer);
    this.proxies.set(proxy.id, proxy);
    this.updateProxy(proxy, this.push!, undefined);
    const workload = workloadFromProxy(proxy);
    if (workload) {
      this.workloads.set(proxy.id, workload);
      this.pending.addWorkload(proxy.id, workload);
      this.debouncer.trigger("proxy");
    }
    return { id: proxy.id, ip: proxy.ip, type: proxy.type };
  }

  private disconnect(node: ConnectedNode): void {
    this.proxies.delete(node.id);
    this.cache.delete(node.id);
    this.generated.delete(node.id);
    const workload = this.workloads.get(node.id);
    if (workload && this.workloads.delete(node.id)) {
      this.pending.addWorkload(node.id, workload);
      this.debouncer.trigger("proxy");
    }
  }

  /** `changedKinds`: kinds of the config resources changed since the current push context (undefined: unknown). */
  private buildPushContext(changedKinds?: ReadonlySet<string>): PushContext {
    const started = performance.now();
    const push = PushContext.build(this.opts.config.current(), [...this.workloads.values()], { domain: this.domain }, this.push, changedKinds);
    this.metrics.pushContextInit.observe((performance.now() - started) / 1000);
    return push;
  }

  private async pushAll(burst: DebouncedBurst): Promise<void> {
    if (this.stopped) return;
    this.metrics.debounceTime.observe((performance.now() - burst.firstEventAt) / 1000);
    for (const reason of burst.reasons) this.metrics.pushTriggers.labels(reason).inc();
    const request = this.pending.take();
    let push: PushContext;
    try {
      push = this.buildPushContext(request.full ? undefined : new Set([...request.configs.values()].map((k) => k.kind)));
    } catch (err) {
      this.pending.markFull(); // the changes taken are lost: the next push rebuilds everything
      throw err;
    }
    const prev = this.push!;
    if (push.version === prev.version) {
      log.debug("push skipped: mesh unchanged", { events: burst.events });
      return;
    }
    this.push = push;
    const impact = new PushImpact(request, prev, push);
    log.debug("pushing", { events: burst.events, proxies: this.proxies.size, version: push.version, full: impact.isFull, configs: request.configs.size });
    let n = 0;
    let skipped = 0;
    const typeCounts: Record<string, number> = {};
    for (const proxy of [...this.proxies.values()]) {
      if (this.stopped) return;
      if (this.proxies.get(proxy.id) !== proxy) continue; // left or reconnected meanwhile
      const state = this.generated.get(proxy.id);
      if (state?.version === push.version) continue; // connected during this push: already generated from it
      const types = state?.version === prev.version ? impact.typesFor(proxy, prev.sidecarScope(proxy), push.sidecarScope(proxy)) : ALL_TYPES_SET;
      if (types.size === 0) {
        if (state) this.generated.set(proxy.id, { version: push.version, byType: state.byType });
        skipped++;
        continue;
      }
      for (const t of types) typeCounts[shortTypeName(t)] = (typeCounts[shortTypeName(t)] ?? 0) + 1;
      this.updateProxy(proxy, push, burst.firstEventAt, types);
      if (++n % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    log.debug("push done", { version: push.version, pushed: n, skipped, types: typeCounts });
  }

  /**
   * Regenerates `types` of one proxy's snapshot (default all); the other types keep their previous resource objects,
   * so the cache sees them unchanged. The cache pushes what changed. A generator failure keeps the old snapshot.
   */
  private updateProxy(proxy: Proxy, push: PushContext, triggeredAt: number | undefined, types: ReadonlySet<string> = ALL_TYPES_SET): void {
    const previous = this.generated.get(proxy.id)?.byType;
    const byType = new Map<string, readonly GeneratedResource[]>();
    const builder = Snapshot.builder(triggeredAt);
    try {
      for (const typeUrl of GENERATED_TYPES) {
        let resources = types.has(typeUrl) ? undefined : previous?.get(typeUrl);
        if (!resources) {
          const started = performance.now();
          resources = generate(typeUrl, proxy, push);
          this.metrics.pushTime.labels(shortTypeName(typeUrl)).observe((performance.now() - started) / 1000);
        }
        byType.set(typeUrl, resources);
        builder.add(typeUrl, resources);
      }
    } catch (err) {
      log.error("config generation failed; proxy keeps its previous config", { proxy: proxy.id, error: err });
      this.generated.delete(proxy.id);
      return;
    }
    this.generated.set(proxy.id, { version: push.version, byType });
    this.cache.set(proxy.id, builder.build());
  }
}

/** Distinct resources (or unparseable documents) with at least one error. */
function countRejected(diagnostics: readonly Diagnostic[]): number {
  const keys = new Set<string>();
  for (const d of diagnostics) if (d.severity === "error") keys.add(`${d.file}:${d.line}:${d.kind}/${d.namespace}/${d.name}`);
  return keys.size;
}
