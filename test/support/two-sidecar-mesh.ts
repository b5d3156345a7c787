// A control plane with a client sidecar and a server sidecar in front of one app (as reviews:9080), for data-path tests.

import {
  configDir, startControlPlane, startSidecar, waitFor, httpGet, type ControlPlaneHandle, type WeftProcess,
} from "./mesh-processes.js";
import { reviewsServiceEntry } from "./reviews-mesh.js";

export interface TwoSidecarMeshSpec {
  /** The client sidecar's IP: apps send to `<clientIp>:15001` with `Host: reviews:9080`. */
  clientIp: string;
  /** The server sidecar's IP; it forwards to the app on 127.0.0.1:`appPort`. */
  serverIp: string;
  appPort: number;
  xdsPort: number;
  monitoringPort: number;
  /** A path the app answers 200 on; the mesh is ready once a request for it succeeds through both sidecars. */
  readyPath?: string;
  /** More Istio YAML (e.g. a VirtualService for `reviews`) beside the ServiceEntry. */
  extraConfig?: string;
}

export interface TwoSidecarMesh {
  /** [server sidecar, client sidecar]. */
  readonly sidecars: readonly WeftProcess[];
  stop(): Promise<void>;
}

export async function startTwoSidecarMesh(spec: TwoSidecarMeshSpec): Promise<TwoSidecarMesh> {
  const config = await configDir({ "services.yaml": reviewsServiceEntry() + (spec.extraConfig ? `---${spec.extraConfig}` : "") });
  const sidecars: WeftProcess[] = [];
  let cp: ControlPlaneHandle | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(sidecars.map((p) => p.stop()));
    await cp?.proc.stop();
    await config.remove();
  };
  try {
    cp = await startControlPlane(config.dir, { xdsPort: spec.xdsPort, monitoringPort: spec.monitoringPort });
    sidecars.push(await startSidecar(cp.xdsPort, { ip: spec.serverIp, workload: "reviews-v1", labels: { app: "reviews", version: "v1" }, appPort: spec.appPort }));
    sidecars.push(await startSidecar(cp.xdsPort, { ip: spec.clientIp, workload: "productpage-v1", labels: { app: "productpage" } }));
    const url = `http://reviews:9080${spec.readyPath ?? "/"}`;
    await waitFor(async () => (await httpGet(url, { via: `${spec.clientIp}:15001` })).status === 200, 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { sidecars, stop };
}
