// Polling helpers that wait for a sidecar's /ready, an app's /health, or a port to accept connections.

import http from "node:http";
import net from "node:net";

const POLL_MS = 150;

/** Resolves true once GET `url` answers 200, false when `timeoutMs` passes or `cancelled()` turns true first. */
export async function waitForHttp200(url: string, timeoutMs: number, cancelled: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    if ((await httpStatus(url)) === 200) return true;
    await sleep(POLL_MS);
  }
  return false;
}

/** Resolves true once host:port accepts a TCP connection, false on timeout or cancellation. */
export async function waitForPort(host: string, port: number, timeoutMs: number, cancelled: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return true;
    await sleep(POLL_MS);
  }
  return false;
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
