// Benchmark upstream: a trivial raw-net HTTP/1.1 responder ("200 ok" per request head), run as its own process.

import net from "node:net";

const [address, portArg] = process.argv.slice(2);
const RESPONSE = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
const CRLFCRLF = Buffer.from("\r\n\r\n");

const server = net.createServer({ noDelay: true }, (socket) => {
  let pending: Buffer | null = null;
  socket.on("data", (chunk: Buffer) => {
    let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let pos = 0;
    let idx: number;
    while ((idx = buf.indexOf(CRLFCRLF, pos)) !== -1) {
      socket.write(RESPONSE);
      pos = idx + 4;
    }
    pending = pos === buf.length ? null : buf.subarray(pos);
  });
  socket.on("error", () => socket.destroy());
});
server.listen(Number(portArg ?? 0), address ?? "127.0.0.41", () => {
  process.stdout.write(`ready ${(server.address() as net.AddressInfo).port}\n`);
});
