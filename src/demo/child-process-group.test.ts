// Tests for ChildProcessGroup: logs per child, unexpected exits reported, stopAll escalates, no orphan outlives the group's owner.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ChildProcessGroup, type ChildExit } from "./child-process-group.js";
import { sleep } from "./wait-ready.js";

const GROUP_URL = new URL("./child-process-group.js", import.meta.url).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

test("a child's output lands in <logDir>/<name>.log and its own exit is reported as unexpected", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "weft-group-"));
  try {
    const script = path.join(dir, "say.mjs");
    await writeFile(script, `console.log("hello " + process.argv[2]); console.error("to stderr"); process.exit(3);`);
    const exits: ChildExit[] = [];
    const group = new ChildProcessGroup(dir, (e) => exits.push(e));
    group.start("sayer", script, ["world"]);
    while (exits.length === 0) await sleep(20);
    assert.deepEqual(exits[0], { name: "sayer", code: 3, signal: null, logFile: path.join(dir, "sayer.log") });
    await group.stopAll();
    assert.equal(await readFile(path.join(dir, "sayer.log"), "utf8"), "hello world\nto stderr\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("stopAll sends SIGTERM, then SIGKILL to a child that ignores it after the grace period; neither exit counts as unexpected", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "weft-group-"));
  try {
    const polite = path.join(dir, "polite.mjs");
    const stubborn = path.join(dir, "stubborn.mjs");
    await writeFile(polite, `setInterval(() => {}, 1000);`);
    await writeFile(stubborn, `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);`);
    const exits: ChildExit[] = [];
    const group = new ChildProcessGroup(dir, (e) => exits.push(e));
    group.start("polite", polite, []);
    group.start("stubborn", stubborn, []);
    const pids = [group.pidOf("polite")!, group.pidOf("stubborn")!];
    while (!(await readFile(path.join(dir, "stubborn.log"), "utf8")).includes("ready")) await sleep(20);
    const t0 = Date.now();
    await group.stopAll(500);
    assert.ok(Date.now() - t0 >= 450, "waited for the grace period");
    assert.ok(pids.every((pid) => !alive(pid)));
    assert.deepEqual(exits, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("when the group's owner is SIGKILLed, its children (which never read stdin themselves) exit within 3 s", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "weft-group-"));
  try {
    const child = path.join(dir, "child.mjs");
    await writeFile(child, `setInterval(() => {}, 1000);`);
    const owner = path.join(dir, "owner.mjs");
    await writeFile(
      owner,
      `import { ChildProcessGroup } from ${JSON.stringify(GROUP_URL)};
       const group = new ChildProcessGroup(${JSON.stringify(dir)}, () => {});
       group.start("a", ${JSON.stringify(child)}, []);
       group.start("b", ${JSON.stringify(child)}, []);
       console.log(JSON.stringify([group.pidOf("a"), group.pidOf("b")]));
       setInterval(() => {}, 1000);`,
    );
    const ownerProcess = spawn(process.execPath, [owner], { stdio: ["ignore", "pipe", "inherit"] });
    const pids = await new Promise<number[]>((resolve) => ownerProcess.stdout!.once("data", (c: Buffer) => resolve(JSON.parse(c.toString()))));
    try {
      await sleep(300); // let the children load the exit-with-parent module
      assert.ok(pids.every(alive));
      ownerProcess.kill("SIGKILL");
      for (const pid of pids) assert.ok(await gone(pid, 3000), `child ${pid} outlived its parent`);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
