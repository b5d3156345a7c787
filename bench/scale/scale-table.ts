// Prints the scale benchmark's runs as tables (full sync; changes, SotW and delta side by side) and checks issue 3's targets.

import type { ScaleRun, StepResult } from "./scale-bench.js";

/** Issue 3's targets for this machine. */
export const TARGETS = { syncCpuSeconds: 60, syncRssMiB: 1024, endpointP99Ms: 500, deltaBytesRatio: 0.05 } as const;

export function formatScaleReport(runs: readonly ScaleRun[]): string {
  const out: string[] = [];
  const label = (r: ScaleRun): string => `${r.mode} scoping ${r.scoping ? "on" : "off"}`;
  out.push(
    table([
      ["full sync", "S", "P", "time s", "CP CPU s (total / sync)", "CP peak RSS MiB", "KiB/proxy", "load tool CPU s", "reconnects"],
      ...runs.map((r) =>
        r.sync
          ? [label(r), `${r.services}`, `${r.proxies}`, r.sync.seconds.toFixed(1), `${r.sync.controlPlaneCpuSeconds.toFixed(1)} / ${r.sync.syncCpuSeconds.toFixed(1)}`, fmt(r.sync.peakRssMiB, 0), (r.sync.bytesPerProxy / 1024).toFixed(1), r.sync.loadToolCpuSeconds.toFixed(1), `${r.sync.reconnects}`]
          : [label(r), `${r.services}`, `${r.proxies}`, "-", "-", "-", "-", "-", "-"],
      ),
    ]),
  );
  const header = ["change", "scoping", "mode", "concerned", "not conv.", "p50 ms", "p99 ms", "max ms", "B/concerned proxy", "B/proxy", "CP CPU s", "reconnects", "delta/SotW bytes"];
  const rows: string[][] = [header];
  for (const scoping of [false, true]) {
    const sotw = runs.find((r) => r.mode === "sotw" && r.scoping === scoping);
    for (const r of runs.filter((x) => x.scoping === scoping)) {
      for (const s of r.steps) {
        const ref = r.mode === "delta" ? sotw?.steps.find((x) => x.name === s.name) : undefined;
        rows.push([s.name, scoping ? "on" : "off", r.mode, `${s.concerned}`, `${s.notConverged}`, fmt(s.p50Ms, 0), fmt(s.p99Ms, 0), fmt(s.maxMs, 0), fmt(s.bytesPerConcernedProxy, 0), s.bytesPerProxy.toFixed(0), s.controlPlaneCpuSeconds.toFixed(2), `${s.reconnects}`, ref ? ratio(s, ref) : ""]);
      }
    }
  }
  rows.sort((a, b) => (a === header ? -1 : b === header ? 1 : a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!) || b[2]!.localeCompare(a[2]!)));
  out.push("", table(rows));
  const notes = runs.filter((r) => r.skipped || r.failed).map((r) => `${label(r)}: ${r.skipped ? `not measured: ${r.skipped}` : `failed: ${r.failed}`}`);
  out.push("", ...targets(runs), ...notes);
  return out.join("\n");
}

/** One line per target and run: met/missed with the figure. */
function targets(runs: readonly ScaleRun[]): string[] {
  const lines = ["targets (issue 3; at S=1000/P=2000 they are the issue's, at other sizes indicative):"];
  const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");
  for (const r of runs) {
    const who = `${r.mode} scoping ${r.scoping ? "on" : "off"}`;
    if (r.sync) {
      lines.push(`  ${who}: full sync CPU ${r.sync.controlPlaneCpuSeconds.toFixed(1)} s ≤ ${TARGETS.syncCpuSeconds} s: ${verdict(r.sync.controlPlaneCpuSeconds <= TARGETS.syncCpuSeconds)}; peak RSS ${fmt(r.sync.peakRssMiB, 0)} MiB < ${TARGETS.syncRssMiB}: ${verdict((r.sync.peakRssMiB ?? Infinity) < TARGETS.syncRssMiB)}`);
    }
    const ep = r.steps.find((s) => s.name.startsWith("(b)"));
    if (ep) lines.push(`  ${who}: endpoint change p99 ${fmt(ep.p99Ms, 0)} ms < ${TARGETS.endpointP99Ms} ms, all converged: ${verdict(ep.notConverged === 0 && (ep.p99Ms ?? Infinity) < TARGETS.endpointP99Ms)}`);
    if (r.mode === "delta" && ep) {
      const ref = runs.find((x) => x.mode === "sotw" && x.scoping === r.scoping)?.steps.find((s) => s.name === ep.name);
      if (ref) lines.push(`  ${who}: endpoint change bytes ${ratio(ep, ref)} of SotW < ${TARGETS.deltaBytesRatio * 100}%: ${verdict(bytesRatio(ep, ref) < TARGETS.deltaBytesRatio)}`);
    }
  }
  return lines;
}

function bytesRatio(s: StepResult, ref: StepResult): number {
  return (s.bytesPerConcernedProxy ?? 0) / (ref.bytesPerConcernedProxy || Infinity);
}

function ratio(s: StepResult, ref: StepResult): string {
  return `${(bytesRatio(s, ref) * 100).toFixed(2)}%`;
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined ? "-" : v.toFixed(digits);
}

/** First column left-aligned, the rest right-aligned, two spaces apart. */
function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()).join("\n");
}
