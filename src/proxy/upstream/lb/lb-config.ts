// LbConfig: a cluster's load-balancing settings read from CDS (lb_policy and its configs, common_lb_config).

import { durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../../config/xds-fields.js";
import { parseCommonLbConfig, type CommonLbConfig } from "./common-lb-config.js";

export type LbPolicy = "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH" | "MAGLEV" | "CLUSTER_PROVIDED";

const POLICIES: ReadonlySet<string> = new Set<LbPolicy>(["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV", "CLUSTER_PROVIDED"]);

/** Cluster.SlowStartConfig of round_robin_lb_config / least_request_lb_config. */
export interface SlowStartConfig {
  /** slow_start_window in ms (> 0; a zero window disables slow start). */
  readonly windowMs: number;
  /** aggression.default_value (1.0: linear ramp). */
  readonly aggression: number;
  /** min_weight_percent / 100 (default 0.1). */
  readonly minWeightFactor: number;
}

export interface LbConfig {
  readonly policy: LbPolicy;
  /** least_request_lb_config.choice_count (default 2, ≥ 2). */
  readonly choiceCount: number;
  /** least_request_lb_config.active_request_bias.default_value (default 1.0, ≥ 0). */
  readonly activeRequestBias: number;
  /** ring_hash_lb_config.minimum_ring_size (default 1024). */
  readonly minimumRingSize: number;
  /** ring_hash_lb_config.maximum_ring_size (default 8M). */
  readonly maximumRingSize: number;
  /** maglev_lb_config.table_size (default 65537, prime). */
  readonly maglevTableSize: number;
  /** slow_start_config of the ROUND_ROBIN / LEAST_REQUEST config, undefined when absent or with a zero window. */
  readonly slowStart: SlowStartConfig | undefined;
  /** original_dst_lb_config.use_http_header. */
  readonly originalDstUseHeader: boolean;
  /** original_dst_lb_config.http_header_name (lowercase; default x-envoy-original-dst-host). */
  readonly originalDstHeader: string;
  /** Cluster.cleanup_interval: ORIGINAL_DST hosts unused for this long are removed (default 5 s). */
  readonly originalDstCleanupMs: number;
  /** common_lb_config: panic threshold and locality-weighted balancing (priority and locality composition). */
  readonly common: CommonLbConfig;
}

/** Envoy's limit on ring sizes (ring_hash_lb_config bounds both sizes by 8M). */
const MAX_RING_SIZE = 8 * 1024 * 1024;

/** Reads lb_policy and its settings; throws PROXY_CONFIG_INVALID on a bad value (as Envoy refuses the cluster). */
export function parseLbConfig(name: string, c: XdsObject): LbConfig {
  const policy = c.lb_policy === undefined || c.lb_policy === null ? "ROUND_ROBIN" : c.lb_policy;
  if (typeof policy !== "string" || !POLICIES.has(policy)) invalid(name, `unsupported lb_policy ${String(policy)}`);
  const type = typeof c.type === "string" ? c.type : "STATIC";
  // Envoy (cluster_factory_impl / original_dst_cluster): ORIGINAL_DST needs CLUSTER_PROVIDED and only it may use it.
  if ((type === "ORIGINAL_DST") !== (policy === "CLUSTER_PROVIDED")) {
    invalid(name, `lb_policy ${policy} is not valid for cluster type ${type}; ORIGINAL_DST clusters, and only they, use CLUSTER_PROVIDED`);
  }
  const lr = objectField(name, c, "least_request_lb_config");
  const rr = objectField(name, c, "round_robin_lb_config");
  const ring = objectField(name, c, "ring_hash_lb_config");
  const maglev = objectField(name, c, "maglev_lb_config");
  const od = objectField(name, c, "original_dst_lb_config");

  const choiceCount = lr ? wrapped(lr, "choice_count", 2) : 2;
  if (!Number.isInteger(choiceCount) || choiceCount < 2) invalid(name, `least_request_lb_config.choice_count must be at least 2, got ${choiceCount}`);
  const activeRequestBias = lr ? runtimeDouble(name, lr, "active_request_bias", 1) : 1;
  if (!(activeRequestBias >= 0)) invalid(name, `least_request_lb_config.active_request_bias must be ≥ 0, got ${activeRequestBias}`);

  const minimumRingSize = ring ? wrapped(ring, "minimum_ring_size", 1024) : 1024;
  const maximumRingSize = ring ? wrapped(ring, "maximum_ring_size", MAX_RING_SIZE) : MAX_RING_SIZE;
  for (const [k, v] of [["minimum_ring_size", minimumRingSize], ["maximum_ring_size", maximumRingSize]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_RING_SIZE) invalid(name, `ring_hash_lb_config.${k} must be in [1, ${MAX_RING_SIZE}], got ${v}`);
  }
  if (minimumRingSize > maximumRingSize) invalid(name, `ring hash: minimum_ring_size (${minimumRingSize}) > maximum_ring_size (${maximumRingSize})`);
  const hashFunction = ring ? ring.hash_function ?? "XX_HASH" : "XX_HASH";
  if (hashFunction !== "XX_HASH" && hashFunction !== "MURMUR_HASH_2") invalid(name, `unsupported ring_hash_lb_config.hash_function ${String(hashFunction)}`);

  const maglevTableSize = maglev ? wrapped(maglev, "table_size", 65537) : 65537;
  if (!Number.isInteger(maglevTableSize) || maglevTableSize > 5000011 || !isPrime(maglevTableSize)) {
    invalid(name, `The table size of maglev must be prime number (at most 5000011), got ${maglevTableSize}`);
  }

  const ss = policy === "ROUND_ROBIN" ? rr : policy === "LEAST_REQUEST" ? lr : undefined;
  const slowStart = ss ? parseSlowStart(name, objectField(name, ss, "slow_start_config")) : undefined;

  const header = od ? stringField(name, od, "http_header_name") : undefined;
  return {
    policy: policy as LbPolicy,
    choiceCount,
    activeRequestBias,
    minimumRingSize,
    maximumRingSize,
    maglevTableSize,
    slowStart,
    originalDstUseHeader: od ? od.use_http_header === true : false,
    originalDstHeader: header ? header.toLowerCase() : "x-envoy-original-dst-host",
    originalDstCleanupMs: Math.max(1, durationMs(name, c, "cleanup_interval", 5000)),
    common: parseCommonLbConfig(name, c),
  };
}

function parseSlowStart(name: string, s: XdsObject | undefined): SlowStartConfig | undefined {
  if (s === undefined) return undefined;
  const windowMs = durationMs(name, s, "slow_start_window", 0);
  const aggression = runtimeDouble(name, s, "aggression", 1);
  if (!(aggression > 0)) invalid(name, `slow_start_config.aggression must be > 0, got ${aggression}`);
  const mwp = objectField(name, s, "min_weight_percent");
  const percent = mwp ? Number(mwp.value ?? 0) : 10;
  if (!(percent >= 0 && percent <= 100)) invalid(name, `slow_start_config.min_weight_percent must be in [0, 100], got ${percent}`);
  return windowMs > 0 ? { windowMs, aggression, minWeightFactor: percent / 100 } : undefined;
}

/** A core.v3.RuntimeDouble's default_value (Weft has no runtime layer), or `fallback` when absent. */
function runtimeDouble(name: string, o: XdsObject, key: string, fallback: number): number {
  const v = objectField(name, o, key);
  if (v === undefined) return fallback;
  const d = Number(v.default_value ?? 0);
  if (!Number.isFinite(d)) invalid(name, `${key}.default_value is not a number`);
  return d;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let i = 3; i * i <= n; i += 2) if (n % i === 0) return false;
  return true;
}
