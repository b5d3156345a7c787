// Process entry of one sample app: `node app-main.js --service reviews --version v2 --port 19083 --sidecar 127.0.0.13:15001`.

import "./exit-with-parent.js";
import { parseArgs } from "node:util";
import { startBookinfoApp } from "./bookinfo-app.js";
import { Logger } from "../shared/logger.js";

const log = new Logger("demo-app");

const USAGE = "usage: app-main --service productpage|details|reviews|ratings [--version v1] --port N [--host 127.0.0.1] --sidecar IP:15001";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        service: { type: "string" },
        version: { type: "string", default: "v1" },
        port: { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        sidecar: { type: "string" },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const port = Number(values.port);
  if (!values.service || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const app = await startBookinfoApp({ service: values.service, version: values.version!, host: values.host, port, sidecar: values.sidecar });
  log.info("listening", { service: values.service, version: values.version, address: `${app.host}:${app.port}`, sidecar: values.sidecar ?? "-" });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await app.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.error("failed", { error: err as Error });
    process.exit(1);
  },
);
