// Recursive, async listing of the *.yaml / *.yml files under a directory, in sorted order.

import { readdir } from "node:fs/promises";
import { join } from "node:path";

export function isYamlFile(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml");
}

/** All YAML files below `dir` (hidden entries such as `.git` or editor swap dirs skipped), sorted by path. */
export async function listYamlFiles(dir: string): Promise<string[]> {
  return (await listYamlTree(dir)).files;
}

/** The YAML files below `dir` and every (non-hidden) directory walked, `dir` included; both sorted. */
export async function listYamlTree(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (d: string): Promise<void> => {
    dirs.push(d);
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && isYamlFile(e.name)) files.push(p);
    }
  };
  await walk(dir);
  return { files: files.sort(), dirs: dirs.sort() };
}
