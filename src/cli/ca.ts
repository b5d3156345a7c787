// `weft ca`: certificate authority chores; `weft ca token` creates a workload's bootstrap token file and prints its path.

import { parseArgs } from "node:util";
import { createWorkloadToken } from "../control-plane/ca/token-authenticator.js";

const USAGE = `usage: weft ca token --state-dir DIR --namespace NS --service-account SA`;

/** Resolves with the exit code: 0 with the token file's path on stdout, 2 for bad flags or names. */
export async function runCa(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== "token") {
    process.stderr.write(`weft ca: expected a subcommand\n${USAGE}\n`);
    return 2;
  }
  let path: string;
  try {
    const { values } = parseArgs({
      args: rest,
      options: { "state-dir": { type: "string" }, namespace: { type: "string" }, "service-account": { type: "string" } },
      strict: true,
      allowPositionals: false,
    });
    if (!values["state-dir"] || !values.namespace || !values["service-account"]) throw new Error("--state-dir, --namespace and --service-account are required");
    path = await createWorkloadToken(values["state-dir"], values.namespace, values["service-account"]);
  } catch (err) {
    process.stderr.write(`weft ca token: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  process.stdout.write(path + "\n");
  return 0;
}
