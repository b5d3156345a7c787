// The `weft` command: dispatches to one subcommand module per verb.

import { WeftError } from "../shared/weft-error.js";

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  "control-plane": { summary: "run the control plane (istiod role)", load: async () => (await import("./control-plane.js")).runControlPlane },
  proxy: { summary: "run a sidecar proxy (Envoy role)", load: async () => (await import("./proxy.js")).runProxy },
  validate: { summary: "validate Istio YAML files or directories", load: async () => (await import("./validate.js")).runValidate },
  ca: { summary: "certificate authority chores (ca token: a workload's bootstrap token)", load: async () => (await import("./ca.js")).runCa },
  demo: { summary: "bring up a whole mesh on loopback with a sample app", load: async () => (await import("./demo.js")).runDemo },
};

function usage(): string {
  const lines = ["usage: weft <command> [flags]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(15)} ${c.summary}`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === "help" || verb === "--help" || verb === "-h") {
    process.stdout.write(usage() + "\n");
    return verb ? 0 : 2;
  }
  const command = COMMANDS[verb];
  if (!command) {
    process.stderr.write(`weft: unknown command "${verb}"\n${usage()}\n`);
    return 2;
  }
  return (await command.load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = err instanceof WeftError ? ` [${err.code}]` : "";
    process.stderr.write(`weft: ${(err as Error)?.message ?? String(err)}${code}\n`);
    process.exitCode = 1;
  },
);
