// Row: one line of `npm run bench`'s table, as every benchmark returns it.

/**
 * Measured values only (ratios such as "× direct" are computed by bench/run.ts from the rows); a field left
 * undefined was not measured and prints as "-". Milliseconds and MiB as plain numbers.
 */
export interface Row {
  /** What was measured: "direct", "weft sidecar", "nginx", "convergence (100 proxies)". */
  name: string;
  /** Throughput at saturation, requests per second. */
  reqPerSec?: number;
  /**
   * Latency percentiles in ms. Data-path rows: per request at a fixed open-loop rate (`fixedRate`).
   * Convergence: from the config file's write to a proxy's ACK of the new RDS version, over every proxy and run.
   */
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** The request rate (req/s) the percentiles were measured at. */
  fixedRate?: number;
  /** Resident memory of the process under test (the sidecar; for convergence, the control plane), MiB. */
  idleRssMiB?: number;
  peakRssMiB?: number;
  /** Parameters and caveats ("nginx not installed", "5 edits"). */
  note?: string;
}

/** The p-th percentile (0..100) of `values` by nearest rank; undefined for no values. Sorts a copy. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
