// A small HTTP/1.1 load generator on raw net sockets: keep-alive, N connections, no pipelining; closed or open loop.

import net from "node:net";
import { percentile } from "./row.js";

export interface LoadTarget {
  host: string;
  port: number;
  /** Host header value. */
  authority: string;
  path: string;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** One keep-alive connection that sends a GET and reports when the (Content-Length or chunked) response ends. */
class Client {
  private readonly socket: net.Socket;
  private buf: Buffer | null = null;
  private onDone: (() => void) | null = null;
  busy = false;
  failed = false;

  constructor(target: LoadTarget, private readonly request: Buffer, ready: () => void) {
    this.socket = net.connect({ host: target.host, port: target.port, noDelay: true }, ready);
    this.socket.on("data", (c: Buffer) => this.onData(c));
    this.socket.on("error", () => { this.failed = true; });
    this.socket.on("close", () => { this.failed = true; });
  }

  send(onDone: () => void): void {
    this.busy = true;
    this.onDone = onDone;
    this.socket.write(this.request);
  }

  close(): void { this.socket.destroy(); }

  private onData(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    const buf = this.buf;
    const headEnd = buf.indexOf(CRLFCRLF);
    if (headEnd === -1) return;
    const head = buf.toString("latin1", 0, headEnd).toLowerCase();
    const m = /content-length: *(\d+)/.exec(head);
    let complete: boolean;
    if (m) complete = buf.length >= headEnd + 4 + Number(m[1]);
    else complete = head.includes("transfer-encoding: chunked") ? buf.subarray(buf.length - 5).toString() === "0\r\n\r\n" : true;
    if (!complete) return;
    if (!head.startsWith("http/1.1 200")) this.failed = true;
    this.buf = null;
    this.busy = false;
    const cb = this.onDone!;
    this.onDone = null;
    cb();
  }
}

async function openClients(target: LoadTarget, n: number): Promise<Client[]> {
  const request = Buffer.from(`GET ${target.path} HTTP/1.1\r\nHost: ${target.authority}\r\nUser-Agent: weft-bench\r\n\r\n`);
  const clients: Client[] = [];
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => clients.push(new Client(target, request, resolve)))));
  return clients;
}

/** Closed loop: every connection sends its next request as soon as the previous response ends. */
export async function saturate(target: LoadTarget, opts: { connections: number; durationMs: number }): Promise<{ reqPerSec: number; errors: number }> {
  const clients = await openClients(target, opts.connections);
  let completed = 0;
  let running = true;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    for (const c of clients) {
      const loop = (): void => {
        completed++;
        if (running && !c.failed) c.send(loop);
      };
      c.send(loop);
    }
    setTimeout(() => { running = false; resolve(); }, opts.durationMs);
  });
  const elapsed = performance.now() - start;
  const errors = clients.filter((c) => c.failed).length;
  for (const c of clients) c.close();
  return { reqPerSec: completed / (elapsed / 1000), errors };
}

/**
 * Open loop at a fixed rate: request i is due at start + i/rate and is released by the 1 ms pacing tick that
 * follows; its latency counts from that release even when every connection is busy and it has to wait (so a
 * stalled proxy shows up as latency, not as a lower rate). The pacing tick's own lag is not counted.
 */
export async function fixedRate(target: LoadTarget, opts: { rate: number; durationMs: number; connections: number }): Promise<{ p50: number; p90: number; p99: number; max: number; errors: number }> {
  const clients = await openClients(target, opts.connections);
  const idle = [...clients];
  const latencies: number[] = [];
  const total = Math.floor((opts.rate * opts.durationMs) / 1000);
  const interval = 1000 / opts.rate;
  let issued = 0;
  const backlog: number[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const dispatch = (): void => {
      while (backlog.length > 0 && idle.length > 0) {
        const due = backlog.shift()!;
        const c = idle.pop()!;
        c.send(() => {
          latencies.push(performance.now() - due);
          idle.push(c);
          if (latencies.length === total) resolve();
          else dispatch();
        });
      }
    };
    const tick = (): void => {
      const now = performance.now();
      while (issued < total && start + issued * interval <= now) { backlog.push(now); issued++; }
      dispatch();
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
  const errors = clients.filter((c) => c.failed).length;
  for (const c of clients) c.close();
  return { p50: percentile(latencies, 50)!, p90: percentile(latencies, 90)!, p99: percentile(latencies, 99)!, max: percentile(latencies, 100)!, errors };
}
