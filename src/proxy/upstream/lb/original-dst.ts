// Original destination: hosts made on demand from each request's original destination (ORIGINAL_DST clusters, CLUSTER_PROVIDED).

import { isIP } from "node:net";
import type { ClusterStats } from "../../stats/proxy-stats.js";
import { Host } from "../host.js";
import type { PoolCluster } from "../host-pool.js";
import type { HostPicker } from "./host-picker.js";
import type { LbConfig } from "./lb-config.js";
import type { LbContext } from "./lb-context.js";

/** What an original-destination picker needs of its cluster to make hosts (a Cluster satisfies it). */
export interface OriginalDstCluster {
  readonly name: string;
  readonly stats: ClusterStats;
  readonly connectTimeoutMs: number;
  /** The cluster's circuit-breaker counts and connection options, shared by its hosts' pools (absent in tests: defaults per host). */
  readonly state?: PoolCluster;
}

/**
 * The hosts of one ORIGINAL_DST cluster by "address:port", shared by every picker of the cluster (keyed by its
 * ClusterStats, which outlive CDS rebuilds) so pools survive updates. A sweep every cleanup_interval closes the hosts
 * not used since the previous sweep (Envoy OriginalDstCluster::cleanup); the timer stops when no host is left.
 */
class OriginalDstHosts {
  readonly hosts = new Map<string, Host>();
  private readonly used = new Set<Host>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly cleanupMs: number) {}

  /** The host for "address:port" (`dst`), made on first use; undefined when `dst` is not a literal IP and port. */
  get(dst: string, cluster: OriginalDstCluster): Host | undefined {
    let h = this.hosts.get(dst);
    if (h === undefined) {
      const parsed = parseHostPort(dst);
      if (parsed === undefined) return undefined;
      h = new Host(parsed[0], parsed[1], "HEALTHY", cluster.stats, cluster.connectTimeoutMs, cluster.state);
      this.hosts.set(dst, h);
      if (this.timer === undefined) {
        this.timer = setInterval(() => this.sweep(), this.cleanupMs);
        this.timer.unref();
      }
    }
    this.used.add(h);
    return h;
  }

  /** The cluster left CDS or the proxy stops: every host is closed and the sweep stops. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const h of this.hosts.values()) h.close();
    this.hosts.clear();
    this.used.clear();
  }

  private sweep(): void {
    for (const [key, h] of this.hosts) {
      if (this.used.has(h) || h.stats.rq_active > 0) continue;
      this.hosts.delete(key);
      h.close();
    }
    this.used.clear();
    if (this.hosts.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

const byCluster = new WeakMap<ClusterStats, OriginalDstHosts>();

/** The picker of an ORIGINAL_DST cluster: no host list; the request's originalDestination() names the host. */
export function originalDstPicker(config: LbConfig, cluster: OriginalDstCluster): HostPicker {
  let hosts = byCluster.get(cluster.stats);
  if (hosts === undefined) {
    hosts = new OriginalDstHosts(config.originalDstCleanupMs);
    byCluster.set(cluster.stats, hosts);
  }
  const all = hosts;
  return {
    pick(ctx: LbContext | undefined): Host | undefined {
      const dst = ctx?.originalDestination?.();
      return dst === undefined ? undefined : all.get(dst, cluster);
    },
  };
}

/** Closes the on-demand hosts of the ORIGINAL_DST cluster whose stats are `stats` and stops its sweep (no-op for others). */
export function closeOriginalDstHosts(stats: ClusterStats): void {
  byCluster.get(stats)?.close();
  byCluster.delete(stats);
}

/** "ip:port" or "[ipv6]:port" with a literal IP (Envoy parseInternetAddressAndPortNoThrow), else undefined. */
export function parseHostPort(s: string): [string, number] | undefined {
  const colon = s.lastIndexOf(":");
  if (colon <= 0) return undefined;
  let ip = s.slice(0, colon);
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) return undefined;
    ip = ip.slice(1, -1);
    if (isIP(ip) !== 6) return undefined;
  } else if (isIP(ip) !== 4) return undefined;
  const portText = s.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) return undefined;
  return [ip, port];
}
