// ChildProcessGroup: the node processes `weft demo` starts, each logging to its own file, all stopped together.

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import path from "node:path";

/** Loaded into every child with --import: the child ends itself when the demo's end of its stdin pipe closes. */
const EXIT_WITH_PARENT = new URL("./exit-with-parent.js", import.meta.url).href;

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  logFile: string;
}

/**
 * Starts node scripts as children of this process. Each child gets a pipe on stdin (never written; when this
 * process dies, even by SIGKILL, the pipe closes and the child stops itself: see exit-with-parent.ts), its
 * stdout and stderr in `<logDir>/<name>.log`, and its own process group. Not reusable after stopAll().
 */
export class ChildProcessGroup {
  private readonly children = new Map<string, { child: ChildProcess; logFd: number; logFile: string; exited: boolean }>();
  private stopping = false;

  /** @param onUnexpectedExit called when a child exits before stopAll() was called. */
  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: (exit: ChildExit) => void,
  ) {}

  /** Runs `node --import exit-with-parent <script> ...args` as `name` (also the log file's name). */
  start(name: string, script: string, args: readonly string[]): void {
    const logFile = path.join(this.logDir, `${name}.log`);
    const logFd = openSync(logFile, "w");
    // detached: a process group of its own, so a Ctrl-C in the terminal reaches only the owner, which then
    // stops the children in order (stopAll) instead of each racing to exit on its own.
    // WEFT_CHILD_NODE_ARGS: extra node flags for every child (profiling, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
    const nodeArgs = process.env.WEFT_CHILD_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? [];
    const child = spawn(process.execPath, [...nodeArgs, "--import", EXIT_WITH_PARENT, script, ...args], {
      stdio: ["pipe", logFd, logFd],
      env: process.env,
      detached: true,
    });
    const entry = { child, logFd, logFile, exited: false };
    this.children.set(name, entry);
    child.on("error", () => undefined); // spawn failures also surface as 'exit'
    child.on("exit", (code, signal) => {
      entry.exited = true;
      if (!this.stopping) this.onUnexpectedExit({ name, code, signal, logFile });
    });
  }

  /** The pid of child `name` while it runs. */
  pidOf(name: string): number | undefined {
    const entry = this.children.get(name);
    return entry && !entry.exited ? entry.child.pid : undefined;
  }

  /** The log file of child `name`. */
  logFileOf(name: string): string | undefined {
    return this.children.get(name)?.logFile;
  }

  /** SIGTERM to every child, SIGKILL to those still alive after `graceMs`; resolves when all have exited. */
  async stopAll(graceMs = 3000): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const entry of this.children.values()) {
      if (entry.exited) continue;
      waits.push(new Promise((resolve) => entry.child.once("exit", () => resolve())));
      entry.child.kill("SIGTERM");
    }
    const killer = setTimeout(() => this.killAll(), graceMs);
    await Promise.all(waits);
    clearTimeout(killer);
    for (const entry of this.children.values()) {
      entry.child.stdin?.destroy();
      closeSync(entry.logFd);
    }
    this.children.clear();
  }

  /** SIGKILL to every child still running (a second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const entry of this.children.values()) if (!entry.exited) entry.child.kill("SIGKILL");
  }
}
