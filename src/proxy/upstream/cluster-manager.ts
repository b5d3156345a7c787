// ClusterManager: builds Clusters from CDS and EDS (or inline load_assignment) and swaps them in atomically.

import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { ClusterStats } from "../stats/proxy-stats.js";
import { Cluster, Host, type UpstreamProtocol } from "./cluster.js";
import { Logger } from "../../shared/logger.js";

const log = new Logger("cluster-manager");

/** Cluster types served from an inline load_assignment (DNS types connect by hostname). */
const INLINE_TYPES = new Set(["STATIC", "STRICT_DNS", "LOGICAL_DNS"]);
/** Accepted, but without hosts: Weft has no original-destination forwarding. */
const HOSTLESS_TYPES = new Set(["ORIGINAL_DST"]);

interface ClusterSpec { name: string; type: string; connectTimeoutMs: number; edsServiceName: string; inline: XdsObject | undefined; protocol: UpstreamProtocol; maxRetries: number }
interface EndpointSpec { address: string; port: number; health: string }

/** Owns the clusters map (replaced whole on each update) and the per-cluster stats that outlive rebuilds. */
export class ClusterManager {
  private specs = new Map<string, ClusterSpec>();
  private assignments = new Map<string, EndpointSpec[]>();
  private clusters = new Map<string, Cluster>();
  private readonly statsByName = new Map<string, ClusterStats>();

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  all(): Iterable<Cluster> { return this.clusters.values(); }

  allStats(): Array<{ name: string; stats: ClusterStats }> {
    return [...this.statsByName].map(([name, stats]) => ({ name, stats }));
  }

  applyClusters(resources: ReadonlyMap<string, XdsObject>): void {
    const specs = new Map<string, ClusterSpec>();
    for (const [name, c] of resources) specs.set(name, parseCluster(name, c));
    this.specs = specs;
    this.rebuild();
  }

  applyEndpoints(resources: ReadonlyMap<string, XdsObject>): void {
    const assignments = new Map<string, EndpointSpec[]>();
    for (const [name, cla] of resources) assignments.set(name, parseAssignment(name, cla));
    this.assignments = assignments;
    this.rebuild();
  }

  endpointNamesWanted(): string[] {
    const names: string[] = [];
    for (const s of this.specs.values()) if (s.type === "EDS") names.push(s.edsServiceName);
    return names;
  }

  /** Closes every pool's idle connections (in-flight exchanges finish). */
  close(): void {
    for (const c of this.clusters.values()) for (const h of c.hosts) h.close();
  }

  private rebuild(): void {
    const next = new Map<string, Cluster>();
    for (const spec of this.specs.values()) {
      let stats = this.statsByName.get(spec.name);
      if (!stats) { stats = new ClusterStats(); this.statsByName.set(spec.name, stats); }
      const endpoints = spec.type === "EDS" ? this.assignments.get(spec.edsServiceName) ?? []
        : spec.inline ? parseAssignment(spec.name, spec.inline) : [];
      const old = this.clusters.get(spec.name);
      const oldHosts = new Map<string, Host>();
      if (old) for (const h of old.hosts) oldHosts.set(h.key, h);
      const hosts: Host[] = [];
      for (const e of endpoints) {
        const key = `${e.address}:${e.port}`;
        let h = oldHosts.get(key);
        if (h) {
          oldHosts.delete(key);
          h.health = e.health;
          h.setConnectTimeout(spec.connectTimeoutMs);
        } else {
          h = new Host(e.address, e.port, e.health, stats, spec.connectTimeoutMs);
        }
        hosts.push(h);
      }
      for (const gone of oldHosts.values()) gone.close();
      next.set(spec.name, new Cluster(spec.name, spec.type, spec.connectTimeoutMs, spec.edsServiceName, stats, hosts, spec.protocol, spec.maxRetries));
    }
    for (const [name, old] of this.clusters) if (!next.has(name)) for (const h of old.hosts) h.close();
    this.clusters = next;
  }
}

function parseCluster(name: string, c: XdsObject): ClusterSpec {
  if (c.name !== name) invalid(name, `cluster name ${String(c.name)} does not match resource name`);
  const type = typeof c.type === "string" ? c.type : "STATIC";
  const connectTimeoutMs = durationMs(name, c, "connect_timeout", 5000);
  let edsServiceName = "";
  let inline: XdsObject | undefined;
  if (type === "EDS") {
    const eds = objectField(name, c, "eds_cluster_config") ?? invalid(name, "EDS cluster without eds_cluster_config");
    edsServiceName = stringField(name, eds, "service_name") || name;
  } else if (INLINE_TYPES.has(type)) {
    inline = objectField(name, c, "load_assignment");
    if (inline) parseAssignment(name, inline);
  } else if (!HOSTLESS_TYPES.has(type)) {
    invalid(name, `unsupported cluster type ${type}`);
  }
  if (c.lb_policy !== undefined && c.lb_policy !== "ROUND_ROBIN") {
    log.debug("lb_policy served as ROUND_ROBIN", { cluster: name, lb_policy: c.lb_policy });
  }
  return { name, type, connectTimeoutMs, edsServiceName, inline, protocol: upstreamProtocol(name, c), maxRetries: maxRetries(name, c) };
}

const HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/**
 * The cluster's upstream protocol from typed_extension_protocol_options[HttpProtocolOptions]: explicit_http_config
 * with http2_protocol_options → HTTP/2, use_downstream_protocol_config → the downstream's, otherwise HTTP/1.1.
 * auto_config (ALPN) needs TLS, which Weft's upstreams do not speak: it is refused like Envoy refuses it without TLS.
 */
function upstreamProtocol(name: string, c: XdsObject): UpstreamProtocol {
  const all = objectField(name, c, "typed_extension_protocol_options");
  const options = all === undefined ? undefined : objectField(name, all, HTTP_PROTOCOL_OPTIONS);
  if (options === undefined) return "http1";
  if (objectField(name, options, "use_downstream_protocol_config") !== undefined) return "downstream";
  if (objectField(name, options, "auto_config") !== undefined) invalid(name, "HttpProtocolOptions.auto_config requires an upstream TLS transport socket");
  const explicit = objectField(name, options, "explicit_http_config");
  return explicit !== undefined && objectField(name, explicit, "http2_protocol_options") !== undefined ? "http2" : "http1";
}

function parseAssignment(name: string, cla: XdsObject): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  for (const locality of arrayField(name, cla, "endpoints")) {
    for (const lb of arrayField(name, locality, "lb_endpoints")) {
      const ep = objectField(name, lb, "endpoint") ?? invalid(name, "lb_endpoint without endpoint");
      const addr = objectField(name, ep, "address") ?? invalid(name, "endpoint without address");
      const sa = objectField(name, addr, "socket_address") ?? invalid(name, "endpoint address without socket_address");
      const address = stringField(name, sa, "address");
      const port = Number(sa.port_value);
      if (!address) invalid(name, "endpoint without address");
      if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(name, `endpoint ${address} has invalid port ${String(sa.port_value)}`);
      const health = typeof lb.health_status === "string" ? lb.health_status : "UNKNOWN";
      out.push({ address, port, health });
    }
  }
  return out;
}

/** circuit_breakers.thresholds max_retries for the DEFAULT priority (unset priority is DEFAULT); Envoy's default is 3. */
function maxRetries(name: string, c: XdsObject): number {
  const cb = objectField(name, c, "circuit_breakers");
  if (!cb) return 3;
  for (const t of arrayField(name, cb, "thresholds")) {
    if (t.priority !== undefined && t.priority !== "DEFAULT" && t.priority !== 0) continue;
    return wrapped(t, "max_retries", 3);
  }
  return 3;
}
