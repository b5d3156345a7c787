// Load-balancer pick cost: ns per pick for 10, 1000 and 10000 hosts for each algorithm, and the ring / table build time.

import { fileURLToPath } from "node:url";
import type { Host } from "../src/proxy/upstream/host.js";
import { createPicker } from "../src/proxy/upstream/lb/create-picker.js";
import { hash32 } from "../src/proxy/upstream/lb/hash.js";
import type { HostPicker } from "../src/proxy/upstream/lb/host-picker.js";
import { parseLbConfig, type LbConfig } from "../src/proxy/upstream/lb/lb-config.js";
import { testHosts } from "../src/proxy/testing/test-hosts.js";

export const LB_SIZES = [10, 1000, 10000] as const;

export interface LbPickRow {
  algorithm: string;
  /** ns per pick, by host count. */
  pickNs: Record<number, number>;
  /** ms to build the picker (ring, table, EDF heap), by host count. */
  buildMs: Record<number, number>;
}

interface Algorithm {
  name: string;
  config: LbConfig;
  weights?: (i: number) => number;
  hashed: boolean;
}

const ALGORITHMS: Algorithm[] = [
  { name: "ROUND_ROBIN", config: parseLbConfig("b", { lb_policy: "ROUND_ROBIN" }), hashed: false },
  { name: "ROUND_ROBIN weighted", config: parseLbConfig("b", { lb_policy: "ROUND_ROBIN" }), weights: (i) => 1 + (i % 5), hashed: false },
  { name: "LEAST_REQUEST", config: parseLbConfig("b", { lb_policy: "LEAST_REQUEST" }), hashed: false },
  { name: "LEAST_REQUEST weighted", config: parseLbConfig("b", { lb_policy: "LEAST_REQUEST" }), weights: (i) => 1 + (i % 5), hashed: false },
  { name: "RANDOM", config: parseLbConfig("b", { lb_policy: "RANDOM" }), hashed: false },
  { name: "RING_HASH", config: parseLbConfig("b", { lb_policy: "RING_HASH" }), hashed: true },
  { name: "MAGLEV", config: parseLbConfig("b", { lb_policy: "MAGLEV" }), hashed: true },
];

/** Precomputed request hashes (a pick reads one; computing the hash is the hash policy's cost, not the picker's). */
const KEYS = Uint32Array.from({ length: 4096 }, (_, i) => hash32(`user-${i}`));

/** One reusable context: hashKey() returns the next precomputed key. */
const ctx = { i: 0, hashKey(): number { return KEYS[this.i++ & 4095]; } };

function timePicks(picker: HostPicker, hashed: boolean, hosts: readonly Host[]): number {
  const c = hashed ? ctx : undefined;
  let sink = 0;
  const run = (n: number): void => { for (let i = 0; i < n; i++) sink += picker.pick(c)!.port; };
  run(200_000);
  // Least request reads rq_active: give hosts some load so choices differ.
  for (let i = 0; i < hosts.length; i += 3) hosts[i].stats.rq_active = i % 7;
  let n = 200_000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    run(n);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns > 150e6 || n >= 20_000_000) {
      if (sink === -1) process.stdout.write("");
      return ns / n;
    }
    n *= 2;
  }
}

export function runLbPickBench(): LbPickRow[] {
  const rows: LbPickRow[] = [];
  for (const a of ALGORITHMS) {
    const row: LbPickRow = { algorithm: a.name, pickNs: {}, buildMs: {} };
    for (const size of LB_SIZES) {
      const hosts = testHosts(size, a.weights);
      const builds = size >= 10000 ? 3 : 10;
      const t0 = performance.now();
      let picker = createPicker(a.config, hosts);
      for (let i = 1; i < builds; i++) picker = createPicker(a.config, hosts);
      row.buildMs[size] = (performance.now() - t0) / builds;
      row.pickNs[size] = timePicks(picker, a.hashed, hosts);
    }
    rows.push(row);
  }
  return rows;
}

/** The table: one row per algorithm, pick ns and build ms per size. */
export function formatLbTable(rows: readonly LbPickRow[]): string {
  const header = ["algorithm", ...LB_SIZES.map((s) => `ns/pick ${s}`), ...LB_SIZES.map((s) => `build ms ${s}`)];
  const cells = [header, ...rows.map((r) => [r.algorithm, ...LB_SIZES.map((s) => r.pickNs[s].toFixed(1)), ...LB_SIZES.map((s) => r.buildMs[s].toFixed(3))])];
  const widths = header.map((_, i) => Math.max(...cells.map((l) => l[i].length)));
  return cells.map((l) => l.map((t, i) => (i === 0 ? t.padEnd(widths[i]) : t.padStart(widths[i]))).join("  ")).join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(formatLbTable(runLbPickBench()) + "\n");
