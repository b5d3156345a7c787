// Test support: a ControlPlane on one loopback IP over a temp config directory, with fast debounces.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlPlane } from "../control-plane.js";
import { DirectorySource } from "../config/directory-source.js";

export interface LoopbackControlPlane {
  cp: ControlPlane;
  /** The config directory; tests write YAML into it. */
  dir: string;
  /** `ip:port` of the xDS and monitoring servers. */
  xds: string;
  monitoring: string;
  stop(): Promise<void>;
}

/** Writes `files` into a new temp dir and starts a ControlPlane on `ip` (ports chosen by the OS). */
export async function startLoopbackControlPlane(ip: string, files: Record<string, string>): Promise<LoopbackControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), "weft-cp-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const cp = new ControlPlane({
    config: new DirectorySource(dir, { debounceMs: 10 }),
    xdsAddress: ip,
    xdsPort: 0,
    monitoringAddress: ip,
    monitoringPort: 0,
    debounce: { afterMs: 100, maxMs: 1000 },
  });
  await cp.start();
  return {
    cp,
    dir,
    xds: `${ip}:${cp.xdsPort}`,
    monitoring: `${ip}:${cp.monitoringPort}`,
    stop: async () => {
      await cp.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
