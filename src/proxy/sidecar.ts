// Sidecar: assembles one `weft proxy` — node identity, ADS client, data-path runtime and admin endpoint.

import { AdsClient, type XdsProtocolName } from "./xds-client/ads-client.js";
import type { ResourceType } from "./xds-client/resource-type.js";
import { AdminServer, type AdminSource, type ClusterStatus } from "./admin/admin-server.js";
import { ProxyRuntime } from "./proxy-runtime.js";
import { renderPrometheus } from "./stats/render-prometheus.js";
import { jsonToStruct, type XdsNode } from "../xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../xds/type-urls.js";
import { Logger } from "../shared/logger.js";

const log = new Logger("proxy");

export interface SidecarOptions {
  /** Control-plane addresses, `host:port`; a failed stream moves on to the next one. */
  xds: readonly string[];
  /** ADS variant (default delta). */
  xdsProtocol?: XdsProtocolName;
  /** The workload's own loopback IP: listeners bind here. */
  ip: string;
  workload: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  serviceAccount: string;
  /** Port the application listens on (127.0.0.1 unless appAddress); inbound traffic goes there. */
  appPort?: number;
  appAddress?: string;
  adminPort: number;
  domain: string;
  /** `--outbound-ip`: addresses the outbound port listeners are bound on, standing in for iptables capture. */
  outboundIps?: readonly string[];
  /** `--locality`: sent as node.locality (Istio reads the proxy's locality from there). */
  locality?: { region?: string; zone?: string; sub_zone?: string };
}

/** Istio's node identity: `sidecar~<ip>~<workload>.<namespace>~<namespace>.svc.<domain>` plus metadata. */
export function sidecarNode(o: SidecarOptions): XdsNode {
  const metadata: Record<string, unknown> = {
    NAMESPACE: o.namespace,
    WORKLOAD_NAME: o.workload,
    LABELS: { ...o.labels },
    SERVICE_ACCOUNT: o.serviceAccount,
    INSTANCE_IPS: o.ip,
    CLUSTER_ID: "Kubernetes",
  };
  if (o.appPort !== undefined) metadata.APP_PORT = String(o.appPort);
  if (o.appAddress !== undefined) metadata.APP_ADDRESS = o.appAddress;
  return {
    id: `sidecar~${o.ip}~${o.workload}.${o.namespace}~${o.namespace}.svc.${o.domain}`,
    cluster: `${o.workload}.${o.namespace}`,
    metadata: jsonToStruct(metadata),
    user_agent_name: "weft",
    ...(o.locality ? { locality: { ...o.locality } } : {}),
  };
}

export class Sidecar implements AdminSource {
  readonly node: XdsNode;
  readonly runtime: ProxyRuntime;
  readonly client: AdsClient;
  private readonly admin: AdminServer;
  private readonly applied = new Set<string>();
  adminPort = 0;

  constructor(private readonly opts: SidecarOptions) {
    this.node = sidecarNode(opts);
    this.runtime = new ProxyRuntime({ ip: opts.ip, outboundIps: opts.outboundIps });
    const runtime = this.runtime;
    const types: ResourceType[] = [
      { typeUrl: CLUSTER_TYPE, wildcard: true, nameField: "name", apply: (r) => runtime.applyClusters(r) },
      { typeUrl: ENDPOINT_TYPE, wildcard: false, nameField: "cluster_name", apply: (r) => runtime.applyEndpoints(r) },
      { typeUrl: LISTENER_TYPE, wildcard: true, nameField: "name", apply: (r) => runtime.applyListeners(r) },
      { typeUrl: ROUTE_TYPE, wildcard: false, nameField: "name", apply: (r) => runtime.applyRoutes(r) },
    ];
    this.client = new AdsClient({
      servers: opts.xds,
      protocol: opts.xdsProtocol,
      node: this.node,
      types,
      wantedNames: (typeUrl) => (typeUrl === ROUTE_TYPE ? runtime.routeNamesWanted() : runtime.endpointNamesWanted()),
    });
    this.client.on("applied", (typeUrl: string) => this.applied.add(typeUrl));
    this.client.on("connected", (server: string) => log.info("connected to control plane", { server, protocol: this.client.protocol.name }));
    this.admin = new AdminServer(this);
  }

  get subscriptions() {
    return this.client.subscriptions;
  }

  ready(): boolean {
    return this.applied.has(LISTENER_TYPE) && this.applied.has(CLUSTER_TYPE);
  }

  clustersStatus(): ClusterStatus[] {
    return this.runtime.clustersStatus();
  }

  /** The data path's stats plus Envoy's `control_plane.connected_state` gauge (1 while an ADS stream is up). */
  prometheus(): string {
    return renderPrometheus(this.runtime.stats())
      + `# TYPE envoy_control_plane_connected_state gauge\nenvoy_control_plane_connected_state ${this.client.connected ? 1 : 0}\n`;
  }

  async start(): Promise<void> {
    this.adminPort = await this.admin.listen(this.opts.ip, this.opts.adminPort);
    this.client.start();
    log.info("proxy started", { id: this.node.id, admin: `${this.opts.ip}:${this.adminPort}` });
  }

  async stop(): Promise<void> {
    this.client.stop();
    await Promise.all([this.runtime.close(), this.admin.close()]);
  }
}
