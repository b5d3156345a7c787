// Side-effect module (also loaded with `node --import`): this process stops when the process that started it goes away.

import { fstatSync } from "node:fs";

const parentPid = process.ppid;
let signalled = false;

/** Grace for this process's own SIGTERM handling before it is ended regardless. */
const GRACE_MS = 5000;

/**
 * Sends SIGTERM to this process once, so its own graceful shutdown runs (or the default action ends it);
 * if a handler neither exits nor lets the event loop drain within GRACE_MS, exits anyway.
 */
function parentGone(): void {
  if (signalled) return;
  signalled = true;
  setTimeout(() => process.exit(1), GRACE_MS).unref();
  process.kill(process.pid, "SIGTERM");
}

// A parent that wants this gives us a pipe on stdin and keeps its end open: end-of-file means it died,
// however it died (even SIGKILL). Only a pipe counts (node's spawn "pipe" is a socketpair, a shell's `|` a
// FIFO): /dev/null or a terminal on stdin says nothing.
const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on("end", parentGone);
  process.stdin.on("error", parentGone);
  process.stdin.resume();
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}

// Fallback for parents that gave no pipe: once orphaned, the kernel re-parents us (to init or a subreaper).
setInterval(() => {
  if (process.ppid !== parentPid) parentGone();
}, 1000).unref();
