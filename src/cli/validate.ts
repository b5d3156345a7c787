// `weft validate PATH…`: validates Istio YAML files/directories with the same pipeline as the control plane.

import { readFile, stat } from "node:fs/promises";
import { formatDiagnostic, type Diagnostic } from "../control-plane/config/config-resource.js";
import { ConfigStore } from "../control-plane/config/config-store.js";
import { loadFile } from "../control-plane/config/resource-loader.js";
import { listYamlFiles } from "../control-plane/config/yaml-files.js";

const USAGE = "usage: weft validate [--domain cluster.local] PATH...";

/** Prints one line per problem (errors, then warnings) to stdout and a summary to stderr. Exit code 1 on any error, 2 on bad usage. */
export async function runValidate(argv: string[]): Promise<number> {
  let domain = "cluster.local";
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--domain") domain = argv[++i] ?? "";
    else if (a.startsWith("--domain=")) domain = a.slice("--domain=".length);
    else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    } else paths.push(a);
  }
  if (paths.length === 0 || domain === "") {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const store = new ConfigStore({ domain });
  const problems: Diagnostic[] = [];
  let fileCount = 0;
  for (const p of paths) {
    let files: string[];
    try {
      files = (await stat(p)).isDirectory() ? await listYamlFiles(p) : [p];
    } catch (err) {
      problems.push(ioDiagnostic(p, (err as Error).message));
      continue;
    }
    for (const file of files) {
      try {
        store.setFile(loadFile(file, await readFile(file, "utf8")));
        fileCount++;
      } catch (err) {
        problems.push(ioDiagnostic(file, (err as Error).message));
      }
    }
  }
  const { snapshot } = store.commit();
  problems.push(...snapshot.diagnostics);
  const errors = problems.filter((d) => d.severity === "error");
  const warnings = problems.filter((d) => d.severity === "warning");
  for (const d of [...errors, ...warnings]) process.stdout.write(formatDiagnostic(d) + "\n");
  const valid = snapshot.entries().size;
  process.stderr.write(`weft validate: ${fileCount} file(s), ${valid} valid resource(s), ${errors.length} error(s), ${warnings.length} warning(s)\n`);
  return errors.length > 0 ? 1 : 0;
}

function ioDiagnostic(file: string, reason: string): Diagnostic {
  return { severity: "error", code: "CONFIG_IO", file, line: 0, kind: "", namespace: "", name: "", field: "", reason };
}
