// The node:http server every sample app runs in, and the JSON reply helper they share.

import http from "node:http";

export type AppHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A started sample app. */
export interface RunningApp {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `handler` on host:port (port 0 picks one). Answers GET /health itself, like every Bookinfo service. */
export function startAppServer(handler: AppHandler, host: string, port: number): Promise<RunningApp> {
  const server = http.createServer((req, res) => {
    if (req.url === "/health") return sendJson(res, 200, { status: "Healthy" });
    handler(req, res);
  });
  // Longer than any sidecar pool's idle time would be safer still, but this keeps the app from closing a
  // connection the sidecar is about to reuse (the classic keep-alive race, response flag UC).
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as { port: number };
      resolve({
        host,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Writes `body` as a JSON response. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** The numeric id at the end of paths like /reviews/0, or undefined when the path is not `${prefix}<id>`. */
export function idFromPath(url: string | undefined, prefix: string): number | undefined {
  if (!url || !url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length).split("?")[0];
  const id = Number(rest);
  return rest !== "" && Number.isInteger(id) && id >= 0 ? id : undefined;
}
