// `npm run bench`: the data-path comparison (direct, weft sidecar, nginx) and control-plane convergence, as one table.

import { runRouterDecisionBench } from "./router-decision.js";
import { parseArgs } from "node:util";
import { benchConvergence } from "./convergence.js";
import { benchDataPath } from "./datapath.js";
import { formatLbTable, runLbPickBench, type LbPickRow } from "./lb-pick.js";
import type { Row } from "./row.js";
import { benchScale, type ScaleRun } from "./scale/scale-bench.js";
import { formatScaleReport } from "./scale/scale-table.js";

const USAGE = "usage: npm run bench -- [--only datapath|router|lb|convergence|scale] [--proxies 100] [--scale-services 200] [--scale-proxies 400] [--json]";
const ONLY = ["datapath", "router", "lb", "convergence", "scale"];
/** Issue 3's size; `npm run bench` runs the scale benchmark smaller (about 2 minutes) and prints how to run this. */
const FULL_SCALE = { services: 1000, proxies: 2000 };

/** Column: header and how to print one row's cell (given the reference rows for ratios). */
interface Column {
  header: string;
  cell: (row: Row, refs: { direct?: Row; nginx?: Row }) => string;
}

const DATA_PATH_COLUMNS: Column[] = [
  { header: "", cell: (r) => r.name },
  { header: "req/s", cell: (r) => num(r.reqPerSec, 0) },
  { header: "× direct", cell: (r, { direct }) => ratio(r.reqPerSec, direct?.reqPerSec) },
  { header: "× nginx", cell: (r, { nginx }) => ratio(r.reqPerSec, nginx?.reqPerSec) },
  { header: "p50 ms", cell: (r) => num(r.p50Ms, 2) },
  { header: "p90 ms", cell: (r) => num(r.p90Ms, 2) },
  { header: "p99 ms", cell: (r) => num(r.p99Ms, 2) },
  { header: "+p99 vs direct", cell: (r, { direct }) => (r === direct || r.p99Ms === undefined || direct?.p99Ms === undefined ? "-" : `${(r.p99Ms - direct.p99Ms).toFixed(2)} ms`) },
  { header: "at req/s", cell: (r) => num(r.fixedRate, 0) },
  { header: "idle RSS MiB", cell: (r) => num(r.idleRssMiB, 1) },
  { header: "peak RSS MiB", cell: (r) => num(r.peakRssMiB, 1) },
  { header: "note", cell: (r) => r.note ?? "" },
];

const CONVERGENCE_COLUMNS: Column[] = [
  { header: "", cell: (r) => r.name },
  { header: "p50 ms", cell: (r) => num(r.p50Ms, 0) },
  { header: "p90 ms", cell: (r) => num(r.p90Ms, 0) },
  { header: "p99 ms", cell: (r) => num(r.p99Ms, 0) },
  { header: "max ms", cell: (r) => num(r.maxMs, 0) },
  { header: "control plane peak RSS MiB", cell: (r) => num(r.peakRssMiB, 1) },
  { header: "note", cell: (r) => r.note ?? "" },
];

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: "string" },
        proxies: { type: "string", default: "100" },
        "scale-services": { type: "string", default: "200" },
        "scale-proxies": { type: "string", default: "400" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const proxies = Number(values.proxies);
  const scale = { services: Number(values["scale-services"]), proxies: Number(values["scale-proxies"]) };
  const counts = [proxies, scale.services, scale.proxies];
  if ((values.only && !ONLY.includes(values.only)) || !counts.every((n) => Number.isInteger(n) && n > 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let exitCode = 0;
  const dataRows: Row[] = [];
  const convergenceRows: Row[] = [];
  const scaleRuns: ScaleRun[] = [];
  if (values.only === undefined || values.only === "datapath") {
    process.stderr.write("bench: data path (direct, weft sidecar, nginx)...\n");
    try {
      dataRows.push(...(await benchDataPath({})));
    } catch (err) {
      process.stderr.write(`bench: data path failed: ${(err as Error).message}\n`);
      exitCode = 1;
    }
  }
  let router: Awaited<ReturnType<typeof runRouterDecisionBench>> | undefined;
  if (values.only === undefined || values.only === "router") {
    process.stderr.write("bench: router decision, VirtualService with 500 rules...\n");
    try {
      router = await runRouterDecisionBench();
    } catch (err) {
      process.stderr.write(`bench: router decision failed: ${(err as Error).message}\n`);
      exitCode = 1;
    }
  }
  let lbRows: LbPickRow[] = [];
  if (values.only === undefined || values.only === "lb") {
    process.stderr.write("bench: load-balancer pick cost, 10 / 1000 / 10000 hosts...\n");
    try {
      lbRows = runLbPickBench();
    } catch (err) {
      process.stderr.write(`bench: lb pick failed: ${(err as Error).message}\n`);
      exitCode = 1;
    }
  }
  if (values.only === undefined || values.only === "convergence") {
    process.stderr.write(`bench: control-plane convergence with ${proxies} proxies...\n`);
    try {
      convergenceRows.push(await benchConvergence({ proxies }));
    } catch (err) {
      process.stderr.write(`bench: convergence failed: ${(err as Error).message}\n`);
      exitCode = 1;
    }
  }
  if (values.only === undefined || values.only === "scale") {
    process.stderr.write(`bench: control-plane scale, ${scale.services} services, ${scale.proxies} proxies...\n`);
    try {
      scaleRuns.push(...(await benchScale({ ...scale, progress: (line) => process.stderr.write(`bench: ${line}\n`) })));
      if (scaleRuns.some((r) => r.failed)) exitCode = 1;
    } catch (err) {
      process.stderr.write(`bench: scale failed: ${(err as Error).message}\n`);
      exitCode = 1;
    }
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ dataPath: dataRows, router, lb: lbRows, convergence: convergenceRows, scale: scaleRuns }, null, 2) + "\n");
    return exitCode;
  }
  const refs = { direct: dataRows.find((r) => r.name === "direct"), nginx: dataRows.find((r) => r.name === "nginx") };
  if (dataRows.length > 0) process.stdout.write(formatTable(DATA_PATH_COLUMNS, dataRows, refs) + "\n");
  if (router) {
    const ns = router.nsPerDecision;
    process.stdout.write(`${dataRows.length > 0 ? "\n" : ""}router decision, ${router.rules}-rule VirtualService: first rule ${ns.first} ns, last rule ${ns.last} ns, no match ${ns.miss} ns\n`);
  }
  if (lbRows.length > 0) process.stdout.write(`${dataRows.length > 0 || router ? "\n" : ""}load-balancer pick cost (ns per pick, build ms per picker):\n${formatLbTable(lbRows)}\n`);
  if (convergenceRows.length > 0) process.stdout.write((dataRows.length > 0 ? "\n" : "") + formatTable(CONVERGENCE_COLUMNS, convergenceRows, refs) + "\n");
  if (scaleRuns.length > 0) {
    process.stdout.write((dataRows.length + convergenceRows.length > 0 ? "\n" : "") + formatScaleReport(scaleRuns) + "\n");
    if (scale.services < FULL_SCALE.services || scale.proxies < FULL_SCALE.proxies) {
      process.stdout.write(`(reduced size; issue 3's full size: npm run bench -- --only scale --scale-services ${FULL_SCALE.services} --scale-proxies ${FULL_SCALE.proxies})\n`);
    }
  }
  return exitCode;
}

/** Left-aligned first and last columns, right-aligned numbers, two spaces between columns. */
function formatTable(columns: readonly Column[], rows: readonly Row[], refs: { direct?: Row; nginx?: Row }): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.cell(r, refs)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const last = columns.length - 1;
  return cells
    .map((line) => line.map((text, i) => (i === 0 || i === last ? text.padEnd(i === last ? 0 : widths[i]) : text.padStart(widths[i]))).join("  ").trimEnd())
    .join("\n");
}

function num(value: number | undefined, digits: number): string {
  return value === undefined ? "-" : value.toFixed(digits);
}

function ratio(value: number | undefined, reference: number | undefined): string {
  return value === undefined || reference === undefined || reference === 0 ? "-" : `${(value / reference).toFixed(2)}×`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
