// `weft proxy`: runs one sidecar for one workload on its own loopback IP.

import { parseArgs } from "node:util";
import { isIPv4 } from "node:net";
import { Sidecar } from "../proxy/sidecar.js";
import { WeftError } from "../shared/weft-error.js";

const USAGE = `usage: weft proxy --xds 127.0.0.1:15010[,HOST:PORT...] --ip 127.0.0.X --workload NAME --namespace NS --labels k=v,...
                  [--xds-protocol delta|sotw] [--service-account SA] [--app-port N] [--app-address ADDR] [--admin-port 15000] [--domain cluster.local]
                  [--outbound-ip 127.0.0.Y[,...]] [--locality REGION[/ZONE[/SUBZONE]]]
  --locality     the workload's locality (node.locality): drives locality load balancing and its EDS registration.
  --outbound-ip  stand-in for iptables capture: every outbound listener 0.0.0.0_<port> is also bound on these
                 addresses at <port>; a connection accepted there counts as redirected, its original destination
                 being the address and port it was accepted on (TCP/TLS routes match destinationSubnets against it).`;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new WeftError("CLI_FLAG", `--labels: "${pair}" is not k=v`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

function parsePort(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new WeftError("CLI_FLAG", `--${name}: "${text}" is not a port`);
  return n;
}

/** `region[/zone[/subzone]]` → node.locality; undefined when empty, null when malformed (more than three parts, an empty region). */
function parseLocality(text: string): { region: string; zone?: string; sub_zone?: string } | undefined | null {
  if (text.trim() === "") return undefined;
  const parts = text.trim().split("/");
  if (parts.length > 3 || parts[0] === "" || parts.some((p) => /\s/.test(p))) return null;
  const out: { region: string; zone?: string; sub_zone?: string } = { region: parts[0]! };
  if (parts[1]) out.zone = parts[1];
  if (parts[2]) out.sub_zone = parts[2];
  return out;
}

export async function runProxy(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        xds: { type: "string", default: "127.0.0.1:15010" },
        "xds-protocol": { type: "string", default: "delta" },
        ip: { type: "string" },
        workload: { type: "string" },
        namespace: { type: "string", default: "default" },
        labels: { type: "string", default: "" },
        "service-account": { type: "string", default: "default" },
        "app-port": { type: "string" },
        "app-address": { type: "string" },
        "admin-port": { type: "string", default: "15000" },
        domain: { type: "string", default: "cluster.local" },
        "outbound-ip": { type: "string", default: "" },
        locality: { type: "string", default: "" },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`weft proxy: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.ip || !isIPv4(values.ip) || !values.workload) {
    process.stderr.write(`weft proxy: --ip (an IPv4 address) and --workload are required\n${USAGE}\n`);
    return 2;
  }
  const outboundIps = values["outbound-ip"].split(",").map((s) => s.trim()).filter(Boolean);
  if (outboundIps.some((a) => !isIPv4(a))) {
    process.stderr.write(`weft proxy: --outbound-ip takes IPv4 addresses, not "${values["outbound-ip"]}"\n${USAGE}\n`);
    return 2;
  }
  const xdsProtocol = values["xds-protocol"];
  if (xdsProtocol !== "delta" && xdsProtocol !== "sotw") {
    process.stderr.write(`weft proxy: --xds-protocol must be delta or sotw, not "${xdsProtocol}"\n${USAGE}\n`);
    return 2;
  }
  const locality = parseLocality(values.locality);
  if (locality === null) {
    process.stderr.write(`weft proxy: --locality must be REGION[/ZONE[/SUBZONE]], not "${values.locality}"\n${USAGE}\n`);
    return 2;
  }
  const sidecar = new Sidecar({
    xds: values.xds.split(",").map((s) => s.trim()).filter(Boolean),
    xdsProtocol,
    ip: values.ip,
    workload: values.workload,
    namespace: values.namespace,
    labels: parseLabels(values.labels),
    serviceAccount: values["service-account"],
    appPort: parsePort("app-port", values["app-port"]),
    appAddress: values["app-address"],
    adminPort: parsePort("admin-port", values["admin-port"]) ?? 15000,
    domain: values.domain,
    outboundIps,
    ...(locality ? { locality } : {}),
  });
  await sidecar.start();
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await sidecar.stop();
  return 0;
}
